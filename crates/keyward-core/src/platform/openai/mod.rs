//! OpenAI's organisation Admin API as a platform (issue #17): an admin key
//! (`sk-admin-…`) sees every project of the organisation.
//!
//! How OpenAI differs, and how the console meets it:
//! - **Keys live in projects.** The inventory is every project's API keys, fetched
//!   concurrently (cursor pages to the end), then filtered, searched, sorted and paged
//!   in memory by the same rules as the gateway's query ([`KeyListQuery::select`]). A
//!   key is addressed within its project, so the console's key id is
//!   `{project_id}.{key_id}`.
//! - **Only service accounts get new keys.** *Create API Key* creates a service
//!   account in the chosen project; its key is the secret, revealed once.
//! - **Revoking a service account's key** means deleting the service account (the API
//!   refuses to delete such a key on its own, with 400): the adapter does that.
//! - **No per-key limits, expiry, pause or rotation**: the capabilities say what OpenAI
//!   offers instead (project rate limits, model permissions and a monthly spend cap,
//!   shown read-only through `Platform::project_limits`).
//! - **Spend is reported** in dollars per key and day (`/organization/costs`), never
//!   recomputed from tokens.
//! - **Identify a leaked key** by its redacted value (prefix and last four
//!   characters): several keys can share it, so candidates are returned as inexact.

mod usage;
mod wire;

use super::capabilities::{
    BucketSize, Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport, Support,
    UsageSupport, WorkloadOperations,
};
use super::http::{route, Dialect, Http, RemoteError};
use super::model::{
    self as neutral, AccessLevel, Key, KeyScopes, KeyState, ModelRateLimit, ModelRule,
    ProjectLimits,
};
use super::{paging, Identified, Platform, Recognition};
use crate::keys::{KeyForm, KeyListQuery};
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use keyward_api::Secret;
use reqwest::Method;
use serde::de::DeserializeOwned;

/// How many projects are read at once: enough to list 20 projects in about one
/// round trip, few enough not to trip OpenAI's rate limit on the admin API.
const CONCURRENT_PROJECTS: usize = 8;
/// The largest page OpenAI serves for projects and keys.
const PAGE: &str = "100";

pub(crate) const DIALECT: Dialect = Dialect {
    credential: "admin key",
    unauthorized_hint: "OpenAI's organisation endpoints need an admin key (sk-admin-…, made under Organization settings → Admin keys); a project or service-account key (sk-proj-…, sk-svcacct-…) cannot list or manage keys.",
    authorize: super::http::bearer,
    read_error: |body| {
        let body: wire::ErrorBody = serde_json::from_slice(body).ok()?;
        Some(RemoteError {
            message: Some(body.error.message),
            // OpenAI's `param` names its own parameters, not the console's form fields.
            field: None,
            code: None,
        })
    },
};

/// The OpenAI adapter; cheap to make (it shares the one HTTP client).
pub struct OpenAi {
    http: Http,
}

impl OpenAi {
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
                query.push(("after", after.as_str()));
            }
            let page: wire::List<T> = self.http.get_json(&DIALECT, profile, path, &query).await?;
            Ok(paging::Page {
                next: page.last_id.filter(|_| page.has_more),
                items: page.data,
            })
        })
        .await
    }

    async fn projects(&self, profile: &Profile) -> Result<Vec<wire::Project>, Error> {
        let projects: Vec<wire::Project> = self
            .all(profile, &route(&["organization", "projects"]))
            .await?;
        Ok(projects
            .into_iter()
            .filter(|p| p.status.as_deref() != Some("archived"))
            .collect())
    }

    /// Every key of every active project, with the project's name beside its id.
    async fn inventory(&self, profile: &Profile) -> Result<Vec<Key>, Error> {
        let projects = self.projects(profile).await?;
        let per_project: Vec<Vec<Key>> = stream::iter(projects)
            .map(|project| async move {
                let path = route(&["organization", "projects", &project.id, "api_keys"]);
                let keys: Vec<wire::ApiKey> = self.all(profile, &path).await?;
                Ok::<_, Error>(
                    keys.into_iter()
                        .map(|key| neutral_key(&project.id, key))
                        .collect(),
                )
            })
            .buffer_unordered(CONCURRENT_PROJECTS)
            .try_collect()
            .await?;
        Ok(per_project.into_iter().flatten().collect())
    }

    async fn raw_key(
        &self,
        profile: &Profile,
        key_id: &str,
    ) -> Result<(String, wire::ApiKey), Error> {
        let (project, key) = split_id(key_id)?;
        let path = route(&["organization", "projects", project, "api_keys", key]);
        Ok((
            project.to_owned(),
            self.http.get_json(&DIALECT, profile, &path, &[]).await?,
        ))
    }

    /// What OpenAI limits per project instead of per key, read-only.
    async fn read_project_limits(
        &self,
        profile: &Profile,
        project_id: &str,
    ) -> Result<ProjectLimits, Error> {
        crate::error::validate_id("project_id", project_id, 128)?;
        let base = ["organization", "projects", project_id];
        let rate_limits: Vec<wire::RateLimit> = self
            .all(profile, &route(&[base[0], base[1], base[2], "rate_limits"]))
            .await?;
        let permissions: Option<wire::ModelPermissions> = self
            .optional(
                profile,
                &route(&[base[0], base[1], base[2], "model_permissions"]),
            )
            .await?;
        let spend: Option<wire::SpendLimit> = self
            .optional(profile, &route(&[base[0], base[1], base[2], "spend_limit"]))
            .await?;
        Ok(ProjectLimits {
            project_id: project_id.to_owned(),
            rate_limits: rate_limits
                .into_iter()
                .map(|l| ModelRateLimit {
                    model: l.model,
                    requests_per_minute: l.max_requests_per_1_minute,
                    tokens_per_minute: l.max_tokens_per_1_minute,
                    requests_per_day: l.max_requests_per_1_day,
                })
                .collect(),
            models: permissions.map(|p| ModelRule {
                allow: p.mode == "allow_list",
                models: p.model_ids,
            }),
            monthly_spend_cap: spend.map(|s| neutral::MoneyBudget {
                micros: i64::try_from(s.threshold_amount)
                    .unwrap_or(i64::MAX / 10_000)
                    .saturating_mul(10_000),
                currency: s.currency.unwrap_or_else(|| "usd".into()).to_uppercase(),
                // OpenAI's only interval is the calendar month.
                reset: match s.interval.as_deref() {
                    None | Some("month") => Some(super::capabilities::BudgetPeriod::Month),
                    Some(_) => None,
                },
            }),
        })
    }

    /// A resource that may not exist (404 = not set).
    async fn optional<T: DeserializeOwned>(
        &self,
        profile: &Profile,
        path: &str,
    ) -> Result<Option<T>, Error> {
        match self.http.get_json(&DIALECT, profile, path, &[]).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The console's id of a key: `{project}.{key}`.
fn join_id(project: &str, key: &str) -> String {
    format!("{project}.{key}")
}

fn split_id(id: &str) -> Result<(&str, &str), Error> {
    id.split_once('.')
        .filter(|(p, k)| !p.is_empty() && !k.is_empty() && !k.contains('.'))
        .ok_or_else(|| {
            Error::field(
                "key_id",
                "An OpenAI key id is the project and the key, as the key list shows it (proj_….key_…).",
            )
        })
}

fn at(seconds: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(seconds, 0).single()
}

fn neutral_key(project: &str, key: wire::ApiKey) -> Key {
    let owner = key
        .owner
        .as_ref()
        .and_then(|owner| match owner.kind.as_deref() {
            Some("service_account") => owner
                .service_account
                .as_ref()
                .map(|sa| format!("Service account {}", sa.name.as_deref().unwrap_or(&sa.id))),
            _ => owner.user.as_ref().map(|u| {
                u.name
                    .clone()
                    .or_else(|| u.email.clone())
                    .unwrap_or_else(|| u.id.clone())
            }),
        });
    // A service account's key is known by its account's name (OpenAI names the key
    // itself "Secret Key" for every account).
    let name = match (
        service_account_name(&key),
        key.name.filter(|n| !n.is_empty()),
    ) {
        (Some(account), _) => account,
        (None, Some(name)) => name,
        (None, None) => key.id.clone(),
    };
    Key {
        id: join_id(project, &key.id),
        name,
        hint: Some(key.redacted_value),
        state: KeyState::Active,
        scopes: KeyScopes::default(),
        created_at: at(key.created_at),
        updated_at: None,
        last_used_at: key.last_used_at.and_then(at),
        expires_at: None,
        owner,
        project: Some(project.to_owned()),
        revoked_at: None,
        archived_at: None,
        totals: None,
        unreadable_scopes: Vec::new(),
        money_used: None,
        guardrail: None,
        steps: Vec::new(),
    }
}

fn service_account_name(key: &wire::ApiKey) -> Option<String> {
    let owner = key.owner.as_ref()?;
    if owner.kind.as_deref() != Some("service_account") {
        return None;
    }
    let account = owner.service_account.as_ref()?;
    Some(account.name.clone().unwrap_or_else(|| account.id.clone()))
}

/// The service account behind a key, if a service account owns it.
fn service_account(key: &wire::ApiKey) -> Option<&str> {
    let owner = key.owner.as_ref()?;
    (owner.kind.as_deref() == Some("service_account"))
        .then(|| owner.service_account.as_ref().map(|sa| sa.id.as_str()))
        .flatten()
}

/// OpenAI shows a key as `sk-proj-****…AbCd` or `sk-abc...def`: the prefix before the
/// elision and the characters after it.
pub(crate) fn redacted_parts(redacted: &str) -> Option<(&str, &str)> {
    let (head, tail) = redacted
        .split_once("...")
        .or_else(|| redacted.split_once('…'))?;
    let head = head.trim_end_matches('*');
    Some((head, tail))
}

/// Does `secret` fit the redacted value `redacted`?
fn fits(secret: &str, redacted: &str) -> bool {
    match redacted_parts(redacted) {
        Some((head, tail)) => {
            !tail.is_empty()
                && secret.len() >= head.len() + tail.len()
                && secret.starts_with(head)
                && secret.ends_with(tail)
        }
        None => false,
    }
}

/// What OpenAI's Admin API offers; see the module docs.
pub fn capabilities() -> Capabilities {
    let yes = Support::yes;
    let per_project = "OpenAI limits projects, not keys: rate limits per model, a model allow or deny list and a monthly spend cap are set per project (shown read-only on the project).";
    Capabilities {
        platform: "OpenAI".to_owned(),
        adapter: true,
        keys: KeyOperations {
            create: Support::its_way("OpenAI creates new keys only for service accounts: Keyward creates a service account in the chosen project and shows its key once."),
            list: yes(),
            get: yes(),
            update: Support::no("OpenAI keys cannot be renamed or limited through the API; limits are set per project."),
            revoke: Support::its_way("Revoking deletes the key; a key owned by a service account is revoked by deleting its service account, as OpenAI requires."),
            revoke_removes_record: true,
            disable: Support::no("OpenAI keys cannot be paused: revoke the key, and create a new one when it is needed again."),
            archive: Support::no("OpenAI deletes revoked keys; there is nothing to archive."),
            rotate: Support::no("OpenAI has no rotation: create a new service-account key, move clients to it, then revoke the old one."),
            rotate_grace: false,
            identify: Support::its_way("OpenAI shows only the start and the last characters of each key, so a pasted secret is matched by those; several keys can match."),
            audit: Support::no("OpenAI's audit log is in the organisation's settings on platform.openai.com."),
        },
        scopes: ScopeSupport {
            rpm: Support::no(per_project),
            tpm: Support::no(per_project),
            token_budget: Support::no(per_project),
            token_budget_periods: Vec::new(),
            money_budget: Support::no(per_project),
            money_budget_resets: Vec::new(),
            model_allowlist: Support::no(per_project),
            workloads: Support::no("OpenAI serves its models itself; there are no workloads to attach."),
            workloads_project_wide: false,
            expiry: Support::no("OpenAI project keys do not expire; revoke a key when it is no longer needed."),
            expiry_editable: false,
            labels: Support::no("OpenAI keys have a name only."),
            description: Support::no("OpenAI keys have a name only."),
            max_parallel: Support::no(per_project),
            model_limits: Support::no(per_project),
        },
        usage: UsageSupport {
            per_key: yes(),
            per_model: yes(),
            buckets: vec![BucketSize::Minute, BucketSize::Hour, BucketSize::Day],
            history_days: None,
        },
        spend: SpendSupport {
            source: SpendSource::Reported,
            per_key: yes(),
        },
        workloads: WorkloadOperations::none("OpenAI serves its models itself; there are no workloads to manage."),
    }
}

#[async_trait]
impl Platform for OpenAi {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    /// The admin key itself, found among the organisation's admin keys by its
    /// redacted value; the organisation from the `openai-organization` header OpenAI
    /// sends with every answer.
    async fn connection(&self, profile: &Profile) -> Result<neutral::Connection, Error> {
        let request = self
            .http
            .authorized(
                &DIALECT,
                profile,
                Method::GET,
                &route(&["organization", "admin_api_keys"]),
            )
            .query(&[("limit", PAGE)]);
        let response = self.http.send(&DIALECT, profile, request).await?;
        let organisation = response
            .headers()
            .get("openai-organization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let keys: wire::List<wire::AdminKey> = super::http::read_json(profile, response).await?;
        let mine = keys
            .data
            .iter()
            .find(|k| fits(profile.token.expose(), &k.redacted_value));
        let credential_label = match mine {
            Some(key) => format!(
                "{} ({}){}",
                key.name.as_deref().unwrap_or(&key.id),
                key.redacted_value,
                key.owner
                    .as_ref()
                    .and_then(|o| o.name.as_deref())
                    .map(|n| format!(", owned by {n}"))
                    .unwrap_or_default()
            ),
            None => "Admin key".to_owned(),
        };
        let id = organisation.unwrap_or_else(|| {
            if profile.project_id.is_empty() {
                "organization".to_owned()
            } else {
                profile.project_id.clone()
            }
        });
        if !profile.project_id.is_empty() && profile.project_id != id {
            return Err(Error::new(
                ErrorCode::Forbidden,
                format!(
                    "The admin key works, but it belongs to organisation {id}, not to this profile's organisation {}. Use an admin key of that organisation, or clear the profile's organisation.",
                    profile.project_id
                ),
            ));
        }
        Ok(neutral::Connection {
            credential_label,
            access: AccessLevel::Owner,
            project: neutral::ProjectRef {
                name: id.clone(),
                id,
            },
        })
    }

    fn recognize_secret(&self, secret: &str) -> Recognition {
        // Admin, project and service-account keys, and legacy user keys (`sk-…`);
        // Anthropic's and OpenRouter's keys start with `sk-` too.
        if secret.starts_with("sk-")
            && !secret.starts_with("sk-ant-")
            && !secret.starts_with("sk-or-")
        {
            Recognition::Key
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
        let (project, key) = self.raw_key(profile, key_id).await?;
        Ok(neutral_key(&project, key))
    }

    /// A service account named after the key, in the form's project (or the first
    /// active project); its key is the secret.
    async fn create_key(
        &self,
        profile: &Profile,
        form: &KeyForm,
        _now: DateTime<Utc>,
    ) -> Result<(Key, Secret), Error> {
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::field("name", "Name must be 1 to 100 characters."));
        }
        form.refuse_unsupported(&capabilities())?;
        let project = match form
            .project
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(project) => {
                crate::error::validate_id("project", project, 128)?;
                project.to_owned()
            }
            None => {
                return Err(Error::field(
                    "project",
                    "Choose the OpenAI project the service account and its key belong to.",
                ))
            }
        };
        let path = route(&["organization", "projects", &project, "service_accounts"]);
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::POST, &path)
            .json(&serde_json::json!({ "name": name }));
        let created: wire::CreatedServiceAccount =
            self.http.send_json(&DIALECT, profile, request).await?;
        let Some(api_key) = created.api_key else {
            return Err(Error::new(
                ErrorCode::Upstream,
                format!(
                    "OpenAI created service account {} but returned no key for it. Delete the service account in project {project} and try again.",
                    created.id
                ),
            ));
        };
        let secret = Secret::new(api_key.value);
        let redacted = format!(
            "{}...{}",
            secret.expose().chars().take(8).collect::<String>(),
            last_chars(secret.expose(), 4)
        );
        let key = Key {
            id: join_id(&project, &api_key.id),
            name: name.to_owned(),
            hint: Some(redacted),
            state: KeyState::Active,
            scopes: KeyScopes::default(),
            created_at: at(api_key.created_at),
            updated_at: None,
            last_used_at: None,
            expires_at: None,
            owner: Some(format!("Service account {name}")),
            project: Some(project),
            revoked_at: None,
            archived_at: None,
            totals: None,
            unreadable_scopes: Vec::new(),
            money_used: None,
            guardrail: None,
            steps: Vec::new(),
        };
        Ok((key, secret))
    }

    /// Deletes the key, or — for a key a service account owns, which OpenAI refuses to
    /// delete alone — the service account.
    async fn revoke_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let (project, raw) = self.raw_key(profile, key_id).await?;
        let path = match service_account(&raw) {
            Some(account) => route(&[
                "organization",
                "projects",
                &project,
                "service_accounts",
                account,
            ]),
            None => route(&["organization", "projects", &project, "api_keys", &raw.id]),
        };
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::DELETE, &path);
        self.http.send(&DIALECT, profile, request).await?;
        let mut key = neutral_key(&project, raw);
        key.state = KeyState::Revoked;
        key.revoked_at = Some(Utc::now());
        Ok(key)
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

    async fn list_projects(&self, profile: &Profile) -> Result<Vec<neutral::ProjectRef>, Error> {
        Ok(self
            .projects(profile)
            .await?
            .into_iter()
            .map(|p| neutral::ProjectRef {
                id: p.id,
                name: p.name,
            })
            .collect())
    }

    async fn usage(
        &self,
        profile: &Profile,
        project: &str,
        query: &neutral::UsageQuery,
    ) -> Result<neutral::UsageReport, Error> {
        usage::completions(self, profile, project_filter(profile, project), query).await
    }

    async fn reported_costs(
        &self,
        profile: &Profile,
        query: &neutral::CostQuery,
    ) -> Result<Vec<neutral::ReportedCost>, Error> {
        usage::costs(self, profile, query).await
    }

    async fn project_limits(
        &self,
        profile: &Profile,
        project: &str,
    ) -> Result<Option<ProjectLimits>, Error> {
        self.read_project_limits(profile, project).await.map(Some)
    }
}

/// The profile's own id is the organisation: no project filter.
fn project_filter<'a>(profile: &Profile, project: &'a str) -> Option<&'a str> {
    (!project.is_empty() && project != profile.project_id).then_some(project)
}

fn last_chars(text: &str, n: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_fits_a_redacted_value_by_its_visible_characters() {
        assert!(fits("sk-proj-abcdefghijklmnopAbCd", "sk-proj-****...AbCd"));
        assert!(fits("sk-abcdefghijklmnopdef", "sk-abc...def"));
        assert!(!fits("sk-proj-abcdefghijklmnopAbCe", "sk-proj-****...AbCd"));
        assert!(!fits("sk-svcacct-abcdefghAbCd", "sk-proj-****...AbCd"));
        assert!(
            !fits("sk-proj-AbCd", "sk-proj-****...AbCdAbCd"),
            "too short to be it"
        );
        assert!(!fits("anything", "no elision here"));
    }

    #[test]
    fn key_ids_carry_their_project() {
        assert_eq!(split_id("proj_1.key_2").unwrap(), ("proj_1", "key_2"));
        for bad in ["key_2", ".key", "proj.", "a.b.c"] {
            assert_eq!(
                split_id(bad).unwrap_err().field.as_deref(),
                Some("key_id"),
                "{bad}"
            );
        }
    }
}
