//! The audit trail: one row per mutation, written in the mutation's own transaction so
//! that a change and its record commit or roll back together.
//!
//! The actor is a token id and its label (name + masked secret), never the secret; the
//! changes are field → {old, new} of settings only, which never include secrets.

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
    executor: impl sqlx::SqliteExecutor<'_>,
    actor: &Actor,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, project_id, at, actor_id, actor_label, action, target_type, target_id, changes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(crate::projects::new_id("aud"))
    .bind(event.project_id)
    .bind(now)
    .bind(&actor.id)
    .bind(&actor.label)
    .bind(event.action)
    .bind(event.target_type)
    .bind(event.target_id)
    .bind(Value::Object(event.changes).to_string())
    .execute(executor)
    .await?;
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
