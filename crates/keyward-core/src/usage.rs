//! Usage & Spend: turns the gateway's usage rollups into what finance reads — periods
//! in a chosen time zone, totals with the change against the previous period, spend
//! from the console's price table, spikes, top keys and models, budget burn-down —
//! and into the tables behind every chart, for CSV export.
//!
//! Rules, because finance will ask:
//! - **Spend is always tokens × the price table** ([`crate::prices`]); a model without
//!   a price is *unpriced* and listed as such, never counted as free. Spend in a second
//!   currency is totalled separately, never converted.
//! - **Periods** are whole local days in the chosen zone (UTC by default) except the
//!   rolling "last 24 h / 7 d", which end at the current hour. The previous period is
//!   the same length immediately before; for "previous month" it is the month before.
//! - **Buckets** fit the span (≤ 6 h: minutes, ≤ 8 d: hours, else days) unless
//!   overridden. Day buckets in a zone other than UTC are summed from hour rollups, so
//!   a zone with a half-hour offset gets days that start on the hour before midnight.
//! - **Spike**: a bucket whose tokens are at least [`SPIKE_FACTOR`]× the median of the
//!   [`SPIKE_WINDOW`] buckets before it and at least [`SPIKE_MIN_TOKENS`] above it, once
//!   at least [`SPIKE_MIN_HISTORY`] earlier buckets exist. The median ignores one-off
//!   bursts in the baseline; the absolute floor keeps near-idle keys from "spiking" on
//!   a handful of tokens.

use crate::charts::{Bar, BarChart, Chart, TimeChart, TimeChartKind, TimeSeries, Unit};
use crate::client::PlatformClient;
use crate::error::Error;
use crate::prices::{format_micros, Price};
use crate::profile::Profile;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use keyward_api::usage::{UsageBucket, UsageDimension, UsageQuery, UsageReport, UsageRow};
use keyward_api::{ErrorCode, InferenceKey, TokenLimitPeriod};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub const SPIKE_FACTOR: f64 = 3.0;
pub const SPIKE_WINDOW: usize = 12;
pub const SPIKE_MIN_HISTORY: usize = 6;
pub const SPIKE_MIN_TOKENS: f64 = 1_000.0;
/// Series beyond this many in a stacked chart are summed into "Other".
pub const MAX_STACKED: usize = 8;
/// Rows in the top keys / top models tables and bars.
pub const TOP_N: usize = 10;
/// Budget burn-down is shown for at most this many keys (the top keys by tokens).
pub const MAX_BURNDOWN_KEYS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PeriodPreset {
    // Explicit: serde's snake_case says "last24_hours" where specta (and people) say
    // "last_24_hours"; the wire must be what the generated TypeScript type promises.
    #[serde(rename = "last_24_hours")]
    Last24Hours,
    #[serde(rename = "last_7_days")]
    Last7Days,
    #[serde(rename = "last_30_days")]
    Last30Days,
    #[serde(rename = "last_90_days")]
    Last90Days,
    MonthToDate,
    PreviousMonth,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SpendBy {
    #[default]
    Model,
    Key,
}

/// What the Usage & Spend screen asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageRequest {
    pub preset: PeriodPreset,
    /// First and last local day of a custom range (inclusive), `YYYY-MM-DD`.
    pub custom_start: Option<NaiveDate>,
    pub custom_end: Option<NaiveDate>,
    /// IANA name, e.g. "UTC", "Europe/Berlin".
    pub time_zone: String,
    /// `None`: chosen to fit the period.
    pub bucket: Option<UsageBucket>,
    /// `None`: the profile's project.
    pub project_id: Option<String>,
    pub key_ids: Vec<String>,
    pub models: Vec<String>,
    pub workload: Option<String>,
    pub spend_by: SpendBy,
}

/// A resolved period: UTC instants, the bucket, the zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub previous_start: DateTime<Utc>,
    pub previous_end: DateTime<Utc>,
    pub bucket: UsageBucket,
    pub zone: Tz,
}

fn local_midnight(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A midnight skipped by a DST change: take the first instant after the gap.
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn previous_month(first: NaiveDate) -> NaiveDate {
    first_of_month(first - Duration::days(1))
}

fn ceil_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::DurationRound;
    let floor = at.duration_trunc(Duration::hours(1)).unwrap_or(at);
    if floor < at {
        floor + Duration::hours(1)
    } else {
        floor
    }
}

pub fn parse_zone(name: &str) -> Result<Tz, Error> {
    name.trim().parse::<Tz>().map_err(|_| {
        Error::field(
            "time_zone",
            format!(
                "\"{name}\" is not a time zone name Keyward knows (use e.g. UTC or Europe/Berlin)."
            ),
        )
    })
}

/// Resolves the request's period at `now`; every refusal names its field.
pub fn resolve_period(request: &UsageRequest, now: DateTime<Utc>) -> Result<Period, Error> {
    let zone = parse_zone(&request.time_zone)?;
    let today = now.with_timezone(&zone).date_naive();
    let tomorrow = local_midnight(zone, today + Duration::days(1));
    let (start, end, previous) = match request.preset {
        PeriodPreset::Last24Hours | PeriodPreset::Last7Days => {
            let end = ceil_hour(now);
            let span = if request.preset == PeriodPreset::Last24Hours {
                Duration::hours(24)
            } else {
                Duration::days(7)
            };
            (end - span, end, None)
        }
        PeriodPreset::Last30Days | PeriodPreset::Last90Days => {
            let days = if request.preset == PeriodPreset::Last30Days {
                30
            } else {
                90
            };
            (
                local_midnight(zone, today - Duration::days(days - 1)),
                tomorrow,
                None,
            )
        }
        PeriodPreset::MonthToDate => {
            let first = first_of_month(today);
            let previous_first = previous_month(first);
            let elapsed_days = (today - first).num_days() + 1;
            let previous_end = (previous_first + Duration::days(elapsed_days)).min(first);
            (
                local_midnight(zone, first),
                tomorrow,
                Some((
                    local_midnight(zone, previous_first),
                    local_midnight(zone, previous_end),
                )),
            )
        }
        PeriodPreset::PreviousMonth => {
            let first = previous_month(first_of_month(today));
            let before = previous_month(first);
            (
                local_midnight(zone, first),
                local_midnight(zone, first_of_month(today)),
                Some((local_midnight(zone, before), local_midnight(zone, first))),
            )
        }
        PeriodPreset::Custom => {
            let start = request.custom_start.ok_or_else(|| {
                Error::field("custom_start", "Choose the first day of the range.")
            })?;
            let last = request
                .custom_end
                .ok_or_else(|| Error::field("custom_end", "Choose the last day of the range."))?;
            if last < start {
                return Err(Error::field(
                    "custom_end",
                    "The last day must not be before the first day.",
                ));
            }
            if (last - start).num_days() + 1 > keyward_api::usage::MAX_RANGE_DAYS {
                return Err(Error::field(
                    "custom_end",
                    format!(
                        "A range covers at most {} days.",
                        keyward_api::usage::MAX_RANGE_DAYS
                    ),
                ));
            }
            if start > today {
                return Err(Error::field(
                    "custom_start",
                    "The range starts in the future.",
                ));
            }
            (
                local_midnight(zone, start),
                local_midnight(zone, last + Duration::days(1)),
                None,
            )
        }
    };
    let (previous_start, previous_end) = previous.unwrap_or((start - (end - start), start));
    let span = end - start;
    let auto = if span <= Duration::hours(6) {
        UsageBucket::Minute
    } else if span <= Duration::days(8) {
        UsageBucket::Hour
    } else {
        UsageBucket::Day
    };
    let bucket = request.bucket.unwrap_or(auto);
    check_bucket(bucket, start, end, now)?;
    Ok(Period {
        start,
        end,
        previous_start,
        previous_end,
        bucket,
        zone,
    })
}

fn check_bucket(
    bucket: UsageBucket,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let fail = |m: &str| Err(Error::field("bucket", m));
    match bucket {
        UsageBucket::None => fail("Choose minute, hour or day buckets."),
        UsageBucket::Minute
            if start < now - Duration::hours(keyward_api::usage::MINUTE_RETENTION_HOURS) =>
        {
            fail("Minute buckets exist for the last 48 hours only; choose hour or day buckets.")
        }
        UsageBucket::Hour if end - start > Duration::days(100) => {
            fail("Hour buckets cover at most 100 days; choose day buckets.")
        }
        _ => Ok(()),
    }
}

/// One bucket's sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Totals {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub requests: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub errors: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub input_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub output_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub estimated_requests: i64,
}

impl Totals {
    fn add(&mut self, row: &UsageRow) {
        self.requests += row.requests;
        self.errors += row.errors;
        self.input_tokens += row.input_tokens;
        self.output_tokens += row.output_tokens;
        self.estimated_requests += row.estimated_requests;
    }

    pub fn tokens(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }
}

/// An amount of money: integer micros and the display text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Money {
    pub currency: String,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub micros: i64,
    /// "12.30 USD"
    pub text: String,
}

impl Money {
    fn new(currency: &str, micros: i64) -> Self {
        Self {
            currency: currency.to_owned(),
            micros,
            text: format!("{} {currency}", format_micros(round_cents(micros))),
        }
    }
}

/// Display rounding to cents (half up); the micros stay exact.
fn round_cents(micros: i64) -> i64 {
    (micros + 5_000).div_euclid(10_000) * 10_000
}

/// Spend of a set of rows, per currency, plus the tokens that had no price.
#[derive(Debug, Clone, Default, PartialEq)]
struct Spend {
    by_currency: BTreeMap<String, i64>,
    unpriced_tokens: i64,
}

impl Spend {
    fn add(&mut self, prices: &HashMap<String, Price>, model: &str, input: i64, output: i64) {
        match prices.get(model) {
            Some(price) => {
                *self.by_currency.entry(price.currency.clone()).or_default() +=
                    price.cost_micros(input, output)
            }
            None => self.unpriced_tokens += input + output,
        }
    }

    fn in_currency(&self, currency: &str) -> i64 {
        self.by_currency.get(currency).copied().unwrap_or(0)
    }
}

/// A summary card: this period, the previous one, the change in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Change {
    pub current: f64,
    pub previous: f64,
    /// `None` when the previous period had nothing (no meaningful percentage).
    pub change_percent: Option<f64>,
}

fn change(current: f64, previous: f64) -> Change {
    Change {
        current,
        previous,
        change_percent: (previous > 0.0).then(|| (current - previous) / previous * 100.0),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Summary {
    pub requests: Change,
    pub errors: Change,
    pub input_tokens: Change,
    pub output_tokens: Change,
    /// Spend in the main currency (the one with the most spend), micros as f64.
    pub spend: Change,
    pub currency: Option<String>,
    /// Every currency's spend this period (more than one only if prices mix currencies).
    pub spend_by_currency: Vec<Money>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub estimated_requests: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub unpriced_tokens: i64,
}

/// A row of the top keys or top models table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TopRow {
    /// Key id, or the model name.
    pub id: String,
    /// Key name, or the model name.
    pub name: String,
    pub totals: Totals,
    /// In the main currency; `None` when nothing of it was priced.
    pub spend: Option<Money>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub unpriced_tokens: i64,
}

/// A key's budget in its current period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BudgetBurn {
    pub key_id: String,
    pub key_name: String,
    pub period: TokenLimitPeriod,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub limit: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub used: i64,
    /// When the budget runs out at the average rate so far; `None` if it lasts the period.
    pub runs_out_at: Option<DateTime<Utc>>,
    pub exhausted: bool,
}

/// A bucket flagged as a spike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Spike {
    pub bucket: DateTime<Utc>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub tokens: i64,
    pub baseline: f64,
}

/// A chart's data plus the table behind it (what CSV export writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageChart {
    /// Stable id: "tokens", "requests", "errors", "spend", "top_keys_spend", …
    pub id: String,
    pub chart: Chart,
    pub table: Table,
}

/// Rows × columns of text, for CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What a period's usage comes to: the numbers every view of it shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageFacts {
    pub project_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub previous_start: DateTime<Utc>,
    pub previous_end: DateTime<Utc>,
    pub bucket: UsageBucket,
    pub time_zone: String,
    pub summary: Summary,
    pub top_keys: Vec<TopRow>,
    pub top_models: Vec<TopRow>,
    pub unpriced_models: Vec<String>,
    pub spikes: Vec<Spike>,
    pub budgets: Vec<BudgetBurn>,
    /// Every model and key seen in the period, for the filters.
    pub models_seen: Vec<String>,
    pub keys_seen: Vec<KeyName>,
}

/// Everything the Usage & Spend screen shows for one request, with the data and the
/// table behind every chart (kept in Rust for re-rendering and export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageView {
    #[serde(flatten)]
    pub facts: UsageFacts,
    pub charts: Vec<UsageChart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyName {
    pub id: String,
    pub name: String,
}

impl PlatformClient {
    /// The projects this profile's token may read (`GET /v1/projects`): every project for
    /// an owner token, its own for the others. The Usage screen's project filter.
    pub async fn list_projects(
        &self,
        profile: &Profile,
    ) -> Result<Vec<keyward_api::Project>, Error> {
        let list: keyward_api::ProjectList = self
            .send(profile, self.control(profile, Method::GET, "/v1/projects"))
            .await?;
        Ok(list.projects)
    }

    /// `GET /v1/projects/{project}/usage` with a validated query.
    pub async fn project_usage(
        &self,
        profile: &Profile,
        project_id: &str,
        query: &UsageQuery,
    ) -> Result<UsageReport, Error> {
        let path = format!(
            "/v1/projects/{}/usage",
            crate::client::encode_segment(project_id)
        );
        let request = self
            .control(profile, Method::GET, &path)
            .query(&query.to_params());
        self.send(profile, request).await
    }
}

fn query(
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

fn validate_request(request: &UsageRequest) -> Result<(), Error> {
    for id in &request.key_ids {
        crate::error::validate_id("key_ids", id, 64)?;
    }
    if request.key_ids.len() > 100 {
        return Err(Error::field(
            "key_ids",
            "Filter on at most 100 keys at once.",
        ));
    }
    if request.models.len() > 100 {
        return Err(Error::field(
            "models",
            "Filter on at most 100 models at once.",
        ));
    }
    for model in &request.models {
        if model.is_empty() || model.len() > crate::prices::MAX_MODEL_CHARS || model.contains(',') {
            return Err(Error::field(
                "models",
                format!("\"{model}\" is not a model name."),
            ));
        }
    }
    if let Some(workload) = &request.workload {
        crate::error::validate_id("workload", workload, 64)?;
    }
    if let Some(project) = &request.project_id {
        crate::error::validate_id("project_id", project, 64)?;
    }
    Ok(())
}

/// Builds the whole view: a handful of concurrent rollup queries, then pure analysis.
pub async fn load_view(
    client: &PlatformClient,
    profile: &Profile,
    request: &UsageRequest,
    prices: &HashMap<String, Price>,
    now: DateTime<Utc>,
) -> Result<UsageView, Error> {
    validate_request(request)?;
    let period = resolve_period(request, now)?;
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
    let (series, totals, previous) = tokio::try_join!(
        client.project_usage(profile, &project, &series_q),
        client.project_usage(profile, &project, &totals_q),
        client.project_usage(profile, &project, &previous_q),
    )?;
    let analysis = Analysis::new(&period, prices, &series, &totals, &previous);
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
        Some(client.project_usage(profile, &project, &q).await?)
    } else {
        None
    };
    let budgets = load_budgets(client, profile, &project, &top_keys, request, now).await?;
    Ok(analysis.view(project, request, top_keys, by_key_series.as_ref(), budgets))
}

fn utc_days(zone: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    use chrono::Offset;
    zone.offset_from_utc_datetime(&start.naive_utc())
        .fix()
        .local_minus_utc()
        == 0
        && zone
            .offset_from_utc_datetime(&end.naive_utc())
            .fix()
            .local_minus_utc()
            == 0
}

/// The display buckets of a period, in order.
pub fn bucket_starts(period: &Period) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut at = period.start;
    while at < period.end {
        out.push(at);
        at = next_bucket(period, at);
    }
    out
}

fn next_bucket(period: &Period, at: DateTime<Utc>) -> DateTime<Utc> {
    match period.bucket {
        UsageBucket::Minute => at + Duration::minutes(1),
        UsageBucket::Hour => at + Duration::hours(1),
        _ => {
            let day = at.with_timezone(&period.zone).date_naive();
            local_midnight(period.zone, day + Duration::days(1))
        }
    }
}

/// Index of the display bucket holding `at` (binary search over bucket starts).
fn bucket_index(starts: &[DateTime<Utc>], at: DateTime<Utc>) -> Option<usize> {
    match starts.binary_search(&at) {
        Ok(i) => Some(i),
        Err(0) => None,
        Err(i) => Some(i - 1),
    }
}

struct Analysis<'a> {
    period: &'a Period,
    prices: &'a HashMap<String, Price>,
    buckets: Vec<DateTime<Utc>>,
    /// Per display bucket.
    per_bucket: Vec<Totals>,
    /// Per model, per display bucket.
    per_model: BTreeMap<String, Vec<Totals>>,
    totals: &'a UsageReport,
    current: Totals,
    previous: Totals,
    spend: Spend,
    previous_spend: Spend,
    currency: Option<String>,
}

impl<'a> Analysis<'a> {
    fn new(
        period: &'a Period,
        prices: &'a HashMap<String, Price>,
        series: &UsageReport,
        totals: &'a UsageReport,
        previous: &UsageReport,
    ) -> Self {
        let buckets = bucket_starts(period);
        let mut per_bucket = vec![Totals::default(); buckets.len()];
        let mut per_model: BTreeMap<String, Vec<Totals>> = BTreeMap::new();
        for row in &series.rows {
            let Some(i) = row.bucket.and_then(|b| bucket_index(&buckets, b)) else {
                continue;
            };
            per_bucket[i].add(row);
            let model = row.model.clone().unwrap_or_default();
            per_model
                .entry(model)
                .or_insert_with(|| vec![Totals::default(); buckets.len()])[i]
                .add(row);
        }
        let mut current = Totals::default();
        let mut spend = Spend::default();
        for row in &totals.rows {
            current.add(row);
            spend.add(
                prices,
                row.model.as_deref().unwrap_or_default(),
                row.input_tokens,
                row.output_tokens,
            );
        }
        let mut previous_totals = Totals::default();
        let mut previous_spend = Spend::default();
        for row in &previous.rows {
            previous_totals.add(row);
            previous_spend.add(
                prices,
                row.model.as_deref().unwrap_or_default(),
                row.input_tokens,
                row.output_tokens,
            );
        }
        let currency = spend
            .by_currency
            .iter()
            .max_by_key(|(_, micros)| **micros)
            .map(|(c, _)| c.clone())
            .or_else(|| prices.values().next().map(|p| p.currency.clone()));
        Self {
            period,
            prices,
            buckets,
            per_bucket,
            per_model,
            totals,
            current,
            previous: previous_totals,
            spend,
            previous_spend,
            currency,
        }
    }

    fn summary(&self) -> Summary {
        let main = self.currency.as_deref().unwrap_or_default();
        let (c, p) = (&self.current, &self.previous);
        Summary {
            requests: change(c.requests as f64, p.requests as f64),
            errors: change(c.errors as f64, p.errors as f64),
            input_tokens: change(c.input_tokens as f64, p.input_tokens as f64),
            output_tokens: change(c.output_tokens as f64, p.output_tokens as f64),
            spend: change(
                self.spend.in_currency(main) as f64,
                self.previous_spend.in_currency(main) as f64,
            ),
            currency: self.currency.clone(),
            spend_by_currency: self
                .spend
                .by_currency
                .iter()
                .map(|(cur, m)| Money::new(cur, *m))
                .collect(),
            estimated_requests: c.estimated_requests,
            unpriced_tokens: self.spend.unpriced_tokens,
        }
    }

    fn key_name(&self, id: &str) -> String {
        self.totals
            .keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.name.clone())
            .unwrap_or_else(|| id.to_owned())
    }

    /// Per-key totals over the period, by spend then tokens, all of them.
    fn top_keys(&self) -> Vec<TopRow> {
        self.top_by(
            |row| row.key_id.clone().unwrap_or_default(),
            |id| self.key_name(id),
        )
    }

    fn top_models(&self) -> Vec<TopRow> {
        self.top_by(
            |row| row.model.clone().unwrap_or_default(),
            |m| m.to_owned(),
        )
    }

    fn top_by(
        &self,
        id_of: impl Fn(&UsageRow) -> String,
        name_of: impl Fn(&str) -> String,
    ) -> Vec<TopRow> {
        let mut groups: BTreeMap<String, (Totals, Spend)> = BTreeMap::new();
        for row in &self.totals.rows {
            let (totals, spend) = groups.entry(id_of(row)).or_default();
            totals.add(row);
            spend.add(
                self.prices,
                row.model.as_deref().unwrap_or_default(),
                row.input_tokens,
                row.output_tokens,
            );
        }
        let main = self.currency.clone().unwrap_or_default();
        let mut rows: Vec<TopRow> = groups
            .into_iter()
            .map(|(id, (totals, spend))| TopRow {
                name: name_of(&id),
                spend: spend.by_currency.get(&main).map(|m| Money::new(&main, *m)),
                unpriced_tokens: spend.unpriced_tokens,
                id,
                totals,
            })
            .collect();
        rows.sort_by(|a, b| {
            let spend = |r: &TopRow| r.spend.as_ref().map_or(0, |m| m.micros);
            spend(b)
                .cmp(&spend(a))
                .then(b.totals.tokens().cmp(&a.totals.tokens()))
                .then(a.name.cmp(&b.name))
        });
        rows
    }

    fn spikes(&self) -> Vec<usize> {
        let tokens: Vec<f64> = self.per_bucket.iter().map(|t| t.tokens() as f64).collect();
        find_spikes(&tokens)
    }

    fn view(
        &self,
        project_id: String,
        request: &UsageRequest,
        top_keys: Vec<TopRow>,
        by_key_series: Option<&UsageReport>,
        budgets: Vec<Budget>,
    ) -> UsageView {
        let spikes = self.spikes();
        let top_models = self.top_models();
        let unpriced_models: Vec<String> = top_models
            .iter()
            .filter(|m| !self.prices.contains_key(&m.id))
            .map(|m| m.id.clone())
            .collect();
        let mut charts = vec![
            self.tokens_chart(&spikes),
            self.count_chart("requests", "Requests", "requests", |t| t.requests, &spikes),
            self.count_chart("errors", "Errors", "errors", |t| t.errors, &spikes),
        ];
        if self.currency.is_some() {
            charts.push(match (request.spend_by, by_key_series) {
                (SpendBy::Key, Some(series)) => self.spend_by_key_chart(series, &top_keys, &spikes),
                _ => self.spend_by_model_chart(&spikes),
            });
        }
        charts.extend(self.top_charts(&top_keys, &top_models));
        charts.extend(budget_charts(&budgets));
        UsageView {
            facts: UsageFacts {
                project_id,
                start: self.period.start,
                end: self.period.end,
                previous_start: self.period.previous_start,
                previous_end: self.period.previous_end,
                bucket: self.period.bucket,
                time_zone: self.period.zone.name().to_owned(),
                summary: self.summary(),
                spikes: spikes
                    .iter()
                    .map(|&i| Spike {
                        bucket: self.buckets[i],
                        tokens: self.per_bucket[i].tokens(),
                        baseline: baseline(
                            &self
                                .per_bucket
                                .iter()
                                .map(|t| t.tokens() as f64)
                                .collect::<Vec<_>>(),
                            i,
                        ),
                    })
                    .collect(),
                models_seen: self.per_model.keys().cloned().collect(),
                keys_seen: self
                    .totals
                    .keys
                    .iter()
                    .map(|k| KeyName {
                        id: k.id.clone(),
                        name: k.name.clone(),
                    })
                    .collect(),
                top_keys: top_keys.into_iter().take(TOP_N).collect(),
                top_models: top_models.into_iter().take(TOP_N).collect(),
                unpriced_models,
                budgets: budgets.into_iter().map(|b| b.burn).collect(),
            },
            charts,
        }
    }

    fn time_chart(
        &self,
        title: &str,
        unit: Unit,
        kind: TimeChartKind,
        series: Vec<TimeSeries>,
        spikes: &[usize],
    ) -> Chart {
        Chart::Time(TimeChart {
            title: title.to_owned(),
            unit,
            kind,
            buckets: self.buckets.clone(),
            time_zone: self.period.zone,
            series,
            highlights: spikes.to_vec(),
        })
    }

    fn bucket_text(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.period.zone).to_rfc3339()
    }

    fn tokens_chart(&self, spikes: &[usize]) -> UsageChart {
        let series = vec![
            TimeSeries {
                name: "Input".into(),
                values: self
                    .per_bucket
                    .iter()
                    .map(|t| Some(t.input_tokens as f64))
                    .collect(),
            },
            TimeSeries {
                name: "Output".into(),
                values: self
                    .per_bucket
                    .iter()
                    .map(|t| Some(t.output_tokens as f64))
                    .collect(),
            },
        ];
        UsageChart {
            id: "tokens".into(),
            chart: self.time_chart(
                "Tokens",
                Unit::Count {
                    noun: "tokens".into(),
                },
                TimeChartKind::StackedBars,
                series,
                spikes,
            ),
            table: self.bucket_table(),
        }
    }

    fn count_chart(
        &self,
        id: &str,
        title: &str,
        noun: &str,
        value: fn(&Totals) -> i64,
        spikes: &[usize],
    ) -> UsageChart {
        let series = vec![TimeSeries {
            name: title.to_owned(),
            values: self
                .per_bucket
                .iter()
                .map(|t| Some(value(t) as f64))
                .collect(),
        }];
        UsageChart {
            id: id.into(),
            chart: self.time_chart(
                title,
                Unit::Count { noun: noun.into() },
                TimeChartKind::StackedBars,
                series,
                spikes,
            ),
            table: self.bucket_table(),
        }
    }

    /// One row per bucket: the table behind the tokens, requests and errors charts.
    fn bucket_table(&self) -> Table {
        let main = self.currency.clone().unwrap_or_default();
        Table {
            columns: columns(&[
                "bucket_start",
                "requests",
                "errors",
                "input_tokens",
                "output_tokens",
                "estimated_requests",
                "spend",
                "currency",
                "unpriced_tokens",
            ]),
            rows: self
                .buckets
                .iter()
                .enumerate()
                .map(|(i, at)| {
                    let t = &self.per_bucket[i];
                    let mut spend = Spend::default();
                    for (model, per) in &self.per_model {
                        spend.add(
                            self.prices,
                            model,
                            per[i].input_tokens,
                            per[i].output_tokens,
                        );
                    }
                    vec![
                        self.bucket_text(*at),
                        t.requests.to_string(),
                        t.errors.to_string(),
                        t.input_tokens.to_string(),
                        t.output_tokens.to_string(),
                        t.estimated_requests.to_string(),
                        format_micros(spend.in_currency(&main)),
                        main.clone(),
                        spend.unpriced_tokens.to_string(),
                    ]
                })
                .collect(),
        }
    }

    fn spend_by_model_chart(&self, spikes: &[usize]) -> UsageChart {
        let main = self.currency.clone().unwrap_or_default();
        let cost = |model: &str, t: &Totals| -> i64 {
            match self.prices.get(model) {
                Some(p) if p.currency == main => p.cost_micros(t.input_tokens, t.output_tokens),
                _ => 0,
            }
        };
        let mut ranked: Vec<(&String, i64)> = self
            .per_model
            .iter()
            .map(|(m, per)| (m, per.iter().map(|t| cost(m, t)).sum::<i64>()))
            .filter(|(_, total)| *total > 0)
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let shown: Vec<&String> = ranked.iter().take(MAX_STACKED).map(|(m, _)| *m).collect();
        let mut series: Vec<TimeSeries> = shown
            .iter()
            .map(|m| TimeSeries {
                name: (*m).clone(),
                values: self.per_model[*m]
                    .iter()
                    .map(|t| Some(cost(m, t) as f64 / 1e6))
                    .collect(),
            })
            .collect();
        let other: Vec<&String> = ranked.iter().skip(MAX_STACKED).map(|(m, _)| *m).collect();
        if !other.is_empty() {
            series.push(TimeSeries {
                name: format!("Other ({} models)", other.len()),
                values: (0..self.buckets.len())
                    .map(|i| {
                        Some(
                            other
                                .iter()
                                .map(|m| cost(m, &self.per_model[*m][i]))
                                .sum::<i64>() as f64
                                / 1e6,
                        )
                    })
                    .collect(),
            });
        }
        let mut rows = Vec::new();
        for (i, at) in self.buckets.iter().enumerate() {
            for (model, per) in &self.per_model {
                let t = &per[i];
                if t.requests == 0 && t.tokens() == 0 {
                    continue;
                }
                let price = self.prices.get(model);
                rows.push(vec![
                    self.bucket_text(*at),
                    model.clone(),
                    t.requests.to_string(),
                    t.input_tokens.to_string(),
                    t.output_tokens.to_string(),
                    price.map_or(String::new(), |p| {
                        format_micros(p.cost_micros(t.input_tokens, t.output_tokens))
                    }),
                    price.map_or(String::new(), |p| p.currency.clone()),
                    price.is_some().to_string(),
                ]);
            }
        }
        UsageChart {
            id: "spend".into(),
            chart: self.time_chart(
                &format!("Spend by model ({main})"),
                Unit::Currency { code: main.clone() },
                TimeChartKind::StackedBars,
                series,
                spikes,
            ),
            table: Table {
                columns: columns(&[
                    "bucket_start",
                    "model",
                    "requests",
                    "input_tokens",
                    "output_tokens",
                    "spend",
                    "currency",
                    "priced",
                ]),
                rows,
            },
        }
    }

    fn spend_by_key_chart(
        &self,
        series_report: &UsageReport,
        top_keys: &[TopRow],
        spikes: &[usize],
    ) -> UsageChart {
        let main = self.currency.clone().unwrap_or_default();
        let shown: Vec<&TopRow> = top_keys.iter().take(MAX_STACKED).collect();
        let mut per_key: BTreeMap<&str, Vec<i64>> = shown
            .iter()
            .map(|k| (k.id.as_str(), vec![0; self.buckets.len()]))
            .collect();
        let mut rows = Vec::new();
        for row in &series_report.rows {
            let (Some(i), Some(key)) = (
                row.bucket.and_then(|b| bucket_index(&self.buckets, b)),
                row.key_id.as_deref(),
            ) else {
                continue;
            };
            let model = row.model.as_deref().unwrap_or_default();
            let price = self.prices.get(model);
            let micros = match price {
                Some(p) if p.currency == main => p.cost_micros(row.input_tokens, row.output_tokens),
                _ => 0,
            };
            if let Some(v) = per_key.get_mut(key) {
                v[i] += micros;
            }
            rows.push(vec![
                self.bucket_text(self.buckets[i]),
                key.to_owned(),
                self.key_name(key),
                model.to_owned(),
                row.requests.to_string(),
                row.input_tokens.to_string(),
                row.output_tokens.to_string(),
                price.map_or(String::new(), |p| {
                    format_micros(p.cost_micros(row.input_tokens, row.output_tokens))
                }),
                price.map_or(String::new(), |p| p.currency.clone()),
            ]);
        }
        let mut series: Vec<TimeSeries> = shown
            .iter()
            .map(|k| TimeSeries {
                name: k.name.clone(),
                values: per_key[k.id.as_str()]
                    .iter()
                    .map(|m| Some(*m as f64 / 1e6))
                    .collect(),
            })
            .collect();
        if top_keys.len() > MAX_STACKED {
            // Other keys = total spend per bucket − the shown keys' spend.
            let mut total = vec![0i64; self.buckets.len()];
            for (model, per) in &self.per_model {
                if let Some(p) = self.prices.get(model).filter(|p| p.currency == main) {
                    for (i, t) in per.iter().enumerate() {
                        total[i] += p.cost_micros(t.input_tokens, t.output_tokens);
                    }
                }
            }
            series.push(TimeSeries {
                name: format!("Other ({} keys)", top_keys.len() - MAX_STACKED),
                values: (0..self.buckets.len())
                    .map(|i| {
                        Some(
                            (total[i] - per_key.values().map(|v| v[i]).sum::<i64>()).max(0) as f64
                                / 1e6,
                        )
                    })
                    .collect(),
            });
        }
        UsageChart {
            id: "spend".into(),
            chart: self.time_chart(
                &format!("Spend by key ({main})"),
                Unit::Currency { code: main.clone() },
                TimeChartKind::StackedBars,
                series,
                spikes,
            ),
            table: Table {
                columns: columns(&[
                    "bucket_start",
                    "key_id",
                    "key_name",
                    "model",
                    "requests",
                    "input_tokens",
                    "output_tokens",
                    "spend",
                    "currency",
                ]),
                rows,
            },
        }
    }

    fn top_charts(&self, top_keys: &[TopRow], top_models: &[TopRow]) -> Vec<UsageChart> {
        let main = self.currency.clone().unwrap_or_default();
        let table = |rows: &[TopRow], what: &str| Table {
            columns: columns(&[
                what,
                "name",
                "requests",
                "errors",
                "input_tokens",
                "output_tokens",
                "tokens",
                "spend",
                "currency",
                "unpriced_tokens",
            ]),
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.name.clone(),
                        r.totals.requests.to_string(),
                        r.totals.errors.to_string(),
                        r.totals.input_tokens.to_string(),
                        r.totals.output_tokens.to_string(),
                        r.totals.tokens().to_string(),
                        r.spend
                            .as_ref()
                            .map_or(String::new(), |m| format_micros(m.micros)),
                        main.clone(),
                        r.unpriced_tokens.to_string(),
                    ]
                })
                .collect(),
        };
        let by_tokens = |rows: &[TopRow]| {
            let mut sorted = rows.to_vec();
            sorted.sort_by(|a, b| {
                b.totals
                    .tokens()
                    .cmp(&a.totals.tokens())
                    .then(a.name.cmp(&b.name))
            });
            sorted.truncate(TOP_N);
            sorted
        };
        let bars = |title: String, unit: Unit, rows: &[TopRow], value: &dyn Fn(&TopRow) -> f64| {
            Chart::Bars(BarChart {
                title,
                unit,
                bars: rows
                    .iter()
                    .map(|r| Bar {
                        label: r.name.clone(),
                        value: value(r),
                    })
                    .collect(),
            })
        };
        let spend_value = |r: &TopRow| {
            // Drawn to the cent as the table shows it (half up), not 0.07499… → $0.07.
            r.spend
                .as_ref()
                .map_or(0.0, |m| round_cents(m.micros) as f64 / 1e6)
        };
        let tokens_value = |r: &TopRow| r.totals.tokens() as f64;
        let mut charts = Vec::new();
        for (id, what, rows) in [
            ("keys", "key_id", top_keys),
            ("models", "model", top_models),
        ] {
            let top: Vec<TopRow> = rows.iter().take(TOP_N).cloned().collect();
            if self.currency.is_some() {
                // Only what has a price is drawn: an unpriced model is not a $0 bar (the
                // table behind the chart still lists it, spend empty).
                let priced: Vec<TopRow> = rows
                    .iter()
                    .filter(|r| r.spend.is_some())
                    .take(TOP_N)
                    .cloned()
                    .collect();
                charts.push(UsageChart {
                    id: format!("top_{id}_spend"),
                    chart: bars(
                        format!("Top {id} by spend ({main})"),
                        Unit::Currency { code: main.clone() },
                        &priced,
                        &spend_value,
                    ),
                    table: table(&top, what),
                });
            }
            let top_tokens = by_tokens(rows);
            charts.push(UsageChart {
                id: format!("top_{id}_tokens"),
                chart: bars(
                    format!("Top {id} by tokens"),
                    Unit::Count {
                        noun: "tokens".into(),
                    },
                    &top_tokens,
                    &tokens_value,
                ),
                table: table(&top_tokens, what),
            });
        }
        charts
    }
}

/// Indices of spike buckets (rule in the module doc).
pub fn find_spikes(tokens: &[f64]) -> Vec<usize> {
    (0..tokens.len())
        .filter(|&i| i >= SPIKE_MIN_HISTORY)
        .filter(|&i| {
            let base = baseline(tokens, i);
            tokens[i] >= SPIKE_FACTOR * base && tokens[i] - base >= SPIKE_MIN_TOKENS
        })
        .collect()
}

/// Median of the up to [`SPIKE_WINDOW`] buckets before `i`.
fn baseline(tokens: &[f64], i: usize) -> f64 {
    let mut window: Vec<f64> = tokens[i.saturating_sub(SPIKE_WINDOW)..i].to_vec();
    if window.is_empty() {
        return 0.0;
    }
    window.sort_by(|a, b| a.total_cmp(b));
    let mid = window.len() / 2;
    if window.len() % 2 == 0 {
        (window[mid - 1] + window[mid]) / 2.0
    } else {
        window[mid]
    }
}

/// Budgets of the top keys that have one, in their current period (day, week or
/// month; minute and hour budgets turn over too fast to chart).
async fn load_budgets(
    client: &PlatformClient,
    profile: &Profile,
    project: &str,
    top_keys: &[TopRow],
    request: &UsageRequest,
    now: DateTime<Utc>,
) -> Result<Vec<Budget>, Error> {
    let candidates: Vec<&TopRow> = top_keys.iter().take(MAX_BURNDOWN_KEYS).collect();
    let fetched =
        futures_util::future::join_all(candidates.iter().map(|k| client.get_key(profile, &k.id)))
            .await;
    let mut keys: Vec<InferenceKey> = Vec::new();
    for fetched in fetched {
        match fetched {
            Ok(key) => keys.push(key),
            // A key deleted since, or of a project this token may not read: no budget.
            Err(e) if e.code == ErrorCode::NotFound || e.code == ErrorCode::Forbidden => {}
            Err(e) => return Err(e),
        }
    }
    let mut out = Vec::new();
    for key in keys {
        let (Some(limit), Some(period)) = (key.token_limit, key.token_limit_period) else {
            continue;
        };
        if matches!(period, TokenLimitPeriod::Minute | TokenLimitPeriod::Hour) {
            continue;
        }
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
        let per_bucket: Vec<(DateTime<Utc>, i64)> = client
            .project_usage(profile, project, &q)
            .await?
            .rows
            .iter()
            .filter_map(|r| r.bucket.map(|b| (b, r.input_tokens + r.output_tokens)))
            .collect();
        let used = per_bucket.iter().map(|(_, t)| t).sum();
        out.push(Budget {
            burn: burn((&key.id, &key.name), period, limit, used, start, end, now),
            per_bucket,
            now,
        });
    }
    Ok(out)
}

/// A budget and what was used in each bucket of its period so far (for the burn-down).
struct Budget {
    burn: BudgetBurn,
    per_bucket: Vec<(DateTime<Utc>, i64)>,
    now: DateTime<Utc>,
}

/// Hours for a day's or a week's budget, days for a month's.
fn burndown_bucket(period: TokenLimitPeriod) -> UsageBucket {
    match period {
        TokenLimitPeriod::Month => UsageBucket::Day,
        _ => UsageBucket::Hour,
    }
}

/// Burn-down charts drawn per budget period: at most this many keys each.
pub const MAX_BURNDOWN_LINES: usize = 5;

fn burn(
    key: (&str, &str),
    period: TokenLimitPeriod,
    limit: i64,
    used: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> BudgetBurn {
    let elapsed = (now - start).num_seconds().max(1) as f64;
    let runs_out_at = if used >= limit {
        Some(now)
    } else if used > 0 {
        let rate = used as f64 / elapsed; // tokens per second so far
        let at = start + Duration::seconds((limit as f64 / rate) as i64);
        (at < end).then_some(at)
    } else {
        None
    };
    BudgetBurn {
        key_id: key.0.to_owned(),
        key_name: key.1.to_owned(),
        period,
        period_start: start,
        period_end: end,
        limit,
        used,
        runs_out_at,
        exhausted: used >= limit,
    }
}

/// The budget burn-down: per budget period (day, week, month), one chart of each key's
/// cumulative use as a percentage of its limit, bucket by bucket up to now, then the
/// same rate projected to the end of the period, against the 100 % line. Budgets are
/// calendar periods in UTC (as the gateway enforces them), so these charts are in UTC.
fn budget_charts(budgets: &[Budget]) -> Vec<UsageChart> {
    let mut charts = Vec::new();
    for period in [
        TokenLimitPeriod::Day,
        TokenLimitPeriod::Week,
        TokenLimitPeriod::Month,
    ] {
        let these: Vec<&Budget> = budgets
            .iter()
            .filter(|b| b.burn.period == period)
            .take(MAX_BURNDOWN_LINES)
            .collect();
        let Some(first) = these.first() else { continue };
        let width = burndown_bucket(period)
            .width()
            .unwrap_or(Duration::hours(1));
        let mut buckets = Vec::new();
        let mut at = first.burn.period_start;
        while at < first.burn.period_end {
            buckets.push(at);
            at += width;
        }
        let now_index = buckets.iter().rposition(|b| *b <= first.now).unwrap_or(0);
        let mut series = Vec::new();
        let mut rows = Vec::new();
        for budget in &these {
            let limit = budget.burn.limit.max(1) as f64;
            let mut cumulative = 0i64;
            let mut actual = Vec::with_capacity(buckets.len());
            for (i, at) in buckets.iter().enumerate() {
                if i > now_index {
                    actual.push(None);
                    continue;
                }
                cumulative += budget
                    .per_bucket
                    .iter()
                    .filter(|(b, _)| b == at)
                    .map(|(_, t)| t)
                    .sum::<i64>();
                actual.push(Some(cumulative as f64 / limit * 100.0));
                rows.push(vec![
                    at.to_rfc3339(),
                    budget.burn.key_id.clone(),
                    budget.burn.key_name.clone(),
                    cumulative.to_string(),
                    budget.burn.limit.to_string(),
                    format!("{:.2}", cumulative as f64 / limit * 100.0),
                    "false".into(),
                ]);
            }
            // The average rate so far, carried to the end of the period.
            let elapsed = (budget.now - budget.burn.period_start).num_seconds().max(1) as f64;
            let rate = budget.burn.used as f64 / elapsed; // tokens per second
            let projected: Vec<Option<f64>> = buckets
                .iter()
                .enumerate()
                .map(|(i, at)| {
                    (i >= now_index && budget.burn.used > 0).then(|| {
                        let end_of_bucket = (*at + width).min(budget.burn.period_end);
                        let tokens = budget.burn.used as f64
                            + rate * (end_of_bucket - budget.now).num_seconds().max(0) as f64;
                        tokens / limit * 100.0
                    })
                })
                .collect();
            series.push(TimeSeries {
                name: budget.burn.key_name.clone(),
                values: actual,
            });
            if projected.iter().any(Option::is_some) {
                series.push(TimeSeries {
                    name: format!("{} (at this rate)", budget.burn.key_name),
                    values: projected,
                });
            }
        }
        series.push(TimeSeries {
            name: "Limit".into(),
            values: vec![Some(100.0); buckets.len()],
        });
        charts.push(UsageChart {
            id: format!("budget_{}", period.as_str()),
            chart: Chart::Time(TimeChart {
                title: format!(
                    "Budget burn-down, this {} (UTC), % of limit",
                    period.as_str()
                ),
                unit: Unit::Percent,
                kind: TimeChartKind::Lines,
                buckets,
                time_zone: chrono_tz::UTC,
                series,
                highlights: Vec::new(),
            }),
            table: Table {
                columns: columns(&[
                    "bucket_start",
                    "key_id",
                    "key_name",
                    "used_tokens_cumulative",
                    "limit",
                    "percent_of_limit",
                    "projected",
                ]),
                rows,
            },
        });
    }
    charts
}

/// A table's header row.
fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// A CSV document of `table` (the formula guard is [`keyward_api::csv::document`]'s:
/// key names come from users).
pub fn to_csv(table: &Table) -> String {
    keyward_api::csv::document(&table.columns, &table.rows)
}

/// The monthly statement finance hands on: per key × model, the month's requests,
/// tokens and spend, then one total line per currency.
pub async fn statement(
    client: &PlatformClient,
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
    let report = client.project_usage(profile, project, &q).await?;
    Ok(statement_table(&report, prices, month))
}

fn statement_table(report: &UsageReport, prices: &HashMap<String, Price>, month: &str) -> Table {
    let name = |id: &str| {
        report
            .keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.name.clone())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut totals: BTreeMap<String, (Totals, i64)> = BTreeMap::new();
    let mut unpriced = Totals::default();
    let mut sorted: Vec<&UsageRow> = report.rows.iter().collect();
    sorted.sort_by(|a, b| {
        name(a.key_id.as_deref().unwrap_or_default())
            .cmp(&name(b.key_id.as_deref().unwrap_or_default()))
            .then(a.model.cmp(&b.model))
    });
    for row in sorted {
        let key_id = row.key_id.clone().unwrap_or_default();
        let model = row.model.clone().unwrap_or_default();
        let price = prices.get(&model);
        let spend = price.map(|p| p.cost_micros(row.input_tokens, row.output_tokens));
        match price {
            Some(p) => {
                let entry = totals.entry(p.currency.clone()).or_default();
                entry.0.add(row);
                entry.1 += spend.unwrap_or(0);
            }
            None => unpriced.add(row),
        }
        rows.push(vec![
            month.to_owned(),
            key_id.clone(),
            name(&key_id),
            model,
            row.requests.to_string(),
            row.input_tokens.to_string(),
            row.output_tokens.to_string(),
            spend.map_or(String::new(), format_micros),
            price.map_or("unpriced".to_owned(), |p| p.currency.clone()),
        ]);
    }
    for (currency, (t, micros)) in &totals {
        rows.push(vec![
            month.to_owned(),
            String::new(),
            "TOTAL".into(),
            String::new(),
            t.requests.to_string(),
            t.input_tokens.to_string(),
            t.output_tokens.to_string(),
            format_micros(*micros),
            currency.clone(),
        ]);
    }
    if unpriced.requests > 0 {
        rows.push(vec![
            month.to_owned(),
            String::new(),
            "TOTAL (unpriced models)".into(),
            String::new(),
            unpriced.requests.to_string(),
            unpriced.input_tokens.to_string(),
            unpriced.output_tokens.to_string(),
            String::new(),
            "unpriced".into(),
        ]);
    }
    Table {
        columns: columns(&[
            "month",
            "key_id",
            "key_name",
            "model",
            "requests",
            "input_tokens",
            "output_tokens",
            "spend",
            "currency",
        ]),
        rows,
    }
}

#[cfg(test)]
mod tests;

/// A chart as the screen shows it: the SVG, its hover data, and what it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ShownChart {
    pub id: String,
    pub title: String,
    pub rendered: crate::charts::Rendered,
}

/// The view as the screen gets it: the facts and the rendered charts, without the
/// tables behind them (those stay in Rust for export).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageScreen {
    #[serde(flatten)]
    pub facts: UsageFacts,
    pub charts: Vec<ShownChart>,
}

/// The size a chart is drawn at for a content area `width` px wide: time charts span
/// it, bar charts take half (two side by side).
pub fn chart_size(chart: &Chart, width: u32) -> crate::charts::Size {
    let width = width.clamp(320, 2400);
    match chart {
        Chart::Time(_) => crate::charts::Size { width, height: 260 },
        Chart::Bars(bars) => crate::charts::Size {
            width: (width.saturating_sub(16) / 2).max(320),
            height: (72 + 28 * bars.bars.len() as u32).clamp(160, 380),
        },
    }
}

fn chart_title(chart: &Chart) -> String {
    match chart {
        Chart::Time(t) => t.title.clone(),
        Chart::Bars(b) => b.title.clone(),
    }
}

/// Renders every chart of `view` for the screen.
pub fn screen(
    view: &UsageView,
    theme: crate::charts::Theme,
    width: u32,
) -> Result<UsageScreen, Error> {
    let charts = view
        .charts
        .iter()
        .map(|c| {
            let rendered = crate::charts::render_svg(&c.chart, theme, chart_size(&c.chart, width))
                .map_err(|e| {
                    Error::new(
                        ErrorCode::Internal,
                        format!(
                            "The chart \"{}\" could not be drawn: {e}.",
                            chart_title(&c.chart)
                        ),
                    )
                })?;
            Ok(ShownChart {
                id: c.id.clone(),
                title: chart_title(&c.chart),
                rendered,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(UsageScreen {
        facts: view.facts.clone(),
        charts,
    })
}

/// The last view the screen showed, so re-rendering (theme, resize) and exports use
/// exactly the numbers on screen without asking the platform again.
#[derive(Default)]
pub struct UsageSession {
    last: std::sync::Mutex<Option<UsageView>>,
}

impl UsageSession {
    pub fn remember(&self, view: UsageView) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(view);
    }

    /// Runs `f` on the chart `id` of the last view.
    pub fn with_chart<T>(&self, id: &str, f: impl FnOnce(&UsageChart) -> T) -> Result<T, Error> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let view = last.as_ref().ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                "Load a period first; there is nothing to export yet.",
            )
        })?;
        let chart = view.charts.iter().find(|c| c.id == id).ok_or_else(|| {
            Error::field(
                "chart_id",
                format!("There is no chart \"{id}\" on the screen."),
            )
        })?;
        Ok(f(chart))
    }

    pub fn with_view<T>(&self, f: impl FnOnce(&UsageView) -> T) -> Result<T, Error> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let view = last
            .as_ref()
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "Load a period first."))?;
        Ok(f(view))
    }
}
