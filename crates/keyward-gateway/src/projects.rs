//! Projects and the control tokens that manage them.
//!
//! A control token belongs to exactly one project and carries a role; every control
//! route compares the token's project with the project it touches. Only the token's
//! SHA-256 is stored, so a stolen database file yields no usable credential.

use chrono::{DateTime, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::Secret;
use sqlx::SqlitePool;

/// What a control token may do inside its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Bootstrap token: everything, including projects and control tokens.
    Owner,
    /// Everything inside its project.
    Admin,
    /// Reads keys, usage, workloads and audit; no mutation (finance).
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Role::Owner, Role::Admin, Role::Viewer]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The project a token manages, resolved from the token itself.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ControlToken {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub masked: String,
    pub role: String,
    pub secret_hash: Vec<u8>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

pub async fn create_project(
    pool: &SqlitePool,
    name: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<String> {
    let id = new_id("prj");
    sqlx::query("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)")
        .bind(&id)
        .bind(name)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(id)
}

/// The oldest project: the one `init` created.
pub async fn default_project(pool: &SqlitePool) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT id FROM projects ORDER BY created_at, id LIMIT 1")
        .fetch_optional(pool)
        .await
}

/// Mints a control token and stores its hash. The secret is returned to the caller,
/// who shows it once; it is not kept anywhere.
pub async fn issue_control_token(
    executor: impl sqlx::SqliteExecutor<'_>,
    project_id: &str,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> sqlx::Result<Secret> {
    let secret = token::generate(TokenKind::Control);
    sqlx::query(
        "INSERT INTO control_tokens (id, project_id, name, role, secret_hash, masked, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(new_id("tok"))
    .bind(project_id)
    .bind(name)
    .bind(role.as_str())
    .bind(&token::hash(secret.expose())[..])
    .bind(token::masked(secret.expose()))
    .bind(now)
    .execute(executor)
    .await?;
    Ok(secret)
}

/// Revokes every live control token of the project with this name. Used by the
/// embedded gateway so that each app launch's session token replaces the last one.
pub async fn revoke_control_tokens_named(
    executor: impl sqlx::SqliteExecutor<'_>,
    project_id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE control_tokens SET revoked_at = ?
         WHERE project_id = ? AND name = ? AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(project_id)
    .bind(name)
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

pub async fn find_control_token(
    pool: &SqlitePool,
    secret_hash: &[u8; 32],
) -> sqlx::Result<Option<ControlToken>> {
    sqlx::query_as(
        "SELECT id, project_id, name, masked, role, secret_hash, revoked_at
         FROM control_tokens WHERE secret_hash = ?",
    )
    .bind(&secret_hash[..])
    .fetch_optional(pool)
    .await
}
