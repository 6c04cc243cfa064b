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
