//! Who is calling: a control token on the control plane, an inference key on the
//! data plane, never the other way round (InferenceKey's two planes).
//!
//! The presented string's format and checksum are checked before the database is
//! touched, so garbage and typos cost nothing. Lookups go by SHA-256 (indexed) and the
//! stored hash is then compared in constant time.

use crate::audit::Actor;
use crate::error::ApiError;
use crate::extract::presented_token;
use crate::{keys, projects, Gateway};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use keyward_api::token::{self, TokenKind};
use keyward_api::KeyStatus;
use keyward_api::Role;
use subtle::ConstantTimeEq;

/// The bearer of a valid, unrevoked control token.
#[derive(Debug, Clone)]
pub struct ControlCaller {
    pub project_id: String,
    pub role: Role,
    /// The token as the audit trail names it: id and `name (masked)`, never the secret.
    pub actor: Actor,
}

impl ControlCaller {
    /// Projects and control tokens are managed by the bootstrap owner token only.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Owner => Ok(()),
            Role::Admin | Role::Viewer => Err(ApiError::forbidden(
                "scope_insufficient: only the owner token can manage projects and control tokens.",
            )),
        }
    }

    /// Mutations need an admin or owner token; viewers (finance) only read.
    pub fn require_write(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Owner | Role::Admin => Ok(()),
            Role::Viewer => Err(ApiError::forbidden(
                "scope_insufficient: this control token has the viewer role, which can read but not change anything.",
            )),
        }
    }

    /// The project check every project-addressed control route starts with.
    pub fn require_project(&self, project_id: &str) -> Result<(), ApiError> {
        if self.project_id == project_id {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "project_scope_mismatch: this control token belongs to project {}; it cannot manage project {project_id}.",
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
        let Some(role) = keyward_api::Role::parse(&found.role) else {
            tracing::error!(token_id = %found.id, role = %found.role, "control token with an unknown role");
            return Err(ApiError::forbidden(
                "This control token has no usable role.",
            ));
        };
        Ok(ControlCaller {
            project_id: found.project_id,
            role,
            actor: Actor {
                label: format!("{} ({})", found.name, found.masked),
                id: found.id,
            },
        })
    }
}

/// The bearer of a valid, unrevoked inference key (`Authorization: Bearer` or `X-Api-Key`).
#[derive(Debug, Clone)]
pub struct DataCaller {
    pub key_id: String,
    pub project_id: String,
    /// The key's scopes as cached for the data plane.
    pub key: std::sync::Arc<keys::PresentedKey>,
    /// Across replicas: the change counters read for this request (the workload list
    /// is checked against them too).
    pub versions: Option<crate::cluster::Versions>,
    /// When the key was checked: the request's time for its limits and its usage too
    /// (one clock read per request).
    pub at: chrono::DateTime<chrono::Utc>,
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
        let now = gateway.now();
        let looked_up = gateway
            .key_cache()
            .lookup(gateway.pool(), gateway.cluster(), &hash)
            .await
            .map_err(|error| match error {
                crate::keycache::LookupError::Database(error) => ApiError::from(error),
                crate::keycache::LookupError::Cluster(error) => ApiError::from(error),
            })?;
        let versions = looked_up.as_ref().and_then(|found| found.versions);
        let found = looked_up.map(|found| found.key);
        let Some(found) = found.filter(|k| k.accepts(&hash, now)) else {
            return Err(invalid(
                "Incorrect API key: it is not known to this gateway, or it was rotated and its grace period is over.".into(),
            ));
        };
        match found.status(now) {
            KeyStatus::Active => {}
            KeyStatus::Revoked => return Err(invalid("This API key has been revoked.".into())),
            KeyStatus::Expired => return Err(invalid("This API key has expired.".into())),
            KeyStatus::Archived => {
                return Err(invalid(
                    "This API key has been revoked and archived.".into(),
                ))
            }
        }
        gateway.meter().touch(&found.id, now);
        Ok(DataCaller {
            key_id: found.id.clone(),
            project_id: found.project_id.clone(),
            key: found,
            versions,
            at: now,
        })
    }
}
