//! `kw usage`: the Usage & Spend screen's numbers, from the same loader
//! (`usage::load_view`) and the same price table, printed as the table behind one of
//! its charts — per bucket, or the top keys or models — or as the CSV the app exports.

use crate::cli::{BucketArg, Global, GroupByArg, UsageArgs, UsagePeriodArg};
use crate::output::{self, Stream};
use crate::target;
use keyward_api::usage::UsageBucket;
use keyward_core::prices::{format_micros, PriceTable};
use keyward_core::usage::{self, PeriodPreset, SpendBy, Table, UsageFacts, UsageRequest};
use keyward_core::{Console, Error, ErrorCode};
use serde::Serialize;

/// `kw usage --json`: the screen's facts and the table printed.
#[derive(Serialize)]
struct UsageOutput<'a> {
    #[serde(flatten)]
    facts: &'a UsageFacts,
    table: &'a Table,
}

pub async fn run(console: &Console, global: &Global, args: UsageArgs) -> Result<(), Error> {
    let (profile, platform) = target::resolve(console, global).await?;
    let request = UsageRequest {
        preset: match args.period {
            UsagePeriodArg::Last24h => PeriodPreset::Last24Hours,
            UsagePeriodArg::Last7d => PeriodPreset::Last7Days,
            UsagePeriodArg::Last30d => PeriodPreset::Last30Days,
            UsagePeriodArg::Last90d => PeriodPreset::Last90Days,
            UsagePeriodArg::Mtd => PeriodPreset::MonthToDate,
            UsagePeriodArg::LastMonth => PeriodPreset::PreviousMonth,
        },
        custom_start: None,
        custom_end: None,
        time_zone: args.time_zone.clone(),
        bucket: args.bucket.map(|b| match b {
            BucketArg::Minute => UsageBucket::Minute,
            BucketArg::Hour => UsageBucket::Hour,
            BucketArg::Day => UsageBucket::Day,
        }),
        project_id: args.project.clone(),
        key_ids: Vec::new(),
        models: Vec::new(),
        workload: None,
        spend_by: match args.group_by {
            Some(GroupByArg::Key) => SpendBy::Key,
            _ => SpendBy::Model,
        },
    };
    let prices = PriceTable::new(console.store().pool().clone())
        .prices()
        .await?;
    let view = usage::load_view(
        platform.as_ref(),
        &profile,
        &request,
        &prices,
        chrono::Utc::now(),
    )
    .await?;
    // The chart whose table is printed: the one the app exports for that view.
    let chart_id = match args.group_by {
        None => "tokens",
        Some(GroupByArg::Key) => "top_keys_tokens",
        Some(GroupByArg::Model) => "top_models_tokens",
    };
    let table = &view
        .charts
        .iter()
        .find(|c| c.id == chart_id)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                format!("The usage view has no \"{chart_id}\" table."),
            )
        })?
        .table;
    if args.csv {
        Stream::Stdout.print(&usage::to_csv(table));
        return Ok(());
    }
    if global.json {
        return output::json(
            Stream::Stdout,
            &UsageOutput {
                facts: &view.facts,
                table,
            },
        );
    }
    let summary = &view.facts.summary;
    let mut text = usage::export_context(&view).join("\n");
    text.push_str(&format!(
        "\nRequests {} · errors {} · input tokens {} · output tokens {}",
        summary.requests.current,
        summary.errors.current,
        summary.input_tokens.current,
        summary.output_tokens.current,
    ));
    if let Some(currency) = &summary.currency {
        text.push_str(&format!(
            " · spend {} {currency} (tokens × price table)",
            format_micros(summary.spend.current as i64)
        ));
    }
    if !view.facts.unpriced_models.is_empty() {
        text.push_str(&format!(
            "\nNo price for: {}",
            view.facts.unpriced_models.join(", ")
        ));
    }
    text.push('\n');
    let header: Vec<&str> = table.columns.iter().map(String::as_str).collect();
    text.push_str(&output::table(&header, table.rows.iter().cloned()));
    Stream::Stdout.print(&text);
    Ok(())
}
