//! HTTP errors of the gateway, rendered as `{"error":{"code","message","field"?}}`.
//!
//! Handlers return `Result<_, ApiError>`; an unexpected failure is logged in full on
//! the server and answered with a short honest sentence, never with internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyward_api::{ErrorBody, ErrorCode};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody::new(code, message),
        }
    }

    /// 400 for one input field, named in the response.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message);
        error.body.error.field = Some(field.to_owned());
        error
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// Sets OpenAI's `type`, for data-plane responses read by OpenAI-compatible SDKs.
    pub fn openai_type(mut self, kind: &str) -> Self {
        self.body.error.kind = Some(kind.to_owned());
        self
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "The gateway's database failed; the request was not applied. Check the gateway log.",
        )
    }
}

/// Redis was needed and could not be asked: 503, and what it means for the caller.
impl From<crate::cluster::Unavailable> for ApiError {
    fn from(error: crate::cluster::Unavailable) -> Self {
        tracing::error!(%error, "shared Redis unreachable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "The gateway cannot reach the Redis its replicas share, so it cannot check \
             revocations or limits made elsewhere; it refuses requests until Redis answers \
             again. Retry shortly.",
        )
    }
}

impl ApiError {
    /// 503 for a change that is committed but that the other replicas could not be
    /// told about: safe to repeat (every repeat tells them again).
    pub fn unshared(error: crate::cluster::Unavailable) -> Self {
        tracing::error!(%error, "change saved but not announced to the other replicas");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "The change is saved, but the gateway could not reach the Redis its replicas \
             share to make it take effect on all of them. Send the same request again: \
             repeating it is safe and completes the change everywhere.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is left unread, so the server closes the connection
            // after this answer. Saying so keeps a client from sending its next request
            // on it (which would fail as a broken connection, not as an answer).
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}
