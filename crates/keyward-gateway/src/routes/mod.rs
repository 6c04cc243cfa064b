//! The gateway's HTTP surface: control plane (key management) and data plane
//! (OpenAI-compatible inference), each in its own module, plus JSON fallbacks so
//! even an unknown route answers in the gateway's error shape.

mod control;
mod data;
pub mod openapi;
mod projects;
mod usage;
mod workloads;

use crate::error::ApiError;
use crate::Gateway;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::Router;
use keyward_api::ErrorCode;
use tower_http::trace::TraceLayer;

pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .merge(control::routes())
        .merge(data::routes())
        .merge(projects::routes())
        .merge(usage::routes())
        .merge(workloads::routes())
        .route("/openapi.json", axum::routing::get(openapi::serve_document))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(crate::BODY_LIMIT_BYTES))
        // Logs method, path, status and latency; never headers or bodies, which can hold secrets.
        .layer(TraceLayer::new_for_http())
        .with_state(gateway)
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("There is no route {method} {}.", uri.path()))
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::InvalidInput,
        format!("{} does not accept {method}.", uri.path()),
    )
}
