//! Anthropic's organisation Admin API as a platform (issue #17): an admin key
//! (`sk-ant-admin…`) sees every workspace's API keys. Anthropic creates keys only in
//! its Console and never deletes them through the API: revoking archives a key.

use super::capabilities::{
    BucketSize, Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport, Support,
    UsageSupport, WorkloadOperations,
};
use super::http::Http;
use super::model::{self as neutral, AccessLevel};
use super::Platform;
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;

/// The Anthropic adapter; cheap to make (it shares the one HTTP client).
pub struct Anthropic {
    #[allow(dead_code)]
    http: Http,
}

impl Anthropic {
    pub fn new(http: Http) -> Self {
        Self { http }
    }
}

/// What Anthropic's Admin API offers.
pub fn capabilities() -> Capabilities {
    let yes = Support::yes;
    let per_workspace = "Anthropic limits workspaces, not keys: rate and spend limits are set per workspace in the Anthropic Console.";
    let no_workloads = "Anthropic serves its models itself; there are no workloads to manage.";
    Capabilities {
        platform: "Anthropic".to_owned(),
        adapter: true,
        keys: KeyOperations {
            create: Support::no("Anthropic creates API keys only in its Console (console.anthropic.com → API keys); Keyward lists and manages them once made."),
            list: yes(),
            get: yes(),
            update: Support::its_way("Anthropic lets a key be renamed; its limits belong to its workspace."),
            revoke: Support::its_way("Anthropic keys cannot be deleted through the API: revoking archives the key, and an archived key never works again."),
            revoke_removes_record: false,
            disable: yes(),
            archive: Support::no("Revoking an Anthropic key archives it."),
            rotate: Support::no("Anthropic has no rotation: create a new key in the Anthropic Console, move clients to it, then revoke the old one here."),
            rotate_grace: false,
            identify: Support::its_way("Anthropic shows only part of each key, so a pasted secret is matched by that part; several keys can match."),
            audit: Support::no("Anthropic's activity log is in the Anthropic Console."),
        },
        scopes: ScopeSupport {
            rpm: Support::no(per_workspace),
            tpm: Support::no(per_workspace),
            token_budget: Support::no(per_workspace),
            token_budget_periods: Vec::new(),
            money_budget: Support::no(per_workspace),
            money_budget_resets: Vec::new(),
            model_allowlist: Support::no("Anthropic keys may call every model their workspace may."),
            workloads: Support::no(no_workloads),
            expiry: Support::no("An Anthropic key's expiry is set when it is created in the Anthropic Console."),
            expiry_editable: false,
            labels: Support::no("Anthropic keys have a name only."),
            description: Support::no("Anthropic keys have a name only."),
        },
        usage: UsageSupport {
            per_key: yes(),
            per_model: yes(),
            buckets: vec![BucketSize::Minute, BucketSize::Hour, BucketSize::Day],
            history_days: None,
        },
        spend: SpendSupport {
            source: SpendSource::Computed,
            per_key: Support::its_way("Anthropic reports cost per workspace, not per key: spend per key is its tokens × the console's price table."),
        },
        workloads: WorkloadOperations {
            list: Support::no(no_workloads),
            create: Support::no(no_workloads),
            update: Support::no(no_workloads),
            delete: Support::no(no_workloads),
            readiness: Support::no(no_workloads),
            health: Support::no(no_workloads),
        },
    }
}

#[async_trait]
impl Platform for Anthropic {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    async fn access(&self, profile: &Profile) -> Result<AccessLevel, Error> {
        self.connection(profile).await.map(|c| c.access)
    }

    async fn connection(&self, _profile: &Profile) -> Result<neutral::Connection, Error> {
        Err(Error::new(
            ErrorCode::Unsupported,
            "The Anthropic adapter is being built; this profile is kept and will connect once it ships.",
        ))
    }
}
