//! Writing keys: create, update, and the four lifecycle steps (revoke, archive,
//! unarchive, rotate), each audited in the transaction that makes it.
//!
//! The lifecycle steps share one shape — load the key in a write transaction, decide
//! from its current state, update, audit, commit, invalidate the key cache — written
//! once in [`transition`]; a step only says what it decides ([`Step`]). Every
//! mutation invalidates the key in the data plane's cache after its transaction and
//! before returning (see `keycache`), so the next request sees it.

use super::query::get;
use super::row::{spec_of, KeyRow, COLUMNS};
use crate::audit::{self, Actor, Event};
use crate::db::{bind_all, on, Arg, Db, Exec};
use crate::error::ApiError;
use crate::Gateway;
use chrono::{DateTime, Duration, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::{InferenceKey, KeySpec, KeyStatus, Secret, WorkloadScope};
use serde_json::{json, Map, Value};

/// Why a key mutation did not happen.
#[derive(Debug)]
pub enum KeyError {
    /// No such key in the caller's project.
    NotFound,
    /// The key's current status does not allow the step.
    Conflict(KeyStatus),
    /// The requested change is not valid for this key (a PATCH field, an unknown
    /// workload); the error names the field.
    Invalid(ApiError),
    Database(sqlx::Error),
    /// The change is committed, but the other replicas could not be told (Redis).
    Unshared(crate::cluster::Unavailable),
}

impl From<sqlx::Error> for KeyError {
    fn from(error: sqlx::Error) -> Self {
        KeyError::Database(error)
    }
}

/// The columns a [`KeySpec`] fills, in the order [`bind_spec`] binds them.
const SPEC_COLUMNS: &str = "name, description, rpm, tpm, token_limit, token_limit_period, \
    allowed_models, workloads, labels, expires_at";

/// A spec's values for [`SPEC_COLUMNS`], in order, so create and update cannot disagree.
fn spec_args(spec: &KeySpec) -> Vec<Arg> {
    vec![
        Arg::Text(Some(spec.name.clone())),
        Arg::Text(Some(spec.description.clone())),
        Arg::Int(spec.rpm),
        Arg::Int(spec.tpm),
        Arg::Int(spec.token_limit),
        Arg::Text(spec.token_limit_period.map(|p| p.as_str().to_owned())),
        Arg::Text(spec.allowed_models.as_ref().map(json_of)),
        Arg::Text(Some(json_of(&spec.workloads))),
        Arg::Text(Some(json_of(&spec.labels))),
        Arg::Time(spec.expires_at),
    ]
}

fn json_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("scope values serialize")
}

/// A 400 naming `workloads` when the scope lists a slug the project has no workload
/// for. PATCH checks in its writing transaction; create just before its own.
pub async fn unknown_workload(
    executor: Exec<'_>,
    project_id: &str,
    scope: &WorkloadScope,
) -> sqlx::Result<Option<ApiError>> {
    let WorkloadScope::Only(slugs) = scope else {
        return Ok(None);
    };
    let unknown = crate::workloads::first_unknown_slug(executor, project_id, slugs).await?;
    Ok(unknown.map(|slug| {
        ApiError::field(
            "workloads",
            format!("workloads lists \"{slug}\", which is not a workload of this project; create the workload first or choose an existing one."),
        )
    }))
}

fn key_event<'a>(
    project_id: &'a str,
    key_id: &'a str,
    action: &'a str,
    changes: Map<String, Value>,
) -> Event<'a> {
    Event {
        project_id,
        action,
        target_type: "inference_key",
        target_id: key_id,
        changes,
    }
}

/// Creates a key and returns it with its secret, which exists nowhere else afterwards.
pub async fn create(
    pool: &Db,
    project_id: &str,
    spec: &KeySpec,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<(InferenceKey, Secret)> {
    let secret = token::generate(TokenKind::Data);
    let id = crate::projects::new_id("key");
    let mut tx = pool.begin_write().await?;
    let insert = format!(
        "INSERT INTO inference_keys (id, project_id, secret_hash, masked, {SPEC_COLUMNS},
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING {COLUMNS}"
    );
    let mut args = vec![
        Arg::Text(Some(id.clone())),
        Arg::Text(Some(project_id.to_owned())),
        Arg::Bytes(Some(token::hash(secret.expose()).to_vec())),
        Arg::Text(Some(token::masked(secret.expose()))),
    ];
    args.extend(spec_args(spec));
    args.extend([Arg::Time(Some(now)), Arg::Time(Some(now))]);
    let row: KeyRow = on!(&mut tx, |e| bind_all(sqlx::query_as(&insert), args)
        .fetch_one(e)
        .await)?;
    let created = spec.changes_from(&KeySpec::default());
    audit::record(
        &mut tx,
        actor,
        key_event(project_id, &id, "key.created", created),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((row.into_wire(now), secret))
}

/// Applies a validated PATCH (`next` gives the new spec from the current key),
/// auditing the fields that changed; the data plane sees it on its next request.
pub async fn update(
    gateway: &Gateway,
    project_id: &str,
    key_id: &str,
    next: impl FnOnce(&InferenceKey) -> Result<KeySpec, ApiError>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, KeyError> {
    let result = update_in_db(gateway.pool(), project_id, key_id, next, actor, now).await;
    gateway
        .key_changed(key_id)
        .await
        .map_err(KeyError::Unshared)?;
    result
}

async fn update_in_db(
    pool: &Db,
    project_id: &str,
    key_id: &str,
    next: impl FnOnce(&InferenceKey) -> Result<KeySpec, ApiError>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, KeyError> {
    let mut tx = pool.begin_write().await?;
    let current = get(tx.exec(), project_id, key_id, now)
        .await?
        .ok_or(KeyError::NotFound)?;
    let spec = next(&current).map_err(KeyError::Invalid)?;
    if spec.workloads != current.workloads {
        if let Some(error) = unknown_workload(tx.exec(), project_id, &spec.workloads).await? {
            return Err(KeyError::Invalid(error));
        }
    }
    let mut changes = spec.changes_from(&spec_of(&current));
    if changes.is_empty() {
        return Ok(current);
    }
    // An unreadable scope the PATCH left alone is written as what was enforced (none),
    // never widened; the audit says so.
    for field in &current.unreadable_scopes {
        changes
            .entry(field.clone())
            .or_insert_with(|| json!({ "old": "unreadable", "new": [] }));
    }
    let update_sql = format!(
        "UPDATE inference_keys SET ({SPEC_COLUMNS}) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10), updated_at = $11
         WHERE id = $12 AND project_id = $13 RETURNING {COLUMNS}"
    );
    let mut args = spec_args(&spec);
    args.extend([
        Arg::Time(Some(now)),
        Arg::Text(Some(key_id.to_owned())),
        Arg::Text(Some(project_id.to_owned())),
    ]);
    let row: KeyRow = on!(&mut tx, |e| bind_all(sqlx::query_as(&update_sql), args)
        .fetch_one(e)
        .await)?;
    audit::record(
        &mut tx,
        actor,
        key_event(project_id, key_id, "key.updated", changes),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.into_wire(now))
}

/// Makes an audit event's changes (field → `{old, new}`) from the key before and after.
type Changes = Box<dyn FnOnce(&InferenceKey, &InferenceKey) -> Map<String, Value> + Send>;

/// What a lifecycle step decided, given the key as it is in the transaction.
enum Step {
    /// The key is already where the step would take it: nothing is written or audited.
    Keep,
    Write(Write),
}

/// One lifecycle write: an `UPDATE inference_keys SET {set}` for the key, and its
/// audit event.
struct Write {
    action: &'static str,
    /// The assignments. `$1` and `$2` are the key id and project (bound by
    /// [`transition`]); the step's own values are `$3`…, in the order of `args`.
    set: &'static str,
    args: Vec<Arg>,
    changes: Changes,
}

/// The one shape of a lifecycle step: load the key in a write transaction, let `step`
/// decide from its state, update, audit, commit; then invalidate the key's cache entry
/// (also when refused or failed: an entry that is dropped is only reloaded).
async fn transition(
    gateway: &Gateway,
    project_id: &str,
    key_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    step: impl FnOnce(&InferenceKey) -> Result<Step, KeyError>,
) -> Result<InferenceKey, KeyError> {
    let result = async {
        let mut tx = gateway.pool().begin_write().await?;
        let current = get(tx.exec(), project_id, key_id, now)
            .await?
            .ok_or(KeyError::NotFound)?;
        let write = match step(&current)? {
            Step::Keep => return Ok(current),
            Step::Write(write) => write,
        };
        let sql = format!(
            "UPDATE inference_keys SET {} WHERE id = $1 AND project_id = $2 RETURNING {COLUMNS}",
            write.set
        );
        let mut args = vec![
            Arg::Text(Some(key_id.to_owned())),
            Arg::Text(Some(project_id.to_owned())),
        ];
        args.extend(write.args);
        let row: KeyRow = on!(&mut tx, |e| bind_all(sqlx::query_as(&sql), args)
            .fetch_one(e)
            .await)?;
        let key = row.into_wire(now);
        let changes = (write.changes)(&current, &key);
        audit::record(
            &mut tx,
            actor,
            key_event(project_id, key_id, write.action, changes),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }
    .await;
    gateway
        .key_changed(key_id)
        .await
        .map_err(KeyError::Unshared)?;
    result
}

fn status_change(before: KeyStatus, after: KeyStatus) -> Map<String, Value> {
    audit::change("status", json!(before.as_str()), json!(after.as_str()))
}

/// Revokes the key; the next request with its secret is refused. Idempotent: revoking
/// a revoked key keeps its first revocation time and writes no second audit row. Also
/// ends any rotation grace period.
pub async fn revoke(
    gateway: &Gateway,
    project_id: &str,
    key_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, KeyError> {
    transition(gateway, project_id, key_id, actor, now, |current| {
        if current.revoked_at.is_some() {
            return Ok(Step::Keep);
        }
        Ok(Step::Write(Write {
            action: "key.revoked",
            set: "revoked_at = $3, updated_at = $3,
                  previous_secret_hash = NULL, previous_secret_expires_at = NULL",
            args: vec![Arg::Time(Some(now))],
            changes: Box::new(|before, _| status_change(before.status, KeyStatus::Revoked)),
        }))
    })
    .await
}

/// Archives (hides from the default list) or unarchives a revoked or expired key.
pub async fn set_archived(
    gateway: &Gateway,
    project_id: &str,
    key_id: &str,
    archived: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, KeyError> {
    transition(gateway, project_id, key_id, actor, now, |current| {
        // Only revoked or expired keys can be (un)archived; asking for the state a key
        // is already in is a no-op, but an active key is never in either and is refused.
        match (archived, current.status) {
            (_, KeyStatus::Active) => return Err(KeyError::Conflict(current.status)),
            (true, KeyStatus::Archived) | (false, KeyStatus::Revoked | KeyStatus::Expired) => {
                return Ok(Step::Keep)
            }
            (true, KeyStatus::Revoked | KeyStatus::Expired) | (false, KeyStatus::Archived) => {}
        }
        Ok(Step::Write(Write {
            action: if archived {
                "key.archived"
            } else {
                "key.unarchived"
            },
            set: "archived_at = $3, updated_at = $4",
            args: vec![Arg::Time(archived.then_some(now)), Arg::Time(Some(now))],
            changes: Box::new(|before, after| status_change(before.status, after.status)),
        }))
    })
    .await
}

/// A new secret for the same key id. With a grace period the old secret keeps working
/// until it ends; without one it dies now. Only active keys can be rotated.
pub async fn rotate(
    gateway: &Gateway,
    project_id: &str,
    key_id: &str,
    grace: Duration,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(InferenceKey, Secret), KeyError> {
    let secret = token::generate(TokenKind::Data);
    let hash = token::hash(secret.expose()).to_vec();
    let masked = token::masked(secret.expose());
    let key = transition(gateway, project_id, key_id, actor, now, |current| {
        if current.status != KeyStatus::Active {
            return Err(KeyError::Conflict(current.status));
        }
        let grace_ends = (grace > Duration::zero()).then(|| now + grace);
        Ok(Step::Write(Write {
            action: "key.rotated",
            set: "previous_secret_hash = CASE WHEN $3 IS NULL THEN NULL ELSE secret_hash END,
                  previous_secret_expires_at = $3,
                  secret_hash = $4, masked = $5, updated_at = $6",
            args: vec![
                Arg::Time(grace_ends),
                Arg::Bytes(Some(hash)),
                Arg::Text(Some(masked)),
                Arg::Time(Some(now)),
            ],
            changes: Box::new(move |before, after| {
                let mut changes =
                    audit::change("masked", json!(before.masked), json!(after.masked));
                changes.insert(
                    "grace_period_seconds".into(),
                    json!({ "old": Value::Null, "new": grace.num_seconds() }),
                );
                changes
            }),
        }))
    })
    .await?;
    Ok((key, secret))
}
