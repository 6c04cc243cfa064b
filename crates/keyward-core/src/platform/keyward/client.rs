//! HTTP client for the Keyward gateway's control plane, used by the adapter in
//! [`super`] and, for the calls not yet in the neutral model, by the console directly.
//!
//! One `reqwest::Client` with connect and request timeouts serves every profile.
//! Each remote failure becomes an [`Error`] whose sentence says what happened, where,
//! and what to do; the gateway's own `{error:{code,message,field}}` is passed through
//! so field errors land on the right form field.

use crate::keys::KeyListQuery;
use crate::ErrorCode;
use crate::{Error, Profile};
use keyward_api::{
    AuditPage, CreateKeyRequest, CreatedKey, ErrorBody, InferenceKey, KeyPage, KeyUsage,
    RotateKeyRequest, Secret, UpdateKeyRequest, WhoAmI,
};
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct PlatformClient {
    http: reqwest::Client,
}

impl Default for PlatformClient {
    fn default() -> Self {
        Self::new()
    }
}

impl PlatformClient {
    pub fn new() -> Self {
        Self::with_timeouts(CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    pub fn with_timeouts(connect: Duration, request: Duration) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(request)
            .user_agent(concat!("keyward/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client configuration is static and valid");
        Self { http }
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
        if response.status() != StatusCode::NOT_FOUND {
            return Self::read(profile, response).await.map(Some);
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
        self.http
            .request(method, format!("{}{path}", profile.base_url))
            .bearer_auth(profile.token.expose())
            .header(header::ACCEPT, "application/json")
    }

    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        profile: &Profile,
        request: RequestBuilder,
    ) -> Result<T, Error> {
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(profile, &e))?;
        Self::read(profile, response).await
    }

    async fn read<T: DeserializeOwned>(profile: &Profile, response: Response) -> Result<T, Error> {
        let status = response.status();
        if !status.is_success() {
            return Err(status_error(profile, response).await);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(profile, &e))?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::new(
                ErrorCode::Upstream,
                format!(
                    "{} answered in a format Keyward does not understand ({e}). Check that the profile's base URL points at a Keyward-compatible API.",
                    profile.base_url
                ),
            )
        })
    }
}

/// A path from its segments, each percent-encoded: ids and project ids come from the
/// UI and from profiles, and one holding `/`, `?`, `#` or `%` must reach its own route
/// (or be refused by it), never another one. Build every path with this.
pub(crate) fn route(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| format!("/{}", encode_segment(segment)))
        .collect()
}

/// Escapes everything outside the unreserved set.
pub(crate) fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn transport_error(profile: &Profile, error: &reqwest::Error) -> Error {
    let base = &profile.base_url;
    if error.is_timeout() {
        return Error::new(
            ErrorCode::Timeout,
            format!("{base} did not answer in time. The platform may be overloaded or unreachable; try again."),
        );
    }
    if error.is_connect() {
        let detail = std::iter::successors(std::error::Error::source(error), |e| e.source())
            .last()
            .map(ToString::to_string)
            .unwrap_or_default();
        let what = if detail.to_lowercase().contains("certificate")
            || detail.to_lowercase().contains("tls")
        {
            format!("A secure (TLS) connection to {base} failed: {detail}. Check the URL and the server's certificate.")
        } else {
            format!("Cannot reach {base} ({detail}). Check that the platform is running and the profile's base URL is right.")
        };
        return Error::new(ErrorCode::Unavailable, what);
    }
    Error::new(
        ErrorCode::Unavailable,
        format!("The request to {base} failed: {error}."),
    )
}

pub(crate) async fn status_error(profile: &Profile, response: Response) -> Error {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let remote: Option<ErrorBody> = response.json().await.ok();
    // A conflict can name its field (a duplicate workload slug): keep it for the form.
    let conflict_field = (status == StatusCode::CONFLICT)
        .then(|| remote.as_ref().and_then(|b| b.error.field.clone()))
        .flatten();
    let remote_message = remote
        .as_ref()
        .map(|b| b.error.message.trim_end_matches('.').to_owned());
    let said = |fallback: &str| {
        remote_message
            .clone()
            .unwrap_or_else(|| fallback.to_owned())
    };
    let name = &profile.name;
    let (code, message) = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            if let Some(body) = remote {
                return Error {
                    code: body.error.code.into(),
                    message: body.error.message,
                    field: body.error.field,
                };
            }
            (ErrorCode::InvalidInput, "The platform rejected the request as invalid.".to_owned())
        }
        StatusCode::UNAUTHORIZED => (
            ErrorCode::Unauthorized,
            format!("The control token of profile \"{name}\" was rejected (401: {}). Replace the token in the profile.", said("not authorized")),
        ),
        StatusCode::FORBIDDEN => (
            ErrorCode::Forbidden,
            format!("Profile \"{name}\" may not do this (403: {}).", said("forbidden")),
        ),
        StatusCode::NOT_FOUND => (
            ErrorCode::NotFound,
            format!("Not found (404: {}). It may have been deleted; refresh the list.", said("no such resource")),
        ),
        StatusCode::CONFLICT => (
            ErrorCode::Conflict,
            format!("The change conflicts with the current state (409: {}). Refresh and try again.", said("conflict")),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            format!("The request was too large for the platform (413: {}).", said("payload too large")),
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            ErrorCode::RateLimited,
            match retry_after {
                Some(seconds) => format!("The platform is rate-limiting this profile. Try again in {seconds} s."),
                None => "The platform is rate-limiting this profile. Wait a moment and try again.".to_owned(),
            },
        ),
        s if s.is_server_error() => (
            ErrorCode::Upstream,
            format!(
                "{} failed with HTTP {} ({}). Nothing was changed by Keyward; try again, and check the platform's logs if it persists.",
                profile.base_url,
                s.as_u16(),
                said(s.canonical_reason().unwrap_or("server error"))
            ),
        ),
        s => (ErrorCode::Upstream, format!("{} answered with unexpected HTTP {}: {}.", profile.base_url, s.as_u16(), said("no details"))),
    };
    Error {
        field: conflict_field,
        ..Error::new(code, message)
    }
}
