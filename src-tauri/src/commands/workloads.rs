//! Workload commands: validate the input, make one call into keyward-core, return typed
//! results. The readiness stream is forwarded phase by phase through an IPC channel;
//! the status watch's notifications are sent from Rust (see `watch_health` in lib.rs),
//! so the webview needs no notification permission.

use keyward_api::health::{HealthStatus, HealthSummary, WorkloadHealth};
use keyward_api::workloads::{DeletedWorkload, Workload};
use keyward_core::charts::{self, Rendered, Size, Theme};
use keyward_core::workload_charts::health_charts;
use keyward_core::workload_watch::{HealthWatch, StatusChange};
use keyward_core::workloads::{
    validate_slug, validate_workload_id, FieldProblem, HealthPeriod, ReadinessEvent,
    WorkloadChoices, WorkloadForm, WorkloadKeys, WorkloadUsage,
};
use keyward_core::ErrorCode;
use keyward_core::{Console, Error};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

/// Every workload's status and last probe: what the list polls.
#[tauri::command]
#[specta::specta]
pub async fn workload_summary(console: State<'_, Console>) -> Result<HealthSummary, Error> {
    let (profile, gateway) = console.keyward().await?;
    gateway.health_summary(&profile).await
}

/// The gateway's workloads in full (backend, task type, policy), for the Workloads
/// screen; the key dialogs use the neutral `list_workloads`.
#[tauri::command]
#[specta::specta]
pub async fn list_gateway_workloads(console: State<'_, Console>) -> Result<Vec<Workload>, Error> {
    let (profile, gateway) = console.keyward().await?;
    Ok(gateway.list_workloads(&profile).await?.workloads)
}

#[tauri::command]
#[specta::specta]
pub async fn get_workload(
    workload_id: String,
    console: State<'_, Console>,
) -> Result<Workload, Error> {
    validate_workload_id(&workload_id)?;
    let (profile, gateway) = console.keyward().await?;
    gateway.get_workload(&profile, &workload_id).await
}

/// The backends, task types and execution policies the gateway accepts.
#[tauri::command]
#[specta::specta]
pub fn workload_choices() -> WorkloadChoices {
    WorkloadChoices::default()
}

/// Every bad field of the form by the gateway's rules, without a request: the dialog
/// shows them under their inputs.
#[tauri::command]
#[specta::specta]
pub fn check_workload_form(form: WorkloadForm) -> Vec<FieldProblem> {
    form.problems()
}

#[tauri::command]
#[specta::specta]
pub async fn create_workload(
    form: WorkloadForm,
    console: State<'_, Console>,
) -> Result<Workload, Error> {
    let request = form.to_create()?;
    let (profile, gateway) = console.keyward().await?;
    gateway.create_workload(&profile, &request).await
}

/// Saves the form's changes: a PATCH of only the fields that differ from the workload
/// as the platform has it now; unchanged when nothing differs.
#[tauri::command]
#[specta::specta]
pub async fn update_workload(
    workload_id: String,
    form: WorkloadForm,
    console: State<'_, Console>,
) -> Result<Workload, Error> {
    validate_workload_id(&workload_id)?;
    let (profile, gateway) = console.keyward().await?;
    let current = gateway.get_workload(&profile, &workload_id).await?;
    match form.to_update(&current)? {
        Some(patch) => {
            gateway
                .update_workload(&profile, &workload_id, &patch)
                .await
        }
        None => Ok(current),
    }
}

/// Every active key that may call the workload `slug`: named ones (they lose it on
/// delete) and project-wide ones, over all pages.
#[tauri::command]
#[specta::specta]
pub async fn workload_keys(
    slug: String,
    console: State<'_, Console>,
) -> Result<WorkloadKeys, Error> {
    validate_slug(&slug)?;
    let (profile, gateway) = console.keyward().await?;
    gateway.workload_keys(&profile, &slug).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_workload(
    workload_id: String,
    console: State<'_, Console>,
) -> Result<DeletedWorkload, Error> {
    validate_workload_id(&workload_id)?;
    let (profile, gateway) = console.keyward().await?;
    gateway.delete_workload(&profile, &workload_id).await
}

/// The workload's status and probe series over `period`, ending now.
#[tauri::command]
#[specta::specta]
pub async fn workload_health(
    workload_id: String,
    period: HealthPeriod,
    console: State<'_, Console>,
) -> Result<WorkloadHealth, Error> {
    validate_workload_id(&workload_id)?;
    let (profile, gateway) = console.keyward().await?;
    let (from, to) = period.range(chrono::Utc::now());
    gateway
        .workload_health(&profile, &workload_id, from, to)
        .await
}

/// One rendered health chart of the workload page.
#[derive(Debug, Serialize, specta::Type)]
pub struct ChartView {
    pub id: String,
    pub rendered: Rendered,
}

/// The workload page's health: status, reason and the charts over the period.
#[derive(Debug, Serialize, specta::Type)]
pub struct HealthView {
    pub status: HealthStatus,
    pub reason: String,
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Probes in the period (0: nothing to chart yet).
    pub probes: u32,
    pub charts: Vec<ChartView>,
}

/// The workload's status and its health charts over `period`, drawn in Rust (SVG with
/// hover data) at `width` px in `theme`, times in `time_zone` (IANA; UTC if unknown).
#[tauri::command]
#[specta::specta]
pub async fn workload_charts(
    workload_id: String,
    period: HealthPeriod,
    theme: Theme,
    width: u32,
    time_zone: String,
    console: State<'_, Console>,
) -> Result<HealthView, Error> {
    validate_workload_id(&workload_id)?;
    let size = Size {
        width: width.clamp(charts::MIN_SIDE, 2400),
        height: 220,
    };
    let zone: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    let (profile, gateway) = console.keyward().await?;
    let now = chrono::Utc::now();
    let (from, to) = period.range(now);
    let health = gateway
        .workload_health(&profile, &workload_id, from, to)
        .await?;
    let charts = health_charts(&health, period, now, zone)
        .into_iter()
        .map(|(id, chart)| {
            let rendered = charts::render_svg(&chart, theme, size).map_err(|error| {
                tracing::error!(%error, id, "health chart failed");
                Error::new(
                    ErrorCode::Internal,
                    format!("Keyward could not draw the {id} chart: {error}."),
                )
            })?;
            Ok(ChartView {
                id: id.to_owned(),
                rendered,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(HealthView {
        status: health.status,
        reason: health.reason,
        checked_at: health.checked_at,
        probes: health.series.len() as u32,
        charts,
    })
}

/// Requests and tokens the workload served over `period`.
#[tauri::command]
#[specta::specta]
pub async fn workload_usage(
    slug: String,
    period: HealthPeriod,
    console: State<'_, Console>,
) -> Result<WorkloadUsage, Error> {
    validate_slug(&slug)?;
    let (profile, gateway) = console.keyward().await?;
    let (from, to) = period.range(chrono::Utc::now());
    gateway.workload_usage(&profile, &slug, from, to).await
}

/// Follows the workload's readiness phases until ready or error, sending each phase
/// change through `on_event`; returns the last one.
#[tauri::command]
#[specta::specta]
pub async fn follow_readiness(
    slug: String,
    on_event: Channel<ReadinessEvent>,
    console: State<'_, Console>,
) -> Result<ReadinessEvent, Error> {
    validate_slug(&slug)?;
    let (profile, gateway) = console.keyward().await?;
    gateway
        .follow_readiness(&profile, &slug, |event| {
            if let Err(error) = on_event.send(event.clone()) {
                tracing::warn!(%error, "readiness event not delivered");
            }
        })
        .await
}

/// The status changes the background watch has seen, newest first.
#[tauri::command]
#[specta::specta]
pub fn workload_events(watch: State<'_, HealthWatch>) -> Vec<StatusChange> {
    watch.log()
}
