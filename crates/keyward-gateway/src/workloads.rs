//! The workload store. Every mutation is audited in its own transaction. Deleting a
//! workload removes its slug from the `workloads` scope of the keys that named it (in
//! the same transaction), so those keys stay valid for their other workloads; the
//! response lists them. A key whose only workload was deleted is left with an empty
//! scope, which allows no workload, rather than silently widening to the whole project.

use crate::audit::{self, Actor, Event};
use crate::db::{on, on_exec, Db, Exec, Tx};
use crate::projects::new_id;
use chrono::{DateTime, Utc};
use keyward_api::workloads::{AffectedKey, Backend, TaskType, Workload, WorkloadSpec};
use serde_json::{json, Value};

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    project_id: String,
    name: String,
    slug: String,
    model_name: String,
    backend: String,
    task_type: String,
    description: Option<String>,
    command: Option<String>,
    vllm_version: Option<String>,
    config: Option<String>,
    execution_policy: Option<String>,
    execution_policy_config: Option<String>,
    worker_id: Option<String>,
    gpu_resource_id: Option<String>,
    upstream_url: Option<String>,
    metrics_urls: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, project_id, name, slug, model_name, backend, task_type, description, command, \
    vllm_version, config, execution_policy, execution_policy_config, worker_id, gpu_resource_id, \
    upstream_url, metrics_urls, created_at, updated_at";

fn parse_json(raw: Option<String>) -> Option<Value> {
    raw.and_then(|s| serde_json::from_str(&s).ok())
}

impl From<Row> for Workload {
    fn from(row: Row) -> Self {
        Workload {
            id: row.id,
            project_id: row.project_id,
            name: row.name,
            slug: row.slug,
            model_name: row.model_name,
            // Stored only after validation; a hand-edited value reads as unknown.
            backend: Backend::parse(&row.backend).unwrap_or_default(),
            task_type: TaskType::parse(&row.task_type).unwrap_or_default(),
            description: row.description,
            command: row.command,
            vllm_version: row.vllm_version,
            config: parse_json(row.config),
            execution_policy: row.execution_policy,
            execution_policy_config: parse_json(row.execution_policy_config),
            worker_id: row.worker_id,
            gpu_resource_id: row.gpu_resource_id,
            upstream_url: row.upstream_url,
            metrics_urls: serde_json::from_str(&row.metrics_urls).unwrap_or_default(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

pub fn spec_of(workload: &Workload) -> WorkloadSpec {
    WorkloadSpec {
        name: workload.name.clone(),
        slug: workload.slug.clone(),
        model_name: workload.model_name.clone(),
        backend: workload.backend,
        task_type: workload.task_type,
        description: workload.description.clone(),
        command: workload.command.clone(),
        vllm_version: workload.vllm_version.clone(),
        config: workload.config.clone(),
        execution_policy: workload.execution_policy.clone(),
        execution_policy_config: workload.execution_policy_config.clone(),
        worker_id: workload.worker_id.clone(),
        gpu_resource_id: workload.gpu_resource_id.clone(),
        upstream_url: workload.upstream_url.clone(),
        metrics_urls: workload.metrics_urls.clone(),
    }
}

/// Why a workload mutation was refused.
#[derive(Debug)]
pub enum Refusal {
    NotFound,
    DuplicateSlug(String),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            if db.is_unique_violation() {
                return Refusal::DuplicateSlug(String::new());
            }
        }
        Refusal::Database(error)
    }
}

pub async fn list(pool: &Db, project_id: &str) -> sqlx::Result<Vec<Workload>> {
    let rows: Vec<Row> = on!(pool, |e| sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM workloads WHERE project_id = $1 ORDER BY slug"
    ))
    .bind(project_id)
    .fetch_all(e)
    .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The first of `slugs` that names no workload of the project: a key scoped to it
/// could never call anything there, so create and PATCH refuse it (issue #15).
pub async fn first_unknown_slug(
    mut executor: Exec<'_>,
    project_id: &str,
    slugs: &[String],
) -> sqlx::Result<Option<String>> {
    if slugs.is_empty() {
        return Ok(None);
    }
    let known: Vec<String> = on_exec!(executor, |e| {
        sqlx::query_scalar(
        "SELECT slug FROM workloads WHERE project_id = $1 AND slug IN (SELECT value FROM json_each($2))",
    )
    .bind(project_id)
    .bind(json!(slugs).to_string())
    .fetch_all(e)
    .await
    })?;
    Ok(slugs.iter().find(|s| !known.contains(s)).cloned())
}

pub async fn get(
    mut executor: Exec<'_>,
    project_id: &str,
    id: &str,
) -> sqlx::Result<Option<Workload>> {
    let row: Option<Row> = on_exec!(executor, |e| sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM workloads WHERE id = $1 AND project_id = $2"
    ))
    .bind(id)
    .bind(project_id)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(Into::into))
}

/// A project's workloads and the change counter they were read under.
type CachedList = (std::sync::Arc<Vec<Workload>>, Option<i64>);

/// The data plane's view of each project's workloads, so routing a request reads no
/// database. Any workload mutation drops its project's entry after commit and before
/// the response, with the same epoch rule as the key cache: a load that raced a
/// mutation never stores what it read.
#[derive(Default)]
pub struct WorkloadCache {
    /// Each project's workloads, and (across replicas) the change counter they were
    /// read under.
    projects: dashmap::DashMap<String, CachedList, crate::FastHash>,
    epoch: std::sync::atomic::AtomicU64,
}

impl WorkloadCache {
    /// The project's workloads. `observed` is, across replicas, the project's change
    /// counter read for this request (before any row is read): a list cached under
    /// another value is read again. `None` on a single node.
    pub async fn project(
        &self,
        pool: &Db,
        project_id: &str,
        observed: Option<Option<i64>>,
    ) -> sqlx::Result<std::sync::Arc<Vec<Workload>>> {
        use std::sync::atomic::Ordering;
        if let Some(cached) = self.projects.get(project_id) {
            if observed.is_none_or(|version| version == cached.1) {
                return Ok(cached.0.clone());
            }
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        // Boxed, like the key cache's miss: the query's future is large and rare.
        let loaded = std::sync::Arc::new(Box::pin(list(pool, project_id)).await?);
        let version = observed.flatten();
        match self.projects.entry(project_id.to_owned()) {
            dashmap::mapref::entry::Entry::Vacant(slot) => {
                if self.epoch.load(Ordering::Acquire) == epoch {
                    slot.insert((loaded.clone(), version));
                }
            }
            dashmap::mapref::entry::Entry::Occupied(mut slot) => {
                if observed.is_some() && self.epoch.load(Ordering::Acquire) == epoch {
                    slot.insert((loaded.clone(), version));
                }
            }
        }
        Ok(loaded)
    }

    /// The workload a request names: by slug, or by model name (the first by slug
    /// when several serve the same model).
    pub async fn resolve(
        &self,
        pool: &Db,
        project_id: &str,
        slug_or_model: &str,
        observed: Option<Option<i64>>,
    ) -> sqlx::Result<Option<Resolved>> {
        let workloads = self.project(pool, project_id, observed).await?;
        let index = workloads
            .iter()
            .position(|w| w.slug == slug_or_model)
            .or_else(|| workloads.iter().position(|w| w.model_name == slug_or_model));
        Ok(index.map(|index| Resolved { workloads, index }))
    }

    pub fn invalidate(&self, project_id: &str) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.projects.remove(project_id);
    }
}

/// One workload of a cached project list, shared rather than copied: the data plane
/// resolves a workload on every request, and a `Workload` is a dozen strings and JSON
/// values.
pub struct Resolved {
    workloads: std::sync::Arc<Vec<Workload>>,
    index: usize,
}

impl std::ops::Deref for Resolved {
    type Target = Workload;

    fn deref(&self) -> &Workload {
        &self.workloads[self.index]
    }
}

fn json_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

async fn write(
    tx: &mut Tx,
    insert: bool,
    id: &str,
    project_id: &str,
    spec: &WorkloadSpec,
    now: DateTime<Utc>,
) -> sqlx::Result<Row> {
    let sql = if insert {
        format!(
            "INSERT INTO workloads (name, slug, model_name, backend, task_type, description, command,
                vllm_version, config, execution_policy, execution_policy_config, worker_id,
                gpu_resource_id, upstream_url, metrics_urls, updated_at, id, project_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $16)
             RETURNING {COLUMNS}"
        )
    } else {
        format!(
            "UPDATE workloads SET name = $1, slug = $2, model_name = $3, backend = $4, task_type = $5,
                description = $6, command = $7, vllm_version = $8, config = $9, execution_policy = $10,
                execution_policy_config = $11, worker_id = $12, gpu_resource_id = $13,
                upstream_url = $14, metrics_urls = $15, updated_at = $16
             WHERE id = $17 AND project_id = $18 RETURNING {COLUMNS}"
        )
    };
    on!(&mut *tx, |e| sqlx::query_as(&sql)
        .bind(&spec.name)
        .bind(&spec.slug)
        .bind(&spec.model_name)
        .bind(spec.backend.as_str())
        .bind(spec.task_type.as_str())
        .bind(&spec.description)
        .bind(&spec.command)
        .bind(&spec.vllm_version)
        .bind(json_text(&spec.config))
        .bind(&spec.execution_policy)
        .bind(json_text(&spec.execution_policy_config))
        .bind(&spec.worker_id)
        .bind(&spec.gpu_resource_id)
        .bind(&spec.upstream_url)
        .bind(json!(spec.metrics_urls).to_string())
        .bind(now)
        .bind(id)
        .bind(project_id)
        .fetch_one(e)
        .await)
}

fn event<'a>(
    project_id: &'a str,
    action: &'a str,
    id: &'a str,
    changes: serde_json::Map<String, Value>,
) -> Event<'a> {
    Event {
        project_id,
        action,
        target_type: "workload",
        target_id: id,
        changes,
    }
}

pub async fn create(
    pool: &Db,
    project_id: &str,
    spec: &WorkloadSpec,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Workload, Refusal> {
    let id = new_id("wl");
    let mut tx = pool.begin_write().await?;
    let row = write(&mut tx, true, &id, project_id, spec, now)
        .await
        .map_err(|e| match Refusal::from(e) {
            Refusal::DuplicateSlug(_) => Refusal::DuplicateSlug(spec.slug.clone()),
            other => other,
        })?;
    let changes = spec.changes_from(&WorkloadSpec::default());
    audit::record(
        &mut tx,
        actor,
        event(project_id, "workload.created", &id, changes),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Applies a validated PATCH (`next` builds the new spec from the current workload).
pub async fn update<E>(
    pool: &Db,
    project_id: &str,
    id: &str,
    next: impl FnOnce(&Workload) -> Result<WorkloadSpec, E>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<Workload, E>, Refusal> {
    let mut tx = pool.begin_write().await?;
    let Some(current) = get(tx.exec(), project_id, id).await? else {
        return Err(Refusal::NotFound);
    };
    let spec = match next(&current) {
        Ok(spec) => spec,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let old = spec_of(&current);
    if spec == old {
        return Ok(Ok(current));
    }
    let row = write(&mut tx, false, id, project_id, &spec, now)
        .await
        .map_err(|e| match Refusal::from(e) {
            Refusal::DuplicateSlug(_) => Refusal::DuplicateSlug(spec.slug.clone()),
            other => other,
        })?;
    if spec.slug != old.slug {
        rename_in_key_scopes(&mut tx, project_id, &old.slug, &spec.slug, now).await?;
    }
    audit::record(
        &mut tx,
        actor,
        event(project_id, "workload.updated", id, spec.changes_from(&old)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(row.into()))
}

async fn keys_naming(
    tx: &mut Tx,
    project_id: &str,
    slug: &str,
) -> sqlx::Result<Vec<(String, String, Vec<String>)>> {
    let rows: Vec<(String, String, String)> = on!(&mut *tx, |e| sqlx::query_as(&format!(
        "SELECT id, name, workloads FROM inference_keys
         WHERE project_id = $1 AND workloads <> '\"*\"'
           AND EXISTS (SELECT 1 FROM json_each({}) WHERE value = $2)",
        crate::keys::scope_array_sql("inference_keys.workloads")
    ))
    .bind(project_id)
    .bind(slug)
    .fetch_all(e)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, raw)| (id, name, serde_json::from_str(&raw).unwrap_or_default()))
        .collect())
}

async fn rename_in_key_scopes(
    tx: &mut Tx,
    project_id: &str,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    for (id, _, slugs) in keys_naming(tx, project_id, from).await? {
        let renamed: Vec<String> = slugs
            .into_iter()
            .map(|s| if s == from { to.to_owned() } else { s })
            .collect();
        on!(&mut *tx, |e| sqlx::query(
            "UPDATE inference_keys SET workloads = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(json!(renamed).to_string())
        .bind(now)
        .bind(&id)
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// Deletes the workload and takes its slug out of every key's scope, in one
/// transaction; returns the keys that changed.
pub async fn delete(
    pool: &Db,
    project_id: &str,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(Workload, Vec<AffectedKey>), Refusal> {
    let mut tx = pool.begin_write().await?;
    let Some(current) = get(tx.exec(), project_id, id).await? else {
        return Err(Refusal::NotFound);
    };
    let mut affected = Vec::new();
    for (key_id, name, slugs) in keys_naming(&mut tx, project_id, &current.slug).await? {
        let remaining: Vec<String> = slugs.into_iter().filter(|s| *s != current.slug).collect();
        on!(&mut tx, |e| sqlx::query(
            "UPDATE inference_keys SET workloads = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(json!(remaining).to_string())
        .bind(now)
        .bind(&key_id)
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
        let changes = audit::change(
            "workloads",
            json!(remaining.iter().chain([&current.slug]).collect::<Vec<_>>()),
            json!(remaining),
        );
        let key_event = Event {
            project_id,
            action: "key.updated",
            target_type: "inference_key",
            target_id: &key_id,
            changes,
        };
        audit::record(&mut tx, actor, key_event, now).await?;
        affected.push(AffectedKey {
            id: key_id,
            name,
            remaining_workloads: remaining,
        });
    }
    on!(&mut tx, |e| sqlx::query(
        "DELETE FROM workloads WHERE id = $1"
    )
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    let changes = spec_of(&current)
        .changes_from(&WorkloadSpec::default())
        .into_iter()
        .map(|(field, change)| (field, json!({ "old": change["new"], "new": null })))
        .collect();
    audit::record(
        &mut tx,
        actor,
        event(project_id, "workload.deleted", id, changes),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((current, affected))
}
