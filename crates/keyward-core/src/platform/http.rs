//! The one HTTP transport every adapter shares, and the one place a remote failure
//! becomes a sentence.
//!
//! Every platform fails the same ways — it cannot be reached, it is slow, it refuses
//! the credential, it rate-limits, it breaks, it answers something that is not its
//! API — and a person must read each as what happened, where, and what to do, whatever
//! the platform. What differs per platform is only how its error body is shaped and
//! what its credential is called; an adapter says that in a [`Dialect`] and sends
//! every request through [`Http::send_json`], so no adapter writes its own status
//! mapping.
//!
//! Reads (GET) that meet a 429 with `Retry-After` wait and try again a bounded number
//! of times: a rate-limited inventory of 20 projects should finish, not fail on page
//! 7. Writes never retry on their own — a create or revoke sent twice is not the same
//! as once; the user sees the sentence and decides.

use crate::{Error, ErrorCode, Profile};
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// How many times a read is retried after a 429 that says when to come back.
pub const READ_RETRIES: u32 = 2;
/// The longest `Retry-After` a read waits for by itself; a longer one is reported.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// One `reqwest::Client` with connect and request timeouts; cheap to clone, shared
/// by every adapter and profile.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

/// What the platform said in an error body.
#[derive(Debug, Clone, Default)]
pub struct RemoteError {
    pub message: Option<String>,
    /// The form field the platform blamed, in the console's names.
    pub field: Option<String>,
    /// The console's code, when the platform speaks Keyward's codes.
    pub code: Option<ErrorCode>,
}

/// How one platform's failures read.
pub struct Dialect {
    /// What the profile's credential is called ("control token", "admin key").
    pub credential: &'static str,
    /// What a 401 usually means on this platform beyond "wrong credential", e.g.
    /// "OpenAI's organisation endpoints need an admin key (sk-admin-…), not a project key."
    pub unauthorized_hint: &'static str,
    /// Reads the platform's error body (`None` when it is not the platform's shape).
    pub read_error: fn(&[u8]) -> Option<RemoteError>,
    /// Puts the profile's credential on a request the platform's way (Bearer,
    /// `x-api-key` + version, …): the one place each platform says how it is called.
    pub authorize: fn(RequestBuilder, &Profile) -> RequestBuilder,
}

/// `Authorization: Bearer <the profile's credential>`, most platforms' way.
pub fn bearer(request: RequestBuilder, profile: &Profile) -> RequestBuilder {
    request.bearer_auth(profile.token.expose())
}

impl Http {
    pub fn new() -> Self {
        Self::with_timeouts(CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    pub fn with_timeouts(connect: Duration, request: Duration) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(request)
            .user_agent(concat!("keyward/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client configuration is static and valid");
        Self { client }
    }

    /// A request to `{profile.base_url}{path}` accepting JSON; the adapter adds its
    /// credential header.
    pub fn request(&self, profile: &Profile, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", profile.base_url))
            .header(header::ACCEPT, "application/json")
    }

    /// A request to the platform carrying the profile's credential (`dialect.authorize`).
    pub fn authorized(
        &self,
        dialect: &Dialect,
        profile: &Profile,
        method: Method,
        path: &str,
    ) -> RequestBuilder {
        (dialect.authorize)(self.request(profile, method, path), profile)
    }

    /// `GET path?query` with the credential, the answer read as `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        dialect: &Dialect,
        profile: &Profile,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        let request = self
            .authorized(dialect, profile, Method::GET, path)
            .query(query);
        self.send_json(dialect, profile, request).await
    }

    /// Sends and returns the successful response; any failure as a sentence. A GET that
    /// is rate-limited with a `Retry-After` of at most [`MAX_RETRY_AFTER`] is sent again
    /// after that wait, up to [`READ_RETRIES`] times.
    pub async fn send(
        &self,
        dialect: &Dialect,
        profile: &Profile,
        request: RequestBuilder,
    ) -> Result<Response, Error> {
        let is_read = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .is_some_and(|r| r.method() == Method::GET);
        let mut retries_left = if is_read { READ_RETRIES } else { 0 };
        let mut request = request;
        loop {
            let again = if retries_left > 0 {
                request.try_clone()
            } else {
                None
            };
            let response = request
                .send()
                .await
                .map_err(|e| transport_error(profile, &e))?;
            if response.status().is_success() {
                return Ok(response);
            }
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                if let (Some(wait), Some(next)) = (retry_after(&response), again) {
                    if wait <= MAX_RETRY_AFTER {
                        tracing::debug!(profile = %profile.name, ?wait, "rate-limited read; waiting as the platform asked");
                        // The wait is the platform's instruction, not a guess at timing.
                        tokio::time::sleep(wait).await;
                        retries_left -= 1;
                        request = next;
                        continue;
                    }
                }
            }
            return Err(status_error(dialect, profile, response).await);
        }
    }

    /// [`Self::send`], then the body read as `T`.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        dialect: &Dialect,
        profile: &Profile,
        request: RequestBuilder,
    ) -> Result<T, Error> {
        let response = self.send(dialect, profile, request).await?;
        read_json(profile, response).await
    }

    /// The raw client, for requests that are not the admin API (a data-plane probe).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// `Retry-After` in seconds (the form admin APIs send), when present and sane.
pub fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
}

/// A successful body read as `T`; anything else is the wrong API, said as such.
pub async fn read_json<T: DeserializeOwned>(
    profile: &Profile,
    response: Response,
) -> Result<T, Error> {
    let body = response
        .bytes()
        .await
        .map_err(|e| transport_error(profile, &e))?;
    serde_json::from_slice(&body).map_err(|e| malformed(profile, &e))
}

/// The sentence for a body that is not the platform's API.
pub fn malformed(profile: &Profile, error: &serde_json::Error) -> Error {
    let platform = profile.kind.display_name();
    Error::new(
        ErrorCode::Upstream,
        format!(
            "{} answered in a format Keyward does not understand as the {platform} API ({error}). Check that the profile's base URL is the {platform} API root.",
            profile.base_url
        ),
    )
}

/// A path from its segments, each percent-encoded: ids and project ids come from the
/// UI and from profiles, and one holding `/`, `?`, `#` or `%` must reach its own route
/// (or be refused by it), never another one. Every adapter builds every path with this.
pub fn route(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| format!("/{}", encode_segment(segment)))
        .collect()
}

/// Escapes everything outside the unreserved set.
pub fn encode_segment(segment: &str) -> String {
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

/// A request that got no HTTP answer: timeout, refused, TLS, reset.
pub fn transport_error(profile: &Profile, error: &reqwest::Error) -> Error {
    let base = &profile.base_url;
    if error.is_timeout() {
        return Error::new(
            ErrorCode::Timeout,
            format!("{base} did not answer in time. The platform may be overloaded or unreachable; try again."),
        );
    }
    let detail = std::iter::successors(std::error::Error::source(error), |e| e.source())
        .last()
        .map(ToString::to_string)
        .unwrap_or_default();
    if error.is_connect() {
        let what = if detail.to_lowercase().contains("certificate")
            || detail.to_lowercase().contains("tls")
        {
            format!("A secure (TLS) connection to {base} failed: {detail}. Check the URL and the server's certificate.")
        } else {
            format!("Cannot reach {base} ({detail}). Check that the platform is running and the profile's base URL is right.")
        };
        return Error::new(ErrorCode::Unavailable, what);
    }
    if error.is_body() || error.is_decode() || error.is_request() {
        return Error::new(
            ErrorCode::Unavailable,
            format!("The connection to {base} broke before the answer was complete ({detail}). Nothing is known to have changed; refresh and try again."),
        );
    }
    Error::new(
        ErrorCode::Unavailable,
        format!("The request to {base} failed: {error}."),
    )
}

/// An HTTP error status as a sentence in the profile's and platform's words.
pub async fn status_error(dialect: &Dialect, profile: &Profile, response: Response) -> Error {
    let status = response.status();
    let wait = retry_after(&response);
    let body = response.bytes().await.unwrap_or_default();
    let remote = (dialect.read_error)(&body).unwrap_or_default();
    let said = |fallback: &str| {
        remote
            .message
            .as_deref()
            .map(|m| m.trim().trim_end_matches('.').to_owned())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| fallback.to_owned())
    };
    let name = &profile.name;
    let platform = profile.kind.display_name();
    let credential = dialect.credential;
    let (code, message) = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => (
            remote.code.unwrap_or(ErrorCode::InvalidInput),
            match &remote.message {
                Some(message) if remote.code.is_some() => message.clone(),
                _ => format!("{platform} refused the request as invalid ({}: {}).", status.as_u16(), said("no details")),
            },
        ),
        StatusCode::UNAUTHORIZED => (
            ErrorCode::Unauthorized,
            format!(
                "{platform} rejected the {credential} of profile \"{name}\" (401: {}). {}Replace the {credential} in the profile.",
                said("not authorized"),
                hint(dialect.unauthorized_hint)
            ),
        ),
        StatusCode::FORBIDDEN => (
            ErrorCode::Forbidden,
            format!("The {credential} of profile \"{name}\" may not do this on {platform} (403: {}).", said("forbidden")),
        ),
        StatusCode::NOT_FOUND => (
            ErrorCode::NotFound,
            format!("Not found on {platform} (404: {}). It may have been deleted; refresh the list.", said("no such resource")),
        ),
        StatusCode::CONFLICT => (
            ErrorCode::Conflict,
            format!("The change conflicts with the current state on {platform} (409: {}). Refresh and try again.", said("conflict")),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            format!("The request was too large for {platform} (413: {}).", said("payload too large")),
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            ErrorCode::RateLimited,
            match wait {
                Some(wait) => format!("{platform} is rate-limiting profile \"{name}\". Try again in {} s.", wait.as_secs_f64().ceil()),
                None => format!("{platform} is rate-limiting profile \"{name}\". Wait a moment and try again."),
            },
        ),
        s if s.is_server_error() => (
            ErrorCode::Upstream,
            format!(
                "{} failed with HTTP {} ({}). Nothing was changed by Keyward; try again, and check {platform}'s status if it persists.",
                profile.base_url,
                s.as_u16(),
                said(s.canonical_reason().unwrap_or("server error"))
            ),
        ),
        s => (
            ErrorCode::Upstream,
            format!("{} answered with unexpected HTTP {}: {}.", profile.base_url, s.as_u16(), said("no details")),
        ),
    };
    // A refusal can name its field (a duplicate workload slug): keep it for the form.
    let field = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {
            remote.field
        }
        _ => None,
    };
    Error {
        field,
        ..Error::new(code, message)
    }
}

fn hint(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{text} ")
    }
}
