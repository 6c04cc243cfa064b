//! What a platform's admin API really offers, as data the UI renders from.
//!
//! The platforms Keyward connects to differ in kind, not degree (see
//! `/work/shared/reference/platform-apis.md`): OpenAI creates keys only for service
//! accounts and limits projects, not keys; Anthropic cannot create or delete keys at
//! all (archive is its revoke); Gcore has no usage per key; OpenRouter budgets money,
//! Keyward budgets tokens. A screen must neither offer a button that will fail nor hide
//! what the platform does instead, so every operation and scope here is a [`Support`]:
//! either it exists, or it does not and one sentence says what the platform offers in
//! its place. The descriptor is static per platform (it describes the API, not the
//! caller's role; the role is asked separately with `whoami`).

use super::workload::WorkloadField;
use serde::Serialize;

/// One operation or scope: offered, or not, with what the platform offers instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Support {
    pub supported: bool,
    /// When unsupported: one sentence a person can act on, saying what the platform
    /// offers in its place. When supported: how the platform does it where that is not
    /// what a person would assume (OpenAI's create makes a service account). `None`
    /// when there is nothing to say.
    pub instead: Option<String>,
}

impl Support {
    pub const fn yes() -> Self {
        Self {
            supported: true,
            instead: None,
        }
    }

    /// Offered, but the platform's own way, which a person should know before using it
    /// ("OpenAI creates keys only for service accounts: …"); said next to the control.
    pub fn its_way(how: impl Into<String>) -> Self {
        Self {
            supported: true,
            instead: Some(how.into()),
        }
    }

    /// Not offered; `instead` says what the platform offers in its place.
    pub fn no(instead: impl Into<String>) -> Self {
        Self {
            supported: false,
            instead: Some(instead.into()),
        }
    }
}

/// Key lifecycle operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyOperations {
    pub create: Support,
    pub list: Support,
    pub get: Support,
    pub update: Support,
    /// Stops a key for good (revoke, delete, or archive where that is the platform's way).
    pub revoke: Support,
    /// Revoking removes the key's record (OpenAI, Gcore: DELETE) rather than keeping it
    /// marked revoked (Keyward, Anthropic's archive); the UI words its warning by this.
    pub revoke_removes_record: bool,
    /// Pause and resume without losing the key (OpenRouter `disabled`, LiteLLM block).
    pub disable: Support,
    /// Hide a revoked or expired key from the default list, and bring it back.
    pub archive: Support,
    /// A new secret for the same key.
    pub rotate: Support,
    /// The old secret keeps working for a grace period after a rotation.
    pub rotate_grace: bool,
    /// Which key a pasted secret is (*Find a leaked key*).
    pub identify: Support,
    /// A trail of who changed a key when.
    pub audit: Support,
}

/// What can be limited or attached per key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ScopeSupport {
    pub rpm: Support,
    pub tpm: Support,
    /// Tokens per period; `token_budget_periods` lists the periods.
    pub token_budget: Support,
    pub token_budget_periods: Vec<BudgetPeriod>,
    /// Money per period, reset by the platform; `money_budget_resets` lists the periods
    /// (empty with a supported budget = a lifetime budget only).
    pub money_budget: Support,
    pub money_budget_resets: Vec<BudgetPeriod>,
    pub model_allowlist: Support,
    /// Which workloads (deployments) the key may call.
    pub workloads: Support,
    /// A key with no workload list calls every workload of its project (Keyward); false
    /// where a key calls only what it is attached to (Gcore: attached to none, it calls
    /// none), so the form offers "none yet" rather than "whole project".
    pub workloads_project_wide: bool,
    pub expiry: Support,
    /// Expiry can be changed after creation (Gcore: set once).
    pub expiry_editable: bool,
    pub labels: Support,
    pub description: Support,
    /// Requests in flight at once, per key.
    pub max_parallel: Support,
    /// Per-model requests and tokens per minute and money budgets on one key; a model
    /// budget resets on one of `money_budget_resets`.
    pub model_limits: Support,
}

/// A budget's period or reset interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum BudgetPeriod {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

impl BudgetPeriod {
    /// The gateway's token-limit period of the same length.
    pub fn token_limit_period(self) -> keyward_api::TokenLimitPeriod {
        use keyward_api::TokenLimitPeriod as P;
        match self {
            Self::Minute => P::Minute,
            Self::Hour => P::Hour,
            Self::Day => P::Day,
            Self::Week => P::Week,
            Self::Month => P::Month,
        }
    }
}

/// A usage bucket width the platform can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum BucketSize {
    Minute,
    Hour,
    Day,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageSupport {
    pub per_key: Support,
    pub per_model: Support,
    /// Bucket widths, finest first; empty when the platform reports no usage series.
    pub buckets: Vec<BucketSize>,
    /// How many days back usage can be read; `None` = as long as the platform keeps it.
    pub history_days: Option<u32>,
}

/// Where a money figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SpendSource {
    /// The platform reports spend in money: shown as reported.
    Reported,
    /// Tokens × the console's price table: labelled as computed.
    Computed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SpendSupport {
    pub source: SpendSource,
    /// Spend can be told apart per key (reported or computed).
    pub per_key: Support,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadOperations {
    pub list: Support,
    pub create: Support,
    pub update: Support,
    pub delete: Support,
    /// A readiness stream (phases until the workload serves).
    pub readiness: Support,
    /// Health probes and status over time.
    pub health: Support,
    /// Stopping a workload and starting it again (Gcore).
    pub start_stop: Support,
    /// Reading a workload's log.
    pub logs: Support,
    /// The members of the platform's workload form ([`WorkloadSpec`]); empty where
    /// workloads are not created through Keyward, or (Keyward) the gateway's own form.
    ///
    /// [`WorkloadSpec`]: super::workload::WorkloadSpec
    pub fields: Vec<WorkloadField>,
}

impl WorkloadOperations {
    /// A platform that runs no workloads: every operation says `sentence`.
    pub fn none(sentence: &str) -> Self {
        let no = || Support::no(sentence);
        Self {
            list: no(),
            create: no(),
            update: no(),
            delete: no(),
            readiness: no(),
            health: no(),
            start_stop: no(),
            logs: no(),
            fields: Vec::new(),
        }
    }
}

/// Everything one platform's admin API offers; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Capabilities {
    /// The platform's name as screens say it ("Keyward gateway", "OpenAI").
    pub platform: String,
    /// False while Keyward has no adapter for the platform: nothing is offered, every
    /// [`Support`] carries the same sentence, and the UI says it once.
    pub adapter: bool,
    pub keys: KeyOperations,
    pub scopes: ScopeSupport,
    pub usage: UsageSupport,
    pub spend: SpendSupport,
    pub workloads: WorkloadOperations,
}

impl Capabilities {
    /// A platform Keyward has no adapter for yet: nothing is offered, and every
    /// operation says the same plain sentence once (`reason`), so the UI can show it
    /// in one place instead of an error per screen.
    pub fn none(platform: &str, reason: &str) -> Self {
        let no = || Support::no(reason);
        Self {
            platform: platform.to_owned(),
            adapter: false,
            keys: KeyOperations {
                create: no(),
                list: no(),
                get: no(),
                update: no(),
                revoke: no(),
                revoke_removes_record: false,
                disable: no(),
                archive: no(),
                rotate: no(),
                rotate_grace: false,
                identify: no(),
                audit: no(),
            },
            scopes: ScopeSupport {
                rpm: no(),
                tpm: no(),
                token_budget: no(),
                token_budget_periods: Vec::new(),
                money_budget: no(),
                money_budget_resets: Vec::new(),
                model_allowlist: no(),
                workloads: no(),
                workloads_project_wide: false,
                expiry: no(),
                expiry_editable: false,
                labels: no(),
                description: no(),
                max_parallel: no(),
                model_limits: no(),
            },
            usage: UsageSupport {
                per_key: no(),
                per_model: no(),
                buckets: Vec::new(),
                history_days: Some(0),
            },
            spend: SpendSupport {
                source: SpendSource::Computed,
                per_key: no(),
            },
            workloads: WorkloadOperations {
                list: no(),
                create: no(),
                update: no(),
                delete: no(),
                readiness: no(),
                health: no(),
                start_stop: no(),
                logs: no(),
                fields: Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The descriptor must be able to say truthfully what the most limited real admin
    /// API offers (OpenAI's, from platform-apis.md): written out here so a field the
    /// later adapter needs but the type lacks shows up now, not in that issue.
    #[test]
    fn an_openai_like_platform_can_be_described() {
        let mut openai = Capabilities::none("OpenAI", "unused");
        openai.adapter = true;
        openai.keys.create = Support::no(
            "OpenAI creates keys only for service accounts: add a service account to the project.",
        );
        openai.keys.list = Support::yes();
        openai.keys.get = Support::yes();
        openai.keys.revoke = Support::yes();
        openai.keys.revoke_removes_record = true;
        openai.scopes.rpm =
            Support::no("OpenAI limits requests per model for the whole project, not per key.");
        openai.usage = UsageSupport {
            per_key: Support::yes(),
            per_model: Support::yes(),
            buckets: vec![BucketSize::Minute, BucketSize::Hour, BucketSize::Day],
            history_days: None,
        };
        openai.spend = SpendSupport {
            source: SpendSource::Reported,
            per_key: Support::yes(),
        };
        let json = serde_json::to_value(&openai).unwrap();
        assert_eq!(json["keys"]["create"]["supported"], false);
        assert!(json["keys"]["create"]["instead"]
            .as_str()
            .unwrap()
            .contains("service accounts"));
        assert_eq!(json["spend"]["source"], "reported");
        assert_eq!(json["usage"]["buckets"][0], "minute");
    }

    #[test]
    fn a_platform_without_an_adapter_offers_nothing_and_says_why_in_one_sentence() {
        let none = Capabilities::none("Podstack", "Keyward cannot talk to Podstack yet.");
        assert!(!none.adapter);
        assert!(!none.keys.list.supported);
        assert_eq!(
            none.workloads.health.instead.as_deref(),
            Some("Keyward cannot talk to Podstack yet.")
        );
    }
}
