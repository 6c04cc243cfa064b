//! The one error shape of every Keyward API: `{"error":{"code","message","field"?}}`.
//!
//! `code` is a small closed set the console branches on; `message` is a sentence a
//! person can act on; `field` names the offending input when there is one. Data-plane
//! errors also carry OpenAI's `type` so OpenAI-compatible SDKs raise their usual
//! exceptions.
//!
//! [`ErrorCode`] holds only what a gateway answers over HTTP (it is the OpenAPI
//! document's enum). The console's own failures — the keychain, the reveal panel, a
//! remote it could not reach — are codes of keyward-core's IPC error, which includes
//! these (issue #15: `reveal_closed` and `keychain_locked` were in the gateway's
//! document).

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable machine-readable code of a gateway's HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// The data plane has no workload serving the requested model (OpenAI's code).
    ModelNotFound,
    /// The workload exists but cannot serve now (no upstream, upstream down).
    WorkloadUnavailable,
    /// A service the gateway needs (the Redis its replicas share) is unreachable; the
    /// request was not served (or a change was saved but not yet effective on every
    /// replica: the message says which). Retry shortly.
    Unavailable,
    /// A bug or an unexpected failure; details are in the log, not here.
    Internal,
}

impl ErrorCode {
    /// Every code, for the console's mapping and for tests.
    pub const ALL: [ErrorCode; 12] = [
        Self::InvalidInput,
        Self::InvalidJson,
        Self::PayloadTooLarge,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::Conflict,
        Self::RateLimited,
        Self::ModelNotFound,
        Self::WorkloadUnavailable,
        Self::Unavailable,
        Self::Internal,
    ];
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
