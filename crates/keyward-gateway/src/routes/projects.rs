//! Projects, control tokens, the audit trail, and `whoami`.
//!
//! Projects and control tokens are managed by the bootstrap owner token; admin and
//! viewer tokens see only their own project. The owner administers keys in its home
//! project only: other projects get their own admin tokens (least privilege).

use crate::auth::ControlCaller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::{projects, Gateway};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use keyward_api::{
    AuditEvent, AuditPage, ControlToken, ControlTokenList, CreateControlTokenRequest,
    CreatedControlToken, ErrorBody, ErrorCode, Project, ProjectList, ProjectRequest, Role, WhoAmI,
};
use std::collections::BTreeMap;

pub fn routes() -> Router<Gateway> {
    Router::new()
        .route("/v1/whoami", get(whoami))
        .route("/v1/projects", get(list_projects).post(create_project))
        .route(
            "/v1/projects/{project_id}",
            get(get_project).patch(rename_project),
        )
        .route(
            "/v1/projects/{project_id}/control-tokens",
            get(list_tokens).post(create_token),
        )
        .route("/v1/control-tokens/{token_id}", delete(revoke_token))
        .route("/v1/control-tokens/{token_id}/rotate", post(rotate_token))
        .route("/v1/projects/{project_id}/audit", get(list_audit))
}

#[utoipa::path(get, path = "/v1/whoami", tag = "projects", security(("control_token" = [])),
    responses((status = 200, description = "The presented token, its role and project", body = WhoAmI), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn whoami(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
) -> Result<Json<WhoAmI>, ApiError> {
    let project = projects::get_project(gateway.pool().exec(), &caller.project_id)
        .await?
        .ok_or_else(|| ApiError::not_found("This token's project no longer exists."))?;
    Ok(Json(WhoAmI {
        token_id: caller.actor.id,
        token_label: caller.actor.label,
        role: caller.role,
        project,
    }))
}

fn project_name(request: ProjectRequest) -> Result<String, ApiError> {
    keyward_api::validate_name(request.name.as_deref())
        .map(str::to_owned)
        .map_err(|e| ApiError::field(e.field, e.message))
}

fn project_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("No project {id}."))
}

#[utoipa::path(get, path = "/v1/projects", tag = "projects", security(("control_token" = [])),
    responses((status = 200, description = "All projects (owner) or the token's own", body = ProjectList), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn list_projects(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
) -> Result<Json<ProjectList>, ApiError> {
    let mut projects = projects::list_projects(gateway.pool()).await?;
    if caller.role != Role::Owner {
        projects.retain(|p| p.id == caller.project_id);
    }
    Ok(Json(ProjectList { projects }))
}

#[utoipa::path(post, path = "/v1/projects", tag = "projects", security(("control_token" = [])), request_body = ProjectRequest,
    responses((status = 201, body = Project), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn create_project(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    ApiJson(request): ApiJson<ProjectRequest>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    caller.require_owner()?;
    let name = project_name(request)?;
    let project =
        projects::create_project_audited(gateway.pool(), &name, &caller.actor, gateway.now())
            .await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[utoipa::path(get, path = "/v1/projects/{project_id}", tag = "projects", security(("control_token" = [])), params(("project_id" = String, Path)),
    responses((status = 200, body = Project), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_project(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
) -> Result<Json<Project>, ApiError> {
    if caller.role != Role::Owner {
        caller.require_project(&project_id)?;
    }
    projects::get_project(gateway.pool().exec(), &project_id)
        .await?
        .map(Json)
        .ok_or_else(|| project_not_found(&project_id))
}

#[utoipa::path(patch, path = "/v1/projects/{project_id}", tag = "projects", security(("control_token" = [])), params(("project_id" = String, Path)), request_body = ProjectRequest,
    responses((status = 200, body = Project), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn rename_project(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    ApiJson(request): ApiJson<ProjectRequest>,
) -> Result<Json<Project>, ApiError> {
    caller.require_owner()?;
    let name = project_name(request)?;
    projects::rename_project(
        gateway.pool(),
        &project_id,
        &name,
        &caller.actor,
        gateway.now(),
    )
    .await?
    .map(Json)
    .ok_or_else(|| project_not_found(&project_id))
}

#[utoipa::path(get, path = "/v1/projects/{project_id}/control-tokens", tag = "control tokens", security(("control_token" = [])), params(("project_id" = String, Path)),
    responses((status = 200, description = "Masked; never a secret", body = ControlTokenList), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn list_tokens(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
) -> Result<Json<ControlTokenList>, ApiError> {
    caller.require_owner()?;
    let tokens = projects::list_control_tokens(gateway.pool(), &project_id).await?;
    Ok(Json(ControlTokenList { tokens }))
}

#[utoipa::path(post, path = "/v1/projects/{project_id}/control-tokens", tag = "control tokens", security(("control_token" = [])), params(("project_id" = String, Path)), request_body = CreateControlTokenRequest,
    responses((status = 201, description = "Created; `secret` is shown this once", body = CreatedControlToken), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn create_token(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    ApiJson(request): ApiJson<CreateControlTokenRequest>,
) -> Result<(StatusCode, Json<CreatedControlToken>), ApiError> {
    caller.require_owner()?;
    let name = keyward_api::validate_name(request.name.as_deref())
        .map_err(|e| ApiError::field(e.field, e.message))?
        .to_owned();
    let role = match request.role {
        Some(role @ (Role::Admin | Role::Viewer)) => role,
        Some(Role::Owner) => {
            return Err(ApiError::field(
                "role",
                "role must be admin or viewer; there is one owner token, made by `init`.",
            ))
        }
        None => {
            return Err(ApiError::field(
                "role",
                "role is required: admin or viewer.",
            ))
        }
    };
    if projects::get_project(gateway.pool().exec(), &project_id)
        .await?
        .is_none()
    {
        return Err(project_not_found(&project_id));
    }
    let (token, secret) = projects::create_control_token_audited(
        gateway.pool(),
        &project_id,
        &name,
        role,
        &caller.actor,
        gateway.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedControlToken { token, secret }),
    ))
}

fn token_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("No control token {id}."))
}

#[utoipa::path(delete, path = "/v1/control-tokens/{token_id}", tag = "control tokens", security(("control_token" = [])), params(("token_id" = String, Path)),
    responses((status = 200, body = ControlToken), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn revoke_token(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(token_id): Path<String>,
) -> Result<Json<ControlToken>, ApiError> {
    caller.require_owner()?;
    if token_id == caller.actor.id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "The owner token cannot revoke itself; rotate it instead.",
        ));
    }
    projects::revoke_control_token(gateway.pool(), &token_id, &caller.actor, gateway.now())
        .await?
        .map(Json)
        .ok_or_else(|| token_not_found(&token_id))
}

#[utoipa::path(post, path = "/v1/control-tokens/{token_id}/rotate", tag = "control tokens", security(("control_token" = [])), params(("token_id" = String, Path)),
    responses((status = 200, description = "New secret, shown this once", body = CreatedControlToken), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn rotate_token(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(token_id): Path<String>,
) -> Result<Json<CreatedControlToken>, ApiError> {
    caller.require_owner()?;
    match projects::rotate_control_token(gateway.pool(), &token_id, &caller.actor, gateway.now())
        .await?
    {
        None => Err(token_not_found(&token_id)),
        Some(Err(_revoked)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            format!("Control token {token_id} is revoked; it cannot be rotated."),
        )),
        Some(Ok((token, secret))) => Ok(Json(CreatedControlToken { token, secret })),
    }
}

/// Audit filters, for the OpenAPI document (parsed by hand below).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AuditParams {
    action: Option<String>,
    target_id: Option<String>,
    actor_id: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    #[param(minimum = 0)]
    offset: Option<i64>,
}

#[utoipa::path(get, path = "/v1/projects/{project_id}/audit", tag = "audit", security(("control_token" = [])), params(("project_id" = String, Path), AuditParams),
    responses((status = 200, body = AuditPage), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn list_audit(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Json<AuditPage>, ApiError> {
    caller.require_project(&project_id)?;
    let mut filter = crate::audit::AuditFilter {
        limit: 50,
        ..Default::default()
    };
    for (name, value) in params {
        match name.as_str() {
            "action" => filter.action = Some(value),
            "target_id" => filter.target_id = Some(value),
            "actor_id" => filter.actor_id = Some(value),
            "limit" => {
                filter.limit = value.parse().ok().filter(|l| (1..=200).contains(l))
                    .ok_or_else(|| ApiError::field("limit", "limit must be a whole number from 1 to 200."))?
            }
            "offset" => {
                filter.offset = value.parse().ok().filter(|o| *o >= 0)
                    .ok_or_else(|| ApiError::field("offset", "offset must be a whole number, 0 or more."))?
            }
            other => {
                return Err(ApiError::field(other, format!("Unknown query parameter {other:?}; use action, target_id, actor_id, limit or offset.")))
            }
        }
    }
    let (events, total): (Vec<AuditEvent>, i64) =
        crate::audit::list(gateway.pool(), &project_id, &filter).await?;
    Ok(Json(AuditPage {
        events,
        total,
        limit: filter.limit,
        offset: filter.offset,
    }))
}
