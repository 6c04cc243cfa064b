//! The platform layer: one trait every platform implements, one enum that picks the
//! implementation for a profile, a capabilities descriptor per platform and the
//! platform-neutral model the screens use.
//!
//! Why a trait *and* an enum (argued in `docs/architecture.md`): the enum
//! [`PlatformKind`] is what a profile stores and what the profile form offers, so it
//! must list every platform, adapter or not; its one `match` in [`PlatformKind::adapter`]
//! is the only place that knows which type serves which kind. The trait
//! [`Platform`] is what each adapter implements in its own folder, so an adapter's
//! wire types and quirks never leak into the console: a new platform is one folder,
//! one arm here, its profile-form labels and its tests.
//!
//! An operation a platform lacks is not an empty answer: the trait's default methods
//! return [`unsupported`], whose message is the capabilities' sentence of what the
//! platform offers instead, with the stable code `unsupported`.

pub mod anthropic;
pub mod capabilities;
pub mod gcore;
pub mod http;
pub mod inferencekey;
pub mod keyward;
pub mod litellm;
pub mod model;
pub mod money;
pub mod openai;
pub mod openrouter;
pub mod paging;
pub mod workload;

pub use capabilities::{Capabilities, Support};
pub use http::Http;

use crate::keys::{KeyForm, KeyListQuery};
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_api::Secret;
use serde::{Deserialize, Serialize};

/// Which platform a profile talks to. Every platform a profile can name is here, with
/// or without an adapter: profiles of Podstack can be saved (e.g. from
/// an import) and get their adapters later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PlatformKind {
    Keyward,
    Openai,
    Anthropic,
    Openrouter,
    Litellm,
    Gcore,
    Inferencekey,
    Podstack,
}

/// How the profile form names a platform's fields, so each platform's form speaks its
/// own words ("Admin key", "Organisation") from one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProfileLabels {
    pub kind: PlatformKind,
    pub platform: String,
    /// The API root a new profile starts with (`None`: the person must type it).
    pub default_base_url: Option<String>,
    /// What the secret is called ("Control token", "Admin key").
    pub credential: String,
    /// What a valid secret looks like ("sk-admin-…").
    pub credential_hint: String,
    /// What the project field holds ("Project", "Organisation").
    pub project: String,
    /// Test connection fills the project field in from the credential.
    pub project_from_credential: bool,
    /// The environment variable an import reads the credential from, if any.
    pub import_variable: Option<String>,
    /// Keyward has an adapter: the profile can be used, not only kept.
    pub adapter: bool,
}

impl PlatformKind {
    pub const ALL: [PlatformKind; 8] = [
        Self::Keyward,
        Self::Openai,
        Self::Anthropic,
        Self::Openrouter,
        Self::Litellm,
        Self::Gcore,
        Self::Inferencekey,
        Self::Podstack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyward => "keyward",
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Openrouter => "openrouter",
            Self::Litellm => "litellm",
            Self::Gcore => "gcore",
            Self::Inferencekey => "inferencekey",
            Self::Podstack => "podstack",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "openai" => Self::Openai,
            "anthropic" => Self::Anthropic,
            "openrouter" => Self::Openrouter,
            "litellm" => Self::Litellm,
            "gcore" => Self::Gcore,
            "inferencekey" => Self::Inferencekey,
            "podstack" => Self::Podstack,
            _ => Self::Keyward,
        }
    }

    /// The platform's name as sentences say it.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Keyward => "Keyward gateway",
            Self::Openai => "OpenAI",
            Self::Anthropic => "Anthropic",
            Self::Openrouter => "OpenRouter",
            Self::Litellm => "LiteLLM proxy",
            Self::Gcore => "Gcore",
            Self::Inferencekey => "InferenceKey",
            Self::Podstack => "Podstack",
        }
    }

    /// The adapter that speaks this platform's API, sharing `http`; `None` while the
    /// platform has none. The one place that maps a kind to its implementation.
    pub fn adapter(self, http: &Http) -> Option<Box<dyn Platform>> {
        match self {
            Self::Keyward => Some(Box::new(keyward::Keyward::new(http.clone()))),
            Self::Openai => Some(Box::new(openai::OpenAi::new(http.clone()))),
            Self::Anthropic => Some(Box::new(anthropic::Anthropic::new(http.clone()))),
            Self::Openrouter => Some(Box::new(openrouter::OpenRouter::new(http.clone()))),
            Self::Litellm => Some(Box::new(litellm::LiteLlm::new(http.clone()))),
            Self::Gcore => Some(Box::new(gcore::Gcore::new(http.clone()))),
            Self::Inferencekey => Some(Box::new(inferencekey::InferenceKey::new(http.clone()))),
            Self::Podstack => None,
        }
    }

    /// What the platform's API offers (nothing, with one plain sentence, without an
    /// adapter).
    pub fn capabilities(self) -> Capabilities {
        match self {
            Self::Keyward => keyward::capabilities(),
            Self::Openai => openai::capabilities(),
            Self::Anthropic => anthropic::capabilities(),
            Self::Openrouter => openrouter::capabilities(),
            Self::Litellm => litellm::capabilities(),
            Self::Gcore => gcore::capabilities(),
            Self::Inferencekey => inferencekey::capabilities(),
            Self::Podstack => Capabilities::none(self.display_name(), &self.no_adapter_sentence()),
        }
    }

    /// The profile form's words for this platform.
    pub fn profile_labels(self) -> ProfileLabels {
        let labels = |base: Option<&str>,
                      credential: &str,
                      hint: &str,
                      project: &str,
                      from_credential: bool,
                      variable: Option<&str>| ProfileLabels {
            kind: self,
            platform: self.display_name().to_owned(),
            default_base_url: base.map(str::to_owned),
            credential: credential.to_owned(),
            credential_hint: hint.to_owned(),
            project: project.to_owned(),
            project_from_credential: from_credential,
            import_variable: variable.map(str::to_owned),
            adapter: self.capabilities().adapter,
        };
        match self {
            Self::Keyward => labels(
                None,
                "Control token",
                "kw_ctl_…",
                "Project",
                true,
                Some("KEYWARD_TOKEN"),
            ),
            Self::Openai => labels(
                Some("https://api.openai.com/v1"),
                "Admin key",
                "sk-admin-…",
                "Organisation",
                true,
                Some("OPENAI_ADMIN_KEY"),
            ),
            Self::Anthropic => labels(
                Some("https://api.anthropic.com/v1"),
                "Admin key",
                "sk-ant-admin…",
                "Organisation",
                true,
                Some("ANTHROPIC_ADMIN_KEY"),
            ),
            Self::Openrouter => labels(
                Some("https://openrouter.ai/api/v1"),
                "Management key",
                "sk-or-v1-…",
                "Account",
                true,
                Some("OPENROUTER_API_KEY"),
            ),
            // The proxy's own URL is required: there is no public LiteLLM.
            Self::Litellm => labels(
                None,
                "Master key",
                "sk-…",
                "Proxy",
                true,
                Some("LITELLM_MASTER_KEY"),
            ),
            // The project is Gcore's numeric project id; regions are per deployment
            // (see `gcore`'s module docs), so a profile names none.
            Self::Gcore => labels(
                Some("https://api.gcore.com"),
                "API token",
                "12345$…",
                "Project ID",
                true,
                Some("GCORE_API_KEY"),
            ),
            Self::Inferencekey => labels(
                None,
                "Control token",
                "ik_sdk_…",
                "Project",
                false,
                Some("INFERENCEKEY_SDK_TOKEN"),
            ),
            Self::Podstack => labels(None, "API token", "", "Project", false, None),
        }
    }

    /// Said once, where a profile of this platform is shown or used.
    pub fn no_adapter_sentence(self) -> String {
        let name = self.display_name();
        format!("Keyward cannot talk to {name} yet: the profile is kept and will work once the {name} adapter ships.")
    }
}

/// The error of an operation the platform does not offer: code `unsupported`, and the
/// capabilities' sentence of what it offers instead.
pub fn unsupported(platform: &str, what: &str, support: &Support) -> Error {
    let message = match &support.instead {
        Some(instead) => instead.clone(),
        None => format!("{platform} does not offer {what}."),
    };
    Error::new(ErrorCode::Unsupported, message)
}

/// One platform's admin API, in the neutral model. Every method has a default that
/// refuses with [`unsupported`]; an adapter overrides what its platform offers and
/// says the rest in [`Platform::capabilities`].
#[async_trait]
pub trait Platform: Send + Sync {
    fn capabilities(&self) -> Capabilities;

    fn refuse(&self, what: &str, pick: fn(&Capabilities) -> &Support) -> Error {
        let capabilities = self.capabilities();
        unsupported(&capabilities.platform, what, pick(&capabilities))
    }

    /// What the profile's credential may do there.
    async fn access(&self, profile: &Profile) -> Result<model::AccessLevel, Error> {
        // By default what *Test connection* finds: most admin APIs say who the
        // credential is in the same answer that proves it works.
        self.connection(profile).await.map(|c| c.access)
    }

    /// *Test connection*: who the credential is and where it belongs. With an empty
    /// `profile.project_id`, the credential's own project (a new profile learns it);
    /// otherwise a credential of another project is refused with a sentence.
    async fn connection(&self, profile: &Profile) -> Result<model::Connection, Error>;

    /// Whether `secret` has the shape of one of this platform's inference keys, checked
    /// locally: *Find a leaked key* asks only the platforms that recognise it.
    fn recognize_secret(&self, _secret: &str) -> Recognition {
        Recognition::Foreign
    }

    /// One page of keys and how many match in all (`None` when the platform does not say).
    async fn list_keys(
        &self,
        _profile: &Profile,
        _query: &KeyListQuery,
    ) -> Result<model::KeyPage, Error> {
        Err(self.refuse("listing keys", |c| &c.keys.list))
    }

    async fn get_key(&self, _profile: &Profile, _key_id: &str) -> Result<model::Key, Error> {
        Err(self.refuse("reading a key", |c| &c.keys.get))
    }

    /// Creates a key with the form's scopes; the secret is in the answer only.
    async fn create_key(
        &self,
        _profile: &Profile,
        _form: &KeyForm,
        _now: DateTime<Utc>,
    ) -> Result<(model::Key, Secret), Error> {
        Err(self.refuse("creating keys", |c| &c.keys.create))
    }

    /// Changes what differs between the form and the key as the platform has it now;
    /// the key unchanged when nothing differs.
    async fn update_key(
        &self,
        _profile: &Profile,
        _key_id: &str,
        _form: &KeyForm,
        _now: DateTime<Utc>,
    ) -> Result<model::Key, Error> {
        Err(self.refuse("editing keys", |c| &c.keys.update))
    }

    /// A new secret for the key; the old one works for `grace_seconds` where the
    /// platform has a grace period (`capabilities.keys.rotate_grace`).
    async fn rotate_key(
        &self,
        _profile: &Profile,
        _key_id: &str,
        _grace_seconds: u32,
    ) -> Result<(model::Key, Secret), Error> {
        Err(self.refuse("rotating keys", |c| &c.keys.rotate))
    }

    async fn revoke_key(&self, _profile: &Profile, _key_id: &str) -> Result<model::Key, Error> {
        Err(self.refuse("revoking keys", |c| &c.keys.revoke))
    }

    async fn set_disabled(
        &self,
        _profile: &Profile,
        _key_id: &str,
        _disabled: bool,
    ) -> Result<model::Key, Error> {
        Err(self.refuse("disabling keys", |c| &c.keys.disable))
    }

    async fn set_archived(
        &self,
        _profile: &Profile,
        _key_id: &str,
        _archived: bool,
    ) -> Result<model::Key, Error> {
        Err(self.refuse("archiving keys", |c| &c.keys.archive))
    }

    /// Which of the profile's keys `secret` is: none, one, or — where the platform
    /// shows only part of each secret — several candidates, never one picked silently.
    async fn identify_key(
        &self,
        _profile: &Profile,
        _secret: &Secret,
    ) -> Result<Identified, Error> {
        Err(self.refuse("identifying a secret", |c| &c.keys.identify))
    }

    /// After a revoke, one request with the revoked secret where the platform allows
    /// it, as proof that it is refused: `None` where no such request is possible.
    async fn prove_revoked(
        &self,
        _profile: &Profile,
        _secret: &Secret,
    ) -> Result<Option<RevocationProof>, Error> {
        Ok(None)
    }

    /// The key's activity for its detail page.
    async fn key_activity(
        &self,
        _profile: &Profile,
        _key_id: &str,
    ) -> Result<model::KeyActivity, Error> {
        let capabilities = self.capabilities();
        if capabilities.usage.per_key.supported {
            // Usage per key exists, but not as the key page's last 24 hours.
            return Err(Error::new(
                ErrorCode::Unsupported,
                format!(
                    "{} does not report a key's last 24 hours hour by hour; Usage & Spend shows this key's usage over any period.",
                    capabilities.platform
                ),
            ));
        }
        Err(self.refuse("usage per key", |c| &c.usage.per_key))
    }

    async fn key_audit(
        &self,
        _profile: &Profile,
        _key_id: &str,
    ) -> Result<model::AuditTrail, Error> {
        Err(self.refuse("an audit trail of keys", |c| &c.keys.audit))
    }

    /// The projects (workspaces) the credential can see; by default only the profile's.
    async fn list_projects(&self, profile: &Profile) -> Result<Vec<model::ProjectRef>, Error> {
        Ok(vec![model::ProjectRef {
            id: profile.project_id.clone(),
            name: profile.project_id.clone(),
        }])
    }

    /// Token rollups of `project` for the Usage & Spend screen.
    async fn usage(
        &self,
        _profile: &Profile,
        _project: &str,
        _query: &model::UsageQuery,
    ) -> Result<model::UsageReport, Error> {
        Err(self.refuse("usage reports", |c| &c.usage.per_model))
    }

    /// Money the platform reports it charged, per day (and key where it can say);
    /// only where `capabilities.spend.source` is `reported`.
    async fn reported_costs(
        &self,
        _profile: &Profile,
        _query: &model::CostQuery,
    ) -> Result<Vec<model::ReportedCost>, Error> {
        Err(self.refuse("reported spend", |c| &c.spend.per_key))
    }

    /// The limits the platform keeps per project rather than per key; `None` where
    /// it keeps none (limits are then on the keys themselves).
    async fn project_limits(
        &self,
        _profile: &Profile,
        _project: &str,
    ) -> Result<Option<model::ProjectLimits>, Error> {
        Ok(None)
    }

    async fn list_workloads(&self, _profile: &Profile) -> Result<Vec<model::WorkloadRef>, Error> {
        Err(self.refuse("workloads", |c| &c.workloads.list))
    }

    /// One workload in full: its spec, address, attached keys and each region's state.
    async fn get_workload(
        &self,
        _profile: &Profile,
        _workload_id: &str,
    ) -> Result<workload::WorkloadDetail, Error> {
        Err(self.refuse("workloads", |c| &c.workloads.list))
    }

    /// Starts running `spec`; the answer says what to follow until it is done.
    async fn create_workload(
        &self,
        _profile: &Profile,
        _spec: &workload::WorkloadSpec,
    ) -> Result<workload::WorkloadChange, Error> {
        Err(self.refuse("creating workloads", |c| &c.workloads.create))
    }

    /// Changes what differs between `spec` and the workload as the platform has it
    /// now (see [`workload::WorkloadSpec`] for what `None` leaves alone).
    async fn update_workload(
        &self,
        _profile: &Profile,
        _workload_id: &str,
        _spec: &workload::WorkloadSpec,
    ) -> Result<workload::WorkloadChange, Error> {
        Err(self.refuse("editing workloads", |c| &c.workloads.update))
    }

    async fn delete_workload(
        &self,
        _profile: &Profile,
        _workload_id: &str,
    ) -> Result<workload::WorkloadChange, Error> {
        Err(self.refuse("deleting workloads", |c| &c.workloads.delete))
    }

    /// Starts (`true`) or stops a workload.
    async fn set_workload_running(
        &self,
        _profile: &Profile,
        _workload_id: &str,
        _running: bool,
    ) -> Result<workload::WorkloadChange, Error> {
        Err(self.refuse("starting and stopping workloads", |c| {
            &c.workloads.start_stop
        }))
    }

    /// One poll of a change's progress (`WorkloadChange::follow`).
    async fn workload_change(
        &self,
        _profile: &Profile,
        _follow: &str,
    ) -> Result<workload::ChangeProgress, Error> {
        Err(self.refuse("following workload changes", |c| &c.workloads.create))
    }

    /// Follows a workload's readiness until it serves or fails, handing each phase
    /// change to `on_event`; returns the last event.
    async fn follow_readiness(
        &self,
        _profile: &Profile,
        _workload_id: &str,
        // Written out as for-all: `async_trait` would otherwise name the elided
        // lifetime, and no adapter could hand the callback an event of its own.
        _on_event: &mut (dyn for<'e> FnMut(&'e crate::workloads::ReadinessEvent) + Send),
    ) -> Result<crate::workloads::ReadinessEvent, Error> {
        Err(self.refuse("readiness", |c| &c.workloads.readiness))
    }

    /// The newest lines of a workload's log, oldest first.
    async fn workload_logs(
        &self,
        _profile: &Profile,
        _workload_id: &str,
        _limit: u32,
    ) -> Result<Vec<workload::LogLine>, Error> {
        Err(self.refuse("workload logs", |c| &c.workloads.logs))
    }
}

/// What a platform makes of a pasted secret without asking anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recognition {
    /// One of its inference keys (by prefix and, where it has one, checksum).
    Key,
    /// Its own, but not an inference key: the sentence says what it is and what to do.
    NotAKey(String),
    /// Not this platform's.
    Foreign,
}

/// The keys a secret may be.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    pub keys: Vec<model::Key>,
    /// The platform matched the whole secret (a hash lookup), not only the characters
    /// it shows of each key: several inexact candidates are ambiguous.
    pub exact: bool,
}

/// One request with a revoked secret and what the platform answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RevocationProof {
    pub status: u16,
    pub message: String,
    /// Refused with 401: the secret is dead.
    pub refused: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bare;

    #[async_trait]
    impl Platform for Bare {
        fn capabilities(&self) -> Capabilities {
            let mut c = Capabilities::none("Bare", "unused");
            c.keys.disable = Support::no("Bare has no pause: revoke the key instead.");
            c.workloads.list = Support {
                supported: false,
                instead: None,
            };
            c
        }

        async fn access(&self, _profile: &Profile) -> Result<model::AccessLevel, Error> {
            Ok(model::AccessLevel::Viewer)
        }

        async fn connection(&self, _profile: &Profile) -> Result<model::Connection, Error> {
            Err(Error::new(ErrorCode::Unavailable, "unused"))
        }
    }

    fn profile() -> Profile {
        Profile {
            id: "p".into(),
            name: "P".into(),
            kind: PlatformKind::Keyward,
            base_url: "http://127.0.0.1:9".into(),
            project_id: "x".into(),
            token: Secret::new("t".into()),
        }
    }

    #[tokio::test]
    async fn a_missing_operation_is_unsupported_and_says_what_is_offered_instead() {
        let error = Bare.set_disabled(&profile(), "k", true).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Unsupported);
        assert_eq!(error.message, "Bare has no pause: revoke the key instead.");
        assert_eq!(error.field, None);
        let error = Bare.list_workloads(&profile()).await.unwrap_err();
        assert_eq!(error.message, "Bare does not offer workloads.");
    }

    #[test]
    fn every_kind_has_capabilities_and_only_keyward_has_an_adapter() {
        let http = Http::new();
        for kind in PlatformKind::ALL {
            let has_adapter = kind != PlatformKind::Podstack;
            assert_eq!(kind.adapter(&http).is_some(), has_adapter);
            assert_eq!(PlatformKind::parse(kind.as_str()), kind);
            let capabilities = kind.capabilities();
            assert_eq!(capabilities.platform, kind.display_name());
            assert_eq!(capabilities.adapter, has_adapter);
            // InferenceKey's keys live in its dashboard, out of its API's reach.
            let lists_keys = has_adapter && kind != PlatformKind::Inferencekey;
            assert_eq!(capabilities.keys.list.supported, lists_keys);
            assert_eq!(kind.profile_labels().adapter, has_adapter);
            // An operation a platform lacks always says what it offers instead.
            for support in [
                &capabilities.keys.create,
                &capabilities.keys.update,
                &capabilities.keys.revoke,
                &capabilities.keys.disable,
                &capabilities.keys.rotate,
                &capabilities.workloads.list,
                &capabilities.scopes.rpm,
            ] {
                assert!(support.supported || support.instead.is_some(), "{kind:?}");
            }
        }
    }
}
