//! Workloads in InferenceKey's wire shape (`/api/projects/{project}/workloads`,
//! `/api/workloads/{id}`), so the official `inferencekey` SDK provisions against
//! keyward-gateway unchanged; plus Keyward's own `upstream_url` (the OpenAI-compatible
//! server that serves the workload) and `metrics_urls` (its Prometheus endpoints).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keys::FieldError;

/// A closed set of names on the wire, as an enum: serde-renamed to the wire strings
/// (listed in the OpenAPI schema and the TypeScript bindings), with `as_str`/`parse`
/// for stored rows and validation messages, and an `Unknown` a console reads a newer
/// gateway's value as. `Unknown` is never valid input: `parse` knows only the others.
macro_rules! wire_names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:tt,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)*
            /// A value this build does not know (a newer gateway's); read, never accepted.
            #[default]
            #[serde(other, rename = "unknown")]
            Unknown,
        }

        impl $name {
            /// Every value a request may name, in the order forms offer them.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The wire (and stored) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Unknown => "unknown",
                }
            }

            /// The known value `name` names, if any.
            pub fn parse(name: &str) -> Option<Self> {
                Self::KNOWN.iter().copied().find(|v| v.as_str() == name)
            }

            /// The known names, comma-separated, for a message.
            pub fn names() -> String {
                Self::KNOWN.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_names! {
    /// The inference server a workload runs on.
    Backend {
        Ollama = "ollama",
        Vllm = "vllm",
        VllmOmni = "vllm-omni",
        Sglang = "sglang",
        Llamacpp = "llamacpp",
    }
}

wire_names! {
    /// What a workload's model does, in InferenceKey's names.
    TaskType {
        Text2text = "text2text",
        Embedding = "embedding",
        Text2image = "text2image",
        Text2video = "text2video",
        Text2audio = "text2audio",
        Image2image = "image2image",
        Image2video = "image2video",
        Audio2text = "audio2text",
        Omni = "omni",
        Reranker = "reranker",
        Classification = "classification",
        Reward = "reward",
        Forecast = "forecast",
    }
}

pub const EXECUTION_POLICIES: &[&str] = &["fixed", "scheduled", "autoscaling"];
/// At most this many metrics endpoints per workload.
pub const MAX_METRICS_URLS: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workload {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub slug: String,
    pub model_name: String,
    pub backend: Backend,
    pub task_type: TaskType,
    pub description: Option<String>,
    pub command: Option<String>,
    pub vllm_version: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub config: Option<Value>,
    pub execution_policy: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub execution_policy_config: Option<Value>,
    pub worker_id: Option<String>,
    pub gpu_resource_id: Option<String>,
    /// Base URL of the OpenAI-compatible server behind this workload (`…/v1` is added).
    pub upstream_url: Option<String>,
    /// Prometheus endpoints: the model server's `/metrics`, a DCGM exporter…
    pub metrics_urls: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkloadList {
    pub workloads: Vec<Workload>,
}

/// A key whose `workloads` scope named a deleted workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AffectedKey {
    pub id: String,
    pub name: String,
    /// The workloads the key may still call (empty: none).
    pub remaining_workloads: Vec<String>,
}

/// `DELETE /api/workloads/{id}`: what was deleted and which keys lost it from scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletedWorkload {
    pub deleted: bool,
    pub workload: Workload,
    pub affected_keys: Vec<AffectedKey>,
}

/// `POST /api/projects/{project}/workloads` and `PATCH /api/workloads/{id}`. On PATCH
/// only the fields present change, and `null` clears an optional one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkloadRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    )]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
    pub model_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(ollama|vllm|vllm-omni|sglang|llamacpp)$")
    )]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub command: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub vllm_version: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub config: Option<Option<Value>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub execution_policy: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub execution_policy_config: Option<Option<Value>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub worker_id: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub gpu_resource_id: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::keys::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub upstream_url: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_urls: Option<Vec<String>>,
}

/// A workload's settings after validation: what create stores and PATCH rewrites.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkloadSpec {
    pub name: String,
    pub slug: String,
    pub model_name: String,
    pub backend: Backend,
    pub task_type: TaskType,
    pub description: Option<String>,
    pub command: Option<String>,
    pub vllm_version: Option<String>,
    pub config: Option<Value>,
    pub execution_policy: Option<String>,
    pub execution_policy_config: Option<Value>,
    pub worker_id: Option<String>,
    pub gpu_resource_id: Option<String>,
    pub upstream_url: Option<String>,
    pub metrics_urls: Vec<String>,
}

fn fail<T>(field: &'static str, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError {
        field,
        message: message.into(),
    })
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<String, FieldError> {
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        fail(
            field,
            format!("{field} must be one of: {}.", allowed.join(", ")),
        )
    }
}

/// The known value `value` names, or a message listing the names.
fn known<T>(
    field: &'static str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> Result<T, FieldError> {
    parse(value).map_or_else(
        || fail(field, format!("{field} must be one of: {}.", names())),
        Ok,
    )
}

/// A slug is a DNS label: lowercase letters, digits and `-`, 1–63 characters, not
/// starting or ending with `-`. It appears in URLs (`/endpoint/{project}/{slug}/…`).
pub fn validate_slug(slug: &str) -> Result<String, FieldError> {
    let ok = (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(slug.to_owned())
    } else {
        fail(
            "slug",
            "slug must be 1–63 lowercase letters, digits or '-', not starting or ending with '-'.",
        )
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return fail(field, format!("{field} must not be blank."));
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return fail(
            field,
            format!("{field} must be at most {max} characters without control characters."),
        );
    }
    Ok(value.to_owned())
}

fn optional_text(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value {
        None => Ok(None),
        Some(v) if field == "command" || field == "description" => {
            if v.chars().count() > max {
                fail(field, format!("{field} must be at most {max} characters."))
            } else {
                Ok(Some(v))
            }
        }
        Some(v) => text(field, &v, max).map(Some),
    }
}

fn object(field: &'static str, value: Option<Value>) -> Result<Option<Value>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            if Value::Object(map.clone()).to_string().len() > 64 * 1024 {
                return fail(field, format!("{field} must be at most 64 KiB of JSON."));
            }
            Ok(Some(Value::Object(map)))
        }
        Some(_) => fail(field, format!("{field} must be a JSON object.")),
    }
}

/// An `http(s)://host[:port][/path]` URL without credentials, query or fragment.
pub fn validate_http_url(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    // Two URLs typed without a line break (`…/metricshttp://…/dcgm/metrics`) read as
    // one URL with a path; a second scheme inside is refused as such.
    if rest.is_some_and(|rest| rest.contains("://")) {
        return fail(
            field,
            format!("{field} holds two URLs run together (a second \"://\" inside); give each URL on its own line."),
        );
    }
    let ok = rest.is_some_and(|rest| {
        let host = rest.split('/').next().unwrap_or_default();
        !host.is_empty()
            && !host.contains('@')
            && !rest.contains(['?', '#', ' '])
            && !rest.chars().any(char::is_control)
    }) && url.len() <= 2048;
    if ok {
        Ok(url.to_owned())
    } else {
        fail(
            field,
            format!("{field} must be an http:// or https:// URL without credentials, query or fragment."),
        )
    }
}

impl WorkloadSpec {
    /// Validates a create request, naming the first bad field.
    pub fn from_create(request: WorkloadRequest) -> Result<Self, FieldError> {
        let Some(name) = request.name.as_deref() else {
            return fail("name", "name is required.");
        };
        let Some(slug) = request.slug.as_deref() else {
            return fail("slug", "slug is required.");
        };
        let Some(model) = request.model_name.as_deref() else {
            return fail("model_name", "model_name is required.");
        };
        let Some(backend) = request.backend.as_deref() else {
            return fail(
                "backend",
                format!("backend is required: one of {}.", Backend::names()),
            );
        };
        let base = WorkloadSpec {
            name: crate::validate_name(Some(name))
                .map_err(|e| FieldError {
                    field: "name",
                    message: e.message,
                })?
                .to_owned(),
            slug: validate_slug(slug)?,
            model_name: text("model_name", model, 256)?,
            backend: known("backend", backend, Backend::parse, Backend::names)?,
            task_type: known(
                "task_type",
                request.task_type.as_deref().unwrap_or("text2text"),
                TaskType::parse,
                TaskType::names,
            )?,
            ..Default::default()
        };
        let patch = WorkloadRequest {
            name: None,
            slug: None,
            model_name: None,
            backend: None,
            task_type: None,
            ..request
        };
        base.with_update(patch)
    }

    /// This spec with a PATCH applied; only the fields present change.
    pub fn with_update(&self, patch: WorkloadRequest) -> Result<Self, FieldError> {
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = crate::validate_name(Some(&name))
                .map_err(|e| FieldError {
                    field: "name",
                    message: e.message,
                })?
                .to_owned();
        }
        if let Some(slug) = patch.slug {
            next.slug = validate_slug(&slug)?;
        }
        if let Some(model) = patch.model_name {
            next.model_name = text("model_name", &model, 256)?;
        }
        if let Some(backend) = patch.backend {
            next.backend = known("backend", &backend, Backend::parse, Backend::names)?;
        }
        if let Some(task_type) = patch.task_type {
            next.task_type = known("task_type", &task_type, TaskType::parse, TaskType::names)?;
        }
        if let Some(v) = patch.description {
            next.description = optional_text("description", v, 2000)?;
        }
        if let Some(v) = patch.command {
            next.command = optional_text("command", v, 4000)?;
        }
        if let Some(v) = patch.vllm_version {
            next.vllm_version = optional_text("vllm_version", v, 64)?;
        }
        if let Some(v) = patch.config {
            next.config = object("config", v)?;
        }
        if let Some(v) = patch.execution_policy {
            next.execution_policy = v
                .map(|p| one_of("execution_policy", &p, EXECUTION_POLICIES))
                .transpose()?;
        }
        if let Some(v) = patch.execution_policy_config {
            next.execution_policy_config = object("execution_policy_config", v)?;
        }
        if let Some(v) = patch.worker_id {
            next.worker_id = optional_text("worker_id", v, 128)?;
        }
        if let Some(v) = patch.gpu_resource_id {
            next.gpu_resource_id = optional_text("gpu_resource_id", v, 128)?;
        }
        if let Some(v) = patch.upstream_url {
            next.upstream_url = v
                .map(|u| validate_http_url("upstream_url", &u))
                .transpose()?;
        }
        if let Some(urls) = patch.metrics_urls {
            if urls.len() > MAX_METRICS_URLS {
                return fail(
                    "metrics_urls",
                    format!("metrics_urls holds at most {MAX_METRICS_URLS} URLs."),
                );
            }
            next.metrics_urls = urls
                .iter()
                .map(|u| validate_http_url("metrics_urls", u))
                .collect::<Result<_, _>>()?;
        }
        Ok(next)
    }

    /// Field → `{"old", "new"}` for every field that differs (the audit diff).
    pub fn changes_from(&self, old: &WorkloadSpec) -> serde_json::Map<String, Value> {
        crate::keys::field_changes(self, old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_and_task_types_keep_their_wire_names_and_read_newer_ones_as_unknown() {
        for backend in Backend::KNOWN {
            assert_eq!(serde_json::to_value(backend).unwrap(), backend.as_str());
            assert_eq!(Backend::parse(backend.as_str()), Some(*backend));
        }
        for task in TaskType::KNOWN {
            assert_eq!(serde_json::to_value(task).unwrap(), task.as_str());
        }
        assert_eq!(
            serde_json::to_value(Backend::VllmOmni).unwrap(),
            "vllm-omni"
        );
        let newer: Backend = serde_json::from_str("\"tgi\"").unwrap();
        assert_eq!(newer, Backend::Unknown);
        let newer: TaskType = serde_json::from_str("\"text2music\"").unwrap();
        assert_eq!(newer, TaskType::Unknown);
        // What a console reads is never what a request may name.
        let refused = WorkloadSpec::default()
            .with_update(serde_json::from_value(serde_json::json!({"backend": "unknown"})).unwrap())
            .unwrap_err();
        assert_eq!(refused.field, "backend");
        assert_eq!(
            refused.message,
            "backend must be one of: ollama, vllm, vllm-omni, sglang, llamacpp."
        );
    }

    fn request() -> WorkloadRequest {
        serde_json::from_value(serde_json::json!({
            "name": "Chat", "slug": "chat-a", "model_name": "llama-3-8b", "backend": "vllm"
        }))
        .unwrap()
    }

    #[test]
    fn defaults_and_field_errors() {
        let spec = WorkloadSpec::from_create(request()).unwrap();
        assert_eq!(spec.task_type, TaskType::Text2text);
        for (patch, field) in [
            (serde_json::json!({"slug": "Chat_A"}), "slug"),
            (serde_json::json!({"slug": "-a"}), "slug"),
            (serde_json::json!({"backend": "tgi"}), "backend"),
            (serde_json::json!({"task_type": "chat"}), "task_type"),
            (
                serde_json::json!({"execution_policy": "always"}),
                "execution_policy",
            ),
            (serde_json::json!({"config": [1]}), "config"),
            (
                serde_json::json!({"upstream_url": "ftp://x"}),
                "upstream_url",
            ),
            (
                serde_json::json!({"upstream_url": "http://u:p@x"}),
                "upstream_url",
            ),
            (
                serde_json::json!({"metrics_urls": ["http://x/metrics", "nope"]}),
                "metrics_urls",
            ),
            (serde_json::json!({"model_name": " "}), "model_name"),
            // issue #15: two URLs run together are not one URL with a long path.
            (
                serde_json::json!({"metrics_urls": ["http://a:8000/metricshttp://a:9400/dcgm/metrics"]}),
                "metrics_urls",
            ),
            (
                serde_json::json!({"upstream_url": "http://a:8000/v1https://b/v1"}),
                "upstream_url",
            ),
        ] {
            let patch: WorkloadRequest = serde_json::from_value(patch).unwrap();
            let error = spec.with_update(patch).unwrap_err();
            assert_eq!(error.field, field, "{}", error.message);
        }
        let error = spec
            .with_update(serde_json::from_value(serde_json::json!({"backend": "tgi"})).unwrap())
            .unwrap_err();
        assert!(error
            .message
            .contains("ollama, vllm, vllm-omni, sglang, llamacpp"));
    }

    #[test]
    fn patch_changes_only_what_is_present_and_null_clears() {
        let mut spec = WorkloadSpec::from_create(request()).unwrap();
        spec.description = Some("old".into());
        let patch: WorkloadRequest =
            serde_json::from_value(serde_json::json!({"description": null, "model_name": "qwen"}))
                .unwrap();
        let next = spec.with_update(patch).unwrap();
        assert_eq!((next.description, next.model_name.as_str()), (None, "qwen"));
        assert_eq!(next.slug, "chat-a");
    }
}
