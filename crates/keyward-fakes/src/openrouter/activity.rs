//! Activity and credits. `/activity` answers one row per UTC day and model (and
//! workspace with `group_by=workspace`) for the last 30 completed days only — today
//! is never in it, and a `date` outside that window is refused — summed from the same
//! usage records as the keys' money totals, so the two always agree.

use super::seed::MODELS;
use super::{usd, ApiError, State};
use crate::query::Query;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde_json::json;
use std::collections::BTreeMap;

type Answer = Result<Response, ApiError>;

#[derive(Default)]
struct Row {
    requests: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    reasoning_tokens: u64,
    usage_micros: i64,
}

pub(super) async fn activity(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let seed = state.inner.lock().unwrap();
    let (first, last) = seed.activity_days();
    let date = match query.get("date") {
        None => None,
        Some(text) => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid("date: Invalid date, expected YYYY-MM-DD"))?;
            if day < first || day > last {
                return Err(ApiError::invalid(
                    "Date must be within the last 30 (completed) UTC days",
                ));
            }
            Some(day)
        }
    };
    let key = query.get("api_key_hash");
    if let Some(hash) = key {
        if !seed.keys.iter().any(|k| k.hash == hash) {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "API key not found"));
        }
    }
    let by_workspace = match query.get("group_by") {
        None => false,
        Some("workspace") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "group_by: Invalid enum value. Expected 'workspace', received '{other}'"
            )))
        }
    };
    if query
        .get("workspace_id")
        .is_some_and(|w| w != seed.workspace_id)
    {
        return Ok(Json(json!({"data": []})).into_response());
    }
    let mut rows: BTreeMap<(NaiveDate, &str), Row> = BTreeMap::new();
    for u in &seed.usage {
        if u.day < first || u.day > last || date.is_some_and(|d| d != u.day) {
            continue;
        }
        if key.is_some_and(|h| h != u.key_hash) {
            continue;
        }
        let row = rows.entry((u.day, u.model.as_str())).or_default();
        row.requests += u.requests;
        row.prompt_tokens += u.prompt_tokens;
        row.completion_tokens += u.completion_tokens;
        row.reasoning_tokens += u.reasoning_tokens;
        row.usage_micros += u.usage_micros;
    }
    let data: Vec<_> = rows
        .iter()
        .rev()
        .map(|((day, model), row)| {
            let (_, permaslug, provider, ..) = MODELS
                .iter()
                .find(|m| m.0 == *model)
                .copied()
                .unwrap_or((model, model, "Unknown", 0, 0));
            let mut item = json!({
                "date": day.format("%Y-%m-%d").to_string(),
                "model": model,
                "model_permaslug": permaslug,
                "endpoint_id": endpoint_id(model),
                "provider_name": provider,
                "usage": usd(row.usage_micros),
                "byok_usage_inference": 0.0,
                "requests": row.requests,
                "prompt_tokens": row.prompt_tokens,
                "completion_tokens": row.completion_tokens,
                "reasoning_tokens": row.reasoning_tokens,
                "cached_tokens": 0,
            });
            if by_workspace {
                item["workspace_id"] = json!(seed.workspace_id);
            }
            item
        })
        .collect();
    Ok(Json(json!({ "data": data })).into_response())
}

/// A stable endpoint id per model.
fn endpoint_id(model: &str) -> String {
    let hash = super::hash_of(model);
    format!(
        "{}-{}-{}-{}-{}",
        &hash[0..8],
        &hash[8..12],
        &hash[12..16],
        &hash[16..20],
        &hash[20..32]
    )
}

pub(super) async fn credits(state: axum::extract::State<State>) -> Answer {
    let seed = state.inner.lock().unwrap();
    let used: i64 = seed.usage.iter().map(|u| u.usage_micros).sum();
    Ok(Json(json!({"data": {
        "total_credits": usd(seed.total_credits_micros),
        "total_usage": usd(used),
    }}))
    .into_response())
}
