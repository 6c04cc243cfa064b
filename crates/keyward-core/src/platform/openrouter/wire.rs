//! OpenRouter's management API wire types — only the members Keyward reads (serde
//! ignores the rest). Shapes from PyPI `openrouter` 1.3.84 and `.speakeasy/in.openapi.yaml`
//! of `OpenRouterTeam/typescript-sdk` (see `/work/shared/reference/platform-apis.md`,
//! section 3). Money arrives as JSON numbers of USD; amounts that are reported as spend
//! are kept as [`serde_json::Number`] so their text, not a float, is read into micros.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `{data: T}`: every answer but create and delete.
#[derive(Debug, Deserialize)]
pub struct Data<T> {
    pub data: T,
}

#[derive(Debug, Deserialize)]
pub struct Key {
    /// SHA-256 of the secret, hex: the key's id.
    pub hash: String,
    pub name: String,
    /// The masked secret (`sk-or-v1-abc...def`).
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    /// USD; `None` = no limit.
    #[serde(default)]
    pub limit: Option<f64>,
    /// `daily`, `weekly`, `monthly`; `None` = a lifetime limit.
    #[serde(default)]
    pub limit_reset: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub creator_user_id: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// `POST /keys` → 201: the key and, once, its secret.
#[derive(Debug, Deserialize)]
pub struct Created {
    pub data: Key,
    pub key: String,
}

/// `GET /key`: the calling key.
#[derive(Debug, Deserialize)]
pub struct CurrentKey {
    pub label: String,
    pub is_management_key: bool,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// One row of `GET /activity`: one UTC day and model.
#[derive(Debug, Deserialize)]
pub struct Activity {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub model: String,
    /// USD spent.
    pub usage: serde_json::Number,
    #[serde(default)]
    pub requests: u64,
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

/// `{error: {code, message}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    pub message: String,
}
