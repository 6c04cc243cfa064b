//! The one error shape of every Keyward API: `{"error":{"code","message","field"?}}`.
//!
//! `code` is a small closed set the console branches on; `message` is a sentence a
//! person can act on; `field` names the offending input when there is one. Data-plane
//! errors also carry OpenAI's `type` so OpenAI-compatible SDKs raise their usual
//! exceptions.

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// OpenAI's error type, set on data-plane responses only.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                kind: None,
            },
        }
    }
}
