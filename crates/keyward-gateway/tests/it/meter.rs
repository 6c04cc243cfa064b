//! The meter's flush (meter.rs) at a size that takes several multi-row statements per
//! table: every event lands once in its minute, hour and day bucket, in the key's
//! counters and in its per-model totals; a second flush onto the same buckets adds to
//! them; `last_used_at` only moves forward; usage of a key that no longer exists is kept
//! in the buckets but creates no per-model row and does not fail the flush.
//!
//! And a flush retried after a failure never counts twice (issue 21): a failed batch is
//! kept under its id and written before newer usage, a batch whose id the database
//! already holds is not added again, old ids are pruned — on both engines — and, on
//! PostgreSQL through a [`FaultProxy`], a flush whose COMMIT answer is lost, or whose
//! connection is cut before its COMMIT, is applied exactly once by its retry.

use crate::dataplane::key;
use crate::faults::FaultProxy;
use crate::util::{new_postgres_database, postgres_server, TestGateway};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use keyward_gateway::db::Db;
use keyward_gateway::meter::{Meter, UsageEvent, FLUSH_ID_RETENTION};
use keyward_gateway::on_db;
use serde_json::json;

const MODELS: [&str; 2] = ["alpha", "beta"];
const WORKLOADS: [&str; 3] = ["w1", "w2", "w3"];
/// Minutes of traffic per key, model and workload: from 23:30 yesterday over midnight.
const MINUTES: i64 = 100;
/// Keys that were deleted after their requests (no `inference_keys` row).
const GONE: usize = 600;

fn event(
    project: &str,
    key_id: &str,
    model: &str,
    workload: &str,
    at: DateTime<Utc>,
) -> UsageEvent {
    UsageEvent {
        project_id: project.to_owned(),
        key_id: key_id.to_owned(),
        model: model.to_owned(),
        workload: workload.to_owned(),
        at,
        input_tokens: 10,
        output_tokens: 3,
        estimated: false,
        error: workload == "w3",
    }
}

async fn sum(gw: &TestGateway, table: &str, key_id: &str) -> (i64, i64, i64, i64, i64) {
    keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(&format!(
        "SELECT COUNT(*), CAST(SUM(requests) AS BIGINT), CAST(SUM(errors) AS BIGINT),
                CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT)
         FROM {table} WHERE key_id = $1"
    ))
    .bind(key_id)
    .fetch_one(e)
    .await)
    .unwrap()
}

async fn counters(gw: &TestGateway, key_id: &str) -> (i64, i64, i64, Option<DateTime<Utc>>) {
    keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
        "SELECT request_count, input_tokens, output_tokens, last_used_at FROM inference_keys WHERE id = $1",
    )
    .bind(key_id)
    .fetch_one(e)
    .await)
    .unwrap()
}

#[tokio::test]
async fn a_large_flush_writes_every_bucket_counter_and_total_exactly_once() {
    let gw = TestGateway::start().await;
    let mut keys = Vec::new();
    for n in 0..3 {
        keys.push(key(&gw, json!({ "name": format!("meter-{n}") })).await.0);
    }
    let start = Utc::now().duration_trunc(TimeDelta::days(1)).unwrap() - TimeDelta::minutes(30);
    let latest = start + TimeDelta::minutes(MINUTES - 1) + TimeDelta::seconds(42);
    let meter = gw.gateway.meter();
    let record_all = || {
        for key_id in &keys {
            for model in MODELS {
                for workload in WORKLOADS {
                    for minute in 0..MINUTES {
                        let mut at = start + TimeDelta::minutes(minute);
                        if minute == MINUTES - 1 {
                            at = latest;
                        }
                        // Two requests in each minute: one aggregate of two.
                        meter.record(event(&gw.project_id, key_id, model, workload, at));
                        meter.record(event(&gw.project_id, key_id, model, workload, at));
                    }
                }
            }
        }
        for n in 0..GONE {
            meter.record(event(
                &gw.project_id,
                &format!("key_gone_{n}"),
                "alpha",
                "w1",
                start,
            ));
        }
    };
    record_all();
    let per_key_rows = (MODELS.len() * WORKLOADS.len()) as i64 * MINUTES;
    assert_eq!(
        gw.gateway.flush_usage().await.unwrap(),
        keys.len() * per_key_rows as usize + GONE,
        "aggregates written"
    );

    let requests = per_key_rows * 2;
    // Errors: every request to w3, a third of them.
    let expected = |rows| (rows, requests, requests / 3, requests * 10, requests * 3);
    for key_id in &keys {
        assert_eq!(
            sum(&gw, "usage_minute", key_id).await,
            expected(per_key_rows)
        );
        // 23:30–01:09 touches three hours and two days, per model and workload.
        assert_eq!(sum(&gw, "usage_hour", key_id).await, expected(3 * 6));
        assert_eq!(sum(&gw, "usage_day", key_id).await, expected(2 * 6));
        assert_eq!(
            counters(&gw, key_id).await,
            (requests, requests * 10, requests * 3, Some(latest))
        );
        let by_model: Vec<(String, i64, i64, i64)> =
            keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
                "SELECT model, requests, input_tokens, output_tokens FROM key_usage_by_model
             WHERE key_id = $1 ORDER BY model",
            )
            .bind(key_id)
            .fetch_all(e)
            .await)
            .unwrap();
        let half = requests / 2;
        assert_eq!(
            by_model,
            [
                ("alpha".to_owned(), half, half * 10, half * 3),
                ("beta".to_owned(), half, half * 10, half * 3)
            ]
        );
    }
    // A deleted key's usage stays in the buckets (the project's totals are still true)
    // but has no key to total against.
    assert_eq!(
        sum(&gw, "usage_minute", "key_gone_7").await,
        (1, 1, 0, 10, 3)
    );
    let orphans: i64 = keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM key_usage_by_model WHERE key_id LIKE 'key_gone_%'",
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(orphans, 0);

    // The same traffic again adds onto the existing rows.
    record_all();
    gw.gateway.flush_usage().await.unwrap();
    for key_id in &keys {
        let (rows, r, e, i, o) = expected(per_key_rows);
        assert_eq!(
            sum(&gw, "usage_minute", key_id).await,
            (rows, 2 * r, 2 * e, 2 * i, 2 * o)
        );
        let (rows, r, e, i, o) = expected(3 * 6);
        assert_eq!(
            sum(&gw, "usage_hour", key_id).await,
            (rows, 2 * r, 2 * e, 2 * i, 2 * o)
        );
        assert_eq!(
            counters(&gw, key_id).await,
            (
                2 * requests,
                2 * requests * 10,
                2 * requests * 3,
                Some(latest)
            )
        );
    }

    // A use older than the stored one (a late request finishing) never moves
    // `last_used_at` back; a use without usage (GET /v1/models) moves it forward,
    // counting no request.
    meter.touch(&keys[0], start);
    gw.gateway.flush_usage().await.unwrap();
    assert_eq!(counters(&gw, &keys[0]).await.3, Some(latest));
    let later = latest + TimeDelta::minutes(5);
    meter.touch(&keys[1], later);
    gw.gateway.flush_usage().await.unwrap();
    assert_eq!(counters(&gw, &keys[1]).await.3, Some(later));
    assert_eq!(counters(&gw, &keys[1]).await.0, 2 * requests);
}

/// Records one request per key and model at `at`: an aggregate each.
fn record_round(meter: &Meter, project: &str, keys: &[String], at: DateTime<Utc>) {
    for key_id in keys {
        for model in MODELS {
            meter.record(event(project, key_id, model, "w1", at));
        }
    }
}

/// Asserts the database holds `rounds` rounds of [`record_round`], each at its own minute
/// of one hour, applied exactly once: buckets, key counters and per-model totals.
async fn assert_applied_once(gw: &TestGateway, keys: &[String], rounds: i64) {
    let models = MODELS.len() as i64;
    let requests = rounds * models;
    for key_id in keys {
        let expected = |rows| (rows, requests, 0, requests * 10, requests * 3);
        assert_eq!(
            sum(gw, "usage_minute", key_id).await,
            expected(requests),
            "minute buckets of {key_id}"
        );
        assert_eq!(sum(gw, "usage_hour", key_id).await, expected(models));
        assert_eq!(sum(gw, "usage_day", key_id).await, expected(models));
        let (count, input, output, _) = counters(gw, key_id).await;
        assert_eq!(
            (count, input, output),
            (requests, requests * 10, requests * 3),
            "counters of {key_id}"
        );
        let by_model: Vec<(String, i64)> = on_db!(gw.gateway.pool(), |e| sqlx::query_as(
            "SELECT model, requests FROM key_usage_by_model WHERE key_id = $1 ORDER BY model"
        )
        .bind(key_id)
        .fetch_all(e)
        .await)
        .unwrap();
        assert_eq!(
            by_model,
            MODELS.map(|model| (model.to_owned(), rounds)),
            "per-model totals of {key_id}"
        );
    }
}

/// The batch ids the database recorded, oldest first (UUIDv7 sort by time).
async fn flush_ids(pool: &Db) -> Vec<String> {
    on_db!(pool, |e| sqlx::query_scalar(
        "SELECT id FROM usage_flushes ORDER BY id"
    )
    .fetch_all(e)
    .await)
    .unwrap()
}

/// A database of the run's engine without the gateway's tables: every flush to it fails.
async fn database_without_tables() -> Db {
    match postgres_server() {
        Some(server) => Db::Postgres(
            sqlx::PgPool::connect(&new_postgres_database(&server).await)
                .await
                .unwrap(),
        ),
        None => Db::Sqlite(sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap()),
    }
}

/// A gateway with two keys, and the start of the current hour (rounds are recorded at
/// its minutes, so they share their hour and day buckets).
async fn gateway_with_keys() -> (TestGateway, Vec<String>, DateTime<Utc>) {
    let gw = TestGateway::start().await;
    let mut keys = Vec::new();
    for n in 0..2 {
        keys.push(key(&gw, json!({ "name": format!("flush-{n}") })).await.0);
    }
    let hour = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    (gw, keys, hour)
}

// The meters below are the tests' own, not the gateway's: its background flusher would
// take their usage at any second and race the failures the tests stage.

#[tokio::test]
async fn a_failed_batch_is_kept_with_its_id_and_written_before_newer_usage() {
    let (gw, keys, hour) = gateway_with_keys().await;
    let meter = Meter::default();
    let broken = database_without_tables().await;

    record_round(&meter, &gw.project_id, &keys, hour);
    assert!(meter.flush(&broken).await.is_err());
    let kept = meter.unsent().await.expect("the failed batch is kept");
    assert_eq!(kept.aggregates, keys.len() * MODELS.len());

    // Newer usage, partly onto the same buckets and partly onto new ones. The kept batch
    // is retried first and fails again: it stays as it was, under its id, and the newer
    // usage is not taken into it (merging would make a retry add it twice).
    record_round(&meter, &gw.project_id, &keys, hour);
    record_round(&meter, &gw.project_id, &keys, hour + TimeDelta::minutes(1));
    assert!(meter.flush(&broken).await.is_err());
    assert_eq!(meter.unsent().await, Some(kept));

    // The kept batch, then the newer usage as a batch of its own.
    let written = meter.flush(gw.gateway.pool()).await.unwrap();
    assert_eq!(written, kept.aggregates + 2 * keys.len() * MODELS.len());
    assert_eq!(meter.unsent().await, None);
    let ids = flush_ids(gw.gateway.pool()).await;
    assert_eq!(ids.len(), 2, "one id per batch: {ids:?}");
    assert_eq!(
        ids[0],
        kept.id.to_string(),
        "the kept batch under its own id"
    );
    // Three rounds in two minutes: the first minute holds two requests per key and model.
    for key_id in &keys {
        assert_eq!(sum(&gw, "usage_minute", key_id).await, (4, 6, 0, 60, 18));
        assert_eq!(counters(&gw, key_id).await.0, 6);
    }

    assert_eq!(
        meter.flush(gw.gateway.pool()).await.unwrap(),
        0,
        "nothing left"
    );
}

#[tokio::test]
async fn a_batch_whose_id_the_database_already_holds_is_not_added_again() {
    let (gw, keys, hour) = gateway_with_keys().await;
    let meter = Meter::default();
    let broken = database_without_tables().await;
    record_round(&meter, &gw.project_id, &keys, hour);
    assert!(meter.flush(&broken).await.is_err());
    let kept = meter.unsent().await.unwrap();

    // As if the failed attempt had committed and only its answer was lost: its id is in
    // the database (with its usage, which this test leaves out to see it is not added).
    on_db!(gw.gateway.pool(), |e| sqlx::query(
        "INSERT INTO usage_flushes (id, flushed_at) VALUES ($1, $2)"
    )
    .bind(kept.id.to_string())
    .bind(Utc::now())
    .execute(e)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    record_round(&meter, &gw.project_id, &keys, hour + TimeDelta::minutes(1));
    let written = meter.flush(gw.gateway.pool()).await.unwrap();
    assert_eq!(written, keys.len() * MODELS.len(), "only the newer batch");
    assert_eq!(meter.unsent().await, None, "the kept batch is done");
    assert_applied_once(&gw, &keys, 1).await;
}

#[tokio::test]
async fn batch_ids_older_than_the_retention_are_pruned_by_the_flush() {
    let (gw, keys, hour) = gateway_with_keys().await;
    let now = Utc::now();
    for (id, age) in [
        ("old", FLUSH_ID_RETENTION + TimeDelta::hours(1)),
        ("recent", FLUSH_ID_RETENTION - TimeDelta::hours(1)),
    ] {
        on_db!(gw.gateway.pool(), |e| sqlx::query(
            "INSERT INTO usage_flushes (id, flushed_at) VALUES ($1, $2)"
        )
        .bind(id)
        .bind(now - age)
        .execute(e)
        .await
        .map(|done| done.rows_affected()))
        .unwrap();
    }
    let meter = Meter::default();
    record_round(&meter, &gw.project_id, &keys, hour);
    meter.flush(gw.gateway.pool()).await.unwrap();
    let ids = flush_ids(gw.gateway.pool()).await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"recent".to_owned()) && !ids.contains(&"old".to_owned()));
}

/// A pool onto `gw`'s PostgreSQL database through a new [`FaultProxy`]; `None` (skipped)
/// on SQLite, where no network is between the gateway and its database.
async fn through_proxy(gw: &TestGateway) -> Option<(FaultProxy, Db)> {
    crate::util::postgres_or_skip()?;
    let Db::Postgres(direct) = gw.gateway.pool() else {
        unreachable!("with a PostgreSQL server set, test gateways run on it")
    };
    let options = (*direct.connect_options()).clone();
    let server = tokio::net::lookup_host((options.get_host(), options.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = FaultProxy::start(server).await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.host("127.0.0.1").port(proxy.addr().port()))
        .await
        .unwrap();
    Some((proxy, Db::Postgres(pool)))
}

#[tokio::test]
async fn a_flush_whose_commit_answer_is_lost_is_applied_once_by_its_retry() {
    let (gw, keys, hour) = gateway_with_keys().await;
    let Some((proxy, db)) = through_proxy(&gw).await else {
        return;
    };
    let meter = Meter::default();
    record_round(&meter, &gw.project_id, &keys, hour);

    proxy.cut_after(b"COMMIT");
    assert!(meter.flush(&db).await.is_err(), "the answer never came");
    assert_eq!(proxy.cuts(), 1);
    let kept = meter.unsent().await.unwrap();
    // The COMMIT did reach the server: the batch is in, under the kept id.
    assert_eq!(flush_ids(gw.gateway.pool()).await, [kept.id.to_string()]);
    assert_applied_once(&gw, &keys, 1).await;

    // Usage recorded meanwhile goes into the next batch; the retry adds only that.
    record_round(&meter, &gw.project_id, &keys, hour + TimeDelta::minutes(1));
    let written = meter.flush(&db).await.unwrap();
    assert_eq!(written, keys.len() * MODELS.len(), "only the newer batch");
    assert_eq!(meter.unsent().await, None);
    assert_applied_once(&gw, &keys, 2).await;
    assert_eq!(flush_ids(gw.gateway.pool()).await.len(), 2);
}

#[tokio::test]
async fn a_flush_cut_before_its_commit_is_applied_once_by_its_retry() {
    let (gw, keys, hour) = gateway_with_keys().await;
    let Some((proxy, db)) = through_proxy(&gw).await else {
        return;
    };
    let meter = Meter::default();
    record_round(&meter, &gw.project_id, &keys, hour);

    // The per-model totals come after the buckets and key counters in the transaction:
    // the cut leaves those written but uncommitted.
    proxy.cut_after(b"key_usage_by_model");
    assert!(meter.flush(&db).await.is_err());
    assert_eq!(proxy.cuts(), 1);
    assert!(meter.unsent().await.is_some());

    // The retry waits for the server to roll the cut attempt back, then applies it.
    let written = meter.flush(&db).await.unwrap();
    assert_eq!(written, keys.len() * MODELS.len());
    assert_applied_once(&gw, &keys, 1).await;
    assert_eq!(flush_ids(gw.gateway.pool()).await.len(), 1);
}
