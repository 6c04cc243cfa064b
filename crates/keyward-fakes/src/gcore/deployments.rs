//! Inference deployments: list, get, create, update (including attaching and detaching
//! keys), delete, start, stop and logs.
//!
//! A deployment's status and containers are derived on every read from its phase, the
//! task driving it and the failures a test injected, never stored: `DEPLOYING` shows no
//! containers until its task has been polled past `NEW`, then containers that are not
//! ready; a running deployment is `ACTIVE`, `PARTIALLYDEPLOYED` when a region it runs
//! in fails (that container not ready, with the region's error message), or `PENDING`
//! when scaled to zero. Request bodies are validated against the create and update
//! schemas of Gcore's OpenAPI document (the SDK's `scripts/mock`), defaults filled in
//! where the schema has them, so what the fake serves back is what Gcore would.

use super::seed::{default_triggers, ContainerSpec, Deployment, Phase};
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

/// The create schema's name rule: 4–30 characters, one DNS label.
pub const NAME_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const CREATE_FIELDS: &[&str] = &[
    "name",
    "image",
    "listening_port",
    "flavor_name",
    "containers",
    "api_keys",
    "auth_enabled",
    "envs",
    "command",
    "credentials_name",
    "description",
    "probes",
    "logging",
    "ingress_opts",
    "timeout",
];

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

/// Reading the field `name` of a request body, with the messages pydantic gives.
struct Fields<'a> {
    fields: &'a Map<String, Value>,
}

impl Fields<'_> {
    /// The member, `None` when absent or null.
    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    fn required(&self, name: &str) -> Result<&Value, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid(name, "Field required"))
    }
}

fn string(at: &str, value: &Value) -> Result<String, ApiError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid string"))
}

fn integer(at: &str, value: &Value, min: Option<i64>, max: Option<i64>) -> Result<i64, ApiError> {
    let n = value
        .as_i64()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid integer"))?;
    if let Some(min) = min.filter(|m| n < *m) {
        return Err(ApiError::invalid(
            at,
            format!("Input should be greater than or equal to {min}"),
        ));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        return Err(ApiError::invalid(
            at,
            format!("Input should be less than or equal to {max}"),
        ));
    }
    Ok(n)
}

fn boolean(at: &str, value: &Value) -> Result<bool, ApiError> {
    value
        .as_bool()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid boolean"))
}

fn object<'a>(at: &str, value: &'a Value) -> Result<&'a Map<String, Value>, ApiError> {
    value
        .as_object()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid dictionary"))
}

fn strings(at: &str, value: &Value) -> Result<Vec<String>, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid list"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| string(&format!("{at}.{i}"), v))
        .collect()
}

fn deployment_name(value: &Value) -> Result<String, ApiError> {
    let name = string("name", value)?;
    let length = name.chars().count();
    if length < 4 {
        return Err(ApiError::invalid(
            "name",
            "String should have at least 4 characters",
        ));
    }
    if length > 30 {
        return Err(ApiError::invalid(
            "name",
            "String should have at most 30 characters",
        ));
    }
    if !super::keys::is_label(&name) {
        return Err(ApiError::invalid(
            "name",
            format!("String should match pattern '{NAME_PATTERN}'"),
        ));
    }
    Ok(name)
}

/// `name[:tag]`, the image schema's pattern: lower-case path components separated by
/// `/`, each alphanumerics joined by single `.`, `_` or `-`; a tag of up to 128
/// characters.
fn image(value: &Value) -> Result<String, ApiError> {
    let image = string("image", value)?;
    let (path, tag) = match image.split_once(':') {
        Some((path, tag)) => (path, Some(tag)),
        None => (image.as_str(), None),
    };
    let component_ok = |c: &str| {
        let alnum = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit();
        !c.is_empty()
            && c.starts_with(alnum)
            && c.ends_with(alnum)
            && c.chars()
                .all(|ch| alnum(ch) || matches!(ch, '.' | '_' | '-'))
            && !c
                .as_bytes()
                .windows(2)
                .any(|w| !alnum(w[0] as char) && !alnum(w[1] as char))
    };
    let tag_ok = |t: &str| {
        (1..=128).contains(&t.len())
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-'))
    };
    if !path.split('/').all(component_ok) || !tag.is_none_or(tag_ok) {
        return Err(ApiError::invalid(
            "image",
            "String should match pattern '^(?:(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$'",
        ));
    }
    Ok(image)
}

fn containers(world: &World, value: &Value) -> Result<Vec<ContainerSpec>, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid("containers", "Input should be a valid list"))?;
    if items.is_empty() {
        return Err(ApiError::invalid(
            "containers",
            "List should have at least 1 item after validation, not 0",
        ));
    }
    let mut specs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("containers.{i}");
        let fields = object(&at, item)?;
        refuse_unknown(fields, &["region_id", "scale"])
            .map_err(|e| ApiError::invalid(&at, e.message))?;
        let region_at = format!("{at}.region_id");
        let region_id = integer(
            &region_at,
            fields
                .get("region_id")
                .ok_or_else(|| ApiError::invalid(&region_at, "Field required"))?,
            None,
            None,
        )?;
        match world.seed.regions.iter().find(|r| r.id == region_id) {
            None => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("Region {region_id} does not exist."),
                ))
            }
            Some(r) if !r.has_ai => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "Region {region_id} ({}) does not offer Everywhere Inference.",
                        r.display_name
                    ),
                ))
            }
            Some(_) => {}
        }
        let scale_at = format!("{at}.scale");
        let scale = object(
            &scale_at,
            fields
                .get("scale")
                .ok_or_else(|| ApiError::invalid(&scale_at, "Field required"))?,
        )?;
        refuse_unknown(
            scale,
            &[
                "min",
                "max",
                "cooldown_period",
                "polling_interval",
                "triggers",
            ],
        )
        .map_err(|e| ApiError::invalid(&scale_at, e.message))?;
        let member = |name: &str| scale.get(name).filter(|v| !v.is_null());
        let min_at = format!("{scale_at}.min");
        let max_at = format!("{scale_at}.max");
        let min = integer(
            &min_at,
            member("min").ok_or_else(|| ApiError::invalid(&min_at, "Field required"))?,
            Some(0),
            None,
        )?;
        let max = integer(
            &max_at,
            member("max").ok_or_else(|| ApiError::invalid(&max_at, "Field required"))?,
            None,
            Some(300),
        )?;
        if min > max {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("{scale_at}: min ({min}) must not be greater than max ({max})."),
            ));
        }
        let cooldown_period = match member("cooldown_period") {
            None if scale.contains_key("cooldown_period") => None,
            None => Some(60),
            Some(v) => Some(integer(
                &format!("{scale_at}.cooldown_period"),
                v,
                Some(1),
                Some(3600),
            )?),
        };
        let polling_interval = match member("polling_interval") {
            None if scale.contains_key("polling_interval") => None,
            None => Some(30),
            Some(v) => Some(integer(
                &format!("{scale_at}.polling_interval"),
                v,
                Some(5),
                Some(3600),
            )?),
        };
        let triggers = match member("triggers") {
            None => default_triggers(),
            Some(v) => {
                let given = object(&format!("{scale_at}.triggers"), v)?;
                let mut all = Map::new();
                for name in [
                    "cpu",
                    "gpu_memory",
                    "gpu_utilization",
                    "http",
                    "memory",
                    "sqs",
                ] {
                    all.insert(name.into(), given.get(name).cloned().unwrap_or(Value::Null));
                }
                refuse_unknown(
                    given,
                    &[
                        "cpu",
                        "gpu_memory",
                        "gpu_utilization",
                        "http",
                        "memory",
                        "sqs",
                    ],
                )
                .map_err(|e| ApiError::invalid(&format!("{scale_at}.triggers"), e.message))?;
                Value::Object(all)
            }
        };
        specs.push(ContainerSpec {
            region_id,
            min,
            max,
            cooldown_period,
            polling_interval,
            triggers,
        });
    }
    Ok(specs)
}

/// Key names that must all exist in the project.
fn api_keys(world: &World, project_id: i64, value: &Value) -> Result<Vec<String>, ApiError> {
    let names = strings("api_keys", value)?;
    for name in &names {
        if !world
            .seed
            .keys
            .iter()
            .any(|k| k.project_id == project_id && &k.name == name)
        {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("API key '{name}' not found in project {project_id}."),
            ));
        }
    }
    let mut unique = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    Ok(unique)
}

fn envs(value: &Value) -> Result<Map<String, Value>, ApiError> {
    let map = object("envs", value)?;
    for (name, v) in map {
        string(&format!("envs.{name}"), v)?;
    }
    Ok(map.clone())
}

/// One probe configuration with the schema's defaults filled in, as it is served.
fn probe_config(at: &str, value: &Value) -> Result<Value, ApiError> {
    let config = object(at, value)?;
    refuse_unknown(config, &["enabled", "probe"]).map_err(|e| ApiError::invalid(at, e.message))?;
    let enabled = boolean(
        &format!("{at}.enabled"),
        config
            .get("enabled")
            .ok_or_else(|| ApiError::invalid(&format!("{at}.enabled"), "Field required"))?,
    )?;
    let Some(probe) = config.get("probe").filter(|p| !p.is_null()) else {
        return Ok(json!({"enabled": enabled, "probe": null}));
    };
    let probe_at = format!("{at}.probe");
    let probe = object(&probe_at, probe)?;
    let known = [
        "exec",
        "failure_threshold",
        "http_get",
        "initial_delay_seconds",
        "period_seconds",
        "success_threshold",
        "tcp_socket",
        "timeout_seconds",
    ];
    refuse_unknown(probe, &known).map_err(|e| ApiError::invalid(&probe_at, e.message))?;
    let number = |name: &str, default: i64, min: i64| -> Result<i64, ApiError> {
        match probe.get(name).filter(|v| !v.is_null()) {
            None => Ok(default),
            Some(v) => integer(&format!("{probe_at}.{name}"), v, Some(min), None),
        }
    };
    let port = |at: &str, v: &Map<String, Value>| -> Result<i64, ApiError> {
        let port_at = format!("{at}.port");
        integer(
            &port_at,
            v.get("port")
                .ok_or_else(|| ApiError::invalid(&port_at, "Field required"))?,
            Some(1),
            Some(65535),
        )
    };
    let exec = match probe.get("exec").filter(|v| !v.is_null()) {
        None => Value::Null,
        Some(v) => {
            let at = format!("{probe_at}.exec");
            let exec = object(&at, v)?;
            let command = exec
                .get("command")
                .ok_or_else(|| ApiError::invalid(&format!("{at}.command"), "Field required"))?;
            json!({"command": strings(&format!("{at}.command"), command)?})
        }
    };
    let http_get = match probe.get("http_get").filter(|v| !v.is_null()) {
        None => Value::Null,
        Some(v) => {
            let at = format!("{probe_at}.http_get");
            let http = object(&at, v)?;
            let schema = match http.get("schema") {
                None => "HTTP".to_owned(),
                Some(s) => string(&format!("{at}.schema"), s)?,
            };
            if schema != "HTTP" && schema != "HTTPS" {
                return Err(ApiError::invalid(
                    &format!("{at}.schema"),
                    "String should match pattern '^(HTTP|HTTPS)$'",
                ));
            }
            json!({
                "port": port(&at, http)?,
                "path": http.get("path").and_then(Value::as_str).unwrap_or("/"),
                "host": http.get("host").cloned().unwrap_or(Value::Null),
                "headers": http.get("headers").cloned().unwrap_or_else(|| json!({})),
                "schema": schema,
            })
        }
    };
    let tcp_socket = match probe.get("tcp_socket").filter(|v| !v.is_null()) {
        None => Value::Null,
        Some(v) => {
            let at = format!("{probe_at}.tcp_socket");
            json!({"port": port(&at, object(&at, v)?)?})
        }
    };
    Ok(json!({
        "enabled": enabled,
        "probe": {
            "exec": exec,
            "http_get": http_get,
            "tcp_socket": tcp_socket,
            "failure_threshold": number("failure_threshold", 3, 1)?,
            "initial_delay_seconds": number("initial_delay_seconds", 0, 0)?,
            "period_seconds": number("period_seconds", 10, 1)?,
            "success_threshold": number("success_threshold", 1, 1)?,
            "timeout_seconds": number("timeout_seconds", 3, 1)?,
        },
    }))
}

fn probes(value: &Value) -> Result<Value, ApiError> {
    let given = object("probes", value)?;
    let kinds = ["liveness_probe", "readiness_probe", "startup_probe"];
    refuse_unknown(given, &kinds).map_err(|e| ApiError::invalid("probes", e.message))?;
    let mut served = Map::new();
    for kind in kinds {
        let config = match given.get(kind).filter(|v| !v.is_null()) {
            None => Value::Null,
            Some(v) => probe_config(&format!("probes.{kind}"), v)?,
        };
        served.insert(kind.into(), config);
    }
    Ok(Value::Object(served))
}

fn logging(value: &Value) -> Result<Value, ApiError> {
    let given = object("logging", value)?;
    refuse_unknown(
        given,
        &[
            "enabled",
            "destination_region_id",
            "topic_name",
            "retention_policy",
        ],
    )
    .map_err(|e| ApiError::invalid("logging", e.message))?;
    let enabled = match given.get("enabled") {
        None => false,
        Some(v) => boolean("logging.enabled", v)?,
    };
    Ok(json!({
        "enabled": enabled,
        "destination_region_id": given.get("destination_region_id").cloned().unwrap_or(Value::Null),
        "topic_name": given.get("topic_name").cloned().unwrap_or(Value::Null),
        "retention_policy": given.get("retention_policy").cloned().unwrap_or(Value::Null),
    }))
}

fn ingress_opts(value: &Value) -> Result<Value, ApiError> {
    let given = object("ingress_opts", value)?;
    refuse_unknown(given, &["disable_response_buffering"])
        .map_err(|e| ApiError::invalid("ingress_opts", e.message))?;
    let disable = match given.get("disable_response_buffering") {
        None => false,
        Some(v) => boolean("ingress_opts.disable_response_buffering", v)?,
    };
    Ok(json!({"disable_response_buffering": disable}))
}

/// Applies the optional members of a create or update body to `d`.
fn apply(world: &World, d: &mut Deployment, body: &Fields) -> Result<(), ApiError> {
    if let Some(v) = body.get("image") {
        d.image = image(v)?;
    }
    if let Some(v) = body.get("flavor_name") {
        d.flavor_name = string("flavor_name", v)?;
        if d.flavor_name.is_empty() {
            return Err(ApiError::invalid(
                "flavor_name",
                "String should have at least 1 character",
            ));
        }
    }
    if let Some(v) = body.get("listening_port") {
        d.listening_port = integer("listening_port", v, Some(1), Some(65535))?;
    }
    if let Some(v) = body.get("containers") {
        d.containers = containers(world, v)?;
    }
    if let Some(v) = body.get("api_keys") {
        d.api_keys = api_keys(world, d.project_id, v)?;
    } else if body.fields.contains_key("api_keys") {
        d.api_keys.clear();
    }
    if let Some(v) = body.get("auth_enabled") {
        d.auth_enabled = boolean("auth_enabled", v)?;
    }
    if let Some(v) = body.get("envs") {
        d.envs = envs(v)?;
    }
    if body.fields.contains_key("command") {
        d.command = body
            .get("command")
            .map(|v| strings("command", v))
            .transpose()?;
    }
    if let Some(v) = body.get("credentials_name") {
        d.credentials_name = string("credentials_name", v)?;
    }
    if let Some(v) = body.get("description") {
        d.description = string("description", v)?;
    }
    if body.fields.contains_key("probes") {
        d.probes = body.get("probes").map(probes).transpose()?;
    }
    if body.fields.contains_key("logging") {
        d.logging = body.get("logging").map(logging).transpose()?;
    }
    if body.fields.contains_key("ingress_opts") {
        d.ingress_opts = body.get("ingress_opts").map(ingress_opts).transpose()?;
    }
    if body.fields.contains_key("timeout") {
        d.timeout = body
            .get("timeout")
            .map(|v| integer("timeout", v, Some(0), None))
            .transpose()?;
    }
    Ok(())
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
        Some(v) => Some(integer(
            "region_id",
            &json!(v.parse::<i64>().ok()),
            None,
            None,
        )?),
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
