//! The loaders of Usage & Spend: they ask the active platform (through the
//! [`Platform`] trait; the HTTP is each adapter's) for usage rollups concurrently
//! and hand the reports to the pure analysis ([`super::analysis`], [`super::budget`],
//! [`super::statement`]), so the analysis never waits on a network in tests.

use super::analysis::{Analysis, ReportedSpend, TopRow};
use super::budget::{burn, burndown_bucket, Budget};
use super::charts::Table;
use super::period::{
    ceil_hour, first_of_month, local_midnight, parse_zone, resolve_period, utc_days,
    validate_request, SpendBy, UsageRequest,
};
use super::statement::statement_table;
use super::{UsageView, MAX_BURNDOWN_KEYS, MAX_STACKED};
use crate::error::Error;
use crate::platform::capabilities::SpendSource;
use crate::platform::model::{CostQuery, Key, MoneyBudget, TokenBudget};
use crate::platform::Platform;
use crate::prices::Price;
use crate::profile::Profile;
use crate::ErrorCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use keyward_api::usage::{UsageBucket, UsageDimension, UsageQuery};
use keyward_api::TokenLimitPeriod;
use std::collections::HashMap;

pub(super) fn query(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    bucket: UsageBucket,
    group_by: &[UsageDimension],
    request: &UsageRequest,
) -> UsageQuery {
    UsageQuery {
        start,
        end,
        bucket,
        group_by: group_by.to_vec(),
        key_ids: request.key_ids.clone(),
        models: request.models.clone(),
        workloads: request.workload.iter().cloned().collect(),
    }
}

/// Builds the whole view: a handful of concurrent rollup queries, then pure analysis.
pub async fn load_view(
    platform: &dyn Platform,
    profile: &Profile,
    request: &UsageRequest,
    prices: &HashMap<String, Price>,
    now: DateTime<Utc>,
) -> Result<UsageView, Error> {
    validate_request(request)?;
    let period = fitting_period(platform, request, now)?;
    let project = request
        .project_id
        .clone()
        .unwrap_or_else(|| profile.project_id.clone());
    // Day buckets outside UTC are folded from hours (see the module doc).
    let fetch_bucket =
        if period.bucket == UsageBucket::Day && !utc_days(period.zone, period.start, period.end) {
            UsageBucket::Hour
        } else {
            period.bucket
        };
    use UsageDimension::{Key, Model};
    let series_q = query(period.start, period.end, fetch_bucket, &[Model], request);
    let totals_q = query(
        period.start,
        period.end,
        UsageBucket::None,
        &[Key, Model],
        request,
    );
    let previous_q = query(
        period.previous_start,
        period.previous_end,
        UsageBucket::None,
        &[Model],
        request,
    );
    let (series, totals, previous, reported) = tokio::try_join!(
        platform.usage(profile, &project, &series_q),
        platform.usage(profile, &project, &totals_q),
        platform.usage(profile, &project, &previous_q),
        reported_spend(platform, profile, &project, &period, request),
    )?;
    let analysis = Analysis::new(
        &period,
        prices,
        &series,
        &totals,
        &previous,
        reported.as_ref(),
    );
    let top_keys = analysis.top_keys();
    let by_key_series = if request.spend_by == SpendBy::Key && !top_keys.is_empty() {
        let mut q = query(
            period.start,
            period.end,
            fetch_bucket,
            &[Key, Model],
            request,
        );
        q.key_ids = top_keys
            .iter()
            .take(MAX_STACKED)
            .map(|k| k.id.clone())
            .collect();
        Some(platform.usage(profile, &project, &q).await?)
    } else {
        None
    };
    let budgets = load_budgets(platform, profile, &project, &top_keys, request, now).await?;
    Ok(analysis.view(project, request, top_keys, by_key_series.as_ref(), budgets))
}

/// The money a platform that reports spend charged in the period and the one before,
/// by key and UTC day; `None` where spend is tokens × the price table.
async fn reported_spend(
    platform: &dyn Platform,
    profile: &Profile,
    project: &str,
    period: &super::period::Period,
    request: &UsageRequest,
) -> Result<Option<ReportedSpend>, Error> {
    let capabilities = platform.capabilities();
    if capabilities.spend.source != SpendSource::Reported {
        return Ok(None);
    }
    // Whole UTC days covering the period: the platform reports no finer.
    let day = |at: DateTime<Utc>, up: bool| {
        let midnight = at.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
        if up && midnight < at {
            midnight + Duration::days(1)
        } else {
            midnight
        }
    };
    let query = |start, end| CostQuery {
        start: day(start, false),
        end: day(end, true),
        project: Some(project.to_owned()),
        key_ids: request.key_ids.clone(),
        by_key: capabilities.spend.per_key.supported,
    };
    let (now, before) = (
        query(period.start, period.end),
        query(period.previous_start, period.previous_end),
    );
    let (current, previous) = tokio::try_join!(
        platform.reported_costs(profile, &now),
        platform.reported_costs(profile, &before),
    )?;
    Ok(Some(ReportedSpend {
        per_key: capabilities.spend.per_key.supported,
        platform: capabilities.platform,
        current,
        previous,
    }))
}

/// The period as asked; when its bucket was left to fit (`auto`) and the platform does
/// not report that width (OpenRouter and LiteLLM report days only), the finest width it
/// does report that is at least as wide. A width the person chose is kept, and a
/// platform that refuses it says so.
fn fitting_period(
    platform: &dyn Platform,
    request: &UsageRequest,
    now: DateTime<Utc>,
) -> Result<super::period::Period, Error> {
    use crate::platform::capabilities::BucketSize;
    let period = resolve_period(request, now)?;
    if request.bucket.is_some() {
        return Ok(period);
    }
    let offered = platform.capabilities().usage.buckets;
    let size = |bucket: UsageBucket| match bucket {
        UsageBucket::Minute => Some(BucketSize::Minute),
        UsageBucket::Hour => Some(BucketSize::Hour),
        UsageBucket::Day => Some(BucketSize::Day),
        UsageBucket::None => None,
    };
    let fits = |bucket: UsageBucket| size(bucket).is_none_or(|s| offered.contains(&s));
    if offered.is_empty() || fits(period.bucket) {
        return Ok(period);
    }
    let wider = match period.bucket {
        UsageBucket::Minute => [UsageBucket::Hour, UsageBucket::Day].as_slice(),
        UsageBucket::Hour => [UsageBucket::Day].as_slice(),
        _ => [].as_slice(),
    };
    match wider.iter().copied().find(|b| fits(*b)) {
        Some(bucket) => resolve_period(
            &UsageRequest {
                bucket: Some(bucket),
                ..request.clone()
            },
            now,
        ),
        None => Ok(period),
    }
}

/// Budgets of the top keys that have one, in their current period (day, week or
/// month; minute and hour budgets turn over too fast to chart).
pub(super) async fn load_budgets(
    platform: &dyn Platform,
    profile: &Profile,
    project: &str,
    top_keys: &[TopRow],
    request: &UsageRequest,
    now: DateTime<Utc>,
) -> Result<Vec<Budget>, Error> {
    let candidates: Vec<&TopRow> = top_keys.iter().take(MAX_BURNDOWN_KEYS).collect();
    let fetched =
        futures_util::future::join_all(candidates.iter().map(|k| platform.get_key(profile, &k.id)))
            .await;
    let mut keys = Vec::new();
    for fetched in fetched {
        match fetched {
            Ok(key) => keys.push(key),
            // A key deleted since, or of a project this token may not read: no budget.
            Err(e) if e.code == ErrorCode::NotFound || e.code == ErrorCode::Forbidden => {}
            Err(e) => return Err(e),
        }
    }
    let capabilities = platform.capabilities();
    // Money budgets burn down against the money the platform reports per key.
    let money_reported =
        capabilities.spend.source == SpendSource::Reported && capabilities.spend.per_key.supported;
    let mut out = Vec::new();
    for key in keys {
        if let Some(budget) = key.scopes.token_budget {
            out.extend(token_budget(platform, profile, project, &key, budget, request, now).await?);
        } else if let (Some(money), true) = (&key.scopes.money_budget, money_reported) {
            out.extend(money_budget(platform, profile, project, &key, money, now).await?);
        }
    }
    Ok(out)
}

/// A key's token budget in its current period, from the platform's token rollups.
async fn token_budget(
    platform: &dyn Platform,
    profile: &Profile,
    project: &str,
    key: &Key,
    budget: TokenBudget,
    request: &UsageRequest,
    now: DateTime<Utc>,
) -> Result<Option<Budget>, Error> {
    let period = budget.period.token_limit_period();
    if matches!(period, TokenLimitPeriod::Minute | TokenLimitPeriod::Hour) {
        return Ok(None);
    }
    let limit = i64::try_from(budget.tokens).unwrap_or(i64::MAX);
    let (start, end) = period.window(now);
    let bucket = burndown_bucket(period);
    let q = UsageQuery {
        start,
        end: ceil_hour(now).min(end),
        bucket,
        group_by: vec![],
        key_ids: vec![key.id.clone()],
        models: vec![],
        workloads: request.workload.iter().cloned().collect(),
    }
    .aligned(now)
    .map_err(|e| Error::field(e.field, e.message))?;
    let per_bucket: Vec<(DateTime<Utc>, i64)> = platform
        .usage(profile, project, &q)
        .await?
        .rows
        .iter()
        .filter_map(|r| r.bucket.map(|b| (b, r.input_tokens + r.output_tokens)))
        .collect();
    let used = per_bucket.iter().map(|(_, t)| t).sum();
    Ok(Some(Budget {
        burn: burn((&key.id, &key.name), period, limit, used, start, end, now),
        per_bucket,
        now,
    }))
}

/// A key's money budget in its current period (a budget that resets daily, weekly or
/// monthly; one for the key's whole life has no period to burn down), against the
/// money the platform reports for the key per UTC day.
async fn money_budget(
    platform: &dyn Platform,
    profile: &Profile,
    project: &str,
    key: &Key,
    budget: &MoneyBudget,
    now: DateTime<Utc>,
) -> Result<Option<Budget>, Error> {
    let Some(reset) = budget.reset else {
        return Ok(None);
    };
    let period = reset.token_limit_period();
    if matches!(period, TokenLimitPeriod::Minute | TokenLimitPeriod::Hour) {
        return Ok(None);
    }
    let limit = budget.micros;
    if limit <= 0 {
        return Ok(None);
    }
    let (start, end) = period.window(now);
    let costs = platform
        .reported_costs(
            profile,
            &CostQuery {
                start,
                end: (now.date_naive() + Duration::days(1))
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight exists")
                    .and_utc()
                    .min(end),
                project: Some(project.to_owned()),
                key_ids: vec![key.id.clone()],
                by_key: true,
            },
        )
        .await?;
    let per_bucket: Vec<(DateTime<Utc>, i64)> = costs
        .iter()
        .filter(|c| c.key_id.as_deref() == Some(key.id.as_str()) && c.currency == budget.currency)
        .map(|c| (c.day, c.amount_micros))
        .collect();
    let used = per_bucket.iter().map(|(_, m)| m).sum();
    let mut burn = burn((&key.id, &key.name), period, limit, used, start, end, now);
    burn.currency = Some(budget.currency.clone());
    Ok(Some(Budget {
        burn,
        per_bucket,
        now,
    }))
}

/// The monthly statement finance hands on: per key × model, the month's requests,
/// tokens and spend, then one total line per currency.
pub async fn statement(
    platform: &dyn Platform,
    profile: &Profile,
    project_id: Option<&str>,
    month: &str,
    time_zone: &str,
    prices: &HashMap<String, Price>,
) -> Result<Table, Error> {
    let zone = parse_zone(time_zone)?;
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|_| Error::field("month", "month must be YYYY-MM, e.g. 2026-10."))?;
    let next = first_of_month(first + Duration::days(32));
    let project = project_id.unwrap_or(&profile.project_id);
    crate::error::validate_id("project_id", project, 64)?;
    let q = UsageQuery {
        start: local_midnight(zone, first),
        end: local_midnight(zone, next),
        bucket: UsageBucket::None,
        group_by: vec![UsageDimension::Key, UsageDimension::Model],
        key_ids: vec![],
        models: vec![],
        workloads: vec![],
    };
    let report = platform.usage(profile, project, &q).await?;
    Ok(statement_table(&report, prices, month))
}
