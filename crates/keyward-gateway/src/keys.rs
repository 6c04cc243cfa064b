//! Inference keys in SQLite: create, list, fetch, revoke, and lookup by secret hash.
//!
//! Every query that addresses a key by id also filters by the caller's project, so a
//! token of one project cannot read or revoke another project's keys even by guessing
//! ids; such a key is simply "not found".

use chrono::{DateTime, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::{InferenceKey, KeyStatus, Secret};
use sqlx::SqlitePool;

#[derive(Debug, sqlx::FromRow)]
struct KeyRow {
    id: String,
    project_id: String,
    name: String,
    masked: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<KeyRow> for InferenceKey {
    fn from(row: KeyRow) -> Self {
        InferenceKey {
            status: if row.revoked_at.is_some() {
                KeyStatus::Revoked
            } else {
                KeyStatus::Active
            },
            id: row.id,
            project_id: row.project_id,
            name: row.name,
            masked: row.masked,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
        }
    }
}

const COLUMNS: &str = "id, project_id, name, masked, created_at, revoked_at, last_used_at";

/// Creates a key and returns it with its secret, which exists nowhere else afterwards.
pub async fn create(
    pool: &SqlitePool,
    project_id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<(InferenceKey, Secret)> {
    let secret = token::generate(TokenKind::Data);
    let id = crate::projects::new_id("key");
    let row: KeyRow = sqlx::query_as(&format!(
        "INSERT INTO inference_keys (id, project_id, name, secret_hash, masked, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
    ))
    .bind(&id)
    .bind(project_id)
    .bind(name)
    .bind(&token::hash(secret.expose())[..])
    .bind(token::masked(secret.expose()))
    .bind(now)
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok((row.into(), secret))
}

/// Every key of the project, newest first.
pub async fn list(pool: &SqlitePool, project_id: &str) -> sqlx::Result<Vec<InferenceKey>> {
    let rows: Vec<KeyRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM inference_keys WHERE project_id = ?
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(
    pool: &SqlitePool,
    project_id: &str,
    key_id: &str,
) -> sqlx::Result<Option<InferenceKey>> {
    let row: Option<KeyRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM inference_keys WHERE id = ? AND project_id = ?"
    ))
    .bind(key_id)
    .bind(project_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// Revokes the key. Idempotent: revoking a revoked key keeps its first revocation time.
pub async fn revoke(
    pool: &SqlitePool,
    project_id: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<InferenceKey>> {
    let row: Option<KeyRow> = sqlx::query_as(&format!(
        "UPDATE inference_keys
         SET revoked_at = COALESCE(revoked_at, ?1),
             updated_at = CASE WHEN revoked_at IS NULL THEN ?1 ELSE updated_at END
         WHERE id = ?2 AND project_id = ?3
         RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(key_id)
    .bind(project_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// A key presented on the data plane, found by the SHA-256 of the presented secret.
#[derive(Debug, sqlx::FromRow)]
pub struct PresentedKey {
    pub id: String,
    pub project_id: String,
    pub secret_hash: Vec<u8>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn find_by_hash(
    pool: &SqlitePool,
    secret_hash: &[u8; 32],
) -> sqlx::Result<Option<PresentedKey>> {
    sqlx::query_as(
        "SELECT id, project_id, secret_hash, revoked_at FROM inference_keys WHERE secret_hash = ?",
    )
    .bind(&secret_hash[..])
    .fetch_optional(pool)
    .await
}

pub async fn touch(pool: &SqlitePool, key_id: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE inference_keys SET last_used_at = ? WHERE id = ?")
        .bind(now)
        .bind(key_id)
        .execute(pool)
        .await?;
    Ok(())
}
