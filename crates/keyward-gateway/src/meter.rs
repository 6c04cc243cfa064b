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

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How often aggregates are written; also the most usage a crash can lose.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Minute buckets older than this are deleted at flush time (hours and days stay).
pub const MINUTE_RETENTION: TimeDelta = TimeDelta::hours(48);

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

#[derive(Default)]
pub struct Meter {
    pending: Mutex<Pending>,
    /// Serialises flushes (the timer and a shutdown can race).
    flushing: tokio::sync::Mutex<()>,
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

    /// Writes everything recorded so far in one transaction. On failure the
    /// aggregates are put back, to be retried at the next flush.
    pub async fn flush(&self, pool: &SqlitePool) -> sqlx::Result<usize> {
        let _serial = self.flushing.lock().await;
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if taken.buckets.is_empty() && taken.last_used.is_empty() {
            return Ok(0);
        }
        let count = taken.buckets.len();
        match write(pool, &taken).await {
            Ok(()) => Ok(count),
            Err(error) => {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                for (key, (project, totals)) in taken.buckets {
                    let (_, into) = pending
                        .buckets
                        .entry(key)
                        .or_insert_with(|| (project, Totals::default()));
                    into.requests += totals.requests;
                    into.errors += totals.errors;
                    into.input_tokens += totals.input_tokens;
                    into.output_tokens += totals.output_tokens;
                    into.estimated_requests += totals.estimated_requests;
                }
                for (key, at) in taken.last_used {
                    let last = pending.last_used.entry(key).or_insert(at);
                    if at > *last {
                        *last = at;
                    }
                }
                Err(error)
            }
        }
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

async fn write(pool: &SqlitePool, pending: &Pending) -> sqlx::Result<()> {
    let mut tx = pool.begin_with(crate::WRITE_TX).await?;
    let mut per_key: HashMap<&str, Totals> = HashMap::new();
    let mut per_model: HashMap<(&str, &str), Totals> = HashMap::new();
    for (key, (project_id, totals)) in &pending.buckets {
        let buckets = [
            ("usage_minute", key.minute),
            (
                "usage_hour",
                key.minute
                    .duration_trunc(TimeDelta::hours(1))
                    .unwrap_or(key.minute),
            ),
            (
                "usage_day",
                key.minute
                    .duration_trunc(TimeDelta::days(1))
                    .unwrap_or(key.minute),
            ),
        ];
        for (table, bucket) in buckets {
            sqlx::query(&format!(
                "INSERT INTO {table} (project_id, key_id, model, workload, bucket, requests, errors, input_tokens, output_tokens, estimated_requests)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (key_id, model, workload, bucket) DO UPDATE SET
                   requests = requests + excluded.requests,
                   errors = errors + excluded.errors,
                   input_tokens = input_tokens + excluded.input_tokens,
                   output_tokens = output_tokens + excluded.output_tokens,
                   estimated_requests = estimated_requests + excluded.estimated_requests"
            ))
            .bind(project_id)
            .bind(&key.key_id)
            .bind(&key.model)
            .bind(&key.workload)
            .bind(bucket)
            .bind(totals.requests)
            .bind(totals.errors)
            .bind(totals.input_tokens)
            .bind(totals.output_tokens)
            .bind(totals.estimated_requests)
            .execute(&mut *tx)
            .await?;
        }
        let k = per_key.entry(key.key_id.as_str()).or_default();
        let m = per_model
            .entry((key.key_id.as_str(), key.model.as_str()))
            .or_default();
        for into in [k, m] {
            into.requests += totals.requests;
            into.input_tokens += totals.input_tokens;
            into.output_tokens += totals.output_tokens;
        }
    }
    for (key_id, totals) in per_key {
        sqlx::query(
            "UPDATE inference_keys SET
               request_count = request_count + ?, input_tokens = input_tokens + ?,
               output_tokens = output_tokens + ?
             WHERE id = ?",
        )
        .bind(totals.requests)
        .bind(totals.input_tokens)
        .bind(totals.output_tokens)
        .bind(key_id)
        .execute(&mut *tx)
        .await?;
    }
    for (key_id, at) in &pending.last_used {
        sqlx::query(
            "UPDATE inference_keys SET last_used_at = ?1
             WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)",
        )
        .bind(at)
        .bind(key_id)
        .execute(&mut *tx)
        .await?;
    }
    for ((key_id, model), totals) in per_model {
        sqlx::query(
            "INSERT INTO key_usage_by_model (key_id, model, requests, input_tokens, output_tokens)
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM inference_keys WHERE id = ?1)
             ON CONFLICT (key_id, model) DO UPDATE SET
               requests = requests + excluded.requests,
               input_tokens = input_tokens + excluded.input_tokens,
               output_tokens = output_tokens + excluded.output_tokens",
        )
        .bind(key_id)
        .bind(model)
        .bind(totals.requests)
        .bind(totals.input_tokens)
        .bind(totals.output_tokens)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM usage_minute WHERE bucket < ?")
        .bind(Utc::now() - MINUTE_RETENTION)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
