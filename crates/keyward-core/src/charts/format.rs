//! How values read: in hover ("1.2k tokens", "$12.30", "850 ms") and on the axis, where
//! the caption names the unit once and ticks stay short ("1.2k", "$50").

use super::Unit;

/// A value as the tooltip shows it, with its unit.
pub fn format_value(unit: &Unit, value: f64) -> String {
    match unit {
        Unit::Count { noun } => format!("{} {noun}", si(value)),
        Unit::Currency { code } => money(value, code, 2),
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
        Unit::Count { .. } => si(value),
        Unit::Currency { code } => money(value, code, if step >= 1.0 { 0 } else { 2 }),
        Unit::Percent => format!("{} %", trimmed(value, decimals_for(step))),
        Unit::Celsius => format!("{} °C", trimmed(value, decimals_for(step))),
        Unit::Watts => format!("{} W", trimmed(value, decimals_for(step))),
        Unit::Seconds | Unit::Bytes => format_value(unit, value),
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

fn decimals_for(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else {
        2
    }
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

/// 950, 1.2k, 3.4M, 1.2B (one decimal at most, so an axis stays narrow).
fn si(value: f64) -> String {
    const STEPS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")];
    let magnitude = value.abs();
    for (scale, suffix) in STEPS {
        if magnitude >= scale * 0.9995 {
            let scaled = value / scale;
            let decimals = if scaled.abs() >= 100.0 { 0 } else { 1 };
            return format!("{}{suffix}", trimmed(scaled, decimals));
        }
    }
    trimmed(value, if magnitude >= 100.0 { 0 } else { 1 })
}

/// "$1,234.50" for USD; "1,234.50 EUR" for every other code.
fn money(value: f64, code: &str, decimals: usize) -> String {
    let sign = if value < 0.0 { "-" } else { "" };
    let text = format!("{:.decimals$}", value.abs());
    let (whole, fraction) = text.split_at(text.find('.').unwrap_or(text.len()));
    let amount = format!("{}{fraction}", thousands(whole));
    if code.eq_ignore_ascii_case("USD") {
        format!("{sign}${amount}")
    } else {
        format!("{sign}{amount} {code}")
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
