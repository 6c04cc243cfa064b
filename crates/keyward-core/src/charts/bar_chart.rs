//! Horizontal bars for a top N (keys or models by tokens or spend): labels on the left,
//! truncated to a third of the width, the value at each bar's end. A value above zero is
//! at least [`MIN_BAR_PX`] long, so a sub-cent spend next to a large one still shows as
//! a bar (its printed value says how small it is).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::value_axis;
use super::draw::{plot_area, Painted, TickedAxis};
use super::format::{format_tick, format_value, unit_caption};
use super::layout::{draw_err, fit, text_style, text_width, LABEL_PX, OUTER_MARGIN, SMALL_PX};
use super::theme::Colours;
use super::{BarChart, ChartError, HoverPoint, HoverValue};

type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickedAxis, TickedAxis>>;

const BAR_FILL: f64 = 0.64;
pub(super) const MIN_BAR_PX: f64 = 2.0;

pub(super) fn draw<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    chart: &BarChart,
    colours: &Colours,
) -> Result<Painted, ChartError> {
    let values: Vec<f64> = chart
        .bars
        .iter()
        .map(|b| if b.value.is_finite() { b.value } else { 0.0 })
        .collect();
    let labels = bar_labels(body, chart);
    let value_texts: Vec<String> = values
        .iter()
        .map(|v| format_value(&chart.unit, *v))
        .collect();
    let mut plot = build_plot(body, chart, &values, &labels, &value_texts, colours)?;
    let x_range = plot.x_range();
    let plot_px = plot.plotting_area().get_pixel_range().0;
    let per_px = (x_range.end - x_range.start) / f64::from((plot_px.end - plot_px.start).max(1));
    let values: Vec<f64> = values
        .iter()
        .map(|&v| {
            if v > 0.0 {
                v.max(MIN_BAR_PX * per_px)
            } else {
                v
            }
        })
        .collect();
    let n = values.len() as f64;
    let colour = colours.series(0);
    let row_top = |i: usize| n - i as f64;
    let gap = (1.0 - BAR_FILL) / 2.0;
    plot.draw_series(values.iter().enumerate().map(|(i, &v)| {
        Rectangle::new(
            [(0.0, row_top(i) - gap), (v, row_top(i) - 1.0 + gap)],
            colour.filled(),
        )
    }))
    .map_err(draw_err)?;
    let value_style = text_style(SMALL_PX, colours.text).pos(Pos::new(HPos::Left, VPos::Center));
    let mut hover = Vec::with_capacity(values.len());
    for (i, bar) in chart.bars.iter().enumerate() {
        let (x, y) = plot.backend_coord(&(values[i], row_top(i) - 0.5));
        plot.plotting_area()
            .strip_coord_spec()
            .draw_text(
                &value_texts[i],
                &value_style,
                (x - plot_origin(&plot).0 + 6, y - plot_origin(&plot).1),
            )
            .map_err(draw_err)?;
        hover.push(HoverPoint {
            x: x as f32,
            y: y as f32,
            title: bar.label.clone(),
            values: vec![HoverValue {
                series: bar.label.clone(),
                value: bar.value,
                text: value_texts[i].clone(),
            }],
            highlighted: false,
        });
    }
    Ok(Painted {
        plot: plot_area(plot.plotting_area()),
        hover,
    })
}

fn plot_origin<DB: DrawingBackend>(plot: &Plot<'_, DB>) -> (i32, i32) {
    let (x, y) = plot.plotting_area().get_pixel_range();
    (x.start, y.start)
}

/// Labels cut to at most a third of the chart's width.
fn bar_labels<DB: DrawingBackend>(body: &DrawingArea<DB, Shift>, chart: &BarChart) -> Vec<String> {
    let max_px = body.dim_in_pixel().0 / 3;
    chart
        .bars
        .iter()
        .map(|b| fit(&b.label, LABEL_PX, max_px))
        .collect()
}

fn build_plot<'a, DB: DrawingBackend>(
    body: &'a DrawingArea<DB, Shift>,
    chart: &BarChart,
    values: &[f64],
    labels: &[String],
    value_texts: &[String],
    colours: &Colours,
) -> Result<Plot<'a, DB>, ChartError> {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let axis = value_axis(&chart.unit, low, high);
    let label_area = labels
        .iter()
        .map(|l| text_width(l, LABEL_PX))
        .max()
        .unwrap_or(0) as i32
        + 12;
    // Room right of the plot for the value printed at the end of the longest bar.
    let value_room = value_texts
        .iter()
        .map(|t| text_width(t, SMALL_PX))
        .max()
        .unwrap_or(0) as i32
        + 10;
    let n = values.len();
    let rows: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    let mut plot = ChartBuilder::on(body)
        .margin_left(OUTER_MARGIN)
        .margin_right(OUTER_MARGIN.max(value_room))
        .margin_top(6)
        .margin_bottom(OUTER_MARGIN / 2)
        .x_label_area_size(44)
        .y_label_area_size(label_area)
        .build_cartesian_2d(
            TickedAxis {
                range: axis.min..axis.max,
                ticks: axis.ticks(),
            },
            TickedAxis {
                range: 0.0..n as f64,
                ticks: rows,
            },
        )
        .map_err(draw_err)?;
    let x_label = |x: &f64| format_tick(&chart.unit, *x, axis.step);
    let y_label = |y: &f64| {
        let index = n as f64 - y - 0.5;
        labels
            .get(index.round().max(0.0) as usize)
            .cloned()
            .unwrap_or_default()
    };
    plot.configure_mesh()
        .disable_y_mesh()
        .bold_line_style(colours.grid.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(colours.axis.stroke_width(1))
        .y_label_style(text_style(LABEL_PX, colours.text))
        .x_label_style(text_style(LABEL_PX, colours.muted))
        .axis_desc_style(text_style(LABEL_PX, colours.muted))
        .x_desc(unit_caption(&chart.unit))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .draw()
        .map_err(draw_err)?;
    Ok(plot)
}
