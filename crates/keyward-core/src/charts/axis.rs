//! Where ticks go: "nice" value ticks (1, 2, 5 × 10ⁿ; binary multiples for bytes) and
//! time ticks on local-time boundaries of the chart's zone, labelled for the span.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

use super::Unit;

const DAY: i64 = 86_400;

/// A value axis from `min` to `max` with ticks every `step`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ValueAxis {
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

impl ValueAxis {
    pub fn ticks(&self) -> Vec<f64> {
        let count = ((self.max - self.min) / self.step).round() as usize;
        (0..=count)
            .map(|i| self.min + self.step * i as f64)
            .collect()
    }
}

/// Counts, money, percentages and the like start at 0, so bar and area heights are
/// honest; temperatures start near the data, since 0 °C says nothing about a GPU.
pub(super) fn value_axis(unit: &Unit, data_min: f64, data_max: f64) -> ValueAxis {
    let mut low = data_min.min(0.0);
    let mut high = data_max.max(0.0);
    if *unit == Unit::Percent && high <= 100.0 {
        high = 100.0;
    }
    if *unit == Unit::Celsius && data_min > 0.0 {
        low = (data_min / 10.0).floor() * 10.0;
    }
    if high - low <= f64::EPSILON {
        high = low + 1.0;
    }
    let step = tick_step(unit, high - low);
    ValueAxis {
        min: (low / step).floor() * step,
        max: (high / step).ceil() * step,
        step,
    }
}

fn tick_step(unit: &Unit, span: f64) -> f64 {
    const TARGET_TICKS: f64 = 5.0;
    let base = match unit {
        Unit::Bytes => 1024f64.powi((span.log(1024.0).floor() as i32).max(0)),
        _ => 1.0,
    };
    let raw = span / base / TARGET_TICKS;
    let magnitude = 10f64.powf(raw.log10().floor());
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    let step = nice * base;
    match unit {
        // Requests, tokens and bytes come whole: no tick between 0 and 1.
        Unit::Count { .. } | Unit::Bytes => step.max(1.0),
        _ => step,
    }
}

/// The width of one bucket; a lone bucket is taken as an hour.
pub(super) fn bucket_width(buckets: &[DateTime<Utc>]) -> TimeDelta {
    match buckets {
        [first, second, ..] => *second - *first,
        _ => TimeDelta::hours(1),
    }
}

/// A labelled tick at the start of bucket `index`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TimeTick {
    pub index: usize,
    pub label: String,
}

/// Ticks at round local times ("14:00", "14:05") or dates ("12 Nov"), at most one per
/// `min_spacing_px` of a plot `plot_width_px` wide.
pub(super) fn time_ticks(
    buckets: &[DateTime<Utc>],
    zone: Tz,
    plot_width_px: f64,
    min_spacing_px: f64,
) -> Vec<TimeTick> {
    let n = buckets.len();
    if n == 0 {
        return Vec::new();
    }
    let width = bucket_width(buckets).num_seconds().max(1);
    let max_ticks = ((plot_width_px / min_spacing_px).floor() as i64).max(2);
    let step = tick_step_seconds(width, n as i64, max_ticks);
    let local: Vec<_> = buckets.iter().map(|b| b.with_timezone(&zone)).collect();
    let aligned: Vec<usize> = (0..n)
        .filter(|&i| {
            let t = &local[i];
            if step >= DAY {
                let new_day = i == 0 || local[i - 1].date_naive() != t.date_naive();
                new_day && i64::from(t.num_days_from_ce()) % (step / DAY) == 0
            } else {
                i64::from(t.num_seconds_from_midnight()) % step == 0
            }
        })
        .collect();
    // Zones with odd offsets (+05:45) may never hit a round time: fall back to every k-th.
    let indices = if aligned.len() >= 2 || n < 4 {
        aligned
    } else {
        let every = (step / width).max(1) as usize;
        (0..n).step_by(every).collect()
    };
    indices
        .into_iter()
        .map(|index| TimeTick {
            index,
            label: tick_label(&local[index], width, step),
        })
        .collect()
}

fn tick_step_seconds(bucket: i64, buckets: i64, max_ticks: i64) -> i64 {
    const STEPS: [i64; 17] = [
        60,
        300,
        600,
        900,
        1800,
        3600,
        2 * 3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        DAY,
        2 * DAY,
        7 * DAY,
        14 * DAY,
        28 * DAY,
        91 * DAY,
        364 * DAY,
    ];
    let span = bucket * buckets;
    STEPS
        .into_iter()
        .find(|&s| s >= bucket && s % bucket == 0 && span / s <= max_ticks)
        .unwrap_or_else(|| bucket * ((buckets + max_ticks - 1) / max_ticks).max(1))
}

fn tick_label(t: &DateTime<Tz>, bucket_seconds: i64, step: i64) -> String {
    let midnight = t.hour() == 0 && t.minute() == 0;
    if bucket_seconds >= DAY || step >= DAY || midnight {
        t.format("%-d %b").to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

/// Hover titles of buckets: the start in the zone, with the weekday and time for
/// sub-day buckets. The format is parsed once: a chart may have 10,000 buckets.
pub(super) struct BucketTitles {
    zone: Tz,
    items: Vec<Item<'static>>,
}

impl BucketTitles {
    pub fn new(zone: Tz, width: TimeDelta) -> Self {
        let format = if width.num_seconds() >= DAY {
            "%-d %b %Y"
        } else {
            "%a %-d %b %H:%M %Z"
        };
        Self {
            zone,
            items: StrftimeItems::new(format).collect(),
        }
    }

    pub fn title(&self, start: DateTime<Utc>) -> String {
        start
            .with_timezone(&self.zone)
            .format_with_items(self.items.iter())
            .to_string()
    }
}
