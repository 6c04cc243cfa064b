//! Control plane: inference keys of a project, in the Upgreat console's shape.
//!
//! Handlers parse and validate input, check the caller's project and role, and
//! delegate to `keys`; every mutation is audited there, in its own transaction.

use crate::auth::ControlCaller;
use crate::error::ApiError;
use crate::extract::{from_json, from_value, ApiJson};
use crate::keys::{self, KeyError, KeyQuery, KeySort};
use crate::Gateway;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use keyward_api::keys::{MAX_GRACE_PERIOD_SECONDS, READ_ONLY_KEY_FIELDS};
use keyward_api::token::{self, TokenKind};
use keyward_api::{
    CreateKeyRequest, CreatedKey, ErrorBody, ErrorCode, IdentifyKeyRequest, InferenceKey, KeyPage,
    KeySpec, KeyStatus, KeyUsage, RotateKeyRequest, UpdateKeyRequest,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub fn routes() -> Router<Gateway> {
    Router::new()
        .route(
            "/v1/projects/{project_id}/inference/keys",
            get(list_keys).post(create_key),
        )
        .route("/v1/inference/keys/identify", post(identify_key))
        .route(
            "/v1/inference/keys/{key_id}",
            get(get_key).patch(update_key).delete(revoke_key),
        )
        .route("/v1/inference/keys/{key_id}/archive", post(archive_key))
        .route("/v1/inference/keys/{key_id}/unarchive", post(unarchive_key))
        .route("/v1/inference/keys/{key_id}/rotate", post(rotate_key))
        .route("/v1/inference/keys/{key_id}/usage", get(key_usage))
}

fn invalid(e: keyward_api::FieldError) -> ApiError {
    ApiError::field(e.field, e.message)
}

fn refused(key_id: &str, action: &str, error: KeyError) -> ApiError {
    match error {
        KeyError::NotFound => key_not_found(key_id),
        KeyError::Conflict(status) => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            format!(
                "Key {key_id} is {}; it cannot be {action}.",
                status.as_str()
            ),
        ),
        KeyError::Invalid(invalid) => invalid,
        KeyError::Database(error) => error.into(),
        KeyError::Unshared(error) => ApiError::unshared(error),
    }
}

fn key_not_found(key_id: &str) -> ApiError {
    ApiError::not_found(format!("No inference key {key_id} in this project."))
}

#[utoipa::path(post, path = "/v1/projects/{project_id}/inference/keys", tag = "keys", security(("control_token" = [])),
    params(("project_id" = String, Path, description = "Project id")),
    request_body = CreateKeyRequest,
    responses((status = 201, description = "Created; `secret` is shown this once", body = CreatedKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 413, description = "Body over 1 MiB", body = ErrorBody)))]
pub(crate) async fn create_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    ApiJson(request): ApiJson<CreateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    caller.require_project(&project_id)?;
    caller.require_write()?;
    let now = gateway.now();
    let spec = KeySpec::from_create(request, now).map_err(invalid)?;
    if let Some(error) =
        keys::unknown_workload(gateway.pool().exec(), &project_id, &spec.workloads).await?
    {
        return Err(error);
    }
    let (key, secret) =
        keys::create(gateway.pool(), &project_id, &spec, &caller.actor, now).await?;
    tracing::info!(key_id = %key.id, project_id = %project_id, "inference key created");
    Ok((StatusCode::CREATED, Json(CreatedKey { key, secret })))
}

/// The list's query parameters, for the OpenAPI document; parsing is by hand (below)
/// so that every bad parameter is named in the error.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct KeyListParams {
    /// Only keys in this status.
    #[param(pattern = "^(active|revoked|expired|archived)$")]
    status: Option<String>,
    /// `archived` to include archived keys in an unfiltered list.
    #[param(pattern = "^archived$")]
    include: Option<String>,
    /// Substring of the name, of a label, or of the masked key (`kw_live_AbC…x9Qz`).
    #[param(max_length = 200)]
    q: Option<String>,
    /// Keys that may call this model (keys without a model list may call any).
    #[param(min_length = 1, max_length = 200)]
    model: Option<String>,
    /// Keys that may call this workload (whole-project keys may call any).
    #[param(min_length = 1, max_length = 200)]
    workload: Option<String>,
    /// `key` (label present) or `key=value`.
    #[param(min_length = 1, max_length = 200)]
    label: Option<String>,
    /// Unexpired, unrevoked keys that expire within this many days.
    #[param(minimum = 1, maximum = 3650)]
    expiring_within_days: Option<i64>,
    #[param(pattern = "^(created_at|last_used_at|name)$")]
    sort: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A model, workload or label filter: 1–200 characters, no control characters.
fn filter_value(field: &str, value: String) -> Result<String, ApiError> {
    if value.is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(ApiError::field(
            field,
            format!("{field} must be 1–200 characters without control characters."),
        ));
    }
    Ok(value)
}

/// The list's query string, parsed by hand so every bad parameter is named.
fn key_query(params: BTreeMap<String, String>) -> Result<KeyQuery, ApiError> {
    let mut query = KeyQuery::default();
    for (name, value) in params {
        match name.as_str() {
            "status" => {
                query.status = Some(KeyStatus::parse(&value).ok_or_else(|| {
                    ApiError::field(
                        "status",
                        "status must be active, revoked, expired or archived.",
                    )
                })?)
            }
            "include" => {
                if value != "archived" {
                    return Err(ApiError::field(
                        "include",
                        "include accepts only \"archived\".",
                    ));
                }
                query.include_archived = true;
            }
            "q" => {
                if value.chars().count() > 200 {
                    return Err(ApiError::field("q", "q must be at most 200 characters."));
                }
                query.q = Some(value);
            }
            "sort" => {
                query.sort = match value.as_str() {
                    "created_at" => KeySort::CreatedAt,
                    "last_used_at" => KeySort::LastUsedAt,
                    "name" => KeySort::Name,
                    _ => {
                        return Err(ApiError::field(
                            "sort",
                            "sort must be created_at, last_used_at or name.",
                        ))
                    }
                }
            }
            "model" => {
                query.model = Some(filter_value("model", value)?);
            }
            "workload" => {
                query.workload = Some(filter_value("workload", value)?);
            }
            "label" => {
                let value = filter_value("label", value)?;
                query.label = Some(match value.split_once('=') {
                    Some((key, v)) if !key.is_empty() => (key.to_owned(), Some(v.to_owned())),
                    Some(_) => {
                        return Err(ApiError::field(
                            "label",
                            "label must be key or key=value, with a non-empty key.",
                        ))
                    }
                    None => (value, None),
                });
            }
            "expiring_within_days" => {
                query.expiring_within_days = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|d| (1..=3650).contains(d))
                        .ok_or_else(|| {
                            ApiError::field(
                                "expiring_within_days",
                                "expiring_within_days must be a whole number from 1 to 3650.",
                            )
                        })?,
                );
            }
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=200).contains(l))
                    .ok_or_else(|| {
                        ApiError::field("limit", "limit must be a whole number from 1 to 200.")
                    })?
            }
            "offset" => {
                query.offset = value.parse().ok().filter(|o| *o >= 0).ok_or_else(|| {
                    ApiError::field("offset", "offset must be a whole number, 0 or more.")
                })?
            }
            other => {
                let mut error = ApiError::field("query", format!("Unknown query parameter {other:?}; use status, include, q, model, workload, label, expiring_within_days, sort, limit or offset."));
                error.body.error.field = Some(other.to_owned());
                return Err(error);
            }
        }
    }
    Ok(query)
}

#[utoipa::path(get, path = "/v1/projects/{project_id}/inference/keys", tag = "keys", security(("control_token" = [])),
    params(("project_id" = String, Path, description = "Project id"), KeyListParams),
    responses((status = 200, description = "One page of keys (masked, never a secret)", body = KeyPage), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn list_keys(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Json<KeyPage>, ApiError> {
    caller.require_project(&project_id)?;
    let query = key_query(params)?;
    let (keys, total) = keys::list(gateway.pool(), &project_id, &query, gateway.now()).await?;
    Ok(Json(KeyPage {
        keys,
        total,
        limit: query.limit,
        offset: query.offset,
    }))
}

#[utoipa::path(get, path = "/v1/inference/keys/{key_id}", tag = "keys", security(("control_token" = [])),
    params(("key_id" = String, Path)),
    responses((status = 200, body = InferenceKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
) -> Result<Json<InferenceKey>, ApiError> {
    keys::get(
        gateway.pool().exec(),
        &caller.project_id,
        &key_id,
        gateway.now(),
    )
    .await?
    .map(Json)
    .ok_or_else(|| key_not_found(&key_id))
}

#[utoipa::path(patch, path = "/v1/inference/keys/{key_id}", tag = "keys", security(("control_token" = [])),
    params(("key_id" = String, Path)), request_body = UpdateKeyRequest,
    responses((status = 200, body = InferenceKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn update_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<InferenceKey>, ApiError> {
    caller.require_write()?;
    if let Some(field) = body
        .keys()
        .find(|f| READ_ONLY_KEY_FIELDS.contains(&f.as_str()))
    {
        return Err(ApiError::field(
            &field.clone(),
            format!("{field} is read-only and cannot be changed with PATCH."),
        ));
    }
    let patch: UpdateKeyRequest = from_value(Value::Object(body))?;
    let now = gateway.now();
    let next = |current: &InferenceKey| {
        keys::spec_of(current)
            .with_update(patch, now)
            .map_err(invalid)
    };
    keys::update(
        &gateway,
        &caller.project_id,
        &key_id,
        next,
        &caller.actor,
        now,
    )
    .await
    .map(Json)
    .map_err(|e| refused(&key_id, "updated", e))
}

#[utoipa::path(delete, path = "/v1/inference/keys/{key_id}", tag = "keys", security(("control_token" = [])),
    params(("key_id" = String, Path)),
    responses((status = 200, description = "Revoked (idempotent)", body = InferenceKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
) -> Result<Json<InferenceKey>, ApiError> {
    caller.require_write()?;
    let key = keys::revoke(
        &gateway,
        &caller.project_id,
        &key_id,
        &caller.actor,
        gateway.now(),
    )
    .await
    .map_err(|r| refused(&key_id, "revoked", r))?;
    tracing::info!(key_id = %key.id, "inference key revoked");
    Ok(Json(key))
}

#[utoipa::path(post, path = "/v1/inference/keys/{key_id}/archive", tag = "keys", security(("control_token" = [])),
    params(("key_id" = String, Path)),
    responses((status = 200, body = InferenceKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Only revoked or expired keys can be archived", body = ErrorBody)))]
pub(crate) async fn archive_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
) -> Result<Json<InferenceKey>, ApiError> {
    caller.require_write()?;
    keys::set_archived(
        &gateway,
        &caller.project_id,
        &key_id,
        true,
        &caller.actor,
        gateway.now(),
    )
    .await
    .map(Json)
    .map_err(|r| refused(&key_id, "archived (revoke it first)", r))
}

#[utoipa::path(post, path = "/v1/inference/keys/{key_id}/unarchive", tag = "keys", security(("control_token" = [])),
    params(("key_id" = String, Path)),
    responses((status = 200, body = InferenceKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn unarchive_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
) -> Result<Json<InferenceKey>, ApiError> {
    caller.require_write()?;
    keys::set_archived(
        &gateway,
        &caller.project_id,
        &key_id,
        false,
        &caller.actor,
        gateway.now(),
    )
    .await
    .map(Json)
    .map_err(|r| refused(&key_id, "unarchived", r))
}

#[utoipa::path(post, path = "/v1/inference/keys/{key_id}/rotate", tag = "keys", security(("control_token" = [])),
    params(("key_id" = String, Path)), request_body(content = Option<RotateKeyRequest>, description = "Optional"),
    responses((status = 200, description = "New secret for the same key id, shown this once", body = CreatedKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn rotate_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CreatedKey>, ApiError> {
    caller.require_write()?;
    // The body is optional: no body means no grace period.
    let request: RotateKeyRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RotateKeyRequest::default()
    } else {
        from_json(&body)?
    };
    let grace = request.grace_period_seconds.unwrap_or(0);
    if !(0..=MAX_GRACE_PERIOD_SECONDS).contains(&grace) {
        return Err(ApiError::field(
            "grace_period_seconds",
            format!(
                "grace_period_seconds must be from 0 to {MAX_GRACE_PERIOD_SECONDS} (one week)."
            ),
        ));
    }
    let (key, secret) = keys::rotate(
        &gateway,
        &caller.project_id,
        &key_id,
        Duration::seconds(grace),
        &caller.actor,
        gateway.now(),
    )
    .await
    .map_err(|r| refused(&key_id, "rotated", r))?;
    tracing::info!(key_id = %key.id, grace_seconds = grace, "inference key rotated");
    Ok(Json(CreatedKey { key, secret }))
}

#[utoipa::path(post, path = "/v1/inference/keys/identify", tag = "keys", security(("control_token" = [])),
    request_body = IdentifyKeyRequest,
    responses((status = 200, description = "The key this secret belongs to", body = InferenceKey), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn identify_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    ApiJson(request): ApiJson<IdentifyKeyRequest>,
) -> Result<Json<InferenceKey>, ApiError> {
    let presented = request.secret.expose();
    match token::parse(presented) {
        Ok(TokenKind::Data) => {}
        Ok(TokenKind::Control) => {
            return Err(ApiError::field(
                "secret",
                "This is a control token (kw_ctl_…), not an inference key.",
            ))
        }
        Err(why) => {
            return Err(ApiError::field(
                "secret",
                format!("This is not a Keyward inference key: {why}."),
            ))
        }
    }
    let now = gateway.now();
    let not_found =
        || ApiError::not_found("No key with this secret in a project this token can see.");
    let hash = token::hash(presented);
    let found = keys::find_by_hash(gateway.pool(), &hash).await?;
    // A secret that was rotated out (grace over) still identifies its key: ops holding
    // an old leaked string need to know whose it was.
    let Some(found) = found.filter(|k| k.project_id == caller.project_id) else {
        return Err(not_found());
    };
    keys::get(gateway.pool().exec(), &caller.project_id, &found.id, now)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

#[utoipa::path(get, path = "/v1/inference/keys/{key_id}/usage", tag = "keys", security(("control_token" = [])),
    params(("key_id" = String, Path)),
    responses((status = 200, description = "Totals, by model, and the last 24 hours hour by hour. With `Accept: text/csv`, the hourly series as CSV: `hour`, `requests`, `input_tokens`, `output_tokens`.", content((KeyUsage = "application/json"), (String = "text/csv"))), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn key_usage(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let key = keys::get(
        gateway.pool().exec(),
        &caller.project_id,
        &key_id,
        gateway.now(),
    )
    .await?
    .ok_or_else(|| key_not_found(&key_id))?;
    let usage = keys::usage(gateway.pool(), &key, gateway.now()).await?;
    if super::wants_csv(&headers) {
        return Ok(super::csv_response(
            usage.to_csv(),
            &format!("usage-{}.csv", usage.key_id),
        ));
    }
    Ok(Json(usage).into_response())
}
