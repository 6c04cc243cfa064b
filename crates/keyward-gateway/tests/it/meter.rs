//! The meter's flush (meter.rs) at a size that takes several multi-row statements per
//! table: every event lands once in its minute, hour and day bucket, in the key's
//! counters and in its per-model totals; a second flush onto the same buckets adds to
//! them; `last_used_at` only moves forward; usage of a key that no longer exists is kept
//! in the buckets but creates no per-model row and does not fail the flush.

use crate::dataplane::key;
use crate::util::TestGateway;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use keyward_gateway::meter::UsageEvent;
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
