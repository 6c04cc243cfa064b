//! LiteLLM proxy wire shapes (`litellm` 1.108.7, its OpenAPI document and
//! `key_management_endpoints.py`), only the members the console reads. Money members
//! stay `serde_json::Number` so their text reaches the decimal reader unchanged.

use serde::Deserialize;
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// `{"error": {"message", "type", "param", "code"}}` (`ProxyException`), or FastAPI's
/// `{"detail": …}` for a validation failure.
#[derive(Deserialize)]
pub struct ErrorBody {
    pub error: Option<ErrorDetail>,
    pub detail: Option<Value>,
}

#[derive(Deserialize)]
pub struct ErrorDetail {
    pub message: Option<String>,
}

/// A key row (`LiteLLM_VerificationToken`, `UserAPIKeyAuth`, `GenerateKeyResponse`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KeyRow {
    /// The key's SHA-256; absent in `/key/info`'s `info` (the caller knows it).
    pub token: Option<String>,
    pub key_name: Option<String>,
    pub key_alias: Option<String>,
    pub max_budget: Option<Number>,
    pub budget_duration: Option<String>,
    pub expires: Option<String>,
    #[serde(default)]
    pub models: Option<Vec<Value>>,
    pub rpm_limit: Option<u64>,
    pub tpm_limit: Option<u64>,
    pub max_parallel_requests: Option<u64>,
    /// `{model: rpm}`: a column in generate's echo, inside `metadata` in a stored row.
    pub model_rpm_limit: Option<Map<String, Value>>,
    pub model_tpm_limit: Option<Map<String, Value>>,
    /// `{model: {budget_limit, time_period}}` (`GenericBudgetInfo`).
    pub model_max_budget: Option<Map<String, Value>>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    pub blocked: Option<bool>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub last_active: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
}

/// `GenerateKeyResponse`: the row and the secret.
#[derive(Deserialize)]
pub struct Generated {
    pub key: String,
    #[serde(flatten)]
    pub row: KeyRow,
}

/// `/key/info`'s answer.
#[derive(Deserialize)]
pub struct KeyInfo {
    pub info: KeyRow,
}

/// `KeyListResponseObject` with `return_full_object=true`.
#[derive(Deserialize)]
pub struct KeyList {
    pub keys: Vec<KeyRow>,
    pub total_pages: Option<u64>,
    pub current_page: Option<u64>,
}

/// `SpendAnalyticsPaginatedResponse`.
#[derive(Deserialize)]
pub struct Activity {
    pub results: Vec<DailySpend>,
    pub metadata: Option<ActivityPage>,
}

#[derive(Deserialize)]
pub struct ActivityPage {
    pub page: Option<u64>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Deserialize)]
pub struct DailySpend {
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(default)]
    pub breakdown: Breakdown,
}

#[derive(Default, Deserialize)]
pub struct Breakdown {
    #[serde(default)]
    pub models: BTreeMap<String, ModelSpend>,
}

#[derive(Deserialize)]
pub struct ModelSpend {
    pub metrics: Metrics,
    #[serde(default)]
    pub api_key_breakdown: BTreeMap<String, KeySpend>,
}

#[derive(Deserialize)]
pub struct KeySpend {
    pub metrics: Metrics,
}

/// `SpendMetrics`: spend in USD, tokens and requests.
#[derive(Deserialize)]
pub struct Metrics {
    pub spend: Option<Number>,
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub api_requests: u64,
}

/// `/model/info`.
#[derive(Deserialize)]
pub struct ModelInfoList {
    pub data: Vec<Deployment>,
}

#[derive(Deserialize)]
pub struct Deployment {
    pub model_name: String,
    pub litellm_params: DeploymentParams,
    pub model_info: Option<DeploymentInfo>,
}

#[derive(Deserialize)]
pub struct DeploymentParams {
    pub model: Option<String>,
    pub api_base: Option<String>,
}

#[derive(Deserialize)]
pub struct DeploymentInfo {
    pub id: Option<String>,
}

/// `GET /health` (`health_endpoint`): each deployment's cleaned `litellm_params` (its
/// upstream `model`, `api_base`) with `model_id` (its `/model/info` id) and, when its
/// probe failed, `error`.
#[derive(Deserialize)]
pub struct Health {
    #[serde(default)]
    pub healthy_endpoints: Vec<Endpoint>,
    #[serde(default)]
    pub unhealthy_endpoints: Vec<Endpoint>,
}

#[derive(Deserialize)]
pub struct Endpoint {
    pub model: Option<String>,
    pub api_base: Option<String>,
    pub model_id: Option<String>,
    /// Text, or whatever the probe's exception serialised to.
    pub error: Option<Value>,
}
