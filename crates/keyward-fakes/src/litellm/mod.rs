//! The fake LiteLLM proxy (issue #18): virtual keys (`/key/*`), daily activity per key
//! and model (`/user/daily/activity`), model deployments (`/model/info`) and their health
//! (`/health`), served at the proxy's root as `litellm` 1.108.7 serves them.
//!
//! Why a fake at all: the real proxy keeps virtual keys in PostgreSQL through Prisma,
//! whose native engines cannot be fetched offline, so without a database every key route
//! answers 500 "DB not connected". The proxy does serve its own OpenAPI document without
//! one; `spec/litellm-openapi.json` is that document, and `tests/it/litellm_schema.rs`
//! holds every request and answer of this fake to it.
//!
//! Like the proxy, the fake keeps only each key's SHA-256 (`token`), never its secret: a
//! secret is in the answer of generate and regenerate only. Authentication is the master
//! key as `Authorization: Bearer` or `x-litellm-api-key`; `GET /v1/models` also accepts
//! virtual keys, so a test can see which secrets the proxy still honours (a regenerated
//! key's old secret works until its grace period ends, on the fake's clock).

mod keys;
mod reports;
mod seed;
pub mod spec;

pub use seed::{hash_token, DailySpend, Deployment, Seed, VirtualKey};

use axum::extract::{OriginalUri, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};

/// The proxy's state, shared by its handlers; clones share it, so a test can keep one
/// to move the fake's clock.
#[derive(Clone)]
pub struct State {
    inner: Arc<Mutex<Inner>>,
}

pub(crate) struct Inner {
    pub master_key: String,
    /// Key rows as the proxy stores them (`LiteLLM_VerificationToken`), oldest first.
    pub keys: Vec<Map<String, Value>>,
    /// Hashes of regenerated secrets that still authenticate, and until when.
    pub grace: Vec<(String, DateTime<Utc>)>,
    pub deployments: Vec<Deployment>,
    /// What `/health` says failed, by deployment id, for deployments made unhealthy
    /// with [`State::set_health`] (others say the seed's connection error).
    pub probe_errors: std::collections::BTreeMap<String, String>,
    pub spend: Vec<DailySpend>,
    /// Added to the wall clock: tests move time forward instead of sleeping.
    pub clock_offset: Duration,
    pub rng: crate::seedgen::Rng,
}

impl Inner {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// The row whose hash is `key`, or whose hash is the hash of `key` (a raw secret).
    pub(crate) fn find(&self, key: &str) -> Option<usize> {
        let hashed = if key.starts_with("sk-") {
            hash_token(key)
        } else {
            key.to_owned()
        };
        self.keys
            .iter()
            .position(|k| k.get("token").and_then(Value::as_str) == Some(hashed.as_str()))
    }
}

impl State {
    pub fn new(seed: Seed) -> State {
        let now = Utc::now();
        let keys = seed.keys.iter().map(|k| keys::seeded_row(k, now)).collect();
        State {
            inner: Arc::new(Mutex::new(Inner {
                master_key: seed.master_key,
                keys,
                grace: Vec::new(),
                deployments: seed.deployments,
                probe_errors: Default::default(),
                spend: seed.spend,
                clock_offset: Duration::zero(),
                rng: crate::seedgen::Rng::new(0x117E_5EED),
            })),
        }
    }

    pub fn master_key(&self) -> String {
        self.inner.lock().unwrap().master_key.clone()
    }

    /// Moves the fake's clock forward (grace periods and expiry are judged on it).
    pub fn advance(&self, by: Duration) {
        self.inner.lock().unwrap().clock_offset += by;
    }

    /// Makes `/health` find deployment `id` healthy (`None`) or failing with `error`;
    /// `false` when there is no such deployment.
    pub fn set_health(&self, id: &str, error: Option<&str>) -> bool {
        let mut inner = self.inner.lock().unwrap();
        let Some(at) = inner.deployments.iter().position(|d| d.id == id) else {
            return false;
        };
        inner.deployments[at].healthy = error.is_none();
        match error {
            Some(error) => inner.probe_errors.insert(id.to_owned(), error.to_owned()),
            None => inner.probe_errors.remove(id),
        };
        true
    }

    /// The stored row of key `hash`, as `/key/info` would show it.
    pub fn row(&self, hash: &str) -> Option<Map<String, Value>> {
        let inner = self.inner.lock().unwrap();
        inner.find(hash).map(|i| inner.keys[i].clone())
    }

    /// Whether the proxy would serve a request made with `secret` now.
    pub fn honours(&self, secret: &str) -> bool {
        let inner = self.inner.lock().unwrap();
        keys::honours(&inner, secret)
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }
}

/// The proxy's routes, at its root.
pub fn router(state: State) -> Router {
    let for_auth = state.clone();
    Router::new()
        .route("/key/generate", post(keys::generate))
        .route("/key/update", post(keys::update))
        .route("/key/info", get(keys::info))
        .route("/key/list", get(keys::list))
        .route("/key/delete", post(keys::delete))
        .route("/key/block", post(keys::block))
        .route("/key/unblock", post(keys::unblock))
        .route("/key/{key}/regenerate", post(keys::regenerate))
        .route("/user/daily/activity", get(reports::daily_activity))
        .route("/model/info", get(reports::model_info))
        .route("/health", get(reports::health))
        .route("/health/liveliness", get(reports::liveliness))
        .route("/v1/models", get(reports::models))
        .route("/_fake/litellm/{hook}", post(hook))
        .fallback(unknown_route)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let state = for_auth.clone();
            async move { authenticate(&state, request, next).await }
        }))
        .with_state(state)
}

/// `user_api_key_auth`: the master key everywhere, a live virtual key on the data plane;
/// the liveliness probe is open.
async fn authenticate(state: &State, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/health/liveliness" || path.starts_with("/_fake/") {
        return next.run(request).await;
    }
    let headers = request.headers();
    let presented = headers
        .get("x-litellm-api-key")
        .or_else(|| headers.get("authorization"))
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim().to_owned())
        .unwrap_or_default();
    let master = state.master_key();
    if presented.is_empty() {
        return ApiError::auth("Authentication Error, No api key passed in.".to_owned())
            .into_response();
    }
    if presented == master {
        return next.run(request).await;
    }
    if path == "/v1/models" && state.honours(&presented) {
        return next.run(request).await;
    }
    let known = state.lock().find(&presented).is_some();
    let message = if known && presented.starts_with("sk-") {
        format!("Authentication Error, Only proxy admin can be used to call {path}. Virtual keys cannot manage keys.")
    } else {
        "Authentication Error, Invalid proxy server token passed. Received API Key = sk-...****, Key Hash (Token) = ****. Unable to find token in cache or `LiteLLM_VerificationTokenTable`".to_owned()
    };
    ApiError::auth(message).into_response()
}

/// `POST /_fake/litellm/{hook}`: [`State`]'s test hooks over HTTP, for end-to-end tests
/// that run the `keyward-fake` binary: `set_health {deployment_id, error}` (`error` null:
/// healthy again). Not recorded, no key.
async fn hook(
    axum::extract::State(state): axum::extract::State<State>,
    axum::extract::Path(hook): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let fields: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    let done = match (
        hook.as_str(),
        fields.get("deployment_id").and_then(Value::as_str),
    ) {
        ("set_health", Some(id)) => match fields.get("error") {
            Some(Value::String(error)) => state.set_health(id, Some(error)),
            None | Some(Value::Null) => state.set_health(id, None),
            Some(_) => false,
        },
        _ => false,
    };
    if done {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::bad_request(
            "hook",
            "A hook is set_health {deployment_id (an existing deployment), error (text, or null for healthy)}.",
        )
        .into_response()
    }
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found_error",
        format!("Route not found: {method} {}", uri.path()),
    )
    .into_response()
}

/// An error in the proxy's shape (`ProxyException`):
/// `{"error": {"message", "type", "param", "code": "<status>"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub param: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &'static str, message: String) -> ApiError {
        ApiError {
            status,
            kind,
            message,
            param: None,
        }
    }

    pub(crate) fn bad_request(param: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "bad_request_error",
            message: message.into(),
            param: Some(param.to_owned()),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found_error", message.into())
    }

    fn auth(message: String) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "auth_error", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.status.as_u16().to_string(),
        }});
        (self.status, Json(body)).into_response()
    }
}

/// An injected status in the proxy's shape.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let kind = match status.as_u16() {
        401 => "auth_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "throttling_error",
        s if s >= 500 => "internal_server_error",
        _ => "bad_request_error",
    };
    ApiError::new(status, kind, message.to_owned()).into_response()
}
