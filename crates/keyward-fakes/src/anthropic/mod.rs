//! The fake Anthropic Admin API: the organisation (`/organizations/me`), its API keys
//! (list, get, update by POST — no create, no delete), its workspaces, and the messages
//! usage and cost reports, from a [`Seed`] in the shapes of the official `anthropic`
//! 2.17.0 SDK (`client.organization.*`) and the Admin API docs.
//!
//! Both credentials the platform accepts are accepted: `x-api-key` (the docs' examples)
//! and `Authorization: Bearer` (what SDK 2.17.0 sends). `anthropic-version` is required.
//! Every error carries the platform's `request_id`, in the body and the `request-id`
//! header.

mod keys;
mod reports;
mod seed;

pub use seed::{AdminKey, ApiKey, KeyStatus, Organization, Seed, UsageRecord, User, Workspace};

use crate::query::BadParam;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The fake's organisation, shared by its handlers.
#[derive(Clone)]
pub struct State {
    inner: Arc<Mutex<Seed>>,
}

impl State {
    pub fn new(seed: Seed) -> State {
        State {
            inner: Arc::new(Mutex::new(seed)),
        }
    }

    /// A copy of the organisation as it is now (after renames and status changes).
    pub fn snapshot(&self) -> Seed {
        self.inner.lock().unwrap().clone()
    }
}

/// The Anthropic routes, relative to the API root (`/v1`).
pub fn router(state: State) -> Router {
    let admin_key = state.inner.lock().unwrap().admin_key.secret.clone();
    Router::new()
        .route("/organizations/me", get(keys::organization))
        .route("/organizations/api_keys", get(keys::list_keys))
        .route(
            "/organizations/api_keys/{api_key_id}",
            get(keys::get_key).post(keys::update_key),
        )
        .route("/organizations/workspaces", get(keys::list_workspaces))
        .route(
            "/organizations/workspaces/{workspace_id}",
            get(keys::get_workspace),
        )
        .route(
            "/organizations/usage_report/messages",
            get(reports::messages),
        )
        .route("/organizations/cost_report", get(reports::cost))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "Not Found").into_response() })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let admin_key = admin_key.clone();
            async move { authenticate(&admin_key, request, next).await }
        }))
        .with_state(state)
}

async fn authenticate(admin_key: &str, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let presented = header("x-api-key")
        .or_else(|| header("authorization").and_then(|v| v.strip_prefix("Bearer ")));
    match presented {
        None | Some("") => {
            return ApiError::new(StatusCode::UNAUTHORIZED, "x-api-key header is required")
                .into_response()
        }
        Some(key) if key != admin_key => {
            return ApiError::new(StatusCode::UNAUTHORIZED, "invalid x-api-key").into_response()
        }
        Some(_) => {}
    }
    if header("anthropic-version").is_none_or(str::is_empty) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "anthropic-version: header is required",
        )
        .into_response();
    }
    next.run(request).await
}

/// An error in Anthropic's shape:
/// `{"type": "error", "error": {"type", "message"}, "request_id"}` plus `request-id`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<BadParam> for ApiError {
    fn from(bad: BadParam) -> ApiError {
        ApiError::invalid(format!("{}: {}", bad.name, bad.message))
    }
}

fn error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 409 | 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

static REQUESTS: AtomicU64 = AtomicU64::new(1);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = format!(
            "req_011CFake{:016}",
            REQUESTS.fetch_add(1, Ordering::Relaxed)
        );
        let body = json!({
            "type": "error",
            "error": {"type": error_type(self.status), "message": self.message},
            "request_id": request_id,
        });
        let mut response = (self.status, Json(body)).into_response();
        response
            .headers_mut()
            .insert("request-id", HeaderValue::from_str(&request_id).unwrap());
        response
    }
}

/// An injected status in Anthropic's shape.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    ApiError::new(status, message).into_response()
}
