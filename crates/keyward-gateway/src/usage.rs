//! Project usage read from the meter's rollups (`usage_minute`, `usage_hour`,
//! `usage_day`), never from request logs: a 90-day view sums day rows, so its cost
//! grows with the number of (key, model, workload, day) cells that saw traffic, not
//! with the number of requests.
//!
//! The table is picked from the bucket: minute rows (kept 48 h), hour rows, day rows;
//! a whole-range total (`bucket=none`) reads day rows when the range is whole UTC days
//! and hour rows otherwise. Grouping happens in SQLite on a covering index, so only
//! the answer crosses into Rust.

use crate::db::{on, Db};
use chrono::{DateTime, TimeDelta, Utc};
use keyward_api::usage::{
    UsageBucket, UsageDimension, UsageKeyRef, UsageQuery, UsageReport, UsageRow, MAX_ROWS,
};
use sqlx::Row;

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
    pool: &Db,
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
    // $1–$3 are the project and the range; each filter binds the next number, the
    // row limit the last.
    let mut filters = String::new();
    let mut next = 4;
    for (column, values) in [
        ("key_id", &query.key_ids),
        ("model", &query.models),
        ("workload", &query.workloads),
    ] {
        if !values.is_empty() {
            filters.push_str(&format!(
                " AND {column} IN (SELECT value FROM json_each(${next}))"
            ));
            next += 1;
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
    // `+bucket` keeps SQLite's planner off the (project, bucket) index, so it reads
    // `usage_day_by_key` in key order; the range still filters every row. (PostgreSQL
    // costs its plans from statistics and has no such operator for timestamps.)
    let bucket = if by_key && pool.is_sqlite() {
        "+bucket"
    } else {
        "bucket"
    };
    // Only fixed column and table names are formatted into the SQL; every value is bound.
    let sql = format!(
        "SELECT {select}CAST(SUM(requests) AS BIGINT), CAST(SUM(errors) AS BIGINT),
                CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT),
                CAST(SUM(estimated_requests) AS BIGINT)
         FROM {table} WHERE project_id = $1 AND {bucket} >= $2 AND {bucket} < $3{filters}{group} LIMIT ${next}",
        table = table(query),
    );
    let filter_values: Vec<String> = [&query.key_ids, &query.models, &query.workloads]
        .into_iter()
        .filter(|values| !values.is_empty())
        .map(|values| serde_json::to_string(values).unwrap_or_default())
        .collect();
    let fetched: Vec<Fetched> = on!(pool, |e| {
        let mut statement = sqlx::query(&sql)
            .bind(project_id)
            .bind(query.start)
            .bind(query.end);
        for values in &filter_values {
            statement = statement.bind(values);
        }
        let rows = statement.bind(MAX_ROWS as i64 + 1).fetch_all(e).await?;
        rows.iter()
            .map(|row| Fetched::read(row, &columns))
            .collect::<sqlx::Result<_>>()?
    });
    if fetched.len() > MAX_ROWS {
        return Err(UsageError::TooManyRows);
    }
    let mut rows = Vec::with_capacity(fetched.len());
    for row in fetched {
        if columns.is_empty() && row.sums[0] == 0 {
            continue;
        }
        rows.push(UsageRow {
            bucket: row.bucket,
            key_id: row.key_id,
            model: row.model,
            workload: row.workload,
            requests: row.sums[0],
            errors: row.sums[1],
            input_tokens: row.sums[2],
            output_tokens: row.sums[3],
            estimated_requests: row.sums[4],
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

/// One answer row, read the same way from either engine's row type.
struct Fetched {
    bucket: Option<DateTime<Utc>>,
    key_id: Option<String>,
    model: Option<String>,
    workload: Option<String>,
    /// requests, errors, input, output, estimated requests.
    sums: [i64; 5],
}

impl Fetched {
    /// `columns` are the grouping columns, selected first; the five sums follow.
    fn read<R: Row>(row: &R, columns: &[&str]) -> sqlx::Result<Self>
    where
        usize: sqlx::ColumnIndex<R>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let text = |name: &str| -> sqlx::Result<Option<String>> {
            match columns.iter().position(|c| *c == name) {
                Some(i) => row.try_get::<String, _>(i).map(Some),
                None => Ok(None),
            }
        };
        let n = columns.len();
        let mut sums = [0; 5];
        for (i, sum) in sums.iter_mut().enumerate() {
            // SUM over no rows is NULL: a whole-range total with no traffic.
            *sum = row.try_get::<Option<i64>, _>(n + i)?.unwrap_or(0);
        }
        Ok(Fetched {
            bucket: match columns.first() {
                Some(&"bucket") => Some(row.try_get::<DateTime<Utc>, _>(0)?),
                _ => None,
            },
            key_id: text("key_id")?,
            model: text("model")?,
            workload: text("workload")?,
            sums,
        })
    }
}

/// Names of the keys in `rows`, so the console can label them without a request per key.
async fn key_refs(
    pool: &Db,
    project_id: &str,
    rows: &[UsageRow],
) -> sqlx::Result<Vec<UsageKeyRef>> {
    let mut ids: Vec<&str> = rows.iter().filter_map(|r| r.key_id.as_deref()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    let found: Vec<(String, String, String, bool)> = on!(pool, |e| sqlx::query_as(
        "SELECT id, name, masked, revoked_at IS NOT NULL FROM inference_keys
         WHERE project_id = $1 AND id IN (SELECT value FROM json_each($2)) ORDER BY id",
    )
    .bind(project_id)
    .bind(&ids)
    .fetch_all(e)
    .await)?;
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
