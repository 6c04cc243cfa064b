//! The OpenAI key inventory (issue #17): an organisation with 1,000 keys in 20
//! projects lists in under 2 s. The adapter reads the projects, then every project's
//! keys (cursor pages of 100) eight projects at a time, and filters in memory.
//!
//! Measured against the fake OpenAI Admin API on loopback, once with no added latency
//! (the adapter's own cost) and once with every request held 150 ms by the fake (a
//! realistic round trip to api.openai.com from Europe), 15 rounds each, alternating.
//! Run: `cargo bench -p keyward-core --bench openai_inventory`; figures go in
//! docs/benchmarks.md.

use keyward_api::Secret;
use keyward_core::keys::KeyListQuery;
use keyward_core::{Http, PlatformKind, Profile};
use keyward_fakes::faults::Fault;
use keyward_fakes::openai::Seed;
use keyward_fakes::Fake;
use std::time::{Duration, Instant};

const ROUNDS: usize = 15;
const LATENCY: Duration = Duration::from_millis(150);

fn quantile(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

#[tokio::main]
async fn main() {
    let fake = Fake::openai(Seed::generated(20, 50)).await;
    let profile = Profile {
        id: "bench".into(),
        name: "Bench".into(),
        kind: PlatformKind::Openai,
        base_url: fake.base_url.clone(),
        project_id: String::new(),
        token: Secret::new(fake.admin_key.clone()),
    };
    let openai = PlatformKind::Openai.adapter(&Http::new()).unwrap();
    let query = KeyListQuery {
        limit: Some(50),
        ..Default::default()
    };
    let mut loopback = Vec::new();
    let mut delayed = Vec::new();
    let mut requests_per_listing = 0;
    for _ in 0..ROUNDS {
        for with_latency in [false, true] {
            if with_latency {
                // Every request of one listing (1 projects page + 20 key pages) held.
                fake.faults
                    .push("/organization/", Fault::Delay(LATENCY), 21);
            }
            let before = fake.requests().len();
            let started = Instant::now();
            let page = openai.list_keys(&profile, &query).await.unwrap();
            let elapsed = started.elapsed().as_secs_f64() * 1e3;
            assert_eq!(page.total, Some(1000));
            requests_per_listing = fake.requests().len() - before;
            if with_latency {
                assert_eq!(fake.faults.pending(), 0, "every request was held");
                delayed.push(elapsed);
            } else {
                loopback.push(elapsed);
            }
        }
    }
    println!(
        "openai inventory, 1,000 keys in 20 projects, {requests_per_listing} requests per listing, {ROUNDS} rounds each:"
    );
    println!(
        "  loopback:           median {:.1} ms, p95 {:.1} ms",
        quantile(&mut loopback, 0.5),
        quantile(&mut loopback, 0.95)
    );
    println!(
        "  150 ms per request: median {:.1} ms, p95 {:.1} ms (target < 2,000 ms)",
        quantile(&mut delayed, 0.5),
        quantile(&mut delayed, 0.95)
    );
}
