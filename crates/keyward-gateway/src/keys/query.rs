//! Reading keys: one key by id, a filtered and sorted page of a project's keys, and a
//! key's usage.
//!
//! The list is built with a [`QueryBuilder`] because its filters are optional and
//! combine; the same filters build the count, so a page and its total cannot disagree.

use super::row::{scope_array_sql, KeyRow, COLUMNS};
use crate::db::{on, on_exec, Binds, Db, Exec};
use chrono::{DateTime, Duration, Utc};
use keyward_api::{InferenceKey, KeyStatus, KeyUsage, ModelUsage};
use sqlx::QueryBuilder;

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

fn push_filters<'a, DB: Binds<'a>>(
    builder: &mut QueryBuilder<'a, DB>,
    project_id: &str,
    query: &KeyQuery,
    now: DateTime<Utc>,
) {
    builder.push(" WHERE project_id = ");
    DB::text(builder, project_id.to_owned());
    match query.status {
        Some(KeyStatus::Archived) => {
            builder.push(" AND archived_at IS NOT NULL");
        }
        Some(KeyStatus::Revoked) => {
            builder.push(" AND archived_at IS NULL AND revoked_at IS NOT NULL");
        }
        Some(KeyStatus::Expired) => {
            builder.push(" AND archived_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ");
            DB::time(builder, now);
        }
        Some(KeyStatus::Active) => {
            builder.push(" AND archived_at IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ");
            DB::time(builder, now);
            builder.push(")");
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
        // Case-insensitive on both engines: `lower()` on both sides (SQLite's LIKE
        // ignores ASCII case, PostgreSQL's does not).
        let masked = pattern.replace("...", "…");
        builder.push(" AND (lower(name) LIKE lower(");
        DB::text(builder, pattern.clone());
        builder.push(") ESCAPE '\\' OR lower(labels) LIKE lower(");
        DB::text(builder, pattern);
        builder.push(") ESCAPE '\\' OR lower(masked) LIKE lower(");
        DB::text(builder, masked);
        builder.push(") ESCAPE '\\')");
    }
    if let Some(model) = &query.model {
        builder.push(format!(
            " AND (allowed_models IS NULL OR EXISTS (SELECT 1 FROM json_each({}) WHERE value = ",
            scope_array_sql("inference_keys.allowed_models")
        ));
        DB::text(builder, model.clone());
        builder.push("))");
    }
    if let Some(workload) = &query.workload {
        builder.push(format!(
            " AND (workloads = '\"*\"' OR EXISTS (SELECT 1 FROM json_each({}) WHERE value = ",
            scope_array_sql("inference_keys.workloads")
        ));
        DB::text(builder, workload.clone());
        builder.push("))");
    }
    if let Some((key, value)) = &query.label {
        builder.push(" AND EXISTS (SELECT 1 FROM json_each(inference_keys.labels) WHERE key = ");
        DB::text(builder, key.clone());
        if let Some(value) = value {
            builder.push(" AND value = ");
            DB::text(builder, value.clone());
        }
        builder.push(")");
    }
    if let Some(days) = query.expiring_within_days {
        builder.push(" AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at > ");
        DB::time(builder, now);
        builder.push(" AND expires_at <= ");
        DB::time(builder, now + chrono::Duration::days(days));
    }
}

/// One page of the project's keys, and the number matching over all pages.
pub async fn list(
    pool: &Db,
    project_id: &str,
    query: &KeyQuery,
    now: DateTime<Utc>,
) -> sqlx::Result<(Vec<InferenceKey>, i64)> {
    let total: i64 = if !query.is_filtered() {
        // Unfiltered: the trigger-maintained count (migration 0004), one row read.
        let counted: Option<(i64, i64)> = on!(pool, |e| sqlx::query_as(
            "SELECT total, archived FROM project_key_counts WHERE project_id = $1"
        )
        .bind(project_id)
        .fetch_optional(e)
        .await)?;
        let (all, archived) = counted.unwrap_or((0, 0));
        if query.include_archived {
            all
        } else {
            all - archived
        }
    } else {
        on!(pool, |e| {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM inference_keys");
            push_filters(&mut count, project_id, query, now);
            count.build_query_scalar().fetch_one(e).await?
        })
    };

    let rows: Vec<KeyRow> = on!(pool, |e| {
        let mut page = QueryBuilder::new(format!("SELECT {COLUMNS} FROM inference_keys"));
        push_filters(&mut page, project_id, query, now);
        page.push(match query.sort {
            KeySort::CreatedAt => " ORDER BY created_at DESC, id DESC",
            KeySort::LastUsedAt => " ORDER BY last_used_at IS NULL, last_used_at DESC, id DESC",
            KeySort::Name => " ORDER BY lower(name), id",
        });
        page.push(" LIMIT ");
        page.push_bind(query.limit);
        page.push(" OFFSET ");
        page.push_bind(query.offset);
        page.build_query_as().fetch_all(e).await?
    });
    Ok((rows.into_iter().map(|r| r.into_wire(now)).collect(), total))
}

/// One key of the project (`None` for another project's key, as for no key).
pub async fn get(
    mut executor: Exec<'_>,
    project_id: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<InferenceKey>> {
    let sql = format!("SELECT {COLUMNS} FROM inference_keys WHERE id = $1 AND project_id = $2");
    let row: Option<KeyRow> = on_exec!(executor, |e| sqlx::query_as(&sql)
        .bind(key_id)
        .bind(project_id)
        .fetch_optional(e)
        .await)?;
    Ok(row.map(|r| r.into_wire(now)))
}

/// Totals and the per-model breakdown the data plane records.
pub async fn usage(pool: &Db, key: &InferenceKey, now: DateTime<Utc>) -> sqlx::Result<KeyUsage> {
    use chrono::DurationRound;
    let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let first = this_hour - Duration::hours(23);
    let rows: Vec<(DateTime<Utc>, i64, i64, i64)> = on!(pool, |e| sqlx::query_as(
        "SELECT bucket, CAST(SUM(requests) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT),
                CAST(SUM(output_tokens) AS BIGINT) FROM usage_hour
         WHERE key_id = $1 AND bucket >= $2 GROUP BY bucket",
    )
    .bind(&key.id)
    .bind(first)
    .fetch_all(e)
    .await)?;
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
    let by_model: Vec<(String, i64, i64, i64)> = on!(pool, |e| sqlx::query_as(
        "SELECT model, requests, input_tokens, output_tokens FROM key_usage_by_model
         WHERE key_id = $1 ORDER BY input_tokens + output_tokens DESC, model",
    )
    .bind(&key.id)
    .fetch_all(e)
    .await)?;
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
