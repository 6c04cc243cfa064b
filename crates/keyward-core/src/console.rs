//! The console session: the saved profiles, which one is active, and imports in
//! progress. The Tauri shell manages one `Console` and its commands are one call each.
//!
//! Why a session object rather than a profile in each command's arguments: the UI
//! names profiles by id only, and the token behind an id is loaded from the keychain
//! once, when the profile is activated, then kept in memory as a `Secret` — never
//! handed to the webview. Switching reconnects first and only then replaces the
//! active profile, so a failed switch leaves the console where it was.

use crate::import::ImportCandidate;
use crate::profiles::{PlatformKind, ProfileInput, ProfileStore, StoredProfile};
use crate::{Error, PlatformClient, Profile};
use chrono::{DateTime, Utc};
use keyward_api::{ErrorCode, Role, Secret};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// The embedded gateway's profile: created on first launch, cannot be deleted, and
/// its address is set by the gateway at each launch.
pub const LOCAL_PROFILE_ID: &str = "local";
const LOCAL_PROFILE_NAME: &str = "Local";
const ACTIVE_SETTING: &str = "active_profile_id";
const CLIPBOARD_SETTING: &str = "clipboard_clear_seconds";
pub const DEFAULT_CLIPBOARD_CLEAR_SECONDS: u32 = 30;

/// A profile as the UI submits it. `token` is write-only: empty on an edit keeps the
/// stored one; the UI never receives it back.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProfileForm {
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: String,
    pub project_id: String,
    #[serde(default)]
    pub notes: String,
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub token: Option<Secret>,
}

impl From<ProfileForm> for ProfileInput {
    fn from(form: ProfileForm) -> Self {
        ProfileInput {
            name: form.name,
            kind: form.kind,
            base_url: form.base_url,
            project_id: form.project_id,
            notes: form.notes,
            // An empty token field means "keep the stored token".
            token: form.token.filter(|t| !t.expose().is_empty()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProfileList {
    pub profiles: Vec<StoredProfile>,
    pub active_id: String,
}

/// What *Test connection* found: who the token is, in which project, with which role.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConnectionReport {
    pub base_url: String,
    /// The token's name and masked form, as the platform reports it.
    pub token_label: String,
    pub role: Role,
    pub project_id: String,
    pub project_name: String,
}

/// The state of the Local profile after start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LocalStatus {
    /// Created on this launch with a freshly minted owner token.
    Created,
    /// Reconnected with the token kept in the keychain.
    Ready,
    /// The profile exists but its keychain entry is gone: offer a new owner token.
    TokenMissing,
}

/// An import candidate as the UI sees it: masked, addressed by id.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportCandidateView {
    pub id: String,
    pub source: String,
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: Option<String>,
    pub project_id: Option<String>,
    pub masked: String,
}

/// The user's choice for one candidate: its id plus the settings they confirmed.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportChoice {
    pub candidate_id: String,
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: String,
    pub project_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportFailure {
    pub candidate_id: String,
    pub name: String,
    pub error: Error,
}

/// Each choice succeeds or fails on its own; the report says which.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportReport {
    pub created: Vec<StoredProfile>,
    pub failed: Vec<ImportFailure>,
}

/// Where a pasted secret was found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakMatch {
    pub profile_id: String,
    pub profile_name: String,
    pub key: keyward_api::InferenceKey,
}

/// A profile the search could not look in, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakSearchGap {
    pub profile_id: String,
    pub profile_name: String,
    pub error: Error,
}

/// The result of *Find a leaked key*: the pasted secret stays in Rust under `leak_id`
/// (for the proof after revoking); the UI gets its masked form only.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakSearch {
    pub leak_id: String,
    pub masked: String,
    pub matches: Vec<LeakMatch>,
    pub searched: Vec<String>,
    pub gaps: Vec<LeakSearchGap>,
}

/// *Revoke now* on a leaked key, and the proof: one data-plane request with the
/// leaked secret, and what the platform answered.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakRevocation {
    pub key: keyward_api::InferenceKey,
    pub probe_status: u16,
    pub probe_message: String,
    /// The probe was refused with 401: the secret is dead.
    pub refused: bool,
}

/// A bulk revoke's outcome, key by key.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BulkRevokeReport {
    pub revoked: Vec<keyward_api::InferenceKey>,
    pub failed: Vec<BulkRevokeFailure>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BulkRevokeFailure {
    pub key_id: String,
    pub error: Error,
}

struct Active {
    id: String,
    /// Loaded lazily: `None` until the keychain has given up the token.
    profile: Option<Profile>,
}

pub struct Console {
    store: ProfileStore,
    client: PlatformClient,
    active: tokio::sync::Mutex<Active>,
    imports: Mutex<HashMap<String, ImportCandidate>>,
    /// Why Local could not be set up at start-up (e.g. no keychain), shown in its place.
    local_problem: Mutex<Option<Error>>,
    /// The secret pasted into *Find a leaked key*, until revoked, replaced or dismissed.
    leak: Mutex<Option<(String, Secret)>>,
}

fn not_supported(kind: PlatformKind) -> Error {
    let platform = match kind {
        PlatformKind::Keyward => "Keyward",
        PlatformKind::Inferencekey => "InferenceKey",
        PlatformKind::Podstack => "Podstack",
    };
    Error::new(
        ErrorCode::InvalidInput,
        format!("Keyward cannot talk to {platform}'s API yet: the profile is saved, and it will connect once the {platform} adapter ships. Point a Keyward-gateway profile at a gateway to use it now."),
    )
}

impl Console {
    pub fn new(store: ProfileStore, client: PlatformClient) -> Self {
        Self {
            store,
            client,
            active: tokio::sync::Mutex::new(Active {
                id: LOCAL_PROFILE_ID.to_owned(),
                profile: None,
            }),
            imports: Mutex::new(HashMap::new()),
            local_problem: Mutex::new(None),
            leak: Mutex::new(None),
        }
    }

    pub fn store(&self) -> &ProfileStore {
        &self.store
    }

    pub fn client(&self) -> &PlatformClient {
        &self.client
    }

    /// Creates or refreshes the Local profile for the embedded gateway now listening
    /// at `base_url`. `mint` is called only when there is no Local profile yet; it
    /// returns the owner token to store (on a data directory that already has a
    /// project, a reissued one).
    pub async fn ensure_local<F, Fut>(
        &self,
        base_url: &str,
        project_id: &str,
        now: DateTime<Utc>,
        mint: F,
    ) -> Result<LocalStatus, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Secret, Error>>,
    {
        let result = self
            .ensure_local_inner(base_url, project_id, now, mint)
            .await;
        *self.local_problem.lock().unwrap_or_else(|p| p.into_inner()) =
            result.as_ref().err().cloned();
        result
    }

    async fn ensure_local_inner<F, Fut>(
        &self,
        base_url: &str,
        project_id: &str,
        now: DateTime<Utc>,
        mint: F,
    ) -> Result<LocalStatus, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Secret, Error>>,
    {
        match self.store.find(LOCAL_PROFILE_ID).await? {
            Some(local) => {
                if local.base_url != base_url || local.project_id != project_id {
                    self.store
                        .set_address(LOCAL_PROFILE_ID, base_url, project_id, now)
                        .await?;
                }
                Ok(if self.store.has_token(LOCAL_PROFILE_ID)? {
                    LocalStatus::Ready
                } else {
                    LocalStatus::TokenMissing
                })
            }
            None => {
                let token = mint().await?;
                let input = ProfileInput {
                    name: self.free_name(LOCAL_PROFILE_NAME).await?,
                    kind: PlatformKind::Keyward,
                    base_url: base_url.to_owned(),
                    project_id: project_id.to_owned(),
                    notes: "The gateway embedded in this app.".to_owned(),
                    token: Some(token),
                };
                self.store
                    .create(Some(LOCAL_PROFILE_ID), input, now)
                    .await?;
                Ok(LocalStatus::Created)
            }
        }
    }

    /// "Local", or "Local (2)" … if a user profile already took the name.
    async fn free_name(&self, wanted: &str) -> Result<String, Error> {
        let taken: Vec<String> = self
            .store
            .list()
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        Ok((1..)
            .map(|n| match n {
                1 => wanted.to_owned(),
                n => format!("{wanted} ({n})"),
            })
            .find(|name| !taken.iter().any(|t| t.eq_ignore_ascii_case(name)))
            .expect("an unbounded range has a free name"))
    }

    /// Gives Local a new owner token: into its keychain entry, or, when start-up could
    /// not create Local at all, by creating it now.
    pub async fn reset_local_token(
        &self,
        base_url: &str,
        project_id: &str,
        token: Secret,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if self.store.find(LOCAL_PROFILE_ID).await?.is_some() {
            self.replace_token(LOCAL_PROFILE_ID, token).await?;
            *self.local_problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
        } else {
            self.ensure_local(base_url, project_id, now, || async { Ok(token) })
                .await?;
        }
        Ok(())
    }

    /// Local's start-up failure, when Local is wanted but does not exist.
    async fn missing_local(&self, id: &str) -> Option<Error> {
        if id != LOCAL_PROFILE_ID || matches!(self.store.find(id).await, Ok(Some(_))) {
            return None;
        }
        Some(
            self.local_problem
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .unwrap_or_else(|| {
                    Error::new(
                        ErrorCode::NotFound,
                        "The Local profile was not created; restart Keyward to create it.",
                    )
                }),
        )
    }

    /// Replaces a profile's token (e.g. Local's, reissued), and reconnects if active.
    pub async fn replace_token(&self, id: &str, token: Secret) -> Result<(), Error> {
        self.store.replace_token(id, &token).await?;
        let mut active = self.active.lock().await;
        if active.id == id {
            active.profile = None;
        }
        Ok(())
    }

    /// Activates the profile chosen last time, or Local. A profile whose token cannot
    /// be loaded still becomes active: its error is what the screens then show, and
    /// the Profiles page is where it gets fixed.
    pub async fn restore_active(&self) -> Result<(), Error> {
        let saved = self.store.setting(ACTIVE_SETTING).await?;
        let id = match saved {
            Some(id) if self.store.find(&id).await?.is_some() => id,
            _ => LOCAL_PROFILE_ID.to_owned(),
        };
        *self.active.lock().await = Active { id, profile: None };
        Ok(())
    }

    /// The active profile's settings (no token).
    pub async fn active_view(&self) -> Result<StoredProfile, Error> {
        let id = self.active.lock().await.id.clone();
        if let Some(problem) = self.missing_local(&id).await {
            return Err(problem);
        }
        self.store.get(&id).await
    }

    /// What the active profile's token may do, as its platform says (`whoami`), so the
    /// UI can leave out what a viewer (finance) may not do. The platform still checks
    /// every request; this only spares the user buttons that would fail.
    pub async fn active_role(&self) -> Result<Role, Error> {
        let profile = self.active().await?;
        Ok(self.client.whoami(&profile).await?.role)
    }

    /// The active profile, with its token, ready for a request.
    pub async fn active(&self) -> Result<Profile, Error> {
        let mut active = self.active.lock().await;
        if let Some(profile) = &active.profile {
            return Ok(profile.clone());
        }
        if let Some(problem) = self.missing_local(&active.id).await {
            return Err(problem);
        }
        let profile = self.store.connect(&active.id).await.map_err(|error| {
            if active.id == LOCAL_PROFILE_ID && error.code == ErrorCode::KeychainMissing {
                // Nobody can retype Local's token: it was minted by the app.
                Error::new(
                    ErrorCode::KeychainMissing,
                    "The owner token of \"Local\" is no longer in the keychain. Issue a new owner token to reconnect to the embedded gateway.",
                )
            } else {
                error
            }
        })?;
        if profile.kind != PlatformKind::Keyward {
            return Err(not_supported(profile.kind));
        }
        active.profile = Some(profile.clone());
        Ok(profile)
    }

    /// Makes `id` the active profile once its token loads; on failure nothing changes.
    pub async fn switch(&self, id: &str) -> Result<StoredProfile, Error> {
        let stored = self.store.get(id).await?;
        let profile = self.store.connect(id).await?;
        self.store.set_setting(ACTIVE_SETTING, id).await?;
        *self.active.lock().await = Active {
            id: id.to_owned(),
            profile: (profile.kind == PlatformKind::Keyward).then_some(profile),
        };
        Ok(stored)
    }

    pub async fn list(&self) -> Result<ProfileList, Error> {
        Ok(ProfileList {
            profiles: self.store.list().await?,
            active_id: self.active.lock().await.id.clone(),
        })
    }

    pub async fn create(
        &self,
        form: ProfileForm,
        now: DateTime<Utc>,
    ) -> Result<StoredProfile, Error> {
        self.store.create(None, form.into(), now).await
    }

    pub async fn update(
        &self,
        id: &str,
        form: ProfileForm,
        now: DateTime<Utc>,
    ) -> Result<StoredProfile, Error> {
        let input: ProfileInput = form.into();
        if id == LOCAL_PROFILE_ID {
            let local = self.store.get(id).await?;
            if input.base_url.trim().trim_end_matches('/') != local.base_url {
                return Err(Error::field("base_url", "Local's address is set by the embedded gateway at each launch; it cannot be changed."));
            }
            if input.project_id.trim() != local.project_id {
                return Err(Error::field(
                    "project_id",
                    "Local always uses the embedded gateway's default project.",
                ));
            }
            if input.kind != PlatformKind::Keyward {
                return Err(Error::field("kind", "Local is a Keyward gateway."));
            }
        }
        let updated = self.store.update(id, input, now).await?;
        let mut active = self.active.lock().await;
        if active.id == id {
            active.profile = None; // reconnect with the new settings on next use
        }
        Ok(updated)
    }

    pub async fn duplicate(
        &self,
        id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredProfile, Error> {
        self.store.duplicate(id, name, now).await
    }

    /// Deletes a profile and its keychain entry. Deleting the active one makes Local
    /// active. Local itself cannot be deleted.
    pub async fn delete(&self, id: &str) -> Result<ProfileList, Error> {
        if id == LOCAL_PROFILE_ID {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                "Local is the embedded gateway's profile and cannot be deleted.",
            ));
        }
        self.store.delete(id).await?;
        {
            let mut active = self.active.lock().await;
            if active.id == id {
                *active = Active {
                    id: LOCAL_PROFILE_ID.to_owned(),
                    profile: None,
                };
                self.store
                    .set_setting(ACTIVE_SETTING, LOCAL_PROFILE_ID)
                    .await?;
            }
        }
        self.list().await
    }

    /// *Test connection* of a saved profile.
    pub async fn test_saved(&self, id: &str) -> Result<ConnectionReport, Error> {
        let profile = self.store.connect(id).await?;
        self.test(&profile).await
    }

    /// *Test connection* of the form being edited, before it is saved. An empty token
    /// field uses the token stored for `profile_id`.
    pub async fn test_form(
        &self,
        form: ProfileForm,
        profile_id: Option<&str>,
    ) -> Result<ConnectionReport, Error> {
        let input = crate::profiles::validate(form.into(), profile_id.is_none())?;
        let token = match (input.token, profile_id) {
            (Some(token), _) => token,
            (None, Some(id)) => self.store.connect(id).await?.token,
            (None, None) => unreachable!("validated: a token is required without a profile"),
        };
        let profile = Profile {
            id: profile_id.unwrap_or("draft").to_owned(),
            name: input.name,
            kind: input.kind,
            base_url: input.base_url,
            project_id: input.project_id,
            token,
        };
        self.test(&profile).await
    }

    async fn test(&self, profile: &Profile) -> Result<ConnectionReport, Error> {
        if profile.kind != PlatformKind::Keyward {
            return Err(not_supported(profile.kind));
        }
        let who = self.client.whoami(profile).await?;
        Ok(ConnectionReport {
            base_url: profile.base_url.clone(),
            token_label: who.token_label,
            role: who.role,
            project_id: who.project.id,
            project_name: who.project.name,
        })
    }

    /// Holds freshly found candidates (tokens stay here) and returns their masked
    /// views. A new scan replaces the previous one's candidates.
    pub fn offer_imports(&self, found: Vec<ImportCandidate>) -> Vec<ImportCandidateView> {
        let mut imports = self.imports.lock().unwrap_or_else(|p| p.into_inner());
        imports.clear();
        found
            .into_iter()
            .map(|candidate| {
                let id = format!("imp_{}", uuid::Uuid::now_v7().simple());
                let view = ImportCandidateView {
                    id: id.clone(),
                    source: candidate.source.clone(),
                    name: candidate.name.clone(),
                    kind: candidate.kind,
                    base_url: candidate.base_url.clone(),
                    project_id: candidate.project_id.clone(),
                    masked: candidate.masked.clone(),
                };
                imports.insert(id, candidate);
                view
            })
            .collect()
    }

    /// Drops every pending candidate and its token (the import dialog was closed).
    pub fn discard_imports(&self) {
        self.imports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Saves the chosen candidates as profiles, their tokens straight into the
    /// keychain. Each choice stands alone: one failing does not undo the others.
    pub async fn import(&self, choices: Vec<ImportChoice>, now: DateTime<Utc>) -> ImportReport {
        let mut report = ImportReport {
            created: Vec::new(),
            failed: Vec::new(),
        };
        for choice in choices {
            let token = self
                .imports
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&choice.candidate_id)
                .map(|c| c.token.clone());
            let Some(token) = token else {
                report.failed.push(ImportFailure {
                    candidate_id: choice.candidate_id,
                    name: choice.name,
                    error: Error::new(
                        ErrorCode::NotFound,
                        "This candidate is no longer held; scan the source again.",
                    ),
                });
                continue;
            };
            let input = ProfileInput {
                name: choice.name.clone(),
                kind: choice.kind,
                base_url: choice.base_url,
                project_id: choice.project_id,
                notes: String::new(),
                token: Some(token),
            };
            match self.store.create(None, input, now).await {
                Ok(created) => {
                    self.imports
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&choice.candidate_id);
                    report.created.push(created);
                }
                Err(error) => report.failed.push(ImportFailure {
                    candidate_id: choice.candidate_id,
                    name: choice.name,
                    error,
                }),
            }
        }
        report
    }

    /// *Find a leaked key*: checks the checksum locally (a typo or an invented string
    /// never causes a request), then asks every Keyward profile's platform, at once,
    /// whose key it is. Profiles that cannot be searched are listed with the reason.
    pub async fn find_leaked(&self, pasted: Secret) -> Result<LeakSearch, Error> {
        use keyward_api::token::{self, TokenKind};
        let secret = Secret::new(pasted.expose().trim().to_owned());
        match token::parse(secret.expose()) {
            Ok(TokenKind::Data) => {}
            Ok(TokenKind::Control) => return Err(Error::field(
                "secret",
                "This is a control token (kw_ctl_…), not an inference key. Revoke it from the Profiles of the gateway it belongs to.",
            )),
            Err(why) => return Err(Error::field(
                "secret",
                format!("This is not a Keyward inference key: {why}. No platform was asked."),
            )),
        }
        let mut searches = tokio::task::JoinSet::new();
        let mut gaps = Vec::new();
        for stored in self.store.list().await? {
            if stored.kind != PlatformKind::Keyward {
                gaps.push(LeakSearchGap {
                    profile_id: stored.id.clone(),
                    profile_name: stored.name.clone(),
                    error: not_supported(stored.kind),
                });
                continue;
            }
            let profile = match self.store.connect(&stored.id).await {
                Ok(profile) => profile,
                Err(error) => {
                    gaps.push(LeakSearchGap {
                        profile_id: stored.id,
                        profile_name: stored.name,
                        error,
                    });
                    continue;
                }
            };
            let client = self.client.clone();
            let secret = secret.clone();
            searches.spawn(async move {
                let found = client.identify_key(&profile, &secret).await;
                (profile, found)
            });
        }
        let mut matches = Vec::new();
        let mut searched = Vec::new();
        while let Some(joined) = searches.join_next().await {
            let Ok((profile, found)) = joined else {
                continue;
            };
            match found {
                Ok(Some(key)) => {
                    searched.push(profile.name.clone());
                    matches.push(LeakMatch {
                        profile_id: profile.id,
                        profile_name: profile.name,
                        key,
                    });
                }
                Ok(None) => searched.push(profile.name),
                Err(error) => gaps.push(LeakSearchGap {
                    profile_id: profile.id,
                    profile_name: profile.name,
                    error,
                }),
            }
        }
        searched.sort();
        let leak_id = format!("leak_{}", uuid::Uuid::now_v7().simple());
        let masked = keyward_api::token::masked(secret.expose());
        *self.leak.lock().unwrap_or_else(|p| p.into_inner()) = Some((leak_id.clone(), secret));
        Ok(LeakSearch {
            leak_id,
            masked,
            matches,
            searched,
            gaps,
        })
    }

    /// *Revoke now*, then the proof: one request with the leaked secret to that
    /// profile's data plane, whose answer is returned (401 when it worked).
    pub async fn revoke_leaked(
        &self,
        leak_id: &str,
        profile_id: &str,
        key_id: &str,
    ) -> Result<LeakRevocation, Error> {
        let secret = match &*self.leak.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((id, secret)) if id == leak_id => secret.clone(),
            _ => {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    "This search is no longer open; paste the secret again.",
                ))
            }
        };
        let profile = self.store.connect(profile_id).await?;
        let key = self.client.revoke_key(&profile, key_id).await?;
        let (probe_status, probe_message) = self.client.probe_data_plane(&profile, &secret).await?;
        Ok(LeakRevocation {
            key,
            refused: probe_status == 401,
            probe_status,
            probe_message,
        })
    }

    /// Drops the pasted secret (the leak dialog closed).
    pub fn discard_leak(&self) {
        *self.leak.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Revokes each key on its own: the report says which were revoked and which
    /// failed and why, never all-or-nothing.
    pub async fn revoke_many(&self, key_ids: &[String]) -> Result<BulkRevokeReport, Error> {
        let profile = self.active().await?;
        let mut report = BulkRevokeReport {
            revoked: Vec::new(),
            failed: Vec::new(),
        };
        for key_id in key_ids {
            match self.client.revoke_key(&profile, key_id).await {
                Ok(key) => report.revoked.push(key),
                Err(error) => report.failed.push(BulkRevokeFailure {
                    key_id: key_id.clone(),
                    error,
                }),
            }
        }
        Ok(report)
    }

    /// Seconds after a copy before the clipboard is cleared (if it still holds the
    /// secret). Default 30.
    pub async fn clipboard_clear_seconds(&self) -> Result<u32, Error> {
        Ok(self
            .store
            .setting(CLIPBOARD_SETTING)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_CLIPBOARD_CLEAR_SECONDS))
    }

    pub async fn set_clipboard_clear_seconds(&self, seconds: u32) -> Result<(), Error> {
        if !(5..=600).contains(&seconds) {
            return Err(Error::field(
                "clipboard_clear_seconds",
                "The clipboard is cleared after 5 to 600 seconds.",
            ));
        }
        self.store
            .set_setting(CLIPBOARD_SETTING, &seconds.to_string())
            .await
    }
}
