//! The data plane's view of a key: the columns a request needs to be authenticated
//! and authorized, found by the hash of the secret presented, and cached per secret
//! (see `keycache`). Its scopes are parsed once per cached key, not per request.

use super::row::{decode_models, decode_workloads, status_at, Unreadable};
use crate::db::{on, Db};
use chrono::{DateTime, Utc};
use keyward_api::{KeyStatus, WorkloadScope};

/// A key found by the hash of a presented secret: the current secret, or the previous
/// one while its rotation grace lasts.
#[derive(Debug, sqlx::FromRow)]
pub struct PresentedKey {
    pub id: String,
    pub project_id: String,
    pub secret_hash: Vec<u8>,
    pub previous_secret_hash: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// JSON array of model names, or NULL for every model.
    pub allowed_models: Option<String>,
    /// JSON: `"*"` or an array of workload slugs.
    pub workloads: String,
    pub rpm: Option<i64>,
    pub tpm: Option<i64>,
    pub token_limit: Option<i64>,
    pub token_limit_period: Option<String>,
    /// The two JSON scopes above, parsed once per cached key rather than per request.
    #[sqlx(skip)]
    scopes: std::sync::OnceLock<Scopes>,
}

/// A key's model and workload scopes, parsed. `None` = any. A scope that does not
/// parse allows nothing (fails closed).
#[derive(Debug)]
struct Scopes {
    models: Option<Vec<String>>,
    workloads: Option<Vec<String>>,
}

impl PresentedKey {
    /// Whether `hash` is this key's live secret at `now` (constant-time compares).
    pub fn accepts(&self, hash: &[u8; 32], now: DateTime<Utc>) -> bool {
        use subtle::ConstantTimeEq;
        let current = bool::from(self.secret_hash.ct_eq(&hash[..]));
        let previous = self
            .previous_secret_hash
            .as_ref()
            .is_some_and(|h| bool::from(h.ct_eq(&hash[..])))
            && self
                .previous_secret_expires_at
                .is_some_and(|until| now < until);
        current || previous
    }

    pub fn status(&self, now: DateTime<Utc>) -> KeyStatus {
        status_at(self.revoked_at, self.archived_at, self.expires_at, now)
    }

    fn scopes(&self) -> &Scopes {
        self.scopes.get_or_init(|| Scopes {
            models: decode_models(self.allowed_models.as_deref()).unwrap_or(Some(Vec::new())),
            workloads: match decode_workloads(&self.workloads) {
                Ok(WorkloadScope::Project) => None,
                Ok(WorkloadScope::Only(slugs)) => Some(slugs),
                Err(Unreadable) => Some(Vec::new()),
            },
        })
    }

    /// Whether the key may call `model` (any model when it has no list).
    pub fn allows_model(&self, model: &str) -> bool {
        self.scopes()
            .models
            .as_ref()
            .is_none_or(|models| models.iter().any(|m| m == model))
    }

    /// Whether the key may call the workload `slug` (any when its scope is `"*"`).
    pub fn allows_workload(&self, slug: &str) -> bool {
        self.scopes()
            .workloads
            .as_ref()
            .is_none_or(|slugs| slugs.iter().any(|s| s == slug))
    }
}

pub async fn find_by_hash(pool: &Db, secret_hash: &[u8; 32]) -> sqlx::Result<Option<PresentedKey>> {
    on!(pool, |e| sqlx::query_as(
        "SELECT id, project_id, secret_hash, previous_secret_hash, previous_secret_expires_at,
                revoked_at, archived_at, expires_at, allowed_models, workloads, rpm, tpm,
                token_limit, token_limit_period
         FROM inference_keys WHERE secret_hash = $1
         UNION ALL
         SELECT id, project_id, secret_hash, previous_secret_hash, previous_secret_expires_at,
                revoked_at, archived_at, expires_at, allowed_models, workloads, rpm, tpm,
                token_limit, token_limit_period
         FROM inference_keys WHERE previous_secret_hash = $1
         LIMIT 1",
    )
    .bind(&secret_hash[..])
    .fetch_optional(e)
    .await)
}
