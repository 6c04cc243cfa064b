//! Control plane: inference keys of a project, in the Upgreat console's shape.
//!
//! Handlers validate input, check the caller's project and delegate to `keys`.

use crate::auth::ControlCaller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::{keys, Gateway};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use keyward_api::keys::{self as wire};
use keyward_api::{CreateKeyRequest, CreatedKey, InferenceKey, KeyPage};

pub fn routes() -> Router<Gateway> {
    Router::new()
        .route(
            "/v1/projects/{project_id}/inference/keys",
            get(list_keys).post(create_key),
        )
        .route(
            "/v1/inference/keys/{key_id}",
            get(get_key).delete(revoke_key),
        )
}

async fn create_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    ApiJson(request): ApiJson<CreateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    caller.require_project(&project_id)?;
    let name = validate_name(request.name.as_deref())?;
    let (key, secret) = keys::create(gateway.pool(), &project_id, name, Utc::now()).await?;
    tracing::info!(key_id = %key.id, project_id = %project_id, "inference key created");
    Ok((StatusCode::CREATED, Json(CreatedKey { key, secret })))
}

async fn list_keys(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
) -> Result<Json<KeyPage>, ApiError> {
    caller.require_project(&project_id)?;
    let keys = keys::list(gateway.pool(), &project_id).await?;
    Ok(Json(KeyPage { keys }))
}

async fn get_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
) -> Result<Json<InferenceKey>, ApiError> {
    keys::get(gateway.pool(), &caller.project_id, &key_id)
        .await?
        .map(Json)
        .ok_or_else(|| key_not_found(&key_id))
}

async fn revoke_key(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(key_id): Path<String>,
) -> Result<Json<InferenceKey>, ApiError> {
    let key = keys::revoke(gateway.pool(), &caller.project_id, &key_id, Utc::now())
        .await?
        .ok_or_else(|| key_not_found(&key_id))?;
    tracing::info!(key_id = %key.id, "inference key revoked");
    Ok(Json(key))
}

fn key_not_found(key_id: &str) -> ApiError {
    ApiError::not_found(format!("No inference key {key_id} in this project."))
}

fn validate_name(name: Option<&str>) -> Result<&str, ApiError> {
    wire::validate_name(name).map_err(|e| ApiError::field(e.field, e.message))
}
