//! Inference keys in SQLite: every lifecycle step, each mutation audited in the same
//! transaction.
//!
//! Every query that addresses a key by id also filters by the caller's project, so a
//! token of one project cannot read or change another project's keys even by guessing
//! ids; such a key is simply "not found". Status is derived at read time from the
//! timestamps (`archived_at` > `revoked_at` > `expires_at`), so expiry needs no job.

use crate::audit::{self, Actor, Event};
use chrono::{DateTime, Duration, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::{
    InferenceKey, KeySpec, KeyStatus, KeyUsage, ModelUsage, Secret, TokenLimitPeriod,
};
use serde_json::{json, Value};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

#[derive(Debug, sqlx::FromRow)]
struct KeyRow {
    id: String,
    project_id: String,
    name: String,
    description: String,
    masked: String,
    rpm: Option<i64>,
    tpm: Option<i64>,
    token_limit: Option<i64>,
    token_limit_period: Option<String>,
    allowed_models: Option<String>,
    workloads: String,
    labels: String,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    request_count: i64,
    input_tokens: i64,
    output_tokens: i64,
}

const COLUMNS: &str = "id, project_id, name, description, masked, rpm, tpm, token_limit, \
    token_limit_period, allowed_models, workloads, labels, expires_at, created_at, updated_at, \
    revoked_at, archived_at, last_used_at, request_count, input_tokens, output_tokens";

pub fn status_at(
    revoked_at: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> KeyStatus {
    if archived_at.is_some() {
        KeyStatus::Archived
    } else if revoked_at.is_some() {
        KeyStatus::Revoked
    } else if expires_at.is_some_and(|at| at <= now) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

impl KeyRow {
    fn into_wire(self, now: DateTime<Utc>) -> InferenceKey {
        InferenceKey {
            status: status_at(self.revoked_at, self.archived_at, self.expires_at, now),
            token_limit_period: self
                .token_limit_period
                .as_deref()
                .and_then(TokenLimitPeriod::parse),
            allowed_models: self
                .allowed_models
                .and_then(|j| serde_json::from_str(&j).ok()),
            workloads: serde_json::from_str(&self.workloads).unwrap_or_default(),
            labels: serde_json::from_str(&self.labels).unwrap_or_default(),
            id: self.id,
            project_id: self.project_id,
            name: self.name,
            description: self.description,
            masked: self.masked,
            rpm: self.rpm,
            tpm: self.tpm,
            token_limit: self.token_limit,
            expires_at: self.expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            revoked_at: self.revoked_at,
            archived_at: self.archived_at,
            last_used_at: self.last_used_at,
            request_count: self.request_count,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
        }
    }
}

/// The settings of a stored key, to diff a PATCH against.
pub fn spec_of(key: &InferenceKey) -> KeySpec {
    KeySpec {
        name: key.name.clone(),
        description: key.description.clone(),
        rpm: key.rpm,
        tpm: key.tpm,
        token_limit: key.token_limit,
        token_limit_period: key.token_limit_period,
        allowed_models: key.allowed_models.clone(),
        workloads: key.workloads.clone(),
        labels: key.labels.clone(),
        expires_at: key.expires_at,
    }
}

/// The columns a [`KeySpec`] fills, in the order [`bind_spec`] binds them.
const SPEC_COLUMNS: &str = "name, description, rpm, tpm, token_limit, token_limit_period, \
    allowed_models, workloads, labels, expires_at";

type KeyQueryAs<'q> = sqlx::query::QueryAs<'q, Sqlite, KeyRow, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds a spec's values for [`SPEC_COLUMNS`], so create and update cannot disagree.
fn bind_spec<'q>(query: KeyQueryAs<'q>, spec: &'q KeySpec) -> KeyQueryAs<'q> {
    query
        .bind(&spec.name)
        .bind(&spec.description)
        .bind(spec.rpm)
        .bind(spec.tpm)
        .bind(spec.token_limit)
        .bind(spec.token_limit_period.map(TokenLimitPeriod::as_str))
        .bind(spec.allowed_models.as_ref().map(json_of))
        .bind(json_of(&spec.workloads))
        .bind(json_of(&spec.labels))
        .bind(spec.expires_at)
}

fn json_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("scope values serialize")
}

/// Creates a key and returns it with its secret, which exists nowhere else afterwards.
pub async fn create(
    pool: &SqlitePool,
    project_id: &str,
    spec: &KeySpec,
    actor: &Actor,
    now: DateTime<Utc>,
) -> sqlx::Result<(InferenceKey, Secret)> {
    let secret = token::generate(TokenKind::Data);
    let id = crate::projects::new_id("key");
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let insert = format!(
        "INSERT INTO inference_keys (id, project_id, secret_hash, masked, {SPEC_COLUMNS},
            created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
    );
    let row = sqlx::query_as(&insert)
        .bind(&id)
        .bind(project_id)
        .bind(token::hash(secret.expose()).to_vec())
        .bind(token::masked(secret.expose()));
    let row: KeyRow = bind_spec(row, spec)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    let created = spec.changes_from(&KeySpec::default());
    let event = Event {
        project_id,
        action: "key.created",
        target_type: "inference_key",
        target_id: &id,
        changes: created,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok((row.into_wire(now), secret))
}

/// `?sort=` of the key list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySort {
    CreatedAt,
    LastUsedAt,
    Name,
}

#[derive(Debug, Clone)]
pub struct KeyQuery {
    pub status: Option<KeyStatus>,
    pub include_archived: bool,
    pub q: Option<String>,
    /// Keys that may call this model (a key without a model list may call any).
    pub model: Option<String>,
    /// Keys that may call this workload (`"*"` keys may call any).
    pub workload: Option<String>,
    /// A label: `key` (present) or `key=value`.
    pub label: Option<(String, Option<String>)>,
    /// Keys that are not expired yet and expire within this many days.
    pub expiring_within_days: Option<i64>,
    pub sort: KeySort,
    pub limit: i64,
    pub offset: i64,
}

impl Default for KeyQuery {
    fn default() -> Self {
        Self {
            status: None,
            include_archived: false,
            q: None,
            model: None,
            workload: None,
            label: None,
            expiring_within_days: None,
            sort: KeySort::CreatedAt,
            limit: 50,
            offset: 0,
        }
    }
}

impl KeyQuery {
    /// Whether anything narrows the list beyond the archived switch.
    fn is_filtered(&self) -> bool {
        self.status.is_some()
            || self.q.as_deref().is_some_and(|q| !q.is_empty())
            || self.model.is_some()
            || self.workload.is_some()
            || self.label.is_some()
            || self.expiring_within_days.is_some()
    }
}

fn push_filters(
    builder: &mut QueryBuilder<'_, Sqlite>,
    project_id: &str,
    query: &KeyQuery,
    now: DateTime<Utc>,
) {
    builder
        .push(" WHERE project_id = ")
        .push_bind(project_id.to_owned());
    let now_at = now;
    let now = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    match query.status {
        Some(KeyStatus::Archived) => {
            builder.push(" AND archived_at IS NOT NULL");
        }
        Some(KeyStatus::Revoked) => {
            builder.push(" AND archived_at IS NULL AND revoked_at IS NOT NULL");
        }
        Some(KeyStatus::Expired) => {
            builder
                .push(" AND archived_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ")
                .push_bind(now.clone());
        }
        Some(KeyStatus::Active) => {
            builder
                .push(" AND archived_at IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ")
                .push_bind(now.clone())
                .push(")");
        }
        None if !query.include_archived => {
            builder.push(" AND archived_at IS NULL");
        }
        None => {}
    }
    if let Some(q) = query.q.as_deref().filter(|q| !q.is_empty()) {
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        builder
            .push(" AND (name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR labels LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(model) = &query.model {
        builder
            .push(" AND (allowed_models IS NULL OR EXISTS (SELECT 1 FROM json_each(inference_keys.allowed_models) WHERE value = ")
            .push_bind(model.clone())
            .push("))");
    }
    if let Some(workload) = &query.workload {
        builder
            .push(" AND (workloads = '\"*\"' OR EXISTS (SELECT 1 FROM json_each(inference_keys.workloads) WHERE value = ")
            .push_bind(workload.clone())
            .push("))");
    }
    if let Some((key, value)) = &query.label {
        builder
            .push(" AND EXISTS (SELECT 1 FROM json_each(inference_keys.labels) WHERE key = ")
            .push_bind(key.clone());
        if let Some(value) = value {
            builder.push(" AND value = ").push_bind(value.clone());
        }
        builder.push(")");
    }
    if let Some(days) = query.expiring_within_days {
        let until = (now_at + chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        builder
            .push(" AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at > ")
            .push_bind(now.clone())
            .push(" AND expires_at <= ")
            .push_bind(until);
    }
}

/// One page of the project's keys, and the number matching over all pages.
pub async fn list(
    pool: &SqlitePool,
    project_id: &str,
    query: &KeyQuery,
    now: DateTime<Utc>,
) -> sqlx::Result<(Vec<InferenceKey>, i64)> {
    let total: i64 = if !query.is_filtered() {
        // Unfiltered: the trigger-maintained count (migration 0004), one row read.
        let counted: Option<(i64, i64)> =
            sqlx::query_as("SELECT total, archived FROM project_key_counts WHERE project_id = ?")
                .bind(project_id)
                .fetch_optional(pool)
                .await?;
        let (all, archived) = counted.unwrap_or((0, 0));
        if query.include_archived {
            all
        } else {
            all - archived
        }
    } else {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM inference_keys");
        push_filters(&mut count, project_id, query, now);
        count.build_query_scalar().fetch_one(pool).await?
    };

    let mut page = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM inference_keys"));
    push_filters(&mut page, project_id, query, now);
    page.push(match query.sort {
        KeySort::CreatedAt => " ORDER BY created_at DESC, id DESC",
        KeySort::LastUsedAt => " ORDER BY last_used_at IS NULL, last_used_at DESC, id DESC",
        KeySort::Name => " ORDER BY name COLLATE NOCASE, id",
    });
    page.push(" LIMIT ")
        .push_bind(query.limit)
        .push(" OFFSET ")
        .push_bind(query.offset);
    let rows: Vec<KeyRow> = page.build_query_as().fetch_all(pool).await?;
    Ok((rows.into_iter().map(|r| r.into_wire(now)).collect(), total))
}

pub async fn get(
    executor: impl sqlx::SqliteExecutor<'_>,
    project_id: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<InferenceKey>> {
    let row: Option<KeyRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM inference_keys WHERE id = ? AND project_id = ?"
    ))
    .bind(key_id)
    .bind(project_id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| r.into_wire(now)))
}

/// Why a lifecycle step was refused.
#[derive(Debug)]
pub enum Refusal {
    NotFound,
    /// The key's current status does not allow the step.
    Conflict(KeyStatus),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Self {
        Refusal::Database(error)
    }
}

/// Applies a validated PATCH (the new spec), auditing the fields that changed.
async fn update_in_db(
    pool: &SqlitePool,
    project_id: &str,
    key_id: &str,
    next: impl FnOnce(&InferenceKey) -> Result<KeySpec, crate::error::ApiError>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<InferenceKey, crate::error::ApiError>, Refusal> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let Some(current) = get(&mut *tx, project_id, key_id, now).await? else {
        return Err(Refusal::NotFound);
    };
    let spec = match next(&current) {
        Ok(spec) => spec,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let changes = spec.changes_from(&spec_of(&current));
    if changes.is_empty() {
        return Ok(Ok(current));
    }
    let update_sql = format!(
        "UPDATE inference_keys SET ({SPEC_COLUMNS}) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?), updated_at = ?
         WHERE id = ? AND project_id = ? RETURNING {COLUMNS}"
    );
    let update = sqlx::query_as(&update_sql);
    let row: KeyRow = bind_spec(update, &spec)
        .bind(now)
        .bind(key_id)
        .bind(project_id)
        .fetch_one(&mut *tx)
        .await?;
    let event = Event {
        project_id,
        action: "key.updated",
        target_type: "inference_key",
        target_id: key_id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(Ok(row.into_wire(now)))
}

/// Revokes the key. Idempotent: revoking a revoked key keeps its first revocation time
/// and writes no second audit row. Also ends any rotation grace period.
async fn revoke_in_db(
    pool: &SqlitePool,
    project_id: &str,
    key_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, Refusal> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let Some(current) = get(&mut *tx, project_id, key_id, now).await? else {
        return Err(Refusal::NotFound);
    };
    if current.revoked_at.is_some() {
        return Ok(current);
    }
    let row: KeyRow = sqlx::query_as(&format!(
        "UPDATE inference_keys SET revoked_at = ?1, updated_at = ?1,
            previous_secret_hash = NULL, previous_secret_expires_at = NULL
         WHERE id = ?2 AND project_id = ?3 RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(key_id)
    .bind(project_id)
    .fetch_one(&mut *tx)
    .await?;
    let changes = audit::change("status", json!(current.status.as_str()), json!("revoked"));
    let event = Event {
        project_id,
        action: "key.revoked",
        target_type: "inference_key",
        target_id: key_id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(row.into_wire(now))
}

/// Archives (hides from the default list) or unarchives a revoked or expired key.
async fn set_archived_in_db(
    pool: &SqlitePool,
    project_id: &str,
    key_id: &str,
    archived: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, Refusal> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let Some(current) = get(&mut *tx, project_id, key_id, now).await? else {
        return Err(Refusal::NotFound);
    };
    let allowed = match (archived, current.status) {
        (true, KeyStatus::Revoked | KeyStatus::Expired) => true,
        (true, KeyStatus::Archived) | (false, _) if current.archived_at.is_some() == archived => {
            return Ok(current)
        }
        (false, KeyStatus::Archived) => true,
        _ => false,
    };
    if !allowed {
        return Err(Refusal::Conflict(current.status));
    }
    let row: KeyRow = sqlx::query_as(&format!(
        "UPDATE inference_keys SET archived_at = ?1, updated_at = ?2 WHERE id = ?3 AND project_id = ?4 RETURNING {COLUMNS}"
    ))
    .bind(archived.then_some(now))
    .bind(now)
    .bind(key_id)
    .bind(project_id)
    .fetch_one(&mut *tx)
    .await?;
    let key = row.into_wire(now);
    let (action, changes) = if archived {
        (
            "key.archived",
            audit::change("status", json!(current.status.as_str()), json!("archived")),
        )
    } else {
        (
            "key.unarchived",
            audit::change("status", json!("archived"), json!(key.status.as_str())),
        )
    };
    let event = Event {
        project_id,
        action,
        target_type: "inference_key",
        target_id: key_id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(key)
}

/// A new secret for the same key id. With a grace period the old secret keeps working
/// until it ends; without one it dies now. Only active keys can be rotated.
async fn rotate_in_db(
    pool: &SqlitePool,
    project_id: &str,
    key_id: &str,
    grace: Duration,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(InferenceKey, Secret), Refusal> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let Some(current) = get(&mut *tx, project_id, key_id, now).await? else {
        return Err(Refusal::NotFound);
    };
    if current.status != KeyStatus::Active {
        return Err(Refusal::Conflict(current.status));
    }
    let secret = token::generate(TokenKind::Data);
    let grace_ends = (grace > Duration::zero()).then(|| now + grace);
    let row: KeyRow = sqlx::query_as(&format!(
        "UPDATE inference_keys SET
            previous_secret_hash = CASE WHEN ?1 IS NULL THEN NULL ELSE secret_hash END,
            previous_secret_expires_at = ?1,
            secret_hash = ?2, masked = ?3, updated_at = ?4
         WHERE id = ?5 AND project_id = ?6 RETURNING {COLUMNS}"
    ))
    .bind(grace_ends)
    .bind(&token::hash(secret.expose())[..])
    .bind(token::masked(secret.expose()))
    .bind(now)
    .bind(key_id)
    .bind(project_id)
    .fetch_one(&mut *tx)
    .await?;
    let mut changes = audit::change("masked", json!(current.masked), json!(row.masked));
    changes.insert(
        "grace_period_seconds".into(),
        json!({ "old": Value::Null, "new": grace.num_seconds() }),
    );
    let event = Event {
        project_id,
        action: "key.rotated",
        target_type: "inference_key",
        target_id: key_id,
        changes,
    };
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok((row.into_wire(now), secret))
}

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
            models: self
                .allowed_models
                .as_ref()
                .map(|raw| serde_json::from_str::<Vec<String>>(raw).unwrap_or_default()),
            workloads: match serde_json::from_str::<serde_json::Value>(&self.workloads) {
                Ok(serde_json::Value::String(all)) if all == "*" => None,
                Ok(serde_json::Value::Array(slugs)) => Some(
                    slugs
                        .into_iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect(),
                ),
                _ => Some(Vec::new()),
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

pub async fn find_by_hash(
    pool: &SqlitePool,
    secret_hash: &[u8; 32],
) -> sqlx::Result<Option<PresentedKey>> {
    sqlx::query_as(
        "SELECT id, project_id, secret_hash, previous_secret_hash, previous_secret_expires_at,
                revoked_at, archived_at, expires_at, allowed_models, workloads, rpm, tpm,
                token_limit, token_limit_period
         FROM inference_keys WHERE secret_hash = ?1
         UNION ALL
         SELECT id, project_id, secret_hash, previous_secret_hash, previous_secret_expires_at,
                revoked_at, archived_at, expires_at, allowed_models, workloads, rpm, tpm,
                token_limit, token_limit_period
         FROM inference_keys WHERE previous_secret_hash = ?1
         LIMIT 1",
    )
    .bind(&secret_hash[..])
    .fetch_optional(pool)
    .await
}

/// Totals and the per-model breakdown the data plane records.
pub async fn usage(
    pool: &SqlitePool,
    key: &InferenceKey,
    now: DateTime<Utc>,
) -> sqlx::Result<KeyUsage> {
    use chrono::DurationRound;
    let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let first = this_hour - Duration::hours(23);
    let rows: Vec<(DateTime<Utc>, i64, i64, i64)> = sqlx::query_as(
        "SELECT bucket, SUM(requests), SUM(input_tokens), SUM(output_tokens) FROM usage_hour
         WHERE key_id = ? AND bucket >= ? GROUP BY bucket",
    )
    .bind(&key.id)
    .bind(first)
    .fetch_all(pool)
    .await?;
    let hourly = (0..24)
        .map(|h| {
            let at = first + Duration::hours(h);
            let row = rows.iter().find(|r| r.0 == at);
            keyward_api::keys::UsagePoint {
                at,
                requests: row.map_or(0, |r| r.1),
                input_tokens: row.map_or(0, |r| r.2),
                output_tokens: row.map_or(0, |r| r.3),
            }
        })
        .collect();
    let by_model: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT model, requests, input_tokens, output_tokens FROM key_usage_by_model
         WHERE key_id = ? ORDER BY input_tokens + output_tokens DESC, model",
    )
    .bind(&key.id)
    .fetch_all(pool)
    .await?;
    Ok(KeyUsage {
        key_id: key.id.clone(),
        requests: key.request_count,
        input_tokens: key.input_tokens,
        output_tokens: key.output_tokens,
        by_model: by_model
            .into_iter()
            .map(
                |(model, requests, input_tokens, output_tokens)| ModelUsage {
                    model,
                    requests,
                    input_tokens,
                    output_tokens,
                },
            )
            .collect(),
        hourly,
    })
}

// The mutations the data plane must see at once: each invalidates the key cache after
// its transaction and before returning (see `keycache`).

/// Applies a validated PATCH (the new spec), auditing the fields that changed.
pub async fn update(
    gateway: &crate::Gateway,
    project_id: &str,
    key_id: &str,
    next: impl FnOnce(&InferenceKey) -> Result<KeySpec, crate::error::ApiError>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<InferenceKey, crate::error::ApiError>, Refusal> {
    let result = update_in_db(gateway.pool(), project_id, key_id, next, actor, now).await;
    gateway.key_cache().invalidate(key_id);
    result
}

/// Revokes the key (idempotent); the next request with its secret is refused.
pub async fn revoke(
    gateway: &crate::Gateway,
    project_id: &str,
    key_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, Refusal> {
    let result = revoke_in_db(gateway.pool(), project_id, key_id, actor, now).await;
    gateway.key_cache().invalidate(key_id);
    result
}

pub async fn set_archived(
    gateway: &crate::Gateway,
    project_id: &str,
    key_id: &str,
    archived: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InferenceKey, Refusal> {
    let result = set_archived_in_db(gateway.pool(), project_id, key_id, archived, actor, now).await;
    gateway.key_cache().invalidate(key_id);
    result
}

pub async fn rotate(
    gateway: &crate::Gateway,
    project_id: &str,
    key_id: &str,
    grace: Duration,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(InferenceKey, Secret), Refusal> {
    let result = rotate_in_db(gateway.pool(), project_id, key_id, grace, actor, now).await;
    gateway.key_cache().invalidate(key_id);
    result
}
