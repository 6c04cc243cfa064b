//! A key's limits per model and on requests in flight, as LiteLLM keeps them.
//!
//! LiteLLM spreads them over three shapes: `max_parallel_requests` is a column,
//! `model_max_budget` (`{model: {budget_limit, time_period}}`) is a column that is an
//! object and never null, and `model_rpm_limit` / `model_tpm_limit` (`{model: n}`) are
//! written into the key's `metadata` (`prepare_metadata_fields`, which drops a `null`
//! one). So the console reads the per-model maps from either place, and clears a map by
//! sending `{}` — a `null` would be ignored and leave the old limits in force — while
//! `max_parallel_requests` is cleared with `null`, as every other column.
//!
//! Each map is compared and sent whole, and only when it differs from the key as read
//! just before: someone else's change to another map survives an edit.

use super::wire::KeyRow;
use super::{budget_duration, money, reset_period};
use crate::keys::{KeyForm, ModelLimitForm};
use crate::platform::capabilities::BudgetPeriod;
use crate::platform::model::{ModelLimit, MoneyBudget};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The three per-model maps in a comparable form: rpm, tpm, and budget as
/// `(micros, period)`, each by model.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Maps {
    pub rpm: BTreeMap<String, u64>,
    pub tpm: BTreeMap<String, u64>,
    pub budget: BTreeMap<String, (i64, Option<BudgetPeriod>)>,
}

impl Maps {
    pub fn of_form(limits: &[ModelLimitForm]) -> Maps {
        let mut maps = Maps::default();
        for limit in limits {
            let model = limit.model.trim().to_owned();
            if let Some(rpm) = limit.rpm {
                maps.rpm.insert(model.clone(), rpm.max(0) as u64);
            }
            if let Some(tpm) = limit.tpm {
                maps.tpm.insert(model.clone(), tpm.max(0) as u64);
            }
            if let Some(budget) = limit.money_budget {
                maps.budget.insert(model, (budget.micros, budget.reset));
            }
        }
        maps
    }

    pub fn of_key(limits: &[ModelLimit]) -> Maps {
        let mut maps = Maps::default();
        for limit in limits {
            if let Some(rpm) = limit.rpm {
                maps.rpm.insert(limit.model.clone(), rpm);
            }
            if let Some(tpm) = limit.tpm {
                maps.tpm.insert(limit.model.clone(), tpm);
            }
            if let Some(budget) = &limit.money_budget {
                maps.budget
                    .insert(limit.model.clone(), (budget.micros, budget.reset));
            }
        }
        maps
    }

    pub fn rpm_wire(&self) -> Value {
        json!(self.rpm)
    }

    pub fn tpm_wire(&self) -> Value {
        json!(self.tpm)
    }

    /// `{model: {budget_limit, time_period}}`, the amount as its exact decimal.
    pub fn budget_wire(&self) -> Value {
        let entries: Map<String, Value> = self
            .budget
            .iter()
            .map(|(model, (micros, period))| {
                let limit = crate::keys::MoneyLimit {
                    micros: *micros,
                    reset: *period,
                };
                let mut entry = Map::new();
                entry.insert("budget_limit".into(), money(&limit));
                if let Some(period) = period {
                    entry.insert("time_period".into(), json!(budget_duration(*period)));
                }
                (model.clone(), Value::Object(entry))
            })
            .collect();
        Value::Object(entries)
    }
}

/// The form's parallel and per-model limits as fields of a generate body (only what is set).
pub(super) fn create_fields(form: &KeyForm, body: &mut Map<String, Value>) {
    let Some(traffic) = &form.traffic_limits else {
        return;
    };
    if let Some(n) = traffic.max_parallel {
        body.insert("max_parallel_requests".into(), json!(n));
    }
    let maps = Maps::of_form(&traffic.per_model);
    if !maps.rpm.is_empty() {
        body.insert("model_rpm_limit".into(), maps.rpm_wire());
    }
    if !maps.tpm.is_empty() {
        body.insert("model_tpm_limit".into(), maps.tpm_wire());
    }
    if !maps.budget.is_empty() {
        body.insert("model_max_budget".into(), maps.budget_wire());
    }
}

/// What of the form's parallel and per-model limits differs from the key as read.
pub(super) fn patch_fields(
    form: &KeyForm,
    current_parallel: Option<u64>,
    current: &[ModelLimit],
    patch: &mut Map<String, Value>,
) {
    // Not shown by the caller: left as the key has them.
    let Some(traffic) = &form.traffic_limits else {
        return;
    };
    if traffic.max_parallel.map(|n| n.max(0) as u64) != current_parallel {
        patch.insert("max_parallel_requests".into(), json!(traffic.max_parallel));
    }
    let wanted = Maps::of_form(&traffic.per_model);
    let have = Maps::of_key(current);
    if wanted.rpm != have.rpm {
        patch.insert("model_rpm_limit".into(), wanted.rpm_wire());
    }
    if wanted.tpm != have.tpm {
        patch.insert("model_tpm_limit".into(), wanted.tpm_wire());
    }
    if wanted.budget != have.budget {
        patch.insert("model_max_budget".into(), wanted.budget_wire());
    }
}

/// A `{model: n}` map from the row's own field, else from its metadata; `None` when
/// an entry is not a whole number (the map is then unreadable).
fn counts(
    field: Option<&Map<String, Value>>,
    metadata: &Map<String, Value>,
    name: &str,
) -> Option<BTreeMap<String, u64>> {
    let map = field.or_else(|| metadata.get(name).and_then(Value::as_object))?;
    map.iter()
        .map(|(model, n)| Some((model.clone(), n.as_u64()?)))
        .collect()
}

fn slot<'a>(merged: &'a mut BTreeMap<String, ModelLimit>, model: &str) -> &'a mut ModelLimit {
    merged
        .entry(model.to_owned())
        .or_insert_with(|| ModelLimit {
            model: model.to_owned(),
            rpm: None,
            tpm: None,
            money_budget: None,
        })
}

/// The key's limits per model, by model name; a map that cannot be read is named in
/// `unreadable` ("model_limits") rather than guessed.
pub(super) fn read(
    row: &KeyRow,
    metadata: &Map<String, Value>,
    unreadable: &mut Vec<String>,
) -> Vec<ModelLimit> {
    let mut broken = false;
    let rpm = counts(row.model_rpm_limit.as_ref(), metadata, "model_rpm_limit");
    let tpm = counts(row.model_tpm_limit.as_ref(), metadata, "model_tpm_limit");
    broken |= rpm.is_none()
        && (row.model_rpm_limit.is_some() || metadata.contains_key("model_rpm_limit"));
    broken |= tpm.is_none()
        && (row.model_tpm_limit.is_some() || metadata.contains_key("model_tpm_limit"));
    let mut merged: BTreeMap<String, ModelLimit> = BTreeMap::new();
    for (model, n) in rpm.unwrap_or_default() {
        slot(&mut merged, &model).rpm = Some(n);
    }
    for (model, n) in tpm.unwrap_or_default() {
        slot(&mut merged, &model).tpm = Some(n);
    }
    for (model, budget) in row.model_max_budget.iter().flatten() {
        let micros = budget
            .get("budget_limit")
            .filter(|v| v.is_number())
            .and_then(|v| crate::platform::money::micros(&v.to_string(), 0));
        let reset = match budget.get("time_period") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(d)) => reset_period(d).map(Some),
            Some(_) => None,
        };
        let (Some(micros), Some(reset)) = (micros, reset) else {
            broken = true;
            continue;
        };
        slot(&mut merged, model).money_budget = Some(MoneyBudget {
            micros,
            currency: "USD".to_owned(),
            reset,
        });
    }
    if broken {
        unreadable.push("model_limits".to_owned());
    }
    merged.into_values().collect()
}
