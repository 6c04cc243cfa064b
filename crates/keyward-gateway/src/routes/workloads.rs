//! The workload API in InferenceKey's wire shape: `GET|POST
//! /api/projects/{project}/workloads`, `GET|PATCH|DELETE /api/workloads/{id}`.
//! Control tokens only; every route checks the caller's project (a workload of
//! another project is a 404, never a hint that it exists).

use crate::auth::ControlCaller;
use crate::error::ApiError;
use crate::extract::{from_value, ApiJson};
use crate::workloads::{self, Refusal};
use crate::Gateway;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use keyward_api::health::{
    HealthStatus, HealthSummary, ReadinessFrame, ReadinessPhase, WorkloadHealth,
};
use keyward_api::workloads::{
    DeletedWorkload, Workload, WorkloadList, WorkloadRequest, WorkloadSpec,
};
use keyward_api::{ErrorBody, ErrorCode};
use serde_json::Value;

pub fn routes() -> Router<Gateway> {
    Router::new()
        .route(
            "/api/projects/{project_id}/workloads",
            get(list_workloads).post(create_workload),
        )
        .route(
            "/api/projects/{project_id}/workloads/{slug}/readiness-events",
            get(readiness_events),
        )
        .route(
            "/api/projects/{project_id}/workloads/health",
            get(project_health),
        )
        .route("/api/workloads/{workload_id}/health", get(workload_health))
        .route(
            "/api/workloads/{workload_id}",
            get(get_workload)
                .patch(update_workload)
                .delete(delete_workload),
        )
}

fn invalid(e: keyward_api::FieldError) -> ApiError {
    ApiError::field(e.field, e.message)
}

fn refused(workload_id: &str, refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::NotFound => not_found(workload_id),
        Refusal::DuplicateSlug(slug) => {
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                format!("This project already has a workload with slug \"{slug}\"; choose another slug or update that workload."),
            );
            error.body.error.field = Some("slug".into());
            error
        }
        Refusal::Database(error) => error.into(),
    }
}

fn not_found(workload_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "There is no workload {workload_id} in this token's project."
    ))
}

/// Parses a JSON object body into a request, refusing unknown fields by name.
fn parse_request(body: Value) -> Result<WorkloadRequest, ApiError> {
    if !body.is_object() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            "The request body must be a JSON object.",
        ));
    }
    from_value(body)
}

#[utoipa::path(get, path = "/api/projects/{project_id}/workloads", tag = "workloads", security(("control_token" = [])),
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The project's workloads, by slug", body = WorkloadList), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn list_workloads(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
) -> Result<Json<WorkloadList>, ApiError> {
    caller.require_project(&project_id)?;
    Ok(Json(WorkloadList {
        workloads: workloads::list(gateway.pool(), &project_id).await?,
    }))
}

#[utoipa::path(post, path = "/api/projects/{project_id}/workloads", tag = "workloads", security(("control_token" = [])),
    params(("project_id" = String, Path, description = "Project id")),
    request_body = WorkloadRequest,
    responses((status = 201, description = "Created", body = Workload), (status = 400, description = "Invalid input; `field` names it and lists allowed values", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 409, description = "Duplicate slug in the project", body = ErrorBody), (status = 413, description = "Body over 1 MiB", body = ErrorBody)))]
pub(crate) async fn create_workload(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Workload>), ApiError> {
    caller.require_project(&project_id)?;
    caller.require_write()?;
    let spec = WorkloadSpec::from_create(parse_request(body)?).map_err(invalid)?;
    let workload = workloads::create(
        gateway.pool(),
        &project_id,
        &spec,
        &caller.actor,
        gateway.now(),
    )
    .await
    .map_err(|r| refused("", r))?;
    gateway
        .workloads_changed(&project_id)
        .await
        .map_err(ApiError::unshared)?;
    tracing::info!(workload_id = %workload.id, slug = %workload.slug, "workload created");
    Ok((StatusCode::CREATED, Json(workload)))
}

#[utoipa::path(get, path = "/api/workloads/{workload_id}", tag = "workloads", security(("control_token" = [])),
    params(("workload_id" = String, Path)),
    responses((status = 200, body = Workload), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_workload(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(workload_id): Path<String>,
) -> Result<Json<Workload>, ApiError> {
    workloads::get(gateway.pool().exec(), &caller.project_id, &workload_id)
        .await?
        .map(Json)
        .ok_or_else(|| not_found(&workload_id))
}

#[utoipa::path(patch, path = "/api/workloads/{workload_id}", tag = "workloads", security(("control_token" = [])),
    params(("workload_id" = String, Path)),
    request_body = WorkloadRequest,
    responses((status = 200, description = "Updated (only the fields sent)", body = Workload), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Duplicate slug in the project", body = ErrorBody), (status = 413, description = "Body over 1 MiB", body = ErrorBody)))]
pub(crate) async fn update_workload(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(workload_id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Workload>, ApiError> {
    caller.require_write()?;
    let patch = parse_request(body)?;
    let next = |current: &Workload| {
        workloads::spec_of(current)
            .with_update(patch)
            .map_err(invalid)
    };
    let updated = workloads::update(
        gateway.pool(),
        &caller.project_id,
        &workload_id,
        next,
        &caller.actor,
        gateway.now(),
    )
    .await
    .map_err(|r| refused(&workload_id, r));
    // Whatever happened, the data plane rereads this project's workloads and keys, and
    // a status found before the change (e.g. down at an old URL) no longer applies.
    gateway.prober_state().forget(&workload_id);
    let announced = async {
        gateway.workloads_changed(&caller.project_id).await?;
        gateway.all_keys_changed().await
    };
    announced.await.map_err(ApiError::unshared)?;
    let updated = updated??;
    Ok(Json(updated))
}

#[utoipa::path(delete, path = "/api/workloads/{workload_id}", tag = "workloads", security(("control_token" = [])),
    params(("workload_id" = String, Path)),
    responses((status = 200, description = "Deleted; the keys that named it keep their other workloads", body = DeletedWorkload), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete_workload(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(workload_id): Path<String>,
) -> Result<Json<DeletedWorkload>, ApiError> {
    caller.require_write()?;
    let deleted = workloads::delete(
        gateway.pool(),
        &caller.project_id,
        &workload_id,
        &caller.actor,
        gateway.now(),
    )
    .await
    .map_err(|r| refused(&workload_id, r));
    // Announced also when the workload is already gone: a delete repeated after an
    // unannounced one (503 below) completes it on every replica.
    gateway.prober_state().forget(&workload_id);
    let announced = async {
        gateway.workloads_changed(&caller.project_id).await?;
        if let Ok((_, affected_keys)) = &deleted {
            for key in affected_keys {
                gateway.key_changed(&key.id).await?;
            }
        }
        Ok(())
    };
    announced.await.map_err(ApiError::unshared)?;
    let (workload, affected_keys) = deleted?;
    tracing::info!(workload_id = %workload.id, affected = affected_keys.len(), "workload deleted");
    Ok(Json(DeletedWorkload {
        deleted: true,
        workload,
        affected_keys,
    }))
}

/// How long one readiness stream may stay open.
const READINESS_STREAM_LIMIT: std::time::Duration = std::time::Duration::from_secs(900);
/// How often the workload's upstream is probed while someone waits.
const READINESS_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// The phase a workload is in, derived from a probe of its upstream: no upstream yet →
/// `scheduling`; not reachable → `provisioning`; reachable but `GET /health` not 200 →
/// `bootstrapping` (vLLM answers 503 while loading); 200 → `ready`; deleted → `error`.
async fn readiness_of(gateway: &Gateway, project_id: &str, slug: &str) -> (ReadinessPhase, String) {
    let observed = match gateway.observed_workloads(project_id).await {
        Ok(observed) => observed,
        Err(error) => {
            return (
                ReadinessPhase::Error,
                ApiError::from(error).body.error.message,
            )
        }
    };
    let workload = match gateway
        .workload_cache()
        .project(gateway.pool(), project_id, observed)
        .await
    {
        Ok(all) => all.iter().find(|w| w.slug == slug).cloned(),
        Err(error) => {
            tracing::error!(%error, "readiness: cannot read workloads");
            return (
                ReadinessPhase::Error,
                "The gateway cannot read its workloads.".into(),
            );
        }
    };
    let Some(workload) = workload else {
        return (
            ReadinessPhase::Error,
            format!("Workload \"{slug}\" does not exist (it may have been deleted)."),
        );
    };
    let Some(upstream) = workload.upstream_url.clone() else {
        return (
            ReadinessPhase::Scheduling,
            format!("Waiting for a server for \"{slug}\": set the workload's upstream_url."),
        );
    };
    use crate::health::Liveness;
    let liveness = crate::prober::check_health(gateway, &upstream).await;
    if liveness == Liveness::Ok && gateway.prober_state().down_reason(&workload.id).is_some() {
        if let Err(error) = crate::prober::probe_now(gateway, &workload).await {
            tracing::error!(%error, "readiness: cannot record the probe");
        }
    }
    match liveness {
        Liveness::Ok => (
            ReadinessPhase::Ready,
            format!("{upstream} is serving {}.", workload.model_name),
        ),
        Liveness::Unreachable | Liveness::Timeout | Liveness::NoUpstream => (
            ReadinessPhase::Provisioning,
            format!("Waiting for {upstream} to accept connections."),
        ),
        Liveness::TlsRefused => (
            ReadinessPhase::Error,
            format!("The TLS handshake with {upstream} failed (untrusted, expired or mismatched certificate); if it uses a private CA, start the gateway with --upstream-ca-file."),
        ),
        // `Unknown` is only ever read from a newer gateway, never probed here.
        Liveness::EngineDead | Liveness::Failing | Liveness::Unknown => (
            ReadinessPhase::Bootstrapping,
            format!(
                "{upstream} is up and loading {} (GET /health is not ready yet).",
                workload.model_name
            ),
        ),
    }
}

#[utoipa::path(get, path = "/api/projects/{project_id}/workloads/{slug}/readiness-events", tag = "workloads", security(("control_token" = [])),
    params(("project_id" = String, Path), ("slug" = String, Path)),
    responses((status = 200, description = "Server-sent events `data: {phase, message, elapsed_ms, step}` on every phase change, ending after `ready` or `error`", content_type = "text/event-stream", body = Object), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn readiness_events(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path((project_id, slug)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use axum::response::IntoResponse;
    caller.require_project(&project_id)?;
    let exists = gateway
        .workload_cache()
        .project(
            gateway.pool(),
            &project_id,
            gateway.observed_workloads(&project_id).await?,
        )
        .await?
        .iter()
        .any(|w| w.slug == slug);
    if !exists {
        return Err(ApiError::not_found(format!(
            "There is no workload \"{slug}\" in this project."
        )));
    }
    let started = std::time::Instant::now();
    let stream = futures_util::stream::unfold(
        (gateway, project_id, slug, None::<ReadinessPhase>, false),
        move |(gateway, project_id, slug, last, done)| async move {
            if done {
                return None;
            }
            loop {
                let (phase, message) = readiness_of(&gateway, &project_id, &slug).await;
                let finished = phase.is_final() || started.elapsed() > READINESS_STREAM_LIMIT;
                if Some(phase) != last || finished {
                    let frame = ReadinessFrame {
                        phase,
                        message,
                        elapsed_ms: started.elapsed().as_millis() as u64,
                        step: None,
                    };
                    let event = Event::default()
                        .json_data(&frame)
                        .unwrap_or_else(|_| Event::default().data("{}"));
                    return Some((
                        Ok::<_, std::convert::Infallible>(event),
                        (gateway, project_id, slug, Some(phase), finished),
                    ));
                }
                tokio::time::sleep(READINESS_POLL).await;
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[utoipa::path(get, path = "/api/projects/{project_id}/workloads/health", tag = "workloads", security(("control_token" = [])),
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Every workload's status, reason and last probe (GPUs, requests running/waiting, KV cache, p95 latency), from the prober's memory: cheap enough to poll", body = HealthSummary), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody)))]
pub(crate) async fn project_health(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
) -> Result<Json<HealthSummary>, ApiError> {
    caller.require_project(&project_id)?;
    // The data plane's per-project cache: polling reads no table while nothing changes.
    let workloads = gateway
        .workload_cache()
        .project(
            gateway.pool(),
            &project_id,
            gateway.observed_workloads(&project_id).await?,
        )
        .await?;
    Ok(Json(HealthSummary {
        workloads: gateway.prober_state().summary(&workloads),
    }))
}

/// The `from`/`to` query (RFC 3339); the default is the last hour.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct HealthParams {
    from: Option<String>,
    to: Option<String>,
}

fn time_param(
    params: &std::collections::BTreeMap<String, String>,
    name: &str,
) -> Result<Option<chrono::DateTime<Utc>>, ApiError> {
    params
        .get(name)
        .map(|raw| {
            chrono::DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::field(
                        name,
                        format!("{name} must be an RFC 3339 time, e.g. 2026-11-22T08:00:00Z."),
                    )
                })
        })
        .transpose()
}

#[utoipa::path(get, path = "/api/workloads/{workload_id}/health", tag = "workloads", security(("control_token" = [])),
    params(("workload_id" = String, Path), HealthParams),
    responses((status = 200, description = "Current status with its reason, and the probes between `from` and `to` (at most 2,000, evenly thinned)", body = WorkloadHealth), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type, project or role", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn workload_health(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(workload_id): Path<String>,
    axum::extract::Query(params): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> Result<Json<WorkloadHealth>, ApiError> {
    for name in params.keys() {
        if name != "from" && name != "to" {
            return Err(ApiError::field(
                name,
                format!("Unknown query parameter {name:?}; use from and to."),
            ));
        }
    }
    let workload = workloads::get(gateway.pool().exec(), &caller.project_id, &workload_id)
        .await?
        .ok_or_else(|| not_found(&workload_id))?;
    let to = time_param(&params, "to")?.unwrap_or_else(Utc::now);
    let from = time_param(&params, "from")?.unwrap_or(to - chrono::Duration::hours(1));
    if from > to {
        return Err(ApiError::field("from", "from must not be after to."));
    }
    let series = crate::prober::history(gateway.pool(), &workload.id, from, to, 2000).await?;
    let latest = crate::prober::latest(gateway.pool(), &workload.id).await?;
    let (status, reason, checked_at) = match latest {
        Some(point) => (point.status, point.reason, Some(point.at)),
        None => (HealthStatus::Unknown, "Not probed yet.".to_owned(), None),
    };
    Ok(Json(WorkloadHealth {
        workload_id: workload.id,
        status,
        reason,
        checked_at,
        series,
    }))
}
