//! The Workloads workspace's logic: the create/edit form, the readiness events and
//! which keys may call a workload. The gateway's HTTP calls for workloads are in
//! `platform/keyward/workloads.rs`.
//!
//! Like the key form, the dialog sends the workload's whole desired state and Rust
//! validates it with the gateway's own rules (`keyward_api::workloads`), field by field,
//! so every bad field is named under its input before any request; an edit becomes a
//! PATCH of only the fields that differ from the workload as fetched. The readiness
//! stream is split into events by `eventsource-stream` (a maintained SSE parser: a
//! character split across two network chunks stays whole, line endings and comments
//! follow the specification) and parsed into typed phase events, because the UI only
//! shows phases, never raw SSE.

use crate::Error;
use crate::ErrorCode;
use chrono::{DateTime, Utc};
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use keyward_api::health::ReadinessFrame;
pub use keyward_api::health::ReadinessPhase;
use keyward_api::workloads::{Backend, TaskType, Workload, WorkloadRequest, WorkloadSpec};
use keyward_api::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
        backend: w.backend,
        task_type: w.task_type,
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
            backend: w.backend.as_str().to_owned(),
            task_type: w.task_type.as_str().to_owned(),
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
            backend: Backend::Vllm,
            task_type: TaskType::Text2text,
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
                    "backend" => format!("backend is required: one of {}.", Backend::names()),
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
        if want.backend != have.backend {
            patch.backend = Some(want.backend.as_str().to_owned());
        }
        if want.task_type != have.task_type {
            patch.task_type = Some(want.task_type.as_str().to_owned());
        }
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
            backends: Backend::KNOWN
                .iter()
                .map(|b| b.as_str().to_owned())
                .collect(),
            task_types: TaskType::KNOWN
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
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

/// An active key that may call a workload, for the workload page and the delete warning.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyRef {
    pub id: String,
    pub name: String,
    /// The key may call every workload of the project (`*`), not this one by name.
    pub project_wide: bool,
}

/// Every active key that may call a workload: named ones first (deleting the workload
/// takes it out of their scopes), then project-wide ones, each group by name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadKeys {
    pub keys: Vec<KeyRef>,
    /// What the gateway counted over all pages (equal to `keys.len()` unless keys were
    /// created or revoked while the pages were read).
    pub total: u32,
}

/// The largest page the gateway serves.
pub(crate) const KEY_PAGE: i64 = 200;

/// What a workload served over a period, from the project usage report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadUsage {
    pub requests: f64,
    pub errors: f64,
    pub input_tokens: f64,
    pub output_tokens: f64,
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
        let phase = match frame.phase {
            ReadinessPhase::Unknown => ReadinessPhase::Error,
            known => known,
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

/// Reads a readiness stream (SSE bytes) until `ready` or `error`, handing each phase
/// change to `on_event`; returns the last event. A transport failure becomes `transport`'s
/// error; a stream that ends (or breaks) before a final phase says so, naming the last
/// phase seen.
pub(crate) async fn follow_events<S, B, E>(
    bytes: S,
    mut on_event: impl FnMut(&ReadinessEvent),
    transport: impl Fn(E) -> Error,
) -> Result<ReadinessEvent, Error>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    let mut events = bytes.eventsource();
    let mut last: Option<ReadinessEvent> = None;
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(EventStreamError::Transport(e)) => return Err(transport(e)),
            Err(EventStreamError::Utf8(e)) => {
                return Err(Error::new(
                    ErrorCode::Upstream,
                    format!("The readiness stream is not valid UTF-8 ({e})."),
                ))
            }
            Err(EventStreamError::Parser(e)) => {
                return Err(Error::new(
                    ErrorCode::Upstream,
                    format!("The readiness stream is not valid server-sent events ({e})."),
                ))
            }
        };
        if event.data.is_empty() {
            continue;
        }
        let event = ReadinessEvent::parse(&event.data)?;
        on_event(&event);
        let done = event.is_final();
        last = Some(event);
        if done {
            return Ok(last.expect("just set"));
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
        // issue #15: two metrics URLs typed without a line break are one bad entry,
        // by keyward-api's rule (the gateway's), not a URL with a long path.
        let run_together = WorkloadForm {
            metrics_urls: vec!["http://10.0.0.5:8000/metricshttp://10.0.0.5:9400/metrics".into()],
            ..form()
        };
        let problems = run_together.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, "metrics_urls");
        assert!(problems[0].message.contains("run together"), "{problems:?}");
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

    /// Feeds `chunks` as a byte stream, as the network would split it.
    async fn follow(chunks: Vec<Vec<u8>>) -> (Vec<ReadinessEvent>, Result<ReadinessEvent, Error>) {
        let stream =
            futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::convert::Infallible>));
        let mut seen = Vec::new();
        let last = follow_events(stream, |e| seen.push(e.clone()), |e| match e {}).await;
        (seen, last)
    }

    #[tokio::test]
    async fn sse_frames_become_typed_phase_events() {
        let (seen, last) = follow(vec![
            b": keep-alive\n\ndata: {\"phase\":\"provisioning\",".to_vec(),
            b"\"message\":\"waiting\",\"elapsed_ms\":12,\"step\":null}\r\n\r\ndata: {\"phase\":\"ready\",\"message\":\"ok\",\"elapsed_ms\":900,\"step\":null}\n\n".to_vec(),
        ])
        .await;
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].phase, ReadinessPhase::Provisioning);
        assert_eq!(seen[0].elapsed_ms, 12.0);
        assert!(last.unwrap().is_final());
        let odd = ReadinessEvent::parse(
            r#"{"phase":"warming","message":"?","elapsed_ms":1,"step":null}"#,
        );
        assert_eq!(odd.unwrap().phase, ReadinessPhase::Error);
    }

    /// Issue 15: a character split across two chunks was decoded chunk by chunk with
    /// `from_utf8_lossy` and became U+FFFD. Every split point of every multi-byte
    /// character must give the message back whole.
    #[tokio::test]
    async fn a_character_split_across_chunks_stays_whole() {
        let message = "Modell lädt — 模型加载中 🚀";
        let frame = format!(
            "data: {{\"phase\":\"ready\",\"message\":\"{message}\",\"elapsed_ms\":5,\"step\":null}}\n\n"
        );
        let bytes = frame.as_bytes();
        for cut in 1..bytes.len() {
            let (seen, last) = follow(vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()]).await;
            assert_eq!(seen.len(), 1, "cut at {cut}");
            assert_eq!(last.unwrap().message, message, "cut at {cut}");
        }
    }

    #[tokio::test]
    async fn a_stream_that_ends_early_names_the_last_phase() {
        let (_, last) = follow(vec![
            b"data: {\"phase\":\"scheduling\",\"message\":\"queued\",\"elapsed_ms\":1,\"step\":null}\n\n".to_vec(),
        ])
        .await;
        let error = last.unwrap_err();
        assert_eq!(error.code, ErrorCode::Unavailable);
        assert!(error.message.contains("last: queued"), "{}", error.message);
    }
}
