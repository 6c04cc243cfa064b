//! The proxy's daily activity (`GET /user/daily/activity`) as the console's usage
//! rollups and reported spend, on the helpers every reporting platform shares
//! (`platform/paging.rs`). LiteLLM keeps one bucket per UTC day, with each day broken
//! down by model and, within a model, by key (the key's hash — the console's key id),
//! and spend in USD per cell, read exactly from the number's text.

use super::{wire, LiteLlm, DIALECT};
use crate::platform::http::route;
use crate::platform::model::{CostQuery, ReportedCost, UsageBucket, UsageQuery, UsageReport};
use crate::platform::money;
use crate::platform::paging::{self, Rollup};
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Days per page: a year of days in one request.
const PAGE_SIZE: &str = "366";

/// One cell of the activity: a day, a model, a key (`None`: without a key).
struct Cell<'a> {
    day: DateTime<Utc>,
    model: &'a str,
    key: Option<&'a str>,
    metrics: &'a wire::Metrics,
}

/// Every day of `[start, end)` the proxy reports, every page; `key` and `model`
/// narrow the report on the proxy when there is exactly one of each.
async fn days(
    litellm: &LiteLlm,
    profile: &Profile,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    key: Option<&str>,
    model: Option<&str>,
) -> Result<Vec<wire::DailySpend>, Error> {
    if end <= start {
        return Err(Error::field(
            "end",
            "The end of the period must be after its start.",
        ));
    }
    let start_date = start.date_naive().format("%Y-%m-%d").to_string();
    let end_date = (end - Duration::seconds(1))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let path = route(&["user", "daily", "activity"]);
    let all = paging::every_page(profile, |page| {
        let path = path.clone();
        let (start_date, end_date) = (start_date.clone(), end_date.clone());
        async move {
            let page = page.unwrap_or_else(|| "1".to_owned());
            let mut q = vec![
                ("start_date", start_date.as_str()),
                ("end_date", end_date.as_str()),
                ("page", page.as_str()),
                ("page_size", PAGE_SIZE),
            ];
            if let Some(key) = key {
                q.push(("api_key", key));
            }
            if let Some(model) = model {
                q.push(("model", model));
            }
            let answer: wire::Activity =
                litellm.http.get_json(&DIALECT, profile, &path, &q).await?;
            let current = answer
                .metadata
                .as_ref()
                .and_then(|m| m.page)
                .unwrap_or_else(|| page.parse().unwrap_or(1));
            let next = answer
                .metadata
                .as_ref()
                .filter(|m| m.has_more)
                .map(|_| (current + 1).to_string());
            Ok(paging::Page {
                items: answer.results,
                next,
            })
        }
    })
    .await?;
    // A day counts when it starts within the period (the proxy's days are UTC).
    Ok(all
        .into_iter()
        .filter(|d| day_start(&d.date).is_some_and(|t| t >= start && t < end))
        .collect())
}

fn day_start(date: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
}

/// The cells of `days`, filtered to `key_ids` and `models` when given.
fn cells<'a>(
    days: &'a [wire::DailySpend],
    key_ids: &'a [String],
    models: &'a [String],
) -> impl Iterator<Item = Cell<'a>> + 'a {
    days.iter()
        .filter_map(|d| Some((day_start(&d.date)?, d)))
        .flat_map(move |(day, d)| {
            d.breakdown
                .models
                .iter()
                .filter(move |(model, _)| models.is_empty() || models.contains(model))
                .flat_map(move |(model, spend)| {
                    let per_key: Vec<Cell<'a>> = if spend.api_key_breakdown.is_empty() {
                        vec![Cell {
                            day,
                            model,
                            key: None,
                            metrics: &spend.metrics,
                        }]
                    } else {
                        spend
                            .api_key_breakdown
                            .iter()
                            .map(|(key, k)| Cell {
                                day,
                                model,
                                key: Some(key.as_str()),
                                metrics: &k.metrics,
                            })
                            .collect()
                    };
                    per_key
                })
        })
        .filter(move |c| {
            key_ids.is_empty() || c.key.is_some_and(|k| key_ids.iter().any(|id| id == k))
        })
}

fn only_one(values: &[String]) -> Option<&str> {
    match values {
        [one] => Some(one.as_str()),
        _ => None,
    }
}

/// Tokens and requests per day (or in total), by key and model as asked.
pub(super) async fn report(
    litellm: &LiteLlm,
    profile: &Profile,
    query: &UsageQuery,
) -> Result<UsageReport, Error> {
    if matches!(query.bucket, UsageBucket::Minute | UsageBucket::Hour) {
        return Err(Error::field(
            "bucket",
            "The LiteLLM proxy reports usage per day; choose days or totals.",
        ));
    }
    if !query.workloads.is_empty() {
        return Err(Error::field(
            "workload",
            "The LiteLLM proxy reports usage by model, not by deployment; filter by model instead.",
        ));
    }
    let days = days(
        litellm,
        profile,
        query.start,
        query.end,
        only_one(&query.key_ids),
        only_one(&query.models),
    )
    .await?;
    let mut rollup = Rollup::new(query);
    for cell in cells(&days, &query.key_ids, &query.models) {
        rollup.add(
            cell.day,
            cell.key.map(str::to_owned),
            Some(cell.model),
            cell.metrics.api_requests,
            cell.metrics.prompt_tokens,
            cell.metrics.completion_tokens,
        );
    }
    let inventory = if rollup.by_key() {
        litellm.inventory(profile).await?
    } else {
        Vec::new()
    };
    Ok(rollup.finish(&inventory, "Without a virtual key"))
}

/// Spend in USD per day and model (and key), as the proxy recorded it.
pub(super) async fn costs(
    litellm: &LiteLlm,
    profile: &Profile,
    query: &CostQuery,
) -> Result<Vec<ReportedCost>, Error> {
    let days = days(
        litellm,
        profile,
        query.start,
        query.end,
        only_one(&query.key_ids),
        None,
    )
    .await?;
    let mut sums: BTreeMap<(DateTime<Utc>, Option<String>, String), i64> = BTreeMap::new();
    for cell in cells(&days, &query.key_ids, &[]) {
        let Some(spend) = &cell.metrics.spend else {
            continue;
        };
        let text = spend.to_string();
        let micros = money::micros(&text, 0).ok_or_else(|| {
            Error::new(
                ErrorCode::Upstream,
                format!("The LiteLLM proxy reported an amount Keyward cannot read ({text}); the costs are not shown rather than shown wrong."),
            )
        })?;
        let key = query
            .by_key
            .then(|| cell.key.unwrap_or(paging::UNATTRIBUTED).to_owned());
        *sums
            .entry((cell.day, key, cell.model.to_owned()))
            .or_default() += micros;
    }
    Ok(sums
        .into_iter()
        .map(|((day, key_id, model), amount_micros)| ReportedCost {
            day,
            project: None,
            key_id,
            line_item: Some(model),
            amount_micros,
            currency: "USD".to_owned(),
        })
        .collect())
}
