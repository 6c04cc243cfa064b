//! What the proxy reports: daily activity (`SpendAnalyticsPaginatedResponse`, one
//! result per day with breakdowns by model — each with its keys — and by key), the
//! model deployments (`/model/info`), their health (`/health`) and, for virtual keys,
//! the OpenAI-style model list (`/v1/models`).

use super::seed::DailySpend;
use super::{ApiError, State};
use axum::extract::{RawQuery, State as Shared};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Default, Clone, Copy)]
struct Metrics {
    spend: f64,
    prompt_tokens: u64,
    completion_tokens: u64,
    api_requests: u64,
    failed_requests: u64,
}

impl Metrics {
    fn add(&mut self, s: &DailySpend) {
        self.spend += s.spend;
        self.prompt_tokens += s.prompt_tokens;
        self.completion_tokens += s.completion_tokens;
        self.api_requests += s.requests;
        self.failed_requests += s.failed_requests;
    }

    /// `SpendMetrics`.
    fn json(&self) -> Value {
        json!({
            "spend": self.spend,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "successful_requests": self.api_requests - self.failed_requests,
            "failed_requests": self.failed_requests,
            "api_requests": self.api_requests,
        })
    }
}

fn date_param(query: &crate::query::Query, name: &'static str) -> Result<NaiveDate, ApiError> {
    let text = query
        .get(name)
        .ok_or_else(|| ApiError::bad_request(name, "Please provide start_date and end_date"))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(name, format!("Invalid {name}: {text}. Use YYYY-MM-DD."))
    })
}

/// `GET /user/daily/activity`: days ascending, `page_size` days a page.
pub(super) async fn daily_activity(
    Shared(state): Shared<State>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = crate::query::Query::parse(query.as_deref());
    let (start, end) = match (
        date_param(&query, "start_date"),
        date_param(&query, "end_date"),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let (page, page_size) = match (
        query.limit("page", 1, 1, 1_000_000),
        query.limit("page_size", 50, 1, 1000),
    ) {
        (Ok(p), Ok(s)) => (p, s),
        (Err(bad), _) | (_, Err(bad)) => {
            return ApiError::bad_request(bad.name, bad.message).into_response()
        }
    };
    let inner = state.lock();
    let alias = |hash: &str| {
        inner
            .find(hash)
            .and_then(|at| inner.keys[at].get("key_alias").cloned())
            .unwrap_or(Value::Null)
    };
    let records: Vec<&DailySpend> = inner
        .spend
        .iter()
        .filter(|s| s.date >= start && s.date <= end)
        .filter(|s| query.get("api_key").is_none_or(|k| s.api_key == k))
        .filter(|s| query.get("model").is_none_or(|m| s.model == m))
        .collect();
    let mut days: BTreeMap<NaiveDate, Vec<&DailySpend>> = BTreeMap::new();
    for record in &records {
        days.entry(record.date).or_default().push(record);
    }
    let total_pages = days.len().div_ceil(page_size).max(1);
    let mut totals = Metrics::default();
    for record in &records {
        totals.add(record);
    }
    let results: Vec<Value> = days
        .iter()
        .skip((page - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|(date, records)| {
            let mut day = Metrics::default();
            let mut models: BTreeMap<&str, (Metrics, BTreeMap<&str, Metrics>)> = BTreeMap::new();
            let mut keys: BTreeMap<&str, Metrics> = BTreeMap::new();
            for r in records {
                day.add(r);
                let model = models.entry(&r.model).or_default();
                model.0.add(r);
                model.1.entry(&r.api_key).or_default().add(r);
                keys.entry(&r.api_key).or_default().add(r);
            }
            let key_metadata = |hash: &str| {
                let alias = alias(hash);
                json!({"key_alias": alias, "team_id": null, "key_exists": inner.find(hash).is_some()})
            };
            let models: Map<String, Value> = models
                .iter()
                .map(|(model, (metrics, per_key))| {
                    let breakdown: Map<String, Value> = per_key
                        .iter()
                        .map(|(hash, m)| ((*hash).to_owned(), json!({"metrics": m.json(), "metadata": key_metadata(hash)})))
                        .collect();
                    ((*model).to_owned(), json!({"metrics": metrics.json(), "metadata": {}, "api_key_breakdown": breakdown}))
                })
                .collect();
            let api_keys: Map<String, Value> = keys
                .iter()
                .map(|(hash, m)| ((*hash).to_owned(), json!({"metrics": m.json(), "metadata": key_metadata(hash)})))
                .collect();
            json!({
                "date": date.format("%Y-%m-%d").to_string(),
                "metrics": day.json(),
                "breakdown": {
                    "models": models,
                    "model_groups": {},
                    "providers": {},
                    "endpoints": {},
                    "mcp_servers": {},
                    "entities": {},
                    "api_keys": api_keys,
                },
            })
        })
        .collect();
    Json(json!({
        "results": results,
        "metadata": {
            "total_spend": totals.spend,
            "total_prompt_tokens": totals.prompt_tokens,
            "total_completion_tokens": totals.completion_tokens,
            "total_tokens": totals.prompt_tokens + totals.completion_tokens,
            "total_api_requests": totals.api_requests,
            "total_successful_requests": totals.api_requests - totals.failed_requests,
            "total_failed_requests": totals.failed_requests,
            "total_cache_read_input_tokens": 0,
            "total_cache_creation_input_tokens": 0,
            "page": page,
            "total_pages": total_pages,
            "has_more": page < total_pages,
        },
    }))
    .into_response()
}

/// `GET /model/info`: each deployment as the proxy's router holds it.
pub(super) async fn model_info(Shared(state): Shared<State>) -> Response {
    let inner = state.lock();
    let data: Vec<Value> = inner
        .deployments
        .iter()
        .map(|d| {
            let mut params = json!({"model": d.model});
            if let Some(base) = &d.api_base {
                params["api_base"] = json!(base);
            }
            json!({
                "model_name": d.model_name,
                "litellm_params": params,
                "model_info": {"id": d.id, "db_model": false, "key": d.model_name, "mode": "chat"},
            })
        })
        .collect();
    Json(json!({"data": data})).into_response()
}

/// `GET /health`: every deployment probed, split by outcome; each endpoint is the
/// deployment's cleaned `litellm_params` with its `model_id` (`_perform_health_check`).
pub(super) async fn health(Shared(state): Shared<State>) -> Response {
    let inner = state.lock();
    let endpoint = |d: &super::Deployment| {
        let mut e = json!({"model": d.model, "model_id": d.id});
        if let Some(base) = &d.api_base {
            e["api_base"] = json!(base);
        }
        e
    };
    let healthy: Vec<Value> = inner
        .deployments
        .iter()
        .filter(|d| d.healthy)
        .map(endpoint)
        .collect();
    let unhealthy: Vec<Value> = inner
        .deployments
        .iter()
        .filter(|d| !d.healthy)
        .map(|d| {
            let mut e = endpoint(d);
            let error = inner.probe_errors.get(&d.id).map_or(
                "litellm.APIConnectionError: Connection refused",
                String::as_str,
            );
            e["error"] = json!(error);
            e
        })
        .collect();
    Json(json!({
        "healthy_count": healthy.len(),
        "unhealthy_count": unhealthy.len(),
        "healthy_endpoints": healthy,
        "unhealthy_endpoints": unhealthy,
    }))
    .into_response()
}

pub(super) async fn liveliness() -> Response {
    Json(json!("I'm alive!")).into_response()
}

/// `GET /v1/models`: the model groups, for whoever the proxy lets in.
pub(super) async fn models(Shared(state): Shared<State>) -> Response {
    let inner = state.lock();
    let data: Vec<Value> = inner
        .deployments
        .iter()
        .map(|d| json!({"id": d.model_name, "object": "model", "created": 1_677_610_602, "owned_by": "openai"}))
        .collect();
    Json(json!({"data": data, "object": "list"})).into_response()
}
