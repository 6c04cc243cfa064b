//! The analysis of one period: the platform's rollups folded into display buckets,
//! totals against the previous period, top keys and models, spikes — everything the
//! screen shows except the drawing. Pure: [`super::remote`] fetches, this computes, so
//! it is tested with hand-written reports.

use super::budget::{budget_charts, Budget, BudgetBurn};
use super::charts::UsageChart;
use super::period::{bucket_index, bucket_starts, Period, SpendBy, UsageRequest};
use super::spend::{change, Change, Money, Spend, Totals};
use super::{SPIKE_FACTOR, SPIKE_MIN_HISTORY, SPIKE_MIN_TOKENS, SPIKE_WINDOW, TOP_N};
use crate::platform::capabilities::SpendSource;
use crate::platform::model::ReportedCost;
use crate::prices::Price;
use chrono::{DateTime, Utc};
use keyward_api::usage::{UsageBucket, UsageReport, UsageRow};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

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

/// A bucket flagged as a spike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Spike {
    pub bucket: DateTime<Utc>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub tokens: i64,
    pub baseline: f64,
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
    /// Where the money figures come from: reported by the platform (shown as
    /// reported), or tokens × the console's price table (labelled as computed).
    pub spend_source: SpendSource,
    /// What the money figures cannot show on this platform, in one sentence
    /// ("OpenAI reports spend per key and day, not per model …").
    pub spend_note: Option<String>,
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
    /// What was asked for: the exports say which period and filters they show.
    pub request: UsageRequest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyName {
    pub id: String,
    pub name: String,
}

/// Money the platform reported for the period and the one before (see
/// [`crate::Platform::reported_costs`]): used instead of the price table.
#[derive(Debug, Clone, Default)]
pub struct ReportedSpend {
    pub platform: String,
    /// The platform attributes its costs to keys (OpenAI); else per workspace or line
    /// only (Anthropic), and the key tables show tokens.
    pub per_key: bool,
    pub current: Vec<ReportedCost>,
    pub previous: Vec<ReportedCost>,
}

impl ReportedSpend {
    fn sum(costs: &[ReportedCost]) -> Spend {
        let mut spend = Spend::default();
        for cost in costs {
            *spend.by_currency.entry(cost.currency.clone()).or_default() += cost.amount_micros;
        }
        spend
    }

    /// Reported spend per key, in `currency`.
    pub(super) fn per_key(&self, currency: &str) -> BTreeMap<&str, i64> {
        let mut per_key = BTreeMap::new();
        for cost in self.current.iter().filter(|c| c.currency == currency) {
            if let Some(key) = cost.key_id.as_deref() {
                *per_key.entry(key).or_default() += cost.amount_micros;
            }
        }
        per_key
    }
}

pub(super) struct Analysis<'a> {
    pub(super) period: &'a Period,
    /// Money as the platform reported it, where it does; else `None` and the price
    /// table prices the tokens.
    pub(super) reported: Option<&'a ReportedSpend>,
    pub(super) prices: &'a HashMap<String, Price>,
    pub(super) buckets: Vec<DateTime<Utc>>,
    /// Per display bucket.
    pub(super) per_bucket: Vec<Totals>,
    /// Per model, per display bucket.
    pub(super) per_model: BTreeMap<String, Vec<Totals>>,
    pub(super) totals: &'a UsageReport,
    pub(super) current: Totals,
    pub(super) previous: Totals,
    pub(super) spend: Spend,
    pub(super) previous_spend: Spend,
    pub(super) currency: Option<String>,
}

impl<'a> Analysis<'a> {
    pub(super) fn new(
        period: &'a Period,
        prices: &'a HashMap<String, Price>,
        series: &UsageReport,
        totals: &'a UsageReport,
        previous: &UsageReport,
        reported: Option<&'a ReportedSpend>,
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
        if let Some(reported) = reported {
            spend = ReportedSpend::sum(&reported.current);
            previous_spend = ReportedSpend::sum(&reported.previous);
        }
        let currency = spend
            .by_currency
            .iter()
            .max_by_key(|(_, micros)| **micros)
            .map(|(c, _)| c.clone())
            .or_else(|| prices.values().next().map(|p| p.currency.clone()));
        Self {
            period,
            reported,
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

    pub(super) fn summary(&self) -> Summary {
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

    pub(super) fn key_name(&self, id: &str) -> String {
        self.totals
            .keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.name.clone())
            .unwrap_or_else(|| id.to_owned())
    }

    /// Per-key totals over the period, by spend then tokens, all of them.
    pub(super) fn top_keys(&self) -> Vec<TopRow> {
        let mut rows = self.top_by(
            |row| row.key_id.clone().unwrap_or_default(),
            |id| self.key_name(id),
        );
        if let Some(reported) = self.reported {
            // The platform's own amounts per key, not tokens × prices.
            let main = self.currency.clone().unwrap_or_default();
            let per_key = reported.per_key(&main);
            for row in &mut rows {
                row.spend = per_key.get(row.id.as_str()).map(|m| Money::new(&main, *m));
                row.unpriced_tokens = 0;
            }
            sort_top(&mut rows);
        }
        rows
    }

    pub(super) fn top_models(&self) -> Vec<TopRow> {
        let mut rows = self.top_by(
            |row| row.model.clone().unwrap_or_default(),
            |m| m.to_owned(),
        );
        if self.reported.is_some() {
            // Reported money is per key and day; per model there is none to show.
            for row in &mut rows {
                row.spend = None;
                row.unpriced_tokens = 0;
            }
            sort_top(&mut rows);
        }
        rows
    }

    /// Where the money comes from, and what it cannot show, for the screen.
    fn spend_source(&self) -> (SpendSource, Option<String>) {
        match self.reported {
            Some(reported) => (
                SpendSource::Reported,
                Some(format!(
                    "Spend as {} reports it: {}, not per model (the model table shows tokens only){}.",
                    reported.platform,
                    if reported.per_key {
                        "per key and UTC day"
                    } else {
                        "per UTC day and workspace, not per key (the key table shows tokens only)"
                    },
                    if self.period.bucket == UsageBucket::Day {
                        ""
                    } else {
                        "; choose day buckets to chart it over time"
                    }
                )),
            ),
            None => (SpendSource::Computed, None),
        }
    }

    pub(super) fn top_by(
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
        sort_top(&mut rows);
        rows
    }

    pub(super) fn spikes(&self) -> Vec<usize> {
        let tokens: Vec<f64> = self.per_bucket.iter().map(|t| t.tokens() as f64).collect();
        find_spikes(&tokens)
    }

    pub(super) fn view(
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
            .filter(|m| self.reported.is_none() && !self.prices.contains_key(&m.id))
            .map(|m| m.id.clone())
            .collect();
        let (spend_source, spend_note) = self.spend_source();
        let mut charts = vec![
            self.tokens_chart(&spikes),
            self.count_chart("requests", "Requests", "requests", |t| t.requests, &spikes),
            self.count_chart("errors", "Errors", "errors", |t| t.errors, &spikes),
        ];
        match (self.reported, self.currency.is_some()) {
            (Some(reported), true) if self.period.bucket == UsageBucket::Day => {
                charts.push(self.reported_spend_chart(reported, &top_keys, &spikes));
            }
            (Some(_), _) | (None, false) => {}
            (None, true) => charts.push(match (request.spend_by, by_key_series) {
                (SpendBy::Key, Some(series)) => self.spend_by_key_chart(series, &top_keys, &spikes),
                _ => self.spend_by_model_chart(&spikes),
            }),
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
                spend_source,
                spend_note,
                budgets: budgets.into_iter().map(|b| b.burn).collect(),
            },
            charts,
            request: request.clone(),
        }
    }
}

/// By spend, then tokens, then name.
fn sort_top(rows: &mut [TopRow]) {
    rows.sort_by(|a, b| {
        let spend = |r: &TopRow| r.spend.as_ref().map_or(0, |m| m.micros);
        spend(b)
            .cmp(&spend(a))
            .then(b.totals.tokens().cmp(&a.totals.tokens()))
            .then(a.name.cmp(&b.name))
    });
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
pub(super) fn baseline(tokens: &[f64], i: usize) -> f64 {
    let mut window: Vec<f64> = tokens[i.saturating_sub(SPIKE_WINDOW)..i].to_vec();
    if window.is_empty() {
        return 0.0;
    }
    window.sort_by(|a, b| a.total_cmp(b));
    let mid = window.len() / 2;
    if window.len().is_multiple_of(2) {
        (window[mid - 1] + window[mid]) / 2.0
    } else {
        window[mid]
    }
}
