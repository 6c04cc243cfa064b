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
