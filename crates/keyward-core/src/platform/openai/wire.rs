//! OpenAI's Admin API wire types — only the members Keyward reads (serde ignores the
//! rest, so new members never break a listing). Shapes from `openai/openai-openapi`
//! 2.3.0 and the official SDK (see `/work/shared/reference/platform-apis.md`).

use serde::Deserialize;

/// `{object:"list", data, has_more, last_id}`: every cursor-paged list.
#[derive(Debug, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    pub last_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ApiKey {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub redacted_value: String,
    pub created_at: i64,
    #[serde(default)]
    pub last_used_at: Option<i64>,
    #[serde(default)]
    pub owner: Option<Owner>,
}

#[derive(Debug, Deserialize)]
pub struct Owner {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub user: Option<Named>,
    pub service_account: Option<Named>,
}

#[derive(Debug, Deserialize)]
pub struct Named {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AdminKey {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub redacted_value: String,
    #[serde(default)]
    pub owner: Option<Named>,
}

/// `POST …/service_accounts`: the account and, once, its key.
#[derive(Debug, Deserialize)]
pub struct CreatedServiceAccount {
    pub id: String,
    pub api_key: Option<CreatedKey>,
}

#[derive(Debug, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub value: String,
    pub created_at: i64,
}

#[derive(Debug, Deserialize)]
pub struct RateLimit {
    pub model: String,
    pub max_requests_per_1_minute: Option<u64>,
    pub max_tokens_per_1_minute: Option<u64>,
    pub max_requests_per_1_day: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct ModelPermissions {
    pub mode: String,
    #[serde(default)]
    pub model_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SpendLimit {
    /// Cents.
    pub threshold_amount: u64,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub interval: Option<String>,
}

/// `{data:[bucket], has_more, next_page}` of the usage and costs reports.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub data: Vec<Bucket<T>>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Bucket<T> {
    pub start_time: i64,
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
}

#[derive(Debug, Deserialize)]
pub struct CompletionsResult {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub num_model_requests: u64,
    pub project_id: Option<String>,
    pub api_key_id: Option<String>,
    pub model: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CostResult {
    pub amount: Amount,
    pub line_item: Option<String>,
    pub project_id: Option<String>,
    pub api_key_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Amount {
    /// A JSON number, read through its text so no binary rounding enters the sum.
    pub value: serde_json::Number,
    pub currency: String,
}

/// `{"error":{"message","type","param","code"}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    pub message: String,
}
