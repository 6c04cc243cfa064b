//! Usage & Spend: turns the gateway's usage rollups into what finance reads — periods
//! in a chosen time zone, totals with the change against the previous period, spend
//! from the console's price table, spikes, top keys and models, budget burn-down —
//! and into the tables behind every chart, for CSV export.
//!
//! Rules, because finance will ask:
//! - **Spend is always tokens × the price table** ([`crate::prices`]); a model without
//!   a price is *unpriced* and listed as such, never counted as free. Spend in a second
//!   currency is totalled separately, never converted.
//! - **Periods** are whole local days in the chosen zone (UTC by default) except the
//!   rolling "last 24 h / 7 d", which end at the current hour. The previous period is
//!   the same length immediately before; for "previous month" it is the month before.
//! - **Buckets** fit the span (≤ 6 h: minutes, ≤ 8 d: hours, else days) unless
//!   overridden. Day buckets in a zone other than UTC are summed from hour rollups, so
//!   a zone with a half-hour offset gets days that start on the hour before midnight.
//! - **Spike**: a bucket whose tokens are at least [`SPIKE_FACTOR`]× the median of the
//!   [`SPIKE_WINDOW`] buckets before it and at least [`SPIKE_MIN_TOKENS`] above it, once
//!   at least [`SPIKE_MIN_HISTORY`] earlier buckets exist. The median ignores one-off
//!   bursts in the baseline; the absolute floor keeps near-idle keys from "spiking" on
//!   a handful of tokens.
//!
//! Layout: `period` resolves what is asked, `remote` is every HTTP call (and the
//! loaders that make them), `analysis` computes the view from the reports, with
//! `spend` for sums and money, `charts` for the chart data and tables, `budget`
//! for the burn-down and `statement` for the monthly statement; `screen` renders
//! for the screen and exports.

mod analysis;
mod budget;
mod charts;
mod period;
mod remote;
mod screen;
mod spend;
mod statement;

pub use analysis::{
    find_spikes, KeyName, ReportedSpend, Spike, Summary, TopRow, UsageFacts, UsageView,
};
pub use budget::{BudgetBurn, MAX_BURNDOWN_LINES};
pub use charts::{to_csv, Table, UsageChart};
pub use period::{
    bucket_starts, parse_zone, resolve_period, Period, PeriodPreset, SpendBy, UsageRequest,
};
pub use remote::{load_view, statement};
pub use screen::{
    chart_size, export_chart, export_context, screen, ImageFormat, ShownChart, UsageScreen,
    UsageSession,
};
pub use spend::{Change, Money, Totals};

pub const SPIKE_FACTOR: f64 = 3.0;
pub const SPIKE_WINDOW: usize = 12;
pub const SPIKE_MIN_HISTORY: usize = 6;
pub const SPIKE_MIN_TOKENS: f64 = 1_000.0;
/// Series beyond this many in a stacked chart are summed into "Other".
pub const MAX_STACKED: usize = 8;
/// Rows in the top keys / top models tables and bars.
pub const TOP_N: usize = 10;
/// Budget burn-down is shown for at most this many keys (the top keys by tokens).
pub const MAX_BURNDOWN_KEYS: usize = 10;

#[cfg(test)]
mod tests;
