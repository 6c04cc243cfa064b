//! The prober: while the gateway serves, every workload with an upstream is probed on
//! an interval (default 10 s, jittered ±10 %, at most 16 at a time, each request with
//! a timeout): `GET {upstream}/health` and a scrape of each metrics URL. Each probe is
//! stored with the status [`crate::health::assess`] derives from the last 10 minutes of
//! probes, so the history and the current status come from one table.
//!
//! Across replicas (`cluster`), each workload is probed by one replica at a time: the
//! one holding its lease in Redis, renewed every round and lost after three intervals
//! without renewal (a replica stopped or killed). The other replicas adopt the latest
//! stored probe each round, so every replica serves the same status and refuses a
//! workload that is down. Without Redis every replica probes everything (more probe
//! rows, never no probing).

use crate::db::{on, Db};
use crate::health::{self, HealthStatus, Liveness, Metrics, Probe, Thresholds};
use crate::Gateway;
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use keyward_api::health::WorkloadHealthSummary;
use keyward_api::workloads::Workload;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How often and how patiently workloads are probed; changeable while running.
pub struct ProbeConfig {
    interval_ms: AtomicU64,
    timeout_ms: AtomicU64,
    thresholds: std::sync::RwLock<Thresholds>,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            interval_ms: AtomicU64::new(10_000),
            timeout_ms: AtomicU64::new(2_000),
            thresholds: std::sync::RwLock::new(Thresholds::default()),
        }
    }
}

impl ProbeConfig {
    pub fn set_interval(&self, interval: std::time::Duration) {
        self.interval_ms
            .store(interval.as_millis().max(10) as u64, Ordering::Relaxed);
    }

    pub fn set_timeout(&self, timeout: std::time::Duration) {
        self.timeout_ms
            .store(timeout.as_millis().max(10) as u64, Ordering::Relaxed);
    }

    pub fn set_thresholds(&self, thresholds: Thresholds) {
        *self.thresholds.write().unwrap_or_else(|p| p.into_inner()) = thresholds;
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.interval_ms.load(Ordering::Relaxed))
    }

    fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.timeout_ms.load(Ordering::Relaxed))
    }
}

/// Per workload: the last scrape's histograms (for deltas) and recent probes.
#[derive(Default)]
struct Memory {
    ttft: Option<health::Buckets>,
    e2e: Option<health::Buckets>,
    /// The token counters at the previous probe: (when, prompt, generation).
    tokens: Option<(DateTime<Utc>, Option<f64>, Option<f64>)>,
    recent: VecDeque<Probe>,
}

#[derive(Default)]
pub struct ProberState {
    memory: Mutex<HashMap<String, Memory>>,
    last_prune: Mutex<Option<DateTime<Utc>>>,
    /// The latest status of each workload, for the data plane's per-request check.
    current: dashmap::DashMap<String, (HealthStatus, String), crate::FastHash>,
    /// Held by the background prober for each whole round; `true` once paused.
    background: tokio::sync::Mutex<bool>,
}

impl ProberState {
    /// Stops the background rounds (a test that drives the rounds itself). When this
    /// returns, a round that was running has finished and no later one starts; rounds
    /// asked for directly ([`probe_all`], readiness) still run.
    pub async fn pause_background(&self) {
        *self.background.lock().await = true;
    }

    /// Drops what the prober knew of a workload (it changed or was deleted): until the
    /// next probe its old status must not refuse requests.
    pub fn forget(&self, workload_id: &str) {
        self.current.remove(workload_id);
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(workload_id);
    }

    /// Each workload's status and last probe from memory, for the summary the console
    /// polls: one lock, no database. A workload not probed since the gateway started (or
    /// since it changed) is `unknown`.
    pub fn summary(&self, workloads: &[Workload]) -> Vec<WorkloadHealthSummary> {
        let memory = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        workloads
            .iter()
            .map(|w| {
                let (status, reason) = self.current.get(&w.id).map_or_else(
                    || (HealthStatus::Unknown, unknown_reason(w)),
                    |entry| (entry.0, entry.1.clone()),
                );
                let last = memory.get(&w.id).and_then(|m| m.recent.back());
                WorkloadHealthSummary {
                    workload_id: w.id.clone(),
                    slug: w.slug.clone(),
                    status,
                    reason,
                    checked_at: last.map(|p| p.at),
                    gpus: last.map_or(0, |p| p.gpus.len() as u32),
                    running: last.and_then(|p| p.running),
                    waiting: last.and_then(|p| p.waiting),
                    kv_cache: last.and_then(|p| p.kv_cache),
                    e2e_p95: last.and_then(|p| p.e2e_p95),
                }
            })
            .collect()
    }

    /// Why the workload cannot serve now, if its last probe found it down.
    pub fn down_reason(&self, workload_id: &str) -> Option<String> {
        self.current
            .get(workload_id)
            .filter(|entry| entry.0 == HealthStatus::Down)
            .map(|entry| entry.1.clone())
    }
}

fn unknown_reason(workload: &Workload) -> String {
    if workload.upstream_url.is_none() {
        "No upstream server is configured.".to_owned()
    } else {
        "Not probed yet.".to_owned()
    }
}

const RECENT: i64 = 10; // minutes of probes kept in memory for the status rules
const CONCURRENCY: usize = 16;

/// Runs until the returned future is dropped.
pub async fn run(gateway: Gateway) {
    loop {
        {
            let paused = gateway.prober_state().background.lock().await;
            if !*paused {
                if let Err(error) = probe_all(&gateway).await {
                    tracing::error!(%error, "probing workloads failed");
                }
            }
        }
        // Wait one (jittered) interval, rereading it so a change applies at once.
        let jitter = 1.0 + (rand::random::<f64>() * 0.2 - 0.1);
        let started = tokio::time::Instant::now();
        loop {
            let due = gateway.probe_config().interval().mul_f64(jitter);
            let waited = started.elapsed();
            if waited >= due {
                break;
            }
            tokio::time::sleep((due - waited).min(std::time::Duration::from_millis(250))).await;
        }
    }
}

async fn all_workloads(pool: &Db) -> sqlx::Result<Vec<Workload>> {
    let projects: Vec<(String,)> = on!(pool, |e| sqlx::query_as(
        "SELECT DISTINCT project_id FROM workloads"
    )
    .fetch_all(e)
    .await)?;
    let mut all = Vec::new();
    for (project,) in projects {
        all.extend(crate::workloads::list(pool, &project).await?);
    }
    Ok(all)
}

/// How long a probe lease lasts without renewal, in rounds.
const LEASE_ROUNDS: u32 = 3;

/// One round: every workload this replica probes, at most [`CONCURRENCY`] at a time;
/// across replicas, the others' latest probes adopted.
pub async fn probe_all(gateway: &Gateway) -> sqlx::Result<()> {
    let mut workloads = all_workloads(gateway.pool()).await?;
    let now = gateway.now();
    if let Some(cluster) = gateway.cluster() {
        let ttl = gateway.probe_config().interval() * LEASE_ROUNDS;
        let mut mine = Vec::with_capacity(workloads.len());
        for workload in workloads {
            match cluster.hold_probe_lease(&workload.id, ttl).await {
                Ok(true) => mine.push(workload),
                Ok(false) => adopt_latest(gateway, &workload).await?,
                Err(error) => {
                    tracing::warn!(%error, workload_id = %workload.id, "probe lease unknown (Redis); probing it here");
                    mine.push(workload);
                }
            }
        }
        workloads = mine;
    }
    let results: Vec<(Workload, Liveness, Metrics)> = futures_util::stream::iter(workloads)
        .map(|w| async move {
            let (liveness, metrics) = probe_one(gateway, &w).await;
            (w, liveness, metrics)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (workload, liveness, metrics) in results {
        record(gateway, &workload, liveness, metrics, now).await?;
    }
    prune(gateway, now).await
}

/// Takes another replica's latest stored probe of `workload` as this replica's view:
/// its status for the data plane, its figures for the summary.
async fn adopt_latest(gateway: &Gateway, workload: &Workload) -> sqlx::Result<()> {
    let Some(point) = latest(gateway.pool(), &workload.id).await? else {
        return Ok(());
    };
    let state = gateway.prober_state();
    let mut memory = state.memory.lock().unwrap_or_else(|p| p.into_inner());
    let mine = memory.entry(workload.id.clone()).or_default();
    if mine.recent.back().is_some_and(|last| last.at >= point.at) {
        return Ok(());
    }
    state
        .current
        .insert(workload.id.clone(), (point.status, point.reason.clone()));
    mine.recent.push_back(Probe {
        at: point.at,
        liveness: point.liveness,
        running: point.running,
        waiting: point.waiting,
        kv_cache: point.kv_cache,
        ttft_p50: point.ttft_p50,
        ttft_p95: point.ttft_p95,
        e2e_p50: point.e2e_p50,
        e2e_p95: point.e2e_p95,
        prompt_tokens_per_s: point.prompt_tokens_per_s,
        generation_tokens_per_s: point.generation_tokens_per_s,
        gpus: point.gpus,
    });
    while mine
        .recent
        .front()
        .is_some_and(|p| p.at < point.at - Duration::minutes(RECENT))
    {
        mine.recent.pop_front();
    }
    Ok(())
}

/// `GET {upstream}/health`, with the probe timeout: what the prober records and what
/// readiness events report.
pub(crate) async fn check_health(gateway: &Gateway, upstream: &str) -> Liveness {
    let sent = gateway
        .upstream()
        .get(format!("{upstream}/health"))
        .timeout(gateway.probe_config().timeout())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Liveness::Ok,
        // Not every server has a health route (Ollama has none): answering at all, with
        // "no such route", means it is up; its metrics still speak for it.
        Ok(r) if matches!(r.status().as_u16(), 404 | 405) => Liveness::Ok,
        Ok(r) if r.status().as_u16() == 503 => Liveness::EngineDead,
        Ok(_) => Liveness::Failing,
        Err(e) if e.is_timeout() => Liveness::Timeout,
        Err(e) if crate::proxy::tls_failure(&e).is_some() => Liveness::TlsRefused,
        Err(_) => Liveness::Unreachable,
    }
}

/// Probes one workload now and records it as a round would. Readiness calls it when it
/// finds an upstream serving that the last round left `down`: the data plane fails fast
/// on that status, and must not refuse a workload the caller was just told is ready
/// until the next round comes (up to an interval later).
pub(crate) async fn probe_now(gateway: &Gateway, workload: &Workload) -> sqlx::Result<()> {
    let now = gateway.now();
    let (liveness, metrics) = probe_one(gateway, workload).await;
    record(gateway, workload, liveness, metrics, now).await
}

async fn probe_one(gateway: &Gateway, workload: &Workload) -> (Liveness, Metrics) {
    let Some(upstream) = &workload.upstream_url else {
        return (Liveness::NoUpstream, Metrics::default());
    };
    let timeout = gateway.probe_config().timeout();
    let http = gateway.upstream();
    let liveness = check_health(gateway, upstream).await;
    let mut metrics = Metrics::default();
    for url in &workload.metrics_urls {
        let text = match http.get(url).timeout(timeout).send().await {
            Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
            _ => continue,
        };
        metrics.absorb(health::parse_metrics(&text));
    }
    (liveness, metrics)
}

async fn record(
    gateway: &Gateway,
    workload: &Workload,
    liveness: Liveness,
    metrics: Metrics,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let (probe, status, reason) = {
        let state = gateway.prober_state();
        let mut memory = state.memory.lock().unwrap_or_else(|p| p.into_inner());
        let mine = memory.entry(workload.id.clone()).or_default();
        let quantiles = |previous: &Option<health::Buckets>, current: &Option<health::Buckets>| {
            current.as_ref().map_or((None, None), |c| {
                (
                    health::quantile_between(previous.as_ref(), c, 0.5),
                    health::quantile_between(previous.as_ref(), c, 0.95),
                )
            })
        };
        let (ttft_p50, ttft_p95) = quantiles(&mine.ttft, &metrics.ttft);
        let (e2e_p50, e2e_p95) = quantiles(&mine.e2e, &metrics.e2e);
        // Throughput from the counters' increase (a restart resets them: no rate then).
        let rate =
            |before: Option<f64>, now_total: Option<f64>, seconds: f64| match (before, now_total) {
                (Some(b), Some(n)) if n >= b && seconds > 0.0 => Some((n - b) / seconds),
                _ => None,
            };
        let (prompt_tokens_per_s, generation_tokens_per_s) = match mine.tokens {
            Some((at, prompt, generation)) => {
                let seconds = (now - at).num_milliseconds() as f64 / 1000.0;
                (
                    rate(prompt, metrics.prompt_tokens_total, seconds),
                    rate(generation, metrics.generation_tokens_total, seconds),
                )
            }
            None => (None, None),
        };
        mine.tokens = Some((
            now,
            metrics.prompt_tokens_total,
            metrics.generation_tokens_total,
        ));
        if metrics.ttft.is_some() {
            mine.ttft = metrics.ttft.clone();
        }
        if metrics.e2e.is_some() {
            mine.e2e = metrics.e2e.clone();
        }
        let probe = Probe {
            at: now,
            liveness,
            running: metrics.running,
            waiting: metrics.waiting,
            kv_cache: metrics.kv_cache,
            ttft_p50,
            ttft_p95,
            e2e_p50,
            e2e_p95,
            prompt_tokens_per_s,
            generation_tokens_per_s,
            gpus: metrics.gpus,
        };
        mine.recent.push_back(probe.clone());
        // A round and a readiness probe may record out of order: the status follows the
        // latest probe by time, not the last one to finish.
        if mine.recent.len() > 1 && mine.recent[mine.recent.len() - 2].at > now {
            mine.recent.make_contiguous().sort_by_key(|p| p.at);
        }
        while mine
            .recent
            .front()
            .is_some_and(|p| p.at < now - Duration::minutes(RECENT))
        {
            mine.recent.pop_front();
        }
        let recent: Vec<Probe> = mine.recent.iter().cloned().collect();
        let (status, reason) = health::assess(&recent, &gateway.probe_config().thresholds());
        state
            .current
            .insert(workload.id.clone(), (status, reason.clone()));
        (probe, status, reason)
    };
    on!(gateway.pool(), |e| sqlx::query(
        "INSERT INTO workload_health (workload_id, at, liveness, status, reason, running, waiting,
            kv_cache, ttft_p50, ttft_p95, e2e_p50, e2e_p95, prompt_tokens_per_s,
            generation_tokens_per_s, gpus)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&workload.id)
    .bind(probe.at)
    .bind(probe.liveness.as_str())
    .bind(status.as_str())
    .bind(&reason)
    .bind(probe.running)
    .bind(probe.waiting)
    .bind(probe.kv_cache)
    .bind(probe.ttft_p50)
    .bind(probe.ttft_p95)
    .bind(probe.e2e_p50)
    .bind(probe.e2e_p95)
    .bind(probe.prompt_tokens_per_s)
    .bind(probe.generation_tokens_per_s)
    .bind(serde_json::to_string(&probe.gpus).unwrap_or_else(|_| "[]".into()))
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Every 10 minutes: thin rows older than a day to one per 5 minutes, drop rows older
/// than a week.
async fn prune(gateway: &Gateway, now: DateTime<Utc>) -> sqlx::Result<()> {
    {
        let mut last = gateway
            .prober_state()
            .last_prune
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|at| now - at < Duration::minutes(10)) {
            return Ok(());
        }
        *last = Some(now);
    }
    on!(gateway.pool(), |e| sqlx::query(
        "DELETE FROM workload_health WHERE at < $1"
    )
    .bind(now - Duration::days(7))
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    // Thinning: per workload and 5-minute slot, the slot's first probe stays. The slot
    // is cut from the timestamp as each engine stores it (RFC 3339 text in SQLite).
    let thin = if gateway.pool().is_sqlite() {
        "DELETE FROM workload_health WHERE at < $1 AND rowid NOT IN (
            SELECT MIN(rowid) FROM workload_health WHERE at < $1
            GROUP BY workload_id, substr(at, 1, 15), CAST(substr(at, 16, 1) AS INTEGER) / 5)"
    } else {
        "DELETE FROM workload_health h USING (
            SELECT workload_id, date_bin('5 minutes', at, TIMESTAMPTZ '2000-01-01') AS slot,
                   MIN(at) AS first
            FROM workload_health WHERE at < $1 GROUP BY 1, 2) k
         WHERE h.at < $1 AND h.workload_id = k.workload_id
           AND date_bin('5 minutes', h.at, TIMESTAMPTZ '2000-01-01') = k.slot
           AND h.at > k.first"
    };
    on!(gateway.pool(), |e| sqlx::query(thin)
        .bind(now - Duration::days(1))
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub use keyward_api::health::HealthPoint;

#[derive(sqlx::FromRow)]
struct PointRow {
    at: DateTime<Utc>,
    liveness: String,
    status: String,
    reason: String,
    running: Option<f64>,
    waiting: Option<f64>,
    kv_cache: Option<f64>,
    ttft_p50: Option<f64>,
    ttft_p95: Option<f64>,
    e2e_p50: Option<f64>,
    e2e_p95: Option<f64>,
    prompt_tokens_per_s: Option<f64>,
    generation_tokens_per_s: Option<f64>,
    gpus: String,
}

impl From<PointRow> for HealthPoint {
    fn from(r: PointRow) -> Self {
        HealthPoint {
            at: r.at,
            liveness: Liveness::parse(&r.liveness),
            status: HealthStatus::parse(&r.status),
            reason: r.reason,
            running: r.running,
            waiting: r.waiting,
            kv_cache: r.kv_cache,
            ttft_p50: r.ttft_p50,
            ttft_p95: r.ttft_p95,
            e2e_p50: r.e2e_p50,
            e2e_p95: r.e2e_p95,
            prompt_tokens_per_s: r.prompt_tokens_per_s,
            generation_tokens_per_s: r.generation_tokens_per_s,
            gpus: serde_json::from_str(&r.gpus).unwrap_or_default(),
        }
    }
}

/// The stored probes of a workload between `from` and `to`, oldest first (at most
/// `limit`, evenly thinned when there are more).
pub async fn history(
    pool: &Db,
    workload_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> sqlx::Result<Vec<HealthPoint>> {
    let rows: Vec<PointRow> = on!(pool, |e| sqlx::query_as(
        "SELECT at, liveness, status, reason, running, waiting, kv_cache, ttft_p50, ttft_p95,
                e2e_p50, e2e_p95, prompt_tokens_per_s, generation_tokens_per_s, gpus
         FROM workload_health WHERE workload_id = $1 AND at >= $2 AND at <= $3 ORDER BY at",
    )
    .bind(workload_id)
    .bind(from)
    .bind(to)
    .fetch_all(e)
    .await)?;
    let step = rows.len().div_ceil(limit.max(1)).max(1);
    Ok(rows.into_iter().step_by(step).map(Into::into).collect())
}

/// The latest stored probe of a workload.
pub async fn latest(pool: &Db, workload_id: &str) -> sqlx::Result<Option<HealthPoint>> {
    let row: Option<PointRow> = on!(pool, |e| sqlx::query_as(
        "SELECT at, liveness, status, reason, running, waiting, kv_cache, ttft_p50, ttft_p95,
                e2e_p50, e2e_p95, prompt_tokens_per_s, generation_tokens_per_s, gpus
         FROM workload_health WHERE workload_id = $1 ORDER BY at DESC LIMIT 1",
    )
    .bind(workload_id)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(Into::into))
}
