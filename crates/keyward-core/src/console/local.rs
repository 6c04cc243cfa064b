//! Local: the profile of the gateway embedded in the app. Created once with the owner
//! token the gateway minted; later launches only refresh its address (the port may
//! change). Its token cannot be retyped by anyone, so a lost keychain entry is reported
//! as `TokenMissing` and repaired with a reissued owner token.

use super::{Console, LOCAL_PROFILE_ID};
use crate::platform::PlatformKind;
use crate::profiles::ProfileInput;
use crate::Error;
use crate::ErrorCode;
use chrono::{DateTime, Utc};
use keyward_api::Secret;
use serde::Serialize;
use std::future::Future;

const LOCAL_PROFILE_NAME: &str = "Local";

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

impl Console {
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
    pub(super) async fn missing_local(&self, id: &str) -> Option<Error> {
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
}
