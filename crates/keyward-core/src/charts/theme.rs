//! Colours per theme. Backgrounds and text follow the UI's CSS variables (`--surface`,
//! `--text`, `--text-muted`) so a chart sits on its card without a seam.
//!
//! Series use the Okabe-Ito palette (safe for the common colour-vision deficiencies),
//! one hue per position in both themes; on white the light hues (orange, sky blue,
//! yellow, grey) are darkened so every series keeps at least 3:1 contrast against the
//! background, the WCAG minimum for graphics.

use plotters::style::RGBColor;

use super::Theme;

pub(super) struct Colours {
    pub background: RGBColor,
    pub text: RGBColor,
    pub muted: RGBColor,
    pub grid: RGBColor,
    pub axis: RGBColor,
    pub highlight: RGBColor,
    pub palette: &'static [RGBColor; 8],
}

const LIGHT_PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xB0, 0x78, 0x00), // orange, darkened
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x1E, 0x88, 0xC7), // sky blue, darkened
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x8F, 0x85, 0x00), // yellow, darkened to olive
    RGBColor(0x6E, 0x6E, 0x6E), // grey (Okabe-Ito's black)
];

const DARK_PALETTE: [RGBColor; 8] = [
    RGBColor(0x3D, 0x9B, 0xE0), // blue, lightened
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0xB8, 0x86), // bluish green, lightened
    RGBColor(0xE3, 0x6A, 0x10), // vermillion, lightened
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0xC9, 0xC9, 0xC9), // grey (Okabe-Ito's black)
];

pub(super) fn colours(theme: Theme) -> Colours {
    match theme {
        Theme::Light => Colours {
            background: RGBColor(0xFF, 0xFF, 0xFF),
            text: RGBColor(0x1A, 0x1D, 0x23),
            muted: RGBColor(0x5D, 0x65, 0x71),
            grid: RGBColor(0xE6, 0xE8, 0xEB),
            axis: RGBColor(0x9A, 0xA3, 0xAF),
            highlight: RGBColor(0xF5, 0xA6, 0x23),
            palette: &LIGHT_PALETTE,
        },
        Theme::Dark => Colours {
            background: RGBColor(0x1A, 0x1D, 0x23),
            text: RGBColor(0xE5, 0xE8, 0xEC),
            muted: RGBColor(0x9A, 0xA3, 0xAF),
            grid: RGBColor(0x2E, 0x33, 0x3B),
            axis: RGBColor(0x5D, 0x65, 0x71),
            highlight: RGBColor(0xF5, 0xA6, 0x23),
            palette: &DARK_PALETTE,
        },
    }
}

impl Colours {
    pub fn series(&self, index: usize) -> RGBColor {
        self.palette[index % self.palette.len()]
    }
}

/// WCAG relative luminance, for the contrast tests.
#[cfg(test)]
pub(super) fn contrast(a: RGBColor, b: RGBColor) -> f64 {
    fn luminance(c: RGBColor) -> f64 {
        let channel = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.0) + 0.7152 * channel(c.1) + 0.0722 * channel(c.2)
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}
