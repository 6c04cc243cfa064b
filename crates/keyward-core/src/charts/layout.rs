//! Text and the frame around the plot: the bundled font, measuring and truncating user
//! labels, and the header (title, an export's context lines, then a wrapped legend)
//! above the plot.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

use super::theme::Colours;
use super::ChartError;

/// The one family every text style names; in the SVG the viewer's own sans-serif draws it.
pub(super) const FAMILY: &str = "sans-serif";
pub(super) const OUTER_MARGIN: i32 = 12;
pub(super) const TITLE_PX: f64 = 17.0;
pub(super) const LABEL_PX: f64 = 14.0;
pub(super) const SMALL_PX: f64 = 13.0;
const LEGEND_ROW_PX: i32 = 20;
const CONTEXT_ROW_PX: i32 = 18;
/// An export's context wraps to at most this many lines (a long key list is cut).
const CONTEXT_MAX_LINES: usize = 6;
const LEGEND_MAX_ROWS: usize = 3;
const LEGEND_ITEM_MAX_PX: u32 = 200;
const SWATCH_PX: i32 = 10;
const ELLIPSIS: char = '…';

static FONT: &[u8] = include_bytes!("DejaVuSans.ttf");

/// Registers the bundled font once; plotters keeps fonts in a process-wide table.
pub(super) fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Draw(
            "the bundled chart font did not load".into(),
        ))
    }
}

pub(super) fn text_style(px: f64, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: (FAMILY, px).into_font(),
        color: colour.to_backend_color(),
        pos: Pos::default(),
    }
}

/// Width in px of `text` at `px`, as the bundled font lays it out.
pub(super) fn text_width(text: &str, px: f64) -> u32 {
    (FAMILY, px)
        .into_font()
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or((text.chars().count() as f64 * px * 0.6) as u32)
}

/// `text` cut to fit `max_px`, ending in "…" when cut. The full text stays in hover data.
pub(super) fn fit(text: &str, px: f64, max_px: u32) -> String {
    if text_width(text, px) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut keep, mut drop) = (0, chars.len());
    // Binary search for the longest prefix that still fits with the ellipsis.
    while keep + 1 < drop {
        let mid = (keep + drop) / 2;
        if text_width(&with_ellipsis(&chars[..mid]), px) <= max_px {
            keep = mid;
        } else {
            drop = mid;
        }
    }
    with_ellipsis(&chars[..keep])
}

fn with_ellipsis(prefix: &[char]) -> String {
    let mut s: String = prefix.iter().collect::<String>().trim_end().to_string();
    s.push(ELLIPSIS);
    s
}

pub(super) fn draw_err<E: std::fmt::Debug>(error: E) -> ChartError {
    ChartError::Draw(format!("{error:?}"))
}

/// `context` wrapped to the chart's inner width (words kept whole, at most
/// [`CONTEXT_MAX_LINES`], the last cut with "…"), and `size` grown to hold them.
pub(super) fn context_lines(
    context: &[String],
    size: super::Size,
) -> Result<(Vec<String>, super::Size), ChartError> {
    ensure_font()?;
    let inner = (size.width as i32 - 2 * OUTER_MARGIN).max(1) as u32;
    let mut lines = Vec::new();
    for text in context {
        let mut line = String::new();
        for word in text.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if line.is_empty() || text_width(&candidate, SMALL_PX) <= inner {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        lines.push(line);
    }
    if lines.len() > CONTEXT_MAX_LINES {
        lines.truncate(CONTEXT_MAX_LINES);
        let last = lines.pop().unwrap_or_default();
        lines.push(fit(&format!("{last} …"), SMALL_PX, inner));
    }
    let lines: Vec<String> = lines.iter().map(|l| fit(l, SMALL_PX, inner)).collect();
    let grown = super::Size {
        width: size.width,
        height: (size.height + lines.len() as u32 * CONTEXT_ROW_PX as u32).min(super::MAX_SIDE),
    };
    Ok((lines, grown))
}

/// Draws the title, an export's context lines and, for more than one series, the
/// legend; returns the header height.
pub(super) fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    context: &[String],
    legend: &[(String, RGBColor)],
    colours: &Colours,
) -> Result<i32, ChartError> {
    let (width, _) = root.dim_in_pixel();
    let inner = width as i32 - 2 * OUTER_MARGIN;
    let title = fit(title, TITLE_PX, inner.max(0) as u32);
    root.draw_text(
        &title,
        &text_style(TITLE_PX, colours.text),
        (OUTER_MARGIN, OUTER_MARGIN),
    )
    .map_err(draw_err)?;
    let mut height = OUTER_MARGIN + TITLE_PX as i32 + 8;
    for line in context {
        root.draw_text(
            line,
            &text_style(SMALL_PX, colours.muted),
            (OUTER_MARGIN, height),
        )
        .map_err(draw_err)?;
        height += CONTEXT_ROW_PX;
    }
    if !context.is_empty() {
        height += 4;
    }
    if legend.len() > 1 {
        let rows = legend_rows(legend, inner);
        for (row, items) in rows.iter().enumerate() {
            let y = height + row as i32 * LEGEND_ROW_PX;
            draw_legend_row(root, items, y, colours)?;
        }
        height += rows.len() as i32 * LEGEND_ROW_PX + 2;
    }
    Ok(height)
}

/// A legend item placed at `x`: its (truncated) text and swatch colour; no swatch for
/// the closing "+N more".
struct LegendItem {
    x: i32,
    text: String,
    swatch: Option<RGBColor>,
}

/// Flows legend items into rows of `inner` px; past the last row, "+N more".
fn legend_rows(legend: &[(String, RGBColor)], inner: i32) -> Vec<Vec<LegendItem>> {
    let mut rows: Vec<Vec<LegendItem>> = vec![Vec::new()];
    let mut x = OUTER_MARGIN;
    for (shown, (name, colour)) in legend.iter().enumerate() {
        let text = fit(name, SMALL_PX, LEGEND_ITEM_MAX_PX);
        let item_width = SWATCH_PX + 6 + text_width(&text, SMALL_PX) as i32 + 16;
        if x + item_width > OUTER_MARGIN + inner && x > OUTER_MARGIN {
            if rows.len() == LEGEND_MAX_ROWS {
                replace_tail_with_more(rows.last_mut().expect("a row"), legend.len() - shown);
                return rows;
            }
            rows.push(Vec::new());
            x = OUTER_MARGIN;
        }
        rows.last_mut().expect("a row").push(LegendItem {
            x,
            text,
            swatch: Some(*colour),
        });
        x += item_width;
    }
    rows
}

fn replace_tail_with_more(row: &mut Vec<LegendItem>, hidden: usize) {
    let last = row.pop().expect("a full row has items");
    row.push(LegendItem {
        x: last.x,
        text: format!("+{} more", hidden + 1),
        swatch: None,
    });
}

fn draw_legend_row<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    y: i32,
    colours: &Colours,
) -> Result<(), ChartError> {
    let style = text_style(SMALL_PX, colours.text).pos(Pos::new(HPos::Left, VPos::Center));
    for item in items {
        let centre = y + LEGEND_ROW_PX / 2;
        let text_x = match item.swatch {
            None => item.x,
            Some(colour) => {
                let top = centre - SWATCH_PX / 2;
                root.draw(&Rectangle::new(
                    [(item.x, top), (item.x + SWATCH_PX, top + SWATCH_PX)],
                    colour.filled(),
                ))
                .map_err(draw_err)?;
                item.x + SWATCH_PX + 6
            }
        };
        root.draw_text(&item.text, &style, (text_x, centre))
            .map_err(draw_err)?;
    }
    Ok(())
}
