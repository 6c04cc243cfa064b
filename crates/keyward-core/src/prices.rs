//! The price table: what one million input and output tokens of a model cost, edited
//! by finance in the console and stored in the console's own database (never on a
//! platform: a self-hosted gateway has no prices, and a provider's list price is not
//! what a team pays).
//!
//! Money is kept in integer millionths of the currency unit ("micros"), parsed from
//! the decimal text the user typed, so spend = tokens × price is exact and a price of
//! 0.15 never becomes 0.1499999. A model without a row is *unpriced*: reports say so
//! instead of counting it as free.

use crate::error::Error;
use crate::workloads::FieldProblem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

/// The longest model name accepted (matches the gateway's model names).
pub const MAX_MODEL_CHARS: usize = 200;
/// No model costs more than this per million tokens (catches a misplaced decimal point).
pub const MAX_PRICE_PER_MILLION: i64 = 1_000_000;
const MICROS: i64 = 1_000_000;

/// One row of the price table, as the UI shows and edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelPrice {
    pub model: String,
    /// Decimal text, e.g. "2.50" per 1M input tokens.
    pub input_per_million: String,
    pub output_per_million: String,
    /// ISO 4217 code, e.g. "USD".
    pub currency: String,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A validated price: exact integer micros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub input_micros_per_million: i64,
    pub output_micros_per_million: i64,
    pub currency: String,
}

impl Price {
    /// The cost of the tokens, in micros of `currency`, rounded half up.
    pub fn cost_micros(&self, input_tokens: i64, output_tokens: i64) -> i64 {
        let total = i128::from(input_tokens) * i128::from(self.input_micros_per_million)
            + i128::from(output_tokens) * i128::from(self.output_micros_per_million);
        ((total + 500_000) / 1_000_000) as i64
    }
}

/// The price form's words for a price field, so an error under the field reads as the
/// screen does ("The input price …"), not as the API's `input_per_million`.
fn price_words(field: &str) -> (&'static str, &'static str) {
    match field {
        "input_per_million" => ("input ", "The input price"),
        "output_per_million" => ("output ", "The output price"),
        _ => ("", "The price"),
    }
}

/// Parses a non-negative decimal with at most 6 fractional digits into micros.
pub fn parse_micros(field: &str, text: &str) -> Result<i64, Error> {
    let text = text.trim();
    let (tokens, label) = price_words(field);
    if text.is_empty() {
        return Err(Error::field(
            field,
            format!("Enter the price per 1M {tokens}tokens, e.g. 2.50."),
        ));
    }
    let invalid = || {
        Error::field(
            field,
            format!("{label} must be digits with at most 6 decimals, not negative (e.g. 2.50)."),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 6
        || whole.len() > 7
    {
        return Err(invalid());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let fraction: i64 = format!("{fraction:0<6}").parse().map_err(|_| invalid())?;
    let micros = whole * MICROS + fraction;
    if micros > MAX_PRICE_PER_MILLION * MICROS {
        return Err(Error::field(
            field,
            format!("{label} is over 1,000,000 per million tokens; check the decimal point."),
        ));
    }
    Ok(micros)
}

/// Formats micros as the shortest decimal with at least 2 decimals: 2500000 → "2.50".
pub fn format_micros(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    let whole = micros / MICROS as u64;
    let mut fraction = format!("{:06}", micros % MICROS as u64);
    while fraction.len() > 2 && fraction.ends_with('0') {
        fraction.pop();
    }
    format!("{sign}{whole}.{fraction}")
}

/// The model name as requests send it: 1–200 characters, no control characters.
fn check_model(text: &str) -> Result<String, Error> {
    let model = text.trim();
    if model.is_empty() {
        return Err(Error::field(
            "model",
            "Enter the model name as requests send it.",
        ));
    }
    if model.chars().count() > MAX_MODEL_CHARS {
        return Err(Error::field(
            "model",
            format!("A model name has at most {MAX_MODEL_CHARS} characters."),
        ));
    }
    if model.chars().any(char::is_control) {
        return Err(Error::field(
            "model",
            "A model name must not contain control characters.",
        ));
    }
    Ok(model.to_owned())
}

/// An ISO 4217 code, upper-cased: "usd" is taken as "USD".
fn check_currency(text: &str) -> Result<String, Error> {
    let currency = text.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::field(
            "currency",
            "Use a three-letter currency code such as USD or EUR.",
        ));
    }
    Ok(currency)
}

fn validate(price: &ModelPrice) -> Result<(String, Price), Error> {
    Ok((
        check_model(&price.model)?,
        Price {
            input_micros_per_million: parse_micros("input_per_million", &price.input_per_million)?,
            output_micros_per_million: parse_micros(
                "output_per_million",
                &price.output_per_million,
            )?,
            currency: check_currency(&price.currency)?,
        },
    ))
}

/// Every bad field of the price form at once, by the same rules [`PriceTable::set`]
/// applies: each rule lives here once, and the dialog asks over IPC instead of copying
/// them into TypeScript (issue #16).
pub fn problems(price: &ModelPrice) -> Vec<FieldProblem> {
    [
        check_model(&price.model).err(),
        parse_micros("input_per_million", &price.input_per_million).err(),
        parse_micros("output_per_million", &price.output_per_million).err(),
        check_currency(&price.currency).err(),
    ]
    .into_iter()
    .flatten()
    .map(|error| FieldProblem {
        field: error.field.unwrap_or_default(),
        message: error.message,
    })
    .collect()
}

/// The console's price table.
#[derive(Clone)]
pub struct PriceTable {
    pool: SqlitePool,
}

impl PriceTable {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Every priced model, by name.
    pub async fn list(&self) -> Result<Vec<ModelPrice>, Error> {
        let rows: Vec<(String, i64, i64, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT model, input_micros_per_million, output_micros_per_million, currency, updated_at
             FROM model_prices ORDER BY model",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(rows
            .into_iter()
            .map(|(model, input, output, currency, updated_at)| ModelPrice {
                model,
                input_per_million: format_micros(input),
                output_per_million: format_micros(output),
                currency,
                updated_at: Some(updated_at),
            })
            .collect())
    }

    /// Prices by model, for computing spend.
    pub async fn prices(&self) -> Result<std::collections::HashMap<String, Price>, Error> {
        let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
            "SELECT model, input_micros_per_million, output_micros_per_million, currency FROM model_prices",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(rows
            .into_iter()
            .map(|(model, input, output, currency)| {
                (
                    model,
                    Price {
                        input_micros_per_million: input,
                        output_micros_per_million: output,
                        currency,
                    },
                )
            })
            .collect())
    }

    /// Adds or replaces a model's price; validated field by field first, so a bad
    /// value writes nothing.
    pub async fn set(&self, price: &ModelPrice, now: DateTime<Utc>) -> Result<ModelPrice, Error> {
        let (model, valid) = validate(price)?;
        sqlx::query(
            "INSERT INTO model_prices (model, input_micros_per_million, output_micros_per_million, currency, updated_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (model) DO UPDATE SET
               input_micros_per_million = excluded.input_micros_per_million,
               output_micros_per_million = excluded.output_micros_per_million,
               currency = excluded.currency, updated_at = excluded.updated_at",
        )
        .bind(&model)
        .bind(valid.input_micros_per_million)
        .bind(valid.output_micros_per_million)
        .bind(&valid.currency)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(ModelPrice {
            model,
            input_per_million: format_micros(valid.input_micros_per_million),
            output_per_million: format_micros(valid.output_micros_per_million),
            currency: valid.currency,
            updated_at: Some(now),
        })
    }

    /// Removes a model's price; the model is unpriced afterwards.
    pub async fn remove(&self, model: &str) -> Result<(), Error> {
        let done = sqlx::query("DELETE FROM model_prices WHERE model = ?")
            .bind(model)
            .execute(&self.pool)
            .await
            .map_err(database)?;
        if done.rows_affected() == 0 {
            return Err(Error::field(
                "model",
                format!("\"{model}\" has no price to remove."),
            ));
        }
        Ok(())
    }
}

fn database(error: sqlx::Error) -> Error {
    tracing::error!(%error, "price table");
    Error::new(
        crate::ErrorCode::Internal,
        "The console's database could not be read or written; see the log for details.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_exactly_and_round_trip() {
        assert_eq!(parse_micros("p", "2.50").unwrap(), 2_500_000);
        assert_eq!(parse_micros("p", "0.15").unwrap(), 150_000);
        assert_eq!(parse_micros("p", ".000001").unwrap(), 1);
        assert_eq!(parse_micros("p", " 10 ").unwrap(), 10_000_000);
        for bad in ["", ".", "-1", "1,5", "1.2345678", "abc", "1e3", "2000000"] {
            let error = parse_micros("input_per_million", bad).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("input_per_million"), "{bad}");
        }
        assert_eq!(format_micros(2_500_000), "2.50");
        assert_eq!(format_micros(150_000), "0.15");
        assert_eq!(format_micros(1), "0.000001");
        assert_eq!(format_micros(12_000_000), "12.00");
    }

    #[test]
    fn cost_is_tokens_times_price() {
        let price = Price {
            input_micros_per_million: 2_500_000,   // 2.50 per 1M input
            output_micros_per_million: 10_000_000, // 10.00 per 1M output
            currency: "USD".into(),
        };
        // 1M input + 0.5M output = 2.50 + 5.00
        assert_eq!(price.cost_micros(1_000_000, 500_000), 7_500_000);
        // 3 input tokens at 2.50/1M = 7.5 micros → 8 (half up)
        assert_eq!(price.cost_micros(3, 0), 8);
        assert!(price.cost_micros(i64::MAX / 4, 0) > 0);
    }

    #[test]
    fn each_bad_field_is_named() {
        let good = ModelPrice {
            model: "llama".into(),
            input_per_million: "1".into(),
            output_per_million: "2".into(),
            currency: "usd".into(),
            updated_at: None,
        };
        assert_eq!(validate(&good).unwrap().1.currency, "USD");
        let cases = [
            (
                ModelPrice {
                    model: " ".into(),
                    ..good.clone()
                },
                "model",
            ),
            (
                ModelPrice {
                    currency: "dollars".into(),
                    ..good.clone()
                },
                "currency",
            ),
            (
                ModelPrice {
                    input_per_million: "-1".into(),
                    ..good.clone()
                },
                "input_per_million",
            ),
            (
                ModelPrice {
                    output_per_million: "x".into(),
                    ..good.clone()
                },
                "output_per_million",
            ),
        ];
        for (price, field) in cases {
            assert_eq!(validate(&price).unwrap_err().field.as_deref(), Some(field));
        }
    }

    /// The form's check names every bad field at once, in the screen's words, one test
    /// per field's rule (issue #16: these lived in TypeScript as well).
    #[test]
    fn the_form_check_names_every_bad_field_in_screen_words() {
        let good = ModelPrice {
            model: "llama".into(),
            input_per_million: "2.50".into(),
            output_per_million: ".5".into(),
            currency: "eur".into(),
            updated_at: None,
        };
        assert!(problems(&good).is_empty());
        let all_bad = ModelPrice {
            model: " ".into(),
            input_per_million: "".into(),
            output_per_million: "2000000".into(),
            currency: "dollars".into(),
            updated_at: None,
        };
        let found: Vec<(String, String)> = problems(&all_bad)
            .into_iter()
            .map(|p| (p.field, p.message))
            .collect();
        assert_eq!(
            found,
            [
                ("model", "Enter the model name as requests send it."),
                ("input_per_million", "Enter the price per 1M input tokens, e.g. 2.50."),
                (
                    "output_per_million",
                    "The output price is over 1,000,000 per million tokens; check the decimal point."
                ),
                ("currency", "Use a three-letter currency code such as USD or EUR."),
            ]
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
        );
    }

    #[test]
    fn model_names_are_bounded_and_printable() {
        assert_eq!(check_model(" llama ").unwrap(), "llama");
        assert_eq!(check_model(&"m".repeat(200)).unwrap().len(), 200);
        let long = check_model(&"m".repeat(201)).unwrap_err();
        assert_eq!(long.message, "A model name has at most 200 characters.");
        assert!(check_model("a\u{7}b")
            .unwrap_err()
            .message
            .contains("control"));
    }

    #[test]
    fn prices_say_which_price_is_wrong() {
        let error = parse_micros("input_per_million", "1,5").unwrap_err();
        assert_eq!(
            error.message,
            "The input price must be digits with at most 6 decimals, not negative (e.g. 2.50)."
        );
        assert_eq!(
            parse_micros("output_per_million", "1000000").unwrap(),
            1_000_000_000_000
        );
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(check_currency(" usd ").unwrap(), "USD");
        for bad in ["US", "USDT", "U$D", ""] {
            assert_eq!(
                check_currency(bad).unwrap_err().field.as_deref(),
                Some("currency")
            );
        }
    }
}
