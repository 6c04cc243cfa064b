//! Gcore Everywhere Inference as a platform (issue #19): an account's permanent API
//! token manages a cloud project's inference API keys and the deployments they guard.
//!
//! How Gcore differs, and how the console meets it:
//! - **Keys are addressed by name** (the key's id here is its name) and carry no
//!   prefix, mask or fingerprint: the secret is shown once, when the key is made, and
//!   a pasted secret can never be matched to a key.
//! - **A key's scope is attachment.** A deployment lists the key names it accepts
//!   (`api_keys`, with `auth_enabled`); a key reports them back as `deployment_names`.
//!   Attaching and detaching is a `PATCH` of the deployment's whole key list, read
//!   fresh just before, so a key someone attached meanwhile is kept. There are no
//!   rate, token, money or model limits per key.
//! - **Revoking is two steps**: Gcore answers 409 to deleting a key still attached,
//!   so the key is detached from every deployment, then deleted.
//! - **Deployments are the workloads**, and every change to one is asynchronous: a
//!   create, edit or delete answers with task ids that are followed
//!   (`GET /cloud/v1/tasks/{id}`) until `FINISHED` or `ERROR`; start and stop answer
//!   204 at once.
//! - **A profile is a project, not a region.** The inference API's paths name only the
//!   project (`/cloud/v3/inference/{project_id}/…`); regions appear per deployment, in
//!   its containers (`region_id`) and as a log filter. The SDK's
//!   `GCORE_CLOUD_REGION_ID` is used by other cloud resources, not by
//!   `cloud.inference`, so a profile stores the numeric project id alone.
//! - **Offset paging with a total** (`{count, results}`): read until `count`.
//! - **Errors are `{code, message}`**; a request the schema refuses names its member
//!   first (`name: String should …`), which becomes the form field it blames.

mod deployments;
mod keys;
mod wire;

use super::capabilities::{
    Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport, Support, UsageSupport,
    WorkloadOperations,
};
use super::http::{route, Dialect, Http, RemoteError};
use super::model::{self as neutral, AccessLevel, Key};
use super::workload::{ChangeProgress, LogLine, WorkloadChange, WorkloadDetail, WorkloadSpec};
use super::{paging, Platform, Recognition};
use crate::keys::{KeyForm, KeyListQuery};
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_api::Secret;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::RequestBuilder;
use serde::de::DeserializeOwned;

/// Items per page when reading a list to its end (Gcore allows up to 1000).
const PAGE: usize = 100;

/// `Authorization: APIKey <token>`, the SDK's spelling (Gcore's docs write `apikey`).
fn api_key_header(request: RequestBuilder, profile: &Profile) -> RequestBuilder {
    match HeaderValue::from_str(&format!("APIKey {}", profile.token.expose())) {
        Ok(mut value) => {
            value.set_sensitive(true);
            request.header(AUTHORIZATION, value)
        }
        // A token with a line break cannot be a header; sent without one, Gcore
        // answers 401 and the person is told to replace the token.
        Err(_) => request,
    }
}

/// The form field a Gcore schema member is, in the console's names.
fn console_field(member: &str) -> Option<&'static str> {
    let head = member.split('.').next().unwrap_or(member);
    Some(match head {
        "name" | "api_key_name" | "deployment_name" => "name",
        "description" => "description",
        "expires_at" => "expires_at",
        "image" => "image",
        "flavor_name" => "flavor",
        "listening_port" => "port",
        "containers" => "regions",
        "envs" => "env",
        "command" => "command",
        "auth_enabled" => "auth_enabled",
        "probes" => "probes",
        "api_keys" => "workloads",
        "project_id" => "project_id",
        _ => return None,
    })
}

pub(crate) const DIALECT: Dialect = Dialect {
    credential: "API token",
    unauthorized_hint: "Gcore takes the account's permanent API token (Gcore Customer Portal → Profile → API tokens), sent as `APIKey <token>`; an inference key's secret, which apps use, cannot manage anything.",
    authorize: api_key_header,
    read_error: |body| {
        let body: wire::ErrorBody = serde_json::from_slice(body).ok()?;
        // `name: String should have at least 4 characters`: the member comes first.
        let field = body
            .message
            .split_once(": ")
            .filter(|(member, _)| {
                !member.is_empty()
                    && member
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            })
            .and_then(|(member, _)| console_field(member))
            .map(str::to_owned);
        Some(RemoteError {
            message: Some(body.message),
            field,
            code: None,
        })
    },
};

/// The Gcore adapter; cheap to make (it shares the one HTTP client).
pub struct Gcore {
    http: Http,
}

impl Gcore {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// Every item of an offset-paged list, read until the `count` it reports.
    async fn every<T: DeserializeOwned + Send>(
        &self,
        profile: &Profile,
        path: &str,
    ) -> Result<Vec<T>, Error> {
        let limit = PAGE.to_string();
        let limit = limit.as_str();
        paging::every_page(profile, |offset| async move {
            let offset = offset.unwrap_or_else(|| "0".to_owned());
            let page: wire::Page<T> = self
                .http
                .get_json(
                    &DIALECT,
                    profile,
                    path,
                    &[("limit", limit), ("offset", &offset)],
                )
                .await?;
            let read = offset.parse::<usize>().unwrap_or(0) + page.results.len();
            let more = (read as u64) < page.count && !page.results.is_empty();
            Ok(paging::Page {
                items: page.results,
                next: more.then(|| read.to_string()),
            })
        })
        .await
    }

    /// The projects the token can see.
    async fn projects(&self, profile: &Profile) -> Result<Vec<wire::Project>, Error> {
        self.every(profile, &route(&["cloud", "v1", "projects"]))
            .await
    }
}

/// The profile's project id, which Gcore's paths take as an integer: checked before
/// any request, so a typo is named rather than answered with someone else's 404.
fn project_id(profile: &Profile) -> Result<&str, Error> {
    let id = profile.project_id.trim();
    if id.is_empty() {
        return Err(Error::field(
            "project_id",
            "This Gcore profile names no project: Test connection lists the projects its API token can see; choose one.",
        ));
    }
    if id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::field(
            "project_id",
            format!("A Gcore project ID is a number (such as 379), not “{id}”."),
        ));
    }
    Ok(id)
}

/// `/cloud/v3/inference/{project_id}/{rest…}`.
fn inference_path(profile: &Profile, rest: &[&str]) -> Result<String, Error> {
    let mut segments = vec!["cloud", "v3", "inference", project_id(profile)?];
    segments.extend_from_slice(rest);
    Ok(route(&segments))
}

const NO_LIMITS: &str = "Gcore keys have no request, token or money limits: a key is limited to the deployments it is attached to.";
const NO_USAGE: &str =
    "Gcore bills deployments, not keys: it reports no tokens or spend per key or model.";

/// What Gcore's Everywhere Inference API offers; see the module docs.
pub fn capabilities() -> Capabilities {
    let yes = Support::yes;
    let no_limits = || Support::no(NO_LIMITS);
    Capabilities {
        platform: "Gcore".to_owned(),
        adapter: true,
        keys: KeyOperations {
            create: Support::its_way("Gcore shows a new key's secret once; the key is then attached to the deployments chosen, each of which starts requiring a key."),
            list: yes(),
            get: yes(),
            update: Support::its_way("On Gcore only a key's description and the deployments it is attached to can change; its name and expiry are set when it is made."),
            revoke: Support::its_way("Revoking on Gcore takes two steps, both done here: the key is detached from every deployment it is attached to (Gcore refuses to delete an attached key), then deleted."),
            revoke_removes_record: true,
            disable: Support::no("Gcore cannot pause a key: detach it from its deployments to stop it calling them, or revoke it."),
            archive: Support::no("Gcore deletes revoked keys; there is nothing to archive."),
            rotate: Support::no("Gcore has no rotation: create a new key, attach it to the same deployments, move clients to it, then revoke the old one."),
            rotate_grace: false,
            identify: Support::no("Gcore shows a key's secret only when it is made and keeps no fingerprint of it, so a pasted secret cannot be matched to a key: revoke the keys it may be by name."),
            audit: Support::no("Gcore keeps no audit trail of key changes in its API."),
        },
        scopes: ScopeSupport {
            rpm: no_limits(),
            tpm: no_limits(),
            token_budget: no_limits(),
            token_budget_periods: Vec::new(),
            money_budget: no_limits(),
            money_budget_resets: Vec::new(),
            model_allowlist: Support::no("Gcore keys are not limited by model: attach a key only to the deployments serving the models it may call."),
            workloads: Support::its_way("A Gcore key calls only the deployments it is attached to (which then require a key); attached to none, it calls none."),
            workloads_project_wide: false,
            expiry: yes(),
            expiry_editable: false,
            labels: Support::no("Gcore keys have a name and a description only."),
            description: yes(),
            max_parallel: no_limits(),
            model_limits: no_limits(),
        },
        usage: UsageSupport {
            per_key: Support::no(NO_USAGE),
            per_model: Support::no(NO_USAGE),
            buckets: Vec::new(),
            history_days: Some(0),
        },
        spend: SpendSupport {
            source: SpendSource::Reported,
            per_key: Support::no(NO_USAGE),
        },
        workloads: WorkloadOperations {
            list: yes(),
            create: Support::its_way("Gcore deploys in the background: Keyward follows the deployment's task until it is done or fails."),
            update: Support::its_way("Gcore redeploys a changed deployment in the background: Keyward follows the task until it is done or fails."),
            delete: yes(),
            readiness: Support::no("Gcore reports a deployment's status and each region's ready containers rather than a readiness stream; its page shows them."),
            health: Support::no("Gcore reports a deployment's status and each region's ready containers, with their errors, and keeps no health history."),
            start_stop: yes(),
            logs: yes(),
            fields: deployments::FIELDS.to_vec(),
        },
    }
}

#[async_trait]
impl Platform for Gcore {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    /// `GET /cloud/v1/projects`: the profile's project must be one the token sees; a
    /// profile without one gets the only project there is, or is asked to choose.
    async fn connection(&self, profile: &Profile) -> Result<neutral::Connection, Error> {
        let projects = self.projects(profile).await?;
        let listed = || {
            projects
                .iter()
                .map(|p| format!("{} ({})", p.id, p.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let wanted = profile.project_id.trim();
        let project = if wanted.is_empty() {
            match projects.as_slice() {
                [only] => only,
                [] => {
                    return Err(Error::new(
                        ErrorCode::Forbidden,
                        "The API token works, but it can see no cloud project: create one in the Gcore Customer Portal, or use a token of a user in one.",
                    ))
                }
                _ => {
                    return Err(Error::field(
                        "project_id",
                        format!("The API token can see several projects: {}. Enter the ID of the one this profile manages.", listed()),
                    ))
                }
            }
        } else {
            project_id(profile)?;
            match projects.iter().find(|p| p.id.to_string() == wanted) {
                Some(project) => project,
                None => {
                    return Err(Error::new(
                        ErrorCode::Forbidden,
                        format!(
                            "The API token works, but it cannot see project {wanted}; it sees {}. Use one of those, or a token of a user in project {wanted}.",
                            if projects.is_empty() { "no project".to_owned() } else { listed() }
                        ),
                    ))
                }
            }
        };
        let label = match project.client_id {
            Some(client) => format!("API token of client {client}"),
            None => "API token".to_owned(),
        };
        Ok(neutral::Connection {
            credential_label: label,
            access: AccessLevel::Admin,
            project: neutral::ProjectRef {
                id: project.id.to_string(),
                name: project.name.clone(),
            },
        })
    }

    /// The profile's project only, by its name: the keys and deployments a Gcore profile
    /// shows all live in its one project, so the key form has nothing to choose and the
    /// list no project column (Test connection lists every project the token sees).
    async fn list_projects(&self, profile: &Profile) -> Result<Vec<neutral::ProjectRef>, Error> {
        Ok(self
            .projects(profile)
            .await?
            .into_iter()
            .filter(|p| p.id.to_string() == profile.project_id.trim())
            .map(|p| neutral::ProjectRef {
                id: p.id.to_string(),
                name: p.name,
            })
            .collect())
    }

    /// Gcore secrets are opaque, with no prefix to know them by.
    fn recognize_secret(&self, _secret: &str) -> Recognition {
        Recognition::Foreign
    }

    async fn list_keys(
        &self,
        profile: &Profile,
        query: &KeyListQuery,
    ) -> Result<neutral::KeyPage, Error> {
        // The query's own checks first: a bad field fails before any request.
        query.to_pairs()?;
        let keys = self.key_inventory(profile).await?;
        query.select(keys, Utc::now())
    }

    async fn get_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        self.read_key(profile, key_id).await
    }

    async fn create_key(
        &self,
        profile: &Profile,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<(Key, Secret), Error> {
        self.create(profile, form, now).await
    }

    async fn update_key(
        &self,
        profile: &Profile,
        key_id: &str,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<Key, Error> {
        self.update(profile, key_id, form, now).await
    }

    async fn revoke_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        self.revoke(profile, key_id).await
    }

    async fn list_workloads(&self, profile: &Profile) -> Result<Vec<neutral::WorkloadRef>, Error> {
        self.workloads(profile).await
    }

    async fn get_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<WorkloadDetail, Error> {
        self.workload_detail(profile, workload_id).await
    }

    async fn create_workload(
        &self,
        profile: &Profile,
        spec: &WorkloadSpec,
    ) -> Result<WorkloadChange, Error> {
        self.deploy(profile, spec).await
    }

    async fn update_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
        spec: &WorkloadSpec,
    ) -> Result<WorkloadChange, Error> {
        self.redeploy(profile, workload_id, spec).await
    }

    async fn delete_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<WorkloadChange, Error> {
        self.undeploy(profile, workload_id).await
    }

    async fn set_workload_running(
        &self,
        profile: &Profile,
        workload_id: &str,
        running: bool,
    ) -> Result<WorkloadChange, Error> {
        self.start_stop(profile, workload_id, running).await
    }

    async fn workload_change(
        &self,
        profile: &Profile,
        follow: &str,
    ) -> Result<ChangeProgress, Error> {
        self.task(profile, follow).await
    }

    async fn workload_logs(
        &self,
        profile: &Profile,
        workload_id: &str,
        limit: u32,
    ) -> Result<Vec<LogLine>, Error> {
        self.logs(profile, workload_id, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_console_field_its_message_starts_with() {
        let read = |message: &str| {
            (DIALECT.read_error)(
                serde_json::json!({"code": 422, "message": message})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap()
            .field
        };
        assert_eq!(
            read("name: String should have at least 4 characters").as_deref(),
            Some("name")
        );
        assert_eq!(
            read("containers.0.scale.max: Input should be less than or equal to 300").as_deref(),
            Some("regions")
        );
        assert_eq!(
            read("flavor_name: Field required").as_deref(),
            Some("flavor")
        );
        assert_eq!(read("Region 8 does not exist: really").as_deref(), None);
        assert_eq!(read("Invalid API token.").as_deref(), None);
    }

    #[test]
    fn a_project_id_is_a_number_checked_before_any_request() {
        let mut profile = Profile {
            id: "g".into(),
            name: "Gcore".into(),
            kind: super::super::PlatformKind::Gcore,
            base_url: "http://127.0.0.1:9".into(),
            project_id: "379".into(),
            token: Secret::new("t".into()),
        };
        assert_eq!(
            inference_path(&profile, &["api_keys"]).unwrap(),
            "/cloud/v3/inference/379/api_keys"
        );
        profile.project_id = "../380".into();
        let error = inference_path(&profile, &["api_keys"]).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("project_id"));
        profile.project_id = String::new();
        assert!(project_id(&profile).is_err());
    }
}
