//! Keyward's own gateway as a platform: the first adapter, and the model for the
//! others. Its wire types stay in `keyward-api` (the gateway serialises them, so the two
//! cannot drift); this folder is the only place in the console that knows its routes
//! (`client.rs` for keys, tokens and audit, `workloads.rs`, `usage.rs`) and how its
//! types map into the neutral model (`model.rs`).

pub mod client;
mod model;
pub mod usage;
pub mod workloads;

pub use client::KeywardClient;

use super::capabilities::{
    BucketSize, BudgetPeriod, Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport,
    Support, UsageSupport, WorkloadOperations,
};
use super::http::Http;
use super::{model as neutral, Identified, Platform, Recognition, RevocationProof};
use crate::keys::{KeyForm, KeyListQuery};
use crate::{Error, Profile};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_api::Secret;

/// The Keyward gateway adapter; cheap to make (it shares the one HTTP client).
pub struct Keyward {
    http: KeywardClient,
}

impl Keyward {
    pub fn new(http: Http) -> Self {
        Self { http: http.into() }
    }
}

/// What the gateway's control API offers (docs/openapi.json).
pub fn capabilities() -> Capabilities {
    let yes = Support::yes;
    Capabilities {
        platform: "Keyward gateway".to_owned(),
        adapter: true,
        keys: KeyOperations {
            create: yes(),
            list: yes(),
            get: yes(),
            update: yes(),
            revoke: yes(),
            revoke_removes_record: false,
            disable: Support::no(
                "The Keyward gateway has no pause: revoke the key (it stops at once), or rotate it with a grace period.",
            ),
            archive: yes(),
            rotate: yes(),
            rotate_grace: true,
            identify: yes(),
            audit: yes(),
        },
        scopes: ScopeSupport {
            rpm: yes(),
            tpm: yes(),
            token_budget: yes(),
            token_budget_periods: vec![
                BudgetPeriod::Minute,
                BudgetPeriod::Hour,
                BudgetPeriod::Day,
                BudgetPeriod::Week,
                BudgetPeriod::Month,
            ],
            money_budget: Support::no(
                "The Keyward gateway budgets tokens per key; set a token limit, and see spend as tokens × the price table under Usage.",
            ),
            money_budget_resets: Vec::new(),
            model_allowlist: yes(),
            workloads: yes(),
            workloads_project_wide: true,
            expiry: yes(),
            expiry_editable: true,
            labels: yes(),
            description: yes(),
            max_parallel: Support::no("The Keyward gateway limits a key by requests and tokens per minute, not by requests in flight."),
            model_limits: Support::no("The Keyward gateway limits a key as a whole; give a model its own workload and key to limit it apart."),
        },
        usage: UsageSupport {
            per_key: yes(),
            per_model: yes(),
            buckets: vec![BucketSize::Minute, BucketSize::Hour, BucketSize::Day],
            history_days: None,
        },
        spend: SpendSupport {
            source: SpendSource::Computed,
            per_key: yes(),
        },
        workloads: WorkloadOperations {
            list: yes(),
            create: yes(),
            update: yes(),
            delete: yes(),
            readiness: yes(),
            health: yes(),
            start_stop: Support::no("The gateway forwards to model servers it does not run: start and stop them where they run."),
            logs: Support::no("The gateway forwards to model servers it does not run: read their logs where they run."),
            // The gateway's workloads keep their own, richer form (upstream, probes, prices).
            fields: Vec::new(),
        },
    }
}

#[async_trait]
impl Platform for Keyward {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    async fn access(&self, profile: &Profile) -> Result<neutral::AccessLevel, Error> {
        Ok(self.http.whoami(profile).await?.role.into())
    }

    /// A gateway token belongs to exactly one project.
    async fn connection(&self, profile: &Profile) -> Result<neutral::Connection, Error> {
        let who = if profile.project_id.is_empty() {
            self.http.token_owner(profile).await?
        } else {
            self.http.whoami(profile).await?
        };
        Ok(neutral::Connection {
            credential_label: who.token_label,
            access: who.role.into(),
            project: who.project.into(),
        })
    }

    /// A `kw_…` string is the gateway's; its checksum tells a typo from a key locally.
    fn recognize_secret(&self, secret: &str) -> Recognition {
        use keyward_api::token::{self, TokenKind};
        if !secret.starts_with("kw_") {
            return Recognition::Foreign;
        }
        match token::parse(secret) {
            Ok(TokenKind::Data) => Recognition::Key,
            Ok(TokenKind::Control) => Recognition::NotAKey(
                "This is a control token (kw_ctl_…), not an inference key. Revoke it from the Profiles of the gateway it belongs to.".to_owned(),
            ),
            Err(why) => Recognition::NotAKey(format!(
                "This is not a Keyward inference key: {why}. No platform was asked."
            )),
        }
    }

    async fn list_keys(
        &self,
        profile: &Profile,
        query: &KeyListQuery,
    ) -> Result<neutral::KeyPage, Error> {
        Ok(self.http.query_keys(profile, query).await?.into())
    }

    async fn get_key(&self, profile: &Profile, key_id: &str) -> Result<neutral::Key, Error> {
        Ok(self.http.get_key(profile, key_id).await?.into())
    }

    async fn create_key(
        &self,
        profile: &Profile,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<(neutral::Key, Secret), Error> {
        form.refuse_unsupported(&capabilities())?;
        let request = form.to_create(now)?;
        let created = self.http.create_key_with(profile, &request).await?;
        Ok((created.key.into(), created.secret))
    }

    async fn update_key(
        &self,
        profile: &Profile,
        key_id: &str,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<neutral::Key, Error> {
        form.refuse_unsupported(&capabilities())?;
        let current = self.http.get_key(profile, key_id).await?;
        let key = match form.to_update(&current, now)? {
            Some(patch) => self.http.update_key(profile, key_id, &patch).await?,
            None => current,
        };
        Ok(key.into())
    }

    async fn rotate_key(
        &self,
        profile: &Profile,
        key_id: &str,
        grace_seconds: u32,
    ) -> Result<(neutral::Key, Secret), Error> {
        let created = self
            .http
            .rotate_key(profile, key_id, i64::from(grace_seconds))
            .await?;
        Ok((created.key.into(), created.secret))
    }

    async fn revoke_key(&self, profile: &Profile, key_id: &str) -> Result<neutral::Key, Error> {
        Ok(self.http.revoke_key(profile, key_id).await?.into())
    }

    async fn set_archived(
        &self,
        profile: &Profile,
        key_id: &str,
        archived: bool,
    ) -> Result<neutral::Key, Error> {
        Ok(self
            .http
            .set_archived(profile, key_id, archived)
            .await?
            .into())
    }

    /// The gateway looks the whole secret up by its hash: at most one key, exactly.
    async fn identify_key(&self, profile: &Profile, secret: &Secret) -> Result<Identified, Error> {
        let key = self.http.identify_key(profile, secret).await?;
        Ok(Identified {
            keys: key.into_iter().map(Into::into).collect(),
            exact: true,
        })
    }

    async fn prove_revoked(
        &self,
        profile: &Profile,
        secret: &Secret,
    ) -> Result<Option<RevocationProof>, Error> {
        let (status, message) = self.http.probe_data_plane(profile, secret).await?;
        Ok(Some(RevocationProof {
            status,
            message,
            refused: status == 401,
        }))
    }

    async fn key_activity(
        &self,
        profile: &Profile,
        key_id: &str,
    ) -> Result<neutral::KeyActivity, Error> {
        Ok(self.http.key_usage(profile, key_id).await?.into())
    }

    async fn key_audit(
        &self,
        profile: &Profile,
        key_id: &str,
    ) -> Result<neutral::AuditTrail, Error> {
        Ok(self.http.key_audit(profile, key_id).await?.into())
    }

    async fn list_projects(&self, profile: &Profile) -> Result<Vec<neutral::ProjectRef>, Error> {
        let projects = self.http.list_projects(profile).await?;
        Ok(projects.into_iter().map(Into::into).collect())
    }

    async fn usage(
        &self,
        profile: &Profile,
        project: &str,
        query: &neutral::UsageQuery,
    ) -> Result<neutral::UsageReport, Error> {
        self.http.project_usage(profile, project, query).await
    }

    async fn list_workloads(&self, profile: &Profile) -> Result<Vec<neutral::WorkloadRef>, Error> {
        let list = self.http.list_workloads(profile).await?;
        Ok(list.workloads.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests;
