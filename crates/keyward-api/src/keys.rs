//! Inference keys on the wire, in the Upgreat console's shape
//! (`/v1/projects/{projectId}/inference/keys`).
//!
//! A listed key never carries its secret or hash, only the masked label; the secret
//! appears in exactly one response, [`CreatedKey`].

use crate::scope::{Labels, TokenLimitPeriod, WorkloadScope};
use crate::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest accepted key name, in characters after trimming.
pub const MAX_KEY_NAME_CHARS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
    Archived,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Revoked, Self::Expired, Self::Archived]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A key as listed and fetched: metadata, scopes and counters; never the secret or
/// its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InferenceKey {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    /// Masked label such as `kw_live_AbC…x9Qz`.
    pub masked: String,
    pub status: KeyStatus,
    /// Requests per minute; null = unlimited.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub rpm: Option<i64>,
    /// Tokens per minute; null = unlimited.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub tpm: Option<i64>,
    /// Token budget per `token_limit_period`; null = no budget.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub token_limit: Option<i64>,
    pub token_limit_period: Option<TokenLimitPeriod>,
    /// null = every model the project serves.
    pub allowed_models: Option<Vec<String>>,
    #[cfg_attr(feature = "specta", specta(type = crate::scope::WorkloadScopeWire))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::scope::workload_scope_response_schema))]
    pub workloads: WorkloadScope,
    pub labels: Labels,
    /// null = never expires.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub request_count: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub input_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub output_tokens: i64,
    /// Scopes whose stored value could not be read (`allowed_models`, `workloads`).
    /// Such a scope fails closed: it is reported as `[]` and the key may call nothing
    /// under it until it is set again. Absent when every scope is readable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable_scopes: Vec<String>,
}

/// `POST /v1/projects/{projectId}/inference/keys`.
///
/// Every field is optional at the serde level so that a missing `name` is reported by
/// validation ("name is required", `field: "name"`) like every other field error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateKeyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*\\S[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub rpm: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub tpm: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub token_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_limit_period: Option<TokenLimitPeriod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_models: Option<Vec<String>>,
    /// RFC 3339 or a bare date (00:00 UTC); absent = never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::scope::workload_scope_schema))]
    pub workloads: Option<WorkloadScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// `PATCH /v1/inference/keys/{keyId}`: only the fields present change; `null` clears a
/// limit, the model list (= all models) or the expiry (= never).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateKeyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*\\S[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub description: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub rpm: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub tpm: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub token_limit: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_limit_period: Option<Option<TokenLimitPeriod>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_models: Option<Option<Vec<String>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::scope::workload_scope_schema))]
    pub workloads: Option<WorkloadScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`).
pub(crate) fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Fields a client may read but never write; a PATCH naming one is refused with a
/// message saying so (not merely "unknown field").
pub const READ_ONLY_KEY_FIELDS: &[&str] = &[
    "id",
    "secret",
    "hash",
    "secret_hash",
    "masked",
    "project_id",
    "status",
    "created_at",
    "updated_at",
    "revoked_at",
    "archived_at",
    "last_used_at",
    "request_count",
    "input_tokens",
    "output_tokens",
];

/// The one response that carries a secret. Shown once, then gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: InferenceKey,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub secret: Secret,
}

/// `POST /v1/inference/keys/{keyId}/rotate`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotateKeyRequest {
    /// Seconds the old secret keeps working; 0 (default) = it dies now.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 604_800))]
    pub grace_period_seconds: Option<i64>,
}

/// Longest rotation grace period: one week.
pub const MAX_GRACE_PERIOD_SECONDS: i64 = 7 * 24 * 3600;

/// `POST /v1/inference/keys/identify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentifyKeyRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub secret: Secret,
}

/// A paged list, newest first unless `sort` says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyPage {
    pub keys: Vec<InferenceKey>,
    /// Keys matching the filters, over all pages.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub total: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub limit: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub offset: i64,
}

/// `GET /v1/inference/keys/{keyId}/usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyUsage {
    pub key_id: String,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub requests: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub input_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub output_tokens: i64,
    pub by_model: Vec<ModelUsage>,
    /// The last 24 hours, one point per hour (oldest first, empty hours as zeros).
    pub hourly: Vec<UsagePoint>,
}

impl KeyUsage {
    /// The last 24 hours as CSV (`Accept: text/csv`): `hour` (RFC 3339, UTC),
    /// `requests`, `input_tokens`, `output_tokens`, oldest first.
    pub fn to_csv(&self) -> String {
        crate::csv::document(
            ["hour", "requests", "input_tokens", "output_tokens"],
            self.hourly.iter().map(|p| {
                [
                    p.at.to_rfc3339(),
                    p.requests.to_string(),
                    p.input_tokens.to_string(),
                    p.output_tokens.to_string(),
                ]
            }),
        )
    }
}

/// Usage in one time bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsagePoint {
    /// Start of the bucket.
    pub at: DateTime<Utc>,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub requests: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub input_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub output_tokens: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelUsage {
    pub model: String,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub requests: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub input_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub output_tokens: i64,
}

/// An input field that failed validation, and why (a sentence naming the field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// The key-name rule, shared by the gateway (authoritative) and the console (to
/// answer before any request): required, 1–128 characters once trimmed, no control
/// characters. Returns the trimmed name.
pub fn validate_name(name: Option<&str>) -> Result<&str, FieldError> {
    let fail = |message: String| {
        Err(FieldError {
            field: "name",
            message,
        })
    };
    let name = name.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return fail("name is required and must not be blank.".into());
    }
    let chars = name.chars().count();
    if chars > MAX_KEY_NAME_CHARS {
        return fail(format!(
            "name must be at most {MAX_KEY_NAME_CHARS} characters; it has {chars}."
        ));
    }
    if name.chars().any(char::is_control) {
        return fail("name must not contain control characters.".into());
    }
    Ok(name)
}

/// A key's mutable settings after validation: what create stores and PATCH rewrites.
/// The default is the empty spec a new key's audit diff starts from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeySpec {
    pub name: String,
    pub description: String,
    pub rpm: Option<i64>,
    pub tpm: Option<i64>,
    pub token_limit: Option<i64>,
    pub token_limit_period: Option<TokenLimitPeriod>,
    pub allowed_models: Option<Vec<String>>,
    pub workloads: WorkloadScope,
    pub labels: Labels,
    pub expires_at: Option<DateTime<Utc>>,
}

impl KeySpec {
    /// Validates a create request field by field, in wire order, stopping at the first
    /// bad field so the error names exactly one.
    pub fn from_create(request: CreateKeyRequest, now: DateTime<Utc>) -> Result<Self, FieldError> {
        use crate::scope::*;
        let spec = KeySpec {
            name: validate_name(request.name.as_deref())?.to_owned(),
            description: validate_description(request.description.as_deref().unwrap_or_default())?,
            rpm: request.rpm.map(|v| validate_limit("rpm", v)).transpose()?,
            tpm: request.tpm.map(|v| validate_limit("tpm", v)).transpose()?,
            token_limit: request
                .token_limit
                .map(|v| validate_limit("token_limit", v))
                .transpose()?,
            token_limit_period: request.token_limit_period,
            allowed_models: request.allowed_models.map(validate_models).transpose()?,
            workloads: validate_workloads(request.workloads.unwrap_or_default())?,
            labels: validate_labels(request.labels.unwrap_or_default())?,
            expires_at: request
                .expires_at
                .map(|raw| parse_expires_at(&raw, now))
                .transpose()?,
        };
        validate_budget(spec.token_limit, spec.token_limit_period)?;
        Ok(spec)
    }

    /// This spec with a PATCH applied; only the fields present change.
    pub fn with_update(
        &self,
        patch: UpdateKeyRequest,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldError> {
        use crate::scope::*;
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = validate_name(Some(&name))?.to_owned();
        }
        if let Some(description) = patch.description {
            next.description = validate_description(&description)?;
        }
        if let Some(rpm) = patch.rpm {
            next.rpm = rpm.map(|v| validate_limit("rpm", v)).transpose()?;
        }
        if let Some(tpm) = patch.tpm {
            next.tpm = tpm.map(|v| validate_limit("tpm", v)).transpose()?;
        }
        if let Some(limit) = patch.token_limit {
            next.token_limit = limit
                .map(|v| validate_limit("token_limit", v))
                .transpose()?;
        }
        if let Some(period) = patch.token_limit_period {
            next.token_limit_period = period;
        }
        if let Some(models) = patch.allowed_models {
            next.allowed_models = models.map(validate_models).transpose()?;
        }
        if let Some(workloads) = patch.workloads {
            next.workloads = validate_workloads(workloads)?;
        }
        if let Some(labels) = patch.labels {
            next.labels = validate_labels(labels)?;
        }
        if let Some(expires_at) = patch.expires_at {
            next.expires_at = expires_at
                .map(|raw| parse_expires_at(&raw, now))
                .transpose()?;
        }
        validate_budget(next.token_limit, next.token_limit_period)?;
        Ok(next)
    }

    /// Field → `{"old", "new"}` for every field that differs: the audit trail's diff.
    pub fn changes_from(&self, old: &KeySpec) -> serde_json::Map<String, serde_json::Value> {
        field_changes(self, old)
    }
}

/// Field → `{"old", "new"}` for every field of two specs (structs serialising to
/// objects) that differs: the audit trail's diff, for keys and workloads alike.
pub(crate) fn field_changes<T: Serialize>(
    new: &T,
    old: &T,
) -> serde_json::Map<String, serde_json::Value> {
    let (Ok(serde_json::Value::Object(new)), Ok(serde_json::Value::Object(old))) =
        (serde_json::to_value(new), serde_json::to_value(old))
    else {
        unreachable!("specs serialize to objects")
    };
    new.into_iter()
        .filter(|(field, value)| old.get(field) != Some(value))
        .map(|(field, value)| {
            let before = old.get(&field).cloned().unwrap_or_default();
            (field, serde_json::json!({ "old": before, "new": value }))
        })
        .collect()
}
