//! Usage & Spend at scale (issue #7): a 90-day view over a project with 1,000 keys ×
//! 20 models of sparse history. The history is fed as usage events with past
//! timestamps through the gateway's own `Meter` (the proxy's metering path) and its
//! flush, not written by hand. Prints the figures for docs/benchmarks.md.
//!
//! Run: `cargo bench -p keyward-core --bench usage_view`
//! Targets: the query part (every rollup query of the view, over HTTP on loopback)
//! ≤ 100 ms; rendering the screen's charts to SVG is measured separately.

use chrono::{Duration, DurationRound, Utc};
use keyward_api::Secret;
use keyward_core::charts::Theme;
use keyward_core::prices::{ModelPrice, PriceTable};
use keyward_core::profiles::{PlatformKind, ProfileStore};
use keyward_core::usage::{self, PeriodPreset, SpendBy, UsageRequest};
use keyward_core::{PlatformClient, Profile};
use keyward_gateway::meter::UsageEvent;
use keyward_gateway::Gateway;
use std::time::Instant;

const KEYS: usize = 1_000;
const MODELS: usize = 20;
const DAYS: i64 = 90;
const RUNS: usize = 15;

/// A small deterministic generator (xorshift), so every run seeds the same history.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

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
    let client = PlatformClient::new();

    let started = Instant::now();
    let mut key_ids = Vec::with_capacity(KEYS);
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(25) {
        let made = futures_util::future::join_all(
            chunk
                .iter()
                .map(|i| client.create_key(&profile, &format!("service-{i}"))),
        )
        .await;
        key_ids.extend(made.into_iter().map(|k| k.unwrap().key.id));
    }
    let unused = client.create_key(&profile, "unused").await.unwrap().key.id;
    let keys_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let today = Utc::now().duration_trunc(Duration::days(1)).unwrap();
    let meter = gateway.meter();
    let mut events = 0u64;
    for key in &key_ids {
        // Each key uses 1–3 of the 20 models and is active on about 60 % of days,
        // for 1–4 hours a day: sparse, like real traffic.
        let models: Vec<u64> = (0..1 + rng.below(3))
            .map(|_| rng.below(MODELS as u64))
            .collect();
        for day in 0..DAYS {
            if rng.below(10) >= 6 {
                continue;
            }
            for _ in 0..1 + rng.below(4) {
                let at = today - Duration::days(day) + Duration::minutes(rng.below(24 * 60) as i64);
                if at > Utc::now() {
                    continue;
                }
                let model = models[rng.below(models.len() as u64) as usize];
                meter.record(UsageEvent {
                    project_id: created.project_id.clone(),
                    key_id: key.clone(),
                    model: format!("model-{model:02}"),
                    workload: format!("workload-{model:02}"),
                    at,
                    input_tokens: 200 + rng.below(4_000),
                    output_tokens: 50 + rng.below(1_000),
                    estimated: false,
                    error: rng.below(100) == 0,
                });
                events += 1;
            }
        }
        if events % 20_000 < 200 {
            meter.flush(gateway.pool()).await.unwrap();
        }
    }
    meter.flush(gateway.pool()).await.unwrap();
    let seed_seconds = started.elapsed().as_secs_f64();
    let day_rows: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM usage_day")
        .fetch_one(gateway.pool())
        .await
        .unwrap();
    let hour_rows: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM usage_hour")
        .fetch_one(gateway.pool())
        .await
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
            let view = usage::load_view(&client, &profile, &req, &prices, Utc::now())
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
}
