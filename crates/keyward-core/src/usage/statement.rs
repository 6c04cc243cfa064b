//! The monthly statement finance hands on: per key × model, the month's requests,
//! tokens and spend, then one total line per currency (and one for unpriced models).

use super::charts::{columns, Table};
use super::spend::Totals;
use crate::prices::{format_micros, Price};
use keyward_api::usage::{UsageReport, UsageRow};
use std::collections::{BTreeMap, HashMap};

pub(super) fn statement_table(
    report: &UsageReport,
    prices: &HashMap<String, Price>,
    month: &str,
) -> Table {
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
