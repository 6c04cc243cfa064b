//! Who is calling: a control token on the control plane, an inference key on the
//! data plane, never the other way round (InferenceKey's two planes).
//!
//! The presented string's format and checksum are checked before the database is
//! touched, so garbage and typos cost nothing. Lookups go by SHA-256 (indexed) and the
//! stored hash is then compared in constant time.

use crate::error::ApiError;
use crate::extract::presented_token;
use crate::{keys, projects, Gateway};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use keyward_api::token::{self, TokenKind};
use subtle::ConstantTimeEq;

/// The bearer of a valid, unrevoked control token.
#[derive(Debug, Clone)]
pub struct ControlCaller {
    pub token_id: String,
    pub project_id: String,
    pub role: String,
}

impl ControlCaller {
    /// The project check every project-addressed control route starts with.
    pub fn require_project(&self, project_id: &str) -> Result<(), ApiError> {
        if self.project_id == project_id {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "This control token belongs to project {}; it cannot manage project {project_id}.",
                self.project_id
            )))
        }
    }
}

impl FromRequestParts<Gateway> for ControlCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, gateway: &Gateway) -> Result<Self, ApiError> {
        let presented = presented_token(&parts.headers, false).ok_or_else(|| {
            ApiError::unauthorized(
                "Missing credentials: send `Authorization: Bearer <control token>`.",
            )
        })?;
        match token::parse(presented) {
            Ok(TokenKind::Control) => {}
            Ok(TokenKind::Data) => {
                return Err(ApiError::forbidden(
                    "wrong_credential_type: this is an inference key (kw_live_…); control routes need a control token (kw_ctl_…).",
                ))
            }
            Err(why) => {
                return Err(ApiError::unauthorized(format!(
                    "The control token is not valid: {why}."
                )))
            }
        }
        let hash = token::hash(presented);
        let found = projects::find_control_token(gateway.pool(), &hash).await?;
        let Some(found) = found.filter(|t| bool::from(t.secret_hash.ct_eq(&hash[..]))) else {
            return Err(ApiError::unauthorized(
                "The control token is not recognised by this gateway.",
            ));
        };
        if found.revoked_at.is_some() {
            return Err(ApiError::forbidden("This control token has been revoked."));
        }
        Ok(ControlCaller {
            token_id: found.id,
            project_id: found.project_id,
            role: found.role,
        })
    }
}

/// The bearer of a valid, unrevoked inference key (`Authorization: Bearer` or `X-Api-Key`).
#[derive(Debug, Clone)]
pub struct DataCaller {
    pub key_id: String,
    pub project_id: String,
}

impl FromRequestParts<Gateway> for DataCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, gateway: &Gateway) -> Result<Self, ApiError> {
        let invalid =
            |message: String| ApiError::unauthorized(message).openai_type("invalid_request_error");
        let presented = presented_token(&parts.headers, true).ok_or_else(|| {
            invalid(
                "Missing API key: send `Authorization: Bearer <key>` or `X-Api-Key: <key>`.".into(),
            )
        })?;
        match token::parse(presented) {
            Ok(TokenKind::Data) => {}
            Ok(TokenKind::Control) => {
                return Err(ApiError::forbidden(
                    "wrong_credential_type: control tokens cannot call inference; use an inference key (kw_live_…).",
                )
                .openai_type("permission_error"))
            }
            Err(why) => return Err(invalid(format!("Incorrect API key: {why}."))),
        }
        let hash = token::hash(presented);
        let found = keys::find_by_hash(gateway.pool(), &hash).await?;
        let Some(found) = found.filter(|k| bool::from(k.secret_hash.ct_eq(&hash[..]))) else {
            return Err(invalid(
                "Incorrect API key: it is not known to this gateway.".into(),
            ));
        };
        if found.revoked_at.is_some() {
            return Err(invalid("This API key has been revoked.".into()));
        }
        keys::touch(gateway.pool(), &found.id, Utc::now()).await?;
        Ok(DataCaller {
            key_id: found.id,
            project_id: found.project_id,
        })
    }
}
