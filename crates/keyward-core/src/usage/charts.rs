//! The chart data of the Usage & Spend screen: each chart with the [`Table`] behind it
//! (what CSV export writes), built from an [`Analysis`]. Drawing is
//! [`crate::charts`]'s; this decides what is plotted.

use super::analysis::{Analysis, TopRow};
use super::period::bucket_index;
use super::spend::{Spend, Totals};
use super::{MAX_STACKED, TOP_N};
use crate::charts::{Bar, BarChart, Chart, TimeChart, TimeChartKind, TimeSeries, Unit};
use crate::prices::format_micros;
use chrono::{DateTime, Utc};
use keyward_api::usage::UsageReport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

impl Analysis<'_> {
    pub(super) fn time_chart(
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

    pub(super) fn bucket_text(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.period.zone).to_rfc3339()
    }

    pub(super) fn tokens_chart(&self, spikes: &[usize]) -> UsageChart {
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

    pub(super) fn count_chart(
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
    pub(super) fn bucket_table(&self) -> Table {
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

    pub(super) fn spend_by_model_chart(&self, spikes: &[usize]) -> UsageChart {
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

    pub(super) fn spend_by_key_chart(
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

    /// Reported spend per day, stacked by the top keys, as the platform reported it
    /// (day buckets only: the platform reports whole UTC days).
    pub(super) fn reported_spend_chart(
        &self,
        reported: &super::analysis::ReportedSpend,
        top_keys: &[TopRow],
        spikes: &[usize],
    ) -> UsageChart {
        let main = self.currency.clone().unwrap_or_default();
        let shown: Vec<&TopRow> = top_keys.iter().take(MAX_STACKED).collect();
        let mut per_key: BTreeMap<&str, Vec<i64>> = shown
            .iter()
            .map(|k| (k.id.as_str(), vec![0; self.buckets.len()]))
            .collect();
        let mut other = vec![0i64; self.buckets.len()];
        let mut rows = Vec::new();
        for cost in &reported.current {
            let Some(i) = bucket_index(&self.buckets, cost.day) else {
                continue;
            };
            if cost.currency == main {
                match cost.key_id.as_deref().and_then(|k| per_key.get_mut(k)) {
                    Some(values) => values[i] += cost.amount_micros,
                    None => other[i] += cost.amount_micros,
                }
            }
            rows.push(vec![
                cost.day.format("%Y-%m-%d").to_string(),
                cost.key_id.clone().unwrap_or_default(),
                cost.key_id
                    .as_deref()
                    .map(|k| self.key_name(k))
                    .unwrap_or_default(),
                cost.project.clone().unwrap_or_default(),
                cost.line_item.clone().unwrap_or_default(),
                format_micros(cost.amount_micros),
                cost.currency.clone(),
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
        if other.iter().any(|m| *m != 0) {
            series.push(TimeSeries {
                name: if reported.per_key {
                    "Other keys and charges".to_owned()
                } else {
                    format!("Charged by {}", reported.platform)
                },
                values: other.iter().map(|m| Some(*m as f64 / 1e6)).collect(),
            });
        }
        UsageChart {
            id: "spend".into(),
            chart: self.time_chart(
                &format!("Spend reported by {} ({main})", reported.platform),
                Unit::Currency { code: main.clone() },
                TimeChartKind::StackedBars,
                series,
                spikes,
            ),
            table: Table {
                columns: columns(&[
                    "day_utc",
                    "key_id",
                    "key_name",
                    "project",
                    "line_item",
                    "reported_spend",
                    "currency",
                ]),
                rows,
            },
        }
    }

    pub(super) fn top_charts(&self, top_keys: &[TopRow], top_models: &[TopRow]) -> Vec<UsageChart> {
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
        // The exact spend: a sub-cent spend is a short bar, not none (issue #15).
        let spend_value = |r: &TopRow| r.spend.as_ref().map_or(0.0, |m| m.micros as f64 / 1e6);
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

/// A table's header row.
pub(super) fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// A CSV document of `table` (the formula guard is [`keyward_api::csv::document`]'s:
/// key names come from users).
pub fn to_csv(table: &Table) -> String {
    keyward_api::csv::document(&table.columns, &table.rows)
}
