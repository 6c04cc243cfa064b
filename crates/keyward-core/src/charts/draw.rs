//! From a [`Chart`] to pixels on either backend: SVG for the screen, a bitmap for PNG
//! export. Both go through one `paint`, so the export looks like the screen.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{self, draw_err, draw_header, text_style, LABEL_PX, OUTER_MARGIN};
use super::theme::{colours, Colours};
use super::{bar_chart, time_chart};
use super::{Chart, ChartError, HoverPoint, PlotArea, Rendered, Size, Theme};

pub(super) const EMPTY_MESSAGE: &str = "No data for this period";

/// What a painted chart tells the UI besides its pixels.
pub(super) struct Painted {
    pub plot: PlotArea,
    pub hover: Vec<HoverPoint>,
}

/// `context`: lines drawn under the title (exports), already wrapped to the width.
pub(super) fn svg(
    chart: &Chart,
    theme: Theme,
    size: Size,
    context: &[String],
) -> Result<Rendered, ChartError> {
    layout::ensure_font()?;
    let mut svg = String::with_capacity(64 * 1024);
    let painted = {
        let root = SVGBackend::with_string(&mut svg, (size.width, size.height)).into_drawing_area();
        let painted = paint(&root, chart, theme, context)?;
        root.present().map_err(draw_err)?;
        painted
    };
    Ok(Rendered {
        svg,
        width: size.width,
        height: size.height,
        plot: painted.plot,
        hover: painted.hover,
    })
}

pub(super) fn png(
    chart: &Chart,
    theme: Theme,
    size: Size,
    context: &[String],
) -> Result<Vec<u8>, ChartError> {
    layout::ensure_font()?;
    let (width, height) = (size.width, size.height);
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        paint(&root, chart, theme, context)?;
        root.present().map_err(draw_err)?;
    }
    let mut encoded = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut encoded),
        &rgb,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|e| ChartError::Png(e.to_string()))?;
    Ok(encoded)
}

fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    theme: Theme,
    context: &[String],
) -> Result<Painted, ChartError> {
    let colours = colours(theme);
    root.fill(&colours.background).map_err(draw_err)?;
    let (title, legend) = match chart {
        Chart::Time(time) => (&time.title, time_chart::legend(time, &colours)),
        Chart::Bars(bars) => (&bars.title, Vec::new()),
    };
    let header = draw_header(root, title, context, &legend, &colours)?;
    let (_, body) = root.split_vertically(header);
    match chart {
        Chart::Time(time) if time_chart::has_data(time) => time_chart::draw(&body, time, &colours),
        Chart::Bars(bars) if !bars.bars.is_empty() => bar_chart::draw(&body, bars, &colours),
        _ => empty_frame(&body, &colours),
    }
}

/// The frame an empty period gets: the plot's box with the message in its centre.
fn empty_frame<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    colours: &Colours,
) -> Result<Painted, ChartError> {
    let (x, y) = body.get_pixel_range();
    let plot = PlotArea {
        left: (x.start + OUTER_MARGIN + 40) as f32,
        top: (y.start + 8) as f32,
        right: (x.end - OUTER_MARGIN - 8) as f32,
        bottom: (y.end - OUTER_MARGIN - 20) as f32,
    };
    let root = body.strip_coord_spec();
    let to_local = |px: f32, origin: i32| px as i32 - origin;
    let corners = [
        (to_local(plot.left, x.start), to_local(plot.top, y.start)),
        (
            to_local(plot.right, x.start),
            to_local(plot.bottom, y.start),
        ),
    ];
    root.draw(&Rectangle::new(corners, colours.axis.stroke_width(1)))
        .map_err(draw_err)?;
    let centre = (
        (corners[0].0 + corners[1].0) / 2,
        (corners[0].1 + corners[1].1) / 2,
    );
    let style = text_style(LABEL_PX, colours.muted).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
    root.draw_text(EMPTY_MESSAGE, &style, centre)
        .map_err(draw_err)?;
    Ok(Painted {
        plot,
        hover: Vec::new(),
    })
}

/// The plot's rectangle in backend pixels (the SVG's coordinate space).
pub(super) fn plot_area<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
) -> PlotArea {
    let (x, y) = area.get_pixel_range();
    PlotArea {
        left: x.start as f32,
        top: y.start as f32,
        right: x.end as f32,
        bottom: y.end as f32,
    }
}

/// A linear f64 axis whose ticks are exactly the ones given: time ticks on round local
/// times, value ticks on nice steps. (plotters' `WithKeyPoints` over f64 loses the
/// formatter hooks the mesh needs, hence this small coordinate of our own.)
#[derive(Clone)]
pub(super) struct TickedAxis {
    pub range: std::ops::Range<f64>,
    pub ticks: Vec<f64>,
}

impl Ranged for TickedAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let share = if span > 0.0 {
            (value - self.range.start) / span
        } else {
            0.0
        };
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}
