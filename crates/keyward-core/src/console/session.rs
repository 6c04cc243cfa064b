//! The active profile and the profile forms: which profile is active (remembered in
//! the database's settings; its token loaded once, lazily, and kept in Rust), switching
//! (the token loads first, so a failed switch changes nothing), create, edit, duplicate
//! and delete, *Test connection* of saved profiles and unsaved forms, and the console's
//! settings.

use super::{not_supported, Active, Console, LOCAL_PROFILE_ID};
use crate::platform::model::AccessLevel;
use crate::platform::PlatformKind;
use crate::profiles::{ProfileInput, StoredProfile};
use crate::ErrorCode;
use crate::{Error, Profile};
use chrono::{DateTime, Utc};
use keyward_api::Secret;
use serde::{Deserialize, Serialize};

const ACTIVE_SETTING: &str = "active_profile_id";
const CLIPBOARD_SETTING: &str = "clipboard_clear_seconds";
pub const DEFAULT_CLIPBOARD_CLEAR_SECONDS: u32 = 30;

/// A profile as the UI submits it. `token` is write-only: empty on an edit keeps the
/// stored one; the UI never receives it back. An empty `project_id` on a Keyward
/// profile is filled in from the token (`whoami`): a gateway token names its project.
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
    pub role: AccessLevel,
    pub project_id: String,
    pub project_name: String,
}

impl Console {
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
    pub async fn active_role(&self) -> Result<AccessLevel, Error> {
        let (profile, platform) = self.active_platform().await?;
        platform.access(&profile).await
    }

    /// What the active profile's platform offers, for the screens to render from. Needs
    /// no token and no request: it describes the platform's API, not the caller.
    pub async fn active_capabilities(&self) -> Result<crate::Capabilities, Error> {
        Ok(self.active_view().await?.kind.capabilities())
    }

    /// The active profile and its platform's adapter, ready for a request.
    pub async fn active_platform(&self) -> Result<(Profile, Box<dyn crate::Platform>), Error> {
        let profile = self.active().await?;
        let platform = profile
            .kind
            .adapter(&self.http)
            .ok_or_else(|| not_supported(profile.kind))?;
        Ok((profile, platform))
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
        if profile.kind.adapter(&self.http).is_none() {
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
            profile: profile
                .kind
                .adapter(&self.http)
                .is_some()
                .then_some(profile),
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
        let form = self.with_project(form, None).await?;
        self.store.create(None, form.into(), now).await
    }

    /// Fills an empty project ID of a Keyward profile from what its token says, so
    /// *Add profile* does not ask for what the token already identifies (issue #15).
    /// The token is the one typed, else the one stored for `profile_id`. Without a
    /// token, or on another platform, the form goes on unchanged to be validated.
    pub(super) async fn with_project(
        &self,
        mut form: ProfileForm,
        profile_id: Option<&str>,
    ) -> Result<ProfileForm, Error> {
        if !form.kind.profile_labels().project_from_credential || !form.project_id.trim().is_empty()
        {
            return Ok(form);
        }
        let typed = form
            .token
            .as_ref()
            .filter(|t| !t.expose().trim().is_empty())
            .map(|t| Secret::new(t.expose().trim().to_owned()));
        let token = match (typed, profile_id) {
            (Some(token), _) => token,
            (None, Some(id)) => self.store.connect(id).await?.token,
            (None, None) => return Ok(form),
        };
        // Everything but the project must be right before anything is sent.
        let mut probe_form = form.clone();
        probe_form.project_id = "-".to_owned();
        probe_form.token = None;
        let checked = crate::profiles::validate(probe_form.into(), false)?;
        let probe = Profile {
            id: profile_id.unwrap_or("draft").to_owned(),
            name: checked.name,
            kind: checked.kind,
            base_url: checked.base_url,
            project_id: String::new(),
            token,
        };
        let platform = probe
            .kind
            .adapter(&self.http)
            .ok_or_else(|| not_supported(probe.kind))?;
        let who = platform.connection(&probe).await.map_err(|error| {
            Error::field(
                "project_id",
                format!(
                    "Keyward could not read the project from the token: {} Type the project ID, or fix the address or token.",
                    error.message
                ),
            )
        })?;
        form.project_id = who.project.id;
        Ok(form)
    }

    pub async fn update(
        &self,
        id: &str,
        form: ProfileForm,
        now: DateTime<Utc>,
    ) -> Result<StoredProfile, Error> {
        let form = self.with_project(form, Some(id)).await?;
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
        let form = self.with_project(form, profile_id).await?;
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
        let platform = profile
            .kind
            .adapter(&self.http)
            .ok_or_else(|| not_supported(profile.kind))?;
        let who = platform.connection(profile).await?;
        Ok(ConnectionReport {
            base_url: profile.base_url.clone(),
            token_label: who.credential_label,
            role: who.access,
            project_id: who.project.id,
            project_name: who.project.name,
        })
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
