//! Workloads as every platform that runs them is driven: what to run (a
//! [`WorkloadSpec`]), what a change started ([`WorkloadChange`]), how far an
//! asynchronous change has got ([`ChangeProgress`]), and a workload read in full
//! ([`WorkloadDetail`]).
//!
//! Why one spec for platforms this different: the Workloads screen and `kw workloads`
//! are written once. Keyward's gateway and InferenceKey describe a workload by the model
//! it serves and the engine that serves it (backend, task type); Gcore by the container
//! that runs it (image, flavor, port, regions with their scale). The spec carries both
//! halves, every member optional, and each platform's capabilities list the members
//! its form has ([`WorkloadField`]), so the screen asks only for those and an adapter
//! refuses, naming the field, a member its platform has no place for.
//!
//! Why changes are followed rather than awaited: Gcore answers a create, edit or delete
//! with task ids and does the work afterwards (minutes for a GPU image), InferenceKey
//! reports readiness as a stream, Keyward applies at once. A [`WorkloadChange`] says
//! which: `follow` names what to poll with [`super::Platform::workload_change`] until
//! it ends; `None` = already done.

use super::model::WorkloadRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A member of the workload form, as capabilities list what a platform's form has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum WorkloadField {
    Name,
    Slug,
    Description,
    Model,
    Backend,
    TaskType,
    Image,
    Flavor,
    Port,
    Regions,
    Env,
    Command,
    /// Whether calls need a key (Gcore `auth_enabled`).
    AuthEnabled,
    /// Liveness/readiness probe paths.
    Probes,
}

/// How many replicas one region runs: at least `min` (0 = scale to zero), at most `max`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RegionScale {
    /// The platform's region id, as text ("76").
    pub region: String,
    pub min: u32,
    pub max: u32,
}

/// An HTTP probe: the path the platform calls on the workload's port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Probes {
    pub liveness_path: Option<String>,
    pub readiness_path: Option<String>,
}

/// What to run. On create every member the platform's form has is read; on edit
/// `None` (or an empty `regions`/`env` where noted) = leave as it is, so an edit sends
/// only what the person changed and never clobbers a change made elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadSpec {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
    /// The model it serves, as clients ask for it.
    pub model: Option<String>,
    pub backend: Option<String>,
    pub task_type: Option<String>,
    /// A container image reference (`ghcr.io/org/server:1.2`).
    pub image: Option<String>,
    /// The hardware flavour (`inference-1xa100-80gb`).
    pub flavor: Option<String>,
    pub port: Option<u16>,
    /// Empty = leave the regions as they are (on edit).
    #[serde(default)]
    pub regions: Vec<RegionScale>,
    /// `None` = leave as it is; `Some(empty)` = no variables.
    pub env: Option<BTreeMap<String, String>>,
    pub command: Option<String>,
    pub auth_enabled: Option<bool>,
    pub probes: Option<Probes>,
}

/// What a create, edit, delete, start or stop started.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadChange {
    /// The workload changed (its id; for a create, the new one's).
    pub workload_id: String,
    /// What to poll with `workload_change` until it ends; `None` = already done.
    pub follow: Option<String>,
}

/// Where an asynchronous change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    /// Accepted, not started.
    Queued,
    Running,
    Done,
    Failed,
}

impl ChangeState {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// One poll of an asynchronous change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChangeProgress {
    pub follow: String,
    pub state: ChangeState,
    /// The platform's own words for a failure ("image pull failed"); `None` otherwise.
    pub message: Option<String>,
}

/// One region's (or replica group's) state, where the platform reports per region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RegionState {
    pub region: String,
    pub ready: u32,
    pub total: u32,
    pub address: Option<String>,
    /// The platform's error for this region's containers, if any.
    pub error: Option<String>,
}

/// A workload read in full: the list's summary, the spec it runs, where it answers
/// and each region's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadDetail {
    pub workload: WorkloadRef,
    pub spec: WorkloadSpec,
    /// Where clients call it.
    pub address: Option<String>,
    /// Keys attached to it, by the id the Keys screen uses, where keys attach to
    /// workloads (Gcore); `None` where the platform does not say.
    pub keys: Option<Vec<String>>,
    pub regions: Vec<RegionState>,
}

/// One line of a workload's log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LogLine {
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where it came from (a region, a pod), when the platform says.
    pub source: Option<String>,
    pub message: String,
}
