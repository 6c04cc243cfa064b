//! Project usage read from the meter's rollups (`usage_minute`, `usage_hour`,
//! `usage_day`), never from request logs: a 90-day view sums day rows, so its cost
//! grows with the number of (key, model, workload, day) cells that saw traffic, not
//! with the number of requests.
//!
//! The table is picked from the bucket: minute rows (kept 48 h), hour rows, day rows;
//! a whole-range total (`bucket=none`) reads day rows when the range is whole UTC days
//! and hour rows otherwise. Grouping happens in SQLite on a covering index, so only
//! the answer crosses into Rust.

use chrono::{DateTime, TimeDelta, Utc};
use keyward_api::usage::{
    UsageBucket, UsageDimension, UsageKeyRef, UsageQuery, UsageReport, UsageRow, MAX_ROWS,
};
use sqlx::{Row, SqlitePool};

/// Why a usage query was not answered.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("The answer would exceed {MAX_ROWS} rows; add a filter, group by fewer dimensions or use a wider bucket.")]
    TooManyRows,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn table(query: &UsageQuery) -> &'static str {
    match query.bucket {
        UsageBucket::Minute => "usage_minute",
        UsageBucket::Hour => "usage_hour",
        UsageBucket::Day => "usage_day",
        UsageBucket::None if whole_days(query.start) && whole_days(query.end) => "usage_day",
        UsageBucket::None => "usage_hour",
    }
}

/// Whole-range totals per key over 45 days or more of day rows: read in key order.
const BY_KEY_MIN_DAYS: i64 = 45;

fn by_key_plan(query: &UsageQuery) -> bool {
    query.bucket == UsageBucket::None
        && query.groups_by(UsageDimension::Key)
        && table(query) == "usage_day"
        && query.end - query.start >= TimeDelta::days(BY_KEY_MIN_DAYS)
}

fn whole_days(at: DateTime<Utc>) -> bool {
    use chrono::DurationRound;
    at.duration_trunc(TimeDelta::days(1)).ok() == Some(at)
}

/// Sums usage of `project_id` per bucket and the requested dimensions.
pub async fn report(
    pool: &SqlitePool,
    project_id: &str,
    query: &UsageQuery,
) -> Result<UsageReport, UsageError> {
    let mut columns: Vec<&str> = Vec::new();
    if query.bucket != UsageBucket::None {
        columns.push("bucket");
    }
    // Grouped in the order of the index that serves the query, so grouping streams
    // without a sort: (bucket, model, key, workload) normally; (key, model) for long
    // whole-range totals per key, read through `usage_day_by_key`.
    let by_key = by_key_plan(query);
    let order = if by_key {
        [
            (UsageDimension::Key, "key_id"),
            (UsageDimension::Model, "model"),
            (UsageDimension::Workload, "workload"),
        ]
    } else {
        [
            (UsageDimension::Model, "model"),
            (UsageDimension::Key, "key_id"),
            (UsageDimension::Workload, "workload"),
        ]
    };
    for (dimension, column) in order {
        if query.groups_by(dimension) {
            columns.push(column);
        }
    }
    let mut filters = String::new();
    for (column, values) in [
        ("key_id", &query.key_ids),
        ("model", &query.models),
        ("workload", &query.workloads),
    ] {
        if !values.is_empty() {
            filters.push_str(&format!(
                " AND {column} IN (SELECT value FROM json_each(?))"
            ));
        }
    }
    let select = if columns.is_empty() {
        String::new()
    } else {
        format!("{}, ", columns.join(", "))
    };
    let group = if columns.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {0} ORDER BY {0}", columns.join(", "))
    };
    // `+bucket` keeps the planner off the (project, bucket) index, so it reads
    // `usage_day_by_key` in key order; the range still filters every row.
    let bucket = if by_key { "+bucket" } else { "bucket" };
    // Only fixed column and table names are formatted into the SQL; every value is bound.
    let sql = format!(
        "SELECT {select}SUM(requests), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(estimated_requests)
         FROM {table} WHERE project_id = ? AND {bucket} >= ? AND {bucket} < ?{filters}{group} LIMIT ?",
        table = table(query),
    );
    let mut statement = sqlx::query(&sql)
        .bind(project_id)
        .bind(query.start)
        .bind(query.end);
    for values in [&query.key_ids, &query.models, &query.workloads] {
        if !values.is_empty() {
            statement = statement.bind(serde_json::to_string(values).unwrap_or_default());
        }
    }
    let fetched = statement.bind(MAX_ROWS as i64 + 1).fetch_all(pool).await?;
    if fetched.len() > MAX_ROWS {
        return Err(UsageError::TooManyRows);
    }
    let mut rows = Vec::with_capacity(fetched.len());
    for row in &fetched {
        let text = |name: &str| -> sqlx::Result<Option<String>> {
            match columns.iter().position(|c| *c == name) {
                Some(i) => row.try_get::<String, _>(i).map(Some),
                None => Ok(None),
            }
        };
        let n = columns.len();
        // SUM over no rows is NULL: a whole-range total with no traffic.
        let sum = |i: usize| -> sqlx::Result<i64> {
            Ok(row.try_get::<Option<i64>, _>(n + i)?.unwrap_or(0))
        };
        let requests = sum(0)?;
        if columns.is_empty() && requests == 0 {
            continue;
        }
        rows.push(UsageRow {
            bucket: match columns.first() {
                Some(&"bucket") => Some(row.try_get::<DateTime<Utc>, _>(0)?),
                _ => None,
            },
            key_id: text("key_id")?,
            model: text("model")?,
            workload: text("workload")?,
            requests,
            errors: sum(1)?,
            input_tokens: sum(2)?,
            output_tokens: sum(3)?,
            estimated_requests: sum(4)?,
        });
    }
    let keys = if query.groups_by(UsageDimension::Key) {
        key_refs(pool, project_id, &rows).await?
    } else {
        Vec::new()
    };
    Ok(UsageReport {
        start: query.start,
        end: query.end,
        bucket: query.bucket,
        group_by: query.group_by.clone(),
        rows,
        keys,
    })
}

/// Names of the keys in `rows`, so the console can label them without a request per key.
async fn key_refs(
    pool: &SqlitePool,
    project_id: &str,
    rows: &[UsageRow],
) -> sqlx::Result<Vec<UsageKeyRef>> {
    let mut ids: Vec<&str> = rows.iter().filter_map(|r| r.key_id.as_deref()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT id, name, masked, revoked_at IS NOT NULL FROM inference_keys
         WHERE project_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id",
    )
    .bind(project_id)
    .bind(serde_json::to_string(&ids).unwrap_or_default())
    .fetch_all(pool)
    .await?;
    Ok(found
        .into_iter()
        .map(|(id, name, masked, revoked)| UsageKeyRef {
            id,
            name,
            masked,
            revoked,
        })
        .collect())
}
