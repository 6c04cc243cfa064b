//! SVG rendering time for 10,000 points (issues #7, #9): target ≤ 20 ms in release.
//! Run: `cargo bench -p keyward-core --bench charts`; numbers go in docs/benchmarks.md.

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keyward_core::charts::{
    render_png, render_svg, Chart, Size, Theme, TimeChart, TimeChartKind, TimeSeries, Unit,
};

const SIZE: Size = Size {
    width: 960,
    height: 400,
};

fn chart(kind: TimeChartKind, series: usize, buckets: usize) -> Chart {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    Chart::Time(TimeChart {
        title: format!("{series} × {buckets}"),
        unit: Unit::Count {
            noun: "tokens".into(),
        },
        kind,
        buckets: (0..buckets)
            .map(|i| start + TimeDelta::minutes(i as i64))
            .collect(),
        time_zone: chrono_tz::UTC,
        series: (0..series)
            .map(|s| TimeSeries {
                name: format!("model-{s}"),
                values: (0..buckets)
                    .map(|i| Some(1000.0 + 500.0 * ((i as f64 / 37.0) + s as f64).sin()))
                    .collect(),
            })
            .collect(),
        highlights: vec![buckets / 2],
    })
}

fn svg(c: &mut Criterion) {
    let cases = [
        ("baseline: empty chart", chart(TimeChartKind::Lines, 0, 0)),
        ("lines 10 × 1,000", chart(TimeChartKind::Lines, 10, 1_000)),
        ("lines 1 × 10,000", chart(TimeChartKind::Lines, 1, 10_000)),
        (
            "stacked area 10 × 1,000",
            chart(TimeChartKind::StackedArea, 10, 1_000),
        ),
        (
            "stacked bars 10 × 1,000",
            chart(TimeChartKind::StackedBars, 10, 1_000),
        ),
        (
            "stacked bars 10 × 200",
            chart(TimeChartKind::StackedBars, 10, 200),
        ),
    ];
    let mut group = c.benchmark_group("render_svg");
    for (name, chart) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| render_svg(black_box(chart), Theme::Dark, SIZE).unwrap())
        });
    }
    group.finish();
    let mut group = c.benchmark_group("render_png");
    let dense = chart(TimeChartKind::Lines, 10, 1_000);
    group.bench_function("lines 10 × 1,000", |b| {
        b.iter(|| render_png(black_box(&dense), Theme::Dark, SIZE).unwrap())
    });
    group.finish();
}

criterion_group!(benches, svg);
criterion_main!(benches);
