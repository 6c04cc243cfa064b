use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::axis::{time_ticks, value_axis};
use super::format::format_tick;
use super::theme::{colours, contrast};
use super::*;

const SIZE: Size = Size {
    width: 720,
    height: 360,
};

fn buckets(start: DateTime<Utc>, step: TimeDelta, n: usize) -> Vec<DateTime<Utc>> {
    (0..n).map(|i| start + step * i as i32).collect()
}

fn nov12() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 12, 0, 0, 0).unwrap()
}

fn tokens() -> Unit {
    Unit::Count {
        noun: "tokens".into(),
    }
}

fn wave(n: usize, phase: f64, scale: f64) -> Vec<Option<f64>> {
    (0..n)
        .map(|i| Some(scale * (1.2 + ((i as f64 / 7.0) + phase).sin())))
        .collect()
}

fn time_chart(kind: TimeChartKind, series: Vec<TimeSeries>, n: usize) -> Chart {
    Chart::Time(TimeChart {
        title: "Tokens by model".into(),
        unit: tokens(),
        kind,
        buckets: buckets(nov12(), TimeDelta::hours(1), n),
        time_zone: chrono_tz::UTC,
        series,
        highlights: vec![],
    })
}

fn named(name: &str, values: Vec<Option<f64>>) -> TimeSeries {
    TimeSeries {
        name: name.into(),
        values,
    }
}

fn xml(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).expect("the SVG parses as XML")
}

fn texts(svg: &str) -> Vec<String> {
    xml(svg)
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

/// Every kind of chart the screens draw, for the preview and the both-themes checks.
fn gallery() -> Vec<(&'static str, Chart)> {
    let n = 48;
    let models = vec![
        named("llama-3.1-70b-instruct", wave(n, 0.0, 40_000.0)),
        named("qwen2.5-coder-32b", wave(n, 1.5, 25_000.0)),
        named("mistral-small", wave(n, 3.0, 12_000.0)),
    ];
    let mut spend = time_chart(TimeChartKind::StackedBars, models.clone(), 14);
    if let Chart::Time(t) = &mut spend {
        t.title = "Spend by key, last 14 days".into();
        t.unit = Unit::Currency { code: "USD".into() };
        t.buckets = buckets(nov12(), TimeDelta::days(1), 14);
        t.time_zone = chrono_tz::Europe::Berlin;
        for s in &mut t.series {
            s.values.truncate(14);
            s.values.iter_mut().for_each(|v| *v = v.map(|x| x / 1000.0));
        }
        t.highlights = vec![9];
    }
    let mut area = time_chart(TimeChartKind::StackedArea, models, n);
    if let Chart::Time(t) = &mut area {
        t.highlights = vec![20];
    }
    let gpus: Vec<TimeSeries> = (0..4)
        .map(|g| {
            let mut values = wave(120, f64::from(g), 12.0);
            values.iter_mut().for_each(|v| *v = v.map(|x| x + 50.0));
            if g == 2 {
                values[40..52].iter_mut().for_each(|v| *v = None);
            }
            named(&format!("GPU {g}"), values)
        })
        .collect();
    let mut lines = time_chart(TimeChartKind::Lines, gpus, 120);
    if let Chart::Time(t) = &mut lines {
        t.title = "GPU temperature".into();
        t.unit = Unit::Celsius;
        t.buckets = buckets(nov12() + TimeDelta::hours(14), TimeDelta::minutes(1), 120);
    }
    let bars = Chart::Bars(BarChart {
        title: "Top keys by spend".into(),
        unit: Unit::Currency { code: "USD".into() },
        bars: vec![
            Bar {
                label: "production-backend".into(),
                value: 1234.5,
            },
            Bar {
                label: "a very long key name that a finance person pasted from a spreadsheet cell"
                    .into(),
                value: 880.0,
            },
            Bar {
                label: "staging".into(),
                value: 412.25,
            },
            Bar {
                label: "ci".into(),
                value: 12.3,
            },
        ],
    });
    let empty = time_chart(TimeChartKind::StackedArea, vec![], 0);
    vec![
        ("stacked-bars", spend),
        ("stacked-area", area),
        ("lines", lines),
        ("bars", bars),
        ("empty", empty),
    ]
}

#[test]
fn every_kind_renders_in_both_themes_and_is_previewed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/charts-preview");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, chart) in gallery() {
        for theme in [Theme::Light, Theme::Dark] {
            let rendered = render_svg(&chart, theme, SIZE).unwrap();
            xml(&rendered.svg);
            let png = render_png(&chart, theme, SIZE).unwrap();
            let stem = format!("{name}-{theme:?}").to_lowercase();
            std::fs::write(dir.join(format!("{stem}.svg")), &rendered.svg).unwrap();
            std::fs::write(dir.join(format!("{stem}.png")), &png).unwrap();
        }
    }
}
