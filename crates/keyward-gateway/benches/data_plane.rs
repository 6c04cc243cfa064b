//! Data-plane hot-path benchmarks (issue #6), printed as a Markdown table for
//! `docs/benchmarks.md`:
//!
//! * the per-request key check + limiter: SHA-256 of the presented secret, the key
//!   cache hit, grace/status/scope checks, and the rpm + tpm GCRA admission (target
//!   ≤ 2 µs), with the SHA-256 alone as the baseline measured in the same run;
//! * metering: usage events recorded by concurrent tasks and flushed into SQLite
//!   through the same code the proxy uses (target ≥ 100,000 events/s).
//!
//! Run: `cargo bench -p keyward-gateway --bench data_plane`

use keyward_api::token;
use keyward_gateway::limits::KeyLimits;
use keyward_gateway::meter::UsageEvent;
use std::time::Instant;

mod support;

#[tokio::main]
async fn main() {
    let served = support::Served::start().await;
    let gateway = served.gateway.clone();
    let secret = served
        .create_key(serde_json::json!({"name": "bench", "rpm": 1_000_000_000, "tpm": 1_000_000_000, "allowed_models": ["llama"]}))
        .await;

    println!("| operation | n | mean | target |");
    println!("| --- | ---: | ---: | --- |");

    // Baseline: hashing the presented secret, which every request must do anyway.
    const N: u32 = 1_000_000;
    let started = Instant::now();
    let mut sink = 0u8;
    for _ in 0..N {
        sink ^= token::hash(std::hint::black_box(&secret))[0];
    }
    let hash_ns = started.elapsed().as_nanos() as f64 / f64::from(N);
    println!("| baseline: SHA-256 of the presented key | {N} | {hash_ns:.0} ns | — |");

    let now = chrono::Utc::now();
    let limits = keyward_gateway::limits::Limits::default();
    let started = Instant::now();
    for _ in 0..N {
        let presented = std::hint::black_box(secret.as_str());
        let _ = token::parse(presented).unwrap();
        let hash = token::hash(presented);
        let key = gateway
            .key_cache()
            .lookup(gateway.pool(), None, &hash)
            .await
            .unwrap()
            .unwrap()
            .key;
        assert!(key.accepts(&hash, now));
        let _ = key.status(now);
        assert!(key.allows_workload("chat") && key.allows_model("llama"));
        let configured = KeyLimits {
            key_id: &key.id,
            rpm: key.rpm,
            tpm: key.tpm,
            token_limit: None,
            token_limit_period: None,
        };
        let admitted = limits
            .admit(gateway.pool(), None, &configured, 100, now)
            .await;
        sink ^= u8::from(admitted.is_ok());
    }
    let check_ns = started.elapsed().as_nanos() as f64 / f64::from(N);
    println!(
        "| key check + rpm/tpm admission (parse, hash, cache hit, scopes, 2 GCRA cells) | {N} | {check_ns:.0} ns ({:.0} ns above the hash) | ≤ 2 µs {} |",
        check_ns - hash_ns,
        if check_ns <= 2000.0 { "✔" } else { "✘" }
    );

    // Metering: 1,000 keys × 20 models of events from 8 tasks, then the flushes.
    const EVENTS: usize = 2_000_000;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let gateway = gateway.clone();
        let project = served.project_id.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..EVENTS / 8 {
                let n = i * 8 + t;
                gateway.meter().record(UsageEvent {
                    project_id: project.clone(),
                    key_id: format!("key_{:04}", n % 1000),
                    model: format!("model-{}", (n / 1000) % 20),
                    workload: "chat".into(),
                    at: now,
                    input_tokens: 100,
                    output_tokens: 20,
                    estimated: false,
                    error: false,
                });
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let recorded = started.elapsed();
    let rows = gateway.flush_usage().await.unwrap();
    let total = started.elapsed();
    let per_second = EVENTS as f64 / total.as_secs_f64();
    println!(
        "| metering: {EVENTS} events recorded by 8 tasks ({:.0} ms), then one flush of {rows} aggregates ({:.0} ms) | {EVENTS} | {:.0} ns/event, {per_second:.0} events/s | ≥ 100,000 events/s {} |",
        recorded.as_secs_f64() * 1000.0,
        (total - recorded).as_secs_f64() * 1000.0,
        total.as_nanos() as f64 / EVENTS as f64,
        if per_second >= 100_000.0 { "✔" } else { "✘" }
    );
    let (requests,): (i64,) = keyward_gateway::on_db!(gateway.pool(), |e| sqlx::query_as(
        "SELECT CAST(SUM(requests) AS BIGINT) FROM usage_minute"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(requests as usize, EVENTS, "every event was written");
    std::hint::black_box(sink);
}
