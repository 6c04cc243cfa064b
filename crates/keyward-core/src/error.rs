//! The console's error: `{code, message, field}` across IPC, like the gateway's.
//!
//! `message` is always a sentence a person can act on: what failed, against which
//! platform, and what to do. Remote failures (unreachable, TLS, timeout, 401, 403,
//! 404, 409, 429 with Retry-After, 5xx, malformed JSON) each get their own wording
//! in `client`. Never contains a secret.
//!
//! [`ErrorCode`] is the console's own set: every code a gateway answers with
//! ([`keyward_api::ErrorCode`], converted by `From`) plus the console's failures —
//! the keychain, the reveal panel, remotes it could not reach or use. They are two
//! types so that the gateway's OpenAPI document lists only what a gateway sends.

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A field failed validation; `field` says which.
    InvalidInput,
    /// The body was not well-formed JSON of the expected shape.
    InvalidJson,
    /// The body exceeded the size limit.
    PayloadTooLarge,
    /// No credential, or one that is malformed, unknown or revoked.
    Unauthorized,
    /// A valid credential that may not do this (wrong plane, project or role).
    Forbidden,
    /// The addressed resource does not exist (or is not visible to the caller).
    NotFound,
    /// The request conflicts with the resource's current state.
    Conflict,
    /// Too many requests; retry after the indicated delay.
    RateLimited,
    /// The server or a dependency is unreachable or not ready.
    Unavailable,
    /// A request did not complete in time.
    Timeout,
    /// A remote server answered with something the console could not use.
    Upstream,
    /// The data plane has no workload serving the requested model (OpenAI's code).
    ModelNotFound,
    /// The workload exists but cannot serve now (no upstream, upstream down).
    WorkloadUnavailable,
    /// The console's reveal-once panel was already closed; the secret is gone.
    RevealClosed,
    /// The OS keychain is locked (or its unlock prompt was dismissed).
    KeychainLocked,
    /// No keychain service is reachable (e.g. no Secret Service on the session bus).
    KeychainUnavailable,
    /// The profile's keychain entry is gone.
    KeychainMissing,
    /// The value is larger than the keychain accepts.
    KeychainTooLarge,
    /// Any other keychain failure; details are in the log.
    KeychainFailure,
    /// The platform does not offer this operation; the message says what it offers
    /// instead (or that Keyward has no adapter for it yet).
    Unsupported,
    /// A bug or an unexpected failure; details are in the log, not here.
    Internal,
}

impl ErrorCode {
    /// A failure of the OS keychain rather than of a platform or of the input.
    pub fn is_keychain(self) -> bool {
        matches!(
            self,
            Self::KeychainLocked
                | Self::KeychainUnavailable
                | Self::KeychainMissing
                | Self::KeychainTooLarge
                | Self::KeychainFailure
        )
    }
}

/// A gateway's code, as the console carries it.
impl From<keyward_api::ErrorCode> for ErrorCode {
    fn from(code: keyward_api::ErrorCode) -> Self {
        use keyward_api::ErrorCode as Http;
        match code {
            Http::InvalidInput => Self::InvalidInput,
            Http::InvalidJson => Self::InvalidJson,
            Http::PayloadTooLarge => Self::PayloadTooLarge,
            Http::Unauthorized => Self::Unauthorized,
            Http::Forbidden => Self::Forbidden,
            Http::NotFound => Self::NotFound,
            Http::Conflict => Self::Conflict,
            Http::RateLimited => Self::RateLimited,
            Http::ModelNotFound => Self::ModelNotFound,
            Http::WorkloadUnavailable => Self::WorkloadUnavailable,
            Http::Unavailable => Self::Unavailable,
            Http::Internal => Self::Internal,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "specta", specta(rename = "AppError"))]
#[error("{message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// An input error naming the field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidInput,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }
}

/// An id the UI sends back (a key's, a profile's): 1 to `max_len` ASCII letters, digits,
/// `_` or `-`, so it can never smuggle a path segment or a query into a request.
pub fn validate_id(field: &str, id: &str, max_len: usize) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.len() <= max_len
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::field(
            field,
            format!("{field} must be 1–{max_len} letters, digits, '_' or '-'."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// Every code a gateway sends reaches the UI under the same name.
    #[test]
    fn every_gateway_code_keeps_its_name_in_the_console() {
        for code in keyward_api::ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(ErrorCode::from(code)).unwrap(),
                serde_json::to_value(code).unwrap()
            );
        }
    }
}
