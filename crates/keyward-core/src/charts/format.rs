//! How values read: in hover ("1.2k tokens", "$12.30", "850 ms") and on the axis, where
//! the caption names the unit once and ticks stay short ("1.2k", "$50").
//!
//! Money has one rule, [`money_amount`], used by the charts and by every spend text the
//! screens show (`usage::Money`): cents from one unit up, and below that two significant
//! digits (down to micros), so a sub-cent spend reads "0.0076", never "0.00". Axis ticks
//! carry as many decimals as their step needs, so neighbouring ticks never read alike
//! ("$0.0025, $0.005" rather than "$0.00, $0.01").

use super::Unit;

/// A value as the tooltip shows it, with its unit.
pub fn format_value(unit: &Unit, value: f64) -> String {
    match unit {
        Unit::Count { noun } => format!("{} {noun}", si(value)),
        Unit::Currency { code } => money(&money_amount(value), code),
        Unit::Percent => format!(
            "{} %",
            trimmed(value, if value.abs() < 10.0 { 1 } else { 0 })
        ),
        Unit::Seconds => duration(value),
        Unit::Celsius => format!("{} °C", trimmed(value, 0)),
        Unit::Watts => format!("{} W", trimmed(value, 0)),
        Unit::Bytes => binary(value),
    }
}

/// A y (or bar-value) axis tick; `step` is the distance between ticks, so cents show
/// only when the ticks are closer than a whole unit.
pub(super) fn format_tick(unit: &Unit, value: f64, step: f64) -> String {
    match unit {
        Unit::Count { .. } => si_tick(value, step),
        Unit::Currency { code } => {
            // Whole units when the step is whole ("$50"), else at least cents; zero
            // is "$0" whatever the step.
            let decimals = match step_decimals(step) {
                _ if value == 0.0 => 0,
                0 => 0,
                d => d.max(2),
            };
            money(&grouped(value, decimals), code)
        }
        Unit::Percent => format!("{} %", trimmed(value, step_decimals(step))),
        Unit::Celsius => format!("{} °C", trimmed(value, step_decimals(step))),
        Unit::Watts => format!("{} W", trimmed(value, step_decimals(step))),
        Unit::Seconds => duration_tick(value, step),
        Unit::Bytes => format_value(unit, value),
    }
}

/// The axis caption: what the numbers count.
pub fn unit_caption(unit: &Unit) -> String {
    match unit {
        Unit::Count { noun } => noun.clone(),
        Unit::Currency { code } => code.clone(),
        Unit::Percent => "percent".into(),
        Unit::Seconds => "seconds".into(),
        Unit::Celsius => "°C".into(),
        Unit::Watts => "watts".into(),
        Unit::Bytes => "bytes".into(),
    }
}

/// The decimals a tick step needs to be written exactly (0.25 → 2, 5 → 0): ticks are
/// multiples of the step, so with these no two neighbours read alike.
fn step_decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    (0..=9)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            scaled.round() >= 1.0 && (scaled - scaled.round()).abs() <= 1e-6 * scaled
        })
        .unwrap_or(9)
}

/// The largest number of decimals money is shown with: micros, what spend is kept in.
const MONEY_MAX_DECIMALS: usize = 6;

/// A money amount with the digits that fit its magnitude, grouped in thousands: cents
/// from one unit up ("1,234.50"), two significant digits below one ("0.0076",
/// "0.05"), never fewer than two decimals. The one rule for money in the console.
pub fn money_amount(value: f64) -> String {
    let magnitude = value.abs();
    let decimals = if magnitude >= 1.0 || magnitude == 0.0 || !magnitude.is_finite() {
        2
    } else {
        // Two significant digits: 0.0076 has its first one at 10⁻³.
        let first = -(magnitude.log10().floor() as i64);
        (first as usize + 1).clamp(2, MONEY_MAX_DECIMALS)
    };
    let text = grouped(value, decimals);
    // "0.050" → "0.05": significant zeros beyond cents say nothing.
    match text.find('.') {
        Some(dot) => {
            let keep = text.trim_end_matches('0').len().max(dot + 3);
            text[..keep].to_string()
        }
        None => text,
    }
}

/// `value` with exactly `decimals` places and thousands separators: "-1,234.50".
fn grouped(value: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", value.abs());
    let negative = value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    let (whole, fraction) = text.split_at(text.find('.').unwrap_or(text.len()));
    format!(
        "{}{}{fraction}",
        if negative { "-" } else { "" },
        thousands(whole)
    )
}

/// `value` with at most `decimals` places and no trailing zeros: 2, 2.5, 1.25.
fn trimmed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" {
        "0".into()
    } else {
        text
    }
}

const SI_STEPS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")];

/// The SI scale `value` is written in: (divisor, suffix).
fn si_scale(value: f64) -> (f64, &'static str) {
    let magnitude = value.abs();
    SI_STEPS
        .into_iter()
        .find(|(scale, _)| magnitude >= scale * 0.9995)
        .unwrap_or((1.0, ""))
}

/// 950, 1.2k, 3.4M, 1.2B (one decimal at most, so an axis stays narrow).
fn si(value: f64) -> String {
    let (scale, suffix) = si_scale(value);
    let scaled = value / scale;
    let decimals = if scaled.abs() >= 100.0 { 0 } else { 1 };
    format!("{}{suffix}", trimmed(scaled, decimals))
}

/// A count tick: like [`si`], with the decimals its step needs in that scale
/// (1.25k between 1k and 1.5k).
fn si_tick(value: f64, step: f64) -> String {
    let (scale, suffix) = si_scale(value);
    let scaled = value / scale;
    let decimals = if scaled.abs() >= 100.0 { 0 } else { 1 };
    format!(
        "{}{suffix}",
        trimmed(scaled, decimals.max(step_decimals(step / scale)))
    )
}

/// "$1,234.50" for USD; "1,234.50 EUR" for every other code, from an amount already
/// written by [`money_amount`] or [`grouped`].
fn money(amount: &str, code: &str) -> String {
    if code.eq_ignore_ascii_case("USD") {
        match amount.strip_prefix('-') {
            Some(positive) => format!("-${positive}"),
            None => format!("${amount}"),
        }
    } else {
        format!("{amount} {code}")
    }
}

fn thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "850 ms" under a second, "1.2 s" from there.
fn duration(seconds: f64) -> String {
    if seconds.abs() < 1.0 {
        let ms = seconds * 1000.0;
        format!("{} ms", trimmed(ms, if ms.abs() < 10.0 { 1 } else { 0 }))
    } else {
        format!(
            "{} s",
            trimmed(seconds, if seconds.abs() < 100.0 { 1 } else { 0 })
        )
    }
}

/// A seconds tick: like [`duration`], with the decimals its step needs.
fn duration_tick(seconds: f64, step: f64) -> String {
    if seconds.abs() < 1.0 {
        let ms = seconds * 1000.0;
        let decimals = if ms.abs() < 10.0 { 1 } else { 0 };
        format!(
            "{} ms",
            trimmed(ms, step_decimals(step * 1000.0).max(decimals))
        )
    } else {
        let decimals = if seconds.abs() < 100.0 { 1 } else { 0 };
        format!("{} s", trimmed(seconds, step_decimals(step).max(decimals)))
    }
}

/// Binary multiples, as GPU memory is reported: "512 B", "38.2 GiB".
fn binary(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut scaled = bytes;
    let mut unit = 0;
    while scaled.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    let decimals = if unit == 0 || scaled.abs() >= 100.0 {
        0
    } else {
        1
    };
    format!("{} {}", trimmed(scaled, decimals), UNITS[unit])
}
