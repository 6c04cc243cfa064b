//! Virtual keys as `litellm/proxy/management_endpoints/key_management_endpoints.py`
//! (1.108.7) handles them: rows named by the SHA-256 of their secret, generate and
//! regenerate the only answers carrying a secret, update a merge-patch (a field sent
//! changes, `null` clears it, a field not sent stays), block as the pause, delete
//! removing the row, and a regenerated secret kept valid for its grace period
//! (`_insert_deprecated_key`).

use super::seed::{hash_token, new_secret, VirtualKey};
use super::{ApiError, Inner, State};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Shared};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

pub(super) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The type a request field must have (the pydantic model's, per the OpenAPI document).
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Num,
    Bool,
    StrList,
    List,
    Obj,
}

/// The settings generate, update and regenerate accept and Keyward uses, with their types.
const FIELDS: &[(&str, Kind)] = &[
    ("key_alias", Kind::Str),
    ("duration", Kind::Str),
    ("models", Kind::List),
    ("max_budget", Kind::Num),
    ("soft_budget", Kind::Num),
    ("budget_duration", Kind::Str),
    ("rpm_limit", Kind::Int),
    ("tpm_limit", Kind::Int),
    ("tpd_limit", Kind::Int),
    ("max_parallel_requests", Kind::Int),
    ("model_rpm_limit", Kind::Obj),
    ("model_tpm_limit", Kind::Obj),
    ("model_max_budget", Kind::Obj),
    ("metadata", Kind::Obj),
    ("tags", Kind::StrList),
    ("blocked", Kind::Bool),
    ("user_id", Kind::Str),
    ("team_id", Kind::Str),
    ("key_type", Kind::Str),
    ("guardrails", Kind::StrList),
    ("aliases", Kind::Obj),
    ("config", Kind::Obj),
    ("permissions", Kind::Obj),
    ("allowed_cache_controls", Kind::List),
    ("spend", Kind::Num),
];

/// Settings the proxy keeps inside `metadata` rather than in a column of their own.
const IN_METADATA: &[&str] = &["model_rpm_limit", "model_tpm_limit", "tags", "guardrails"];

/// FastAPI's 422 (`HTTPValidationError`) for a body field of the wrong type.
fn unprocessable(field: &str, message: &str, input: &Value) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"detail": [{
            "type": "value_error",
            "loc": ["body", field],
            "msg": message,
            "input": input,
        }]})),
    )
        .into_response()
}

/// The body as a JSON object whose known fields have their types; `Err` is the answer.
/// (The refusal is boxed: a `Response` is large next to the map.)
fn read_body(body: &Bytes, allow_null: bool) -> Result<Map<String, Value>, Box<Response>> {
    if body.is_empty() && allow_null {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Box::new((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"detail": [{"type": "json_invalid", "loc": ["body", 0], "msg": format!("JSON decode error: {e}"), "input": {}}]})),
        )
            .into_response())
    })?;
    let object = match value {
        Value::Object(o) => o,
        Value::Null if allow_null => Map::new(),
        other => {
            return Err(Box::new(unprocessable(
                "body",
                "Input should be a valid dictionary",
                &other,
            )))
        }
    };
    for (name, kind) in FIELDS {
        let Some(value) = object.get(*name).filter(|v| !v.is_null()) else {
            continue;
        };
        let ok = match kind {
            Kind::Str => value.is_string(),
            Kind::Int => value.as_i64().is_some(),
            Kind::Num => value.is_number(),
            Kind::Bool => value.is_boolean(),
            Kind::StrList => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            Kind::List => value.is_array(),
            Kind::Obj => value.is_object(),
        };
        if !ok {
            return Err(Box::new(unprocessable(
                name,
                "Input has the wrong type",
                value,
            )));
        }
    }
    Ok(object)
}

/// `duration_in_seconds`: `30s`, `30m`, `30h`, `30d`, `2w`, `1mo`.
pub(super) fn duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().ok()?;
    Some(match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        "mo" => Duration::days(30 * n),
        _ => return None,
    })
}

/// The `…<last 4>` form the proxy shows a secret by (`abbreviate_api_key`).
pub(super) fn key_name(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("sk-...{tail}")
}

fn empty_row(token: String, name: String, now: DateTime<Utc>) -> Map<String, Value> {
    let row = json!({
        "token": token,
        "key_name": name,
        "key_alias": null,
        "spend": 0.0,
        "max_budget": null,
        "expires": null,
        "models": [],
        "aliases": {},
        "config": {},
        "user_id": null,
        "team_id": null,
        "max_parallel_requests": null,
        "metadata": {},
        "tpm_limit": null,
        "rpm_limit": null,
        "tpd_limit": null,
        "budget_duration": null,
        "budget_reset_at": null,
        "allowed_cache_controls": [],
        "permissions": {},
        "model_spend": {},
        "model_max_budget": {},
        "soft_budget_cooldown": false,
        "blocked": null,
        "org_id": null,
        "key_type": "default",
        "created_at": iso(now),
        "created_by": "default_user_id",
        "updated_at": iso(now),
        "updated_by": "default_user_id",
        "last_active": null,
        "rotation_count": 0,
        "auto_rotate": false,
    });
    match row {
        Value::Object(o) => o,
        _ => unreachable!("a JSON object literal"),
    }
}

/// A seeded key's row.
pub(super) fn seeded_row(key: &VirtualKey, _now: DateTime<Utc>) -> Map<String, Value> {
    let mut row = empty_row(key.token(), key_name(&key.secret), key.created_at);
    row.insert("key_alias".into(), json!(key.alias));
    row.insert("models".into(), json!(key.models));
    row.insert("max_budget".into(), json!(key.max_budget));
    row.insert("budget_duration".into(), json!(key.budget_duration));
    row.insert("rpm_limit".into(), json!(key.rpm_limit));
    row.insert("tpm_limit".into(), json!(key.tpm_limit));
    row.insert("spend".into(), json!(key.spend));
    row.insert("blocked".into(), json!(key.blocked.then_some(true)));
    row.insert("metadata".into(), Value::Object(key.metadata.clone()));
    row.insert("expires".into(), json!(key.expires.map(iso)));
    row
}

/// Applies the settings in `body` to `row`: present fields change, `null` clears,
/// absent fields stay.
fn apply(
    row: &mut Map<String, Value>,
    body: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    for (field, value) in body {
        match field.as_str() {
            "key" | "new_key" | "grace_period" | "new_master_key" => {}
            "duration" => {
                // `null` or "-1": the key never expires.
                let expires = match value.as_str().filter(|d| *d != "-1") {
                    None => Value::Null,
                    Some(text) => {
                        let d = duration(text).ok_or_else(|| {
                            ApiError::bad_request(
                                "duration",
                                format!(
                                    "Invalid duration format: {text}. Use e.g. 30s, 30m, 30h, 30d."
                                ),
                            )
                        })?;
                        json!(iso(now + d))
                    }
                };
                row.insert("expires".into(), expires);
            }
            "budget_duration" => {
                if let Some(text) = value.as_str() {
                    let d = duration(text).ok_or_else(|| {
                        ApiError::bad_request(
                            "budget_duration",
                            format!("Invalid budget_duration format: {text}."),
                        )
                    })?;
                    row.insert("budget_reset_at".into(), json!(iso(now + d)));
                } else {
                    row.insert("budget_reset_at".into(), Value::Null);
                }
                row.insert(field.clone(), value.clone());
            }
            // `prepare_metadata_fields`: a metadata sent replaces the stored one whole
            // (settings kept inside it included); the settings sent on their own are
            // written into it afterwards, below, and a null one is ignored.
            "metadata" => {
                let new = value.as_object().cloned().unwrap_or_default();
                row.insert("metadata".into(), Value::Object(new));
            }
            f if IN_METADATA.contains(&f) => {
                if f == "model_rpm_limit" || f == "model_tpm_limit" {
                    check_counts(f, value)?;
                }
            }
            // A column that is an object, never null (`LiteLLM_VerificationToken`).
            "model_max_budget" => {
                check_model_budgets(value)?;
                let budgets = value.as_object().cloned().unwrap_or_default();
                row.insert(field.clone(), Value::Object(budgets));
            }
            "max_budget"
            | "rpm_limit"
            | "tpm_limit"
            | "tpd_limit"
            | "max_parallel_requests"
            | "soft_budget"
                if value.as_f64().is_some_and(|v| v < 0.0) =>
            {
                return Err(ApiError::bad_request(
                    field,
                    format!("{field} must be >= 0."),
                ));
            }
            _ => {
                row.insert(field.clone(), value.clone());
            }
        }
    }
    for field in IN_METADATA {
        let Some(value) = body.get(*field).filter(|v| !v.is_null()) else {
            continue;
        };
        let metadata = row.entry("metadata").or_insert_with(|| json!({}));
        if !metadata.is_object() {
            *metadata = json!({});
        }
        if let Some(metadata) = metadata.as_object_mut() {
            metadata.insert((*field).to_owned(), value.clone());
        }
    }
    row.insert("updated_at".into(), json!(iso(now)));
    Ok(())
}

/// `{model: n}` with whole, non-negative numbers, as the parallel request limiter reads it.
fn check_counts(field: &str, value: &Value) -> Result<(), ApiError> {
    let ok = value.is_null()
        || value
            .as_object()
            .is_some_and(|m| m.values().all(|n| n.as_u64().is_some()));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            field,
            format!("{field} must map each model to a whole number of requests or tokens."),
        ))
    }
}

/// `validate_model_max_budget`: each model's entry a `GenericBudgetInfo`
/// (`budget_limit` ≥ 0, `time_period` a duration).
fn check_model_budgets(value: &Value) -> Result<(), ApiError> {
    let Some(budgets) = value.as_object() else {
        return Ok(());
    };
    for (model, budget) in budgets {
        let limit_ok = budget
            .get("budget_limit")
            .and_then(Value::as_f64)
            .is_some_and(|v| v >= 0.0);
        let period_ok = budget
            .get("time_period")
            .and_then(Value::as_str)
            .is_some_and(|p| duration(p).is_some());
        if !limit_ok || !period_ok {
            return Err(ApiError::bad_request(
                "model_max_budget",
                format!("Invalid model_max_budget for {model}: expected {{\"budget_limit\": number >= 0, \"time_period\": \"1d\"}}."),
            ));
        }
    }
    Ok(())
}

fn alias_taken(inner: &Inner, alias: Option<&str>, except: Option<usize>) -> bool {
    let Some(alias) = alias else { return false };
    inner.keys.iter().enumerate().any(|(i, k)| {
        Some(i) != except && k.get("key_alias").and_then(Value::as_str) == Some(alias)
    })
}

fn duplicate_alias(alias: &str) -> ApiError {
    ApiError::bad_request(
        "key_alias",
        format!(
            "Unique key aliases across all keys are required. Key alias={alias} already exists."
        ),
    )
}

/// `GenerateKeyResponse`: the row, the secret and its hash.
fn generated(row: &Map<String, Value>, secret: &str) -> Value {
    let mut answer = row.clone();
    answer.insert("key".into(), json!(secret));
    answer.insert("token_id".into(), row["token"].clone());
    Value::Object(answer)
}

pub(super) async fn generate(Shared(state): Shared<State>, body: Bytes) -> Response {
    let body = match read_body(&body, false) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut inner = state.lock();
    let now = inner.now();
    let secret = match body.get("key").and_then(Value::as_str) {
        Some(custom) if !custom.starts_with("sk-") || custom.len() < 16 => {
            return ApiError::bad_request("key", "Invalid key format. LiteLLM Virtual Key must start with 'sk-' and be at least 16 characters.").into_response()
        }
        Some(custom) => custom.to_owned(),
        None => new_secret(&mut inner.rng),
    };
    let alias = body.get("key_alias").and_then(Value::as_str);
    if alias_taken(&inner, alias, None) {
        return duplicate_alias(alias.unwrap_or_default()).into_response();
    }
    let token = hash_token(&secret);
    if inner.find(&token).is_some() {
        return ApiError::bad_request("key", "A key with this value already exists.")
            .into_response();
    }
    let mut row = empty_row(token, key_name(&secret), now);
    if let Err(e) = apply(&mut row, &body, now) {
        return e.into_response();
    }
    let answer = generated(&row, &secret);
    inner.keys.push(row);
    Json(answer).into_response()
}

pub(super) async fn update(Shared(state): Shared<State>, body: Bytes) -> Response {
    let body = match read_body(&body, false) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Some(key) = body.get("key").and_then(Value::as_str).map(str::to_owned) else {
        return ApiError::bad_request("key", "key is required to update a key.").into_response();
    };
    let mut inner = state.lock();
    let now = inner.now();
    let Some(at) = inner.find(&key) else {
        return ApiError::not_found(format!("Key not found: {key}")).into_response();
    };
    if body.contains_key("key_alias")
        && alias_taken(
            &inner,
            body.get("key_alias").and_then(Value::as_str),
            Some(at),
        )
    {
        return duplicate_alias(body["key_alias"].as_str().unwrap_or_default()).into_response();
    }
    let mut row = inner.keys[at].clone();
    if let Err(e) = apply(&mut row, &body, now) {
        return e.into_response();
    }
    inner.keys[at] = row.clone();
    let mut answer = Map::new();
    answer.insert("key".into(), json!(key));
    answer.extend(row);
    Json(Value::Object(answer)).into_response()
}

/// The key's status as `_derive_key_status` derives it.
fn status(row: &Map<String, Value>, now: DateTime<Utc>) -> &'static str {
    if row.get("blocked") == Some(&Value::Bool(true)) {
        return "revoked";
    }
    match row
        .get("expires")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    {
        Some(at) if at < now => "expired",
        _ => "active",
    }
}

pub(super) async fn info(Shared(state): Shared<State>, RawQuery(query): RawQuery) -> Response {
    let query = crate::query::Query::parse(query.as_deref());
    let inner = state.lock();
    let key = query
        .get("key")
        .map(str::to_owned)
        .unwrap_or_else(|| inner.master_key.clone());
    let Some(at) = inner.find(&key) else {
        return ApiError {
            param: Some("key".into()),
            ..ApiError::not_found("Key not found in database")
        }
        .into_response();
    };
    let mut info = inner.keys[at].clone();
    info.remove("token");
    info.insert("status".into(), json!(status(&inner.keys[at], inner.now())));
    Json(json!({"key": key, "info": info})).into_response()
}

pub(super) async fn list(Shared(state): Shared<State>, RawQuery(query): RawQuery) -> Response {
    let query = crate::query::Query::parse(query.as_deref());
    let page = match query.limit("page", 1, 1, 1_000_000) {
        Ok(p) => p,
        Err(bad) => return unprocessable(bad.name, &bad.message, &json!(query.get("page"))),
    };
    let size = match query.limit("size", 10, 1, 100) {
        Ok(s) => s,
        Err(bad) => return unprocessable(bad.name, &bad.message, &json!(query.get("size"))),
    };
    let full = match query.bool("return_full_object") {
        Ok(full) => full.unwrap_or(false),
        Err(bad) => {
            return unprocessable(
                bad.name,
                &bad.message,
                &json!(query.get("return_full_object")),
            )
        }
    };
    let inner = state.lock();
    let now = inner.now();
    // Newest first, as the proxy orders by `created_at desc`.
    let mut rows: Vec<&Map<String, Value>> = inner
        .keys
        .iter()
        .rev()
        .filter(|k| match query.get("key_alias") {
            Some(alias) => k.get("key_alias").and_then(Value::as_str) == Some(alias),
            None => true,
        })
        .filter(|k| match query.get("key_hash") {
            Some(hash) => k.get("token").and_then(Value::as_str) == Some(hash),
            None => true,
        })
        .filter(|k| match query.get("status") {
            Some(wanted) => status(k, now) == wanted,
            None => true,
        })
        .collect();
    let total = rows.len();
    let from = ((page - 1).saturating_mul(size)).min(total);
    let to = (from + size).min(total);
    let keys: Vec<Value> = rows
        .drain(from..to)
        .map(|k| {
            if full {
                Value::Object(k.clone())
            } else {
                k["token"].clone()
            }
        })
        .collect();
    Json(json!({
        "keys": keys,
        "total_count": total,
        "current_page": page,
        "total_pages": total.div_ceil(size),
    }))
    .into_response()
}

pub(super) async fn delete(Shared(state): Shared<State>, body: Bytes) -> Response {
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return unprocessable("body", &format!("JSON decode error: {e}"), &json!({})),
    };
    let mut inner = state.lock();
    let by_key = body.get("keys").and_then(Value::as_array).cloned();
    let by_alias = body.get("key_aliases").and_then(Value::as_array).cloned();
    let (wanted, alias) = match (by_key, by_alias) {
        (Some(keys), _) if !keys.is_empty() => (keys, false),
        (_, Some(aliases)) if !aliases.is_empty() => (aliases, true),
        _ => {
            return ApiError::bad_request("keys", "Either keys or key_aliases must be provided.")
                .into_response()
        }
    };
    let mut found = Vec::new();
    for wanted in &wanted {
        let Some(wanted) = wanted.as_str() else {
            return unprocessable("keys", "Input should be a valid string", wanted);
        };
        let at = if alias {
            inner
                .keys
                .iter()
                .position(|k| k.get("key_alias").and_then(Value::as_str) == Some(wanted))
        } else {
            inner.find(wanted)
        };
        match at {
            Some(at) => found.push(inner.keys[at]["token"].clone()),
            None => {
                return ApiError::not_found(format!(
                    "Not all keys passed in were deleted. Key not found: {wanted}"
                ))
                .into_response()
            }
        }
    }
    inner.keys.retain(|k| !found.contains(&k["token"]));
    Json(json!({"deleted_keys": wanted})).into_response()
}

async fn set_blocked(state: State, body: Bytes, blocked: bool) -> Response {
    let body = match read_body(&body, false) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Some(key) = body.get("key").and_then(Value::as_str) else {
        return unprocessable("key", "Field required", &Value::Object(body.clone()));
    };
    let mut inner = state.lock();
    let now = inner.now();
    let Some(at) = inner.find(key) else {
        return ApiError::not_found(format!("Key not found: {key}")).into_response();
    };
    inner.keys[at].insert("blocked".into(), json!(blocked));
    inner.keys[at].insert("updated_at".into(), json!(iso(now)));
    Json(Value::Object(inner.keys[at].clone())).into_response()
}

pub(super) async fn block(Shared(state): Shared<State>, body: Bytes) -> Response {
    set_blocked(state, body, true).await
}

pub(super) async fn unblock(Shared(state): Shared<State>, body: Bytes) -> Response {
    set_blocked(state, body, false).await
}

pub(super) async fn regenerate(
    Shared(state): Shared<State>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let body = match read_body(&body, true) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut inner = state.lock();
    let now = inner.now();
    let Some(at) = inner.find(&key) else {
        return ApiError::not_found(format!("Key not found: {key}")).into_response();
    };
    let grace = match body
        .get("grace_period")
        .and_then(Value::as_str)
        .filter(|g| !g.is_empty())
    {
        None => None,
        Some(text) => match duration(text) {
            Some(d) => Some(d),
            None => {
                return ApiError::bad_request(
                    "grace_period",
                    format!(
                        "Invalid grace_period format: {text}. Expected format like '24h', '2d'."
                    ),
                )
                .into_response()
            }
        },
    };
    let secret = match body.get("new_key").and_then(Value::as_str) {
        Some(custom) if !custom.starts_with("sk-") => {
            return ApiError::bad_request("new_key", "New key must start with 'sk-'.")
                .into_response()
        }
        Some(custom) => custom.to_owned(),
        None => new_secret(&mut inner.rng),
    };
    let mut row = inner.keys[at].clone();
    if let Err(e) = apply(&mut row, &body, now) {
        return e.into_response();
    }
    let old = row["token"].as_str().unwrap_or_default().to_owned();
    let token = hash_token(&secret);
    row.insert("token".into(), json!(token));
    row.insert("key_name".into(), json!(key_name(&secret)));
    let rotations = row
        .get("rotation_count")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        + 1;
    row.insert("rotation_count".into(), json!(rotations));
    row.insert("last_rotation_at".into(), json!(iso(now)));
    inner.keys[at] = row.clone();
    inner.grace.retain(|(hash, _)| *hash != old);
    if let Some(grace) = grace.filter(|g| *g > Duration::zero()) {
        inner.grace.push((old, now + grace));
    }
    Json(generated(&row, &secret)).into_response()
}

/// Whether a request made with `secret` is served: a live, unblocked, unexpired row, or
/// a regenerated secret within its grace period.
pub(super) fn honours(inner: &Inner, secret: &str) -> bool {
    let now = inner.now();
    let hash = hash_token(secret);
    if let Some(at) = inner.find(&hash) {
        return status(&inner.keys[at], now) == "active";
    }
    inner
        .grace
        .iter()
        .any(|(old, until)| *old == hash && *until > now)
}
