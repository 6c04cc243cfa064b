//! Workload health: what one probe of a workload finds (its `GET /health` and a scrape
//! of each metrics URL in Prometheus text format), and the status derived from the
//! recent probes, with the reason in words.
//!
//! Metrics read: vLLM's `num_requests_running`, `num_requests_waiting`,
//! `kv_cache_usage_perc` (falling back to `gpu_cache_usage_perc`), the prompt and
//! generation token counters, and the time-to-first-token and end-to-end latency
//! histograms (p50/p95 from the bucket *deltas* between two scrapes, i.e. over the last
//! probe interval, not since the server started); per GPU from a DCGM exporter:
//! utilisation, framebuffer used/free, temperature, power and XID errors.
//!
//! HealthStatus rules (thresholds in [`Thresholds`], defaults documented there):
//! * `down`: `/health` timed out `down_after_timeouts` times in a row, answered 503
//!   (engine dead), or the upstream cannot be reached;
//! * `degraded`: KV cache at or above `kv_cache_degraded` for `kv_cache_for`, a
//!   request queue backed up for `queue_for` (below), a GPU reporting XID errors, a
//!   GPU at or above `gpu_temp_degraded_c`, or `/health` timing out fewer than
//!   `down_after_timeouts` times in a row;
//! * `healthy`: `/health` 200 and none of the above; `unknown` before the first probe
//!   or when no upstream is configured.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// When a workload counts as degraded or down. Defaults: 3 timeouts in a row → down;
/// KV cache ≥ 95 % for 5 minutes → degraded; more requests waiting than running for
/// 2 minutes → degraded; a GPU at ≥ 90 °C → degraded.
#[derive(Debug, Clone)]
pub struct Thresholds {
    pub down_after_timeouts: u32,
    pub kv_cache_degraded: f64,
    pub kv_cache_for: Duration,
    /// The queue is backed up when more than this many requests wait per request
    /// running (vLLM's `num_requests_waiting` / `num_requests_running`; at least one
    /// running is assumed, so a stalled engine with a queue counts too).
    pub queue_degraded: f64,
    /// How long the queue must stay backed up, at every probe, to degrade the workload:
    /// a burst the server absorbs within this is no degradation.
    pub queue_for: Duration,
    pub gpu_temp_degraded_c: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            down_after_timeouts: 3,
            kv_cache_degraded: 0.95,
            kv_cache_for: Duration::minutes(5),
            queue_degraded: 1.0,
            queue_for: Duration::minutes(2),
            gpu_temp_degraded_c: 90.0,
        }
    }
}

/// A window as a reason says it: "2 min", or "30 s" below a minute (tests use short ones).
fn span(window: Duration) -> String {
    if window.num_seconds() >= 60 && window.num_seconds() % 60 == 0 {
        format!("{} min", window.num_minutes())
    } else {
        format!("{} s", window.num_seconds())
    }
}

/// Whether `probe`'s queue is backed up: more than `ratio` waiting per running request.
fn backed_up(probe: &Probe, ratio: f64) -> bool {
    probe
        .waiting
        .is_some_and(|waiting| waiting > ratio * probe.running.unwrap_or(0.0).max(1.0))
}

pub use keyward_api::health::Gpu;
pub use keyward_api::health::{HealthStatus, Liveness};

/// Cumulative histogram buckets: upper bound → count.
pub type Buckets = Vec<(f64, f64)>;

/// Everything one scrape of the metrics URLs yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    pub kv_cache: Option<f64>,
    pub prompt_tokens_total: Option<f64>,
    pub generation_tokens_total: Option<f64>,
    pub ttft: Option<Buckets>,
    pub e2e: Option<Buckets>,
    pub gpus: Vec<Gpu>,
}

fn merge_buckets(into: &mut Option<Buckets>, more: Buckets) {
    let target = into.get_or_insert_with(Vec::new);
    for (le, count) in more {
        match target.iter_mut().find(|(l, _)| *l == le) {
            Some((_, c)) => *c += count,
            None => target.push((le, count)),
        }
    }
    target.sort_by(|a, b| a.0.total_cmp(&b.0));
}

/// Reads the metrics Keyward uses from one Prometheus text exposition; several
/// scrapes (model server, DCGM exporter) are merged with [`Metrics::absorb`].
pub fn parse_metrics(text: &str) -> Metrics {
    use prometheus_parse::{Scrape, Value};
    let mut metrics = Metrics::default();
    // prometheus-parse reads metric names as `\w+`, but vLLM's carry a `vllm:` prefix
    // (colons are legal in Prometheus names): map it to `vllm__` before parsing.
    let lines = text.lines().map(|l| Ok(l.replace("vllm:", "vllm__")));
    let Ok(scrape) = Scrape::parse(lines) else {
        return metrics;
    };
    let mut gpus: BTreeMap<String, Gpu> = BTreeMap::new();
    let mut gpu_cache = None;
    for sample in scrape.samples {
        let scalar = match &sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(*v),
            _ => None,
        };
        let add = |slot: &mut Option<f64>, v: Option<f64>| {
            if let Some(v) = v {
                *slot = Some(slot.unwrap_or(0.0) + v);
            }
        };
        let name = sample.metric.as_str();
        match name {
            "vllm__num_requests_running" => add(&mut metrics.running, scalar),
            "vllm__num_requests_waiting" => add(&mut metrics.waiting, scalar),
            "vllm__kv_cache_usage_perc" => add(&mut metrics.kv_cache, scalar),
            "vllm__gpu_cache_usage_perc" => add(&mut gpu_cache, scalar),
            "vllm__prompt_tokens_total" | "vllm__prompt_tokens" => {
                add(&mut metrics.prompt_tokens_total, scalar)
            }
            "vllm__generation_tokens_total" | "vllm__generation_tokens" => {
                add(&mut metrics.generation_tokens_total, scalar)
            }
            "vllm__time_to_first_token_seconds" | "vllm__e2e_request_latency_seconds" => {
                if let Value::Histogram(counts) = &sample.value {
                    let buckets = counts.iter().map(|c| (c.less_than, c.count)).collect();
                    let slot = if name.contains("first_token") {
                        &mut metrics.ttft
                    } else {
                        &mut metrics.e2e
                    };
                    merge_buckets(slot, buckets);
                }
            }
            dcgm if dcgm.starts_with("DCGM_FI_DEV_") => {
                let id = sample.labels.get("gpu").unwrap_or("0").to_owned();
                let gpu = gpus.entry(id.clone()).or_insert_with(|| Gpu {
                    gpu: id,
                    ..Default::default()
                });
                let slot = match dcgm {
                    "DCGM_FI_DEV_GPU_UTIL" => &mut gpu.util_pct,
                    "DCGM_FI_DEV_FB_USED" => &mut gpu.fb_used_mib,
                    "DCGM_FI_DEV_FB_FREE" => &mut gpu.fb_free_mib,
                    "DCGM_FI_DEV_GPU_TEMP" => &mut gpu.temp_c,
                    "DCGM_FI_DEV_POWER_USAGE" => &mut gpu.power_w,
                    "DCGM_FI_DEV_XID_ERRORS" => &mut gpu.xid,
                    _ => continue,
                };
                *slot = scalar;
            }
            _ => {}
        }
    }
    if metrics.kv_cache.is_none() {
        metrics.kv_cache = gpu_cache;
    }
    metrics.gpus = gpus.into_values().collect();
    metrics
}

impl Metrics {
    /// Adds another scrape's findings (e.g. the DCGM exporter's to the model server's).
    pub fn absorb(&mut self, other: Metrics) {
        let pick = |a: &mut Option<f64>, b: Option<f64>| {
            if b.is_some() {
                *a = Some(a.unwrap_or(0.0) + b.unwrap_or(0.0));
            }
        };
        pick(&mut self.running, other.running);
        pick(&mut self.waiting, other.waiting);
        if other.kv_cache.is_some() {
            self.kv_cache = other.kv_cache;
        }
        pick(&mut self.prompt_tokens_total, other.prompt_tokens_total);
        pick(
            &mut self.generation_tokens_total,
            other.generation_tokens_total,
        );
        if let Some(b) = other.ttft {
            merge_buckets(&mut self.ttft, b);
        }
        if let Some(b) = other.e2e {
            merge_buckets(&mut self.e2e, b);
        }
        self.gpus.extend(other.gpus);
    }
}

/// The `q` quantile (0–1) of the observations that arrived between two scrapes of a
/// cumulative histogram, interpolating linearly inside the bucket. `None` when nothing
/// was observed in between (or the counter was reset).
pub fn quantile_between(previous: Option<&Buckets>, current: &Buckets, q: f64) -> Option<f64> {
    let delta: Vec<(f64, f64)> = current
        .iter()
        .map(|(le, count)| {
            let before = previous
                .and_then(|p| p.iter().find(|(l, _)| l == le))
                .map_or(0.0, |(_, c)| *c);
            (*le, count - before)
        })
        .collect();
    let total = delta.last().map(|(_, c)| *c)?;
    if total <= 0.0 || delta.iter().any(|(_, c)| *c < 0.0) {
        return None;
    }
    let rank = q * total;
    let mut lower_bound = 0.0;
    let mut lower_count = 0.0;
    for (le, count) in &delta {
        if *count >= rank {
            if le.is_infinite() {
                return Some(lower_bound);
            }
            let in_bucket = count - lower_count;
            let fraction = if in_bucket > 0.0 {
                (rank - lower_count) / in_bucket
            } else {
                0.0
            };
            return Some(lower_bound + (le - lower_bound) * fraction);
        }
        lower_bound = *le;
        lower_count = *count;
    }
    None
}

/// One probe's result, as stored in the health history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub at: DateTime<Utc>,
    pub liveness: Liveness,
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    pub kv_cache: Option<f64>,
    pub ttft_p50: Option<f64>,
    pub ttft_p95: Option<f64>,
    pub e2e_p50: Option<f64>,
    pub e2e_p95: Option<f64>,
    /// Token throughput from the counters' increase since the previous probe.
    pub prompt_tokens_per_s: Option<f64>,
    pub generation_tokens_per_s: Option<f64>,
    pub gpus: Vec<Gpu>,
}

/// The status after `recent` probes (oldest first), with the reason in words.
pub fn assess(recent: &[Probe], thresholds: &Thresholds) -> (HealthStatus, String) {
    let Some(last) = recent.last() else {
        return (HealthStatus::Unknown, "Not probed yet.".into());
    };
    let timeouts_in_a_row = recent
        .iter()
        .rev()
        .take_while(|p| p.liveness == Liveness::Timeout)
        .count() as u32;
    match last.liveness {
        Liveness::NoUpstream => {
            return (HealthStatus::Unknown, "No upstream server is configured.".into())
        }
        Liveness::Unreachable => {
            return (
                HealthStatus::Down,
                "The upstream server cannot be reached.".into(),
            )
        }
        Liveness::TlsRefused => {
            return (
                HealthStatus::Down,
                "The upstream's TLS certificate is refused (untrusted, expired or for another name); if it uses a private CA, start the gateway with --upstream-ca-file.".into(),
            )
        }
        Liveness::EngineDead => {
            return (
                HealthStatus::Down,
                "Engine dead: GET /health answered 503.".into(),
            )
        }
        // `Unknown` is only ever read from a newer gateway, never probed here.
        Liveness::Failing | Liveness::Unknown => return (HealthStatus::Down, "GET /health answers an error.".into()),
        Liveness::Timeout if timeouts_in_a_row >= thresholds.down_after_timeouts => {
            return (
                HealthStatus::Down,
                format!("Health check timed out {timeouts_in_a_row}× in a row."),
            )
        }
        _ => {}
    }
    let mut reasons = Vec::new();
    if last.liveness == Liveness::Timeout {
        reasons.push(format!("Health check timed out {timeouts_in_a_row}×"));
    }
    for gpu in &last.gpus {
        if let Some(xid) = gpu.xid.filter(|x| *x > 0.0) {
            reasons.push(format!("GPU {} XID error {}", gpu.gpu, xid as i64));
        }
        if let Some(temp) = gpu.temp_c.filter(|t| *t >= thresholds.gpu_temp_degraded_c) {
            reasons.push(format!("GPU {} at {} °C", gpu.gpu, temp.round() as i64));
        }
    }
    // KV cache high across the whole window (and the window is covered by probes).
    let window_start = last.at - thresholds.kv_cache_for;
    let in_window: Vec<&Probe> = recent.iter().filter(|p| p.at >= window_start).collect();
    let covered = recent.first().is_some_and(|p| p.at <= window_start);
    let high = in_window.iter().all(|p| {
        p.kv_cache
            .is_some_and(|k| k >= thresholds.kv_cache_degraded)
    });
    if covered && high && !in_window.is_empty() {
        let pct = (last.kv_cache.unwrap_or(0.0) * 100.0).round() as i64;
        reasons.push(format!(
            "KV cache {pct}% for {} min",
            thresholds.kv_cache_for.num_minutes()
        ));
    }
    // The request queue backed up at every probe of the window (issue #15: waiting 5 →
    // 500 with 64 running stayed "healthy").
    let window_start = last.at - thresholds.queue_for;
    let in_window: Vec<&Probe> = recent.iter().filter(|p| p.at >= window_start).collect();
    let covered = recent.first().is_some_and(|p| p.at <= window_start);
    if covered
        && !in_window.is_empty()
        && in_window
            .iter()
            .all(|p| backed_up(p, thresholds.queue_degraded))
    {
        let count = |v: Option<f64>| v.unwrap_or(0.0).round() as i64;
        let (waiting, running) = (count(last.waiting), count(last.running));
        let first = count(in_window[0].waiting);
        let trend = if waiting > first {
            format!(", up from {first}")
        } else {
            String::new()
        };
        reasons.push(format!(
            "{waiting} requests waiting{trend}, {running} running, for {}",
            span(thresholds.queue_for)
        ));
    }
    if reasons.is_empty() {
        (HealthStatus::Healthy, "Serving normally.".into())
    } else {
        (HealthStatus::Degraded, format!("{}.", reasons.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VLLM: &str = r#"# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="llama"} 3.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="llama"} 7.0
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{model_name="llama"} 0.42
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{model_name="llama"} 1200.0
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{model_name="llama"} 3400.0
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="llama"} 10.0
vllm:time_to_first_token_seconds_bucket{le="0.5",model_name="llama"} 30.0
vllm:time_to_first_token_seconds_bucket{le="1.0",model_name="llama"} 40.0
vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="llama"} 40.0
vllm:time_to_first_token_seconds_sum{model_name="llama"} 9.0
vllm:time_to_first_token_seconds_count{model_name="llama"} 40.0
"#;

    const DCGM: &str = r#"# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a"} 87
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b"} 12
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="0"} 70000
# TYPE DCGM_FI_DEV_GPU_TEMP gauge
DCGM_FI_DEV_GPU_TEMP{gpu="1"} 93
# TYPE DCGM_FI_DEV_XID_ERRORS gauge
DCGM_FI_DEV_XID_ERRORS{gpu="1"} 79
"#;

    #[test]
    fn reads_vllm_and_dcgm_metrics() {
        let mut m = parse_metrics(VLLM);
        assert_eq!((m.running, m.waiting), (Some(3.0), Some(7.0)));
        assert_eq!(m.kv_cache, Some(0.42), "falls back to gpu_cache_usage_perc");
        assert_eq!(m.generation_tokens_total, Some(3400.0));
        assert_eq!(m.ttft.as_ref().unwrap().len(), 4);
        m.absorb(parse_metrics(DCGM));
        assert_eq!(m.gpus.len(), 2);
        assert_eq!(m.gpus[0].util_pct, Some(87.0));
        assert_eq!(m.gpus[1].xid, Some(79.0));
    }

    #[test]
    fn quantiles_come_from_the_deltas_between_scrapes() {
        let before: Buckets = vec![(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (f64::INFINITY, 40.0)];
        // Since the last scrape: 10 more, all between 0.5 and 1.0 s.
        let now: Buckets = vec![(0.1, 10.0), (0.5, 30.0), (1.0, 50.0), (f64::INFINITY, 50.0)];
        let p50 = quantile_between(Some(&before), &now, 0.5).unwrap();
        assert!((p50 - 0.75).abs() < 1e-9, "{p50}");
        assert_eq!(quantile_between(Some(&now), &now, 0.5), None, "nothing new");
        // Without a previous scrape: all 50 observations; the 25th is in (0.1, 0.5].
        let since_start = quantile_between(None, &now, 0.5).unwrap();
        assert!((since_start - 0.4).abs() < 1e-9, "{since_start}");
    }

    fn probe(at: DateTime<Utc>, liveness: Liveness, kv: f64) -> Probe {
        Probe {
            at,
            liveness,
            running: None,
            waiting: None,
            kv_cache: Some(kv),
            ttft_p50: None,
            ttft_p95: None,
            e2e_p50: None,
            e2e_p95: None,
            prompt_tokens_per_s: None,
            generation_tokens_per_s: None,
            gpus: Vec::new(),
        }
    }

    #[test]
    fn status_rules_and_reasons() {
        let t = Thresholds::default();
        let now = Utc::now();
        assert_eq!(assess(&[], &t).0, HealthStatus::Unknown);
        assert_eq!(
            assess(&[probe(now, Liveness::Ok, 0.5)], &t).0,
            HealthStatus::Healthy
        );
        let dead = assess(&[probe(now, Liveness::EngineDead, 0.5)], &t);
        assert_eq!(dead.0, HealthStatus::Down);
        assert!(dead.1.contains("503"));
        let timeouts: Vec<Probe> = (0..3)
            .map(|i| probe(now + Duration::seconds(i * 10), Liveness::Timeout, 0.5))
            .collect();
        assert_eq!(assess(&timeouts[..2], &t).0, HealthStatus::Degraded);
        let (status, reason) = assess(&timeouts, &t);
        assert_eq!(status, HealthStatus::Down);
        assert_eq!(reason, "Health check timed out 3× in a row.");
        // KV cache: high for the whole 5 minutes → degraded; only lately → healthy.
        let full: Vec<Probe> = (0..=31)
            .map(|i| probe(now + Duration::seconds(i * 10), Liveness::Ok, 0.97))
            .collect();
        let (status, reason) = assess(&full, &t);
        assert_eq!(
            (status, reason.as_str()),
            (HealthStatus::Degraded, "KV cache 97% for 5 min.")
        );
        assert_eq!(
            assess(&full[25..], &t).0,
            HealthStatus::Healthy,
            "not 5 minutes yet"
        );
        // Queue: more waiting than running at every probe for 2 minutes → degraded,
        // saying how it grew; a burst absorbed sooner, or a short queue, is not.
        let queued = |i: i64, waiting: f64, running: f64| {
            let mut p = probe(now + Duration::seconds(i * 10), Liveness::Ok, 0.3);
            (p.waiting, p.running) = (Some(waiting), Some(running));
            p
        };
        let growing: Vec<Probe> = (0..=13)
            .map(|i| queued(i, 5.0 + 38.0 * i as f64, 64.0))
            .collect();
        assert_eq!(
            assess(&growing, &t).0,
            HealthStatus::Healthy,
            "not 2 min above 64 yet"
        );
        let growing: Vec<Probe> = (0..=20)
            .map(|i| queued(i, 5.0 + 25.0 * i as f64, 64.0))
            .collect();
        let (status, reason) = assess(&growing, &t);
        assert_eq!(
            (status, reason.as_str()),
            (
                HealthStatus::Degraded,
                "505 requests waiting, up from 205, 64 running, for 2 min."
            )
        );
        let steady: Vec<Probe> = (0..=13).map(|i| queued(i, 60.0, 64.0)).collect();
        assert_eq!(
            assess(&steady, &t).0,
            HealthStatus::Healthy,
            "fewer waiting than running"
        );
        let mut burst: Vec<Probe> = (0..=13).map(|i| queued(i, 200.0, 64.0)).collect();
        burst[6].waiting = Some(10.0);
        assert_eq!(
            assess(&burst, &t).0,
            HealthStatus::Healthy,
            "drained within the window"
        );
        let stalled: Vec<Probe> = (0..=13).map(|i| queued(i, 3.0, 0.0)).collect();
        assert_eq!(
            assess(&stalled, &t).1,
            "3 requests waiting, 0 running, for 2 min.",
            "a stalled engine with a queue"
        );
        let mut xid = probe(now, Liveness::Ok, 0.1);
        xid.gpus.push(Gpu {
            gpu: "1".into(),
            xid: Some(79.0),
            ..Default::default()
        });
        assert_eq!(assess(&[xid], &t).1, "GPU 1 XID error 79.");
    }
}
