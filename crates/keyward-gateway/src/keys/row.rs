//! A stored key row and what it reads as on the wire.
//!
//! Status is derived at read time from the timestamps (`archived_at` > `revoked_at` >
//! `expires_at`), so expiry needs no job. The scopes are stored as JSON; one that does
//! not parse is reported, never widened (see [`Unreadable`]).

use chrono::{DateTime, Utc};
use keyward_api::{InferenceKey, KeySpec, KeyStatus, TokenLimitPeriod, WorkloadScope};

#[derive(Debug, sqlx::FromRow)]
pub(super) struct KeyRow {
    id: String,
    project_id: String,
    name: String,
    description: String,
    masked: String,
    rpm: Option<i64>,
    tpm: Option<i64>,
    token_limit: Option<i64>,
    token_limit_period: Option<String>,
    allowed_models: Option<String>,
    workloads: String,
    labels: String,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    request_count: i64,
    input_tokens: i64,
    output_tokens: i64,
}

pub(super) const COLUMNS: &str =
    "id, project_id, name, description, masked, rpm, tpm, token_limit, \
    token_limit_period, allowed_models, workloads, labels, expires_at, created_at, updated_at, \
    revoked_at, archived_at, last_used_at, request_count, input_tokens, output_tokens";

/// What a key is at `now`: archived over revoked over expired over active.
pub fn status_at(
    revoked_at: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> KeyStatus {
    if archived_at.is_some() {
        KeyStatus::Archived
    } else if revoked_at.is_some() {
        KeyStatus::Revoked
    } else if expires_at.is_some_and(|at| at <= now) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

/// A stored scope that does not parse (a hand-edited row, a bad migration). Every
/// reader fails closed on it: the data plane lets the key call nothing under it, the
/// control plane reports it as `[]` plus `unreadable_scopes`, never as "all".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// `allowed_models` as stored: NULL = every model, else a JSON array of names.
pub fn decode_models(raw: Option<&str>) -> Result<Option<Vec<String>>, Unreadable> {
    raw.map(|raw| serde_json::from_str(raw).map_err(|_| Unreadable))
        .transpose()
}

/// `workloads` as stored: `"*"` or a JSON array of slugs.
pub fn decode_workloads(raw: &str) -> Result<WorkloadScope, Unreadable> {
    serde_json::from_str(raw).map_err(|_| Unreadable)
}

/// SQL for a stored scope column as a JSON array for `json_each`, or NULL (no rows)
/// when it is not one — a corrupt value matches no filter instead of failing the query.
pub fn scope_array_sql(column: &str) -> String {
    format!("CASE WHEN json_valid({column}) THEN CASE WHEN json_type({column}) = 'array' THEN {column} END END")
}

impl KeyRow {
    pub(super) fn into_wire(self, now: DateTime<Utc>) -> InferenceKey {
        let mut unreadable_scopes = Vec::new();
        let allowed_models = decode_models(self.allowed_models.as_deref()).unwrap_or_else(|_| {
            unreadable_scopes.push("allowed_models".to_owned());
            Some(Vec::new())
        });
        let workloads = decode_workloads(&self.workloads).unwrap_or_else(|_| {
            unreadable_scopes.push("workloads".to_owned());
            WorkloadScope::Only(Vec::new())
        });
        if !unreadable_scopes.is_empty() {
            tracing::error!(key_id = %self.id, fields = ?unreadable_scopes, "stored key scope does not parse; it allows nothing");
        }
        InferenceKey {
            status: status_at(self.revoked_at, self.archived_at, self.expires_at, now),
            token_limit_period: self
                .token_limit_period
                .as_deref()
                .and_then(TokenLimitPeriod::parse),
            allowed_models,
            workloads,
            unreadable_scopes,
            labels: serde_json::from_str(&self.labels).unwrap_or_default(),
            id: self.id,
            project_id: self.project_id,
            name: self.name,
            description: self.description,
            masked: self.masked,
            rpm: self.rpm,
            tpm: self.tpm,
            token_limit: self.token_limit,
            expires_at: self.expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            revoked_at: self.revoked_at,
            archived_at: self.archived_at,
            last_used_at: self.last_used_at,
            request_count: self.request_count,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
        }
    }
}

/// The settings of a stored key, to diff a PATCH against.
pub fn spec_of(key: &InferenceKey) -> KeySpec {
    KeySpec {
        name: key.name.clone(),
        description: key.description.clone(),
        rpm: key.rpm,
        tpm: key.tpm,
        token_limit: key.token_limit,
        token_limit_period: key.token_limit_period,
        allowed_models: key.allowed_models.clone(),
        workloads: key.workloads.clone(),
        labels: key.labels.clone(),
        expires_at: key.expires_at,
    }
}
