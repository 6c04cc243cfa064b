//! Inference deployments: list, get, create, update (including attaching and detaching
//! keys), delete, start, stop and logs.
//!
//! A deployment's status and containers are derived on every read from its phase, the
//! task driving it and the failures a test injected, never stored: `DEPLOYING` shows no
//! containers until its task has been polled past `NEW`, then containers that are not
//! ready; a running deployment is `ACTIVE`, `PARTIALLYDEPLOYED` when a region it runs
//! in fails (that container not ready, with the region's error message), or `PENDING`
//! when scaled to zero. Request bodies are read in `deployment_body.rs`.

use super::deployment_body::{apply, deployment_name, Fields, CREATE_FIELDS};
use super::seed::{ContainerSpec, Deployment, Phase};
use super::tasks::{self, Change};
use super::{
    body_object, page, project, refuse_unknown, rfc3339, window, Answer, ApiError, State, World,
};
use crate::query::Query;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::TimeDelta;
use serde_json::{json, Map, Value};

fn address(d: &Deployment, region_id: Option<i64>) -> String {
    match region_id {
        None => format!("https://{}-{}.ai.gcore.dev", d.name, d.project_id),
        Some(region) => format!("https://{}-{}-r{region}.ai.gcore.dev", d.name, d.project_id),
    }
}

/// The replicas a running container keeps: its minimum, at least one.
fn replicas(c: &ContainerSpec) -> i64 {
    c.min.max(1)
}

fn container_json(
    d: &Deployment,
    c: &ContainerSpec,
    ready: i64,
    total: i64,
    error: Option<&str>,
) -> Value {
    json!({
        "region_id": c.region_id,
        "address": (ready > 0).then(|| address(d, Some(c.region_id))),
        "deploy_status": {"ready": ready, "total": total},
        "error_message": error,
        "scale": {
            "min": c.min,
            "max": c.max,
            "cooldown_period": c.cooldown_period,
            "polling_interval": c.polling_interval,
            "triggers": c.triggers,
        },
    })
}

/// The status and containers a deployment shows now.
fn status_and_containers(world: &World, d: &Deployment) -> (&'static str, Vec<Value>) {
    let each = |f: &dyn Fn(&ContainerSpec) -> Value| d.containers.iter().map(f).collect();
    match d.phase {
        Phase::Deploying => {
            let started =
                tasks::pending(world, d.project_id, &d.name).is_some_and(|t| t.polls >= 2);
            let containers = if started {
                each(&|c| container_json(d, c, 0, replicas(c), None))
            } else {
                Vec::new()
            };
            ("DEPLOYING", containers)
        }
        Phase::Disabled => ("DISABLED", each(&|c| container_json(d, c, 0, 0, None))),
        Phase::Deleting => ("DELETING", each(&|c| container_json(d, c, 0, 0, None))),
        Phase::Running => {
            let failing = |c: &ContainerSpec| world.failing_regions.get(&c.region_id);
            if d.containers.iter().any(|c| failing(c).is_some()) {
                let containers = each(&|c| match failing(c) {
                    Some(message) => container_json(d, c, 0, replicas(c), Some(message)),
                    None => container_json(d, c, replicas(c), replicas(c), None),
                });
                ("PARTIALLYDEPLOYED", containers)
            } else if d.scaled_to_zero {
                ("PENDING", each(&|c| container_json(d, c, 0, 0, None)))
            } else {
                (
                    "ACTIVE",
                    each(&|c| container_json(d, c, replicas(c), replicas(c), None)),
                )
            }
        }
    }
}

fn deployment_json(world: &World, d: &Deployment) -> Value {
    let (status, containers) = status_and_containers(world, d);
    json!({
        "name": d.name,
        "project_id": d.project_id,
        "status": status,
        "address": (d.phase != Phase::Deploying).then(|| address(d, None)),
        "auth_enabled": d.auth_enabled,
        "api_keys": d.api_keys,
        "image": d.image,
        "flavor_name": d.flavor_name,
        "listening_port": d.listening_port,
        "description": d.description,
        "credentials_name": d.credentials_name,
        "envs": d.envs,
        "command": d.command.as_ref().map(|c| c.join(" ")),
        "probes": d.probes,
        "logging": d.logging,
        "ingress_opts": d.ingress_opts,
        "timeout": d.timeout,
        "created_at": rfc3339(d.created_at),
        "containers": containers,
        "object_references": [],
    })
}

fn position(world: &World, project_id: i64, name: &str) -> Result<usize, ApiError> {
    world
        .seed
        .deployments
        .iter()
        .position(|d| d.project_id == project_id && d.name == name)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Inference deployment '{name}' not found in project {project_id}."
            ))
        })
}

fn tasks_answer(id: String) -> Answer {
    Ok(Json(json!({"tasks": [id]})).into_response())
}

/// Reads of a project's deployments: starts under way move on (see `tasks.rs`).
fn read(world: &mut World, project_id: i64, name: Option<&str>) {
    let names: Vec<String> = world
        .seed
        .deployments
        .iter()
        .filter(|d| d.project_id == project_id && name.is_none_or(|n| n == d.name))
        .map(|d| d.name.clone())
        .collect();
    for name in names {
        tasks::advance_on_read(world, project_id, &name);
    }
}

pub(super) async fn list_deployments(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let (offset, limit) = window(&Query::parse(raw.as_deref()), 1000)?;
    read(&mut world, project_id, None);
    let items = world
        .seed
        .deployments
        .iter()
        .filter(|d| d.project_id == project_id)
        .map(|d| deployment_json(&world, d))
        .collect();
    Ok(page(items, offset, limit))
}

pub(super) async fn get_deployment(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    position(&world, project_id, &name)?;
    read(&mut world, project_id, Some(&name));
    // A start that failed may have ended; the deployment is still there either way.
    let at = position(&world, project_id, &name)?;
    Ok(Json(deployment_json(&world, &world.seed.deployments[at])).into_response())
}

pub(super) async fn create_deployment(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    body: Bytes,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let fields = body_object(&body)?;
    refuse_unknown(&fields, CREATE_FIELDS)?;
    let body = Fields { fields: &fields };
    let name = deployment_name(body.required("name")?)?;
    for required in ["image", "listening_port", "flavor_name", "containers"] {
        body.required(required)?;
    }
    let mut deployment = Deployment {
        project_id,
        name: name.clone(),
        image: String::new(),
        flavor_name: String::new(),
        listening_port: 0,
        description: String::new(),
        credentials_name: String::new(),
        envs: Map::new(),
        command: None,
        probes: None,
        logging: None,
        ingress_opts: None,
        timeout: Some(120),
        auth_enabled: false,
        api_keys: Vec::new(),
        containers: Vec::new(),
        created_at: world.seed.now,
        phase: Phase::Deploying,
        scaled_to_zero: false,
    };
    apply(&world, &mut deployment, &body)?;
    if world
        .seed
        .deployments
        .iter()
        .any(|d| d.project_id == project_id && d.name == name)
    {
        return Err(ApiError::conflict(format!(
            "Inference deployment '{name}' already exists in project {project_id}."
        )));
    }
    world.seed.deployments.push(deployment);
    tasks_answer(tasks::start(&mut world, project_id, &name, Change::Create))
}

/// `PATCH`: the members sent replace the deployment's (`"api_keys": [...]` attaches
/// exactly those keys); a running deployment redeploys until the task finishes.
pub(super) async fn update_deployment(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let at = position(&world, project_id, &name)?;
    let fields = body_object(&body)?;
    refuse_unknown(&fields, &CREATE_FIELDS[1..])?;
    let before = world.seed.deployments[at].clone();
    if before.phase == Phase::Deleting {
        return Err(ApiError::conflict(format!(
            "Inference deployment '{name}' is being deleted."
        )));
    }
    let mut updated = before.clone();
    apply(&world, &mut updated, &Fields { fields: &fields })?;
    updated.scaled_to_zero = false;
    if updated.phase == Phase::Running {
        updated.phase = Phase::Deploying;
    }
    world.seed.deployments[at] = updated;
    tasks_answer(tasks::start(
        &mut world,
        project_id,
        &name,
        Change::Update(Box::new(before)),
    ))
}

/// `DELETE`: the deployment is `DELETING` until its task finishes, then gone (and its
/// keys detached with it).
pub(super) async fn delete_deployment(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let at = position(&world, project_id, &name)?;
    let before = world.seed.deployments[at].phase;
    if before == Phase::Deleting {
        return Err(ApiError::conflict(format!(
            "Inference deployment '{name}' is already being deleted."
        )));
    }
    world.seed.deployments[at].phase = Phase::Deleting;
    tasks_answer(tasks::start(
        &mut world,
        project_id,
        &name,
        Change::Delete(before),
    ))
}

/// `POST …/start`: 204; a disabled deployment deploys again (its task moves on as the
/// deployment is read). Starting one that runs changes nothing.
pub(super) async fn start_deployment(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let at = position(&world, project_id, &name)?;
    match world.seed.deployments[at].phase {
        Phase::Deleting => Err(ApiError::conflict(format!(
            "Inference deployment '{name}' is being deleted."
        ))),
        Phase::Disabled => {
            let deployment = &mut world.seed.deployments[at];
            deployment.phase = Phase::Deploying;
            deployment.scaled_to_zero = false;
            tasks::start(&mut world, project_id, &name, Change::Start);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Phase::Running | Phase::Deploying => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `POST …/stop`: 204; the deployment is `DISABLED` at once, whatever was under way.
pub(super) async fn stop_deployment(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let at = position(&world, project_id, &name)?;
    if world.seed.deployments[at].phase == Phase::Deleting {
        return Err(ApiError::conflict(format!(
            "Inference deployment '{name}' is being deleted."
        )));
    }
    tasks::supersede(&mut world, project_id, &name);
    let deployment = &mut world.seed.deployments[at];
    deployment.phase = Phase::Disabled;
    deployment.scaled_to_zero = false;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Lines a deployment's containers logged: a start-up sequence per region and request
/// lines after it, a minute apart from the deployment's creation.
fn log_lines(d: &Deployment) -> Vec<(chrono::DateTime<chrono::Utc>, i64, String, String)> {
    let mut lines = Vec::new();
    for (r, c) in d.containers.iter().enumerate() {
        let pod = format!("{}-{:x}-r{}", d.name, 0x5a17 + r * 0x101, c.region_id);
        let messages = [
            format!("Pulling image {}", d.image),
            "Container started".to_owned(),
            format!("Uvicorn running on http://0.0.0.0:{}", d.listening_port),
            "Application startup complete.".to_owned(),
        ];
        let requests = (0..8).map(|i| {
            format!(
                "\"POST /v1/chat/completions HTTP/1.1\" {}",
                if i % 5 == 4 { 429 } else { 200 }
            )
        });
        for (i, message) in messages.into_iter().chain(requests).enumerate() {
            let at = d.created_at + TimeDelta::minutes(i as i64) + TimeDelta::seconds(r as i64);
            lines.push((at, c.region_id, pod.clone(), message));
        }
    }
    lines
}

pub(super) async fn deployment_logs(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let at = position(&world, project_id, &name)?;
    let query = Query::parse(raw.as_deref());
    let (offset, limit) = window(&query, 1000)?;
    let region = match query.get("region_id") {
        None | Some("") => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            ApiError::invalid(
                "region_id",
                format!("Input should be a valid integer, got '{v}'"),
            )
        })?),
    };
    let mut lines = log_lines(&world.seed.deployments[at]);
    lines.retain(|(_, r, ..)| region.is_none_or(|want| *r == want));
    match query.get("order_by").unwrap_or("time.desc") {
        "time.asc" => lines.sort_by_key(|line| line.0),
        "time.desc" => lines.sort_by_key(|line| std::cmp::Reverse(line.0)),
        other => {
            return Err(ApiError::invalid(
                "order_by",
                format!("Input should be 'time.asc' or 'time.desc', got '{other}'"),
            ))
        }
    }
    let items = lines
        .into_iter()
        .map(|(time, region_id, pod, message)| {
            json!({"time": rfc3339(time), "region_id": region_id, "pod": pod, "message": message})
        })
        .collect();
    Ok(page(items, offset, limit))
}
