//! What the Usage & Spend screen and its exports get: the view's charts rendered at the
//! screen's width and theme, chart images with their period and filters written in,
//! and the [`UsageSession`] that keeps the last view so re-rendering and exports use
//! exactly the numbers on screen.

use super::analysis::{UsageFacts, UsageView};
use super::charts::UsageChart;
use super::period::{parse_zone, PeriodPreset};
use crate::charts::Chart;
use crate::error::Error;
use crate::ErrorCode;
use chrono::{DateTime, Duration};
use chrono_tz::Tz;
use keyward_api::usage::UsageBucket;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A chart as the screen shows it: the SVG, its hover data, and what it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ShownChart {
    pub id: String,
    pub title: String,
    pub rendered: crate::charts::Rendered,
}

/// The view as the screen gets it: the facts and the rendered charts, without the
/// tables behind them (those stay in Rust for export).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageScreen {
    #[serde(flatten)]
    pub facts: UsageFacts,
    pub charts: Vec<ShownChart>,
}

/// The size a chart is drawn at for a content area `width` px wide: time charts span
/// it, bar charts take half (two side by side).
pub fn chart_size(chart: &Chart, width: u32) -> crate::charts::Size {
    let width = width.clamp(320, 2400);
    match chart {
        Chart::Time(_) => crate::charts::Size { width, height: 260 },
        Chart::Bars(bars) => crate::charts::Size {
            width: (width.saturating_sub(16) / 2).max(320),
            height: (72 + 28 * bars.bars.len() as u32).clamp(160, 380),
        },
    }
}

pub(super) fn chart_title(chart: &Chart) -> String {
    match chart {
        Chart::Time(t) => t.title.clone(),
        Chart::Bars(b) => b.title.clone(),
    }
}

/// The lines an exported chart carries under its title, so the file says what it shows
/// once it has left the app: the period (its preset, first and last instant in the
/// chosen zone, the bucket) and the filters (project, keys by name, models, workload).
pub fn export_context(view: &UsageView) -> Vec<String> {
    let facts = &view.facts;
    let request = &view.request;
    let zone = parse_zone(&facts.time_zone).unwrap_or(chrono_tz::UTC);
    let start = facts.start.with_timezone(&zone);
    let end = facts.end.with_timezone(&zone);
    let midnight = |t: &DateTime<Tz>| t.time() == chrono::NaiveTime::MIN;
    let span = if midnight(&start) && midnight(&end) {
        // Whole days: the last day shown is the one before the exclusive end.
        let last = (end - Duration::days(1)).date_naive();
        if last == start.date_naive() {
            start.format("%-d %b %Y").to_string()
        } else {
            format!(
                "{} – {}",
                start.format("%-d %b %Y"),
                last.format("%-d %b %Y")
            )
        }
    } else {
        format!(
            "{} – {}",
            start.format("%-d %b %Y %H:%M"),
            end.format("%-d %b %Y %H:%M")
        )
    };
    let preset = match request.preset {
        PeriodPreset::Last24Hours => "Last 24 hours",
        PeriodPreset::Last7Days => "Last 7 days",
        PeriodPreset::Last30Days => "Last 30 days",
        PeriodPreset::Last90Days => "Last 90 days",
        PeriodPreset::MonthToDate => "Month to date",
        PeriodPreset::PreviousMonth => "Previous month",
        PeriodPreset::Custom => "Custom range",
    };
    let bucket = match facts.bucket {
        UsageBucket::Minute => "minute",
        UsageBucket::Hour => "hourly",
        UsageBucket::Day => "daily",
        UsageBucket::None => "no",
    };
    let names: HashMap<&str, &str> = facts
        .keys_seen
        .iter()
        .map(|k| (k.id.as_str(), k.name.as_str()))
        .collect();
    let keys: Vec<String> = request
        .key_ids
        .iter()
        .map(|id| match names.get(id.as_str()) {
            Some(name) => format!("{name} ({id})"),
            None => id.clone(),
        })
        .collect();
    let list = |items: &[String]| {
        if items.is_empty() {
            "all".to_owned()
        } else {
            items.join(", ")
        }
    };
    vec![
        format!(
            "{preset}: {span}, times in {} (UTC{}), {bucket} buckets",
            facts.time_zone,
            start.format("%:z")
        ),
        format!(
            "Project {} · Keys: {} · Models: {} · Workload: {}",
            facts.project_id,
            list(&keys),
            list(&request.models),
            request.workload.as_deref().unwrap_or("all")
        ),
    ]
}

/// An exported chart's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Png,
    Svg,
}

/// The chart `id` of `view` as an image file: drawn as on the screen at `width`, with
/// [`export_context`] under its title.
pub fn export_chart(
    view: &UsageView,
    id: &str,
    format: ImageFormat,
    theme: crate::charts::Theme,
    width: u32,
) -> Result<Vec<u8>, Error> {
    let chart = view.charts.iter().find(|c| c.id == id).ok_or_else(|| {
        Error::field(
            "chart_id",
            format!("There is no chart \"{id}\" on the screen."),
        )
    })?;
    let context = export_context(view);
    let size = chart_size(&chart.chart, width);
    match format {
        ImageFormat::Png => crate::charts::render_png_export(&chart.chart, theme, size, &context),
        ImageFormat::Svg => crate::charts::render_svg_export(&chart.chart, theme, size, &context)
            .map(String::into_bytes),
    }
    .map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            format!("The chart could not be drawn: {e}."),
        )
    })
}

/// Renders every chart of `view` for the screen.
pub fn screen(
    view: &UsageView,
    theme: crate::charts::Theme,
    width: u32,
) -> Result<UsageScreen, Error> {
    let charts = view
        .charts
        .iter()
        .map(|c| {
            let rendered = crate::charts::render_svg(&c.chart, theme, chart_size(&c.chart, width))
                .map_err(|e| {
                    Error::new(
                        ErrorCode::Internal,
                        format!(
                            "The chart \"{}\" could not be drawn: {e}.",
                            chart_title(&c.chart)
                        ),
                    )
                })?;
            Ok(ShownChart {
                id: c.id.clone(),
                title: chart_title(&c.chart),
                rendered,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(UsageScreen {
        facts: view.facts.clone(),
        charts,
    })
}

/// The last view the screen showed, so re-rendering (theme, resize) and exports use
/// exactly the numbers on screen without asking the platform again.
#[derive(Default)]
pub struct UsageSession {
    last: std::sync::Mutex<Option<UsageView>>,
}

impl UsageSession {
    pub fn remember(&self, view: UsageView) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(view);
    }

    /// Runs `f` on the chart `id` of the last view.
    pub fn with_chart<T>(&self, id: &str, f: impl FnOnce(&UsageChart) -> T) -> Result<T, Error> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let view = last.as_ref().ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                "Load a period first; there is nothing to export yet.",
            )
        })?;
        let chart = view.charts.iter().find(|c| c.id == id).ok_or_else(|| {
            Error::field(
                "chart_id",
                format!("There is no chart \"{id}\" on the screen."),
            )
        })?;
        Ok(f(chart))
    }

    pub fn with_view<T>(&self, f: impl FnOnce(&UsageView) -> T) -> Result<T, Error> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let view = last
            .as_ref()
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "Load a period first."))?;
        Ok(f(view))
    }
}
