//! Gcore inference API keys: addressed by name, scoped by the deployments they are
//! attached to, revoked by detaching then deleting.
//!
//! Why attachments are changed one deployment at a time, each from a fresh read:
//! Gcore keeps a key's scope on the deployments (`api_keys`), and a `PATCH` replaces
//! that whole list. Reading it just before each change keeps a key someone else
//! attached meanwhile. Each step that fails stops the work and says what was already
//! done, naming the deployments, because there is no transaction to roll back into.
//!
//! Why a create whose attachment fails is undone: the secret exists only in the create
//! answer, and an error cannot carry it to the reveal panel. A key left behind would be
//! one nobody can use, so it is detached again and deleted, and the sentence says so.

use super::deployments::{checked_name as checked_deployment, is_label};
use super::{capabilities, inference_path, wire, Gcore, DIALECT};
use crate::keys::{Expiry, KeyForm};
use crate::platform::model::{Key, KeyScopes, KeyState};
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, NaiveDate, Utc};
use keyward_api::{Secret, WorkloadScope};
use reqwest::Method;
use serde_json::{json, Map, Value};

/// Gcore's longest key description.
pub const DESCRIPTION_MAX: usize = 300;

/// A new key's name by Gcore's rules: 4–63 characters, one DNS label. Gcore's create
/// schema also takes dot-joined labels, but its paths cannot address such a key
/// afterwards (no read, edit or delete), so dots are refused here.
fn checked_new_name(name: &str) -> Result<&str, Error> {
    let name = name.trim();
    if !(4..=63).contains(&name.chars().count()) {
        return Err(Error::field(
            "name",
            "A Gcore key name is 4 to 63 characters.",
        ));
    }
    if name.contains('.') {
        return Err(Error::field(
            "name",
            "Gcore makes a key with dots in its name but cannot read, edit or delete it afterwards: use '-' instead of '.'.",
        ));
    }
    if !is_label(name) {
        return Err(Error::field(
            "name",
            "A Gcore key name is lower-case letters, digits and '-', starting and ending with a letter or digit.",
        ));
    }
    Ok(name)
}

/// A key id (its name) as Gcore's paths take it, checked before any request.
fn checked_id(key_id: &str) -> Result<&str, Error> {
    if !(4..=63).contains(&key_id.len()) || !is_label(key_id) {
        return Err(Error::field(
            "key_id",
            format!(
                "“{key_id}” is no Gcore key name (4 to 63 lower-case letters, digits and '-')."
            ),
        ));
    }
    Ok(key_id)
}

fn checked_description(form: &KeyForm) -> Result<Option<String>, Error> {
    let description = form.description.trim();
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(Error::field(
            "description",
            format!("A Gcore key description is at most {DESCRIPTION_MAX} characters."),
        ));
    }
    Ok((!description.is_empty()).then(|| description.to_owned()))
}

/// The form's expiry as Gcore's `expires_at`: a bare date stays a date (Gcore reads it
/// as 00:00 UTC of that day); an instant is sent in UTC. `None` = never.
fn expiry(form: &KeyForm, now: DateTime<Utc>) -> Result<Option<(String, DateTime<Utc>)>, Error> {
    let (text, at) = match &form.expiry {
        Expiry::Keep | Expiry::Never => return Ok(None),
        Expiry::InDays { days } => {
            if !(1..=3650).contains(days) {
                return Err(Error::field(
                    "expires_at",
                    "The expiry must be 1 to 3650 days from now.",
                ));
            }
            let at = now + chrono::Duration::days(*days);
            (at.format("%Y-%m-%dT%H:%M:%SZ").to_string(), at)
        }
        Expiry::Date { date } => {
            let date = date.trim();
            if let Ok(day) = NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                let at = day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
                (date.to_owned(), at)
            } else {
                let at = DateTime::parse_from_rfc3339(date)
                    .map_err(|_| {
                        Error::field("expires_at", "The expiry must be a date like 2027-01-31.")
                    })?
                    .with_timezone(&Utc);
                (at.format("%Y-%m-%dT%H:%M:%SZ").to_string(), at)
            }
        }
    };
    if at <= now {
        return Err(Error::field(
            "expires_at",
            "The expiry must be in the future (a date means 00:00 UTC of that day).",
        ));
    }
    Ok(Some((text, at)))
}

/// The deployments the form attaches the key to: `Only` those; the whole project
/// (the form's default) is none, since a Gcore key calls only what it is attached to.
fn wanted_deployments(form: &KeyForm) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = Vec::new();
    if let WorkloadScope::Only(slugs) = &form.workloads {
        for slug in slugs {
            let name = checked_deployment("workloads", slug)?.to_owned();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    Ok(names)
}

fn neutral_key(key: wire::ApiKey, project: &str, now: DateTime<Utc>) -> Key {
    let state = if key.expires_at.is_some_and(|at| at <= now) {
        KeyState::Expired
    } else {
        KeyState::Active
    };
    Key {
        id: key.name.clone(),
        name: key.name,
        hint: None,
        state,
        scopes: KeyScopes {
            workloads: Some(key.deployment_names),
            description: key.description.filter(|d| !d.is_empty()),
            ..KeyScopes::default()
        },
        created_at: key.created_at,
        updated_at: None,
        last_used_at: None,
        expires_at: key.expires_at,
        owner: None,
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

/// `error` with what had been done before it, in front.
fn after(done: String, error: Error) -> Error {
    Error {
        message: format!("{done} {}", error.message),
        field: None,
        ..error
    }
}

fn listed(names: &[String]) -> String {
    names.join(", ")
}

impl Gcore {
    /// Every key of the project, page by page to the `count` Gcore reports.
    pub(super) async fn key_inventory(&self, profile: &Profile) -> Result<Vec<Key>, Error> {
        let path = inference_path(profile, &["api_keys"])?;
        let keys: Vec<wire::ApiKey> = self.every(profile, &path).await?;
        let now = Utc::now();
        Ok(keys
            .into_iter()
            .map(|k| neutral_key(k, &profile.project_id, now))
            .collect())
    }

    pub(super) async fn read_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let name = checked_id(key_id)?;
        let path = inference_path(profile, &["api_keys", name])?;
        let key: wire::ApiKey = self.http.get_json(&DIALECT, profile, &path, &[]).await?;
        Ok(neutral_key(key, &profile.project_id, Utc::now()))
    }

    /// Adds `key` to (or removes it from) `deployment`'s key list as Gcore has it now;
    /// attaching also makes the deployment require a key. False when nothing changed.
    async fn set_attached(
        &self,
        profile: &Profile,
        deployment: &str,
        key: &str,
        attached: bool,
    ) -> Result<bool, Error> {
        let current = self.deployment(profile, deployment).await?;
        let mut keys = current.api_keys.unwrap_or_default();
        let has = keys.iter().any(|k| k == key);
        if has == attached && (!attached || current.auth_enabled) {
            return Ok(false);
        }
        let mut body = Map::new();
        if attached {
            if !has {
                keys.push(key.to_owned());
            }
            body.insert("auth_enabled".into(), Value::Bool(true));
        } else {
            keys.retain(|k| k != key);
        }
        body.insert("api_keys".into(), json!(keys));
        self.patch_deployment(profile, &current.name, body).await?;
        Ok(true)
    }

    /// Detaches `key` from each of `deployments`, stopping at the first failure with a
    /// sentence naming it and those already done.
    async fn detach_all(
        &self,
        profile: &Profile,
        key: &str,
        deployments: &[String],
        then: &str,
    ) -> Result<(), Error> {
        let mut done: Vec<String> = Vec::new();
        for deployment in deployments {
            if let Err(error) = self.set_attached(profile, deployment, key, false).await {
                let so_far = if done.is_empty() {
                    String::new()
                } else {
                    format!(" It was detached from {} already.", listed(&done))
                };
                return Err(after(
                    format!("Detaching key “{key}” from deployment {deployment} failed, so {then}.{so_far}"),
                    error,
                ));
            }
            done.push(deployment.clone());
        }
        Ok(())
    }

    async fn delete_key(&self, profile: &Profile, name: &str) -> Result<(), Error> {
        let path = inference_path(profile, &["api_keys", name])?;
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::DELETE, &path);
        self.http.send(&DIALECT, profile, request).await.map(|_| ())
    }

    /// `POST …/api_keys`, then each deployment chosen attached; see the module docs for
    /// why a failed attachment undoes the key.
    pub(super) async fn create(
        &self,
        profile: &Profile,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<(Key, Secret), Error> {
        let name = checked_new_name(&form.name)?;
        form.refuse_unsupported(&capabilities())?;
        let description = checked_description(form)?;
        let expires = expiry(form, now)?;
        let deployments = wanted_deployments(form)?;
        // Each deployment must exist before the key does.
        for deployment in &deployments {
            self.deployment(profile, deployment)
                .await
                .map_err(|error| {
                    after(
                        format!(
                            "The key was not created: deployment {deployment} could not be read."
                        ),
                        error,
                    )
                })?;
        }
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        if let Some(description) = description {
            body.insert("description".into(), json!(description));
        }
        if let Some((text, _)) = expires {
            body.insert("expires_at".into(), json!(text));
        }
        let path = inference_path(profile, &["api_keys"])?;
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::POST, &path)
            .json(&Value::Object(body));
        let created: wire::CreatedKey = self.http.send_json(&DIALECT, profile, request).await?;
        let secret = Secret::new(created.secret);
        let mut key = neutral_key(created.key, &profile.project_id, now);
        let mut attached: Vec<String> = Vec::new();
        for deployment in &deployments {
            if let Err(error) = self.set_attached(profile, deployment, name, true).await {
                let reason = error.message.clone();
                let undone = match self
                    .detach_all(profile, name, &attached, "the key could not be deleted")
                    .await
                {
                    Ok(()) => self.delete_key(profile, name).await,
                    Err(e) => Err(e),
                };
                let got = if attached.is_empty() {
                    "no deployment".to_owned()
                } else {
                    listed(&attached)
                };
                let message = match undone {
                    Ok(()) => format!("Key “{name}” was created and attached to {got}, but attaching it to {deployment} failed: {reason} Its secret could not be shown, so Keyward detached it again and deleted it; nothing is left changed. Try again."),
                    Err(e) => format!("Key “{name}” was created and attached to {got}, but attaching it to {deployment} failed: {reason} Undoing that failed too ({}): revoke key “{name}”, whose secret was never shown.", e.message),
                };
                return Err(Error::new(error.code, message));
            }
            attached.push(deployment.clone());
        }
        key.scopes.workloads = Some(attached);
        Ok((key, secret))
    }

    /// The description (the only member Gcore edits on a key), then the attachments
    /// that differ; the key as Gcore has it afterwards.
    pub(super) async fn update(
        &self,
        profile: &Profile,
        key_id: &str,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<Key, Error> {
        let name = checked_id(key_id)?;
        if form.name.trim() != name {
            return Err(Error::field(
                "name",
                "Gcore knows a key by its name, which cannot change: create a new key under the other name.",
            ));
        }
        form.refuse_unsupported(&capabilities())?;
        let description = checked_description(form)?;
        let wanted = wanted_deployments(form)?;
        let current = self.read_key(profile, name).await?;
        let same_expiry = match &form.expiry {
            Expiry::Keep => true,
            Expiry::Never => current.expires_at.is_none(),
            _ => expiry(form, now)?.map(|(_, at)| at) == current.expires_at,
        };
        if !same_expiry {
            return Err(Error::field(
                "expires_at",
                "Gcore sets a key's expiry when the key is made: create a new key for another expiry.",
            ));
        }
        let mut done: Vec<String> = Vec::new();
        if description != current.scopes.description {
            let path = inference_path(profile, &["api_keys", name])?;
            let request = self
                .http
                .authorized(&DIALECT, profile, Method::PATCH, &path)
                .json(&json!({"description": description}));
            let _: wire::ApiKey = self.http.send_json(&DIALECT, profile, request).await?;
            done.push("its description was changed".to_owned());
        }
        let attached = current.scopes.workloads.clone().unwrap_or_default();
        let changes = wanted
            .iter()
            .filter(|d| !attached.contains(d))
            .map(|d| (d, true))
            .chain(
                attached
                    .iter()
                    .filter(|d| !wanted.contains(d))
                    .map(|d| (d, false)),
            );
        for (deployment, attach) in changes {
            if let Err(error) = self.set_attached(profile, deployment, name, attach).await {
                let verb = if attach { "Attaching" } else { "Detaching" };
                let so_far = if done.is_empty() {
                    String::new()
                } else {
                    format!(" Before that, {}.", done.join(", "))
                };
                return Err(after(
                    format!(
                        "{verb} key “{name}” {} deployment {deployment} failed.{so_far}",
                        if attach { "to" } else { "from" }
                    ),
                    error,
                ));
            }
            done.push(format!(
                "it was {} {deployment}",
                if attach {
                    "attached to"
                } else {
                    "detached from"
                }
            ));
        }
        if done.is_empty() {
            return Ok(current);
        }
        self.read_key(profile, name).await
    }

    /// Detaches the key from every deployment it is attached to, then deletes it. A 409
    /// (attached again meanwhile) is met by reading and detaching once more. The key
    /// answered is marked revoked and attached to nothing, its `steps` naming each
    /// deployment it was detached from, then the delete.
    pub(super) async fn revoke(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let mut key = self.read_key(profile, key_id).await?;
        let name = key.id.clone();
        let mut attached = key.scopes.workloads.clone().unwrap_or_default();
        self.detach_all(profile, &name, &attached, "the key was not deleted")
            .await?;
        if let Err(error) = self.delete_key(profile, &name).await {
            if error.code != ErrorCode::Conflict {
                return Err(error);
            }
            let again = self.read_key(profile, &name).await?;
            let meanwhile = again.scopes.workloads.unwrap_or_default();
            self.detach_all(profile, &name, &meanwhile, "the key was not deleted")
                .await?;
            for deployment in meanwhile {
                if !attached.contains(&deployment) {
                    attached.push(deployment);
                }
            }
            self.delete_key(profile, &name).await.map_err(|error| {
                let message = if error.code == ErrorCode::Conflict {
                    format!("Key “{name}” was detached from its deployments, but Gcore still refuses to delete it as attached (someone may be attaching it again); try again.")
                } else {
                    format!("Key “{name}” was detached from its deployments but not deleted: {}", error.message)
                };
                Error::new(error.code, message)
            })?;
        }
        key.state = KeyState::Revoked;
        key.revoked_at = Some(Utc::now());
        key.steps = attached
            .iter()
            .map(|deployment| format!("Detached from deployment “{deployment}”."))
            .chain([format!("Deleted key “{name}”.")])
            .collect();
        key.scopes.workloads = Some(Vec::new());
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_follow_gcore_and_refuse_dots_its_paths_cannot_address() {
        assert_eq!(checked_new_name(" ci-runner ").unwrap(), "ci-runner");
        for bad in [
            "abc",
            "Upper-case",
            "-lead",
            "trail-",
            "a_b_c",
            &"x".repeat(64),
        ] {
            assert_eq!(
                checked_new_name(bad).unwrap_err().field.as_deref(),
                Some("name"),
                "{bad}"
            );
        }
        let dotted = checked_new_name("team.ci-runner").unwrap_err();
        assert!(
            dotted.message.contains("use '-' instead"),
            "{}",
            dotted.message
        );
    }

    #[test]
    fn a_date_is_sent_as_a_date_meaning_midnight_utc() {
        let now = "2026-12-05T12:00:00Z".parse().unwrap();
        let form = |expiry| KeyForm {
            name: "ci-runner".into(),
            description: String::new(),
            rpm: None,
            tpm: None,
            token_limit: None,
            token_limit_period: None,
            allowed_models: None,
            workloads: WorkloadScope::Project,
            labels: Default::default(),
            expiry,
            project: None,
            money_budget: None,
            traffic_limits: None,
        };
        let (text, at) = expiry(
            &form(Expiry::Date {
                date: "2027-01-01".into(),
            }),
            now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (text.as_str(), at.to_rfc3339().as_str()),
            ("2027-01-01", "2027-01-01T00:00:00+00:00")
        );
        let (text, _) = expiry(
            &form(Expiry::Date {
                date: "2027-01-01T00:00:00+01:00".into(),
            }),
            now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(text, "2026-12-31T23:00:00Z");
        assert!(expiry(
            &form(Expiry::Date {
                date: "2026-12-05".into()
            }),
            now
        )
        .is_err());
        assert_eq!(expiry(&form(Expiry::Never), now).unwrap(), None);
    }
}
