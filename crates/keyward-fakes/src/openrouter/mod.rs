//! The fake OpenRouter management API: API keys (list by offset, create, get, update,
//! delete), the calling key (`/key`), per-day activity, guardrails (read) and credits,
//! from a [`Seed`] in the shapes the official `openrouter` 1.3.84 SDK validates
//! strictly (see `/work/shared/reference/platform-apis.md`, section 3).
//!
//! Credentials are as OpenRouter has them: the management key may call everything;
//! an inference key of the account may only ask about itself (`GET /key`) and is
//! refused elsewhere with 403, which is how Keyward tells a person they pasted the
//! wrong kind of key. Errors are `{"error": {"code": <int>, "message"}}`.

mod activity;
mod keys;
mod seed;

pub use seed::{hash_of, label_of, ApiKey, Guardrail, LimitReset, Seed, UsageRecord};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The fake's account, shared by its handlers.
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

    /// A copy of the account as it is now (after creates, updates and deletes).
    pub fn snapshot(&self) -> Seed {
        self.inner.lock().unwrap().clone()
    }
}

/// Who called: the management key, or one of the account's inference keys (by hash).
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    Management,
    Inference(String),
}

/// The OpenRouter routes, relative to the API root (`/api/v1`).
pub fn router(state: State) -> Router {
    let auth_state = state.clone();
    Router::new()
        .route("/key", get(keys::current_key))
        .route("/keys", get(keys::list_keys).post(keys::create_key))
        .route(
            "/keys/{hash}",
            get(keys::get_key)
                .patch(keys::update_key)
                .delete(keys::delete_key),
        )
        .route("/activity", get(activity::activity))
        .route("/credits", get(activity::credits))
        .route("/guardrails", get(keys::list_guardrails))
        .route(
            "/guardrails/assignments/keys",
            get(keys::all_key_assignments),
        )
        .route("/guardrails/{id}", get(keys::get_guardrail))
        .route(
            "/guardrails/{id}/assignments/keys",
            get(keys::guardrail_key_assignments),
        )
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "Not Found").into_response() })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let state = auth_state.clone();
            async move { authenticate(&state, request, next).await }
        }))
        .with_state(state)
}

async fn authenticate(state: &State, mut request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if presented.is_empty() {
        return ApiError::new(StatusCode::UNAUTHORIZED, "Missing Authentication header")
            .into_response();
    }
    let caller = {
        let seed = state.inner.lock().unwrap();
        if presented == seed.management_key {
            Some(Caller::Management)
        } else {
            seed.keys
                .iter()
                .find(|k| k.secret == presented)
                .map(|k| Caller::Inference(k.hash.clone()))
        }
    };
    let Some(caller) = caller else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "User not found.").into_response();
    };
    let about_itself = request.uri().path().ends_with("/key");
    if matches!(caller, Caller::Inference(_)) && !about_itself {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "Only management keys can perform this operation",
        )
        .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// An error in OpenRouter's shape: `{"error": {"code": <status>, "message"}}`.
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

impl From<crate::query::BadParam> for ApiError {
    fn from(bad: crate::query::BadParam) -> ApiError {
        ApiError::invalid(bad.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.status.as_u16(), "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// An injected status in OpenRouter's shape.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    ApiError::new(status, message).into_response()
}

/// USD micros as the JSON number OpenRouter sends. A micro amount has at most six
/// decimals, and the shortest form of the nearest double is that decimal again, so
/// the text on the wire is exact.
pub(crate) fn usd(micros: i64) -> serde_json::Value {
    json!(micros as f64 / 1_000_000.0)
}
