//! Anthropic's Admin API wire types — only the members Keyward reads (serde ignores the
//! rest, so new members never break a listing). Shapes from PyPI `anthropic` 2.17.0
//! (`types/organization/*`) and the Admin API docs (see
//! `/work/shared/reference/platform-apis.md`, section 5).

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `{data, has_more, first_id, last_id}`: every cursor-paged list (`after_id` = the
/// previous page's `last_id`).
#[derive(Debug, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

/// `GET /organizations/me`.
#[derive(Debug, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// `active`, `inactive`, `archived` or `expired`; kept as text so a status added
    /// later reads as "not known to work" instead of failing the whole inventory.
    pub status: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub partial_key_hint: Option<String>,
    #[serde(default)]
    pub created_by: Option<Actor>,
    /// `{type:"workspace", workspace_id}` or `{type:"organization"}` (the default
    /// workspace); `null` in older answers.
    #[serde(default)]
    pub scope: Option<Scope>,
    /// The pre-`scope` form of the same fact, still sent by older API versions.
    #[serde(default)]
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Actor {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct Scope {
    #[serde(default)]
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub archived_at: Option<DateTime<Utc>>,
}

/// `{data:[bucket], has_more, next_page}` of the usage and cost reports.
#[derive(Debug, Deserialize)]
pub struct ReportPage<T> {
    pub data: Vec<Bucket<T>>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Bucket<T> {
    pub starting_at: DateTime<Utc>,
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
}

/// One group of one bucket of `GET /organizations/usage_report/messages`.
#[derive(Debug, Deserialize)]
pub struct MessagesResult {
    #[serde(default)]
    pub uncached_input_tokens: u64,
    #[serde(default)]
    pub cache_creation: Option<CacheCreation>,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub api_key_id: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CacheCreation {
    #[serde(default)]
    pub ephemeral_1h_input_tokens: u64,
    #[serde(default)]
    pub ephemeral_5m_input_tokens: u64,
}

impl MessagesResult {
    /// Every input token the request was charged for: uncached, written to the cache
    /// (either lifetime) and read from it — what "input tokens" means on every other
    /// platform.
    pub fn input_tokens(&self) -> u64 {
        let written = self.cache_creation.as_ref().map_or(0, |c| {
            c.ephemeral_1h_input_tokens
                .saturating_add(c.ephemeral_5m_input_tokens)
        });
        self.uncached_input_tokens
            .saturating_add(written)
            .saturating_add(self.cache_read_input_tokens)
    }
}

/// `{"type":"error","error":{"type","message"},"request_id"}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    pub message: String,
}

/// One line of a cost bucket: a decimal string of cents, never a float.
#[derive(Debug, Deserialize)]
pub struct CostResult {
    pub currency: String,
    pub amount: String,
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}
