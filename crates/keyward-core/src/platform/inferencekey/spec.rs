//! A neutral [`WorkloadSpec`] as InferenceKey takes it: checked before any request,
//! and turned into the POST of a new workload or the PATCH of only what drifted.
//!
//! Why the checks are here and not left to the platform: the Workloads screen and
//! `kw` put a refusal under the field it names, and a backend or task type outside
//! InferenceKey's documented lists (`keyward_api::workloads::{Backend, TaskType}`, the
//! same lists the gateway enforces) is refused without a round trip. A member of the
//! spec InferenceKey has no place for (an image, regions, …) is refused by name rather
//! than dropped, so nobody believes a port was set.
//!
//! Why a drift PATCH: InferenceKey's own `ensure` sends only the members that differ
//! from the workload as read just before, so a change someone made to another member
//! meanwhile survives; an edit here does the same.

use super::wire::{CreateWorkload, Workload};
use crate::platform::workload::WorkloadSpec;
use crate::Error;
use keyward_api::workloads::{Backend, TaskType};
use serde_json::{Map, Value};

/// The task type InferenceKey gives a workload created without one.
pub const DEFAULT_TASK_TYPE: &str = "text2text";

/// Refuses, by name, the members of the spec InferenceKey has no place for.
fn refuse_foreign_members(spec: &WorkloadSpec) -> Result<(), Error> {
    let foreign = [
        ("image", spec.image.is_some()),
        ("flavor", spec.flavor.is_some()),
        ("port", spec.port.is_some()),
        ("regions", !spec.regions.is_empty()),
        ("env", spec.env.is_some()),
        ("auth_enabled", spec.auth_enabled.is_some()),
        ("probes", spec.probes.is_some()),
    ];
    match foreign.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(Error::field(
            field,
            format!("InferenceKey places workloads itself: it has no {field} to set. Leave it empty; the model, backend and task type decide where the workload runs."),
        )),
        None => Ok(()),
    }
}

fn check_backend(backend: &str) -> Result<(), Error> {
    match Backend::parse(backend) {
        Some(_) => Ok(()),
        None => Err(Error::field(
            "backend",
            format!(
                "\"{backend}\" is not an InferenceKey backend; choose one of {}.",
                Backend::names()
            ),
        )),
    }
}

fn check_task_type(task_type: &str) -> Result<(), Error> {
    match TaskType::parse(task_type) {
        Some(_) => Ok(()),
        None => Err(Error::field(
            "task_type",
            format!(
                "\"{task_type}\" is not an InferenceKey task type; choose one of {}.",
                TaskType::names()
            ),
        )),
    }
}

fn required<'a>(field: &str, value: Option<&'a str>, what: &str) -> Result<&'a str, Error> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => Ok(value),
        None => Err(Error::field(
            field,
            format!("A new InferenceKey workload needs {what}."),
        )),
    }
}

/// Set text, trimmed; `None` when empty.
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The POST body of a new workload, or the first field that is wrong.
pub fn to_create(spec: &WorkloadSpec) -> Result<CreateWorkload<'_>, Error> {
    refuse_foreign_members(spec)?;
    let name = required("name", Some(spec.name.as_str()), "a name")?;
    let slug = required(
        "slug",
        spec.slug.as_deref(),
        "a slug (the name clients call it by)",
    )?;
    let model_name = required(
        "model",
        spec.model.as_deref(),
        "a model (e.g. meta-llama/Llama-3.1-8B-Instruct)",
    )?;
    let backend = required("backend", spec.backend.as_deref(), "a backend (e.g. vllm)")?;
    check_backend(backend)?;
    let task_type = spec
        .task_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_TASK_TYPE);
    check_task_type(task_type)?;
    Ok(CreateWorkload {
        name,
        slug,
        model_name,
        backend,
        task_type,
        description: text(&spec.description),
        command: text(&spec.command),
    })
}

/// The PATCH that brings `current` to `spec`: only the members the spec sets and that
/// differ (an empty description or command clears it); empty = nothing drifted.
pub fn drift(spec: &WorkloadSpec, current: &Workload) -> Result<Map<String, Value>, Error> {
    refuse_foreign_members(spec)?;
    let mut patch = Map::new();
    let mut differs = |member: &str, wanted: Option<&str>, now: &str| {
        if let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) {
            if wanted != now {
                patch.insert(member.to_owned(), Value::String(wanted.to_owned()));
            }
        }
    };
    if let Some(backend) = spec.backend.as_deref().filter(|b| !b.trim().is_empty()) {
        check_backend(backend.trim())?;
    }
    if let Some(task_type) = spec.task_type.as_deref().filter(|t| !t.trim().is_empty()) {
        check_task_type(task_type.trim())?;
    }
    differs("name", Some(spec.name.as_str()), &current.name);
    differs("slug", spec.slug.as_deref(), &current.slug);
    differs("model_name", spec.model.as_deref(), &current.model_name);
    differs("backend", spec.backend.as_deref(), &current.backend);
    differs("task_type", spec.task_type.as_deref(), &current.task_type);
    for (member, wanted, now) in [
        ("description", &spec.description, &current.description),
        ("command", &spec.command, &current.command),
    ] {
        let Some(wanted) = wanted.as_deref().map(str::trim) else {
            continue;
        };
        let now = now.as_deref().map(str::trim).filter(|n| !n.is_empty());
        match (wanted.is_empty(), now) {
            (true, Some(_)) => {
                patch.insert(member.to_owned(), Value::Null);
            }
            (false, now) if now != Some(wanted) => {
                patch.insert(member.to_owned(), Value::String(wanted.to_owned()));
            }
            _ => {}
        }
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::workload::RegionScale;

    fn spec() -> WorkloadSpec {
        WorkloadSpec {
            name: "Chat".into(),
            slug: Some("chat".into()),
            model: Some("llama".into()),
            backend: Some("vllm".into()),
            ..Default::default()
        }
    }

    fn current() -> Workload {
        serde_json::from_value(serde_json::json!({
            "id": "w1", "name": "Chat", "slug": "chat", "model_name": "llama",
            "backend": "vllm", "task_type": "text2text", "description": "kept",
        }))
        .unwrap()
    }

    #[test]
    fn a_create_is_the_sdk_body_with_the_default_task_type() {
        let body = serde_json::to_value(to_create(&spec()).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "Chat", "slug": "chat", "model_name": "llama", "backend": "vllm", "task_type": "text2text"})
        );
    }

    #[test]
    fn every_refusal_names_its_field() {
        let cases = [
            (
                WorkloadSpec {
                    backend: Some("tgi".into()),
                    ..spec()
                },
                "backend",
                "ollama, vllm, vllm-omni, sglang, llamacpp",
            ),
            (
                WorkloadSpec {
                    task_type: Some("chat".into()),
                    ..spec()
                },
                "task_type",
                "text2text",
            ),
            (
                WorkloadSpec {
                    model: None,
                    ..spec()
                },
                "model",
                "needs a model",
            ),
            (
                WorkloadSpec {
                    slug: Some(" ".into()),
                    ..spec()
                },
                "slug",
                "needs a slug",
            ),
            (
                WorkloadSpec {
                    regions: vec![RegionScale {
                        region: "76".into(),
                        min: 1,
                        max: 1,
                    }],
                    ..spec()
                },
                "regions",
                "no regions to set",
            ),
        ];
        for (spec, field, says) in cases {
            let error = to_create(&spec).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{}", error.message);
            assert!(error.message.contains(says), "{}", error.message);
        }
        let error = drift(
            &WorkloadSpec {
                task_type: Some("chat".into()),
                ..spec()
            },
            &current(),
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("task_type"));
    }

    #[test]
    fn drift_holds_only_what_the_spec_sets_and_differs() {
        assert!(drift(&spec(), &current()).unwrap().is_empty());
        let changed = WorkloadSpec {
            model: Some("qwen".into()),
            task_type: Some("text2text".into()),
            command: Some("serve --fast".into()),
            ..spec()
        };
        assert_eq!(
            Value::Object(drift(&changed, &current()).unwrap()),
            serde_json::json!({"model_name": "qwen", "command": "serve --fast"})
        );
        let cleared = WorkloadSpec {
            description: Some(String::new()),
            ..spec()
        };
        assert_eq!(
            Value::Object(drift(&cleared, &current()).unwrap()),
            serde_json::json!({"description": null})
        );
        let unnamed = WorkloadSpec {
            name: String::new(),
            ..spec()
        };
        assert!(
            drift(&unnamed, &current()).unwrap().is_empty(),
            "an empty name leaves it"
        );
    }
}
