//! Workload health on the wire: one probe (`HealthPoint`, with a `Gpu` per DCGM GPU),
//! a workload's status with its history (`GET /api/workloads/{id}/health`), the cheap
//! project-wide summary the console polls (`GET /api/projects/{p}/workloads/health`),
//! and one frame of the readiness-events stream. Shared by the gateway, which
//! serialises them, and the console, which reads them, so the two cannot drift.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A workload's status, from best to worst; `unknown` is "not probed yet" or "no
/// upstream configured". A console reads a status it does not know (a newer
/// gateway's) as `unknown` too, rather than failing the whole summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Down,
    #[serde(other)]
    Unknown,
}

impl HealthStatus {
    /// Every status, best first.
    pub const ALL: [HealthStatus; 4] = [Self::Healthy, Self::Degraded, Self::Down, Self::Unknown];

    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Down => "down",
            Self::Unknown => "unknown",
        }
    }

    /// The status a stored or received name means; `Unknown` for any other name.
    pub fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .unwrap_or(Self::Unknown)
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a probe's `GET /health` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Ok,
    /// HTTP 503: vLLM's answer when the engine is dead (or still loading).
    EngineDead,
    /// Another non-200 status.
    Failing,
    Timeout,
    Unreachable,
    /// The TLS handshake failed: an untrusted, expired or mismatched certificate. Not
    /// a wait-and-see state: someone has to trust the CA or fix the certificate.
    TlsRefused,
    NoUpstream,
    /// A result this build does not know (a newer gateway's); never written by this
    /// gateway.
    #[serde(other)]
    Unknown,
}

impl Liveness {
    const ALL: [Liveness; 8] = [
        Self::Ok,
        Self::EngineDead,
        Self::Failing,
        Self::Timeout,
        Self::Unreachable,
        Self::TlsRefused,
        Self::NoUpstream,
        Self::Unknown,
    ];

    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::EngineDead => "engine_dead",
            Self::Failing => "failing",
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::TlsRefused => "tls_refused",
            Self::NoUpstream => "no_upstream",
            Self::Unknown => "unknown",
        }
    }

    /// The result a stored or received name means; `Unknown` for any other name.
    pub fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == name)
            .unwrap_or(Self::Unknown)
    }
}

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
    /// What the health check found.
    pub liveness: Liveness,
    pub status: HealthStatus,
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
    pub status: HealthStatus,
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
    pub status: HealthStatus,
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

/// Where a workload is on its way to serving, in the order it passes through them.
/// `ready` and `error` end a readiness stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReadinessPhase {
    /// No server yet: the workload has no upstream URL.
    Scheduling,
    /// The upstream does not accept connections yet.
    Provisioning,
    /// The upstream answers but is not ready (vLLM's 503 while loading).
    Bootstrapping,
    Ready,
    Error,
    /// A phase this build does not know (a newer gateway's); a console must not take
    /// it for progress.
    #[serde(other)]
    Unknown,
}

impl ReadinessPhase {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduling => "scheduling",
            Self::Provisioning => "provisioning",
            Self::Bootstrapping => "bootstrapping",
            Self::Ready => "ready",
            Self::Error => "error",
            Self::Unknown => "unknown",
        }
    }

    /// Whether a stream ends after this phase.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Error)
    }
}

/// One frame of `GET /api/projects/{p}/workloads/{slug}/readiness-events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessFrame {
    pub phase: ReadinessPhase,
    pub message: String,
    /// Since the stream opened.
    pub elapsed_ms: u64,
    pub step: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_liveness_keep_their_wire_names_and_read_newer_ones_as_unknown() {
        for status in HealthStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
            assert_eq!(
                serde_json::from_value::<HealthStatus>(json).unwrap(),
                status
            );
            assert_eq!(HealthStatus::parse(status.as_str()), status);
        }
        for liveness in Liveness::ALL {
            let json = serde_json::to_value(liveness).unwrap();
            assert_eq!(json, liveness.as_str());
            assert_eq!(Liveness::parse(liveness.as_str()), liveness);
        }
        assert_eq!(
            serde_json::to_value(Liveness::TlsRefused).unwrap(),
            "tls_refused"
        );
        // A newer gateway's value does not fail the frame the console reads.
        let newer: HealthStatus = serde_json::from_str("\"overloaded\"").unwrap();
        assert_eq!(newer, HealthStatus::Unknown);
        let newer: Liveness = serde_json::from_str("\"draining\"").unwrap();
        assert_eq!(newer, Liveness::Unknown);
        assert_eq!(HealthStatus::parse("overloaded"), HealthStatus::Unknown);
        let frame: ReadinessFrame =
            serde_json::from_str(r#"{"phase":"warming","message":"m","elapsed_ms":1,"step":null}"#)
                .unwrap();
        assert_eq!(frame.phase, ReadinessPhase::Unknown);
        assert_eq!(
            serde_json::to_value(ReadinessPhase::Bootstrapping).unwrap(),
            "bootstrapping"
        );
    }
}
