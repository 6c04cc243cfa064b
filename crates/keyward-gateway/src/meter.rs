//! Metering off the request path. A finished request hands the meter one
//! [`UsageEvent`]; the meter adds it to an in-memory aggregate per (key, model,
//! workload, minute) and a background task writes the aggregates in one transaction at
//! least every second: the minute, hour and day buckets, the key's counters and
//! `last_used_at`, and the per-model totals the control plane shows.
//!
//! Why: an fsync'd commit per request would cap the gateway at a few hundred requests
//! a second. The cost is the flush window: a crash (kill -9, power cut) loses at most
//! the last second of usage; a graceful shutdown flushes first. Usage with a timestamp
//! in the past (imports, benchmarks) goes through the same path.
//!
//! A flush is retried until it is written, and never counts twice: the usage it takes is
//! a batch with an id (a UUIDv7), and its transaction records the id in `usage_flushes`
//! before adding anything. A COMMIT can reach the database while its answer never
//! reaches the gateway (a cut connection, a timeout); merging that batch back into the
//! pending usage would add it again. So a failed batch is kept as it is, under its id,
//! and written before anything newer; when the database already holds its id, the
//! earlier attempt did commit and the batch is dropped as done. Usage recorded in the
//! meantime waits for the next batch. Recorded ids are deleted after
//! [`FLUSH_ID_RETENTION`]; only a batch still failing after that long could count twice.

use crate::db::{on, Db, Tx};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sqlx::QueryBuilder;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;

/// How often aggregates are written; also the most usage a crash can lose.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Minute buckets older than this are deleted at flush time (hours and days stay).
pub const MINUTE_RETENTION: TimeDelta = TimeDelta::hours(48);
/// Ids of written batches older than this are deleted at flush time. A failed batch is
/// retried every second, so its id is only needed for as long as the database may stay
/// out of reach while the gateway keeps running.
pub const FLUSH_ID_RETENTION: TimeDelta = TimeDelta::hours(48);

/// One finished (or failed) data-plane request.
#[derive(Debug, Clone)]
pub struct UsageEvent {
    pub project_id: String,
    pub key_id: String,
    pub model: String,
    pub workload: String,
    pub at: DateTime<Utc>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The upstream reported no usage; the tokens are Keyward's estimate.
    pub estimated: bool,
    /// The request failed (upstream error, client gone before the end…).
    pub error: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Totals {
    requests: i64,
    errors: i64,
    input_tokens: i64,
    output_tokens: i64,
    estimated_requests: i64,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.estimated_requests += other.estimated_requests;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BucketKey {
    key_id: String,
    model: String,
    workload: String,
    minute: DateTime<Utc>,
}

#[derive(Default)]
struct Pending {
    buckets: HashMap<BucketKey, (String, Totals), crate::FastHash>,
    last_used: HashMap<String, DateTime<Utc>, crate::FastHash>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.buckets.is_empty() && self.last_used.is_empty()
    }
}

/// Usage taken out of [`Pending`] to be written in one transaction, under an id that
/// transaction records: see the module documentation.
struct Batch {
    id: Uuid,
    usage: Pending,
}

/// The batch a failed flush left behind, as [`Meter::unsent`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsentBatch {
    /// The id its transaction records; a retry carries the same one.
    pub id: Uuid,
    /// Its (key, model, workload, minute) aggregates.
    pub aggregates: usize,
}

#[derive(Default)]
pub struct Meter {
    pending: Mutex<Pending>,
    /// Serialises flushes (the timer and a shutdown can race) and holds the batch being
    /// written until it is known to be: a batch stays here after a failure, and also when
    /// a flush is cancelled half-way (a shutdown's deadline).
    flushing: tokio::sync::Mutex<Option<Batch>>,
}

impl Meter {
    /// Notes that a key was used at `at` by a request that has no usage to meter
    /// (e.g. `GET /v1/models`); written to `last_used_at` at the next flush.
    pub fn touch(&self, key_id: &str, at: DateTime<Utc>) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        note_use(&mut pending.last_used, key_id, at);
    }

    /// Records one request; never blocks on I/O.
    pub fn record(&self, event: UsageEvent) {
        let minute = event
            .at
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or(event.at);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        note_use(&mut pending.last_used, &event.key_id, event.at);
        let key = BucketKey {
            key_id: event.key_id,
            model: event.model,
            workload: event.workload,
            minute,
        };
        let (_, totals) = pending
            .buckets
            .entry(key)
            .or_insert_with(|| (event.project_id, Totals::default()));
        totals.requests += 1;
        totals.errors += i64::from(event.error);
        totals.input_tokens += event.input_tokens as i64;
        totals.output_tokens += event.output_tokens as i64;
        totals.estimated_requests += i64::from(event.estimated);
    }

    /// Writes everything recorded so far: first the batch an earlier flush failed to
    /// write, if any, then everything recorded since, as a new batch. Each batch is one
    /// transaction. On failure the batch is kept as it is, to be retried first at the
    /// next flush, and newer usage stays pending. Returns the aggregates written by this
    /// call (a retried batch the database already held counts none).
    pub async fn flush(&self, pool: &Db) -> sqlx::Result<usize> {
        let mut unsent = self.flushing.lock().await;
        let mut written = 0;
        if let Some(batch) = unsent.as_ref() {
            written += write(pool, batch).await?;
            *unsent = None;
        }
        let usage = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if usage.is_empty() {
            return Ok(written);
        }
        let batch = unsent.insert(Batch {
            id: Uuid::now_v7(),
            usage,
        });
        written += write(pool, batch).await?;
        *unsent = None;
        Ok(written)
    }

    /// The batch a failed flush left to be retried first, if any (waits for a flush in
    /// progress). For status reports and tests.
    pub async fn unsent(&self) -> Option<UnsentBatch> {
        self.flushing
            .lock()
            .await
            .as_ref()
            .map(|batch| UnsentBatch {
                id: batch.id,
                aggregates: batch.usage.buckets.len(),
            })
    }
}

/// Moves a key's `last_used_at` forward to `at`. Called under the meter's lock on every
/// request, so the key id is copied only the first time a flush window sees the key.
fn note_use(
    last_used: &mut HashMap<String, DateTime<Utc>, crate::FastHash>,
    key_id: &str,
    at: DateTime<Utc>,
) {
    match last_used.get_mut(key_id) {
        Some(last) => *last = (*last).max(at),
        None => {
            last_used.insert(key_id.to_owned(), at);
        }
    }
}

/// Rows per multi-row statement: at most 10 bound values each, far below SQLite's limit
/// of 32,766. One statement per row made a flush of 20,000 aggregates take 5 to 8 s, nearly
/// all of it spent handing statements one by one to SQLite's thread.
const ROWS_PER_STATEMENT: usize = 500;

/// One bucket row: (key id, model, workload, bucket start).
type BucketRow<'a> = (&'a str, &'a str, &'a str, DateTime<Utc>);

/// Per key: its usage this window and the latest use (also of requests without usage).
#[derive(Default)]
struct KeyUse {
    totals: Totals,
    last_used: Option<DateTime<Utc>>,
}

/// Writes `batch` in one transaction and returns its aggregates, or 0 when the database
/// already holds the batch's id (an earlier attempt committed; nothing is added again).
async fn write(pool: &Db, batch: &Batch) -> sqlx::Result<usize> {
    let pending = &batch.usage;
    // Hours and days are summed here, so each bucket is one row of one statement.
    type Rollup<'a> = HashMap<BucketRow<'a>, (&'a str, Totals), crate::FastHash>;
    let mut minutes: Vec<(BucketRow, &str, Totals)> = Vec::with_capacity(pending.buckets.len());
    let (mut hours, mut days) = (Rollup::default(), Rollup::default());
    let mut per_key: HashMap<&str, KeyUse, crate::FastHash> = HashMap::default();
    let mut per_model: HashMap<(&str, &str), Totals, crate::FastHash> = HashMap::default();
    for (key, (project_id, totals)) in &pending.buckets {
        let row = (
            key.key_id.as_str(),
            key.model.as_str(),
            key.workload.as_str(),
            key.minute,
        );
        minutes.push((row, project_id, *totals));
        for (rollup, span) in [
            (&mut hours, TimeDelta::hours(1)),
            (&mut days, TimeDelta::days(1)),
        ] {
            let start = key.minute.duration_trunc(span).unwrap_or(key.minute);
            rollup
                .entry((row.0, row.1, row.2, start))
                .or_insert_with(|| (project_id, Totals::default()))
                .1
                .add(totals);
        }
        per_key.entry(row.0).or_default().totals.add(totals);
        per_model.entry((row.0, row.1)).or_default().add(totals);
    }
    for (key_id, at) in &pending.last_used {
        per_key.entry(key_id).or_default().last_used = Some(*at);
    }

    let now = Utc::now();
    let mut tx = pool.begin_additive().await?;
    // First, so that a retry of a batch already written stops before adding anything.
    // On PostgreSQL, an earlier attempt still open on the server (its connection cut
    // mid-transaction) holds this row: the insert waits for it to commit or roll back.
    let recorded = on!(&mut tx, |e| {
        sqlx::query(
        "INSERT INTO usage_flushes (id, flushed_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING"
    )
    .bind(batch.id.to_string())
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected())
    })?;
    if recorded == 0 {
        tracing::warn!(
            batch = %batch.id,
            "a usage flush that failed had in fact been written; not adding it again"
        );
        return Ok(0);
    }
    // Every table's rows in key order: replicas flushing onto the same rows at once then
    // lock them in the same order and wait for each other instead of deadlocking (the
    // loser's whole flush would be undone and retried a second later).
    minutes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    upsert_buckets(&mut tx, "usage_minute", &minutes).await?;
    for (table, rollup) in [("usage_hour", hours), ("usage_day", days)] {
        let mut rows: Vec<_> = rollup
            .into_iter()
            .map(|(row, (project_id, totals))| (row, project_id, totals))
            .collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        upsert_buckets(&mut tx, table, &rows).await?;
    }

    let mut keys: Vec<_> = per_key.into_iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        on!(&mut tx, |e| {
            let mut query = QueryBuilder::new(
                "UPDATE inference_keys SET
               request_count = request_count + v.column2,
               input_tokens = input_tokens + v.column3,
               output_tokens = output_tokens + v.column4,
               last_used_at = CASE
                 WHEN v.column5 IS NOT NULL AND (last_used_at IS NULL OR last_used_at < v.column5)
                 THEN v.column5 ELSE last_used_at END
             FROM (",
            );
            query.push_values(chunk, |mut row, (key_id, used)| {
                row.push_bind(*key_id)
                    .push_bind(used.totals.requests)
                    .push_bind(used.totals.input_tokens)
                    .push_bind(used.totals.output_tokens)
                    .push_bind(used.last_used);
            });
            query.push(") AS v WHERE inference_keys.id = v.column1");
            query.build().execute(e).await?;
        });
    }

    let mut models: Vec<_> = per_model.into_iter().collect();
    models.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for chunk in models.chunks(ROWS_PER_STATEMENT) {
        // A key deleted since its requests has no row to total against.
        on!(&mut tx, |e| {
            let mut query = QueryBuilder::new(
            "INSERT INTO key_usage_by_model (key_id, model, requests, input_tokens, output_tokens)
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5 FROM (",
        );
            query.push_values(chunk, |mut row, ((key_id, model), totals)| {
                row.push_bind(*key_id)
                    .push_bind(*model)
                    .push_bind(totals.requests)
                    .push_bind(totals.input_tokens)
                    .push_bind(totals.output_tokens);
            });
            query.push(
                ") AS v WHERE EXISTS (SELECT 1 FROM inference_keys WHERE id = v.column1)
             ON CONFLICT (key_id, model) DO UPDATE SET
               requests = key_usage_by_model.requests + excluded.requests,
               input_tokens = key_usage_by_model.input_tokens + excluded.input_tokens,
               output_tokens = key_usage_by_model.output_tokens + excluded.output_tokens",
            );
            query.build().execute(e).await?;
        });
    }
    on!(&mut tx, |e| sqlx::query(
        "DELETE FROM usage_minute WHERE bucket < $1"
    )
    .bind(now - MINUTE_RETENTION)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    on!(&mut tx, |e| sqlx::query(
        "DELETE FROM usage_flushes WHERE flushed_at < $1"
    )
    .bind(now - FLUSH_ID_RETENTION)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    tx.commit().await?;
    Ok(pending.buckets.len())
}

/// Adds `rows` to `table`'s buckets (usage_minute, usage_hour or usage_day).
async fn upsert_buckets(
    tx: &mut Tx,
    table: &str,
    rows: &[(BucketRow<'_>, &str, Totals)],
) -> sqlx::Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        on!(&mut *tx, |e| {
            let mut query = QueryBuilder::new(format!(
            "INSERT INTO {table} (project_id, key_id, model, workload, bucket, requests, errors, input_tokens, output_tokens, estimated_requests) "
        ));
            query.push_values(
                chunk,
                |mut row, ((key_id, model, workload, bucket), project_id, totals)| {
                    row.push_bind(*project_id)
                        .push_bind(*key_id)
                        .push_bind(*model)
                        .push_bind(*workload)
                        .push_bind(*bucket)
                        .push_bind(totals.requests)
                        .push_bind(totals.errors)
                        .push_bind(totals.input_tokens)
                        .push_bind(totals.output_tokens)
                        .push_bind(totals.estimated_requests);
                },
            );
            query.push(format!(
                " ON CONFLICT (key_id, model, workload, bucket) DO UPDATE SET
               requests = {table}.requests + excluded.requests,
               errors = {table}.errors + excluded.errors,
               input_tokens = {table}.input_tokens + excluded.input_tokens,
               output_tokens = {table}.output_tokens + excluded.output_tokens,
               estimated_requests = {table}.estimated_requests + excluded.estimated_requests"
            ));
            query.build().execute(e).await?;
        });
    }
    Ok(())
}
