//! The fake OpenAI Admin API: projects, their API keys and service accounts, project
//! limits, admin keys, and the completions-usage and costs reports, served from a
//! [`Seed`] under the paths and shapes of `openai/openai-openapi` (`openapi.json` 2.3.0)
//! and the official `openai` 3.63.0 SDK (`client.admin.organization.*`).
//!
//! Authentication is `Authorization: Bearer <admin key>`. A project or service-account
//! key (`sk-proj-…`, `sk-svcacct-…`) is answered as the real API answers a key without
//! the management scopes: 401 `invalid_request_error` "You have insufficient permissions
//! for this operation. Missing scopes: api.management.read …" (as reported on the OpenAI
//! developer forum), so an adapter can tell the user an admin key is needed.

mod inventory;
mod seed;
mod usage;

pub use seed::{
    AdminKey, ApiKey, KeyOwner, ModelPermissions, Organization, PermissionMode, Project, RateLimit,
    Seed, ServiceAccount, SpendLimit, UsageRecord, User,
};

use crate::query::BadParam;
use axum::extract::{OriginalUri, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The fake's organisation, shared by its handlers.
#[derive(Clone)]
pub struct State {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    seed: Seed,
    /// Ids and secrets of objects created while serving.
    rng: crate::seedgen::Rng,
}

impl State {
    pub fn new(seed: Seed) -> State {
        State {
            inner: Arc::new(Mutex::new(Inner {
                seed,
                rng: crate::seedgen::Rng::new(0x0A1_5EED),
            })),
        }
    }

    /// A copy of the organisation as it is now (after deletions and creations).
    pub fn snapshot(&self) -> Seed {
        self.inner.lock().unwrap().seed.clone()
    }
}

/// The OpenAI routes, relative to the API root (`/v1`).
pub fn router(state: State) -> Router {
    let admin_key = state.inner.lock().unwrap().seed.admin_key.secret.clone();
    let organization = state.inner.lock().unwrap().seed.organization.id.clone();
    let projects = "/organization/projects/{project_id}";
    Router::new()
        .route("/organization/projects", get(inventory::list_projects))
        .route(projects, get(inventory::get_project))
        .route(&format!("{projects}/api_keys"), get(inventory::list_keys))
        .route(
            &format!("{projects}/api_keys/{{key_id}}"),
            get(inventory::get_key).delete(inventory::delete_key),
        )
        .route(
            &format!("{projects}/service_accounts"),
            get(inventory::list_service_accounts).post(inventory::create_service_account),
        )
        .route(
            &format!("{projects}/service_accounts/{{service_account_id}}"),
            get(inventory::get_service_account).delete(inventory::delete_service_account),
        )
        .route(
            &format!("{projects}/rate_limits"),
            get(inventory::list_rate_limits),
        )
        .route(
            &format!("{projects}/model_permissions"),
            get(inventory::get_model_permissions),
        )
        .route(
            &format!("{projects}/spend_limit"),
            get(inventory::get_spend_limit),
        )
        .route(
            "/organization/admin_api_keys",
            get(inventory::list_admin_keys),
        )
        .route(
            "/organization/admin_api_keys/{key_id}",
            get(inventory::get_admin_key),
        )
        .route("/organization/usage/completions", get(usage::completions))
        .route("/organization/costs", get(usage::costs))
        .fallback(unknown_route)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let admin_key = admin_key.clone();
            async move { authenticate(&admin_key, request, next).await }
        }))
        // OpenAI names the organisation a request acted in on every answer.
        .layer(middleware::map_response(move |mut response: Response| {
            let organization = organization.clone();
            async move {
                if let Ok(value) = organization.parse() {
                    response.headers_mut().insert("openai-organization", value);
                }
                response
            }
        }))
        .with_state(state)
}

async fn authenticate(admin_key: &str, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(key) if key == admin_key => next.run(request).await,
        None | Some("") => ApiError::unauthorized(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
            Some("invalid_api_key"),
        )
        .into_response(),
        Some(key) if key.starts_with("sk-") && !key.starts_with("sk-admin-") => {
            let scope = if request.uri().path().contains("/usage/") || request.uri().path().ends_with("/costs") {
                "api.usage.read"
            } else if request.method() == Method::GET {
                "api.management.read"
            } else {
                "api.management.write"
            };
            ApiError::unauthorized(
                &format!("You have insufficient permissions for this operation. Missing scopes: {scope}. Check that you have the correct role in your organization, and if you're using a restricted API key, that it has the necessary scopes."),
                None,
            )
            .into_response()
        }
        Some(key) => {
            let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            let head: String = key.chars().take(8).collect();
            ApiError::unauthorized(
                &format!("Incorrect API key provided: {head}***{tail}. You can find your API key at https://platform.openai.com/account/api-keys."),
                Some("invalid_api_key"),
            )
            .into_response()
        }
    }
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!("Invalid URL ({method} {})", uri.path()),
        kind: "invalid_request_error",
        param: None,
        code: None,
    }
    .into_response()
}

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn invalid(param: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param: Some(param.to_owned()),
            code: None,
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            kind: "invalid_request_error",
            param: None,
            code: None,
        }
    }

    fn unauthorized(message: &str, code: Option<&'static str>) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: message.to_owned(),
            kind: "invalid_request_error",
            param: None,
            code,
        }
    }
}

impl From<BadParam> for ApiError {
    fn from(bad: BadParam) -> ApiError {
        ApiError::invalid(bad.name, bad.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }});
        (self.status, Json(body)).into_response()
    }
}

/// An injected status in OpenAI's shape, with the type and code the API uses for it.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let (kind, code) = match status.as_u16() {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        403 => ("invalid_request_error", None),
        404 => ("invalid_request_error", None),
        429 => ("requests", Some("rate_limit_exceeded")),
        s if s >= 500 => ("server_error", None),
        _ => ("invalid_request_error", None),
    };
    ApiError {
        status,
        message: message.to_owned(),
        kind,
        param: None,
        code,
    }
    .into_response()
}

/// The list envelope of OpenAI's cursor-paged endpoints.
pub(crate) fn list_page(data: Vec<serde_json::Value>, has_more: bool) -> Json<serde_json::Value> {
    let first_id = data.first().map(|o| o["id"].clone());
    let last_id = data.last().map(|o| o["id"].clone());
    Json(json!({
        "object": "list",
        "data": data,
        "first_id": first_id,
        "last_id": last_id,
        "has_more": has_more,
    }))
}
