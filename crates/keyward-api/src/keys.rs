//! Inference keys on the wire, in the Upgreat console's shape
//! (`/v1/projects/{projectId}/inference/keys`).
//!
//! A listed key never carries its secret or hash, only the masked label; the secret
//! appears in exactly one response, [`CreatedKey`].

use crate::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest accepted key name, in characters after trimming.
pub const MAX_KEY_NAME_CHARS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Revoked,
}

/// A key as listed and fetched: metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InferenceKey {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// Masked label such as `kw_live_AbC…x9Qz`.
    pub masked: String,
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `POST /v1/projects/{projectId}/inference/keys`.
///
/// `name` is optional here only so that a missing name is reported by validation as
/// "name is required" with `field: "name"`, like every other field error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    #[serde(default)]
    pub name: Option<String>,
}

/// The one response that carries a secret. Shown once, then gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: InferenceKey,
    pub secret: Secret,
}

/// `GET /v1/projects/{projectId}/inference/keys`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyPage {
    pub keys: Vec<InferenceKey>,
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
