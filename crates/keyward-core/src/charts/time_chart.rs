//! Time charts: lines (latency, GPU metrics: one line per GPU) and stacked areas or bars
//! (tokens, requests, spend by model or key), with highlighted spike buckets.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;

use super::axis::{bucket_width, time_ticks, value_axis, BucketTitles, TimeTick, ValueAxis};
use super::draw::{plot_area, Painted, TickedAxis};
use super::format::{format_tick, format_value, unit_caption};
use super::layout::{draw_err, text_style, text_width, LABEL_PX, OUTER_MARGIN};
use super::theme::Colours;
use super::{ChartError, HoverPoint, HoverValue, TimeChart, TimeChartKind};

type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickedAxis, TickedAxis>>;

/// Time tick labels need this much room each, so "12 Nov" never touches "13 Nov".
const TICK_SPACING_PX: f64 = 80.0;
const X_LABEL_AREA_PX: i32 = 28;

pub(super) fn legend(chart: &TimeChart, colours: &Colours) -> Vec<(String, RGBColor)> {
    chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), colours.series(i)))
        .collect()
}

/// A value that can be drawn: NaN and infinities are gaps, like `None`.
fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

pub(super) fn has_data(chart: &TimeChart) -> bool {
    chart
        .series
        .iter()
        .any(|s| s.values.iter().any(|v| finite(*v).is_some()))
}

fn is_stacked(chart: &TimeChart) -> bool {
    chart.kind != TimeChartKind::Lines
}

/// Cumulative tops: `layers[k][i]` is the sum of series 0..=k in bucket i (gaps add 0).
fn stack(chart: &TimeChart) -> Vec<Vec<f64>> {
    let mut running = vec![0.0; chart.buckets.len()];
    chart
        .series
        .iter()
        .map(|s| {
            for (total, v) in running.iter_mut().zip(&s.values) {
                *total += finite(*v).unwrap_or(0.0);
            }
            running.clone()
        })
        .collect()
}

fn data_range(chart: &TimeChart, layers: &[Vec<f64>]) -> (f64, f64) {
    let values: Box<dyn Iterator<Item = f64>> = if is_stacked(chart) {
        Box::new(layers.iter().flatten().copied())
    } else {
        Box::new(
            chart
                .series
                .iter()
                .flat_map(|s| s.values.iter().filter_map(|v| finite(*v))),
        )
    };
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

pub(super) fn draw<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    chart: &TimeChart,
    colours: &Colours,
) -> Result<Painted, ChartError> {
    let layers = if is_stacked(chart) {
        stack(chart)
    } else {
        Vec::new()
    };
    let (low, high) = data_range(chart, &layers);
    let axis = value_axis(&chart.unit, low, high);
    let mut plot = build_plot(body, chart, &axis, colours)?;
    draw_highlights(&plot, chart, colours)?;
    let columns = plot.plotting_area().dim_in_pixel().0.max(1) as usize;
    match chart.kind {
        TimeChartKind::Lines => draw_lines(&mut plot, chart, columns, colours)?,
        // Bars thinner than a pixel are an area; one rect per bucket would only cost time.
        TimeChartKind::StackedBars if chart.buckets.len() * 2 <= columns => {
            draw_stacked_bars(&mut plot, chart, &layers, colours)?
        }
        _ => draw_stacked_areas(&mut plot, chart, &layers, columns, colours)?,
    }
    Ok(Painted {
        plot: plot_area(plot.plotting_area()),
        hover: hover_points(&plot, chart, &axis),
    })
}

/// Axes, grid and tick labels: time along x in the chart's zone, the unit along y.
fn build_plot<'a, DB: DrawingBackend>(
    body: &'a DrawingArea<DB, Shift>,
    chart: &TimeChart,
    axis: &ValueAxis,
    colours: &Colours,
) -> Result<Plot<'a, DB>, ChartError> {
    let y_ticks = axis.ticks();
    let widest_y_label = y_ticks
        .iter()
        .map(|t| text_width(&format_tick(&chart.unit, *t, axis.step), LABEL_PX))
        .max()
        .unwrap_or(0) as i32;
    let y_area = widest_y_label + 12 + LABEL_PX as i32 + 8;
    let plot_width = body.dim_in_pixel().0 as i32 - y_area - 2 * OUTER_MARGIN;
    let ticks = time_ticks(
        &chart.buckets,
        chart.time_zone,
        f64::from(plot_width.max(1)),
        TICK_SPACING_PX,
    );
    let x_keys: Vec<f64> = ticks.iter().map(|t| t.index as f64).collect();
    let n = chart.buckets.len() as f64;
    let mut plot = ChartBuilder::on(body)
        .margin_left(OUTER_MARGIN)
        .margin_right(OUTER_MARGIN + 4)
        .margin_top(6)
        .margin_bottom(OUTER_MARGIN / 2)
        .x_label_area_size(X_LABEL_AREA_PX)
        .y_label_area_size(y_area)
        .build_cartesian_2d(
            TickedAxis {
                range: 0.0..n,
                ticks: x_keys,
            },
            TickedAxis {
                range: axis.min..axis.max,
                ticks: y_ticks,
            },
        )
        .map_err(draw_err)?;
    let x_label = |x: &f64| tick_label_at(&ticks, *x);
    let y_label = |y: &f64| format_tick(&chart.unit, *y, axis.step);
    plot.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(colours.grid.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(colours.axis.stroke_width(1))
        .label_style(text_style(LABEL_PX, colours.muted))
        .axis_desc_style(text_style(LABEL_PX, colours.muted))
        .y_desc(unit_caption(&chart.unit))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .draw()
        .map_err(draw_err)?;
    Ok(plot)
}

fn tick_label_at(ticks: &[TimeTick], x: f64) -> String {
    ticks
        .iter()
        .find(|t| (t.index as f64 - x).abs() < 0.5)
        .map(|t| t.label.clone())
        .unwrap_or_default()
}

/// A translucent band over each highlighted bucket (at least 3 px wide, so a spike in a
/// dense chart still shows) and a marker above it.
fn draw_highlights<DB: DrawingBackend>(
    plot: &Plot<'_, DB>,
    chart: &TimeChart,
    colours: &Colours,
) -> Result<(), ChartError> {
    let area = plot.plotting_area();
    let (width, height) = area.dim_in_pixel();
    let pixels = area.strip_coord_spec();
    let n = chart.buckets.len() as f64;
    let column = |i: f64| (i / n * f64::from(width)).round() as i32;
    for &i in chart
        .highlights
        .iter()
        .filter(|&&i| i < chart.buckets.len())
    {
        let (mut x0, mut x1) = (column(i as f64), column(i as f64 + 1.0));
        if x1 - x0 < 3 {
            let centre = (x0 + x1) / 2;
            (x0, x1) = (centre - 1, centre + 2);
        }
        pixels
            .draw(&Rectangle::new(
                [(x0, 0), (x1, height as i32)],
                colours.highlight.mix(0.22).filled(),
            ))
            .map_err(draw_err)?;
        let centre = (x0 + x1) / 2;
        pixels
            .draw(&Polygon::new(
                vec![(centre - 5, 0), (centre + 5, 0), (centre, 7)],
                colours.highlight.filled(),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}

fn draw_lines<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    chart: &TimeChart,
    columns: usize,
    colours: &Colours,
) -> Result<(), ChartError> {
    for (k, series) in chart.series.iter().enumerate() {
        let colour = colours.series(k);
        for run in line_runs(&series.values, columns) {
            if let [point] = run[..] {
                plot.draw_series(std::iter::once(Circle::new(point, 2, colour.filled())))
                    .map_err(draw_err)?;
            } else {
                plot.draw_series(std::iter::once(PathElement::new(
                    run,
                    colour.stroke_width(2),
                )))
                .map_err(draw_err)?;
            }
        }
    }
    Ok(())
}

/// A series as unbroken runs (gaps split them), each cut to at most four points per
/// pixel column: first, lowest, highest, last — so a one-bucket spike still shows.
fn line_runs(values: &[Option<f64>], columns: usize) -> Vec<Vec<(f64, f64)>> {
    let n = values.len();
    let mut runs = Vec::new();
    let mut run: Vec<(usize, f64)> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match finite(*v) {
            Some(v) => run.push((i, v)),
            None if !run.is_empty() => runs.push(decimate(&std::mem::take(&mut run), n, columns)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(decimate(&run, n, columns));
    }
    runs
}

fn decimate(run: &[(usize, f64)], n: usize, columns: usize) -> Vec<(f64, f64)> {
    let centre = |(i, v): (usize, f64)| (i as f64 + 0.5, v);
    if n <= columns {
        return run.iter().copied().map(centre).collect();
    }
    let mut out = Vec::with_capacity(columns * 4);
    for group in run.chunk_by(|a, b| a.0 * columns / n == b.0 * columns / n) {
        let by_value = |a: &&(usize, f64), b: &&(usize, f64)| a.1.total_cmp(&b.1);
        let lowest = group.iter().min_by(by_value).expect("groups are non-empty");
        let highest = group.iter().max_by(by_value).expect("groups are non-empty");
        let mut picks = [group[0], *lowest, *highest, group[group.len() - 1]];
        picks.sort_by_key(|p| p.0);
        let mut last_index = None;
        for pick in picks {
            if last_index != Some(pick.0) {
                out.push(centre(pick));
                last_index = Some(pick.0);
            }
        }
    }
    out
}

fn draw_stacked_bars<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    chart: &TimeChart,
    layers: &[Vec<f64>],
    colours: &Colours,
) -> Result<(), ChartError> {
    let bar_px = plot.plotting_area().dim_in_pixel().0 as f64 / chart.buckets.len() as f64;
    let pad = if bar_px >= 4.0 { 0.15 } else { 0.0 };
    for (k, top) in layers.iter().enumerate() {
        let colour = colours.series(k);
        let rects = top.iter().enumerate().filter_map(|(i, &t)| {
            let bottom = if k == 0 { 0.0 } else { layers[k - 1][i] };
            (t > bottom).then(|| {
                let x = i as f64;
                Rectangle::new([(x + pad, bottom), (x + 1.0 - pad, t)], colour.filled())
            })
        });
        plot.draw_series(rects).map_err(draw_err)?;
    }
    Ok(())
}

fn draw_stacked_areas<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    chart: &TimeChart,
    layers: &[Vec<f64>],
    columns: usize,
    colours: &Colours,
) -> Result<(), ChartError> {
    let (xs, layers) = decimate_layers(chart.buckets.len(), layers, columns);
    let zero = vec![0.0; xs.len()];
    for (k, top) in layers.iter().enumerate() {
        let bottom = if k == 0 { &zero } else { &layers[k - 1] };
        let colour = colours.series(k);
        let outline: Vec<(f64, f64)> = xs.iter().copied().zip(top.iter().copied()).collect();
        let mut shape = outline.clone();
        shape.extend(xs.iter().copied().zip(bottom.iter().copied()).rev());
        plot.draw_series(std::iter::once(Polygon::new(
            shape,
            colour.mix(0.55).filled(),
        )))
        .map_err(draw_err)?;
        plot.draw_series(std::iter::once(PathElement::new(
            outline,
            colour.stroke_width(2),
        )))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// The stack's x positions (bucket centres) and layer tops, at most one per pixel column
/// (each column keeps its highest top, the same buckets for every layer so they nest).
/// A lone bucket spans its whole width, so it still has an area.
fn decimate_layers(n: usize, layers: &[Vec<f64>], columns: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    if n == 1 {
        let widen = |l: &Vec<f64>| vec![l[0], l[0]];
        return (vec![0.0, 1.0], layers.iter().map(widen).collect());
    }
    if n <= columns {
        let xs = (0..n).map(|i| i as f64 + 0.5).collect();
        return (xs, layers.to_vec());
    }
    let groups: Vec<std::ops::Range<usize>> = (0..n)
        .collect::<Vec<_>>()
        .chunk_by(|a, b| a * columns / n == b * columns / n)
        .map(|g| g[0]..g[g.len() - 1] + 1)
        .collect();
    let xs = groups
        .iter()
        .map(|g| (g.start + g.end) as f64 / 2.0)
        .collect();
    let peak = |layer: &Vec<f64>| -> Vec<f64> {
        groups
            .iter()
            .map(|g| layer[g.clone()].iter().copied().fold(f64::MIN, f64::max))
            .collect()
    };
    (xs, layers.iter().map(peak).collect())
}

/// One hover point per bucket, at the bucket centre and the top of what is drawn there.
fn hover_points<DB: DrawingBackend>(
    plot: &Plot<'_, DB>,
    chart: &TimeChart,
    axis: &ValueAxis,
) -> Vec<HoverPoint> {
    let titles = BucketTitles::new(chart.time_zone, bucket_width(&chart.buckets));
    let stacked = is_stacked(chart);
    let n = chart.buckets.len();
    let mut highlighted = vec![false; n];
    for &i in chart.highlights.iter().filter(|&&i| i < n) {
        highlighted[i] = true;
    }
    (0..chart.buckets.len())
        .map(|i| {
            let mut values: Vec<HoverValue> = chart
                .series
                .iter()
                .filter_map(|s| {
                    finite(s.values[i]).map(|v| HoverValue {
                        series: s.name.clone(),
                        value: v,
                        text: format_value(&chart.unit, v),
                    })
                })
                .collect();
            let top = if values.is_empty() {
                axis.min
            } else if stacked {
                values.iter().map(|v| v.value).sum()
            } else {
                values.iter().map(|v| v.value).fold(f64::MIN, f64::max)
            };
            if stacked && !values.is_empty() {
                values.push(HoverValue {
                    series: "Total".into(),
                    value: top,
                    text: format_value(&chart.unit, top),
                });
            }
            let (x, y) = plot.backend_coord(&(i as f64 + 0.5, top.clamp(axis.min, axis.max)));
            HoverPoint {
                x: x as f32,
                y: y as f32,
                title: titles.title(chart.buckets[i]),
                values,
                highlighted: highlighted[i],
            }
        })
        .collect()
}
