//! Money as platforms report it, read exactly. Platforms send amounts as decimal text
//! (Anthropic: a string of cents) or JSON numbers (OpenAI: dollars); both are read
//! through their text by a decimal library and kept as integer millionths of the
//! currency unit — the price table's unit — so sums over months never drift and a
//! statement adds up to the cent.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// `text` (a decimal number of `1/10^scale` currency units: 0 for dollars, 2 for
/// cents) in millionths of the unit, rounded half away from zero; `None` when the
/// text is not a number or does not fit.
pub fn micros(text: &str, scale: u32) -> Option<i64> {
    let value = Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .ok()?;
    let units = value.checked_div(Decimal::from(10_i64.checked_pow(scale)?))?;
    units
        .checked_mul(Decimal::from(1_000_000))?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// Millionths as the shortest exact decimal text ("12.5", "0.000007", "-3").
pub fn decimal(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let (whole, frac) = (abs / 1_000_000, abs % 1_000_000);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        format!(
            "{sign}{whole}.{}",
            format!("{frac:06}").trim_end_matches('0')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{decimal, micros};

    #[test]
    fn micros_read_back_as_the_shortest_exact_decimal() {
        for (m, text) in [
            (12_500_000, "12.5"),
            (7, "0.000007"),
            (-3_000_000, "-3"),
            (0, "0"),
            (-500_000, "-0.5"),
        ] {
            assert_eq!(decimal(m), text);
            assert_eq!(micros(text, 0), Some(m));
        }
    }

    #[test]
    fn amounts_are_read_exactly_whatever_their_form() {
        assert_eq!(micros("0.06", 0), Some(60_000));
        assert_eq!(
            micros("123.456789", 2),
            Some(1_234_568),
            "cents, rounded half up"
        );
        assert_eq!(micros("1e-2", 0), Some(10_000));
        assert_eq!(micros("-0.5", 2), Some(-5_000));
        // 0.1 + 0.2 in binary floats is 0.30000000000000004; in decimals it is 0.3.
        let sum = micros("0.1", 0).unwrap() + micros("0.2", 0).unwrap();
        assert_eq!(sum, micros("0.3", 0).unwrap());
        assert_eq!(micros("abc", 0), None);
        assert_eq!(micros("1e40", 0), None, "too large for the unit");
    }
}
