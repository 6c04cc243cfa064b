//! Workload health on the wire: one probe (`HealthPoint`, with a `Gpu` per DCGM GPU),
//! a workload's status with its history (`GET /api/workloads/{id}/health`), the cheap
//! project-wide summary the console polls (`GET /api/projects/{p}/workloads/health`),
//! and one frame of the readiness-events stream. Shared by the gateway, which
//! serialises them, and the console, which reads them, so the two cannot drift.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The statuses a workload can have, from best to worst; `unknown` is "not probed yet"
/// or "no upstream configured".
pub const STATUSES: &[&str] = &["healthy", "degraded", "down", "unknown"];

/// One GPU, from a DCGM exporter scrape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gpu {
    pub gpu: String,
    pub util_pct: Option<f64>,
    pub fb_used_mib: Option<f64>,
    pub fb_free_mib: Option<f64>,
    pub temp_c: Option<f64>,
    pub power_w: Option<f64>,
    /// The last XID error code (0 = none).
    pub xid: Option<f64>,
}

/// One stored probe. Latencies in seconds, `kv_cache` as a fraction (0–1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthPoint {
    pub at: DateTime<Utc>,
    /// What the health check found: `ok`, `engine_dead` (503), `failing` (another
    /// error status), `timeout`, `unreachable`, `tls_refused` (untrusted, expired or
    /// mismatched certificate) or `no_upstream`.
    pub liveness: String,
    pub status: String,
    pub reason: String,
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    pub kv_cache: Option<f64>,
    pub ttft_p50: Option<f64>,
    pub ttft_p95: Option<f64>,
    pub e2e_p50: Option<f64>,
    pub e2e_p95: Option<f64>,
    pub prompt_tokens_per_s: Option<f64>,
    pub generation_tokens_per_s: Option<f64>,
    pub gpus: Vec<Gpu>,
}

/// `GET /api/workloads/{id}/health`: the current status and the probe series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkloadHealth {
    pub workload_id: String,
    /// `healthy`, `degraded`, `down` or `unknown` (not probed yet).
    pub status: String,
    /// Why, in words ("KV cache 97% for 5 min", "Health check timed out 3× in a row").
    pub reason: String,
    pub checked_at: Option<DateTime<Utc>>,
    pub series: Vec<HealthPoint>,
}

/// One workload in the project-wide summary: its status and the last probe's numbers,
/// from the prober's memory (no history query), so polling it is cheap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkloadHealthSummary {
    pub workload_id: String,
    pub slug: String,
    /// `healthy`, `degraded`, `down` or `unknown`.
    pub status: String,
    pub reason: String,
    /// When the last probe ran; `null` before the first one.
    pub checked_at: Option<DateTime<Utc>>,
    /// GPUs the metrics reported (0 without a DCGM exporter).
    pub gpus: u32,
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    /// KV cache use as a fraction (0–1).
    pub kv_cache: Option<f64>,
    /// End-to-end request latency p95 over the last probe interval, seconds.
    pub e2e_p95: Option<f64>,
}

/// `GET /api/projects/{project}/workloads/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthSummary {
    pub workloads: Vec<WorkloadHealthSummary>,
}

/// One frame of `GET /api/projects/{p}/workloads/{slug}/readiness-events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessFrame {
    /// `scheduling`, `provisioning`, `bootstrapping`, `ready` or `error`.
    pub phase: String,
    pub message: String,
    /// Since the stream opened.
    pub elapsed_ms: u64,
    pub step: Option<String>,
}
