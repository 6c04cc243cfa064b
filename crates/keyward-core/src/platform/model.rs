//! The platform-neutral domain model: what a key, a workload, a usage series and a
//! spend figure are to the screens and to `kw`, whichever platform holds them.
//!
//! Each platform maps its own wire types into these inside its folder
//! (`platform/keyward/model.rs` for the gateway's `keyward_api` types). Every field a
//! platform may not have is optional: OpenAI keys have no expiry, Gcore keys no masked
//! hint or limits, Anthropic keys no owner project. A missing value means "the
//! platform does not say", never a made-up default; what a platform cannot do at all is
//! in its [`super::Capabilities`], not guessed from empty fields.

use super::capabilities::{BucketSize, BudgetPeriod, SpendSource};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Usage rollups keep the gateway's shapes: the gateway's usage API was designed as
/// the neutral form (buckets × key × model × workload, tokens and requests), so other
/// platforms map their reports into these, and the analysis reads only these.
pub use keyward_api::usage::{
    UsageBucket, UsageDimension, UsageKeyRef, UsageQuery, UsageReport, UsageRow,
};

/// Where a key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Active,
    /// Paused; can be enabled again (OpenRouter `disabled`, Anthropic `inactive`).
    Disabled,
    Revoked,
    Expired,
    Archived,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Archived => "archived",
        }
    }
}

impl From<keyward_api::KeyStatus> for KeyState {
    fn from(status: keyward_api::KeyStatus) -> Self {
        use keyward_api::KeyStatus as S;
        match status {
            S::Active => Self::Active,
            S::Revoked => Self::Revoked,
            S::Expired => Self::Expired,
            S::Archived => Self::Archived,
        }
    }
}

/// A token budget per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TokenBudget {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub tokens: u64,
    pub period: BudgetPeriod,
}

/// A money budget; `reset` = `None` for a lifetime budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MoneyBudget {
    /// Millionths of `currency`, exact (never a binary float).
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub micros: i64,
    /// ISO 4217, upper case ("USD").
    pub currency: String,
    pub reset: Option<BudgetPeriod>,
}

/// Everything a key is limited to or attached to. `None` = no such limit (or, for
/// `models`/`workloads`, everything the project serves).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyScopes {
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub rpm: Option<u64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub tpm: Option<u64>,
    pub token_budget: Option<TokenBudget>,
    pub money_budget: Option<MoneyBudget>,
    pub models: Option<Vec<String>>,
    pub workloads: Option<Vec<String>>,
    pub labels: BTreeMap<String, String>,
    pub description: Option<String>,
    /// Requests the key may have in flight at once (LiteLLM `max_parallel_requests`).
    #[cfg_attr(feature = "specta", specta(type = Option<f64>, optional))]
    pub max_parallel: Option<u64>,
    /// Limits on one model's traffic through the key, a model once each, by model name;
    /// empty = none (LiteLLM `model_rpm_limit`, `model_tpm_limit`, `model_max_budget`).
    #[cfg_attr(feature = "specta", specta(optional))]
    pub model_limits: Vec<ModelLimit>,
}

/// What a key may spend on one model: requests and tokens per minute and a money
/// budget, each `None` when not limited for that model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelLimit {
    /// The model as clients ask for it (a LiteLLM model group name).
    pub model: String,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub rpm: Option<u64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub tpm: Option<u64>,
    pub money_budget: Option<MoneyBudget>,
}

/// An inference key as screens show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Key {
    pub id: String,
    pub name: String,
    /// The masked secret as the platform gives it ("kw_live_AbC…x9Qz", "sk-abc...def").
    pub hint: Option<String>,
    pub state: KeyState,
    pub scopes: KeyScopes,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Who owns the key (a user or service account), as the platform names it.
    pub owner: Option<String>,
    /// The project or workspace the key belongs to.
    pub project: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Lifetime counters, where the platform keeps them on the key.
    pub totals: Option<UsageTotals>,
    /// Scopes whose stored value the platform could not read (they fail closed there).
    pub unreadable_scopes: Vec<String>,
    /// Money the key has spent, where the platform keeps running totals on the key
    /// (OpenRouter's `usage`, `usage_daily`, …); `None` = it does not.
    pub money_used: Option<MoneyUsed>,
    /// The named policy the platform attaches to this key (an OpenRouter guardrail),
    /// read-only here; `None` = none attached, or not read (lists do not read it).
    pub guardrail: Option<Guardrail>,
    /// What the console did, step by step, when the operation that answered this key
    /// took more than one request (Gcore's revoke: detached from each deployment, then
    /// deleted), in sentences; empty otherwise, and on every read.
    pub steps: Vec<String>,
}

/// A key's spend so far, in millionths of `currency`, exact. Each period is the
/// platform's own (OpenRouter: the UTC day, the Monday–Sunday UTC week, the calendar
/// month); `None` = the platform does not total that period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MoneyUsed {
    pub currency: String,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub day: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub week: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub month: Option<i64>,
    /// Since the key was made.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub total: Option<i64>,
}

/// A policy a platform keeps apart from the key and assigns to it (OpenRouter's
/// guardrails: a model allowlist and a budget of their own). Shown, not edited: the
/// platform's own console is where guardrails are made.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Guardrail {
    pub id: String,
    pub name: String,
    /// `None` = every model.
    pub allowed_models: Option<Vec<String>>,
    pub money_budget: Option<MoneyBudget>,
}

/// Requests and tokens, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageTotals {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub requests: u64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub input_tokens: u64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub output_tokens: u64,
}

/// One page of a key list, and how many match in all when the platform says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyPage {
    pub keys: Vec<Key>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub total: Option<u64>,
}

/// A key's recent activity for its detail page: totals, per model, and the last 24
/// hours one point per hour (oldest first, empty hours as zeros).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyActivity {
    pub key_id: String,
    pub totals: UsageTotals,
    pub by_model: Vec<ModelTotals>,
    pub hourly: Vec<UsagePoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelTotals {
    pub model: String,
    pub totals: UsageTotals,
}

/// One change to a key as the platform's audit trail records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AuditEntry {
    pub id: String,
    pub at: DateTime<Utc>,
    /// Who did it, as the platform labels them (never a secret).
    pub actor: String,
    pub action: String,
    /// What changed, `{field: {from, to}}` where the platform says.
    pub changes: serde_json::Value,
}

/// The newest audit entries of a key and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AuditTrail {
    pub entries: Vec<AuditEntry>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub total: Option<u64>,
}

/// What the profile's credential may do, as its platform says: screens leave out what
/// a viewer may not do (the platform still checks every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    Owner,
    Admin,
    Viewer,
}

impl AccessLevel {
    /// May create, change and revoke keys.
    pub fn manages_keys(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// Money a platform reports it charged, one day (UTC) at a time: shown as reported,
/// never mixed with tokens × the console's prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReportedCost {
    pub day: DateTime<Utc>,
    pub project: Option<String>,
    pub key_id: Option<String>,
    /// The platform's own line ("gpt-4o-mini, input"), where it gives one.
    pub line_item: Option<String>,
    /// Exact, in millionths of the currency unit (the price table's unit), rounded
    /// half away from zero from what the platform sent.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub amount_micros: i64,
    /// ISO 4217, upper case.
    pub currency: String,
}

/// Which reported costs to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostQuery {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Only this project's costs (`None`: the whole organisation).
    pub project: Option<String>,
    pub key_ids: Vec<String>,
    /// One row per key and day rather than per day.
    pub by_key: bool,
}

/// What a platform limits per project (workspace) instead of per key — OpenAI's
/// per-model rate limits, model allow/deny list and monthly spend cap — shown read-only.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProjectLimits {
    pub project_id: String,
    pub rate_limits: Vec<ModelRateLimit>,
    /// The project's model allow or deny list; `None` = every model.
    pub models: Option<ModelRule>,
    pub monthly_spend_cap: Option<MoneyBudget>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelRateLimit {
    pub model: String,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub requests_per_minute: Option<u64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub tokens_per_minute: Option<u64>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub requests_per_day: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelRule {
    /// `true`: only these models; `false`: every model but these.
    pub allow: bool,
    pub models: Vec<String>,
}

/// Who a profile's credential is, as *Test connection* shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Connection {
    /// The credential's name and masked form, as the platform reports it.
    pub credential_label: String,
    pub access: AccessLevel,
    /// The project, workspace or organisation the credential belongs to.
    pub project: ProjectRef,
}

/// A project (workspace) the credential can see, for pickers and filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
}

/// A workload (Keyward) or deployment (Gcore, LiteLLM model deployments).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadRef {
    pub id: String,
    /// What a key's workload scope and the data plane's path name it by.
    pub slug: String,
    pub name: String,
    /// The model it serves, as clients ask for it.
    pub model: Option<String>,
    /// Where it forwards to, when the platform says.
    pub upstream: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// Where it stands, when the platform reports it in the same read (Gcore's
    /// deployment status, LiteLLM's `/health`); `None` = the platform does not say here.
    pub status: Option<WorkloadStatus>,
}

/// Where a workload stands, each platform's own states mapped onto one scale the
/// Workloads screen colours the same way everywhere (Gcore `DEPLOYING` → provisioning,
/// `PARTIALLYDEPLOYED` → degraded, `ACTIVE` → healthy, `PENDING` → scaled to zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum WorkloadState {
    /// Being created or changed; not serving yet.
    Provisioning,
    Healthy,
    /// Serving, but not everywhere or not with every replica.
    Degraded,
    /// Not serving.
    Down,
    /// Stopped on purpose; can be started again.
    Disabled,
    /// Running with no replicas until traffic arrives.
    ScaledToZero,
    Deleting,
    /// A state this build does not know, or not probed yet.
    Unknown,
}

/// A workload's state with the numbers and messages behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadStatus {
    pub state: WorkloadState,
    /// Ready replicas or containers, of `total`, where the platform counts them.
    pub ready: Option<u32>,
    pub total: Option<u32>,
    /// What the platform reports as wrong, each naming where ("region 76: image pull
    /// failed", "gpt-4o at http://…: connection refused"); empty when nothing is.
    pub problems: Vec<String>,
}

/// One bucket of a usage series.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsagePoint {
    pub start: DateTime<Utc>,
    pub requests: f64,
    pub input_tokens: f64,
    pub output_tokens: f64,
}

/// Usage over time, optionally of one key and/or one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageSeries {
    pub bucket: BucketSize,
    pub key_id: Option<String>,
    pub model: Option<String>,
    pub points: Vec<UsagePoint>,
}

/// An amount of money and where it came from (reported by the platform, or tokens ×
/// the console's price table — screens label the latter as computed).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Spend {
    pub amount: f64,
    pub currency: String,
    pub source: SpendSource,
}
