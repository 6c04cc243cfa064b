//! The console's error: `{code, message, field}` across IPC, like the gateway's.
//!
//! `message` is always a sentence a person can act on: what failed, against which
//! platform, and what to do. Remote failures (unreachable, TLS, timeout, 401, 403,
//! 404, 409, 429 with Retry-After, 5xx, malformed JSON) each get their own wording
//! in `client`. Never contains a secret.

use keyward_api::ErrorCode;
use serde::Serialize;

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
