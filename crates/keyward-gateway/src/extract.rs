//! Request extractors whose rejections speak the gateway's error shape.
//!
//! axum's own `Json` rejects with plain text and 422, and it calls some valid JSON
//! "not JSON" (serde_json reports a number where an enum's name belongs as a syntax
//! error). Here a body is JSON or not by one test — does it parse as any JSON value —
//! and every other failure is a shape error naming the member at fault by its JSON
//! path (`serde_path_to_error`: `labels.team`, `metrics_urls[1]`), in a sentence that
//! says what the member must be, never echoing a string value (it may be a secret).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
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
        if !is_json(req.headers()) {
            // No JSON at all is malformed input like any other: 400, not 415, so that
            // clients have one status to handle for "fix your body".
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidJson,
                "Send a JSON body with `Content-Type: application/json`.",
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidJson,
                    format!(
                        "The request body could not be read: {}",
                        rejection.body_text()
                    ),
                )
            }
        })?;
        from_json(&body).map(ApiJson)
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!(
            "The request body is larger than the {} limit.",
            crate::BODY_LIMIT_LABEL
        ),
    )
}

/// `application/json` or an `application/…+json` type, parameters aside.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// `T` from a JSON body; an error is either "not JSON" or names the member at fault.
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let not_json = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            "The request body is not valid JSON.",
        )
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => deserializer.end().map(|()| value).map_err(|_| not_json()),
        // Only a body that is no JSON value at all is "not JSON": serde_json also
        // reports a number where an enum's name belongs as a syntax error.
        Err(_) if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() => Err(not_json()),
        Err(error) => Err(shape_error(error.path(), error.inner())),
    }
}

/// `T` from an already parsed JSON value (a PATCH body checked for read-only fields
/// first), with the same errors as [`from_json`].
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| shape_error(e.path(), e.inner()))
}

/// A body that is JSON but not of the expected shape: 400 with the member's path.
fn shape_error(path: &serde_path_to_error::Path, error: &serde_json::Error) -> ApiError {
    let (field, message) = explain(&path.to_string(), &error.to_string());
    let mut api = ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidJson, message);
    api.body.error.field = field;
    api
}

/// The member at fault and a sentence about it, from serde's path and message.
fn explain(path: &str, detail: &str) -> (Option<String>, String) {
    let detail = detail
        .split(" at line ")
        .next()
        .unwrap_or(detail)
        .trim_end_matches('.');
    // serde_path_to_error's path already ends with an unknown field's name; a missing
    // field's path is its parent's.
    let member = |name: &str| {
        if path == "." || path.is_empty() || path == "?" {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let backticked = |rest: &str| rest.split('`').next().unwrap_or_default().to_owned();
    if let Some(rest) = detail.strip_prefix("unknown field `") {
        let field = member(&backticked(rest));
        let known = rest
            .split_once("expected ")
            .map(|(_, known)| {
                let known = known.trim_start_matches("one of ").replace('`', "");
                format!(" Known fields: {known}.")
            })
            .unwrap_or_default();
        let message = format!("{field} is not a field of this request.{known}");
        return (Some(field), message);
    }
    if let Some(rest) = detail.strip_prefix("missing field `") {
        let field = member(&backticked(rest));
        return (Some(field.clone()), format!("{field} is required."));
    }
    let field = (path != "." && !path.is_empty()).then(|| path.to_owned());
    let name = field.as_deref().unwrap_or("The request body");
    let message = if let Some(rest) = detail
        .strip_prefix("invalid type: ")
        .or_else(|| detail.strip_prefix("invalid value: "))
    {
        let (got, want) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another value"));
        if detail.starts_with("invalid value: string") {
            // The right type with a wrong value: say what it must be, not what it was.
            format!("{name} must be {}.", expected(want))
        } else {
            format!("{name} must be {}, not {}.", expected(want), found(got))
        }
    } else if let Some(rest) = detail.strip_prefix("unknown variant `") {
        let allowed = rest
            .split_once("expected ")
            .map(|(_, a)| a.replace('`', ""))
            .unwrap_or_default();
        format!("{name} must be {allowed}.")
    } else if detail.starts_with("expected ident") || detail.starts_with("expected value") {
        format!("{name} must be one of its named values, given as a string.")
    } else if detail.contains("expected struct") {
        format!("{name} must be a JSON object.")
    } else {
        // Custom messages from our own types (e.g. the workloads scope) are sentences
        // already; serde's others are phrases. Neither quotes a string value.
        format!("{name} is not valid: {}.", redact_values(detail))
    };
    (field, message)
}

/// serde's name for an expected type, as a person says it.
fn expected(want: &str) -> String {
    match want {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more".into(),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        w if w.starts_with("struct ") => "an object".into(),
        // serde_json's word for an enum read from a parsed value.
        "string or map" => "one of its named values, given as a string".into(),
        w => redact_values(w),
    }
}

/// serde's description of the value it found, without repeating a string's content.
fn found(got: &str) -> String {
    if got.starts_with("string ") {
        return "a string".into();
    }
    if let Some(n) = got
        .strip_prefix("integer `")
        .or_else(|| got.strip_prefix("floating point `"))
    {
        return n.trim_end_matches('`').to_owned();
    }
    match got {
        "unit value" | "null" => "null".into(),
        "map" => "an object".into(),
        "sequence" => "an array".into(),
        g if g.starts_with("boolean `") => g["boolean `".len()..].trim_end_matches('`').into(),
        g => redact_values(g),
    }
}

/// serde quotes the offending value (`invalid type: string "…", expected i64`); a
/// secret pasted into the wrong field must not come back in an error, so quoted
/// strings are replaced by `a string`.
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
    use super::from_json;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        rpm: Option<i64>,
        period: Option<keyward_api::TokenLimitPeriod>,
        labels: Option<std::collections::BTreeMap<String, String>>,
        urls: Option<Vec<String>>,
    }

    fn error(body: &str) -> (Option<String>, String) {
        let error = from_json::<Body>(body.as_bytes()).unwrap_err().body.error;
        (error.field, error.message)
    }

    #[test]
    fn quoted_values_never_come_back() {
        let (field, message) = error(r#"{"rpm": "kw_live_secretsecret\"x"}"#);
        assert_eq!(field.as_deref(), Some("rpm"));
        assert_eq!(message, "rpm must be a whole number, not a string.");
        let (_, message) = error(r#"{"kw_live_secret": 1}"#);
        assert!(
            message.contains("kw_live_secret"),
            "an unknown field's name is kept: {message}"
        );
    }

    #[test]
    fn every_shape_error_names_its_member() {
        for (body, field, says) in [
            (
                r#"{"rpm": 1.5}"#,
                "rpm",
                "rpm must be a whole number, not 1.5.",
            ),
            (r#"{"period": 3}"#, "period", "period must be one of"),
            (
                r#"{"period": "fortnight"}"#,
                "period",
                "period must be one of",
            ),
            (
                r#"{"labels": {"team": 7}}"#,
                "labels.team",
                "labels.team must be a string, not 7.",
            ),
            (
                r#"{"urls": ["a", false]}"#,
                "urls[1]",
                "urls[1] must be a string, not false.",
            ),
            (
                r#"{"urls": "a"}"#,
                "urls",
                "urls must be an array, not a string.",
            ),
            (
                r#"{"secret": 1}"#,
                "secret",
                "secret is not a field of this request.",
            ),
        ] {
            let (got_field, message) = error(body);
            assert_eq!(got_field.as_deref(), Some(field), "{body}: {message}");
            assert!(message.starts_with(says), "{body}: {message}");
        }
    }

    #[test]
    fn only_a_body_that_is_no_json_is_called_not_json() {
        for body in ["{", "{\"rpm\": }", "", "{} x"] {
            let (field, message) = error(body);
            assert_eq!(
                (field, message.as_str()),
                (None, "The request body is not valid JSON."),
                "{body:?}"
            );
        }
        let (field, message) = error("[1]");
        assert_eq!(field, None);
        assert_eq!(message, "The request body must be a JSON object.");
    }
}
