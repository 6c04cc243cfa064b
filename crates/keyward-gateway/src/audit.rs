//! The audit trail: one row per mutation, written in the mutation's own transaction so
//! that a change and its record commit or roll back together.
//!
//! The actor is a token id and its label (name + masked secret), never the secret; the
//! changes are field → {old, new} of settings only, which never include secrets.

use crate::db::{on, Binds, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Who made a change: a control token, by id and human label.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub label: String,
}

pub struct Event<'a> {
    pub project_id: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub changes: Map<String, Value>,
}

pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let id = crate::projects::new_id("aud");
    let changes = Value::Object(event.changes).to_string();
    on!(&mut *tx, |e| {
        sqlx::query(
        "INSERT INTO audit_events (id, project_id, at, actor_id, actor_label, action, target_type, target_id, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(event.project_id)
    .bind(now)
    .bind(&actor.id)
    .bind(&actor.label)
    .bind(event.action)
    .bind(event.target_type)
    .bind(event.target_id)
    .bind(&changes)
    .execute(e)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// A one-field change record, for actions like revoke and archive.
pub fn change(field: &str, old: Value, new: Value) -> Map<String, Value> {
    let mut changes = Map::new();
    changes.insert(
        field.to_owned(),
        serde_json::json!({ "old": old, "new": new }),
    );
    changes
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub actor_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    project_id: String,
    at: DateTime<Utc>,
    actor_id: String,
    actor_label: String,
    action: String,
    target_type: String,
    target_id: String,
    changes: String,
}

fn push_filters<'a, DB: Binds<'a>>(
    builder: &mut sqlx::QueryBuilder<'a, DB>,
    project_id: &str,
    filter: &AuditFilter,
) {
    builder.push(" WHERE project_id = ");
    DB::text(builder, project_id.to_owned());
    for (column, value) in [
        ("action", &filter.action),
        ("target_id", &filter.target_id),
        ("actor_id", &filter.actor_id),
    ] {
        if let Some(value) = value {
            builder.push(format!(" AND {column} = "));
            DB::text(builder, value.clone());
        }
    }
}

/// The project's audit trail, newest first (among events of the same instant, by id:
/// UUIDv7, ordered by creation within a process).
pub async fn list(
    pool: &Db,
    project_id: &str,
    filter: &AuditFilter,
) -> sqlx::Result<(Vec<keyward_api::AuditEvent>, i64)> {
    let (rows, total): (Vec<EventRow>, i64) = on!(pool, |e| {
        let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM audit_events");
        push_filters(&mut count, project_id, filter);
        let total: i64 = count.build_query_scalar().fetch_one(e).await?;
        let mut page = sqlx::QueryBuilder::new(
            "SELECT id, project_id, at, actor_id, actor_label, action, target_type, target_id, changes FROM audit_events",
        );
        push_filters(&mut page, project_id, filter);
        page.push(" ORDER BY at DESC, id DESC LIMIT ");
        page.push_bind(filter.limit);
        page.push(" OFFSET ");
        page.push_bind(filter.offset);
        (page.build_query_as().fetch_all(e).await?, total)
    });
    let events = rows
        .into_iter()
        .map(|r| keyward_api::AuditEvent {
            changes: serde_json::from_str(&r.changes).unwrap_or(Value::Null),
            id: r.id,
            project_id: r.project_id,
            at: r.at,
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
        })
        .collect();
    Ok((events, total))
}
