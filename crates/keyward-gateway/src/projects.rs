//! Projects and the control tokens that manage them.
//!
//! A control token belongs to exactly one project and carries a role; every control
//! route compares the token's project with the project it touches. Only the token's
//! SHA-256 is stored, so a stolen database file yields no usable credential.

use crate::audit::{self, Actor, Event};
use chrono::{DateTime, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::{ControlToken as ControlTokenInfo, Project, Secret};
use serde_json::json;
use sqlx::SqlitePool;

pub use keyward_api::Role;

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

pub async fn list_projects(pool: &SqlitePool) -> sqlx::Result<Vec<Project>> {
    sqlx::query_as::<_, (String, String, DateTime<Utc>)>(
        "SELECT id, name, created_at FROM projects ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|(id, name, created_at)| Project {
                id,
                name,
                created_at,
            })
            .collect()
    })
}

pub async fn get_project(
    executor: impl sqlx::SqliteExecutor<'_>,
    id: &str,
) -> sqlx::Result<Option<Project>> {
    sqlx::query_as::<_, (String, String, DateTime<Utc>)>(
        "SELECT id, name, created_at FROM projects WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(executor)
    .await
    .map(|row| {
        row.map(|(id, name, created_at)| Project {
            id,
            name,
            created_at,
        })
    })
}

/// Creates a project, audited under the new project.
pub async fn create_project_audited(
    pool: &SqlitePool,
    name: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Project> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let id = new_id("prj");
    sqlx::query("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)")
        .bind(&id)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let changes = audit::change("name", json!(null), json!(name));
    let event = Event {
        project_id: &id,
        action: "project.created",
        target_type: "project",
        target_id: &id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Project {
        id,
        name: name.to_owned(),
        created_at: now,
    })
}

pub async fn rename_project(
    pool: &SqlitePool,
    id: &str,
    name: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Project>> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let Some(current) = get_project(&mut *tx, id).await? else {
        return Ok(None);
    };
    if current.name == name {
        return Ok(Some(current));
    }
    sqlx::query("UPDATE projects SET name = ? WHERE id = ?")
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let changes = audit::change("name", json!(current.name), json!(name));
    let event = Event {
        project_id: id,
        action: "project.renamed",
        target_type: "project",
        target_id: id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Some(Project {
        name: name.to_owned(),
        ..current
    }))
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    project_id: String,
    name: String,
    role: String,
    masked: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for ControlTokenInfo {
    fn from(row: TokenRow) -> Self {
        ControlTokenInfo {
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            id: row.id,
            project_id: row.project_id,
            name: row.name,
            masked: row.masked,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

const TOKEN_COLUMNS: &str = "id, project_id, name, role, masked, created_at, revoked_at";

pub async fn list_control_tokens(
    pool: &SqlitePool,
    project_id: &str,
) -> sqlx::Result<Vec<ControlTokenInfo>> {
    let rows: Vec<TokenRow> = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM control_tokens WHERE project_id = ? ORDER BY created_at DESC, id DESC"
    ))
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

async fn get_control_token(
    executor: impl sqlx::SqliteExecutor<'_>,
    id: &str,
) -> sqlx::Result<Option<ControlTokenInfo>> {
    let row: Option<TokenRow> = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM control_tokens WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(Into::into))
}

/// Mints a control token for a project, audited.
pub async fn create_control_token_audited(
    pool: &SqlitePool,
    project_id: &str,
    name: &str,
    role: Role,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<(ControlTokenInfo, Secret)> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let secret = issue_control_token(&mut *tx, project_id, name, role, now).await?;
    let hash = token::hash(secret.expose());
    let row: TokenRow = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM control_tokens WHERE secret_hash = ?"
    ))
    .bind(&hash[..])
    .fetch_one(&mut *tx)
    .await?;
    let mut changes = audit::change("name", json!(null), json!(name));
    changes.insert("role".into(), json!({ "old": null, "new": role.as_str() }));
    let event = Event {
        project_id,
        action: "control_token.created",
        target_type: "control_token",
        target_id: &row.id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok((row.into(), secret))
}

/// Revokes a control token; idempotent, audited once.
pub async fn revoke_control_token(
    pool: &SqlitePool,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<ControlTokenInfo>> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let Some(current) = get_control_token(&mut *tx, id).await? else {
        return Ok(None);
    };
    if current.revoked_at.is_some() {
        return Ok(Some(current));
    }
    sqlx::query("UPDATE control_tokens SET revoked_at = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let changes = audit::change("status", json!("active"), json!("revoked"));
    let event = Event {
        project_id: &current.project_id,
        action: "control_token.revoked",
        target_type: "control_token",
        target_id: id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Some(ControlTokenInfo {
        revoked_at: Some(now),
        ..current
    }))
}

/// A new secret for a live control token (same id, role and project); the old one dies.
pub async fn rotate_control_token(
    pool: &SqlitePool,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Result<(ControlTokenInfo, Secret), ControlTokenInfo>>> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let Some(current) = get_control_token(&mut *tx, id).await? else {
        return Ok(None);
    };
    if current.revoked_at.is_some() {
        return Ok(Some(Err(current)));
    }
    let secret = token::generate(TokenKind::Control);
    let masked = token::masked(secret.expose());
    sqlx::query("UPDATE control_tokens SET secret_hash = ?, masked = ? WHERE id = ?")
        .bind(&token::hash(secret.expose())[..])
        .bind(&masked)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let changes = audit::change("masked", json!(current.masked), json!(masked));
    let event = Event {
        project_id: &current.project_id,
        action: "control_token.rotated",
        target_type: "control_token",
        target_id: id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Some(Ok((ControlTokenInfo { masked, ..current }, secret))))
}
