//! API keys, the calling key and guardrails. Keys are listed newest first, 100 a page
//! by `offset` with no total or cursor (a short page is the last); disabled and
//! expired keys only when asked. Creates and updates are validated field by field the
//! way OpenRouter's request schemas are, and answered in its error shape.

use super::seed::{hash_of, label_of, new_secret, ApiKey, Guardrail, LimitReset, Seed};
use super::{usd, ApiError, Caller, State};
use crate::query::Query;
use crate::seedgen::Rng;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

type Answer = Result<Response, ApiError>;

/// OpenRouter's page of keys.
pub const PAGE: usize = 100;

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn key_json(seed: &Seed, k: &ApiKey) -> Value {
    let usage = |reset| usd(seed.usage_since(&k.hash, seed.period_start(reset)));
    let period_use = seed.usage_since(&k.hash, seed.period_start(k.limit_reset));
    json!({
        "hash": k.hash,
        "name": k.name,
        "label": k.label(),
        "disabled": k.disabled,
        "limit": k.limit_micros.map(usd),
        "limit_remaining": k.limit_micros.map(|l| usd((l - period_use).max(0))),
        "limit_reset": k.limit_reset.map(LimitReset::as_str),
        "include_byok_in_limit": k.include_byok_in_limit,
        "usage": usage(None),
        "usage_daily": usage(Some(LimitReset::Daily)),
        "usage_weekly": usage(Some(LimitReset::Weekly)),
        "usage_monthly": usage(Some(LimitReset::Monthly)),
        "byok_usage": 0.0,
        "byok_usage_daily": 0.0,
        "byok_usage_weekly": 0.0,
        "byok_usage_monthly": 0.0,
        "created_at": rfc3339(k.created_at),
        "updated_at": k.updated_at.map(rfc3339),
        "expires_at": k.expires_at.map(rfc3339),
        "last_used_at": null,
        "creator_user_id": k.creator_user_id,
        "external_user": null,
        "workspace_id": seed.workspace_id,
    })
}

fn find_key<'a>(seed: &'a Seed, hash: &str) -> Result<&'a ApiKey, ApiError> {
    seed.keys
        .iter()
        .find(|k| k.hash == hash)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "API key not found"))
}

fn flag(query: &Query, name: &'static str) -> Result<bool, ApiError> {
    Ok(query.bool(name)?.unwrap_or(false))
}

pub(super) async fn list_keys(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let offset = query.int("offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid(
            "offset: Number must be greater than or equal to 0",
        ));
    }
    let include_disabled = flag(&query, "include_disabled")?;
    let include_expired = flag(&query, "include_expired")?;
    let seed = state.inner.lock().unwrap();
    if query
        .get("workspace_id")
        .is_some_and(|w| w != seed.workspace_id)
    {
        return Ok(Json(json!({"data": []})).into_response());
    }
    let mut keys: Vec<&ApiKey> = seed
        .keys
        .iter()
        .filter(|k| include_disabled || !k.disabled)
        .filter(|k| include_expired || k.expires_at.is_none_or(|at| at > seed.now))
        .collect();
    keys.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.hash.cmp(&b.hash))
    });
    let data: Vec<Value> = keys
        .iter()
        .skip(offset as usize)
        .take(PAGE)
        .map(|k| key_json(&seed, k))
        .collect();
    Ok(Json(json!({ "data": data })).into_response())
}

pub(super) async fn get_key(
    state: axum::extract::State<State>,
    Path(hash): Path<String>,
) -> Answer {
    let seed = state.inner.lock().unwrap();
    Ok(Json(json!({"data": key_json(&seed, find_key(&seed, &hash)?)})).into_response())
}

/// `GET /key`: the calling key, management or inference.
pub(super) async fn current_key(
    state: axum::extract::State<State>,
    Extension(caller): Extension<Caller>,
) -> Answer {
    let seed = state.inner.lock().unwrap();
    let (label, key) = match &caller {
        Caller::Management => (label_of(&seed.management_key), None),
        Caller::Inference(hash) => {
            let key = find_key(&seed, hash)?;
            (key.label(), Some(key))
        }
    };
    let usage = |reset| usd(key.map_or(0, |k| seed.usage_since(&k.hash, seed.period_start(reset))));
    let limit = key.and_then(|k| k.limit_micros);
    let period_use = key.map_or(0, |k| {
        seed.usage_since(&k.hash, seed.period_start(k.limit_reset))
    });
    Ok(Json(json!({"data": {
        "label": label,
        "is_management_key": key.is_none(),
        "is_provisioning_key": key.is_none(),
        "is_free_tier": false,
        "limit": limit.map(usd),
        "limit_remaining": limit.map(|l| usd((l - period_use).max(0))),
        "limit_reset": key.and_then(|k| k.limit_reset).map(LimitReset::as_str),
        "include_byok_in_limit": false,
        "usage": usage(None),
        "usage_daily": usage(Some(LimitReset::Daily)),
        "usage_weekly": usage(Some(LimitReset::Weekly)),
        "usage_monthly": usage(Some(LimitReset::Monthly)),
        "byok_usage": 0.0,
        "byok_usage_daily": 0.0,
        "byok_usage_weekly": 0.0,
        "byok_usage_monthly": 0.0,
        "creator_user_id": seed.user_id,
        "expires_at": key.and_then(|k| k.expires_at).map(rfc3339),
        "allowed_data_regions": ["global"],
        "budgets": [],
        "effective_budget": null,
        "free_model_daily_requests": {"limit": 1000, "remaining": 1000, "used": 0},
        "organization_id": null,
        "workspace_id": seed.workspace_id,
        "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."},
    }}))
    .into_response())
}

fn body_object(body: Option<Json<Value>>) -> Result<Map<String, Value>, ApiError> {
    match body {
        Some(Json(Value::Object(fields))) => Ok(fields),
        _ => Err(ApiError::invalid("Invalid JSON body: expected an object")),
    }
}

fn refuse_unknown(fields: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match fields.keys().find(|k| !known.contains(&k.as_str())) {
        Some(extra) => Err(ApiError::invalid(format!(
            "Unrecognized key in body: '{extra}'"
        ))),
        None => Ok(()),
    }
}

fn name_field(value: &Value) -> Result<String, ApiError> {
    match value {
        Value::String(name) if name.trim().is_empty() => Err(ApiError::invalid(
            "name: String must contain at least 1 character(s)",
        )),
        Value::String(name) => Ok(name.clone()),
        _ => Err(ApiError::invalid("name: Expected string")),
    }
}

/// `limit`: a non-negative number of USD, or null for none; kept exactly as its text.
fn limit_field(value: &Value) -> Result<Option<i64>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => {
            let micros = micros_of(&n.to_string())
                .ok_or_else(|| ApiError::invalid("limit: Expected number"))?;
            if micros < 0 {
                return Err(ApiError::invalid(
                    "limit: Number must be greater than or equal to 0",
                ));
            }
            Ok(Some(micros))
        }
        _ => Err(ApiError::invalid("limit: Expected number, received string")),
    }
}

/// A decimal number's text in micros, rounded half away from zero (no floats).
fn micros_of(text: &str) -> Option<i64> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let negative = mantissa.starts_with('-');
    let digits = mantissa.trim_start_matches('-');
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all: String = format!("{whole}{fraction}");
    let scale = fraction.len() as i32 - exponent - 6;
    let value: i128 = all.parse().ok()?;
    let micros = if scale <= 0 {
        value.checked_mul(10_i128.checked_pow((-scale) as u32)?)?
    } else {
        let div = 10_i128.checked_pow(scale as u32)?;
        (value + div / 2) / div
    };
    let micros = i64::try_from(micros).ok()?;
    Some(if negative { -micros } else { micros })
}

fn reset_field(value: &Value) -> Result<Option<LimitReset>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => LimitReset::parse(s).map(Some).ok_or_else(|| {
            ApiError::invalid(format!(
                "limit_reset: Invalid enum value. Expected 'daily' | 'weekly' | 'monthly', received '{s}'"
            ))
        }),
        _ => Err(ApiError::invalid("limit_reset: Expected string")),
    }
}

fn bool_field(name: &str, value: &Value) -> Result<bool, ApiError> {
    value
        .as_bool()
        .ok_or_else(|| ApiError::invalid(format!("{name}: Expected boolean")))
}

/// `expires_at`: a UTC ISO 8601 instant in the future; other zones are rejected.
fn expiry_field(value: &Value, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(text) => text,
        _ => return Err(ApiError::invalid("expires_at: Expected string")),
    };
    let utc = text.ends_with('Z') || text.ends_with("+00:00");
    let at = DateTime::parse_from_rfc3339(text)
        .ok()
        .filter(|_| utc)
        .ok_or_else(|| {
            ApiError::invalid("expires_at must be a valid ISO 8601 date-time in UTC (ending in Z)")
        })?
        .with_timezone(&Utc);
    if at <= now {
        return Err(ApiError::invalid("expires_at must be in the future"));
    }
    Ok(Some(at))
}

pub(super) async fn create_key(
    state: axum::extract::State<State>,
    body: Option<Json<Value>>,
) -> Answer {
    let fields = body_object(body)?;
    refuse_unknown(
        &fields,
        &[
            "name",
            "limit",
            "limit_reset",
            "include_byok_in_limit",
            "expires_at",
            "workspace_id",
            "creator_user_id",
        ],
    )?;
    let name = name_field(
        fields
            .get("name")
            .ok_or_else(|| ApiError::invalid("name: Required"))?,
    )?;
    let limit_micros = fields.get("limit").map(limit_field).transpose()?.flatten();
    let limit_reset = fields
        .get("limit_reset")
        .map(reset_field)
        .transpose()?
        .flatten();
    let include_byok_in_limit = fields
        .get("include_byok_in_limit")
        .map(|v| bool_field("include_byok_in_limit", v))
        .transpose()?
        .unwrap_or(false);
    let mut seed = state.inner.lock().unwrap();
    let expires_at = fields
        .get("expires_at")
        .map(|v| expiry_field(v, seed.now))
        .transpose()?
        .flatten();
    if let Some(workspace) = fields.get("workspace_id") {
        if workspace.as_str() != Some(seed.workspace_id.as_str()) {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "Workspace not found"));
        }
    }
    let mut rng = Rng::new(seed.rng_state);
    let secret = new_secret(&mut rng);
    seed.rng_state = rng.next();
    let key = ApiKey {
        hash: hash_of(&secret),
        secret: secret.clone(),
        name,
        disabled: false,
        limit_micros,
        limit_reset,
        include_byok_in_limit,
        created_at: seed.now,
        updated_at: None,
        expires_at,
        creator_user_id: Some(seed.user_id.clone()),
    };
    let data = key_json(&seed, &key);
    seed.keys.push(key);
    Ok((
        StatusCode::CREATED,
        Json(json!({"data": data, "key": secret})),
    )
        .into_response())
}

pub(super) async fn update_key(
    state: axum::extract::State<State>,
    Path(hash): Path<String>,
    body: Option<Json<Value>>,
) -> Answer {
    let fields = body_object(body)?;
    refuse_unknown(
        &fields,
        &[
            "name",
            "disabled",
            "limit",
            "limit_reset",
            "include_byok_in_limit",
            "workspace_id",
        ],
    )?;
    let name = fields.get("name").map(name_field).transpose()?;
    let disabled = fields
        .get("disabled")
        .map(|v| bool_field("disabled", v))
        .transpose()?;
    let limit = fields.get("limit").map(limit_field).transpose()?;
    let reset = fields.get("limit_reset").map(reset_field).transpose()?;
    let byok = fields
        .get("include_byok_in_limit")
        .map(|v| bool_field("include_byok_in_limit", v))
        .transpose()?;
    let mut seed = state.inner.lock().unwrap();
    find_key(&seed, &hash)?;
    let now = seed.now;
    let key = seed.keys.iter_mut().find(|k| k.hash == hash).unwrap();
    if let Some(name) = name {
        key.name = name;
    }
    if let Some(disabled) = disabled {
        key.disabled = disabled;
    }
    if let Some(limit) = limit {
        key.limit_micros = limit;
    }
    if let Some(reset) = reset {
        key.limit_reset = reset;
    }
    if let Some(byok) = byok {
        key.include_byok_in_limit = byok;
    }
    key.updated_at = Some(now);
    let key = key.clone();
    Ok(Json(json!({"data": key_json(&seed, &key)})).into_response())
}

pub(super) async fn delete_key(
    state: axum::extract::State<State>,
    Path(hash): Path<String>,
) -> Answer {
    let mut seed = state.inner.lock().unwrap();
    find_key(&seed, &hash)?;
    seed.keys.retain(|k| k.hash != hash);
    for guardrail in &mut seed.guardrails {
        guardrail.key_hashes.retain(|h| *h != hash);
    }
    Ok(Json(json!({"deleted": true})).into_response())
}

fn guardrail_json(seed: &Seed, g: &Guardrail) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "allowed_models": g.allowed_models,
        "limit_usd": g.limit_micros.map(usd),
        "reset_interval": g.reset_interval.map(LimitReset::as_str),
        "include_byok_in_budgets": false,
        "created_at": rfc3339(g.created_at),
        "updated_at": null,
        "workspace_id": seed.workspace_id,
    })
}

/// `offset` and `limit` (1..=100, 50 by default) of the guardrail lists.
fn window<T: Clone>(items: &[T], query: &Query) -> Result<(Vec<T>, usize), ApiError> {
    let offset = query.int("offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid(
            "offset: Number must be greater than or equal to 0",
        ));
    }
    let limit = query.limit("limit", 50, 1, 100)?;
    Ok((
        items
            .iter()
            .skip(offset as usize)
            .take(limit)
            .cloned()
            .collect(),
        items.len(),
    ))
}

pub(super) async fn list_guardrails(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let seed = state.inner.lock().unwrap();
    let all: Vec<Value> = seed
        .guardrails
        .iter()
        .map(|g| guardrail_json(&seed, g))
        .collect();
    let (data, total) = window(&all, &query)?;
    Ok(Json(json!({"data": data, "total_count": total})).into_response())
}

pub(super) async fn get_guardrail(
    state: axum::extract::State<State>,
    Path(id): Path<String>,
) -> Answer {
    let seed = state.inner.lock().unwrap();
    let guardrail = seed
        .guardrails
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Guardrail not found"))?;
    Ok(Json(json!({"data": guardrail_json(&seed, guardrail)})).into_response())
}

fn assignments(seed: &Seed, only: Option<&str>) -> Vec<Value> {
    seed.guardrails
        .iter()
        .filter(|g| only.is_none_or(|id| g.id == id))
        .flat_map(|g| {
            g.key_hashes.iter().filter_map(move |hash| {
                let key = seed.keys.iter().find(|k| &k.hash == hash)?;
                Some(json!({
                    "id": format!("{}-{}", &g.id[..8], &hash[..8]),
                    "key_hash": hash,
                    "guardrail_id": g.id,
                    "key_name": key.name,
                    "key_label": key.label(),
                    "assigned_by": seed.user_id,
                    "created_at": rfc3339(g.created_at),
                }))
            })
        })
        .collect()
}

pub(super) async fn all_key_assignments(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let seed = state.inner.lock().unwrap();
    let (data, total) = window(&assignments(&seed, None), &query)?;
    Ok(Json(json!({"data": data, "total_count": total})).into_response())
}

pub(super) async fn guardrail_key_assignments(
    state: axum::extract::State<State>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let seed = state.inner.lock().unwrap();
    if !seed.guardrails.iter().any(|g| g.id == id) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "Guardrail not found"));
    }
    let (data, total) = window(&assignments(&seed, Some(&id)), &query)?;
    Ok(Json(json!({"data": data, "total_count": total})).into_response())
}

#[cfg(test)]
mod tests {
    use super::micros_of;

    #[test]
    fn limits_are_read_exactly_from_their_text() {
        assert_eq!(micros_of("10"), Some(10_000_000));
        assert_eq!(micros_of("10.0"), Some(10_000_000));
        assert_eq!(micros_of("0.1234565"), Some(123_457));
        assert_eq!(micros_of("1e-2"), Some(10_000));
        assert_eq!(micros_of("-5"), Some(-5_000_000));
        assert_eq!(micros_of("x"), None);
    }
}
