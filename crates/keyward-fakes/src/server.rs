//! The serving shell both fakes share: loopback listener, request recording, injected
//! faults and the `/_fake/faults` control route.
//!
//! Recording and faults wrap the platform's router as middleware, so a platform module
//! only knows its own wire shapes; the control route lives outside `/v1` and is neither
//! recorded nor faulted, so a test can always reach it.

use crate::faults::{Fault, Faults};
use crate::Fake;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the fake received it, for asserting what an adapter sent.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The path as sent, including `/v1`.
    pub path: String,
    /// The raw query string (percent-encoding kept), empty when there was none.
    pub query: String,
    /// Selected headers, lower-case names; credentials cut to their scheme and first 8
    /// characters (`Bearer sk-admin`), never the whole secret.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), empty for none.
    pub body: String,
}

impl RecordedRequest {
    /// The value of header `name` (lower-case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decoded values of query parameter `name`, in order (`group_by[]` is its own name).
    pub fn query_values(&self, name: &str) -> Vec<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }
}

const RECORDED_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "x-litellm-api-key",
    "anthropic-version",
    "anthropic-beta",
    "content-type",
    "openai-organization",
    "openai-project",
    "idempotency-key",
    "x-stainless-retry-count",
    "user-agent",
];

/// Which platform's error shape an injected status fault answers in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Platform {
    OpenAi,
    Anthropic,
    OpenRouter,
    Litellm,
    Gcore,
}

impl Platform {
    fn error(self, status: StatusCode, message: &str) -> Response {
        match self {
            Platform::OpenAi => crate::openai::error(status, message),
            Platform::Anthropic => crate::anthropic::error(status, message),
            Platform::OpenRouter => crate::openrouter::error(status, message),
            Platform::Litellm => crate::litellm::error(status, message),
            Platform::Gcore => crate::gcore::error(status, message),
        }
    }
}

#[derive(Clone)]
struct Shell {
    platform: Platform,
    faults: Faults,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

pub(crate) async fn start(platform_routes: Router, platform: Platform, admin_key: String) -> Fake {
    start_at("/v1", platform_routes, platform, admin_key).await
}

/// [`start`] with the platform's routes under `prefix` (`""`: at the root, as LiteLLM's
/// proxy serves its management API).
pub(crate) async fn start_at(
    prefix: &str,
    platform_routes: Router,
    platform: Platform,
    admin_key: String,
) -> Fake {
    let shell = Shell {
        platform,
        faults: Faults::default(),
        requests: Arc::default(),
    };
    let app = if prefix.is_empty() {
        platform_routes
    } else {
        Router::new().nest(prefix, platform_routes)
    };
    let app = app
        .layer(middleware::from_fn_with_state(shell.clone(), inject_faults))
        .layer(middleware::from_fn_with_state(shell.clone(), record))
        .route(
            "/_fake/faults",
            post(push_fault).with_state(shell.faults.clone()),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port for the fake");
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Fake {
        base_url: format!("http://{addr}{prefix}"),
        admin_key,
        faults: shell.faults,
        requests: shell.requests,
        task,
    }
}

/// A credential cut to its scheme and first 8 characters.
fn redact(value: &str) -> String {
    let (scheme, credential) = match value.split_once(' ') {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, value),
    };
    let head: String = credential.chars().take(8).collect();
    match scheme {
        Some(scheme) => format!("{scheme} {head}"),
        None => head,
    }
}

async fn record(State(shell): State<Shell>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_fake/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let headers = RECORDED_HEADERS
        .iter()
        .filter_map(|name| {
            let value = parts.headers.get(*name)?.to_str().unwrap_or("<non-ascii>");
            let value = if matches!(*name, "authorization" | "x-api-key" | "x-litellm-api-key") {
                redact(value)
            } else {
                value.to_owned()
            };
            Some((name.to_string(), value))
        })
        .collect();
    shell.requests.lock().unwrap().push(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

async fn inject_faults(State(shell): State<Shell>, request: Request, next: Next) -> Response {
    let Some(fault) = shell.faults.take(request.uri().path()) else {
        return next.run(request).await;
    };
    match fault {
        Fault::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = shell.platform.error(status, &injected_message(status));
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", HeaderValue::from(seconds));
            }
            response
        }
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Fault::Malformed => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"object\": \"list\", \"data\": [{\"id\": ",
        )
            .into_response(),
        Fault::Close => closed_connection(),
    }
}

fn injected_message(status: StatusCode) -> String {
    match status.as_u16() {
        401 => "Invalid authentication credentials.".into(),
        403 => "You do not have permission to perform this operation.".into(),
        404 => "The requested resource was not found.".into(),
        409 => "The resource was changed concurrently; retry the request.".into(),
        429 => "Rate limit reached for requests. Please try again later.".into(),
        529 => "Overloaded".into(),
        s if s >= 500 => "The server had an error while processing your request.".into(),
        s => format!("Request failed with status {s}."),
    }
}

/// A response that promises a body and breaks off before it: hyper aborts the
/// connection, so the client sees it closed without a complete answer.
fn closed_connection() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "fault: connection dropped",
        ))
    });
    let mut response = Response::new(Body::from_stream(broken));
    response
        .headers_mut()
        .insert("content-length", HeaderValue::from_static("512"));
    response
}

/// The control route's body: a status fault by default, as e2e tests mostly need.
#[derive(Deserialize)]
struct FaultRequest {
    path_contains: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    retry_after: Option<u32>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

async fn push_fault(
    State(faults): State<Faults>,
    _headers: HeaderMap,
    Json(request): Json<FaultRequest>,
) -> Response {
    let fault = match (request.kind.as_deref(), request.status, request.delay_ms) {
        (None | Some("status"), Some(status), _) if (100..=599).contains(&status) => Fault::Status {
            status,
            retry_after: request.retry_after,
        },
        (Some("delay"), _, Some(ms)) => Fault::Delay(Duration::from_millis(ms)),
        (Some("malformed"), _, _) => Fault::Malformed,
        (Some("close"), _, _) => Fault::Close,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({"error": "a fault is {path_contains, status (100..599), retry_after?, times?}, or kind \"delay\" with delay_ms, \"malformed\" or \"close\""})),
            )
                .into_response()
        }
    };
    faults.push(&request.path_contains, fault, request.times);
    (
        StatusCode::CREATED,
        Json(serde_json::json!({"queued": request.times})),
    )
        .into_response()
}
