//! Projects and the control tokens that manage them.
//!
//! A control token belongs to exactly one project and carries a role; every control
//! route compares the token's project with the project it touches. Only the token's
//! SHA-256 is stored, so a stolen database file yields no usable credential.

use crate::audit::{self, Actor, Event};
use crate::db::{on, on_exec, Db, Exec, Tx};
use chrono::{DateTime, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::{ControlToken as ControlTokenInfo, Project, Secret};
use serde_json::json;

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
pub async fn default_project(pool: &Db) -> sqlx::Result<Option<String>> {
    on!(pool, |e| sqlx::query_scalar(
        "SELECT id FROM projects ORDER BY created_at, id LIMIT 1"
    )
    .fetch_optional(e)
    .await)
}

/// Mints a control token and stores its hash. The secret is returned to the caller,
/// who shows it once; it is not kept anywhere.
pub async fn issue_control_token(
    tx: &mut Tx,
    project_id: &str,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> sqlx::Result<Secret> {
    let secret = token::generate(TokenKind::Control);
    on!(&mut *tx, |e| sqlx::query(
        "INSERT INTO control_tokens (id, project_id, name, role, secret_hash, masked, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id("tok"))
    .bind(project_id)
    .bind(name)
    .bind(role.as_str())
    .bind(&token::hash(secret.expose())[..])
    .bind(token::masked(secret.expose()))
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(secret)
}

/// Revokes every live control token of the project with this name. Used by the
/// embedded gateway so that each app launch's session token replaces the last one.
pub async fn revoke_control_tokens_named(
    tx: &mut Tx,
    project_id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    on!(&mut *tx, |e| sqlx::query(
        "UPDATE control_tokens SET revoked_at = $1
         WHERE project_id = $2 AND name = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(project_id)
    .bind(name)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))
}

pub async fn find_control_token(
    pool: &Db,
    secret_hash: &[u8; 32],
) -> sqlx::Result<Option<ControlToken>> {
    on!(pool, |e| sqlx::query_as(
        "SELECT id, project_id, name, masked, role, secret_hash, revoked_at
         FROM control_tokens WHERE secret_hash = $1",
    )
    .bind(&secret_hash[..])
    .fetch_optional(e)
    .await)
}

pub async fn list_projects(pool: &Db) -> sqlx::Result<Vec<Project>> {
    on!(pool, |e| {
        sqlx::query_as::<_, (String, String, DateTime<Utc>)>(
            "SELECT id, name, created_at FROM projects ORDER BY created_at, id",
        )
        .fetch_all(e)
        .await
    })
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

pub async fn get_project(mut executor: Exec<'_>, id: &str) -> sqlx::Result<Option<Project>> {
    on_exec!(executor, |e| sqlx::query_as::<
        _,
        (String, String, DateTime<Utc>),
    >(
        "SELECT id, name, created_at FROM projects WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(e)
    .await)
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
    pool: &Db,
    name: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Project> {
    let mut tx = pool.begin_write().await?;
    let id = new_id("prj");
    on!(&mut tx, |e| sqlx::query(
        "INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)"
    )
    .bind(&id)
    .bind(name)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = audit::change("name", json!(null), json!(name));
    let event = Event {
        project_id: &id,
        action: "project.created",
        target_type: "project",
        target_id: &id,
        changes,
    };
    audit::record(&mut tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Project {
        id,
        name: name.to_owned(),
        created_at: now,
    })
}

pub async fn rename_project(
    pool: &Db,
    id: &str,
    name: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Project>> {
    let mut tx = pool.begin_write().await?;
    let Some(current) = get_project(tx.exec(), id).await? else {
        return Ok(None);
    };
    if current.name == name {
        return Ok(Some(current));
    }
    on!(&mut tx, |e| sqlx::query(
        "UPDATE projects SET name = $1 WHERE id = $2"
    )
    .bind(name)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = audit::change("name", json!(current.name), json!(name));
    let event = Event {
        project_id: id,
        action: "project.renamed",
        target_type: "project",
        target_id: id,
        changes,
    };
    audit::record(&mut tx, actor, event, now).await?;
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
    pool: &Db,
    project_id: &str,
) -> sqlx::Result<Vec<ControlTokenInfo>> {
    let rows: Vec<TokenRow> = on!(pool, |e| {
        sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM control_tokens WHERE project_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(project_id)
    .fetch_all(e)
    .await
    })?;
    Ok(rows.into_iter().map(Into::into).collect())
}

async fn get_control_token(tx: &mut Tx, id: &str) -> sqlx::Result<Option<ControlTokenInfo>> {
    let row: Option<TokenRow> = on!(&mut *tx, |e| sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM control_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(Into::into))
}

/// Mints a control token for a project, audited.
pub async fn create_control_token_audited(
    pool: &Db,
    project_id: &str,
    name: &str,
    role: Role,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<(ControlTokenInfo, Secret)> {
    let mut tx = pool.begin_write().await?;
    let secret = issue_control_token(&mut tx, project_id, name, role, now).await?;
    let hash = token::hash(secret.expose());
    let row: TokenRow = on!(&mut tx, |e| sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM control_tokens WHERE secret_hash = $1"
    ))
    .bind(&hash[..])
    .fetch_one(e)
    .await)?;
    let mut changes = audit::change("name", json!(null), json!(name));
    changes.insert("role".into(), json!({ "old": null, "new": role.as_str() }));
    let event = Event {
        project_id,
        action: "control_token.created",
        target_type: "control_token",
        target_id: &row.id,
        changes,
    };
    audit::record(&mut tx, actor, event, now).await?;
    tx.commit().await?;
    Ok((row.into(), secret))
}

/// Revokes a control token; idempotent, audited once.
pub async fn revoke_control_token(
    pool: &Db,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<ControlTokenInfo>> {
    let mut tx = pool.begin_write().await?;
    let Some(current) = get_control_token(&mut tx, id).await? else {
        return Ok(None);
    };
    if current.revoked_at.is_some() {
        return Ok(Some(current));
    }
    on!(&mut tx, |e| sqlx::query(
        "UPDATE control_tokens SET revoked_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = audit::change("status", json!("active"), json!("revoked"));
    let event = Event {
        project_id: &current.project_id,
        action: "control_token.revoked",
        target_type: "control_token",
        target_id: id,
        changes,
    };
    audit::record(&mut tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Some(ControlTokenInfo {
        revoked_at: Some(now),
        ..current
    }))
}

/// A new secret for a live control token (same id, role and project); the old one dies.
pub async fn rotate_control_token(
    pool: &Db,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Result<(ControlTokenInfo, Secret), ControlTokenInfo>>> {
    let mut tx = pool.begin_write().await?;
    let Some(current) = get_control_token(&mut tx, id).await? else {
        return Ok(None);
    };
    if current.revoked_at.is_some() {
        return Ok(Some(Err(current)));
    }
    let secret = token::generate(TokenKind::Control);
    let masked = token::masked(secret.expose());
    on!(&mut tx, |e| sqlx::query(
        "UPDATE control_tokens SET secret_hash = $1, masked = $2 WHERE id = $3"
    )
    .bind(&token::hash(secret.expose())[..])
    .bind(&masked)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = audit::change("masked", json!(current.masked), json!(masked));
    let event = Event {
        project_id: &current.project_id,
        action: "control_token.rotated",
        target_type: "control_token",
        target_id: id,
        changes,
    };
    audit::record(&mut tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Some(Ok((ControlTokenInfo { masked, ..current }, secret))))
}
