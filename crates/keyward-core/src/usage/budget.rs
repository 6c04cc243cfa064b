//! Budget burn-down: how far each top key's budget — tokens (the gateway) or money
//! (OpenRouter, LiteLLM) — is used in its current period, when it runs out at the rate
//! so far, and the charts of it. Pure; the keys, their usage and the money the platform
//! reports are fetched by [`super::remote`]. The charts are in percent of the limit,
//! so token and money budgets of one period share a chart.

use super::charts::{columns, Table, UsageChart};
use crate::charts::{Chart, TimeChart, TimeChartKind, TimeSeries, Unit};
use chrono::{DateTime, Duration, Utc};
use keyward_api::usage::UsageBucket;
use keyward_api::TokenLimitPeriod;
use serde::{Deserialize, Serialize};

/// A key's budget in its current period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BudgetBurn {
    pub key_id: String,
    pub key_name: String,
    pub period: TokenLimitPeriod,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Tokens, or for a money budget millionths of `currency`.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub limit: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub used: i64,
    /// `Some` for a money budget (the platform's own amounts), `None` for tokens.
    pub currency: Option<String>,
    /// When the budget runs out at the average rate so far; `None` if it lasts the period.
    pub runs_out_at: Option<DateTime<Utc>>,
    pub exhausted: bool,
}

/// A budget and what was used in each bucket of its period so far (for the burn-down).
pub(super) struct Budget {
    pub(super) burn: BudgetBurn,
    pub(super) per_bucket: Vec<(DateTime<Utc>, i64)>,
    pub(super) now: DateTime<Utc>,
}

/// Hours for a day's or a week's budget, days for a month's.
pub(super) fn burndown_bucket(period: TokenLimitPeriod) -> UsageBucket {
    match period {
        TokenLimitPeriod::Month => UsageBucket::Day,
        _ => UsageBucket::Hour,
    }
}

/// Burn-down charts drawn per budget period: at most this many keys each.
pub const MAX_BURNDOWN_LINES: usize = 5;

pub(super) fn burn(
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
        currency: None,
        runs_out_at,
        exhausted: used >= limit,
    }
}

/// The budget burn-down: per budget period (day, week, month), one chart of each key's
/// cumulative use as a percentage of its limit, bucket by bucket up to now, then the
/// same rate projected to the end of the period, against the 100 % line. Budgets are
/// calendar periods in UTC (as the gateway enforces them), so these charts are in UTC.
pub(super) fn budget_charts(budgets: &[Budget]) -> Vec<UsageChart> {
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
                    budget
                        .burn
                        .currency
                        .as_ref()
                        .map_or_else(|| "tokens".to_owned(), |c| format!("{c} micros")),
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
                    "used_cumulative",
                    "limit",
                    "unit",
                    "percent_of_limit",
                    "projected",
                ]),
                rows,
            },
        });
    }
    charts
}
