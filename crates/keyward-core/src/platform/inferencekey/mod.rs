//! InferenceKey as a platform (issue #19): a project's SDK (control) token `ik_sdk_…`
//! provisions its workloads; data keys `ik_live_…` call them.
//!
//! How InferenceKey differs, and how the console meets it:
//! - **Keys are minted in InferenceKey's dashboard**, not through its API: no key is
//!   listed, created or revoked from here, and the capabilities say where instead. A
//!   pasted `ik_live_…` is recognised as InferenceKey's, and the leak finder is told
//!   where to revoke it; a pasted `ik_sdk_…` is named as a control token.
//! - **Workloads are the whole API**: ensure (create, or reconcile an existing slug
//!   by a PATCH of what drifted), edit, delete, list, and readiness as a stream of
//!   phases. The routes are the ones Keyward's gateway also serves, so the requests
//!   are the gateway client's ([`WorkloadRoutes`]) with InferenceKey's dialect.
//! - **No whoami**: a token does not say its project. *Test connection* lists the
//!   profile's project's workloads, and a 403 `project_scope_mismatch` says the token
//!   is another project's.
//! - **Refusals carry a reason** (`wrong_credential_type`, `project_scope_mismatch`,
//!   `scope_insufficient`), each said as what to do.
//!
//! The adapter sends whatever token the profile holds (a Keyward gateway's `kw_…`
//! works as well as `ik_sdk_…`): only import and leak recognition look at prefixes.

mod spec;
mod wire;

use super::capabilities::{
    Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport, Support, UsageSupport,
    WorkloadOperations,
};
use super::http::{Dialect, Http, RemoteError};
use super::keyward::workloads::WorkloadRoutes;
use super::model::{self as neutral, AccessLevel, WorkloadRef};
use super::workload::{WorkloadChange, WorkloadDetail, WorkloadField, WorkloadSpec};
use super::{Platform, Recognition};
use crate::workloads::{validate_workload_id, ReadinessEvent};
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;

pub use spec::DEFAULT_TASK_TYPE;

/// The prefix of a data key, which calls workloads.
pub const DATA_KEY_PREFIX: &str = "ik_live_";
/// The prefix of an SDK (control) token, which provisions them.
pub const SDK_TOKEN_PREFIX: &str = "ik_sdk_";

/// Said wherever a key operation is asked of InferenceKey.
pub const KEYS_IN_DASHBOARD: &str = "InferenceKey mints, lists and revokes its data keys (ik_live_…) in its dashboard (Project → Keys), not through its API, so Keyward cannot show or change them; revoke a leaked one there.";

/// The sentence for an SDK token pasted where a key was expected.
pub const SDK_TOKEN_SENTENCE: &str = "This is an InferenceKey SDK (control) token (ik_sdk_…), not an inference key: it provisions workloads and cannot call them. Keyward cannot revoke it: revoke it in InferenceKey's dashboard → Project → Tokens, then put a new one wherever it was used.";

pub(crate) const DIALECT: Dialect = Dialect {
    credential: "SDK token",
    unauthorized_hint: "The token is unknown to InferenceKey or was revoked; a data key (ik_live_…) cannot manage workloads either. Create an SDK token in InferenceKey's dashboard → Project → Tokens.",
    authorize: super::http::bearer,
    read_error: |body| {
        let (message, field) = wire::read_error(body)?;
        Some(RemoteError {
            message,
            field,
            code: None,
        })
    },
};

/// The InferenceKey adapter; cheap to make (it shares the one HTTP client).
pub struct InferenceKey {
    http: Http,
}

impl InferenceKey {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    fn routes(&self) -> WorkloadRoutes<'_> {
        WorkloadRoutes {
            http: &self.http,
            dialect: &DIALECT,
        }
    }

    async fn workloads(&self, profile: &Profile) -> Result<Vec<wire::Workload>, Error> {
        if profile.project_id.trim().is_empty() {
            return Err(Error::field(
                "project_id",
                "An InferenceKey token does not say its project: type the project's slug (as in INFERENCEKEY_PROJECT).",
            ));
        }
        let list: wire::WorkloadList = self.routes().list(profile).await?;
        Ok(list.into_vec())
    }

    /// The workload with this id, or else this slug (InferenceKey's SDK addresses
    /// workloads by slug), read fresh from the project's list: the list is the read
    /// InferenceKey documents.
    async fn workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<wire::Workload, Error> {
        validate_workload_id(workload_id)?;
        let mut workloads = self.workloads(profile).await?;
        let found = workloads
            .iter()
            .position(|w| w.id == workload_id)
            .or_else(|| workloads.iter().position(|w| w.slug == workload_id));
        match found {
            Some(at) => Ok(workloads.swap_remove(at)),
            None => Err(Error::new(
                ErrorCode::NotFound,
                format!(
                    "Project {} on InferenceKey has no workload {workload_id}; it may have been deleted. Refresh the list.",
                    profile.project_id
                ),
            )),
        }
    }

    /// Sends the PATCH of what drifted from `current`; nothing when nothing did.
    async fn reconcile(
        &self,
        profile: &Profile,
        current: &wire::Workload,
        spec: &WorkloadSpec,
    ) -> Result<WorkloadChange, Error> {
        let patch = spec::drift(spec, current)?;
        if !patch.is_empty() {
            let _: serde::de::IgnoredAny =
                self.routes().update(profile, &current.id, &patch).await?;
        }
        Ok(WorkloadChange {
            workload_id: current.id.clone(),
            follow: None,
        })
    }
}

/// What InferenceKey's API offers (the SDK's management client and the reference's
/// route list).
pub fn capabilities() -> Capabilities {
    let yes = Support::yes;
    let dashboard = || Support::no(KEYS_IN_DASHBOARD);
    Capabilities {
        platform: "InferenceKey".to_owned(),
        adapter: true,
        keys: KeyOperations {
            create: dashboard(),
            list: dashboard(),
            get: dashboard(),
            update: dashboard(),
            revoke: dashboard(),
            revoke_removes_record: false,
            disable: dashboard(),
            archive: dashboard(),
            rotate: dashboard(),
            rotate_grace: false,
            identify: dashboard(),
            audit: dashboard(),
        },
        scopes: ScopeSupport {
            rpm: dashboard(),
            tpm: dashboard(),
            token_budget: dashboard(),
            token_budget_periods: Vec::new(),
            money_budget: dashboard(),
            money_budget_resets: Vec::new(),
            model_allowlist: dashboard(),
            workloads: dashboard(),
            workloads_project_wide: false,
            expiry: dashboard(),
            expiry_editable: false,
            labels: dashboard(),
            description: dashboard(),
            max_parallel: dashboard(),
            model_limits: dashboard(),
        },
        usage: UsageSupport {
            per_key: Support::no("InferenceKey's API reports no usage: no tokens or requests per key or model reach Keyward."),
            per_model: Support::no("InferenceKey's API reports no usage: no tokens or requests per key or model reach Keyward."),
            buckets: Vec::new(),
            history_days: Some(0),
        },
        spend: SpendSupport {
            source: SpendSource::Computed,
            per_key: Support::no("InferenceKey's API reports no spend, and no usage to price."),
        },
        workloads: WorkloadOperations {
            list: yes(),
            create: Support::its_way("InferenceKey ensures a workload: a slug the project already has is brought to the form by a change of only what differs."),
            update: yes(),
            delete: yes(),
            readiness: yes(),
            health: Support::no("InferenceKey reports readiness only — the phases until a workload serves (scheduling, provisioning, bootstrapping, ready) — not health over time."),
            start_stop: Support::no("InferenceKey has no start or stop: delete the workload to release its GPUs, and ensure it again to bring it back."),
            logs: Support::no("InferenceKey's API serves no workload logs."),
            fields: vec![
                WorkloadField::Name,
                WorkloadField::Slug,
                WorkloadField::Description,
                WorkloadField::Model,
                WorkloadField::Backend,
                WorkloadField::TaskType,
                WorkloadField::Command,
            ],
        },
    }
}

fn neutral_ref(w: &wire::Workload) -> WorkloadRef {
    WorkloadRef {
        id: w.id.clone(),
        slug: w.slug.clone(),
        name: w.name.clone(),
        model: Some(w.model_name.clone()),
        upstream: w.upstream_url.clone(),
        created_at: w.created_at,
        // Readiness is a stream followed on demand, not a member of the list.
        status: None,
    }
}

#[async_trait]
impl Platform for InferenceKey {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    /// An SDK token provisions everything in its project; InferenceKey has no roles.
    async fn access(&self, profile: &Profile) -> Result<AccessLevel, Error> {
        self.workloads(profile).await?;
        Ok(AccessLevel::Admin)
    }

    /// There is no whoami: reading the project's workloads proves the token works
    /// there (a token of another project is refused with `project_scope_mismatch`).
    async fn connection(&self, profile: &Profile) -> Result<neutral::Connection, Error> {
        self.workloads(profile).await?;
        Ok(neutral::Connection {
            credential_label: format!("SDK token {}", crate::import::mask(profile.token.expose())),
            access: AccessLevel::Admin,
            project: neutral::ProjectRef {
                id: profile.project_id.clone(),
                name: profile.project_id.clone(),
            },
        })
    }

    fn recognize_secret(&self, secret: &str) -> Recognition {
        if secret.starts_with(DATA_KEY_PREFIX) {
            Recognition::Key
        } else if secret.starts_with(SDK_TOKEN_PREFIX) {
            Recognition::NotAKey(SDK_TOKEN_SENTENCE.to_owned())
        } else {
            Recognition::Foreign
        }
    }

    async fn list_workloads(&self, profile: &Profile) -> Result<Vec<WorkloadRef>, Error> {
        Ok(self
            .workloads(profile)
            .await?
            .iter()
            .map(neutral_ref)
            .collect())
    }

    async fn get_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<WorkloadDetail, Error> {
        let w = self.workload(profile, workload_id).await?;
        Ok(WorkloadDetail {
            workload: neutral_ref(&w),
            address: Some(format!(
                "{}{}",
                profile.base_url,
                super::http::route(&["endpoint", &profile.project_id, &w.slug, "v1"])
            )),
            spec: WorkloadSpec {
                name: w.name,
                slug: Some(w.slug),
                description: w.description,
                model: Some(w.model_name),
                backend: Some(w.backend),
                task_type: Some(w.task_type),
                command: w.command,
                ..Default::default()
            },
            keys: None,
            regions: Vec::new(),
        })
    }

    /// InferenceKey's `ensure`: the project's list is read, then the workload is
    /// created (POST) or, when its slug exists, reconciled by a PATCH of what drifted.
    async fn create_workload(
        &self,
        profile: &Profile,
        spec: &WorkloadSpec,
    ) -> Result<WorkloadChange, Error> {
        let body = spec::to_create(spec)?;
        let existing = self.workloads(profile).await?;
        if let Some(current) = existing.iter().find(|w| w.slug == body.slug) {
            return self.reconcile(profile, current, spec).await;
        }
        let created: wire::Workload = self.routes().create(profile, &body).await?;
        Ok(WorkloadChange {
            workload_id: created.id,
            follow: None,
        })
    }

    async fn update_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
        spec: &WorkloadSpec,
    ) -> Result<WorkloadChange, Error> {
        let current = self.workload(profile, workload_id).await?;
        self.reconcile(profile, &current, spec).await
    }

    /// As the SDK's `delete`: the list is read, then the workload deleted by its id.
    async fn delete_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<WorkloadChange, Error> {
        let w = self.workload(profile, workload_id).await?;
        self.routes().delete(profile, &w.id).await?;
        Ok(WorkloadChange {
            workload_id: w.id,
            follow: None,
        })
    }

    /// The stream is addressed by slug: the workload is read first to learn it.
    async fn follow_readiness(
        &self,
        profile: &Profile,
        workload_id: &str,
        on_event: &mut (dyn for<'e> FnMut(&'e ReadinessEvent) + Send),
    ) -> Result<ReadinessEvent, Error> {
        let w = self.workload(profile, workload_id).await?;
        self.routes()
            .follow_readiness(profile, &w.slug, on_event)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_say_what_a_secret_is() {
        let ik = InferenceKey::new(Http::new());
        assert_eq!(ik.recognize_secret("ik_live_abc"), Recognition::Key);
        match ik.recognize_secret("ik_sdk_abc") {
            Recognition::NotAKey(why) => {
                assert!(why.contains("dashboard → Project → Tokens"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ik.recognize_secret("kw_live_abc"), Recognition::Foreign);
    }

    #[test]
    fn every_key_operation_says_keys_live_in_the_dashboard() {
        let c = capabilities();
        for support in [
            &c.keys.create,
            &c.keys.list,
            &c.keys.revoke,
            &c.keys.identify,
        ] {
            assert!(!support.supported);
            assert_eq!(support.instead.as_deref(), Some(KEYS_IN_DASHBOARD));
        }
        assert!(c.workloads.readiness.supported && !c.workloads.health.supported);
        assert!(c.workloads.fields.contains(&WorkloadField::TaskType));
        assert!(!c.workloads.fields.contains(&WorkloadField::Image));
    }
}
