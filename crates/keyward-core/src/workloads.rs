//! The Workloads workspace's logic: the create/edit form, the workload client calls
//! (create, edit, delete, health, the project-wide summary, the readiness stream) and
//! which keys may call a workload.
//!
//! Like the key form, the dialog sends the workload's whole desired state and Rust
//! validates it with the gateway's own rules (`keyward_api::workloads`), field by field,
//! so every bad field is named under its input before any request; an edit becomes a
//! PATCH of only the fields that differ from the workload as fetched. The readiness
//! stream is read chunk by chunk (no extra reqwest feature) and parsed into typed phase
//! events, because the UI only shows phases, never raw SSE.

use crate::client::{encode_segment, status_error, transport_error};
use crate::{Error, PlatformClient, Profile};
use chrono::{DateTime, Utc};
use keyward_api::health::{HealthSummary, ReadinessFrame, WorkloadHealth};
use keyward_api::scope::WorkloadScope;
use keyward_api::workloads::{DeletedWorkload, Workload, WorkloadRequest, WorkloadSpec};
use keyward_api::{ErrorCode, FieldError, KeyPage, KeyStatus};
use reqwest::{header, Method};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// A readiness stream is closed by the gateway after 15 minutes; wait a little longer.
const READINESS_TIMEOUT: Duration = Duration::from_secs(960);

/// The whole desired state of a workload, as the create and edit dialogs hold it.
/// Blank text means "not set"; `config` and `execution_policy_config` are JSON text.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadForm {
    pub name: String,
    pub slug: String,
    pub model_name: String,
    pub backend: String,
    pub task_type: String,
    pub description: String,
    pub command: String,
    pub vllm_version: String,
    pub config: String,
    pub execution_policy: String,
    pub execution_policy_config: String,
    pub worker_id: String,
    pub gpu_resource_id: String,
    pub upstream_url: String,
    pub metrics_urls: Vec<String>,
}

/// One bad field of a form, for the input it belongs under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field.to_owned(),
            message: e.message,
        }
    }
}

fn blank_none(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| value.to_owned())
}

fn json_object(field: &'static str, text: &str) -> Result<Option<Value>, FieldProblem> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(Some(value)),
        _ => Err(FieldProblem {
            field: field.to_owned(),
            message: format!("{field} must be a JSON object, e.g. {{\"max_model_len\": 8192}}."),
        }),
    }
}

/// The workload's settings as the gateway validates them (its `WorkloadSpec`).
pub fn spec_of(w: &Workload) -> WorkloadSpec {
    WorkloadSpec {
        name: w.name.clone(),
        slug: w.slug.clone(),
        model_name: w.model_name.clone(),
        backend: w.backend.clone(),
        task_type: w.task_type.clone(),
        description: w.description.clone(),
        command: w.command.clone(),
        vllm_version: w.vllm_version.clone(),
        config: w.config.clone(),
        execution_policy: w.execution_policy.clone(),
        execution_policy_config: w.execution_policy_config.clone(),
        worker_id: w.worker_id.clone(),
        gpu_resource_id: w.gpu_resource_id.clone(),
        upstream_url: w.upstream_url.clone(),
        metrics_urls: w.metrics_urls.clone(),
    }
}

impl WorkloadForm {
    /// The form filled with a workload, for the edit dialog.
    pub fn of(w: &Workload) -> Self {
        let json = |v: &Option<Value>| {
            v.as_ref()
                .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                .unwrap_or_default()
        };
        Self {
            name: w.name.clone(),
            slug: w.slug.clone(),
            model_name: w.model_name.clone(),
            backend: w.backend.clone(),
            task_type: w.task_type.clone(),
            description: w.description.clone().unwrap_or_default(),
            command: w.command.clone().unwrap_or_default(),
            vllm_version: w.vllm_version.clone().unwrap_or_default(),
            config: json(&w.config),
            execution_policy: w.execution_policy.clone().unwrap_or_default(),
            execution_policy_config: json(&w.execution_policy_config),
            worker_id: w.worker_id.clone().unwrap_or_default(),
            gpu_resource_id: w.gpu_resource_id.clone().unwrap_or_default(),
            upstream_url: w.upstream_url.clone().unwrap_or_default(),
            metrics_urls: w.metrics_urls.clone(),
        }
    }

    /// The form as a full request (every field present), or its JSON problems.
    fn request(&self) -> Result<WorkloadRequest, Vec<FieldProblem>> {
        let config = json_object("config", &self.config);
        let policy_config = json_object("execution_policy_config", &self.execution_policy_config);
        let problems: Vec<FieldProblem> = [&config, &policy_config]
            .into_iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        let required = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
        Ok(WorkloadRequest {
            name: required(&self.name),
            slug: required(&self.slug),
            model_name: required(&self.model_name),
            backend: required(&self.backend),
            task_type: required(&self.task_type),
            description: Some(blank_none(&self.description)),
            command: Some(blank_none(&self.command)),
            vllm_version: Some(blank_none(&self.vllm_version)),
            config: Some(config.ok().flatten()),
            execution_policy: Some(blank_none(&self.execution_policy)),
            execution_policy_config: Some(policy_config.ok().flatten()),
            worker_id: Some(blank_none(&self.worker_id)),
            gpu_resource_id: Some(blank_none(&self.gpu_resource_id)),
            upstream_url: Some(blank_none(&self.upstream_url)),
            metrics_urls: Some(
                self.metrics_urls
                    .iter()
                    .filter(|u| !u.trim().is_empty())
                    .cloned()
                    .collect(),
            ),
        })
    }

    /// Every bad field at once, by the gateway's rules: each field is checked on its own
    /// against a valid base, so one mistake never hides another.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let request = match self.request() {
            Ok(request) => request,
            Err(problems) => return problems,
        };
        let base = WorkloadSpec {
            name: "n".into(),
            slug: "s".into(),
            model_name: "m".into(),
            backend: "vllm".into(),
            task_type: "text2text".into(),
            ..Default::default()
        };
        let mut problems = Vec::new();
        for (field, value) in [
            ("name", &request.name),
            ("slug", &request.slug),
            ("model_name", &request.model_name),
            ("backend", &request.backend),
        ] {
            if value.is_none() {
                let message = match field {
                    "backend" => format!(
                        "backend is required: one of {}.",
                        keyward_api::workloads::BACKENDS.join(", ")
                    ),
                    _ => format!("{field} is required."),
                };
                problems.push(FieldProblem {
                    field: field.to_owned(),
                    message,
                });
            }
        }
        let only = |patch: WorkloadRequest| base.with_update(patch).err().map(FieldProblem::from);
        let r = request;
        let singles = [
            WorkloadRequest {
                name: r.name,
                ..Default::default()
            },
            WorkloadRequest {
                slug: r.slug,
                ..Default::default()
            },
            WorkloadRequest {
                model_name: r.model_name,
                ..Default::default()
            },
            WorkloadRequest {
                backend: r.backend,
                ..Default::default()
            },
            WorkloadRequest {
                task_type: r.task_type,
                ..Default::default()
            },
            WorkloadRequest {
                description: r.description,
                ..Default::default()
            },
            WorkloadRequest {
                command: r.command,
                ..Default::default()
            },
            WorkloadRequest {
                vllm_version: r.vllm_version,
                ..Default::default()
            },
            WorkloadRequest {
                config: r.config,
                ..Default::default()
            },
            WorkloadRequest {
                execution_policy: r.execution_policy,
                ..Default::default()
            },
            WorkloadRequest {
                execution_policy_config: r.execution_policy_config,
                ..Default::default()
            },
            WorkloadRequest {
                worker_id: r.worker_id,
                ..Default::default()
            },
            WorkloadRequest {
                gpu_resource_id: r.gpu_resource_id,
                ..Default::default()
            },
            WorkloadRequest {
                upstream_url: r.upstream_url,
                ..Default::default()
            },
            WorkloadRequest {
                metrics_urls: r.metrics_urls,
                ..Default::default()
            },
        ];
        problems.extend(singles.into_iter().filter_map(only));
        problems
    }

    fn first_problem(&self) -> Result<WorkloadRequest, Error> {
        if let Some(p) = self.problems().into_iter().next() {
            return Err(Error::field(&p.field, p.message));
        }
        self.request()
            .map_err(|p| Error::field(&p[0].field, p[0].message.clone()))
    }

    /// The create request, validated; the first bad field is the error.
    pub fn to_create(&self) -> Result<WorkloadRequest, Error> {
        let request = self.first_problem()?;
        WorkloadSpec::from_create(request.clone()).map_err(|e| Error::field(e.field, e.message))?;
        Ok(request)
    }

    /// A PATCH of exactly the fields that differ from `current`; `None` when nothing does.
    pub fn to_update(&self, current: &Workload) -> Result<Option<WorkloadRequest>, Error> {
        let request = self.first_problem()?;
        let want =
            WorkloadSpec::from_create(request).map_err(|e| Error::field(e.field, e.message))?;
        let have = spec_of(current);
        let mut patch = WorkloadRequest::default();
        // Every field's PATCH slot is `Some(desired)`; for optional fields that is
        // `Some(None)`, which the gateway reads as "clear".
        macro_rules! diff {
            ($($field:ident),* $(,)?) => {
                $(if want.$field != have.$field {
                    patch.$field = Some(want.$field.clone());
                })*
            };
        }
        diff!(
            name,
            slug,
            model_name,
            backend,
            task_type,
            description,
            command,
            vllm_version,
            config,
            execution_policy,
            execution_policy_config,
            worker_id,
            gpu_resource_id,
            upstream_url,
            metrics_urls,
        );
        let empty = serde_json::to_value(&patch).is_ok_and(|v| v == serde_json::json!({}));
        Ok((!empty).then_some(patch))
    }
}

/// The choices the form offers, straight from the gateway's lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadChoices {
    pub backends: Vec<String>,
    pub task_types: Vec<String>,
    pub execution_policies: Vec<String>,
}

impl Default for WorkloadChoices {
    fn default() -> Self {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Self {
            backends: owned(keyward_api::workloads::BACKENDS),
            task_types: owned(keyward_api::workloads::TASK_TYPES),
            execution_policies: owned(keyward_api::workloads::EXECUTION_POLICIES),
        }
    }
}

/// The workload page's period picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum HealthPeriod {
    Hour,
    SixHours,
    Day,
    Week,
}

impl HealthPeriod {
    /// `(from, to)` ending at `now`. The gateway keeps raw probes for a day and one per
    /// five minutes for a week, so a week is the longest period worth asking for.
    pub fn range(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let span = match self {
            Self::Hour => chrono::Duration::hours(1),
            Self::SixHours => chrono::Duration::hours(6),
            Self::Day => chrono::Duration::days(1),
            Self::Week => chrono::Duration::days(7),
        };
        (now - span, now)
    }
}

/// A workload id from the UI: validated like a key id before it goes into a URL.
pub fn validate_workload_id(workload_id: &str) -> Result<(), Error> {
    crate::error::validate_id("workload_id", workload_id, 128)
}

/// A slug from the UI, by the gateway's rule.
pub fn validate_slug(slug: &str) -> Result<(), Error> {
    keyward_api::workloads::validate_slug(slug)
        .map(|_| ())
        .map_err(|e| Error::field(e.field, e.message))
}

/// A key that may call a workload, for the workload page and the delete warning.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyRef {
    pub id: String,
    pub name: String,
    pub status: KeyStatus,
    /// The key may call every workload of the project (`*`), not this one by name.
    pub project_wide: bool,
}

/// The keys of `page` that may call `slug`: named ones first, then project-wide ones.
/// Deleting the workload takes it out of the named ones' scopes.
pub fn keys_calling(page: &KeyPage, slug: &str) -> Vec<KeyRef> {
    let mut keys: Vec<KeyRef> = page
        .keys
        .iter()
        .filter_map(|k| {
            let project_wide = match &k.workloads {
                WorkloadScope::Project => true,
                WorkloadScope::Only(slugs) if slugs.iter().any(|s| s == slug) => false,
                WorkloadScope::Only(_) => return None,
            };
            Some(KeyRef {
                id: k.id.clone(),
                name: k.name.clone(),
                status: k.status,
                project_wide,
            })
        })
        .collect();
    keys.sort_by_key(|k| k.project_wide);
    keys
}

/// What a workload served over a period, from the project usage report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadUsage {
    pub requests: f64,
    pub errors: f64,
    pub input_tokens: f64,
    pub output_tokens: f64,
}

/// A readiness phase, in the order a workload passes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ReadinessPhase {
    Scheduling,
    Provisioning,
    Bootstrapping,
    Ready,
    Error,
}

/// One phase change of a workload on its way to ready.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReadinessEvent {
    pub phase: ReadinessPhase,
    pub message: String,
    /// Since the stream opened, in milliseconds.
    pub elapsed_ms: f64,
}

impl ReadinessEvent {
    /// The typed event of one SSE `data:` payload; an unknown phase is an error event
    /// (a newer gateway's phase must not pass for progress).
    pub fn parse(data: &str) -> Result<Self, Error> {
        let frame: ReadinessFrame = serde_json::from_str(data).map_err(|e| {
            Error::new(
                ErrorCode::Upstream,
                format!("The readiness stream sent an event Keyward does not understand ({e})."),
            )
        })?;
        let phase = match frame.phase.as_str() {
            "scheduling" => ReadinessPhase::Scheduling,
            "provisioning" => ReadinessPhase::Provisioning,
            "bootstrapping" => ReadinessPhase::Bootstrapping,
            "ready" => ReadinessPhase::Ready,
            _ => ReadinessPhase::Error,
        };
        Ok(Self {
            phase,
            message: frame.message,
            elapsed_ms: frame.elapsed_ms as f64,
        })
    }

    pub fn is_final(&self) -> bool {
        matches!(self.phase, ReadinessPhase::Ready | ReadinessPhase::Error)
    }
}

/// Splits a server-sent-events byte stream into the `data` of each event.
#[derive(Default)]
pub struct SseDecoder {
    pending: String,
}

impl SseDecoder {
    /// Feeds one chunk; returns the data of every event it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.pending
            .push_str(&String::from_utf8_lossy(chunk).replace("\r\n", "\n"));
        let mut events = Vec::new();
        while let Some(end) = self.pending.find("\n\n") {
            let block: String = self.pending.drain(..end + 2).collect();
            let data: Vec<&str> = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            if !data.is_empty() {
                events.push(data.join("\n"));
            }
        }
        events
    }
}

impl PlatformClient {
    pub async fn get_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<Workload, Error> {
        let path = format!("/api/workloads/{}", encode_segment(workload_id));
        self.send(profile, self.control(profile, Method::GET, &path))
            .await
    }

    pub async fn create_workload(
        &self,
        profile: &Profile,
        request: &WorkloadRequest,
    ) -> Result<Workload, Error> {
        let path = format!("/api/projects/{}/workloads", profile.project_id);
        let request = self.control(profile, Method::POST, &path).json(request);
        self.send(profile, request).await
    }

    pub async fn update_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
        patch: &WorkloadRequest,
    ) -> Result<Workload, Error> {
        let path = format!("/api/workloads/{}", encode_segment(workload_id));
        let request = self.control(profile, Method::PATCH, &path).json(patch);
        self.send(profile, request).await
    }

    /// Deletes a workload; the answer names the keys that lost it from their scope.
    pub async fn delete_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<DeletedWorkload, Error> {
        let path = format!("/api/workloads/{}", encode_segment(workload_id));
        self.send(profile, self.control(profile, Method::DELETE, &path))
            .await
    }

    /// A workload's status and its probes between `from` and `to`.
    pub async fn workload_health(
        &self,
        profile: &Profile,
        workload_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<WorkloadHealth, Error> {
        let path = format!("/api/workloads/{}/health", encode_segment(workload_id));
        let request = self.control(profile, Method::GET, &path).query(&[
            (
                "from",
                from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            ("to", to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        ]);
        self.send(profile, request).await
    }

    /// Requests and tokens the workload `slug` served between `from` and `to` (hours).
    pub async fn workload_usage(
        &self,
        profile: &Profile,
        slug: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<WorkloadUsage, Error> {
        let query = keyward_api::usage::UsageQuery {
            start: from,
            end: to,
            bucket: keyward_api::usage::UsageBucket::None,
            group_by: Vec::new(),
            key_ids: Vec::new(),
            models: Vec::new(),
            workloads: vec![slug.to_owned()],
        };
        let path = format!("/v1/projects/{}/usage", profile.project_id);
        let request = self
            .control(profile, Method::GET, &path)
            .query(&query.to_params());
        let report: keyward_api::usage::UsageReport = self.send(profile, request).await?;
        Ok(report
            .rows
            .iter()
            .fold(WorkloadUsage::default(), |sum, row| WorkloadUsage {
                requests: sum.requests + row.requests as f64,
                errors: sum.errors + row.errors as f64,
                input_tokens: sum.input_tokens + row.input_tokens as f64,
                output_tokens: sum.output_tokens + row.output_tokens as f64,
            }))
    }

    /// Every workload's status and last probe: the cheap call to poll.
    pub async fn health_summary(&self, profile: &Profile) -> Result<HealthSummary, Error> {
        let path = format!("/api/projects/{}/workloads/health", profile.project_id);
        self.send(profile, self.control(profile, Method::GET, &path))
            .await
    }

    /// Follows a workload's readiness events until `ready` or `error`, handing each
    /// phase change to `on_event`; returns the last event.
    pub async fn follow_readiness(
        &self,
        profile: &Profile,
        slug: &str,
        mut on_event: impl FnMut(&ReadinessEvent),
    ) -> Result<ReadinessEvent, Error> {
        let path = format!(
            "/api/projects/{}/workloads/{}/readiness-events",
            profile.project_id,
            encode_segment(slug)
        );
        let mut response = self
            .control(profile, Method::GET, &path)
            .header(header::ACCEPT, "text/event-stream")
            .timeout(READINESS_TIMEOUT)
            .send()
            .await
            .map_err(|e| transport_error(profile, &e))?;
        if !response.status().is_success() {
            return Err(status_error(profile, response).await);
        }
        let mut decoder = SseDecoder::default();
        let mut last = None;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(profile, &e))?
        {
            for data in decoder.push(&chunk) {
                let event = ReadinessEvent::parse(&data)?;
                on_event(&event);
                let done = event.is_final();
                last = Some(event);
                if done {
                    return Ok(last.expect("just set"));
                }
            }
        }
        Err(Error::new(
            ErrorCode::Unavailable,
            match last {
                Some(e) => format!(
                    "The readiness stream ended before the workload was ready (last: {}); open it again to keep following.",
                    e.message
                ),
                None => "The readiness stream ended before the first event; open it again.".into(),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> WorkloadForm {
        WorkloadForm {
            name: "Chat".into(),
            slug: "chat-a".into(),
            model_name: "llama-3-8b".into(),
            backend: "vllm".into(),
            task_type: "text2text".into(),
            upstream_url: "http://127.0.0.1:8000".into(),
            metrics_urls: vec!["http://127.0.0.1:8000/metrics".into()],
            ..Default::default()
        }
    }

    fn workload(form: &WorkloadForm) -> Workload {
        let spec = WorkloadSpec::from_create(form.to_create().unwrap()).unwrap();
        Workload {
            id: "w1".into(),
            project_id: "p".into(),
            name: spec.name,
            slug: spec.slug,
            model_name: spec.model_name,
            backend: spec.backend,
            task_type: spec.task_type,
            description: spec.description,
            command: spec.command,
            vllm_version: spec.vllm_version,
            config: spec.config,
            execution_policy: spec.execution_policy,
            execution_policy_config: spec.execution_policy_config,
            worker_id: spec.worker_id,
            gpu_resource_id: spec.gpu_resource_id,
            upstream_url: spec.upstream_url,
            metrics_urls: spec.metrics_urls,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        assert_eq!(form().problems(), vec![]);
        let bad = WorkloadForm {
            name: " ".into(),
            slug: "Chat_A".into(),
            backend: "tgi".into(),
            task_type: "chat".into(),
            upstream_url: "ftp://x".into(),
            metrics_urls: vec!["nope".into()],
            execution_policy: "always".into(),
            ..form()
        };
        let fields: Vec<String> = bad.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "slug",
                "backend",
                "task_type",
                "execution_policy",
                "upstream_url",
                "metrics_urls"
            ]
        );
        let problems = bad.problems();
        assert!(problems[2]
            .message
            .contains("ollama, vllm, vllm-omni, sglang, llamacpp"));
        let json = WorkloadForm {
            config: "[1]".into(),
            ..form()
        };
        assert_eq!(json.problems()[0].field, "config");
        let err = bad.to_create().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("name"));
    }

    #[test]
    fn an_edit_patches_only_what_changed_and_blank_clears() {
        let mut before = form();
        before.description = "old".into();
        let current = workload(&before);
        assert!(WorkloadForm::of(&current)
            .to_update(&current)
            .unwrap()
            .is_none());
        let after = WorkloadForm {
            description: "  ".into(),
            model_name: "qwen".into(),
            ..WorkloadForm::of(&current)
        };
        let patch = after.to_update(&current).unwrap().unwrap();
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            serde_json::json!({"model_name": "qwen", "description": null})
        );
    }

    #[test]
    fn sse_frames_become_typed_phase_events() {
        let mut decoder = SseDecoder::default();
        assert!(decoder
            .push(b": keep-alive\n\ndata: {\"phase\":\"provisioning\",")
            .is_empty());
        let data = decoder.push(
            b"\"message\":\"waiting\",\"elapsed_ms\":12,\"step\":null}\r\n\r\ndata: {\"phase\":\"ready\",\"message\":\"ok\",\"elapsed_ms\":900,\"step\":null}\n\n",
        );
        let events: Vec<ReadinessEvent> = data
            .iter()
            .map(|d| ReadinessEvent::parse(d).unwrap())
            .collect();
        assert_eq!(events[0].phase, ReadinessPhase::Provisioning);
        assert_eq!(events[0].elapsed_ms, 12.0);
        assert!(events[1].is_final());
        let odd = ReadinessEvent::parse(
            r#"{"phase":"warming","message":"?","elapsed_ms":1,"step":null}"#,
        );
        assert_eq!(odd.unwrap().phase, ReadinessPhase::Error);
    }
}
