//! Usage & Spend at scale (issue #7): a 90-day view over a project with 1,000 keys ×
//! 20 models of sparse history. The history is fed as usage events with past
//! timestamps through the gateway's own `Meter` (the proxy's metering path) and its
//! flush, not written by hand. Prints the figures for docs/benchmarks.md.
//!
//! Run: `cargo bench -p keyward-core --bench usage_view`
//! Targets: the query part (every rollup query of the view, over HTTP on loopback)
//! ≤ 100 ms; rendering the screen's charts to SVG is measured separately.

use chrono::Utc;
use keyward_core::charts::Theme;
use keyward_core::prices::{ModelPrice, PriceTable};
use keyward_core::profiles::{PlatformKind, ProfileStore};
use keyward_core::usage::{self, PeriodPreset, SpendBy, UsageRequest};
use keyward_core::{KeywardClient, Profile};
use keyward_gateway::Gateway;
use std::time::Instant;

const KEYS: usize = 1_000;
const MODELS: usize = 20;
const DAYS: i64 = 90;
const RUNS: usize = 15;

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn request(spend_by: SpendBy, key_ids: Vec<String>) -> UsageRequest {
    UsageRequest {
        preset: PeriodPreset::Last90Days,
        custom_start: None,
        custom_end: None,
        time_zone: "UTC".into(),
        bucket: None,
        project_id: None,
        key_ids,
        models: vec![],
        workload: None,
        spend_by,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, created) = Gateway::open_embedded(&dir.path().join("gw"), Utc::now())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(gateway.clone().serve(listener, std::future::pending()));
    let profile = Profile {
        id: "local".into(),
        name: "Local".into(),
        kind: PlatformKind::Keyward,
        base_url,
        project_id: created.project_id.clone(),
        token: created.owner_token.clone().unwrap(),
    };
    let client = KeywardClient::new();
    let platform = PlatformKind::Keyward
        .adapter(&keyward_core::Http::new())
        .expect("the gateway has an adapter");

    let started = Instant::now();
    keyward_bench_seed::seed_keys(&gateway, &created.project_id, KEYS, Utc::now())
        .await
        .unwrap();
    let key_ids: Vec<String> = (0..KEYS).map(|i| format!("key_seed{i:06}")).collect();
    let unused = client.create_key(&profile, "unused").await.unwrap().key.id;
    let keys_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let events = keyward_bench_seed::seed_usage(
        &gateway,
        &created.project_id,
        &key_ids,
        MODELS,
        DAYS,
        Utc::now(),
    )
    .await
    .unwrap();
    let seed_seconds = started.elapsed().as_secs_f64();
    let day_rows: (i64,) = keyward_gateway::on_db!(gateway.pool(), |e| sqlx::query_as(
        "SELECT COUNT(*) FROM usage_day"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    let hour_rows: (i64,) = keyward_gateway::on_db!(gateway.pool(), |e| sqlx::query_as(
        "SELECT COUNT(*) FROM usage_hour"
    )
    .fetch_one(e)
    .await)
    .unwrap();

    let store = ProfileStore::open(
        &dir.path().join("console.db"),
        keyward_core::keychain::Keychain::new("keyward-bench"),
    )
    .await
    .unwrap();
    let table = PriceTable::new(store.pool().clone());
    for m in 0..MODELS {
        if m == 7 {
            continue; // one unpriced model, as in real life
        }
        table
            .set(
                &ModelPrice {
                    model: format!("model-{m:02}"),
                    input_per_million: format!("{}.25", 1 + m % 5),
                    output_per_million: format!("{}.50", 2 + m % 7),
                    currency: "USD".into(),
                    updated_at: None,
                },
                Utc::now(),
            )
            .await
            .unwrap();
    }
    let prices = table.prices().await.unwrap();

    println!("machine: {} cores; history: {KEYS} keys × {MODELS} models × {DAYS} days, {events} usage events through the meter ({keys_seconds:.1} s to create the keys, {seed_seconds:.1} s to meter and flush); rollups: {} day rows, {} hour rows", std::thread::available_parallelism().map_or(0, |n| n.get()), day_rows.0, hour_rows.0);
    println!();
    println!("| what ({RUNS} runs each) | p50 ms | p95 ms |");
    println!("| --- | ---: | ---: |");
    for (label, req) in [
        (
            "baseline: same queries filtered to one key without usage",
            request(SpendBy::Model, vec![unused.clone()]),
        ),
        (
            "90-day view, spend by model: query part (all rollup queries over HTTP)",
            request(SpendBy::Model, vec![]),
        ),
        (
            "90-day view, spend by key: query part",
            request(SpendBy::Key, vec![]),
        ),
    ] {
        let mut query_ms = Vec::new();
        let mut render_ms = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let view = usage::load_view(platform.as_ref(), &profile, &req, &prices, Utc::now())
                .await
                .unwrap();
            query_ms.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let screen = usage::screen(&view, Theme::Dark, 1100).unwrap();
            render_ms.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(!screen.charts.is_empty());
        }
        println!(
            "| {label} | {:.1} | {:.1} |",
            percentile(&mut query_ms, 0.5),
            percentile(&mut query_ms, 0.95)
        );
        println!(
            "| … rendering its {} charts to SVG | {:.1} | {:.1} |",
            if req.key_ids.is_empty() {
                "9–10"
            } else {
                "few"
            },
            percentile(&mut render_ms, 0.5),
            percentile(&mut render_ms, 0.95)
        );
    }

    // Where the time goes: each rollup query of the 90-day view on its own (day buckets).
    let period = usage::resolve_period(&request(SpendBy::Model, vec![]), Utc::now()).unwrap();
    use keyward_api::usage::{UsageBucket, UsageDimension, UsageQuery};
    let q = |start, end, bucket, group_by: Vec<UsageDimension>| UsageQuery {
        start,
        end,
        bucket,
        group_by,
        key_ids: vec![],
        models: vec![],
        workloads: vec![],
    };
    for (label, query) in [
        (
            "… of which: per day × model (series)",
            q(
                period.start,
                period.end,
                UsageBucket::Day,
                vec![UsageDimension::Model],
            ),
        ),
        (
            "… of which: per key × model, whole range (top keys, spend)",
            q(
                period.start,
                period.end,
                UsageBucket::None,
                vec![UsageDimension::Key, UsageDimension::Model],
            ),
        ),
        (
            "… of which: previous 90 days per model (no traffic)",
            q(
                period.previous_start,
                period.previous_end,
                UsageBucket::None,
                vec![UsageDimension::Model],
            ),
        ),
    ] {
        let mut ms = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let report = client
                .project_usage(&profile, &created.project_id, &query)
                .await
                .unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(report.rows.len() < 100_000);
        }
        println!(
            "| {label} | {:.1} | {:.1} |",
            percentile(&mut ms, 0.5),
            percentile(&mut ms, 0.95)
        );
        let mut sql_ms = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            keyward_gateway::usage::report(gateway.pool(), &created.project_id, &query)
                .await
                .unwrap();
            sql_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "| … the same in the gateway process, without HTTP | {:.1} | {:.1} |",
            percentile(&mut sql_ms, 0.5),
            percentile(&mut sql_ms, 0.95)
        );
    }
}
