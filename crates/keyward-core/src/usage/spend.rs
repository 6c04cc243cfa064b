//! Sums and money: the per-bucket [`Totals`], amounts as [`Money`] (integer micros plus
//! the text the screen shows) and [`Spend`], tokens × the price table per currency with
//! the unpriced tokens kept apart — never counted as free, never converted.

use crate::prices::Price;
use keyward_api::usage::UsageRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One bucket's sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Totals {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub requests: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub errors: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub input_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub output_tokens: i64,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub estimated_requests: i64,
}

impl Totals {
    pub(super) fn add(&mut self, row: &UsageRow) {
        self.requests += row.requests;
        self.errors += row.errors;
        self.input_tokens += row.input_tokens;
        self.output_tokens += row.output_tokens;
        self.estimated_requests += row.estimated_requests;
    }

    pub fn tokens(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }
}

/// An amount of money: integer micros and the display text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Money {
    pub currency: String,
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub micros: i64,
    /// "12.30 USD", "0.0076 USD": the digits that fit the magnitude
    /// ([`crate::charts::money_amount`], the same rule as the charts').
    pub text: String,
}

impl Money {
    pub(super) fn new(currency: &str, micros: i64) -> Self {
        Self {
            currency: currency.to_owned(),
            micros,
            text: format!(
                "{} {currency}",
                crate::charts::money_amount(micros as f64 / 1e6)
            ),
        }
    }
}

/// Spend of a set of rows, per currency, plus the tokens that had no price.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Spend {
    pub(super) by_currency: BTreeMap<String, i64>,
    pub(super) unpriced_tokens: i64,
}

impl Spend {
    pub(super) fn add(
        &mut self,
        prices: &HashMap<String, Price>,
        model: &str,
        input: i64,
        output: i64,
    ) {
        match prices.get(model) {
            Some(price) => {
                *self.by_currency.entry(price.currency.clone()).or_default() +=
                    price.cost_micros(input, output)
            }
            None => self.unpriced_tokens += input + output,
        }
    }

    pub(super) fn in_currency(&self, currency: &str) -> i64 {
        self.by_currency.get(currency).copied().unwrap_or(0)
    }
}

/// A summary card: this period, the previous one, the change in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Change {
    pub current: f64,
    pub previous: f64,
    /// `None` when the previous period had nothing (no meaningful percentage).
    pub change_percent: Option<f64>,
}

pub(super) fn change(current: f64, previous: f64) -> Change {
    Change {
        current,
        previous,
        change_percent: (previous > 0.0).then(|| (current - previous) / previous * 100.0),
    }
}
