//! The Keyward gateway's control-plane routes, used by the adapter in [`super`] and,
//! for the gateway-only screens (workload create/edit, readiness), by the console
//! through [`crate::Console::keyward`].
//!
//! Requests go through the shared [`Http`] transport; what is Keyward's own is the
//! credential (a control token, `Authorization: Bearer`) and the error body
//! `{error:{code,message,field}}`, passed through so field errors land on the right
//! form field.

use crate::keys::KeyListQuery;
use crate::platform::http::{read_json, route, transport_error, Dialect, Http, RemoteError};
use crate::ErrorCode;
use crate::{Error, Profile};
use keyward_api::{
    AuditPage, CreateKeyRequest, CreatedKey, ErrorBody, InferenceKey, KeyPage, KeyUsage,
    RotateKeyRequest, Secret, UpdateKeyRequest, WhoAmI,
};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

/// How the gateway's failures read: its codes and fields are the console's own.
pub(crate) const DIALECT: Dialect = Dialect {
    credential: "control token",
    unauthorized_hint: "",
    authorize: crate::platform::http::bearer,
    read_error: |body| {
        let body: ErrorBody = serde_json::from_slice(body).ok()?;
        Some(RemoteError {
            message: Some(body.error.message),
            field: body.error.field,
            code: Some(body.error.code.into()),
        })
    },
};

/// The gateway's routes over the shared transport.
#[derive(Clone, Default)]
pub struct KeywardClient {
    pub(super) http: Http,
}

impl From<Http> for KeywardClient {
    fn from(http: Http) -> Self {
        Self { http }
    }
}

impl KeywardClient {
    /// A client on its own transport (tests, benches); the console shares one [`Http`].
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_timeouts(connect: std::time::Duration, request: std::time::Duration) -> Self {
        Http::with_timeouts(connect, request).into()
    }

    /// The newest keys, one page of the largest size the gateway serves; the page's
    /// `total` tells the caller when there are more.
    pub async fn list_keys(&self, profile: &Profile) -> Result<KeyPage, Error> {
        let path = route(&["v1", "projects", &profile.project_id, "inference", "keys"]);
        let request = self
            .control(profile, Method::GET, &path)
            .query(&[("limit", "200")]);
        self.send(profile, request).await
    }

    /// Creates a key with just a name (every scope at its default).
    pub async fn create_key(&self, profile: &Profile, name: &str) -> Result<CreatedKey, Error> {
        let request = CreateKeyRequest {
            name: Some(name.to_owned()),
            ..Default::default()
        };
        self.create_key_with(profile, &request).await
    }

    /// Creates a key. The response holds the secret: hand it straight to a reveal.
    pub async fn create_key_with(
        &self,
        profile: &Profile,
        request: &CreateKeyRequest,
    ) -> Result<CreatedKey, Error> {
        let path = route(&["v1", "projects", &profile.project_id, "inference", "keys"]);
        let request = self.control(profile, Method::POST, &path).json(request);
        self.send(profile, request).await
    }

    /// One page of keys, filtered, searched and sorted by the gateway.
    pub async fn query_keys(
        &self,
        profile: &Profile,
        query: &KeyListQuery,
    ) -> Result<KeyPage, Error> {
        let path = route(&["v1", "projects", &profile.project_id, "inference", "keys"]);
        let request = self
            .control(profile, Method::GET, &path)
            .query(&query.to_pairs()?);
        self.send(profile, request).await
    }

    /// The project's workloads (for the key dialog's model and workload choices).
    pub async fn list_workloads(
        &self,
        profile: &Profile,
    ) -> Result<keyward_api::workloads::WorkloadList, Error> {
        let path = route(&["api", "projects", &profile.project_id, "workloads"]);
        self.send(profile, self.control(profile, Method::GET, &path))
            .await
    }

    pub async fn get_key(&self, profile: &Profile, key_id: &str) -> Result<InferenceKey, Error> {
        let path = route(&["v1", "inference", "keys", key_id]);
        self.send(profile, self.control(profile, Method::GET, &path))
            .await
    }

    pub async fn update_key(
        &self,
        profile: &Profile,
        key_id: &str,
        patch: &UpdateKeyRequest,
    ) -> Result<InferenceKey, Error> {
        let path = route(&["v1", "inference", "keys", key_id]);
        let request = self.control(profile, Method::PATCH, &path).json(patch);
        self.send(profile, request).await
    }

    /// A new secret for the same key; the old one works for `grace_period_seconds`.
    pub async fn rotate_key(
        &self,
        profile: &Profile,
        key_id: &str,
        grace_period_seconds: i64,
    ) -> Result<CreatedKey, Error> {
        let path = route(&["v1", "inference", "keys", key_id, "rotate"]);
        let body = RotateKeyRequest {
            grace_period_seconds: Some(grace_period_seconds),
        };
        let request = self.control(profile, Method::POST, &path).json(&body);
        self.send(profile, request).await
    }

    /// Archives (`archive = true`) or unarchives a revoked or expired key.
    pub async fn set_archived(
        &self,
        profile: &Profile,
        key_id: &str,
        archive: bool,
    ) -> Result<InferenceKey, Error> {
        let action = if archive { "archive" } else { "unarchive" };
        let path = route(&["v1", "inference", "keys", key_id, action]);
        self.send(profile, self.control(profile, Method::POST, &path))
            .await
    }

    pub async fn key_usage(&self, profile: &Profile, key_id: &str) -> Result<KeyUsage, Error> {
        let path = route(&["v1", "inference", "keys", key_id, "usage"]);
        self.send(profile, self.control(profile, Method::GET, &path))
            .await
    }

    /// The audit trail of one key, newest first.
    pub async fn key_audit(&self, profile: &Profile, key_id: &str) -> Result<AuditPage, Error> {
        let path = route(&["v1", "projects", &profile.project_id, "audit"]);
        let request = self
            .control(profile, Method::GET, &path)
            .query(&[("target_id", key_id), ("limit", "200")]);
        self.send(profile, request).await
    }

    /// Which key of the profile's project a secret belongs to; `None` when it is not
    /// one of theirs. The secret travels in the body, never in a URL.
    pub async fn identify_key(
        &self,
        profile: &Profile,
        secret: &Secret,
    ) -> Result<Option<InferenceKey>, Error> {
        let response = self
            .control(profile, Method::POST, "/v1/inference/keys/identify")
            .json(&serde_json::json!({ "secret": secret.expose() }))
            .send()
            .await
            .map_err(|e| transport_error(profile, &e))?;
        if response.status().is_success() {
            return read_json(profile, response).await.map(Some);
        }
        if response.status() != StatusCode::NOT_FOUND {
            return Err(crate::platform::http::status_error(&DIALECT, profile, response).await);
        }
        // Only the platform's own "no such key" means "not here"; a 404 from something
        // that is not a Keyward API (wrong base URL) must not pass for a clean search.
        match response.json::<ErrorBody>().await {
            Ok(body) if body.error.code == keyward_api::ErrorCode::NotFound => Ok(None),
            _ => Err(Error::new(
                ErrorCode::Upstream,
                format!(
                    "{} does not offer key identification (HTTP 404). Check that the profile's base URL points at a Keyward gateway.",
                    profile.base_url
                ),
            )),
        }
    }

    /// Sends one data-plane request (`GET /v1/models`) with `secret`: the proof that a
    /// revoked key is refused. Returns the HTTP status and the platform's message.
    pub async fn probe_data_plane(
        &self,
        profile: &Profile,
        secret: &Secret,
    ) -> Result<(u16, String), Error> {
        let response = self
            .http
            .client()
            .get(format!("{}/v1/models", profile.base_url))
            .bearer_auth(secret.expose())
            .send()
            .await
            .map_err(|e| transport_error(profile, &e))?;
        let status = response.status().as_u16();
        let message = response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        Ok((status, message))
    }

    pub async fn revoke_key(&self, profile: &Profile, key_id: &str) -> Result<InferenceKey, Error> {
        let path = route(&["v1", "inference", "keys", key_id]);
        self.send(profile, self.control(profile, Method::DELETE, &path))
            .await
    }

    /// *Test connection*: who the profile's token is, and whether it belongs to the
    /// profile's project.
    pub async fn whoami(&self, profile: &Profile) -> Result<WhoAmI, Error> {
        let who = self.token_owner(profile).await?;
        if who.project.id != profile.project_id {
            return Err(Error::new(
                ErrorCode::Forbidden,
                format!(
                    "The token works, but it belongs to project {} (\"{}\"), not to this profile's project {}. Change the profile's project or use a token of that project.",
                    who.project.id, who.project.name, profile.project_id
                ),
            ));
        }
        Ok(who)
    }

    /// Who the profile's token is, whatever project the profile names: a gateway token
    /// belongs to exactly one project, so a new profile learns its project from here.
    pub async fn token_owner(&self, profile: &Profile) -> Result<WhoAmI, Error> {
        self.send(profile, self.control(profile, Method::GET, "/v1/whoami"))
            .await
    }

    pub(crate) fn control(&self, profile: &Profile, method: Method, path: &str) -> RequestBuilder {
        self.http.authorized(&DIALECT, profile, method, path)
    }

    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        profile: &Profile,
        request: RequestBuilder,
    ) -> Result<T, Error> {
        self.http.send_json(&DIALECT, profile, request).await
    }
}
