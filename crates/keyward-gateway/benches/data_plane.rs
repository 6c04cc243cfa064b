//! Data-plane hot-path benchmarks (issue #6), printed as a Markdown table for
//! `docs/benchmarks.md`:
//!
//! * the per-request key check + limiter: SHA-256 of the presented secret, the key
//!   cache hit, grace/status/scope checks, and the rpm + tpm GCRA admission (target
//!   ≤ 2 µs), with the SHA-256 alone as the baseline measured in the same run;
//! * metering: usage events recorded by concurrent tasks and flushed into SQLite
//!   through the same code the proxy uses (target ≥ 100,000 events/s);
//! * with `KEYWARD_BENCH_POSTGRES_URL` set (a server URL whose role may create
//!   databases, e.g. `scripts/services.sh`'s throwaway one), the same metering into a
//!   fresh PostgreSQL database, once through one meter and once through three gateways
//!   on that one database flushing at the same moment onto shared rows (issue #21:
//!   replicas add onto the same minute, hour and day rows and key counters). The
//!   database is dropped afterwards.
//!
//! Run: `cargo bench -p keyward-gateway --bench data_plane`, or
//! `scripts/bench-replicas.sh`, which starts the PostgreSQL server and sets the URL.

use keyward_api::token;
use keyward_gateway::limits::KeyLimits;
use keyward_gateway::meter::UsageEvent;
use keyward_gateway::{DatabaseLocation, Gateway};
use std::time::{Duration, Instant};

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
                gateway
                    .meter()
                    .record(event(&project, format!("key_{:04}", n % 1000), n, now));
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

    match std::env::var("KEYWARD_BENCH_POSTGRES_URL") {
        Ok(server) => postgres_metering(&server).await,
        Err(_) => eprintln!(
            "metering on PostgreSQL skipped: set KEYWARD_BENCH_POSTGRES_URL to a server URL (scripts/bench-replicas.sh does)"
        ),
    }
}

/// Events each meter receives in the three-replica run: with 1,000 keys × 20 models,
/// each replica's meter holds the same 20,000 aggregates as the single-meter runs, and
/// the three add onto the same rows, as replicas behind a round-robin balancer do.
const EVENTS_PER_REPLICA: usize = 700_000;
const REPLICAS: usize = 3;
const TASKS_PER_REPLICA: usize = 4;

/// Metering into PostgreSQL (issue #21), printed as further rows of the table. Each
/// gateway here also runs its own once-a-second flush timer, as a replica does, so a
/// flush may start while events are still being recorded: the figure is events over the
/// time from the first event to the moment all of them are written, whoever wrote them.
async fn postgres_metering(server: &str) {
    let database = PostgresDatabase::create(server).await;
    let location = DatabaseLocation::Url(database.url.clone());
    let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
    let project = init.project_id.clone();

    // The SQLite row's measurement unchanged: one meter, 8 tasks, made-up key ids (so
    // the key counters update no row), then a flush.
    let single = Gateway::open(&location, false).await.unwrap();
    let made_up: Vec<String> = (0..1000).map(|k| format!("key_{k:04}")).collect();
    let run = meter_and_flush(
        std::slice::from_ref(&single),
        2_000_000,
        8,
        &made_up,
        &project,
    )
    .await;
    run.print("PostgreSQL, 1 meter: 2,000,000 events recorded by 8 tasks into 20,000 aggregates (key ids of no key), then a flush");
    single.pool().close().await;

    // Three gateways on the database, real keys (their counters and per-model totals
    // are written too), the three meters flushing at the same moment.
    let mut replicas = Vec::with_capacity(REPLICAS);
    for _ in 0..REPLICAS {
        replicas.push(Gateway::open(&location, false).await.unwrap());
    }
    keyward_bench_seed::seed_keys(&replicas[0], &project, 1000, chrono::Utc::now())
        .await
        .unwrap();
    let keys: Vec<String> = (0..1000).map(|k| format!("key_seed{k:06}")).collect();
    let run = meter_and_flush(
        &replicas,
        EVENTS_PER_REPLICA,
        TASKS_PER_REPLICA,
        &keys,
        &project,
    )
    .await;
    run.print(&format!(
        "PostgreSQL, {REPLICAS} meters ({REPLICAS} gateways, one database): {EVENTS_PER_REPLICA} events each from {TASKS_PER_REPLICA} tasks into 20,000 aggregates of 1,000 real keys, then the {REPLICAS} flushes at once onto the same rows"
    ));
    let (counted,): (i64,) = keyward_gateway::on_db!(replicas[0].pool(), |e| sqlx::query_as(
        "SELECT CAST(SUM(request_count) AS BIGINT) FROM inference_keys"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(
        counted as usize, run.events,
        "every event was counted once on its key"
    );
    for replica in &replicas {
        replica.pool().close().await;
    }
    database.drop().await;
}

/// What one metering run measured.
struct MeterRun {
    events: usize,
    recorded: Duration,
    total: Duration,
    /// Each meter's last flush, from the end of recording until it returned written.
    flushes: Vec<Duration>,
    /// Transactions PostgreSQL ended to break a deadlock during the run (its own count,
    /// `pg_stat_database.deadlocks`, so the flush timers' attempts are included).
    deadlocks: i64,
    /// The flushes called here that failed and were called again, and the first error.
    failed: usize,
    first_failure: Option<String>,
}

impl MeterRun {
    fn print(&self, what: &str) {
        let per_second = self.events as f64 / self.total.as_secs_f64();
        let flushes: Vec<String> = self
            .flushes
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
            .collect();
        let failures = match &self.first_failure {
            None => String::new(),
            Some(first) => format!(
                ", {} flush call(s) failed and were repeated, the first with: {first}",
                self.failed
            ),
        };
        println!(
            "| metering: {what}; recorded in {:.0} ms, flushed in {} ms; {} deadlock(s){failures} | {} | {:.0} ns/event, {per_second:.0} events/s | ≥ 100,000 events/s {} |",
            self.recorded.as_secs_f64() * 1000.0,
            flushes.join(" / "),
            self.deadlocks,
            self.events,
            self.total.as_nanos() as f64 / self.events as f64,
            if per_second >= 100_000.0 { "✔" } else { "✘" }
        );
    }
}

/// Records `per_meter` events into each gateway's meter from `tasks` tasks each (key
/// `n % 1000`, model `(n / 1000) % 20`, as the SQLite run), then flushes every meter
/// at once, each called again until its usage is written, as the flush timer would a
/// second later. Times from the first event to the last flush's commit, and checks
/// that the database holds every event once.
async fn meter_and_flush(
    gateways: &[Gateway],
    per_meter: usize,
    tasks: usize,
    key_ids: &[String],
    project: &str,
) -> MeterRun {
    let pool = gateways[0].pool();
    let requests_before = usage_minute_requests(pool).await;
    let deadlocks_before = deadlocks(pool).await;
    let now = chrono::Utc::now();
    let started = Instant::now();
    let mut recording = Vec::new();
    for gateway in gateways {
        for t in 0..tasks {
            let gateway = gateway.clone();
            let project = project.to_owned();
            let key_ids = key_ids.to_vec();
            recording.push(tokio::spawn(async move {
                for i in 0..per_meter / tasks {
                    let n = i * tasks + t;
                    let key_id = key_ids[n % key_ids.len()].clone();
                    gateway.meter().record(event(&project, key_id, n, now));
                }
            }));
        }
    }
    for task in recording {
        task.await.unwrap();
    }
    let recorded = started.elapsed();
    let mut flushing = Vec::new();
    for gateway in gateways {
        let gateway = gateway.clone();
        flushing.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            while let Err(error) = gateway.flush_usage().await {
                failures.push(error.to_string());
                assert!(failures.len() < 20, "the flush keeps failing: {error}");
            }
            (started.elapsed().saturating_sub(recorded), failures)
        }));
    }
    let mut run = MeterRun {
        events: per_meter / tasks * tasks * gateways.len(),
        recorded,
        total: Duration::ZERO,
        flushes: Vec::new(),
        deadlocks: 0,
        failed: 0,
        first_failure: None,
    };
    for flush in flushing {
        let (took, failures) = flush.await.unwrap();
        run.flushes.push(took);
        run.failed += failures.len();
        if run.first_failure.is_none() {
            run.first_failure = failures.into_iter().next();
        }
    }
    run.total = started.elapsed();
    assert_eq!(
        (usage_minute_requests(pool).await - requests_before) as usize,
        run.events,
        "every event was written once"
    );
    // Backends report their statistics to the shared counters at most once a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    run.deadlocks = deadlocks(pool).await - deadlocks_before;
    run
}

async fn usage_minute_requests(pool: &keyward_gateway::db::Db) -> i64 {
    let (requests,): (Option<i64>,) = keyward_gateway::on_db!(pool, |e| sqlx::query_as(
        "SELECT CAST(SUM(requests) AS BIGINT) FROM usage_minute"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    requests.unwrap_or(0)
}

async fn deadlocks(pool: &keyward_gateway::db::Db) -> i64 {
    let (count,): (i64,) = keyward_gateway::on_db!(pool, |e| sqlx::query_as(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    count
}

/// A database of its own on the server, dropped by [`PostgresDatabase::drop`].
struct PostgresDatabase {
    server: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create(server: &str) -> Self {
        use sqlx::Connection;
        let name = format!("kwbench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .expect("KEYWARD_BENCH_POSTGRES_URL names a PostgreSQL server this bench can reach");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("the role in KEYWARD_BENCH_POSTGRES_URL may create databases");
        admin.close().await.unwrap();
        let mut url = reqwest::Url::parse(server).unwrap();
        url.set_path(&name);
        PostgresDatabase {
            server: server.to_owned(),
            name,
            url: url.to_string(),
        }
    }

    async fn drop(self) {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&self.server).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
    }
}

/// The metering benchmarks' `n`-th event: one of 20 models, 100 tokens in and 20 out.
fn event(
    project_id: &str,
    key_id: String,
    n: usize,
    at: chrono::DateTime<chrono::Utc>,
) -> UsageEvent {
    UsageEvent {
        project_id: project_id.to_owned(),
        key_id,
        model: format!("model-{}", (n / 1000) % 20),
        workload: "chat".into(),
        at,
        input_tokens: 100,
        output_tokens: 20,
        estimated: false,
        error: false,
    }
}
