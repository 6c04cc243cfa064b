//! The incident tools that reach past one key list. *Find a leaked key* checks the
//! checksum locally (a fake never causes a request), asks every profile's platform at
//! once and folds the answers into one match per platform and key; the pasted secret
//! stays in memory only until revoked or dismissed, and after *Revoke now* it is sent
//! once to that profile's data plane to prove the 401. Bulk revoke reports key by key.

use super::{not_supported, Console};
use crate::Error;
use crate::ErrorCode;
use keyward_api::{Role, Secret};
use serde::Serialize;

/// A key a pasted secret belongs to: one per platform and key, however many profiles
/// point at its project (two profiles of one project used to list it twice, issue #15).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakMatch {
    /// The platform's address, as the profiles holding the key have it.
    pub base_url: String,
    pub key: keyward_api::InferenceKey,
    /// Every profile that sees the key, those whose token may revoke it first.
    pub profiles: Vec<LeakHolder>,
}

/// A profile through which a leaked key was found, and what its token may do there.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakHolder {
    pub profile_id: String,
    pub profile_name: String,
    /// The token's role as its platform says (`whoami`); null when it could not say.
    pub role: Option<Role>,
    /// An owner or admin token: *Revoke now* is offered through this profile only.
    pub can_revoke: bool,
}

/// The address two profiles share when they point at the same platform: scheme and
/// host lower-cased, the default port and trailing slashes dropped.
fn platform_address(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(url) => url.as_str().trim_end_matches('/').to_owned(),
        Err(_) => base_url.trim_end_matches('/').to_owned(),
    }
}

/// Folds per-profile finds into one match per platform and key.
fn group_leak_matches(
    found: Vec<(String, keyward_api::InferenceKey, LeakHolder)>,
) -> Vec<LeakMatch> {
    let mut matches: Vec<LeakMatch> = Vec::new();
    for (base_url, key, holder) in found {
        let address = platform_address(&base_url);
        match matches
            .iter_mut()
            .find(|m| platform_address(&m.base_url) == address && m.key.id == key.id)
        {
            Some(existing) => existing.profiles.push(holder),
            None => matches.push(LeakMatch {
                base_url,
                key,
                profiles: vec![holder],
            }),
        }
    }
    for m in &mut matches {
        m.profiles.sort_by(|a, b| {
            b.can_revoke
                .cmp(&a.can_revoke)
                .then_with(|| a.profile_name.cmp(&b.profile_name))
        });
    }
    matches.sort_by(|a, b| (&a.base_url, &a.key.name).cmp(&(&b.base_url, &b.key.name)));
    matches
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

impl Console {
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
            if stored.kind.adapter(&self.client).is_none() {
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
                // What the token may do decides whether *Revoke now* is offered through
                // this profile; asked alongside, so it costs no extra wait.
                let (found, who) = tokio::join!(
                    client.identify_key(&profile, &secret),
                    client.whoami(&profile)
                );
                (profile, found, who.ok().map(|w| w.role))
            });
        }
        let mut found_in = Vec::new();
        let mut searched = Vec::new();
        while let Some(joined) = searches.join_next().await {
            let Ok((profile, found, role)) = joined else {
                continue;
            };
            match found {
                Ok(Some(key)) => {
                    searched.push(profile.name.clone());
                    let holder = LeakHolder {
                        profile_id: profile.id,
                        profile_name: profile.name,
                        role,
                        can_revoke: matches!(role, Some(Role::Owner | Role::Admin)),
                    };
                    found_in.push((profile.base_url, key, holder));
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
        let matches = group_leak_matches(found_in);
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
        let key = self
            .client
            .revoke_key(&profile, key_id)
            .await
            .map_err(|error| match error.code {
                // The UI offers Revoke only through owner/admin profiles; should a role
                // change in between, say what to do rather than pass on the raw 403.
                ErrorCode::Forbidden => Error::new(
                    ErrorCode::Forbidden,
                    format!(
                        "The token of profile \"{}\" may not revoke keys. Revoke it through a profile with an owner or admin token of this project.",
                        profile.name
                    ),
                ),
                _ => error,
            })?;
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
}
