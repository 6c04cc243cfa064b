//! Gcore inference deployments as workloads: listed with their status mapped onto the
//! neutral scale, read in full, created, edited, deleted, started and stopped, their
//! tasks followed and their logs read.
//!
//! Why an edit starts from a fresh read and sends only what differs: Gcore redeploys
//! on every `PATCH`, and a member sent is a member replaced. So a region's scale keeps
//! its triggers and timings (only `min`/`max` are the console's), a probe keeps its
//! thresholds (only its path is), and a change made elsewhere to another member
//! survives. The same read-then-patch attaches and detaches keys (`keys.rs`).

use super::{inference_path, wire, Gcore, DIALECT};
use crate::platform::http::route;
use crate::platform::model::{WorkloadRef, WorkloadState, WorkloadStatus};
use crate::platform::workload::{
    ChangeProgress, ChangeState, LogLine, Probes, RegionScale, RegionState, WorkloadChange,
    WorkloadDetail, WorkloadField, WorkloadSpec,
};
use crate::{Error, ErrorCode, Profile};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The members of Gcore's deployment form.
pub(super) const FIELDS: [WorkloadField; 10] = [
    WorkloadField::Name,
    WorkloadField::Description,
    WorkloadField::Image,
    WorkloadField::Flavor,
    WorkloadField::Port,
    WorkloadField::Regions,
    WorkloadField::Env,
    WorkloadField::Command,
    WorkloadField::AuthEnabled,
    WorkloadField::Probes,
];

/// Gcore's most replicas per region (`containers[].scale.max`).
const MAX_SCALE: u32 = 300;
/// The most log lines Gcore serves in one page.
const MAX_LOG_LINES: u32 = 1000;

/// One DNS label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, the rule of Gcore's names.
pub(super) fn is_label(s: &str) -> bool {
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && ok(bytes[0])
        && ok(bytes[bytes.len() - 1])
        && bytes.iter().all(|b| ok(*b) || *b == b'-')
}

/// A deployment name as Gcore's create schema allows it: 4–30 characters, one label.
pub(super) fn checked_name<'a>(field: &str, name: &'a str) -> Result<&'a str, Error> {
    let name = name.trim();
    if !(4..=30).contains(&name.len()) || !is_label(name) {
        return Err(Error::field(
            field,
            format!("“{name}” is no Gcore deployment name: 4 to 30 lower-case letters, digits and '-', starting and ending with a letter or digit."),
        ));
    }
    Ok(name)
}

/// A deployment's status on the neutral scale, with the ready and total containers
/// summed over its regions and each failing region's error.
pub(super) fn status(d: &wire::Deployment) -> WorkloadStatus {
    let state = match d.status.as_str() {
        "DEPLOYING" => WorkloadState::Provisioning,
        "PARTIALLYDEPLOYED" => WorkloadState::Degraded,
        "ACTIVE" => WorkloadState::Healthy,
        "DISABLED" => WorkloadState::Disabled,
        "PENDING" => WorkloadState::ScaledToZero,
        "DELETING" => WorkloadState::Deleting,
        _ => WorkloadState::Unknown,
    };
    let counted = !d.containers.is_empty();
    let sum = |f: fn(&wire::DeployStatus) -> u32| {
        counted.then(|| d.containers.iter().map(|c| f(&c.deploy_status)).sum())
    };
    WorkloadStatus {
        state,
        ready: sum(|s| s.ready),
        total: sum(|s| s.total),
        problems: d
            .containers
            .iter()
            .filter_map(|c| {
                c.error_message
                    .as_deref()
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(|m| format!("Region {}: {m}", c.region_id))
            })
            .collect(),
    }
}

fn workload_ref(d: &wire::Deployment) -> WorkloadRef {
    WorkloadRef {
        id: d.name.clone(),
        slug: d.name.clone(),
        name: d.name.clone(),
        model: None,
        upstream: None,
        created_at: d.created_at,
        status: Some(status(d)),
    }
}

/// The HTTP path of one probe (`probes.<kind>.probe.http_get.path`), when enabled.
fn probe_path(probes: Option<&Value>, kind: &str) -> Option<String> {
    let config = probes?.get(kind)?;
    if config.get("enabled").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    config
        .pointer("/probe/http_get/path")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn scale_of(c: &wire::Container, member: &str) -> u32 {
    c.scale
        .get(member)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// What a deployment runs, in the neutral spec: what an edit starts from.
fn spec_of(d: &wire::Deployment) -> WorkloadSpec {
    WorkloadSpec {
        name: d.name.clone(),
        description: Some(d.description.clone()),
        image: Some(d.image.clone()),
        flavor: Some(d.flavor_name.clone()),
        port: Some(d.listening_port),
        regions: d
            .containers
            .iter()
            .map(|c| RegionScale {
                region: c.region_id.to_string(),
                min: scale_of(c, "min"),
                max: scale_of(c, "max"),
            })
            .collect(),
        env: Some(d.envs.clone().unwrap_or_default()),
        command: Some(d.command.clone().unwrap_or_default()),
        auth_enabled: Some(d.auth_enabled),
        probes: Some(Probes {
            liveness_path: probe_path(d.probes.as_ref(), "liveness_probe"),
            readiness_path: probe_path(d.probes.as_ref(), "readiness_probe"),
        }),
        ..WorkloadSpec::default()
    }
}

/// Members of the neutral spec Gcore has no place for: refused, naming the field.
fn refuse_foreign(spec: &WorkloadSpec) -> Result<(), Error> {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    for (field, given, what) in [
        ("model", set(&spec.model), "model setting: the image decides what it serves (pass the model in its environment or command)"),
        ("backend", set(&spec.backend), "backend setting: the image is the server"),
        ("task_type", set(&spec.task_type), "task type: the image decides what it serves"),
    ] {
        if given {
            return Err(Error::field(field, format!("A Gcore deployment has no {what}.")));
        }
    }
    if let Some(slug) = spec.slug.as_deref().filter(|s| !s.trim().is_empty()) {
        if slug.trim() != spec.name.trim() {
            return Err(Error::field(
                "slug",
                "A Gcore deployment is addressed by its name; it has no separate slug.",
            ));
        }
    }
    Ok(())
}

/// The regions as Gcore's containers: numeric region ids, each once, `min ≤ max ≤ 300`.
fn checked_regions(regions: &[RegionScale]) -> Result<Vec<(i64, u32, u32)>, Error> {
    let mut checked: Vec<(i64, u32, u32)> = Vec::new();
    for r in regions {
        let region = r.region.trim();
        let id: i64 = region.parse().ok().filter(|id| *id > 0).ok_or_else(|| {
            Error::field(
                "regions",
                format!("A Gcore region is named by its number (such as 76), not “{region}”."),
            )
        })?;
        if checked.iter().any(|(seen, ..)| *seen == id) {
            return Err(Error::field(
                "regions",
                format!("Region {id} is listed twice: keep one scale per region."),
            ));
        }
        if r.min > r.max || r.max > MAX_SCALE || r.max == 0 {
            return Err(Error::field(
                "regions",
                format!("Region {id}: the scale must be 0 ≤ min ≤ max, with max from 1 to {MAX_SCALE} (got {}–{}).", r.min, r.max),
            ));
        }
        checked.push((id, r.min, r.max));
    }
    Ok(checked)
}

fn checked_env(env: &BTreeMap<String, String>) -> Result<Value, Error> {
    for name in env.keys() {
        let ok = !name.is_empty()
            && name.len() <= 256
            && !name.contains('=')
            && !name.chars().any(|c| c.is_control() || c.is_whitespace());
        if !ok {
            return Err(Error::field(
                "env",
                format!("“{name}” is no environment variable name: no spaces, '=' or control characters."),
            ));
        }
    }
    Ok(json!(env))
}

/// The command as Gcore takes it, a list of words (split on whitespace; no quoting);
/// empty = none.
fn command_words(command: &str) -> Value {
    let words: Vec<&str> = command.split_whitespace().collect();
    if words.is_empty() {
        Value::Null
    } else {
        json!(words)
    }
}

/// One probe config: an HTTP GET of `path` on `port`, or `current`'s with its path
/// replaced (keeping its thresholds); `None` turns the probe off.
fn probe_config(current: Option<&Value>, path: Option<&str>, port: u16) -> Value {
    let Some(path) = path.map(str::trim).filter(|p| !p.is_empty()) else {
        return Value::Null;
    };
    match current.filter(|c| c.pointer("/probe/http_get").is_some_and(Value::is_object)) {
        Some(config) => {
            let mut config = config.clone();
            config["enabled"] = json!(true);
            config["probe"]["http_get"]["path"] = json!(path);
            config
        }
        None => json!({"enabled": true, "probe": {"http_get": {"port": port, "path": path}}}),
    }
}

fn checked_probes(probes: &Probes) -> Result<(), Error> {
    for path in [&probes.liveness_path, &probes.readiness_path]
        .into_iter()
        .flatten()
    {
        let path = path.trim();
        if !path.is_empty() && (!path.starts_with('/') || path.chars().any(char::is_whitespace)) {
            return Err(Error::field(
                "probes",
                format!("A probe path starts with '/' and has no spaces, unlike “{path}”."),
            ));
        }
    }
    Ok(())
}

/// `probes` with the liveness and readiness paths wanted, the startup probe as it is.
fn probes_value(current: Option<&Value>, wanted: &Probes, port: u16) -> Value {
    let member = |kind: &str| current.and_then(|c| c.get(kind)).filter(|v| !v.is_null());
    json!({
        "liveness_probe": probe_config(member("liveness_probe"), wanted.liveness_path.as_deref(), port),
        "readiness_probe": probe_config(member("readiness_probe"), wanted.readiness_path.as_deref(), port),
        "startup_probe": member("startup_probe").cloned().unwrap_or(Value::Null),
    })
}

fn required<'a, T>(field: &str, value: Option<&'a T>, what: &str) -> Result<&'a T, Error> {
    value.ok_or_else(|| Error::field(field, format!("A Gcore deployment needs {what}.")))
}

/// The create body: every member the spec sets, checked before any request.
fn create_body(spec: &WorkloadSpec) -> Result<Map<String, Value>, Error> {
    refuse_foreign(spec)?;
    let name = checked_name("name", &spec.name)?;
    let image = required("image", spec.image.as_ref(), "an image to run")?.trim();
    if image.is_empty() || image.chars().any(char::is_whitespace) {
        return Err(Error::field(
            "image",
            "A Gcore deployment needs an image reference such as ghcr.io/org/server:1.2.",
        ));
    }
    let flavor = required("flavor", spec.flavor.as_ref(), "a flavor (its hardware)")?.trim();
    if flavor.is_empty() {
        return Err(Error::field(
            "flavor",
            "A Gcore deployment needs a flavor (its hardware), such as inference-1xa100-16vcpu-200gb.",
        ));
    }
    let port = *required("port", spec.port.as_ref(), "the port its server listens on")?;
    if port == 0 {
        return Err(Error::field(
            "port",
            "The port is a number from 1 to 65535.",
        ));
    }
    let regions = checked_regions(&spec.regions)?;
    if regions.is_empty() {
        return Err(Error::field(
            "regions",
            "A Gcore deployment runs in at least one region: give its id and scale.",
        ));
    }
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("image".into(), json!(image));
    body.insert("flavor_name".into(), json!(flavor));
    body.insert("listening_port".into(), json!(port));
    body.insert(
        "containers".into(),
        json!(regions
            .iter()
            .map(|(id, min, max)| json!({"region_id": id, "scale": {"min": min, "max": max}}))
            .collect::<Vec<_>>()),
    );
    if let Some(description) = spec.description.as_deref().map(str::trim) {
        if !description.is_empty() {
            body.insert("description".into(), json!(description));
        }
    }
    if let Some(env) = spec.env.as_ref().filter(|e| !e.is_empty()) {
        body.insert("envs".into(), checked_env(env)?);
    }
    if let Some(command) = spec.command.as_deref() {
        let words = command_words(command);
        if !words.is_null() {
            body.insert("command".into(), words);
        }
    }
    if let Some(auth) = spec.auth_enabled {
        body.insert("auth_enabled".into(), json!(auth));
    }
    if let Some(probes) = &spec.probes {
        checked_probes(probes)?;
        if probes.liveness_path.is_some() || probes.readiness_path.is_some() {
            body.insert("probes".into(), probes_value(None, probes, port));
        }
    }
    Ok(body)
}

/// The `PATCH` body: only what `spec` wants that differs from `current`.
fn update_body(
    current: &wire::Deployment,
    spec: &WorkloadSpec,
) -> Result<Map<String, Value>, Error> {
    refuse_foreign(spec)?;
    if !spec.name.trim().is_empty() && spec.name.trim() != current.name {
        return Err(Error::field(
            "name",
            "Gcore cannot rename a deployment: create a new one under the other name.",
        ));
    }
    let mut body = Map::new();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_owned);
    if let Some(image) = text(&spec.image).filter(|i| *i != current.image) {
        if image.is_empty() || image.chars().any(char::is_whitespace) {
            return Err(Error::field(
                "image",
                "Enter an image reference such as ghcr.io/org/server:1.2.",
            ));
        }
        body.insert("image".into(), json!(image));
    }
    if let Some(flavor) = text(&spec.flavor).filter(|f| *f != current.flavor_name) {
        if flavor.is_empty() {
            return Err(Error::field("flavor", "A Gcore deployment needs a flavor."));
        }
        body.insert("flavor_name".into(), json!(flavor));
    }
    let port = spec.port.unwrap_or(current.listening_port);
    if port == 0 {
        return Err(Error::field(
            "port",
            "The port is a number from 1 to 65535.",
        ));
    }
    if port != current.listening_port {
        body.insert("listening_port".into(), json!(port));
    }
    if let Some(description) = text(&spec.description).filter(|d| *d != current.description) {
        body.insert("description".into(), json!(description));
    }
    if let Some(env) = &spec.env {
        if *env != current.envs.clone().unwrap_or_default() {
            body.insert("envs".into(), checked_env(env)?);
        }
    }
    if let Some(command) = &spec.command {
        let words = command_words(command);
        let now = current
            .command
            .as_deref()
            .map(command_words)
            .unwrap_or(Value::Null);
        if words != now {
            body.insert("command".into(), words);
        }
    }
    if let Some(auth) = spec.auth_enabled.filter(|a| *a != current.auth_enabled) {
        body.insert("auth_enabled".into(), json!(auth));
    }
    if let Some(probes) = &spec.probes {
        checked_probes(probes)?;
        let now = current.probes.clone().unwrap_or(Value::Null);
        let wanted = probes_value(current.probes.as_ref(), probes, port);
        let same = probe_path(Some(&wanted), "liveness_probe")
            == probe_path(Some(&now), "liveness_probe")
            && probe_path(Some(&wanted), "readiness_probe")
                == probe_path(Some(&now), "readiness_probe");
        if !same {
            body.insert("probes".into(), wanted);
        }
    }
    if !spec.regions.is_empty() {
        let wanted = checked_regions(&spec.regions)?;
        let now: Vec<(i64, u32, u32)> = current
            .containers
            .iter()
            .map(|c| (c.region_id, scale_of(c, "min"), scale_of(c, "max")))
            .collect();
        if wanted != now {
            let containers: Vec<Value> = wanted
                .iter()
                .map(|(id, min, max)| {
                    // The region's own scale (triggers, timings) with the new bounds.
                    let mut scale = current
                        .containers
                        .iter()
                        .find(|c| c.region_id == *id)
                        .map(|c| c.scale.clone())
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    scale["min"] = json!(min);
                    scale["max"] = json!(max);
                    json!({"region_id": id, "scale": scale})
                })
                .collect();
            body.insert("containers".into(), json!(containers));
        }
    }
    Ok(body)
}

/// What a change's tasks answer says to follow: its first task.
fn change(name: &str, tasks: wire::Tasks) -> WorkloadChange {
    WorkloadChange {
        workload_id: name.to_owned(),
        follow: tasks.tasks.into_iter().next(),
    }
}

impl Gcore {
    /// The deployment as Gcore has it now.
    pub(super) async fn deployment(
        &self,
        profile: &Profile,
        name: &str,
    ) -> Result<wire::Deployment, Error> {
        let name = checked_name("workload_id", name)?;
        let path = inference_path(profile, &["deployments", name])?;
        self.http.get_json(&DIALECT, profile, &path, &[]).await
    }

    /// `PATCH …/deployments/{name}` with `body`; the tasks redeploying it.
    pub(super) async fn patch_deployment(
        &self,
        profile: &Profile,
        name: &str,
        body: Map<String, Value>,
    ) -> Result<wire::Tasks, Error> {
        let path = inference_path(profile, &["deployments", name])?;
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::PATCH, &path)
            .json(&Value::Object(body));
        self.http.send_json(&DIALECT, profile, request).await
    }

    pub(super) async fn workloads(&self, profile: &Profile) -> Result<Vec<WorkloadRef>, Error> {
        let path = inference_path(profile, &["deployments"])?;
        let deployments: Vec<wire::Deployment> = self.every(profile, &path).await?;
        Ok(deployments.iter().map(workload_ref).collect())
    }

    pub(super) async fn workload_detail(
        &self,
        profile: &Profile,
        name: &str,
    ) -> Result<WorkloadDetail, Error> {
        let d = self.deployment(profile, name).await?;
        Ok(WorkloadDetail {
            workload: workload_ref(&d),
            spec: spec_of(&d),
            address: d.address.clone(),
            keys: Some(d.api_keys.clone().unwrap_or_default()),
            regions: d
                .containers
                .iter()
                .map(|c| RegionState {
                    region: c.region_id.to_string(),
                    ready: c.deploy_status.ready,
                    total: c.deploy_status.total,
                    address: c.address.clone(),
                    error: c.error_message.clone().filter(|m| !m.trim().is_empty()),
                })
                .collect(),
        })
    }

    /// `POST …/deployments`; the task that deploys it is followed.
    pub(super) async fn deploy(
        &self,
        profile: &Profile,
        spec: &WorkloadSpec,
    ) -> Result<WorkloadChange, Error> {
        let body = create_body(spec)?;
        let path = inference_path(profile, &["deployments"])?;
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::POST, &path)
            .json(&Value::Object(body));
        let tasks: wire::Tasks = self.http.send_json(&DIALECT, profile, request).await?;
        Ok(change(spec.name.trim(), tasks))
    }

    /// A `PATCH` of what differs from a fresh read; nothing to follow when nothing does.
    pub(super) async fn redeploy(
        &self,
        profile: &Profile,
        name: &str,
        spec: &WorkloadSpec,
    ) -> Result<WorkloadChange, Error> {
        let current = self.deployment(profile, name).await?;
        let body = update_body(&current, spec)?;
        if body.is_empty() {
            return Ok(WorkloadChange {
                workload_id: current.name,
                follow: None,
            });
        }
        let tasks = self.patch_deployment(profile, &current.name, body).await?;
        Ok(change(&current.name, tasks))
    }

    pub(super) async fn undeploy(
        &self,
        profile: &Profile,
        name: &str,
    ) -> Result<WorkloadChange, Error> {
        let name = checked_name("workload_id", name)?;
        let path = inference_path(profile, &["deployments", name])?;
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::DELETE, &path);
        let tasks: wire::Tasks = self.http.send_json(&DIALECT, profile, request).await?;
        Ok(change(name, tasks))
    }

    /// `POST …/start` or `…/stop`: 204, with no task to follow (the status shows it).
    pub(super) async fn start_stop(
        &self,
        profile: &Profile,
        name: &str,
        running: bool,
    ) -> Result<WorkloadChange, Error> {
        let name = checked_name("workload_id", name)?;
        let verb = if running { "start" } else { "stop" };
        let path = inference_path(profile, &["deployments", name, verb])?;
        let request = self.http.authorized(&DIALECT, profile, Method::POST, &path);
        self.http.send(&DIALECT, profile, request).await?;
        Ok(WorkloadChange {
            workload_id: name.to_owned(),
            follow: None,
        })
    }

    /// One poll of a task: `NEW` queued, `RUNNING`, `FINISHED` done, `ERROR` failed
    /// with the task's own error.
    pub(super) async fn task(&self, profile: &Profile, id: &str) -> Result<ChangeProgress, Error> {
        crate::error::validate_id("follow", id, 128)?;
        let task: wire::Task = self
            .http
            .get_json(
                &DIALECT,
                profile,
                &route(&["cloud", "v1", "tasks", id]),
                &[],
            )
            .await?;
        let state = match task.state.as_str() {
            "NEW" => ChangeState::Queued,
            "RUNNING" => ChangeState::Running,
            "FINISHED" => ChangeState::Done,
            "ERROR" => ChangeState::Failed,
            other => {
                return Err(Error::new(
                    ErrorCode::Upstream,
                    format!("Gcore reports task {} in a state Keyward does not know (“{other}”); check it in the Gcore Customer Portal.", task.id),
                ))
            }
        };
        let message = (state == ChangeState::Failed).then(|| {
            task.error
                .filter(|e| !e.trim().is_empty())
                .unwrap_or_else(|| "Gcore reports the task failed without saying why.".to_owned())
        });
        Ok(ChangeProgress {
            follow: task.id,
            state,
            message,
        })
    }

    /// The newest `limit` lines (at most 1000), oldest first.
    pub(super) async fn logs(
        &self,
        profile: &Profile,
        name: &str,
        limit: u32,
    ) -> Result<Vec<LogLine>, Error> {
        let name = checked_name("workload_id", name)?;
        let path = inference_path(profile, &["deployments", name, "logs"])?;
        let limit = limit.clamp(1, MAX_LOG_LINES).to_string();
        let page: wire::Page<wire::LogLine> = self
            .http
            .get_json(
                &DIALECT,
                profile,
                &path,
                &[
                    ("limit", &limit),
                    ("offset", "0"),
                    ("order_by", "time.desc"),
                ],
            )
            .await?;
        Ok(page
            .results
            .into_iter()
            .rev()
            .map(|line| LogLine {
                at: line.time,
                source: Some(match line.pod {
                    Some(pod) => format!("region {} · {pod}", line.region_id),
                    None => format!("region {}", line.region_id),
                }),
                message: line.message,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(value: Value) -> wire::Deployment {
        serde_json::from_value(value).unwrap()
    }

    fn chat() -> wire::Deployment {
        deployment(json!({
            "name": "llama-chat", "status": "ACTIVE", "auth_enabled": true,
            "api_keys": ["ci-runner"], "image": "vllm/vllm-openai:v0.6.3",
            "flavor_name": "inference-1xa100", "listening_port": 8000, "description": "chat",
            "envs": {"MODEL": "llama"}, "command": "--max-model-len 8192",
            "probes": {"liveness_probe": {"enabled": true, "probe": {"http_get": {"port": 8000, "path": "/health", "schema": "HTTP"}, "failure_threshold": 5}}, "readiness_probe": null, "startup_probe": null},
            "containers": [
                {"region_id": 76, "deploy_status": {"ready": 1, "total": 1}, "scale": {"min": 1, "max": 3, "cooldown_period": 60, "triggers": {"cpu": {"threshold": 50}}}},
                {"region_id": 38, "deploy_status": {"ready": 0, "total": 1}, "error_message": "image pull failed", "scale": {"min": 1, "max": 2}},
            ],
        }))
    }

    #[test]
    fn a_partially_deployed_deployment_is_degraded_naming_each_failing_region() {
        let mut d = chat();
        d.status = "PARTIALLYDEPLOYED".into();
        let s = status(&d);
        assert_eq!(
            (s.state, s.ready, s.total),
            (WorkloadState::Degraded, Some(1), Some(2))
        );
        assert_eq!(s.problems, ["Region 38: image pull failed"]);
        for (wire, state) in [
            ("DEPLOYING", WorkloadState::Provisioning),
            ("ACTIVE", WorkloadState::Healthy),
            ("DISABLED", WorkloadState::Disabled),
            ("PENDING", WorkloadState::ScaledToZero),
            ("DELETING", WorkloadState::Deleting),
            ("MIGRATING", WorkloadState::Unknown),
        ] {
            d.status = wire.into();
            assert_eq!(status(&d).state, state, "{wire}");
        }
    }

    #[test]
    fn an_edit_from_the_spec_as_read_sends_nothing_and_a_scale_keeps_its_triggers() {
        let current = chat();
        let spec = spec_of(&current);
        assert!(update_body(&current, &spec).unwrap().is_empty());
        let mut wider = spec.clone();
        wider.regions[0].max = 5;
        wider.probes = Some(Probes {
            liveness_path: Some("/healthz".into()),
            readiness_path: None,
        });
        let body = update_body(&current, &wider).unwrap();
        assert_eq!(
            body["containers"][0],
            json!({"region_id": 76, "scale": {"min": 1, "max": 5, "cooldown_period": 60, "triggers": {"cpu": {"threshold": 50}}}})
        );
        assert_eq!(
            body["probes"]["liveness_probe"]["probe"]["failure_threshold"],
            5
        );
        assert_eq!(
            body["probes"]["liveness_probe"]["probe"]["http_get"]["path"],
            "/healthz"
        );
        assert_eq!(body.len(), 2, "{body:?}");
    }

    #[test]
    fn a_create_is_refused_naming_the_field_before_any_request() {
        let good = WorkloadSpec {
            name: "tiny-llm".into(),
            image: Some("ghcr.io/acme/server:1".into()),
            flavor: Some("inference-16vcpu-32gb".into()),
            port: Some(80),
            regions: vec![RegionScale {
                region: "76".into(),
                min: 0,
                max: 1,
            }],
            command: Some("serve  --port 80".into()),
            ..WorkloadSpec::default()
        };
        let body = create_body(&good).unwrap();
        assert_eq!(body["command"], json!(["serve", "--port", "80"]));
        let field = |spec: WorkloadSpec| create_body(&spec).unwrap_err().field.unwrap();
        for (spec, expected) in [
            (
                WorkloadSpec {
                    name: "abc".into(),
                    ..good.clone()
                },
                "name",
            ),
            (
                WorkloadSpec {
                    name: "a.b-c".into(),
                    ..good.clone()
                },
                "name",
            ),
            (
                WorkloadSpec {
                    image: None,
                    ..good.clone()
                },
                "image",
            ),
            (
                WorkloadSpec {
                    port: Some(0),
                    ..good.clone()
                },
                "port",
            ),
            (
                WorkloadSpec {
                    regions: vec![],
                    ..good.clone()
                },
                "regions",
            ),
            (
                WorkloadSpec {
                    regions: vec![RegionScale {
                        region: "76".into(),
                        min: 3,
                        max: 2,
                    }],
                    ..good.clone()
                },
                "regions",
            ),
            (
                WorkloadSpec {
                    model: Some("llama".into()),
                    ..good.clone()
                },
                "model",
            ),
        ] {
            assert_eq!(field(spec), expected);
        }
    }
}
