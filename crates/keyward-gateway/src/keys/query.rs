//! Reading keys: one key by id, a filtered and sorted page of a project's keys, and a
//! key's usage.
//!
//! The list is built with a [`QueryBuilder`] because its filters are optional and
//! combine; the same filters build the count, so a page and its total cannot disagree.

use super::row::{scope_array_sql, KeyRow, COLUMNS};
use chrono::{DateTime, Duration, Utc};
use keyward_api::{InferenceKey, KeyStatus, KeyUsage, ModelUsage};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

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
        // The masked label too, so a key seen as `kw_live_AbC…x9Qz` in a log or a
        // ticket is found by any part of it ("..." typed for the ellipsis included).
        let masked = pattern.replace("...", "…");
        builder
            .push(" AND (name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR labels LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\' OR masked LIKE ")
            .push_bind(masked)
            .push(" ESCAPE '\\')");
    }
    if let Some(model) = &query.model {
        builder
            .push(format!(
                " AND (allowed_models IS NULL OR EXISTS (SELECT 1 FROM json_each({}) WHERE value = ",
                scope_array_sql("inference_keys.allowed_models")
            ))
            .push_bind(model.clone())
            .push("))");
    }
    if let Some(workload) = &query.workload {
        builder
            .push(format!(
                " AND (workloads = '\"*\"' OR EXISTS (SELECT 1 FROM json_each({}) WHERE value = ",
                scope_array_sql("inference_keys.workloads")
            ))
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

/// One key of the project (`None` for another project's key, as for no key).
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
