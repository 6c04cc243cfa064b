use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::axis::{time_ticks, value_axis};
use super::format::format_tick;
use super::theme::{colours, contrast};
use super::*;
use super::{bar_chart, draw, time_chart};

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

/// Elements painted in `colour` (fill or stroke), by tag.
fn painted(svg: &str, colour: plotters::style::RGBColor) -> Vec<String> {
    let hex = format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2);
    xml(svg)
        .descendants()
        .filter(|n| {
            ["fill", "stroke"].iter().any(|a| {
                n.attribute(*a)
                    .is_some_and(|v| v.eq_ignore_ascii_case(&hex))
            })
        })
        .map(|n| n.tag_name().name().to_string())
        .collect()
}

/// The value axis a chart's data gets, as its tick labels.
fn expected_ticks(chart: &Chart) -> Vec<String> {
    let (unit, values): (&Unit, Vec<f64>) = match chart {
        Chart::Time(t) if t.kind == TimeChartKind::Lines => (
            &t.unit,
            t.series
                .iter()
                .flat_map(|s| s.values.iter().flatten().copied())
                .collect(),
        ),
        Chart::Time(t) => (
            &t.unit,
            (0..t.buckets.len())
                .map(|i| t.series.iter().filter_map(|s| s.values[i]).sum())
                .collect(),
        ),
        Chart::Bars(b) => (&b.unit, b.bars.iter().map(|b| b.value).collect()),
    };
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let axis = value_axis(unit, low, high);
    axis.ticks()
        .iter()
        .map(|t| format_tick(unit, *t, axis.step))
        .collect()
}

/// Renders every kind of chart in both themes and checks what each must show: its
/// title, its value axis (every tick, none alike), its series (the legend names and
/// shapes in each series' colour), its bars (label, value and one bar each) or the empty
/// message. The SVG and PNG are written to target/charts-preview for a person to look at.
#[test]
fn every_kind_renders_in_both_themes_with_its_title_ticks_and_series() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/charts-preview");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, chart) in gallery() {
        for theme in [Theme::Light, Theme::Dark] {
            let c = colours(theme);
            let rendered = render_svg(&chart, theme, SIZE).unwrap();
            let svg = &rendered.svg;
            let shown = texts(svg);
            let (title, has_data) = match &chart {
                Chart::Time(t) => (&t.title, time_chart::has_data(t)),
                Chart::Bars(b) => (&b.title, !b.bars.is_empty()),
            };
            assert!(shown.contains(title), "{name}: title in {shown:?}");
            if !has_data {
                assert!(shown.iter().any(|t| t == draw::EMPTY_MESSAGE), "{name}");
                assert!(rendered.hover.is_empty(), "{name}");
            } else {
                let ticks = expected_ticks(&chart);
                assert!(ticks.len() >= 3, "{name}: {ticks:?}");
                for tick in &ticks {
                    assert!(shown.contains(tick), "{name}: tick {tick} in {shown:?}");
                }
                let mut distinct = ticks.clone();
                distinct.dedup();
                assert_eq!(distinct, ticks, "{name}: ticks read alike");
            }
            match &chart {
                Chart::Time(t) if has_data => {
                    assert_eq!(rendered.hover.len(), t.buckets.len(), "{name}");
                    let shape = match t.kind {
                        TimeChartKind::Lines => "polyline",
                        TimeChartKind::StackedArea => "polygon",
                        TimeChartKind::StackedBars => "rect",
                    };
                    for (k, series) in t.series.iter().enumerate() {
                        if t.series.len() > 1 {
                            assert!(
                                shown.contains(&series.name),
                                "{name}: legend {}",
                                series.name
                            );
                        }
                        let drawn = painted(svg, c.series(k));
                        let shapes = drawn.iter().filter(|tag| *tag == shape).count();
                        let expected = match t.kind {
                            // One bar per bucket with a value, plus the legend swatch.
                            TimeChartKind::StackedBars => {
                                series.values.iter().flatten().filter(|v| **v > 0.0).count()
                                    + usize::from(t.series.len() > 1)
                            }
                            _ => 1,
                        };
                        assert!(
                            shapes >= expected,
                            "{name}: {} drawn as {shapes} {shape}, expected {expected}",
                            series.name
                        );
                    }
                }
                Chart::Bars(b) => {
                    let bars = painted(svg, c.series(0))
                        .iter()
                        .filter(|tag| *tag == "rect")
                        .count();
                    assert_eq!(bars, b.bars.len(), "{name}: one bar each");
                    for bar in &b.bars {
                        let value = format_value(&b.unit, bar.value);
                        assert!(shown.contains(&value), "{name}: {value} in {shown:?}");
                        assert!(
                            shown.iter().any(|t| t == &bar.label
                                || (t.ends_with('…')
                                    && bar.label.starts_with(t.trim_end_matches('…')))),
                            "{name}: {} in {shown:?}",
                            bar.label
                        );
                    }
                }
                _ => {}
            }
            let png = render_png(&chart, theme, SIZE).unwrap();
            let stem = format!("{name}-{theme:?}").to_lowercase();
            std::fs::write(dir.join(format!("{stem}.svg")), svg).unwrap();
            std::fs::write(dir.join(format!("{stem}.png")), &png).unwrap();
        }
    }
}

/// Issue #15: a spend of 0.007623 read "$0.01, $0.01, $0.00" on the axis and "0.00" in
/// text. Every tick of every unit's axis is distinct, down to sub-cent ranges.
#[test]
fn axis_ticks_are_distinct_for_tiny_and_odd_ranges() {
    let units = [
        Unit::Currency { code: "USD".into() },
        Unit::Currency { code: "EUR".into() },
        tokens(),
        Unit::Percent,
        Unit::Celsius,
        Unit::Watts,
        Unit::Seconds,
        Unit::Bytes,
    ];
    let highs = [
        0.000_004, 0.000_37, 0.0019, 0.007_623, 0.012, 0.033, 0.07, 0.26, 0.9, 1.3, 2.7, 7.5, 13.0,
        47.0, 123.0, 980.0, 1_250.0, 7_777.0, 43_210.0, 2.6e6, 8.8e9,
    ];
    for unit in &units {
        for &high in &highs {
            for low in [0.0, high * 0.5] {
                let axis = value_axis(unit, low, high);
                let labels: Vec<String> = axis
                    .ticks()
                    .iter()
                    .map(|t| format_tick(unit, *t, axis.step))
                    .collect();
                let mut distinct = labels.clone();
                distinct.sort();
                distinct.dedup();
                assert_eq!(
                    distinct.len(),
                    labels.len(),
                    "{unit:?} {low}..{high}: {labels:?}"
                );
            }
        }
    }
    let usd = Unit::Currency { code: "USD".into() };
    let axis = value_axis(&usd, 0.0, 0.007_623);
    let labels: Vec<String> = axis
        .ticks()
        .iter()
        .map(|t| format_tick(&usd, *t, axis.step))
        .collect();
    assert_eq!(labels, ["$0", "$0.002", "$0.004", "$0.006", "$0.008"]);
}

#[test]
fn money_reads_with_the_digits_its_magnitude_needs() {
    for (value, text) in [
        (0.007_623, "0.0076"),
        (0.05, "0.05"),
        (0.5, "0.50"),
        (0.000_001, "0.000001"),
        (0.0, "0.00"),
        (1.0, "1.00"),
        (12.345, "12.35"),
        (1_234_567.891, "1,234,567.89"),
        (-0.0042, "-0.0042"),
    ] {
        assert_eq!(money_amount(value), text, "{value}");
    }
    let usd = Unit::Currency { code: "USD".into() };
    assert_eq!(format_value(&usd, 0.007_623), "$0.0076");
    assert_eq!(format_value(&usd, -0.0042), "-$0.0042");
    assert_eq!(
        format_value(&Unit::Currency { code: "EUR".into() }, 0.0042),
        "0.0042 EUR"
    );
}

/// A sub-cent spend next to a large one is still a bar, at least MIN_BAR_PX long.
#[test]
fn a_tiny_bar_beside_a_large_one_is_still_drawn() {
    let chart = Chart::Bars(BarChart {
        title: "Top keys by spend (USD)".into(),
        unit: Unit::Currency { code: "USD".into() },
        bars: vec![
            Bar {
                label: "big".into(),
                value: 250.0,
            },
            Bar {
                label: "tiny".into(),
                value: 0.007_623,
            },
        ],
    });
    let c = colours(Theme::Light);
    let svg = render_svg(&chart, Theme::Light, SIZE).unwrap().svg;
    let hex = format!(
        "#{:02X}{:02X}{:02X}",
        c.series(0).0,
        c.series(0).1,
        c.series(0).2
    );
    let doc = xml(&svg);
    let widths: Vec<f64> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("rect")
                && n.attribute("fill")
                    .is_some_and(|f| f.eq_ignore_ascii_case(&hex))
        })
        .map(|n| n.attribute("width").unwrap().parse().unwrap())
        .collect();
    assert_eq!(widths.len(), 2, "{svg}");
    assert!(widths[1] >= bar_chart::MIN_BAR_PX, "{widths:?}");
    assert!(texts(&svg).iter().any(|t| t == "$0.0076"));
}

#[test]
fn user_labels_are_escaped_and_never_become_elements() {
    let evil = "<script>alert(1)</script>";
    let amp = "a & \"b\"";
    let series = vec![
        named(evil, wave(24, 0.0, 10.0)),
        named(amp, wave(24, 1.0, 10.0)),
    ];
    let bars = Chart::Bars(BarChart {
        title: evil.into(),
        unit: tokens(),
        bars: vec![
            Bar {
                label: evil.into(),
                value: 3.0,
            },
            Bar {
                label: amp.into(),
                value: 2.0,
            },
        ],
    });
    for chart in [time_chart(TimeChartKind::Lines, series, 24), bars] {
        let svg = render_svg(&chart, Theme::Light, SIZE).unwrap().svg;
        let doc = xml(&svg);
        assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
        assert!(!svg.contains("<script"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("a &amp; &quot;b&quot;"));
        let shown = texts(&svg);
        assert!(shown.iter().any(|t| t == evil), "{shown:?}");
        assert!(shown.iter().any(|t| t == amp), "{shown:?}");
    }
}

#[test]
fn long_labels_are_cut_with_an_ellipsis_but_hover_keeps_them_whole() {
    let long = "team-finance-".repeat(12);
    let chart = Chart::Bars(BarChart {
        title: "Top keys".into(),
        unit: tokens(),
        bars: vec![Bar {
            label: long.clone(),
            value: 5.0,
        }],
    });
    let rendered = render_svg(&chart, Theme::Dark, SIZE).unwrap();
    let shown = texts(&rendered.svg);
    assert!(!shown.contains(&long));
    assert!(
        shown
            .iter()
            .any(|t| t.ends_with('…') && long.starts_with(t.trim_end_matches('…'))),
        "{shown:?}"
    );
    assert_eq!(rendered.hover[0].title, long);

    let series = vec![
        named(&long, wave(4, 0.0, 1.0)),
        named("b", wave(4, 0.0, 1.0)),
    ];
    let rendered = render_svg(
        &time_chart(TimeChartKind::Lines, series, 4),
        Theme::Light,
        SIZE,
    )
    .unwrap();
    assert!(!texts(&rendered.svg).contains(&long));
    assert_eq!(rendered.hover[0].values[0].series, long);
}

#[test]
fn png_export_has_the_requested_size_and_real_content() {
    for (name, chart) in gallery() {
        let size = Size {
            width: 640,
            height: 300,
        };
        let png = render_png(&chart, Theme::Dark, size).unwrap();
        let image = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert_eq!(image.dimensions(), (640, 300), "{name}");
        let first = *image.get_pixel(0, 0);
        assert!(image.pixels().any(|p| *p != first), "{name} is one colour");
    }
}

#[test]
fn a_series_of_the_wrong_length_is_an_error_naming_it() {
    let chart = time_chart(
        TimeChartKind::Lines,
        vec![named("gpu-7", vec![Some(1.0); 3])],
        4,
    );
    let error = render_svg(&chart, Theme::Light, SIZE).unwrap_err();
    assert!(
        matches!(&error, ChartError::SeriesLength { series, values: 3, buckets: 4 } if series == "gpu-7")
    );
    assert!(error.to_string().contains("gpu-7"));
}

#[test]
fn empty_charts_render_a_frame_with_the_message() {
    let all_gaps = time_chart(TimeChartKind::Lines, vec![named("a", vec![None; 6])], 6);
    let no_bars = Chart::Bars(BarChart {
        title: "Top models".into(),
        unit: tokens(),
        bars: vec![],
    });
    let no_buckets = time_chart(TimeChartKind::StackedBars, vec![], 0);
    for chart in [all_gaps, no_bars, no_buckets] {
        let rendered = render_svg(&chart, Theme::Dark, SIZE).unwrap();
        let shown = texts(&rendered.svg);
        assert!(
            shown.iter().any(|t| t == "No data for this period"),
            "{shown:?}"
        );
        assert!(
            rendered.plot.right > rendered.plot.left && rendered.plot.bottom > rendered.plot.top
        );
        assert!(rendered.svg.contains("<rect"));
    }
}

#[test]
fn stacked_hover_lists_each_series_in_order_and_the_total() {
    let series = vec![
        named("m1", vec![Some(1000.0), Some(2.0)]),
        named("m2", vec![Some(500.0), None]),
    ];
    let mut chart = time_chart(TimeChartKind::StackedBars, series, 2);
    if let Chart::Time(t) = &mut chart {
        t.highlights = vec![1];
    }
    let rendered = render_svg(&chart, Theme::Light, SIZE).unwrap();
    let first = &rendered.hover[0];
    let names: Vec<_> = first.values.iter().map(|v| v.series.as_str()).collect();
    assert_eq!(names, ["m1", "m2", "Total"]);
    assert_eq!(first.values[2].value, 1500.0);
    assert_eq!(first.values[2].text, "1.5k tokens");
    assert_eq!(first.title, "Thu 12 Nov 00:00 UTC");
    assert!(!first.highlighted && rendered.hover[1].highlighted);
    // The second bucket has no m2 data: it is left out, not shown as 0.
    assert_eq!(rendered.hover[1].values.len(), 2);
    // Hover points sit inside the plot, the taller stack higher up (smaller y).
    let plot = rendered.plot;
    for p in &rendered.hover {
        assert!(p.x > plot.left && p.x < plot.right && p.y >= plot.top && p.y <= plot.bottom);
    }
    assert!(rendered.hover[0].y < rendered.hover[1].y);
    assert!(rendered.hover[0].x < rendered.hover[1].x);
}

#[test]
fn time_labels_follow_the_span_and_the_zone() {
    let labels = |start, step, n, zone| -> Vec<String> {
        time_ticks(&buckets(start, step, n), zone, 640.0, 80.0)
            .into_iter()
            .map(|t| t.label)
            .collect()
    };
    let at_14 = nov12() + TimeDelta::hours(14);
    let minutes = labels(at_14, TimeDelta::minutes(1), 60, chrono_tz::UTC);
    assert_eq!(minutes[..3], ["14:00", "14:10", "14:20"]);
    let hours = labels(nov12(), TimeDelta::hours(1), 48, chrono_tz::UTC);
    assert_eq!(hours[..3], ["12 Nov", "06:00", "12:00"]);
    assert!(hours.contains(&"13 Nov".to_string()));
    let days = labels(nov12(), TimeDelta::days(1), 7, chrono_tz::UTC);
    assert_eq!(days[..2], ["12 Nov", "13 Nov"]);
    // The same instants in Berlin (UTC+1 in November) read an hour later.
    let berlin = labels(at_14, TimeDelta::minutes(1), 60, chrono_tz::Europe::Berlin);
    assert_eq!(berlin[0], "15:00");
}

#[test]
fn value_axes_start_at_zero_and_read_in_the_unit() {
    let axis = value_axis(&tokens(), 1200.0, 3_400_000.0);
    assert_eq!(axis.min, 0.0);
    assert!(axis.max >= 3_400_000.0);
    let money = value_axis(&Unit::Currency { code: "USD".into() }, 3.0, 12.3);
    assert_eq!(money.min, 0.0);
    let ticks: Vec<String> = money
        .ticks()
        .iter()
        .map(|t| format_tick(&Unit::Currency { code: "USD".into() }, *t, money.step))
        .collect();
    assert_eq!(ticks.first().unwrap(), "$0");
    assert_eq!(value_axis(&Unit::Percent, 10.0, 40.0).max, 100.0);
    assert_eq!(format_value(&tokens(), 1234.0), "1.2k tokens");
    assert_eq!(format_value(&tokens(), 3_400_000.0), "3.4M tokens");
    assert_eq!(
        format_value(&Unit::Currency { code: "USD".into() }, 12.3),
        "$12.30"
    );
    assert_eq!(
        format_value(&Unit::Currency { code: "EUR".into() }, 12.3),
        "12.30 EUR"
    );
    assert_eq!(format_value(&Unit::Percent, 97.0), "97 %");
    assert_eq!(format_value(&Unit::Seconds, 0.85), "850 ms");
    assert_eq!(format_value(&Unit::Seconds, 1.2), "1.2 s");
    assert_eq!(format_value(&Unit::Celsius, 71.0), "71 °C");
    assert_eq!(format_value(&Unit::Watts, 250.0), "250 W");
    assert_eq!(
        format_value(&Unit::Bytes, 38.2 * 1024f64.powi(3)),
        "38.2 GiB"
    );
    // The rendered axis shows the unit: its caption and formatted ticks.
    let shown = texts(&render_svg(&gallery()[0].1, Theme::Light, SIZE).unwrap().svg);
    for expected in ["USD", "$0", "$50", "Spend by key, last 14 days"] {
        assert!(
            shown.iter().any(|t| t == expected),
            "{expected} in {shown:?}"
        );
    }
}

#[test]
fn both_themes_are_readable() {
    for theme in [Theme::Light, Theme::Dark] {
        let c = colours(theme);
        assert!(contrast(c.text, c.background) >= 7.0, "{theme:?} text");
        assert!(
            contrast(c.muted, c.background) >= 4.5,
            "{theme:?} muted text"
        );
        for (i, colour) in c.palette.iter().enumerate() {
            assert!(
                contrast(*colour, c.background) >= 3.0,
                "{theme:?} series {i}"
            );
        }
        let svg = render_svg(&gallery()[1].1, theme, SIZE).unwrap().svg;
        let background = format!(
            "#{:02X}{:02X}{:02X}",
            c.background.0, c.background.1, c.background.2
        );
        assert!(
            svg.to_uppercase()
                .contains(&format!("FILL=\"{background}\"")),
            "{theme:?} background"
        );
        // A legend for more than one series: each name is drawn as text.
        let shown = texts(&svg);
        for name in [
            "llama-3.1-70b-instruct",
            "qwen2.5-coder-32b",
            "mistral-small",
        ] {
            assert!(shown.iter().any(|t| t == name), "{name}");
        }
    }
    assert_ne!(
        colours(Theme::Light).background,
        colours(Theme::Dark).background
    );
}

#[test]
fn dense_lines_are_decimated_but_hover_is_not() {
    let n = 10_000;
    let mut values = wave(n, 0.0, 10.0);
    values[5_000] = Some(1_000.0);
    let mut chart = time_chart(TimeChartKind::Lines, vec![named("p95", values)], n);
    if let Chart::Time(t) = &mut chart {
        t.buckets = buckets(nov12(), TimeDelta::minutes(1), n);
        t.unit = Unit::Seconds;
    }
    let rendered = render_svg(&chart, Theme::Light, SIZE).unwrap();
    assert_eq!(rendered.hover.len(), n);
    let points: usize = xml(&rendered.svg)
        .descendants()
        .filter(|e| e.has_tag_name("polyline"))
        .map(|e| {
            e.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .sum();
    assert!(points <= 4 * SIZE.width as usize, "{points} points drawn");
    // The one-bucket spike survives decimation: the axis reaches it.
    assert!(texts(&rendered.svg).iter().any(|t| t == "1000 s"));
}
