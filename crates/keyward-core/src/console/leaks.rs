//! The incident tools that reach past one key list. *Find a leaked key* lets each
//! profile's platform recognise the secret locally (a prefix, a checksum: a typo or an
//! invented string never causes a request), asks the platforms that recognise it at
//! once and folds the answers into one match per platform and key. Platforms that show
//! only part of each secret can name several candidates: those are marked inexact and
//! the search ambiguous, never one picked. The pasted secret stays in memory only
//! until revoked or dismissed, and after *Revoke now* it is sent once to that
//! platform, where possible, to prove the 401. Bulk revoke reports key by key.

use super::{not_supported, Console};
use crate::platform::model::{AccessLevel, Key};
use crate::platform::{Recognition, RevocationProof};
use crate::Error;
use crate::ErrorCode;
use keyward_api::Secret;
use serde::Serialize;

/// A key a pasted secret belongs to: one per platform and key, however many profiles
/// point at its project (two profiles of one project used to list it twice, issue #15).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakMatch {
    /// The platform's address, as the profiles holding the key have it.
    pub base_url: String,
    /// The platform's name ("OpenAI").
    pub platform: String,
    pub key: Key,
    /// The platform matched the whole secret; `false` = only the characters it shows.
    pub exact: bool,
    /// Every profile that sees the key, those whose token may revoke it first.
    pub profiles: Vec<LeakHolder>,
}

/// A profile through which a leaked key was found, and what its token may do there.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakHolder {
    pub profile_id: String,
    pub profile_name: String,
    /// The credential's access as its platform says; null when it could not say.
    pub role: Option<AccessLevel>,
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
fn group_leak_matches(found: Vec<(String, &'static str, Key, bool, LeakHolder)>) -> Vec<LeakMatch> {
    let mut matches: Vec<LeakMatch> = Vec::new();
    for (base_url, platform, key, exact, holder) in found {
        let address = platform_address(&base_url);
        match matches
            .iter_mut()
            .find(|m| platform_address(&m.base_url) == address && m.key.id == key.id)
        {
            Some(existing) => existing.profiles.push(holder),
            None => matches.push(LeakMatch {
                base_url,
                platform: platform.to_owned(),
                key,
                exact,
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
    /// Several keys may be this secret and nothing tells which: none may be revoked
    /// from here as "the" leaked key without a person choosing.
    pub ambiguous: bool,
    pub searched: Vec<String>,
    pub gaps: Vec<LeakSearchGap>,
}

/// *Revoke now* on a leaked key, and the proof: one data-plane request with the
/// leaked secret, and what the platform answered.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakRevocation {
    pub key: Key,
    /// One request with the leaked secret after the revoke, where the platform allows
    /// it; null where it does not (the revoke itself is then the only evidence).
    pub proof: Option<RevocationProof>,
}

/// A bulk revoke's outcome, key by key.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BulkRevokeReport {
    pub revoked: Vec<Key>,
    pub failed: Vec<BulkRevokeFailure>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BulkRevokeFailure {
    pub key_id: String,
    pub error: Error,
}

impl Console {
    /// *Find a leaked key*: each profile's platform recognises the secret locally (a
    /// typo or an invented string never causes a request), then the platforms that
    /// recognise it are asked, at once, whose key it is. Profiles that cannot be
    /// searched are listed with the reason.
    pub async fn find_leaked(&self, pasted: Secret) -> Result<LeakSearch, Error> {
        let secret = Secret::new(pasted.expose().trim().to_owned());
        let mut searches = tokio::task::JoinSet::new();
        let mut gaps = Vec::new();
        let mut not_a_key: Option<String> = None;
        let mut recognised_anywhere = false;
        for stored in self.store.list().await? {
            let Some(platform) = stored.kind.adapter(&self.http) else {
                gaps.push(LeakSearchGap {
                    profile_id: stored.id.clone(),
                    profile_name: stored.name.clone(),
                    error: not_supported(stored.kind),
                });
                continue;
            };
            match platform.recognize_secret(secret.expose()) {
                Recognition::Key => recognised_anywhere = true,
                Recognition::NotAKey(why) => {
                    not_a_key.get_or_insert(why);
                    continue;
                }
                Recognition::Foreign => continue,
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
            let secret = secret.clone();
            searches.spawn(async move {
                // What the credential may do decides whether *Revoke now* is offered
                // through this profile; asked alongside, so it costs no extra wait.
                let (found, access) = tokio::join!(
                    platform.identify_key(&profile, &secret),
                    platform.access(&profile)
                );
                (profile, found, access.ok())
            });
        }
        if !recognised_anywhere {
            return Err(Error::field(
                "secret",
                not_a_key.unwrap_or_else(|| {
                    "This is not an inference key of any platform you have a profile for. No platform was asked.".to_owned()
                }),
            ));
        }
        let mut found_in = Vec::new();
        let mut searched = Vec::new();
        while let Some(joined) = searches.join_next().await {
            let Ok((profile, found, role)) = joined else {
                continue;
            };
            match found {
                Ok(identified) => {
                    searched.push(profile.name.clone());
                    for key in identified.keys {
                        let holder = LeakHolder {
                            profile_id: profile.id.clone(),
                            profile_name: profile.name.clone(),
                            role,
                            can_revoke: role.is_some_and(AccessLevel::manages_keys),
                        };
                        found_in.push((
                            profile.base_url.clone(),
                            profile.kind.display_name(),
                            key,
                            identified.exact,
                            holder,
                        ));
                    }
                }
                Err(error) => gaps.push(LeakSearchGap {
                    profile_id: profile.id,
                    profile_name: profile.name,
                    error,
                }),
            }
        }
        searched.sort();
        let matches = group_leak_matches(found_in);
        let ambiguous = matches.len() > 1 && matches.iter().any(|m| !m.exact);
        let leak_id = format!("leak_{}", uuid::Uuid::now_v7().simple());
        let masked = keyward_api::token::masked(secret.expose());
        *self.leak.lock().unwrap_or_else(|p| p.into_inner()) = Some((leak_id.clone(), secret));
        Ok(LeakSearch {
            leak_id,
            masked,
            matches,
            ambiguous,
            searched,
            gaps,
        })
    }

    /// *Revoke now*, then, where the platform allows it, the proof: one request with
    /// the leaked secret, whose answer is returned (401 when it worked).
    pub async fn revoke_leaked(
        &self,
        leak_id: &str,
        profile_id: &str,
        key_id: &str,
    ) -> Result<LeakRevocation, Error> {
        let secret = self.open_leak(leak_id)?;
        let profile = self.store.connect(profile_id).await?;
        let platform = profile
            .kind
            .adapter(&self.http)
            .ok_or_else(|| not_supported(profile.kind))?;
        let key = platform
            .revoke_key(&profile, key_id)
            .await
            .map_err(|error| match error.code {
                // The UI offers Revoke only through profiles that manage keys; should a
                // role change in between, say what to do rather than pass on the raw 403.
                ErrorCode::Forbidden => Error::new(
                    ErrorCode::Forbidden,
                    format!(
                        "The credential of profile \"{}\" may not revoke keys. Revoke it through a profile with an owner or admin credential of this project.",
                        profile.name
                    ),
                ),
                _ => error,
            })?;
        let proof = platform.prove_revoked(&profile, &secret).await?;
        Ok(LeakRevocation { key, proof })
    }

    /// *Disable* for a leaked key, where its platform can pause keys (OpenRouter,
    /// LiteLLM, Anthropic): it stops working at once and can be enabled again once the
    /// leak is understood — for a key too busy to delete before its clients move.
    /// No proof request follows: a disabled key's refusal proves nothing the platform's
    /// own answer does not already say.
    pub async fn disable_leaked(
        &self,
        leak_id: &str,
        profile_id: &str,
        key_id: &str,
    ) -> Result<Key, Error> {
        self.open_leak(leak_id)?;
        let profile = self.store.connect(profile_id).await?;
        let platform = profile
            .kind
            .adapter(&self.http)
            .ok_or_else(|| not_supported(profile.kind))?;
        platform
            .set_disabled(&profile, key_id, true)
            .await
            .map_err(|error| match error.code {
                ErrorCode::Forbidden => Error::new(
                    ErrorCode::Forbidden,
                    format!(
                        "The credential of profile \"{}\" may not disable keys. Disable it through a profile with an owner or admin credential.",
                        profile.name
                    ),
                ),
                _ => error,
            })
    }

    /// The pasted secret of the search `leak_id`, while that search is open.
    fn open_leak(&self, leak_id: &str) -> Result<Secret, Error> {
        match &*self.leak.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((id, secret)) if id == leak_id => Ok(secret.clone()),
            _ => Err(Error::new(
                ErrorCode::NotFound,
                "This search is no longer open; paste the secret again.",
            )),
        }
    }

    /// Drops the pasted secret (the leak dialog closed).
    pub fn discard_leak(&self) {
        *self.leak.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Revokes each key on its own: the report says which were revoked and which
    /// failed and why, never all-or-nothing.
    pub async fn revoke_many(&self, key_ids: &[String]) -> Result<BulkRevokeReport, Error> {
        let (profile, platform) = self.active_platform().await?;
        let mut report = BulkRevokeReport {
            revoked: Vec::new(),
            failed: Vec::new(),
        };
        for key_id in key_ids {
            match platform.revoke_key(&profile, key_id).await {
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
