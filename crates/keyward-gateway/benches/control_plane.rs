//! Control-plane benchmarks (issue #3), printed as a Markdown table for
//! `docs/benchmarks.md`:
//!
//! * create-key latency over HTTP (p50/p99), with a `GET /v1/whoami` round trip
//!   measured in the same run as the baseline;
//! * the first page of 100 keys from a project holding 100,000 (target ≤ 20 ms);
//! * identifying a secret among 100,000 keys (target ≤ 1 ms), as the store lookup and
//!   over HTTP.
//!
//! Run: `cargo bench -p keyward-gateway --bench control_plane`

use keyward_api::token;
use keyward_gateway::{DatabaseLocation, Gateway};
use std::time::{Duration, Instant};

const KEYS: usize = 100_000;

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index].as_secs_f64() * 1000.0
}

fn row(name: &str, mut samples: Vec<Duration>, target: &str) {
    let n = samples.len();
    println!(
        "| {name} | {n} | {:.3} | {:.3} | {target} |",
        percentile(&mut samples, 0.50),
        percentile(&mut samples, 0.99)
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let location = DatabaseLocation::DataDir(dir.path().to_owned());
    let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
    let gateway = Gateway::open(&location, false).await.unwrap();
    let project = init.project_id.clone();
    let owner = init.owner_token.expose().to_owned();

    // Seed 100,000 keys in one transaction (the HTTP path would spend minutes in fsync).
    let seeding = Instant::now();
    let probe: Vec<String> =
        keyward_bench_seed::seed_keys(&gateway, &project, KEYS, chrono::Utc::now())
            .await
            .unwrap()
            .iter()
            .map(|s| s.expose().to_owned())
            .collect();
    eprintln!(
        "seeded {KEYS} keys in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(gateway.clone().serve(listener, std::future::pending()));
    let http = reqwest::Client::new();

    println!("| operation | n | p50 ms | p99 ms | target |");
    println!("| --- | ---: | ---: | ---: | --- |");

    let mut whoami = Vec::new();
    for _ in 0..500 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/v1/whoami"))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap();
        r.bytes().await.unwrap();
        whoami.push(t.elapsed());
    }
    row("baseline: GET /v1/whoami (auth + 1 read)", whoami, "—");

    let mut create = Vec::new();
    for i in 0..500 {
        let t = Instant::now();
        let r = http
            .post(format!("{base}/v1/projects/{project}/inference/keys"))
            .bearer_auth(&owner)
            .json(&serde_json::json!({"name": format!("bench-{i}"), "rpm": 60, "labels": {"bench": "yes"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.bytes().await.unwrap();
        create.push(t.elapsed());
    }
    row("POST create key (HTTP, fsync'd, audited)", create, "—");

    let mut first_page = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        let r = http
            .get(format!(
                "{base}/v1/projects/{project}/inference/keys?limit=100"
            ))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        first_page.push(t.elapsed());
    }
    row(
        "GET first page of 100 of 100,500 keys (HTTP)",
        first_page,
        "≤ 20 ms",
    );

    let mut filtered = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/v1/projects/{project}/inference/keys?limit=100&status=active&q=t7&sort=name"))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap();
        r.bytes().await.unwrap();
        filtered.push(t.elapsed());
    }
    row("GET page of 100, status+q+sort=name (HTTP)", filtered, "—");

    let mut lookup = Vec::new();
    for secret in probe.iter().cycle().take(2000) {
        let t = Instant::now();
        let found = keyward_gateway::keys::find_by_hash(gateway.pool(), &token::hash(secret))
            .await
            .unwrap();
        lookup.push(t.elapsed());
        assert!(found.is_some());
    }
    row(
        "identify: checksum + hash lookup among 100,500 (store)",
        lookup,
        "≤ 1 ms",
    );

    let mut identify = Vec::new();
    for secret in probe.iter().cycle().take(500) {
        let t = Instant::now();
        let r = http
            .post(format!("{base}/v1/inference/keys/identify"))
            .bearer_auth(&owner)
            .json(&serde_json::json!({"secret": secret}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        identify.push(t.elapsed());
    }
    row("POST identify among 100,500 (HTTP)", identify, "—");
}
