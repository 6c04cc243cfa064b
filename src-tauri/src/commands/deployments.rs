//! Workload commands for platforms that run workloads Keyward does not serve itself
//! (Gcore deployments, InferenceKey workloads, LiteLLM's read-only model list): each
//! validates its input, makes one call through the active profile's platform adapter
//! and returns the neutral types of `keyward_core::platform::workload`. The Keyward
//! gateway's own, richer workload screen keeps its commands in `workloads.rs`.
//!
//! Asynchronous changes are not awaited here: a create answers with what to follow,
//! and the screen polls `deployment_change` with it, so a slow GPU rollout never holds
//! an IPC call open and the screen can show each step.

use keyward_core::error::validate_id;
use keyward_core::platform::workload::{
    ChangeProgress, LogLine, WorkloadChange, WorkloadDetail, WorkloadSpec,
};
use keyward_core::workloads::ReadinessEvent;
use keyward_core::{Console, Error};
use tauri::ipc::Channel;
use tauri::State;

/// How long a workload id or change id may be.
const ID_MAX: usize = 256;
/// The most log lines one read returns.
const LOG_LINES_MAX: u32 = 2_000;

#[tauri::command]
#[specta::specta]
pub async fn get_deployment(
    workload_id: String,
    console: State<'_, Console>,
) -> Result<WorkloadDetail, Error> {
    validate_id("workload_id", &workload_id, ID_MAX)?;
    let (profile, platform) = console.active_platform().await?;
    platform.get_workload(&profile, &workload_id).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_deployment(
    spec: WorkloadSpec,
    console: State<'_, Console>,
) -> Result<WorkloadChange, Error> {
    let (profile, platform) = console.active_platform().await?;
    platform.create_workload(&profile, &spec).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_deployment(
    workload_id: String,
    spec: WorkloadSpec,
    console: State<'_, Console>,
) -> Result<WorkloadChange, Error> {
    validate_id("workload_id", &workload_id, ID_MAX)?;
    let (profile, platform) = console.active_platform().await?;
    platform
        .update_workload(&profile, &workload_id, &spec)
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_deployment(
    workload_id: String,
    console: State<'_, Console>,
) -> Result<WorkloadChange, Error> {
    validate_id("workload_id", &workload_id, ID_MAX)?;
    let (profile, platform) = console.active_platform().await?;
    platform.delete_workload(&profile, &workload_id).await
}

/// Starts (`running` = true) or stops a deployment.
#[tauri::command]
#[specta::specta]
pub async fn set_deployment_running(
    workload_id: String,
    running: bool,
    console: State<'_, Console>,
) -> Result<WorkloadChange, Error> {
    validate_id("workload_id", &workload_id, ID_MAX)?;
    let (profile, platform) = console.active_platform().await?;
    platform
        .set_workload_running(&profile, &workload_id, running)
        .await
}

/// One poll of an asynchronous change (`WorkloadChange.follow`).
#[tauri::command]
#[specta::specta]
pub async fn deployment_change(
    follow: String,
    console: State<'_, Console>,
) -> Result<ChangeProgress, Error> {
    validate_id("follow", &follow, ID_MAX)?;
    let (profile, platform) = console.active_platform().await?;
    platform.workload_change(&profile, &follow).await
}

/// The newest `limit` lines of a deployment's log (1 to 2,000).
#[tauri::command]
#[specta::specta]
pub async fn deployment_logs(
    workload_id: String,
    limit: u32,
    console: State<'_, Console>,
) -> Result<Vec<LogLine>, Error> {
    validate_id("workload_id", &workload_id, ID_MAX)?;
    if !(1..=LOG_LINES_MAX).contains(&limit) {
        return Err(Error::field(
            "limit",
            format!("Show 1 to {LOG_LINES_MAX} log lines."),
        ));
    }
    let (profile, platform) = console.active_platform().await?;
    platform.workload_logs(&profile, &workload_id, limit).await
}

/// Follows a workload's readiness until it serves or fails, each phase sent on
/// `on_event` as it arrives; answers the last.
#[tauri::command]
#[specta::specta]
pub async fn follow_deployment_readiness(
    workload_id: String,
    on_event: Channel<ReadinessEvent>,
    console: State<'_, Console>,
) -> Result<ReadinessEvent, Error> {
    validate_id("workload_id", &workload_id, ID_MAX)?;
    let (profile, platform) = console.active_platform().await?;
    let mut send = |event: &ReadinessEvent| {
        if let Err(error) = on_event.send(event.clone()) {
            tracing::warn!(%error, "readiness event not delivered");
        }
    };
    platform
        .follow_readiness(&profile, &workload_id, &mut send)
        .await
}
