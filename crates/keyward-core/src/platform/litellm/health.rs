//! The proxy's deployments with their health, read-only: `/model/info` lists them and
//! `GET /health` probes each upstream once (a small request to every deployment).
//!
//! Clients call a model by its name, and the proxy balances that name over every
//! deployment carrying it, so a deployment's status is its model name's: ready/total
//! counts that name's probed endpoints, healthy when all answer, degraded when some do,
//! down when none do, and each failed endpoint is one problem naming where it points.
//! An endpoint is matched to its deployment by `model_id` (the deployment's id, which
//! the proxy adds to each endpoint), or else by its upstream model and `api_base`.
//! A `/health` that fails leaves the list as it is, every status unknown with one
//! sentence: the deployments are still worth seeing.

use super::wire::{Deployment, Endpoint, Health};
use crate::platform::model::{WorkloadRef, WorkloadState, WorkloadStatus};
use crate::Error;
use serde_json::Value;

/// The longest problem text kept from one endpoint: the proxy's errors carry tracebacks.
const MAX_PROBLEM_CHARS: usize = 300;

/// Whether `endpoint` is the probe of `deployment`.
fn probes(endpoint: &Endpoint, deployment: &Deployment, id: &str) -> bool {
    match &endpoint.model_id {
        Some(model_id) => model_id == id,
        None => {
            endpoint.model.is_some()
                && endpoint.model == deployment.litellm_params.model
                && endpoint.api_base == deployment.litellm_params.api_base
        }
    }
}

/// "openai/gpt-4o at https://…: Connection refused", the error's first line, shortened.
fn problem(endpoint: &Endpoint) -> String {
    let upstream = endpoint.model.as_deref().unwrap_or("a deployment");
    let place = match &endpoint.api_base {
        Some(base) => format!("{upstream} at {base}"),
        None => upstream.to_owned(),
    };
    let error = match &endpoint.error {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => "the probe failed without saying why".to_owned(),
        Some(other) => other.to_string(),
    };
    let first = error.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut said: String = first.trim().chars().take(MAX_PROBLEM_CHARS).collect();
    if first.trim().chars().count() > MAX_PROBLEM_CHARS {
        said.push('…');
    }
    format!("{place}: {said}")
}

/// Each deployment as a workload, its status from `health` (or unknown with the
/// reason when `/health` failed).
pub(super) fn workloads(
    deployments: Vec<Deployment>,
    health: Result<Health, Error>,
) -> Vec<WorkloadRef> {
    let ids: Vec<String> = deployments
        .iter()
        .map(|d| {
            d.model_info
                .as_ref()
                .and_then(|i| i.id.clone())
                .unwrap_or_else(|| d.model_name.clone())
        })
        .collect();
    // For each deployment: `Some(Ok(()))` healthy, `Some(Err(problem))` not, `None` not probed.
    let probed: Vec<Option<Result<(), String>>> = match &health {
        Err(_) => vec![None; deployments.len()],
        Ok(health) => deployments
            .iter()
            .zip(&ids)
            .map(|(d, id)| {
                if let Some(e) = health.unhealthy_endpoints.iter().find(|e| probes(e, d, id)) {
                    Some(Err(problem(e)))
                } else if health.healthy_endpoints.iter().any(|e| probes(e, d, id)) {
                    Some(Ok(()))
                } else {
                    None
                }
            })
            .collect(),
    };
    let status_of = |model_name: &str| -> WorkloadStatus {
        if let Err(e) = &health {
            return WorkloadStatus {
                state: WorkloadState::Unknown,
                ready: None,
                total: None,
                problems: vec![format!(
                    "Health is unknown: the proxy's /health did not answer ({}).",
                    e.message.trim_end_matches('.')
                )],
            };
        }
        let group: Vec<&Result<(), String>> = deployments
            .iter()
            .zip(&probed)
            .filter(|(d, _)| d.model_name == model_name)
            .filter_map(|(_, p)| p.as_ref())
            .collect();
        let total = group.len() as u32;
        let ready = group.iter().filter(|p| p.is_ok()).count() as u32;
        let state = match (ready, total) {
            (_, 0) => WorkloadState::Unknown,
            (r, t) if r == t => WorkloadState::Healthy,
            (0, _) => WorkloadState::Down,
            _ => WorkloadState::Degraded,
        };
        WorkloadStatus {
            state,
            ready: (total > 0).then_some(ready),
            total: (total > 0).then_some(total),
            problems: group
                .into_iter()
                .filter_map(|p| p.as_ref().err().cloned())
                .collect(),
        }
    };
    let statuses: Vec<WorkloadStatus> = deployments
        .iter()
        .map(|d| status_of(&d.model_name))
        .collect();
    deployments
        .into_iter()
        .zip(ids)
        .zip(statuses)
        .map(|((d, id), status)| WorkloadRef {
            id,
            slug: d.model_name.clone(),
            name: d.model_name.clone(),
            model: Some(d.model_name),
            upstream: d.litellm_params.api_base.or(d.litellm_params.model),
            created_at: None,
            status: Some(status),
        })
        .collect()
}
