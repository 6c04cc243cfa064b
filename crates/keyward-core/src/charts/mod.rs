//! Charts for the Usage & Spend and Workload health screens, drawn in Rust by plotters.
//!
//! Why it is shaped so:
//! - **The UI shows the SVG through `<img src="data:image/svg+xml;…">`.** Key and model
//!   names come from users; in an `<img>` no script in an SVG can ever run, and every
//!   label is XML-escaped as well (plotters' SVG backend escapes text; a test keeps it
//!   so), so a key named `<script>…` is only ever text.
//! - **Hover is data, not SVG interactivity.** An `<img>` cannot be scripted, so every
//!   render also returns the plot area and one [`HoverPoint`] per bucket or bar in the
//!   SVG's pixel space; the UI draws its own tooltip from them, with values already
//!   formatted in the chart's [`Unit`].
//! - **Lines and areas are decimated to the pixel columns of the plot.** A 30-day chart
//!   of one-minute buckets has more points than the plot has pixels; drawing them all
//!   costs time and file size and shows nothing more. Each column keeps the first, the
//!   lowest, the highest and the last value (so spikes survive), and each series is one
//!   path per unbroken run rather than one element per segment. Hover data is never
//!   decimated.
//! - **Text is measured with a bundled font** (DejaVu Sans, `DejaVuSans-LICENSE.txt`)
//!   through plotters' `ab_glyph` backend, so PNG export and label truncation need no
//!   system font library.

mod axis;
mod bar_chart;
mod draw;
mod format;
mod layout;
mod theme;
mod time_chart;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use format::{format_value, money_amount, unit_caption};

/// Light or dark, matching the UI's theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
}

/// Pixel size of the rendered chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// What the values measure; drives axis ticks, the axis caption and hover text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Unit {
    /// Tokens, requests, errors: "1.2k tokens".
    Count { noun: String },
    /// Money in an ISO 4217 code: "$12.30", "12.30 EUR".
    Currency { code: String },
    /// 0–100: "97 %".
    Percent,
    /// "850 ms", "1.2 s".
    Seconds,
    /// "71 °C".
    Celsius,
    /// "250 W".
    Watts,
    /// Binary multiples: "38.2 GiB".
    Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum TimeChartKind {
    Lines,
    StackedArea,
    StackedBars,
}

/// One series: one value per bucket; `None` is a gap (no data), not zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TimeSeries {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TimeChart {
    pub title: String,
    pub unit: Unit,
    pub kind: TimeChartKind,
    /// Bucket starts, ascending, of equal width.
    pub buckets: Vec<DateTime<Utc>>,
    /// Axis and hover labels are in this zone (an IANA name on the wire).
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub time_zone: chrono_tz::Tz,
    pub series: Vec<TimeSeries>,
    /// Bucket indices to highlight (spikes): a band in the drawing, a flag in hover.
    pub highlights: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// Horizontal bars, top to bottom in the given order (a top N).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BarChart {
    pub title: String,
    pub unit: Unit,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Chart {
    Time(TimeChart),
    Bars(BarChart),
}

/// The plot's rectangle in the SVG's pixel space (inside the axes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlotArea {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HoverValue {
    pub series: String,
    pub value: f64,
    /// The value formatted with the chart's unit.
    pub text: String,
}

/// What the UI's tooltip shows for one bucket (time charts) or one bar.
///
/// Time charts: `x` is the bucket centre, `y` the top of the stack or the highest line,
/// `title` the bucket start in the chart's zone; series without data in the bucket are
/// left out, and stacked charts end with a "Total" value. Bar charts: `x`/`y` is the
/// bar's end, `title` its full label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HoverPoint {
    pub x: f32,
    pub y: f32,
    pub title: String,
    pub values: Vec<HoverValue>,
    pub highlighted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Rendered {
    pub svg: String,
    pub width: u32,
    pub height: u32,
    pub plot: PlotArea,
    pub hover: Vec<HoverPoint>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("series \"{series}\" has {values} values for {buckets} buckets")]
    SeriesLength {
        series: String,
        values: usize,
        buckets: usize,
    },
    #[error("chart size {width}×{height} px is outside {MIN_SIDE}–{MAX_SIDE} px a side")]
    Size { width: u32, height: u32 },
    #[error("bucket {index} does not come after the one before it")]
    BucketOrder { index: usize },
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the PNG failed: {0}")]
    Png(String),
}

/// Smaller charts cannot hold a title, axes and a plot; larger ones are a mistake.
pub const MIN_SIDE: u32 = 120;
pub const MAX_SIDE: u32 = 8192;

/// Renders the chart as a standalone SVG plus the hover data the UI needs.
pub fn render_svg(chart: &Chart, theme: Theme, size: Size) -> Result<Rendered, ChartError> {
    validate(chart, size)?;
    draw::svg(chart, theme, size, &[])
}

/// Renders the chart as encoded PNG bytes of exactly `size`.
pub fn render_png(chart: &Chart, theme: Theme, size: Size) -> Result<Vec<u8>, ChartError> {
    validate(chart, size)?;
    draw::png(chart, theme, size, &[])
}

/// Renders the chart for a file that leaves the app: `context` (what period, zone and
/// filters it shows) is drawn under the title, wrapped to the width, and the image grows
/// by those lines so the plot keeps `size`'s proportions.
pub fn render_svg_export(
    chart: &Chart,
    theme: Theme,
    size: Size,
    context: &[String],
) -> Result<String, ChartError> {
    validate(chart, size)?;
    let (lines, size) = layout::context_lines(context, size)?;
    draw::svg(chart, theme, size, &lines).map(|r| r.svg)
}

/// [`render_svg_export`] as encoded PNG bytes.
pub fn render_png_export(
    chart: &Chart,
    theme: Theme,
    size: Size,
    context: &[String],
) -> Result<Vec<u8>, ChartError> {
    validate(chart, size)?;
    let (lines, size) = layout::context_lines(context, size)?;
    draw::png(chart, theme, size, &lines)
}

fn validate(chart: &Chart, size: Size) -> Result<(), ChartError> {
    let side_ok = |s: u32| (MIN_SIDE..=MAX_SIDE).contains(&s);
    if !side_ok(size.width) || !side_ok(size.height) {
        return Err(ChartError::Size {
            width: size.width,
            height: size.height,
        });
    }
    let Chart::Time(time) = chart else {
        return Ok(());
    };
    if let Some(series) = time
        .series
        .iter()
        .find(|s| s.values.len() != time.buckets.len())
    {
        return Err(ChartError::SeriesLength {
            series: series.name.clone(),
            values: series.values.len(),
            buckets: time.buckets.len(),
        });
    }
    if let Some(index) = (1..time.buckets.len()).find(|&i| time.buckets[i] <= time.buckets[i - 1]) {
        return Err(ChartError::BucketOrder { index });
    }
    Ok(())
}
