//! The fake Gcore Everywhere Inference API (issue #19): inference API keys and
//! deployments under `/cloud/v3/inference/{project_id}/…`, the asynchronous tasks their
//! changes start (`/cloud/v1/tasks/{id}`), and the projects and regions a profile picks
//! from, in the shapes the official `gcore` 0.59.0 SDK parses (see
//! `/work/shared/reference/platform-apis.md`, section 1).
//!
//! What makes Gcore different from the other fakes is time: creating, changing, starting
//! or deleting a deployment answers at once with task ids, and the deployment moves
//! through `DEPLOYING` or `DELETING` until its task ends. Here a task ends after a fixed
//! number of polls ([`Seed::task_polls`], 3 unless changed) rather than after wall-clock
//! time, so an adapter's "follow the task to its end" is tested without sleeping, and a
//! test can make a task end in `ERROR`, a region's containers fail
//! (`PARTIALLYDEPLOYED`) or a deployment scale to zero (`PENDING`) through [`State`].
//!
//! The base URL is the API root (`https://api.gcore.com` in life); every call must
//! carry `Authorization: APIKey <token>`. Errors are `{"code": <status>, "message"}`
//! (the spec's `HttpErrorResponseSchema`); request validation answers 422 with the
//! field named first in the message, as pydantic does.

mod deployment_body;
mod deployments;
mod keys;
mod projects;
mod seed;
mod tasks;

pub use seed::{
    ApiKey, ContainerSpec, Deployment, Phase, Project, Region, Seed, OTHER_PROJECT_ID, PROJECT_ID,
};
pub use tasks::{Task, TaskState};

use crate::seedgen::Rng;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The fake's account and the tasks under way, shared by its handlers; clones share
/// it, so a test keeps one to inject lifecycle failures ([`Fake::gcore_state`]).
///
/// [`Fake::gcore_state`]: crate::Fake::gcore_state
#[derive(Clone)]
pub struct State {
    inner: Arc<Mutex<World>>,
}

pub(crate) struct World {
    pub seed: Seed,
    /// Every task started, oldest first (finished ones are kept, as Gcore keeps them).
    pub tasks: Vec<Task>,
    /// Regions whose containers fail, with the error message their containers show.
    pub failing_regions: BTreeMap<i64, String>,
    /// The error the next task started will end with.
    pub next_task_error: Option<String>,
    pub rng: Rng,
}

impl State {
    pub fn new(seed: Seed) -> State {
        let rng = Rng::new(seed.rng_state);
        State {
            inner: Arc::new(Mutex::new(World {
                seed,
                tasks: Vec::new(),
                failing_regions: BTreeMap::new(),
                next_task_error: None,
                rng,
            })),
        }
    }

    /// The account's API token (`Authorization: APIKey <token>`).
    pub fn api_token(&self) -> String {
        self.inner.lock().unwrap().seed.api_token.clone()
    }

    /// A copy of the account as it is now (after creates, updates and deletes).
    pub fn snapshot(&self) -> Seed {
        self.inner.lock().unwrap().seed.clone()
    }

    /// Every task started so far, oldest first, as they stand now.
    pub fn tasks(&self) -> Vec<Task> {
        self.inner.lock().unwrap().tasks.clone()
    }

    /// How many polls a task started from now on takes to finish (at least 1).
    pub fn set_task_polls(&self, polls: u32) {
        self.inner.lock().unwrap().seed.task_polls = polls.max(1);
    }

    /// The next task started ends in `ERROR` with `message` (its change is not applied:
    /// a created deployment disappears, an update is rolled back, a deletion is undone).
    pub fn fail_next_task(&self, message: &str) {
        self.inner.lock().unwrap().next_task_error = Some(message.to_owned());
    }

    /// Every container in `region_id` fails with `message` until [`State::heal_region`]:
    /// a running deployment with a container there is `PARTIALLYDEPLOYED`, that
    /// container not ready and showing the message.
    pub fn fail_region(&self, region_id: i64, message: &str) {
        let mut world = self.inner.lock().unwrap();
        world.failing_regions.insert(region_id, message.to_owned());
    }

    /// Containers in `region_id` come up again.
    pub fn heal_region(&self, region_id: i64) {
        self.inner
            .lock()
            .unwrap()
            .failing_regions
            .remove(&region_id);
    }

    /// Scales a running deployment to zero (`PENDING`) as its idle timeout would; any
    /// later change or start brings it back. False when there is no such deployment.
    pub fn scale_to_zero(&self, project_id: i64, name: &str) -> bool {
        let mut world = self.inner.lock().unwrap();
        match world
            .seed
            .deployments
            .iter_mut()
            .find(|d| d.project_id == project_id && d.name == name)
        {
            Some(deployment) => {
                deployment.scaled_to_zero = true;
                true
            }
            None => false,
        }
    }
}

/// The Gcore routes, at the API root.
pub fn router(state: State) -> Router {
    let auth_state = state.clone();
    let inference = "/cloud/v3/inference/{project_id}";
    Router::new()
        .route("/cloud/v1/projects", get(projects::list_projects))
        .route(
            "/cloud/v1/projects/{project_id}",
            get(projects::get_project),
        )
        .route("/cloud/v1/regions", get(projects::list_regions))
        .route("/cloud/v1/regions/{region_id}", get(projects::get_region))
        .route("/cloud/v1/tasks/{task_id}", get(tasks::get_task))
        .route(
            &format!("{inference}/api_keys"),
            get(keys::list_keys).post(keys::create_key),
        )
        .route(
            &format!("{inference}/api_keys/{{name}}"),
            get(keys::get_key)
                .patch(keys::update_key)
                .delete(keys::delete_key),
        )
        .route(
            &format!("{inference}/deployments"),
            get(deployments::list_deployments).post(deployments::create_deployment),
        )
        .route(
            &format!("{inference}/deployments/{{name}}"),
            get(deployments::get_deployment)
                .patch(deployments::update_deployment)
                .delete(deployments::delete_deployment),
        )
        .route(
            &format!("{inference}/deployments/{{name}}/start"),
            post(deployments::start_deployment),
        )
        .route(
            &format!("{inference}/deployments/{{name}}/stop"),
            post(deployments::stop_deployment),
        )
        .route(
            &format!("{inference}/deployments/{{name}}/logs"),
            get(deployments::deployment_logs),
        )
        .route("/_fake/gcore/{hook}", post(hook))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "Not Found").into_response() })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let state = auth_state.clone();
            async move { authenticate(&state, request, next).await }
        }))
        .with_state(state)
}

async fn authenticate(state: &State, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_fake/") {
        return next.run(request).await;
    }
    let header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_owned();
    if header.is_empty() {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )
        .into_response();
    }
    // The SDK writes `APIKey`, Gcore's docs `apikey`: the scheme is case-insensitive.
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("apikey") => token.trim(),
        _ => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Invalid authorization header: expected 'APIKey <token>'.",
            )
            .into_response()
        }
    };
    if token != state.inner.lock().unwrap().seed.api_token {
        return ApiError::new(StatusCode::UNAUTHORIZED, "Invalid API token.").into_response();
    }
    next.run(request).await
}

/// `POST /_fake/gcore/{hook}`: [`State`]'s test hooks over HTTP, for the SDK script and
/// end-to-end tests that run the `keyward-fake` binary: `fail_next_task {message}`,
/// `fail_region {region_id, message}`, `heal_region {region_id}`,
/// `scale_to_zero {project_id, name}`, `task_polls {polls}`. Not recorded, no token.
async fn hook(
    axum::extract::State(state): axum::extract::State<State>,
    axum::extract::Path(hook): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let fields = match body_object(&body) {
        Ok(fields) => fields,
        Err(e) => return e.into_response(),
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    let int = |name: &str| fields.get(name).and_then(Value::as_i64);
    let done = match (hook.as_str(), text("message"), int("region_id")) {
        ("fail_next_task", Some(message), _) => {
            state.fail_next_task(&message);
            true
        }
        ("fail_region", Some(message), Some(region)) => {
            state.fail_region(region, &message);
            true
        }
        ("heal_region", _, Some(region)) => {
            state.heal_region(region);
            true
        }
        ("scale_to_zero", ..) => match (int("project_id"), text("name")) {
            (Some(project_id), Some(name)) => state.scale_to_zero(project_id, &name),
            _ => false,
        },
        ("task_polls", ..) => match int("polls") {
            Some(polls) if polls > 0 => {
                state.set_task_polls(polls as u32);
                true
            }
            _ => false,
        },
        _ => false,
    };
    if done {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "A hook is fail_next_task {message}, fail_region {region_id, message}, heal_region {region_id}, scale_to_zero {project_id, name} (an existing deployment) or task_polls {polls > 0}.",
        )
        .into_response()
    }
}

/// An error in Gcore's shape: `{"code": <status>, "message"}`.
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

    /// A request that breaks the endpoint's schema: 422, the field named first.
    pub(crate) fn invalid(field: &str, message: impl AsRef<str>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{field}: {}", message.as_ref()),
        )
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"code": self.status.as_u16(), "message": self.message});
        (self.status, Json(body)).into_response()
    }
}

/// An injected status in Gcore's shape.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    ApiError::new(status, message).into_response()
}

pub(crate) type Answer = Result<Response, ApiError>;

/// A JSON object body, or 422 naming what is wrong with it.
pub(crate) fn body_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::invalid(
            "body",
            "Input should be a valid dictionary",
        )),
        Err(e) => Err(ApiError::invalid("body", format!("JSON decode error: {e}"))),
    }
}

/// Refuses members the endpoint does not take (pydantic's `extra = forbid`).
pub(crate) fn refuse_unknown(fields: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match fields.keys().find(|k| !known.contains(&k.as_str())) {
        Some(extra) => Err(ApiError::invalid(extra, "Extra inputs are not permitted")),
        None => Ok(()),
    }
}

/// The `project_id` path parameter: an integer naming one of the token's projects.
pub(crate) fn project(world: &World, raw: &str) -> Result<i64, ApiError> {
    let id: i64 = raw.parse().map_err(|_| {
        ApiError::invalid(
            "project_id",
            format!(
                "Input should be a valid integer, unable to parse string as an integer: '{raw}'"
            ),
        )
    })?;
    if world.seed.projects.iter().any(|p| p.id == id) {
        Ok(id)
    } else {
        Err(ApiError::not_found(format!("Project {id} not found.")))
    }
}

/// `limit` (1..=1000, `default` when absent) and `offset` (≥ 0) of an offset-paged list.
pub(crate) fn window(
    query: &crate::query::Query,
    default_limit: usize,
) -> Result<(usize, usize), ApiError> {
    let int = |name: &str| -> Result<Option<i64>, ApiError> {
        match query.get(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::invalid(
                    name,
                    format!("Input should be a valid integer, unable to parse string as an integer: '{v}'"),
                )
            }),
        }
    };
    let limit = match int("limit")? {
        None => default_limit,
        Some(l) if l <= 0 => {
            return Err(ApiError::invalid("limit", "Input should be greater than 0"))
        }
        Some(l) if l > 1000 => {
            return Err(ApiError::invalid(
                "limit",
                "Input should be less than or equal to 1000",
            ))
        }
        Some(l) => l as usize,
    };
    let offset = match int("offset")? {
        None => 0,
        Some(o) if o < 0 => {
            return Err(ApiError::invalid(
                "offset",
                "Input should be greater than or equal to 0",
            ))
        }
        Some(o) => o as usize,
    };
    Ok((offset, limit))
}

/// One page of an offset-paged list: `{count, results}` with the total before paging.
pub(crate) fn page(items: Vec<Value>, offset: usize, limit: usize) -> Response {
    let count = items.len();
    let results: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    Json(json!({"count": count, "results": results})).into_response()
}

pub(crate) fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
