//! The data plane, OpenAI-compatible: `GET /v1/models`, `POST /v1/chat/completions`,
//! `/v1/completions`, `/v1/embeddings`, and InferenceKey's
//! `/endpoint/{project}/{workload}/v1/chat/completions|embeddings|rerank`. Every route
//! takes an inference key (`Authorization: Bearer` or `X-Api-Key`); forwarding,
//! scope checks and metering are in `proxy`.
//!
//! The three `/v1/…` inference routes carry nearly all traffic, and the router's work
//! for each of them — matching the path among ~60 routes, boxing the request through
//! each layer, the trace layer's span and body wrapper, moving the handler's future —
//! was a tenth of a forwarded request's instructions (issue #22). So [`hot_operation`]
//! picks them out before the router, and [`answer_hot`] serves them with the same
//! extractor and the same `forward`; they stay in the router too (for the OpenAPI
//! document, and as the one definition of what each route does).

use crate::auth::DataCaller;
use crate::error::ApiError;
use crate::proxy::{self, Operation, INFERENCE_BODY_LIMIT};
use crate::Gateway;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyward_api::{ErrorBody, ErrorCode, Model, ModelList};

pub fn routes() -> Router<Gateway> {
    let inference = Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .route("/v1/embeddings", post(embeddings))
        .route(
            "/endpoint/{project_id}/{workload}/v1/chat/completions",
            post(endpoint_chat),
        )
        .route(
            "/endpoint/{project_id}/{workload}/v1/embeddings",
            post(endpoint_embeddings),
        )
        .route(
            "/endpoint/{project_id}/{workload}/v1/rerank",
            post(endpoint_rerank),
        )
        // Bodies are read (with their own, larger limit and an OpenAI-shaped 413) in
        // `read_body`, not by the control plane's 1 MiB extractor limit.
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/v1/models", get(list_models))
        .merge(inference)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The hot route a request is, if any: a POST to one of the `/v1/…` inference paths.
pub(crate) fn hot_operation(method: &Method, path: &str) -> Option<Operation> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/v1/chat/completions" => Some(Operation::ChatCompletions),
        "/v1/completions" => Some(Operation::Completions),
        "/v1/embeddings" => Some(Operation::Embeddings),
        _ => None,
    }
}

/// Answers a request [`hot_operation`] picked out, as its route in the router would.
pub(crate) async fn answer_hot<B>(
    gateway: Gateway,
    operation: Operation,
    request: Request<B>,
) -> Response
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (mut parts, body) = request.into_parts();
    let caller = match DataCaller::from_request_parts(&mut parts, &gateway).await {
        Ok(caller) => caller,
        Err(rejection) => return rejection.into_response(),
    };
    forward(gateway, caller, operation, None, body).await
}

async fn read_body<B>(body: B) -> Result<Bytes, Response>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    use http_body_util::{BodyExt, LengthLimitError, Limited};
    match Limited::new(body, INFERENCE_BODY_LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!(
                "The request body is larger than the {} MiB limit.",
                INFERENCE_BODY_LIMIT >> 20
            ),
        )
        .openai_type("invalid_request_error")
        .into_response()),
        // The client stopped sending mid-body; it is usually gone, but if not, the
        // answer says what happened.
        Err(error) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidInput,
            format!("The request body could not be read to its end: {error}."),
        )
        .openai_type("invalid_request_error")
        .into_response()),
    }
}

async fn forward<B>(
    gateway: Gateway,
    caller: DataCaller,
    operation: Operation,
    path: Option<(String, String)>,
    body: B,
) -> Response
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Some((project_id, _)) = &path {
        if *project_id != caller.project_id {
            return ApiError::forbidden(
                "project_scope_mismatch: this API key belongs to another project.",
            )
            .openai_type("permission_error")
            .into_response();
        }
    }
    let slug = path.as_ref().map(|(_, slug)| slug.as_str());
    // Boxed: forwarding's future is kilobytes, and axum moves a handler's future
    // through each of its layers before polling it; a box moves as a pointer.
    Box::pin(proxy::forward(&gateway, caller, operation, slug, body)).await
}

#[utoipa::path(post, path = "/v1/chat/completions", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    request_body(content = Object, description = "OpenAI chat completion request; `model` names the model or workload"),
    responses((status = 200, description = "The upstream's answer (SSE when `stream` is true)"),
        (status = 400, description = "Invalid request", body = ErrorBody),
        (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody),
        (status = 403, description = "Model or workload outside the key's scope", body = ErrorBody),
        (status = 404, description = "No workload serves this model", body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 502, description = "The workload's upstream is unreachable", body = ErrorBody),
        (status = 503, description = "The workload has no upstream", body = ErrorBody)))]
pub(crate) async fn chat_completions(
    State(gateway): State<Gateway>,
    caller: DataCaller,
    body: Body,
) -> Response {
    forward(gateway, caller, Operation::ChatCompletions, None, body).await
}

#[utoipa::path(post, path = "/v1/completions", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    request_body(content = Object, description = "OpenAI completion request"),
    responses((status = 200, description = "The upstream's answer"), (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody), (status = 403, description = "Outside the key's scope", body = ErrorBody), (status = 404, description = "No workload serves this model", body = ErrorBody)))]
pub(crate) async fn completions(
    State(gateway): State<Gateway>,
    caller: DataCaller,
    body: Body,
) -> Response {
    forward(gateway, caller, Operation::Completions, None, body).await
}

#[utoipa::path(post, path = "/v1/embeddings", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    request_body(content = Object, description = "OpenAI embeddings request"),
    responses((status = 200, description = "The upstream's answer"), (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody), (status = 403, description = "Outside the key's scope", body = ErrorBody), (status = 404, description = "No workload serves this model", body = ErrorBody)))]
pub(crate) async fn embeddings(
    State(gateway): State<Gateway>,
    caller: DataCaller,
    body: Body,
) -> Response {
    forward(gateway, caller, Operation::Embeddings, None, body).await
}

#[utoipa::path(post, path = "/endpoint/{project_id}/{workload}/v1/chat/completions", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    params(("project_id" = String, Path), ("workload" = String, Path, description = "Workload slug")),
    request_body(content = Object, description = "OpenAI chat completion request"),
    responses((status = 200, description = "The upstream's answer"), (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody), (status = 403, description = "Outside the key's scope or project", body = ErrorBody), (status = 404, description = "No such workload", body = ErrorBody)))]
pub(crate) async fn endpoint_chat(
    State(gateway): State<Gateway>,
    caller: DataCaller,
    Path(path): Path<(String, String)>,
    body: Body,
) -> Response {
    forward(
        gateway,
        caller,
        Operation::ChatCompletions,
        Some(path),
        body,
    )
    .await
}

#[utoipa::path(post, path = "/endpoint/{project_id}/{workload}/v1/embeddings", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    params(("project_id" = String, Path), ("workload" = String, Path, description = "Workload slug")),
    request_body(content = Object, description = "OpenAI embeddings request"),
    responses((status = 200, description = "The upstream's answer"), (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody), (status = 403, description = "Outside the key's scope or project", body = ErrorBody), (status = 404, description = "No such workload", body = ErrorBody)))]
pub(crate) async fn endpoint_embeddings(
    State(gateway): State<Gateway>,
    caller: DataCaller,
    Path(path): Path<(String, String)>,
    body: Body,
) -> Response {
    forward(gateway, caller, Operation::Embeddings, Some(path), body).await
}

#[utoipa::path(post, path = "/endpoint/{project_id}/{workload}/v1/rerank", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    params(("project_id" = String, Path), ("workload" = String, Path, description = "Workload slug")),
    request_body(content = Object, description = "`{query, documents, top_n}`"),
    responses((status = 200, description = "The upstream's answer"), (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody), (status = 403, description = "Outside the key's scope or project", body = ErrorBody), (status = 404, description = "No such workload", body = ErrorBody)))]
pub(crate) async fn endpoint_rerank(
    State(gateway): State<Gateway>,
    caller: DataCaller,
    Path(path): Path<(String, String)>,
    body: Body,
) -> Response {
    forward(gateway, caller, Operation::Rerank, Some(path), body).await
}

#[utoipa::path(get, path = "/v1/models", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    responses((status = 200, description = "Models this key may use", body = ModelList),
        (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody),
        (status = 403, description = "A control token on the data plane", body = ErrorBody)))]
pub(crate) async fn list_models(
    State(gateway): State<Gateway>,
    caller: DataCaller,
) -> Result<Json<ModelList>, ApiError> {
    let mut data: Vec<Model> = Vec::new();
    let workloads = gateway
        .workload_cache()
        .project(
            gateway.pool(),
            &caller.project_id,
            caller.versions.map(|v| v.workloads),
        )
        .await?;
    for workload in workloads.iter().cloned() {
        let allowed = caller.key.allows_workload(&workload.slug)
            && caller.key.allows_model(&workload.model_name);
        if allowed && !data.iter().any(|m| m.id == workload.model_name) {
            data.push(Model {
                id: workload.model_name,
                object: "model".into(),
                created: workload.created_at.timestamp(),
                owned_by: workload.slug,
            });
        }
    }
    Ok(Json(ModelList {
        object: "list".into(),
        data,
    }))
}
