//! The Keys workspace's logic: the create/edit form, the list query, bulk revoke, and
//! the leaked-key search across every profile.
//!
//! Why a form type rather than the gateway's request types: the UI always sends the
//! whole desired state of a key (what the dialog shows), and Rust validates it with
//! the gateway's own rules (`KeySpec`) before any request, so errors name the field
//! without a round trip. An edit becomes a PATCH of exactly the fields that changed,
//! so a concurrent change to another field is never overwritten.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use keyward_api::scope::{Labels, TokenLimitPeriod, WorkloadScope};
use keyward_api::{CreateKeyRequest, InferenceKey, KeySpec, UpdateKeyRequest};
use serde::{Deserialize, Serialize};

use crate::platform::capabilities::{Capabilities, Support};
use crate::platform::model::{Key, KeyPage, KeyState};
use crate::Error;

/// When a key expires, as the dialog offers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expiry {
    /// Edit only: leave the expiry as it is.
    Keep,
    Never,
    /// At this instant: an RFC 3339 date-time (the console sends the chosen day's
    /// local midnight, as every time on screen is local), or `YYYY-MM-DD` for 00:00
    /// UTC of that day.
    Date {
        date: String,
    },
    /// This many days from now.
    InDays {
        #[cfg_attr(feature = "specta", specta(type = f64))]
        days: i64,
    },
}

/// The whole desired state of a key, as the create and edit dialogs hold it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyForm {
    pub name: String,
    pub description: String,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub rpm: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub tpm: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub token_limit: Option<i64>,
    pub token_limit_period: Option<TokenLimitPeriod>,
    /// `None` = every model the project serves.
    pub allowed_models: Option<Vec<String>>,
    #[cfg_attr(feature = "specta", specta(type = keyward_api::scope::WorkloadScopeWire))]
    pub workloads: WorkloadScope,
    pub labels: Labels,
    pub expiry: Expiry,
    /// The project a new key is made in, where a profile spans projects (OpenAI);
    /// ignored where a profile is one project.
    #[serde(default)]
    pub project: Option<String>,
    /// A money budget (USD), exact, where the platform has one (OpenRouter, LiteLLM);
    /// `None` = no budget. Checked by [`crate::key_draft::KeyDraft::check`].
    #[serde(default)]
    pub money_budget: Option<MoneyLimit>,
    /// Parallel and per-model limits, where the platform has them (LiteLLM); `None` =
    /// leave them as the key has them (a caller that does not know them never clears
    /// what someone else set).
    #[serde(default)]
    pub traffic_limits: Option<TrafficLimits>,
}

/// A key's limits on requests in flight and per model, as one whole desired state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrafficLimits {
    /// Requests the key may have in flight at once; `None` = no limit.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub max_parallel: Option<i64>,
    /// Limits on one model's traffic, a model once each; empty = none.
    pub per_model: Vec<ModelLimitForm>,
}

/// One row of the form's per-model limits: at least one of its limits set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelLimitForm {
    pub model: String,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub rpm: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub tpm: Option<i64>,
    /// Money on this model, exact, with the period it resets on.
    pub money_budget: Option<MoneyLimit>,
}

impl KeyForm {
    /// Refuses, naming the field, the first scope the form sets that the platform's
    /// keys do not have — rather than make a key without the limit a person asked for.
    /// Every adapter calls this before sending anything; the sentence is the
    /// capabilities' own, saying what the platform offers instead.
    pub fn refuse_unsupported(&self, capabilities: &Capabilities) -> Result<(), Error> {
        let scopes = &capabilities.scopes;
        let sets_workloads =
            matches!(&self.workloads, WorkloadScope::Only(slugs) if !slugs.is_empty());
        let traffic = self.traffic_limits.clone().unwrap_or_default();
        let checks: [(&str, bool, &Support); 11] = [
            ("rpm", self.rpm.is_some(), &scopes.rpm),
            ("tpm", self.tpm.is_some(), &scopes.tpm),
            (
                "token_limit",
                self.token_limit.is_some(),
                &scopes.token_budget,
            ),
            (
                "money_limit",
                self.money_budget.is_some(),
                &scopes.money_budget,
            ),
            (
                "allowed_models",
                self.allowed_models.as_ref().is_some_and(|m| !m.is_empty()),
                &scopes.model_allowlist,
            ),
            (
                "expiry",
                matches!(self.expiry, Expiry::Date { .. } | Expiry::InDays { .. }),
                &scopes.expiry,
            ),
            ("workloads", sets_workloads, &scopes.workloads),
            ("labels", !self.labels.is_empty(), &scopes.labels),
            (
                "description",
                !self.description.trim().is_empty(),
                &scopes.description,
            ),
            (
                "max_parallel",
                traffic.max_parallel.is_some(),
                &scopes.max_parallel,
            ),
            (
                "model_limits",
                !traffic.per_model.is_empty(),
                &scopes.model_limits,
            ),
        ];
        for (field, set, support) in checks {
            if set && !support.supported {
                let sentence = support.instead.clone().unwrap_or_else(|| {
                    format!("{} keys do not have this limit.", capabilities.platform)
                });
                return Err(Error::field(field, sentence));
            }
        }
        let reset = self.money_budget.and_then(|m| m.reset);
        if reset.is_some_and(|reset| !scopes.money_budget_resets.contains(&reset)) {
            return Err(Error::field(
                "money_reset",
                format!(
                    "{} does not reset a budget on that schedule.",
                    capabilities.platform
                ),
            ));
        }
        for (row, limit) in traffic.per_model.iter().enumerate() {
            let reset = limit.money_budget.map(|m| m.reset);
            if reset.is_some_and(|r| r.is_none_or(|r| !scopes.money_budget_resets.contains(&r))) {
                return Err(Error::field(
                    &format!("model_limits.{row}.period"),
                    format!(
                        "{} resets a model's budget on a schedule: choose one it offers.",
                        capabilities.platform
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The form's limits on parallel requests and per model by the rules every platform
    /// shares, each problem as `(field, sentence)`; the model rows' fields are
    /// `model_limits.<row>.<model|rpm|tpm|budget>` so the dialog can put each under its cell.
    pub fn model_limit_problems(&self) -> Vec<(String, String)> {
        match &self.traffic_limits {
            Some(traffic) => model_limit_problems(
                traffic.max_parallel,
                self.allowed_models.as_deref(),
                &traffic.per_model,
            ),
            None => Vec::new(),
        }
    }
}

/// [`KeyForm::model_limit_problems`] of the parts, for the draft that has no form yet.
pub fn model_limit_problems(
    max_parallel: Option<i64>,
    allowed_models: Option<&[String]>,
    model_limits: &[ModelLimitForm],
) -> Vec<(String, String)> {
    {
        let mut problems = Vec::new();
        if max_parallel.is_some_and(|n| !(1..=MAX_PARALLEL).contains(&n)) {
            problems.push((
                "max_parallel".to_owned(),
                format!("Parallel requests must be a whole number from 1 to {MAX_PARALLEL}, or empty for no limit."),
            ));
        }
        let allowed: Option<Vec<&str>> = allowed_models
            .filter(|m| !m.is_empty())
            .map(|m| m.iter().map(|m| m.trim()).collect());
        let mut seen = std::collections::BTreeSet::new();
        for (row, limit) in model_limits.iter().enumerate() {
            let field = |col: &str| format!("model_limits.{row}.{col}");
            let model = limit.model.trim();
            if model.is_empty() {
                problems.push((
                    field("model"),
                    "Name the model this limit is for.".to_owned(),
                ));
            } else if model.chars().count() > 200 || model.chars().any(char::is_control) {
                problems.push((
                    field("model"),
                    "A model name is at most 200 characters, without control characters."
                        .to_owned(),
                ));
            } else if !seen.insert(model) {
                problems.push((
                    field("model"),
                    format!("“{model}” has limits twice: keep one row per model."),
                ));
            } else if allowed.as_ref().is_some_and(|a| !a.contains(&model)) {
                problems.push((
                    field("model"),
                    format!("“{model}” is not among the key's allowed models: add it there, or limit one of them."),
                ));
            }
            for (col, value) in [("rpm", limit.rpm), ("tpm", limit.tpm)] {
                if value.is_some_and(|v| !(1..=keyward_api::scope::MAX_LIMIT).contains(&v)) {
                    problems.push((
                        field(col),
                        "Enter a number from 1 to 1,000,000,000,000, or leave it empty for no limit.".to_owned(),
                    ));
                }
            }
            if let Some(budget) = limit.money_budget {
                if budget.micros < 0 {
                    problems.push((field("budget"), "A budget cannot be negative.".to_owned()));
                }
                if budget.reset.is_none() {
                    problems.push((
                        field("period"),
                        "Choose the period the model's budget resets on.".to_owned(),
                    ));
                }
            }
            if limit.rpm.is_none() && limit.tpm.is_none() && limit.money_budget.is_none() {
                problems.push((
                    field("model"),
                    format!("Set an rpm, tpm or budget for “{model}”, or remove the row."),
                ));
            }
        }
        problems
    }
}

/// The most requests in flight a key may be given.
pub const MAX_PARALLEL: i64 = 1_000_000;

/// A money budget as a form sends it: the amount in millionths of a dollar (exact,
/// the price table's unit) and when the platform resets it (`None`: for the key's life).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MoneyLimit {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub micros: i64,
    pub reset: Option<crate::platform::capabilities::BudgetPeriod>,
}

impl MoneyLimit {
    /// The amount as decimal text with the fewest digits that say it ("12.5").
    pub fn decimal(&self) -> String {
        crate::platform::money::decimal(self.micros)
    }
}

fn field_error(e: keyward_api::FieldError) -> Error {
    Error::field(e.field, e.message)
}

impl KeyForm {
    fn expires_at(&self, now: DateTime<Utc>) -> Result<Option<Option<String>>, Error> {
        Ok(match &self.expiry {
            Expiry::Keep => None,
            Expiry::Never => Some(None),
            Expiry::Date { date } => {
                let date = date.trim();
                if let Ok(at) = DateTime::parse_from_rfc3339(date) {
                    return Ok(Some(Some(at.with_timezone(&Utc).to_rfc3339())));
                }
                let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                    Error::field(
                        "expires_at",
                        "The expiry date must be a date like 2027-01-31.",
                    )
                })?;
                Some(Some(day.format("%Y-%m-%d").to_string()))
            }
            Expiry::InDays { days } => {
                if !(1..=3650).contains(days) {
                    return Err(Error::field(
                        "expires_at",
                        "The expiry must be 1 to 3650 days from now.",
                    ));
                }
                Some(Some((now + Duration::days(*days)).to_rfc3339()))
            }
        })
    }

    /// The create request, validated here with the gateway's rules first.
    pub fn to_create(&self, now: DateTime<Utc>) -> Result<CreateKeyRequest, Error> {
        if self.expiry == Expiry::Keep {
            return Err(Error::field(
                "expires_at",
                "Choose when the new key expires.",
            ));
        }
        let request = CreateKeyRequest {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            rpm: self.rpm,
            tpm: self.tpm,
            token_limit: self.token_limit,
            token_limit_period: self.token_limit_period,
            allowed_models: self.allowed_models.clone(),
            expires_at: self.expires_at(now)?.flatten(),
            workloads: Some(self.workloads.clone()),
            labels: Some(self.labels.clone()),
        };
        KeySpec::from_create(request.clone(), now).map_err(field_error)?;
        Ok(request)
    }

    /// A PATCH holding only what differs from `current`; `None` when nothing does.
    pub fn to_update(
        &self,
        current: &InferenceKey,
        now: DateTime<Utc>,
    ) -> Result<Option<UpdateKeyRequest>, Error> {
        let mut patch = UpdateKeyRequest::default();
        let name = self.name.trim();
        if name != current.name {
            patch.name = Some(name.to_owned());
        }
        if self.description != current.description {
            patch.description = Some(self.description.clone());
        }
        if self.rpm != current.rpm {
            patch.rpm = Some(self.rpm);
        }
        if self.tpm != current.tpm {
            patch.tpm = Some(self.tpm);
        }
        if self.token_limit != current.token_limit {
            patch.token_limit = Some(self.token_limit);
        }
        if self.token_limit_period != current.token_limit_period {
            patch.token_limit_period = Some(self.token_limit_period);
        }
        if self.allowed_models != current.allowed_models {
            patch.allowed_models = Some(self.allowed_models.clone());
        }
        if self.workloads != current.workloads {
            patch.workloads = Some(self.workloads.clone());
        }
        if self.labels != current.labels {
            patch.labels = Some(self.labels.clone());
        }
        patch.expires_at = self.expires_at(now)?;
        // Validate the result as the gateway will, so errors name the field first.
        let spec = KeySpec {
            name: current.name.clone(),
            description: current.description.clone(),
            rpm: current.rpm,
            tpm: current.tpm,
            token_limit: current.token_limit,
            token_limit_period: current.token_limit_period,
            allowed_models: current.allowed_models.clone(),
            workloads: current.workloads.clone(),
            labels: current.labels.clone(),
            expires_at: current.expires_at,
        };
        spec.with_update(patch.clone(), now).map_err(field_error)?;
        let empty = serde_json::to_value(&patch)
            .map(|v| v.as_object().is_some_and(|o| o.is_empty()))
            .unwrap_or(false);
        Ok((!empty).then_some(patch))
    }
}

/// The list query as the Keys screen sends it; every filter optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `disabled` only where the platform can pause keys (`capabilities.keys.disable`).
    pub status: Option<KeyState>,
    /// Include archived keys when no status is chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_archived: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// `key` or `key=value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub expiring_within_days: Option<i64>,
    /// `created_at` (default), `last_used_at` or `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<KeySort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub offset: Option<i64>,
    /// Only this project's keys, where a profile spans projects (an OpenAI organisation,
    /// Anthropic workspaces); ignored where a profile is one project (Keyward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum KeySort {
    CreatedAt,
    LastUsedAt,
    Name,
}

impl KeyListQuery {
    /// The gateway's query string pairs, checked here so a bad value names its field.
    pub fn to_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let mut pairs = Vec::new();
        if let Some(status) = self.status {
            pairs.push(("status", status.as_str().to_owned()));
        } else if self.include_archived == Some(true) {
            pairs.push(("include", "archived".to_owned()));
        }
        let text = |field: &'static str, value: &Option<String>, pairs: &mut Vec<_>| {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                if v.chars().count() > 200 || v.chars().any(char::is_control) {
                    return Err(Error::field(
                        field,
                        format!(
                            "{field} must be at most 200 characters, without control characters."
                        ),
                    ));
                }
                pairs.push((field, v.to_owned()));
            }
            Ok(())
        };
        text("q", &self.q, &mut pairs)?;
        text("model", &self.model, &mut pairs)?;
        text("workload", &self.workload, &mut pairs)?;
        text("label", &self.label, &mut pairs)?;
        if let Some(days) = self.expiring_within_days {
            if !(1..=3650).contains(&days) {
                return Err(Error::field(
                    "expiring_within_days",
                    "Expiring within must be 1 to 3650 days.",
                ));
            }
            pairs.push(("expiring_within_days", days.to_string()));
        }
        if let Some(sort) = self.sort {
            let sort = match sort {
                KeySort::CreatedAt => "created_at",
                KeySort::LastUsedAt => "last_used_at",
                KeySort::Name => "name",
            };
            pairs.push(("sort", sort.to_owned()));
        }
        let limit = self.limit.unwrap_or(200);
        if !(1..=200).contains(&limit) {
            return Err(Error::field("limit", "limit must be 1 to 200."));
        }
        pairs.push(("limit", limit.to_string()));
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(Error::field("offset", "offset must be 0 or more."));
        }
        pairs.push(("offset", offset.to_string()));
        Ok(pairs)
    }

    /// The query applied in memory to a platform's whole inventory, for platforms whose
    /// API cannot filter, search or sort keys (OpenAI, Anthropic): the same meaning as
    /// the gateway's query, with the same checks, so the Keys screen behaves alike on
    /// every platform.
    pub fn select(&self, keys: Vec<Key>, now: DateTime<Utc>) -> Result<KeyPage, Error> {
        let pairs = self.to_pairs()?;
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        let limit: usize = value("limit").and_then(|v| v.parse().ok()).unwrap_or(200);
        let offset: usize = value("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
        let q = value("q").map(str::to_lowercase);
        let label = value("label").map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (l.to_owned(), None),
        });
        let expiring_before = self
            .expiring_within_days
            .map(|days| now + Duration::days(days));
        let project = self.project.as_deref().filter(|p| !p.is_empty());
        let mut selected: Vec<Key> = keys
            .into_iter()
            .filter(|key| match self.status {
                Some(status) => key.state == status,
                None => self.include_archived == Some(true) || key.state != KeyState::Archived,
            })
            .filter(|key| project.is_none_or(|p| key.project.as_deref() == Some(p)))
            .filter(|key| {
                q.as_deref().is_none_or(|q| {
                    [
                        Some(&key.name),
                        Some(&key.id),
                        key.hint.as_ref(),
                        key.owner.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|text| text.to_lowercase().contains(q))
                })
            })
            .filter(|key| {
                value("model").is_none_or(|m| {
                    key.scopes
                        .models
                        .as_ref()
                        .is_none_or(|models| models.iter().any(|x| x == m))
                })
            })
            .filter(|key| {
                value("workload").is_none_or(|w| {
                    key.scopes
                        .workloads
                        .as_ref()
                        .is_none_or(|slugs| slugs.iter().any(|x| x == w))
                })
            })
            .filter(|key| {
                label
                    .as_ref()
                    .is_none_or(|(k, v)| match (key.scopes.labels.get(k), v) {
                        (Some(have), Some(want)) => have == want,
                        (Some(_), None) => true,
                        (None, _) => false,
                    })
            })
            .filter(|key| {
                expiring_before
                    .is_none_or(|before| key.expires_at.is_some_and(|at| at > now && at <= before))
            })
            .collect();
        match self.sort.unwrap_or(KeySort::CreatedAt) {
            KeySort::CreatedAt => selected.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then_with(|| a.id.cmp(&b.id))
            }),
            // Never-used keys last, as the gateway sorts them.
            KeySort::LastUsedAt => selected.sort_by(|a, b| {
                b.last_used_at
                    .cmp(&a.last_used_at)
                    .then_with(|| a.id.cmp(&b.id))
            }),
            KeySort::Name => selected.sort_by(|a, b| {
                a.name
                    .to_lowercase()
                    .cmp(&b.name.to_lowercase())
                    .then_with(|| a.id.cmp(&b.id))
            }),
        }
        let total = selected.len() as u64;
        Ok(KeyPage {
            keys: selected.into_iter().skip(offset).take(limit).collect(),
            total: Some(total),
        })
    }
}

/// Key ids come from the UI: 1–128 letters, digits, `_` or `-`.
/// A key id as the console passes it around: the platform's id, or, where a platform
/// addresses keys within a project (OpenAI), `project.key` — hence `.` besides the
/// characters every platform's ids use.
pub fn validate_key_id(key_id: &str) -> Result<(), Error> {
    let ok = !key_id.is_empty()
        && key_id.len() <= 160
        && key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::field(
            "key_id",
            "key_id must be 1–160 letters, digits, '_', '-' or '.'.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, name: &str, state: KeyState, created: i64, used: Option<i64>) -> Key {
        let at = |s: i64| DateTime::from_timestamp(s, 0);
        Key {
            id: id.into(),
            name: name.into(),
            hint: Some(format!("sk-…{id}")),
            state,
            scopes: Default::default(),
            created_at: at(created),
            updated_at: None,
            last_used_at: used.and_then(at),
            expires_at: None,
            owner: Some("Ada".into()),
            project: Some(if created % 2 == 0 { "p1" } else { "p2" }.into()),
            revoked_at: None,
            archived_at: None,
            totals: None,
            unreadable_scopes: Vec::new(),
            money_used: None,
            guardrail: None,
            steps: Vec::new(),
        }
    }

    /// A scope the platform's keys do not have is refused naming its field, with the
    /// platform's sentence — before anything is sent; a budget reset the platform does
    /// not offer likewise. What the platform has passes.
    #[test]
    fn a_scope_the_platform_lacks_is_refused_naming_the_field() {
        use crate::platform::capabilities::BudgetPeriod;
        let openai = crate::platform::openai::capabilities();
        let mut f = form();
        let error = f.refuse_unsupported(&openai).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("rpm"));
        assert_eq!(Some(error.message), openai.scopes.rpm.instead);
        f.rpm = None;
        f.money_budget = Some(MoneyLimit {
            micros: 50_000_000,
            reset: None,
        });
        let keyward = crate::platform::keyward::capabilities();
        let error = f.refuse_unsupported(&keyward).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("money_limit"));
        assert!(
            error.message.contains("budgets tokens"),
            "{}",
            error.message
        );
        f.money_budget = None;
        assert!(f.refuse_unsupported(&keyward).is_ok());
        let mut budgeting = keyward.clone();
        budgeting.scopes.money_budget = Support::yes();
        budgeting.scopes.money_budget_resets = vec![BudgetPeriod::Day, BudgetPeriod::Month];
        f.money_budget = Some(MoneyLimit {
            micros: 1,
            reset: Some(BudgetPeriod::Week),
        });
        assert_eq!(
            f.refuse_unsupported(&budgeting)
                .unwrap_err()
                .field
                .as_deref(),
            Some("money_reset")
        );
        f.money_budget = Some(MoneyLimit {
            micros: 1,
            reset: Some(BudgetPeriod::Month),
        });
        assert!(f.refuse_unsupported(&budgeting).is_ok());
        assert_eq!(
            MoneyLimit {
                micros: 12_500_000,
                reset: None
            }
            .decimal(),
            "12.5"
        );
        assert_eq!(
            MoneyLimit {
                micros: 7,
                reset: None
            }
            .decimal(),
            "0.000007"
        );
    }

    /// Parallel and per-model limits are refused by field where the platform's keys lack
    /// them (with its sentence), and a model budget must reset on one of its periods.
    #[test]
    fn parallel_and_model_limits_are_refused_where_the_platform_lacks_them() {
        use crate::platform::capabilities::BudgetPeriod;
        let openrouter = crate::platform::openrouter::capabilities();
        let litellm = crate::platform::litellm::capabilities();
        let mut f = form();
        f.rpm = None;
        f.traffic_limits = Some(TrafficLimits::default());
        assert!(f.refuse_unsupported(&openrouter).is_ok(), "nothing set");
        f.traffic_limits = Some(TrafficLimits {
            max_parallel: Some(2),
            per_model: Vec::new(),
        });
        let error = f.refuse_unsupported(&openrouter).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("max_parallel"));
        assert_eq!(Some(error.message), openrouter.scopes.max_parallel.instead);
        let limit = |reset| ModelLimitForm {
            model: "gpt-4o".into(),
            rpm: None,
            tpm: None,
            money_budget: Some(MoneyLimit { micros: 1, reset }),
        };
        f.traffic_limits = Some(TrafficLimits {
            max_parallel: None,
            per_model: vec![limit(Some(BudgetPeriod::Day))],
        });
        assert_eq!(
            f.refuse_unsupported(&openrouter)
                .unwrap_err()
                .field
                .as_deref(),
            Some("model_limits")
        );
        assert!(f.refuse_unsupported(&litellm).is_ok());
        f.traffic_limits = Some(TrafficLimits {
            max_parallel: None,
            per_model: vec![limit(None)],
        });
        assert_eq!(
            f.refuse_unsupported(&litellm).unwrap_err().field.as_deref(),
            Some("model_limits.0.period")
        );
    }

    /// An inventory filtered in memory means what the gateway's query means: archived
    /// hidden unless asked for, search over name/id/hint/owner, the three sorts with
    /// never-used keys last, the project filter, paging with the total, and the same
    /// field errors.
    #[test]
    fn select_applies_the_gateway_query_to_an_inventory() {
        let keys = vec![
            key("k1", "beta", KeyState::Active, 10, Some(50)),
            key("k2", "Alpha", KeyState::Disabled, 11, None),
            key("k3", "gamma", KeyState::Archived, 12, Some(60)),
            key("k4", "delta", KeyState::Revoked, 13, Some(40)),
        ];
        let now = Utc::now();
        let ids = |q: KeyListQuery| -> Vec<String> {
            q.select(keys.clone(), now)
                .unwrap()
                .keys
                .into_iter()
                .map(|k| k.id)
                .collect()
        };
        assert_eq!(
            ids(KeyListQuery::default()),
            ["k4", "k2", "k1"],
            "newest first, archived hidden"
        );
        assert_eq!(
            ids(KeyListQuery {
                include_archived: Some(true),
                ..Default::default()
            }),
            ["k4", "k3", "k2", "k1"]
        );
        assert_eq!(
            ids(KeyListQuery {
                status: Some(KeyState::Disabled),
                ..Default::default()
            }),
            ["k2"]
        );
        assert_eq!(
            ids(KeyListQuery {
                sort: Some(KeySort::Name),
                ..Default::default()
            }),
            ["k2", "k1", "k4"]
        );
        assert_eq!(
            ids(KeyListQuery {
                sort: Some(KeySort::LastUsedAt),
                ..Default::default()
            }),
            ["k1", "k4", "k2"],
            "never-used last"
        );
        assert_eq!(
            ids(KeyListQuery {
                q: Some("ALP".into()),
                ..Default::default()
            }),
            ["k2"]
        );
        assert_eq!(
            ids(KeyListQuery {
                q: Some("…k4".into()),
                ..Default::default()
            }),
            ["k4"],
            "by hint"
        );
        assert_eq!(
            ids(KeyListQuery {
                project: Some("p1".into()),
                ..Default::default()
            }),
            ["k1"]
        );
        let page = KeyListQuery {
            limit: Some(2),
            offset: Some(1),
            ..Default::default()
        }
        .select(keys.clone(), now)
        .unwrap();
        assert_eq!((page.total, page.keys.len()), (Some(3), 2));
        let error = KeyListQuery {
            offset: Some(-1),
            ..Default::default()
        }
        .select(keys, now)
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("offset"));
    }

    fn form() -> KeyForm {
        KeyForm {
            name: "payments".into(),
            description: String::new(),
            rpm: Some(60),
            tpm: None,
            token_limit: None,
            token_limit_period: None,
            allowed_models: None,
            workloads: WorkloadScope::Project,
            labels: Labels::new(),
            expiry: Expiry::Never,
            project: None,
            money_budget: None,
            traffic_limits: None,
        }
    }

    #[test]
    fn create_is_validated_with_the_gateways_rules_before_any_request() {
        let now = Utc::now();
        assert!(form().to_create(now).is_ok());
        for (mutate, field) in [
            (
                Box::new(|f: &mut KeyForm| f.name = " ".into()) as Box<dyn Fn(&mut KeyForm)>,
                "name",
            ),
            (Box::new(|f: &mut KeyForm| f.rpm = Some(0)), "rpm"),
            (
                Box::new(|f: &mut KeyForm| f.token_limit = Some(1000)),
                "token_limit_period",
            ),
            (
                Box::new(|f: &mut KeyForm| {
                    f.expiry = Expiry::Date {
                        date: "2001-01-01".into(),
                    }
                }),
                "expires_at",
            ),
            (
                Box::new(|f: &mut KeyForm| {
                    f.expiry = Expiry::Date {
                        date: "31/01/2030".into(),
                    }
                }),
                "expires_at",
            ),
            (
                Box::new(|f: &mut KeyForm| f.expiry = Expiry::InDays { days: 0 }),
                "expires_at",
            ),
            (
                Box::new(|f: &mut KeyForm| f.expiry = Expiry::Keep),
                "expires_at",
            ),
        ] {
            let mut bad = form();
            mutate(&mut bad);
            let error = bad.to_create(now).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{error:?}");
        }
        // A day's local midnight, as the console sends it, reaches the gateway as that instant.
        let mut local = form();
        local.expiry = Expiry::Date {
            date: "2031-01-31T00:00:00+05:30".into(),
        };
        assert_eq!(
            local.to_create(now).unwrap().expires_at.as_deref(),
            Some("2031-01-30T18:30:00+00:00")
        );
        let mut past = form();
        past.expiry = Expiry::Date {
            date: "2001-01-31T00:00:00+01:00".into(),
        };
        assert_eq!(
            past.to_create(now).unwrap_err().field.as_deref(),
            Some("expires_at")
        );
        let mut relative = form();
        relative.expiry = Expiry::InDays { days: 30 };
        let at = relative.to_create(now).unwrap().expires_at.unwrap();
        let at = DateTime::parse_from_rfc3339(&at).unwrap();
        assert_eq!((at.with_timezone(&Utc) - now).num_days(), 30);
    }

    #[test]
    fn an_edit_patches_only_what_changed() {
        let now = Utc::now();
        let current: InferenceKey = serde_json::from_value(serde_json::json!({
            "id": "key_1", "project_id": "prj", "name": "payments", "description": "",
            "masked": "kw_live_ab…cd", "status": "active", "rpm": 60, "tpm": null,
            "token_limit": null, "token_limit_period": null, "allowed_models": null,
            "workloads": "*", "labels": {}, "expires_at": null,
            "created_at": now, "updated_at": now, "revoked_at": null, "archived_at": null,
            "last_used_at": null, "request_count": 0, "input_tokens": 0, "output_tokens": 0
        }))
        .unwrap();
        let mut same = form();
        same.expiry = Expiry::Keep;
        assert!(same.to_update(&current, now).unwrap().is_none());
        let mut changed = same.clone();
        changed.tpm = Some(10_000);
        changed.rpm = None;
        let patch =
            serde_json::to_value(changed.to_update(&current, now).unwrap().unwrap()).unwrap();
        assert_eq!(patch, serde_json::json!({"rpm": null, "tpm": 10000}));
        changed.rpm = Some(-5);
        assert_eq!(
            changed
                .to_update(&current, now)
                .unwrap_err()
                .field
                .as_deref(),
            Some("rpm")
        );
    }

    /// Issue #15: a key whose stored scopes could not be read is reported with them as
    /// `[]` (enforced: nothing). The console sends an untouched one back as `[]`, which
    /// must leave it out of the PATCH (kept closed) and still pass validation, so the
    /// key's other fields can be edited; the old form sent `null` (all models) instead.
    #[test]
    fn an_unreadable_scope_sent_back_as_empty_is_left_closed() {
        let now = Utc::now();
        let current: InferenceKey = serde_json::from_value(serde_json::json!({
            "id": "key_1", "project_id": "prj", "name": "payments", "description": "",
            "masked": "kw_live_ab…cd", "status": "active", "rpm": 60, "tpm": null,
            "token_limit": null, "token_limit_period": null, "allowed_models": [],
            "workloads": [], "labels": {}, "expires_at": null,
            "created_at": now, "updated_at": now, "revoked_at": null, "archived_at": null,
            "last_used_at": null, "request_count": 0, "input_tokens": 0, "output_tokens": 0,
            "unreadable_scopes": ["allowed_models", "workloads"]
        }))
        .unwrap();
        let mut renamed = form();
        renamed.name = "renamed".into();
        renamed.expiry = Expiry::Keep;
        renamed.allowed_models = Some(Vec::new());
        renamed.workloads = WorkloadScope::Only(Vec::new());
        let patch =
            serde_json::to_value(renamed.to_update(&current, now).unwrap().unwrap()).unwrap();
        assert_eq!(patch, serde_json::json!({"name": "renamed"}));
    }

    #[test]
    fn list_queries_name_the_bad_field() {
        let query = KeyListQuery {
            label: Some("team=ads".into()),
            expiring_within_days: Some(7),
            ..Default::default()
        };
        let pairs = query.to_pairs().unwrap();
        assert!(pairs.contains(&("label", "team=ads".into())));
        assert!(pairs.contains(&("limit", "200".into())));
        let bad = KeyListQuery {
            expiring_within_days: Some(0),
            ..Default::default()
        };
        assert_eq!(
            bad.to_pairs().unwrap_err().field.as_deref(),
            Some("expiring_within_days")
        );
    }
}
