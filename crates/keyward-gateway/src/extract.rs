//! Request extractors whose rejections speak the gateway's error shape.
//!
//! axum's own `Json` rejects with plain text and 422; clients of this API get JSON
//! errors with a code and, where serde can tell, the offending field.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::Json;
use keyward_api::ErrorCode;
use serde::de::DeserializeOwned;

/// A JSON body, or an [`ApiError`] naming what is wrong with it.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

/// serde quotes the offending value (`invalid type: string "…", expected i64`); a
/// secret pasted into the wrong field must not come back in an error, so quoted
/// strings are replaced by `a string`. Field names use backticks and are kept.
fn redact_values(detail: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    while let Some(at) = rest.find("string \"") {
        out.push_str(&rest[..at]);
        out.push_str("a string");
        let quoted = &rest[at + "string \"".len()..];
        let mut end = quoted.len();
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &quoted[end.min(quoted.len())..];
    }
    out.push_str(rest);
    out
}

/// A body that is JSON but not of the expected shape, with the field serde blamed.
pub fn shape_error(error: &serde_json::Error) -> ApiError {
    let detail = redact_values(&error.to_string());
    let mut api = ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidJson,
        format!("The request body has the wrong shape: {detail}."),
    );
    api.body.error.field = field_of(&detail);
    api
}

fn json_error(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!(
                "The request body is larger than the {} limit.",
                crate::BODY_LIMIT_LABEL
            ),
        );
    }
    match rejection {
        JsonRejection::JsonDataError(error) => {
            let detail = redact_values(
                &std::error::Error::source(&error)
                    .map(ToString::to_string)
                    .unwrap_or_else(|| error.body_text()),
            );
            let mut api = ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidJson,
                format!("The request body has the wrong shape: {detail}."),
            );
            api.body.error.field = field_of(&detail);
            api
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            "The request body is not valid JSON.",
        ),
        // No JSON at all is malformed input like any other: 400, not 415, so that
        // clients have one status to handle for "fix your body".
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            "Send a JSON body with `Content-Type: application/json`.",
        ),
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            format!("The request body could not be read: {}", other.body_text()),
        ),
    }
}

/// serde names the field in its messages as "unknown field `x`", "invalid type … for
/// `x`" or "… at line 1 column 9" with a path prefix like "name: invalid type".
fn field_of(detail: &str) -> Option<String> {
    if let Some(rest) = detail.split("unknown field `").nth(1) {
        return rest.split('`').next().map(str::to_owned);
    }
    if let Some(rest) = detail.split("missing field `").nth(1) {
        return rest.split('`').next().map(str::to_owned);
    }
    let (path, _) = detail.split_once(": ")?;
    (!path.contains(' ') && !path.is_empty()).then(|| path.to_owned())
}

/// The token after `Bearer ` in `Authorization`, or the value of `X-Api-Key`.
pub fn presented_token(headers: &axum::http::HeaderMap, allow_x_api_key: bool) -> Option<&str> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        });
    let x_api_key = allow_x_api_key
        .then(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .flatten()
        .map(str::trim);
    // SDKs always send `Authorization: Bearer <api_key>`, even when the key travels in
    // `X-Api-Key` (OpenAI's `default_headers`): a Keyward key in X-Api-Key wins.
    match (bearer, x_api_key) {
        (_, Some(x)) if x.starts_with("kw_") => Some(x),
        (Some(b), _) => Some(b),
        (None, x) => x,
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn quoted_values_never_come_back() {
        let detail = r#"rpm: invalid type: string "kw_live_secretsecret\"x", expected i64 at line 1 column 40"#;
        let redacted = super::redact_values(detail);
        assert_eq!(
            redacted,
            "rpm: invalid type: a string, expected i64 at line 1 column 40"
        );
        assert_eq!(super::field_of(&redacted).as_deref(), Some("rpm"));
    }

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(
            field_of("unknown field `secret`, expected `name` at line 1 column 10").as_deref(),
            Some("secret")
        );
        assert_eq!(
            field_of("name: invalid type: integer `3`, expected a string at line 1 column 10")
                .as_deref(),
            Some("name")
        );
        assert_eq!(field_of("invalid type: integer `3`, expected struct"), None);
    }
}
