//! The workload page's health charts, as `keyward_core::charts` descriptions: latency
//! (end-to-end p50/p95), time to first token, requests running/waiting, KV cache, and per
//! GPU utilisation, memory used/free, temperature and power (one line per GPU).
//!
//! Probes arrive every ~10 s with jitter, but a time chart wants buckets of equal width,
//! so the period is cut into a fixed number of buckets and each holds the mean of the
//! probes inside it (latency percentiles: the worst, so a spike is not averaged away); a
//! bucket without probes is a gap, not a zero.

use crate::charts::{Chart, TimeChart, TimeChartKind, TimeSeries, Unit};
use crate::workloads::HealthPeriod;
use chrono::{DateTime, Duration, Utc};
use keyward_api::health::{HealthPoint, WorkloadHealth};
use std::collections::BTreeMap;

/// Bucket width per period: 60, 72, 96 and 84 buckets.
fn bucket_width(period: HealthPeriod) -> Duration {
    match period {
        HealthPeriod::Hour => Duration::minutes(1),
        HealthPeriod::SixHours => Duration::minutes(5),
        HealthPeriod::Day => Duration::minutes(15),
        HealthPeriod::Week => Duration::hours(2),
    }
}

#[derive(Clone, Copy)]
enum Fold {
    Mean,
    Max,
}

struct Buckets {
    starts: Vec<DateTime<Utc>>,
    /// Probe indices per bucket.
    members: Vec<Vec<usize>>,
}

fn buckets(points: &[HealthPoint], period: HealthPeriod, now: DateTime<Utc>) -> Buckets {
    let width = bucket_width(period);
    let (from, _) = period.range(now);
    let width_s = width.num_seconds();
    // Aligned to the width, so refreshing does not shift every bucket by a few seconds.
    let first =
        DateTime::from_timestamp(from.timestamp() - from.timestamp().rem_euclid(width_s), 0)
            .unwrap_or(from);
    let count = ((now - first).num_seconds() / width_s + 1) as usize;
    let starts: Vec<DateTime<Utc>> = (0..count).map(|i| first + width * i as i32).collect();
    let mut members = vec![Vec::new(); count];
    for (i, p) in points.iter().enumerate() {
        let index = (p.at - first).num_seconds().div_euclid(width_s);
        if (0..count as i64).contains(&index) {
            members[index as usize].push(i);
        }
    }
    Buckets { starts, members }
}

fn series(
    name: impl Into<String>,
    b: &Buckets,
    points: &[HealthPoint],
    fold: Fold,
    value: impl Fn(&HealthPoint) -> Option<f64>,
) -> TimeSeries {
    let values = b
        .members
        .iter()
        .map(|idx| {
            let vals: Vec<f64> = idx.iter().filter_map(|&i| value(&points[i])).collect();
            if vals.is_empty() {
                return None;
            }
            Some(match fold {
                Fold::Mean => vals.iter().sum::<f64>() / vals.len() as f64,
                Fold::Max => vals.iter().copied().fold(f64::MIN, f64::max),
            })
        })
        .collect();
    TimeSeries {
        name: name.into(),
        values,
    }
}

/// One chart per health view, ids stable for the UI (`latency`, `ttft`, `requests`,
/// `kv_cache`, `gpu_util`, `gpu_memory`, `gpu_temp`, `gpu_power`). GPU charts are left
/// out when the metrics carry no GPU.
pub fn health_charts(
    health: &WorkloadHealth,
    period: HealthPeriod,
    now: DateTime<Utc>,
    time_zone: chrono_tz::Tz,
) -> Vec<(&'static str, Chart)> {
    let points = &health.series;
    let b = buckets(points, period, now);
    let chart = |title: &str, unit: Unit, series: Vec<TimeSeries>| {
        Chart::Time(TimeChart {
            title: title.to_owned(),
            unit,
            kind: TimeChartKind::Lines,
            buckets: b.starts.clone(),
            time_zone,
            series,
            highlights: Vec::new(),
        })
    };
    let mut charts = vec![
        (
            "latency",
            chart(
                "Request latency",
                Unit::Seconds,
                vec![
                    series("p50", &b, points, Fold::Max, |p| p.e2e_p50),
                    series("p95", &b, points, Fold::Max, |p| p.e2e_p95),
                ],
            ),
        ),
        (
            "ttft",
            chart(
                "Time to first token",
                Unit::Seconds,
                vec![
                    series("p50", &b, points, Fold::Max, |p| p.ttft_p50),
                    series("p95", &b, points, Fold::Max, |p| p.ttft_p95),
                ],
            ),
        ),
        (
            "requests",
            chart(
                "Requests",
                Unit::Count {
                    noun: "requests".into(),
                },
                vec![
                    series("running", &b, points, Fold::Mean, |p| p.running),
                    series("waiting", &b, points, Fold::Mean, |p| p.waiting),
                ],
            ),
        ),
        (
            "kv_cache",
            chart(
                "KV cache",
                Unit::Percent,
                vec![series("KV cache", &b, points, Fold::Mean, |p| {
                    p.kv_cache.map(|f| f * 100.0)
                })],
            ),
        ),
    ];
    let gpus: BTreeMap<&str, ()> = points
        .iter()
        .flat_map(|p| p.gpus.iter().map(|g| (g.gpu.as_str(), ())))
        .collect();
    if gpus.is_empty() {
        return charts;
    }
    type Pick = fn(&keyward_api::health::Gpu) -> Option<f64>;
    let per_gpu = |suffix: &str, pick: Pick| -> Vec<TimeSeries> {
        gpus.keys()
            .map(|id| {
                series(format!("GPU {id}{suffix}"), &b, points, Fold::Mean, |p| {
                    p.gpus.iter().find(|g| g.gpu == *id).and_then(pick)
                })
            })
            .collect()
    };
    const MIB: f64 = 1024.0 * 1024.0;
    let mut memory = per_gpu(" used", |g| g.fb_used_mib.map(|m| m * MIB));
    memory.extend(per_gpu(" free", |g| g.fb_free_mib.map(|m| m * MIB)));
    charts.extend([
        (
            "gpu_util",
            chart(
                "GPU utilisation",
                Unit::Percent,
                per_gpu("", |g| g.util_pct),
            ),
        ),
        ("gpu_memory", chart("GPU memory", Unit::Bytes, memory)),
        (
            "gpu_temp",
            chart("GPU temperature", Unit::Celsius, per_gpu("", |g| g.temp_c)),
        ),
        (
            "gpu_power",
            chart("GPU power", Unit::Watts, per_gpu("", |g| g.power_w)),
        ),
    ]);
    charts
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_api::health::Gpu;

    fn point(at: DateTime<Utc>, kv: f64, p95: f64, gpus: &[(&str, f64)]) -> HealthPoint {
        HealthPoint {
            at,
            liveness: keyward_api::health::Liveness::Ok,
            status: keyward_api::health::HealthStatus::Healthy,
            reason: "Serving normally.".into(),
            running: Some(2.0),
            waiting: Some(1.0),
            kv_cache: Some(kv),
            ttft_p50: None,
            ttft_p95: None,
            e2e_p50: Some(p95 / 2.0),
            e2e_p95: Some(p95),
            prompt_tokens_per_s: None,
            generation_tokens_per_s: None,
            gpus: gpus
                .iter()
                .map(|(id, util)| Gpu {
                    gpu: (*id).into(),
                    util_pct: Some(*util),
                    fb_used_mib: Some(1024.0),
                    fb_free_mib: Some(3072.0),
                    ..Default::default()
                })
                .collect(),
        }
    }

    fn time(chart: &Chart) -> &TimeChart {
        match chart {
            Chart::Time(t) => t,
            Chart::Bars(_) => panic!("a time chart"),
        }
    }

    #[test]
    fn probes_fall_into_equal_buckets_with_gaps_and_one_line_per_gpu() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let health = WorkloadHealth {
            workload_id: "w".into(),
            status: keyward_api::health::HealthStatus::Healthy,
            reason: String::new(),
            checked_at: Some(now),
            series: vec![
                point(
                    now - Duration::seconds(25),
                    0.5,
                    0.2,
                    &[("0", 80.0), ("1", 40.0)],
                ),
                point(
                    now - Duration::seconds(15),
                    0.7,
                    0.9,
                    &[("0", 60.0), ("1", 20.0)],
                ),
                point(now - Duration::minutes(30), 0.1, 0.1, &[("0", 10.0)]),
            ],
        };
        let charts = health_charts(&health, HealthPeriod::Hour, now, chrono_tz::UTC);
        let ids: Vec<&str> = charts.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids,
            [
                "latency",
                "ttft",
                "requests",
                "kv_cache",
                "gpu_util",
                "gpu_memory",
                "gpu_temp",
                "gpu_power"
            ]
        );
        let kv = time(&charts[3].1);
        assert_eq!(kv.buckets.len(), 61);
        assert!(kv
            .buckets
            .windows(2)
            .all(|w| w[1] - w[0] == Duration::minutes(1)));
        let last = kv.series[0].values.last().unwrap().unwrap();
        assert!((last - 60.0).abs() < 1e-9, "mean of 50 % and 70 %: {last}");
        assert_eq!(kv.series[0].values[1], None, "no probe: a gap");
        let latency = time(&charts[0].1);
        assert_eq!(
            latency.series[1].values.last().unwrap(),
            &Some(0.9),
            "p95: the worst"
        );
        let util = time(&charts[4].1);
        assert_eq!(
            util.series
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["GPU 0", "GPU 1"]
        );
        let memory = time(&charts[5].1);
        assert_eq!(memory.series.len(), 4);
        assert_eq!(
            memory.series[0].values.last().unwrap(),
            &Some(1024.0 * 1024.0 * 1024.0)
        );
    }

    #[test]
    fn no_gpu_metrics_no_gpu_charts() {
        let now = Utc::now();
        let health = WorkloadHealth {
            workload_id: "w".into(),
            status: keyward_api::health::HealthStatus::Unknown,
            reason: String::new(),
            checked_at: None,
            series: vec![],
        };
        assert_eq!(
            health_charts(&health, HealthPeriod::Week, now, chrono_tz::UTC).len(),
            4
        );
    }
}
