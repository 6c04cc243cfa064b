//! Anthropic's organisation Admin API as a platform (issue #17): an admin key
//! (`sk-ant-admin…`) sees every workspace's API keys. Anthropic creates keys only in
//! its Console and never deletes them through the API: revoking archives a key.
//!
//! How Anthropic differs, and how the console meets it:
//! - **One list for the organisation.** `GET /organizations/api_keys` lists every
//!   workspace's keys; it is read to its last page (cursor `after_id`) and then
//!   filtered, searched, sorted and paged in memory by the gateway's rules
//!   ([`KeyListQuery::select`]), so the Keys screen behaves alike on every platform. A
//!   key's project is its workspace; a key of the default workspace, which has no
//!   workspace id, is in the project `default`.
//! - **Archive is revoke.** An archived key never works again and cannot be
//!   reactivated, which is what *revoked* means to the console: `archived` is shown as
//!   revoked (when is not said by Anthropic), and *Revoke* sets it. `inactive` is the
//!   pause the console calls disabled, and can be undone.
//! - **A name is all a key has.** Limits belong to workspaces, so an edit is a rename;
//!   a form asking for a limit is refused naming its field.
//! - **Only part of a secret is shown** (`partial_key_hint`: its start, `...`, its last
//!   characters), so a leaked secret is matched by that part and several keys can be
//!   candidates.
//! - **Spend is computed**: the cost report has no key dimension, so spend per key is
//!   tokens × the console's prices (see the capabilities); tokens come from the
//!   messages usage report (`usage.rs`).
//!
//! Every request carries the admin key as `x-api-key` and `anthropic-version:
//! 2023-06-01`, the form Anthropic documents for its Admin API.

mod usage;
mod wire;

use super::capabilities::{
    BucketSize, Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport, Support,
    UsageSupport, WorkloadOperations,
};
use super::http::{route, Dialect, Http, RemoteError};
use super::model::{self as neutral, AccessLevel, Key, KeyScopes, KeyState};
use super::{paging, Identified, Platform, Recognition};
use crate::keys::{KeyForm, KeyListQuery};
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_api::Secret;
use reqwest::Method;
use serde::de::DeserializeOwned;

/// The API version every request names: the one the Admin API docs use.
const VERSION: &str = "2023-06-01";
/// The largest page Anthropic serves for keys and workspaces.
const PAGE: &str = "1000";
/// The project of keys in the default workspace, which has no workspace id.
pub const DEFAULT_WORKSPACE: &str = "default";
/// The longest key name Anthropic accepts.
const NAME_MAX: usize = 500;

pub(crate) const DIALECT: Dialect = Dialect {
    credential: "admin key",
    unauthorized_hint: "Anthropic's organisation endpoints need an admin key (sk-ant-admin…, made in the Anthropic Console under Settings → Admin keys); an API key (sk-ant-api03-…) cannot list or manage keys.",
    authorize: |request, profile| {
        request
            .header("x-api-key", profile.token.expose())
            .header("anthropic-version", VERSION)
    },
    read_error: |body| {
        let body: wire::ErrorBody = serde_json::from_slice(body).ok()?;
        Some(RemoteError {
            message: Some(body.error.message),
            // Anthropic's messages name its own parameters, not the console's fields.
            field: None,
            code: None,
        })
    },
};

/// The Anthropic adapter; cheap to make (it shares the one HTTP client).
pub struct Anthropic {
    http: Http,
}

impl Anthropic {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// Every page of a cursor-paged list, in order.
    async fn all<T: DeserializeOwned>(
        &self,
        profile: &Profile,
        path: &str,
    ) -> Result<Vec<T>, Error> {
        paging::every_page(profile, |after| async move {
            let mut query = vec![("limit", PAGE)];
            if let Some(after) = &after {
                query.push(("after_id", after.as_str()));
            }
            let page: wire::List<T> = self.http.get_json(&DIALECT, profile, path, &query).await?;
            Ok(paging::Page {
                next: page.last_id.filter(|_| page.has_more),
                items: page.data,
            })
        })
        .await
    }

    /// Every key of the organisation, whatever its workspace or status.
    async fn inventory(&self, profile: &Profile) -> Result<Vec<Key>, Error> {
        let keys: Vec<wire::ApiKey> = self
            .all(profile, &route(&["organizations", "api_keys"]))
            .await?;
        Ok(keys.into_iter().map(neutral_key).collect())
    }

    async fn raw_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        crate::error::validate_id("key_id", key_id, 128)?;
        let path = route(&["organizations", "api_keys", key_id]);
        let key: wire::ApiKey = self.http.get_json(&DIALECT, profile, &path, &[]).await?;
        Ok(neutral_key(key))
    }

    /// `POST /organizations/api_keys/{id}` with `body`: Anthropic's one way to change
    /// a key. Never retried (a write).
    async fn change(
        &self,
        profile: &Profile,
        key_id: &str,
        body: serde_json::Value,
    ) -> Result<Key, Error> {
        let path = route(&["organizations", "api_keys", key_id]);
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::POST, &path)
            .json(&body);
        let key: wire::ApiKey = self.http.send_json(&DIALECT, profile, request).await?;
        Ok(neutral_key(key))
    }
}

fn neutral_key(key: wire::ApiKey) -> Key {
    let state = match key.status.as_str() {
        "active" => KeyState::Active,
        "inactive" => KeyState::Disabled,
        // Archiving is Anthropic's revocation: final, and the key never works again.
        "archived" => KeyState::Revoked,
        "expired" => KeyState::Expired,
        // A status this adapter does not know is not shown as working.
        _ => KeyState::Disabled,
    };
    let workspace = key
        .scope
        .and_then(|s| s.workspace_id)
        .or(key.workspace_id)
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_owned());
    Key {
        id: key.id,
        name: key.name,
        hint: key.partial_key_hint,
        state,
        scopes: KeyScopes::default(),
        created_at: Some(key.created_at),
        updated_at: None,
        last_used_at: None,
        expires_at: key.expires_at,
        owner: key.created_by.map(|a| a.id),
        project: Some(workspace),
        revoked_at: None,
        archived_at: None,
        totals: None,
        unreadable_scopes: Vec::new(),
        money_used: None,
        guardrail: None,
        steps: Vec::new(),
    }
}

/// Anthropic shows a key as `sk-ant-api03-R2D...igAA`: the characters before the
/// elision start the secret, those after it end it.
fn fits(secret: &str, hint: &str) -> bool {
    let Some((head, tail)) = hint.split_once("...").or_else(|| hint.split_once('…')) else {
        return false;
    };
    !head.is_empty()
        && !tail.is_empty()
        && secret.len() >= head.len() + tail.len()
        && secret.starts_with(head)
        && secret.ends_with(tail)
}

/// Anthropic keys carry none of the gateway's scopes and stay in their workspace: a
/// form that sets one is refused, naming the field, rather than saved without it.
fn refuse_scopes(form: &KeyForm, workspace: Option<&str>) -> Result<(), Error> {
    form.refuse_unsupported(&capabilities())?;
    if let Some(project) = form
        .project
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if Some(project) != workspace {
            return Err(Error::field(
                "project",
                "An Anthropic key stays in the workspace it was made in; create a new key in the other workspace in the Anthropic Console.",
            ));
        }
    }
    Ok(())
}

/// The profile's own organisation id (or nothing) means every workspace.
fn project_filter<'a>(profile: &Profile, project: &'a str) -> Option<&'a str> {
    (!project.is_empty() && project != profile.project_id).then_some(project)
}

fn last_chars(text: &str, n: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
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
            workloads_project_wide: false,
            expiry: Support::no("An Anthropic key's expiry is set when it is created in the Anthropic Console."),
            expiry_editable: false,
            labels: Support::no("Anthropic keys have a name only."),
            description: Support::no("Anthropic keys have a name only."),
            max_parallel: Support::no(per_workspace),
            model_limits: Support::no(per_workspace),
        },
        usage: UsageSupport {
            per_key: yes(),
            per_model: yes(),
            buckets: vec![BucketSize::Minute, BucketSize::Hour, BucketSize::Day],
            history_days: None,
        },
        spend: SpendSupport {
            source: SpendSource::Reported,
            per_key: Support::no("Anthropic reports cost per workspace and line item, not per key: the key tables show tokens."),
        },
        workloads: WorkloadOperations::none(no_workloads),
    }
}

#[async_trait]
impl Platform for Anthropic {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    /// The organisation the admin key belongs to (`GET /organizations/me`). Anthropic
    /// does not say which admin key was used, so the label is its last characters.
    async fn connection(&self, profile: &Profile) -> Result<neutral::Connection, Error> {
        let organisation: wire::Organization = self
            .http
            .get_json(&DIALECT, profile, &route(&["organizations", "me"]), &[])
            .await?;
        if !profile.project_id.is_empty() && profile.project_id != organisation.id {
            return Err(Error::new(
                ErrorCode::Forbidden,
                format!(
                    "The admin key works, but it belongs to organisation \"{}\" ({}), not to this profile's organisation {}. Use an admin key of that organisation, or clear the profile's organisation.",
                    organisation.name, organisation.id, profile.project_id
                ),
            ));
        }
        Ok(neutral::Connection {
            credential_label: format!(
                "Admin key …{} of {}",
                last_chars(profile.token.expose(), 4),
                organisation.name
            ),
            access: AccessLevel::Owner,
            project: neutral::ProjectRef {
                id: organisation.id,
                name: organisation.name,
            },
        })
    }

    fn recognize_secret(&self, secret: &str) -> Recognition {
        if secret.starts_with("sk-ant-api") {
            Recognition::Key
        } else if secret.starts_with("sk-ant-admin") {
            Recognition::NotAKey(
                "This is an Anthropic admin key, not an API key: it manages the whole organisation. If it leaked, revoke it in the Anthropic Console (Settings → Admin keys) now.".to_owned(),
            )
        } else {
            Recognition::Foreign
        }
    }

    async fn list_keys(
        &self,
        profile: &Profile,
        query: &KeyListQuery,
    ) -> Result<neutral::KeyPage, Error> {
        // The query's own checks first: a bad field fails before any request.
        query.to_pairs()?;
        let keys = self.inventory(profile).await?;
        query.select(keys, Utc::now())
    }

    async fn get_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        self.raw_key(profile, key_id).await
    }

    /// A rename: the only change Anthropic allows on a key. Sent only when the name
    /// differs; a revoked (archived) key cannot be renamed.
    async fn update_key(
        &self,
        profile: &Profile,
        key_id: &str,
        form: &KeyForm,
        _now: DateTime<Utc>,
    ) -> Result<Key, Error> {
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(Error::field(
                "name",
                format!("Name must be 1 to {NAME_MAX} characters."),
            ));
        }
        let current = self.raw_key(profile, key_id).await?;
        refuse_scopes(form, current.project.as_deref())?;
        if current.name == name {
            return Ok(current);
        }
        if current.state == KeyState::Revoked {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!("Key \"{}\" is revoked (archived on Anthropic), and Anthropic does not let an archived key be renamed.", current.name),
            ));
        }
        self.change(profile, key_id, serde_json::json!({ "name": name }))
            .await
    }

    /// `inactive` pauses a key, `active` resumes it; a revoked (archived) or expired
    /// key cannot be enabled again, said before anything is sent.
    async fn set_disabled(
        &self,
        profile: &Profile,
        key_id: &str,
        disabled: bool,
    ) -> Result<Key, Error> {
        let current = self.raw_key(profile, key_id).await?;
        let final_state = match current.state {
            KeyState::Revoked => Some(
                "was revoked, which archives it on Anthropic; an archived key never works again",
            ),
            KeyState::Expired => {
                Some("has expired, and Anthropic does not reactivate an expired key")
            }
            _ => None,
        };
        if let Some(why) = final_state {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!(
                    "Key \"{}\" {why}. Create a new key in the Anthropic Console (console.anthropic.com → API keys) if one is needed.",
                    current.name
                ),
            ));
        }
        let wanted = if disabled {
            KeyState::Disabled
        } else {
            KeyState::Active
        };
        if current.state == wanted {
            return Ok(current);
        }
        let status = if disabled { "inactive" } else { "active" };
        self.change(profile, key_id, serde_json::json!({ "status": status }))
            .await
    }

    /// Archives the key: Anthropic's revocation (see the capabilities). A key already
    /// archived is returned as it is.
    async fn revoke_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let current = self.raw_key(profile, key_id).await?;
        if current.state == KeyState::Revoked {
            return Ok(current);
        }
        self.change(profile, key_id, serde_json::json!({ "status": "archived" }))
            .await
    }

    async fn identify_key(&self, profile: &Profile, secret: &Secret) -> Result<Identified, Error> {
        let keys = self.inventory(profile).await?;
        let candidates = keys
            .into_iter()
            .filter(|k| k.hint.as_deref().is_some_and(|h| fits(secret.expose(), h)))
            .collect();
        Ok(Identified {
            keys: candidates,
            exact: false,
        })
    }

    /// The default workspace (which Anthropic does not list) and every workspace that
    /// is not archived.
    async fn list_projects(&self, profile: &Profile) -> Result<Vec<neutral::ProjectRef>, Error> {
        let workspaces: Vec<wire::Workspace> = self
            .all(profile, &route(&["organizations", "workspaces"]))
            .await?;
        let default = neutral::ProjectRef {
            id: DEFAULT_WORKSPACE.to_owned(),
            name: "Default workspace".to_owned(),
        };
        Ok(std::iter::once(default)
            .chain(
                workspaces
                    .into_iter()
                    .filter(|w| w.archived_at.is_none())
                    .map(|w| neutral::ProjectRef {
                        id: w.id,
                        name: w.name,
                    }),
            )
            .collect())
    }

    async fn usage(
        &self,
        profile: &Profile,
        project: &str,
        query: &neutral::UsageQuery,
    ) -> Result<neutral::UsageReport, Error> {
        usage::messages(self, profile, project_filter(profile, project), query).await
    }

    async fn reported_costs(
        &self,
        profile: &Profile,
        query: &neutral::CostQuery,
    ) -> Result<Vec<neutral::ReportedCost>, Error> {
        usage::costs(self, profile, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_fits_a_partial_hint_by_its_visible_characters() {
        let secret = "sk-ant-api03-R2Dabcdefghijklmnopqrstuvwxyz-igAA";
        assert!(fits(secret, "sk-ant-api03-R2D...igAA"));
        assert!(!fits(secret, "sk-ant-api03-R2E...igAA"));
        assert!(!fits(secret, "sk-ant-api03-R2D...igAB"));
        assert!(
            !fits("sk-ant-api03-R2DigAA", "sk-ant-api03-R2D...gAAigAA"),
            "too short"
        );
        assert!(!fits(secret, "no elision here"));
    }

    #[test]
    fn secrets_are_recognised_by_their_prefix() {
        let anthropic = Anthropic::new(Http::new());
        assert_eq!(
            anthropic.recognize_secret("sk-ant-api03-abc"),
            Recognition::Key
        );
        match anthropic.recognize_secret("sk-ant-admin01-abc") {
            Recognition::NotAKey(says) => assert!(says.contains("Settings → Admin keys"), "{says}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            anthropic.recognize_secret("sk-proj-abc"),
            Recognition::Foreign
        );
    }
}
