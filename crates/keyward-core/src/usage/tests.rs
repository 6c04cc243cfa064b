use super::analysis::Analysis;
use super::budget::{budget_charts, burn, Budget};
use super::period::validate_request;
use super::statement::statement_table;
use super::*;
use crate::charts::Chart;
use crate::prices::Price;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use keyward_api::usage::{UsageBucket, UsageKeyRef, UsageReport, UsageRow};
use keyward_api::TokenLimitPeriod;
use std::collections::HashMap;

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn request(preset: PeriodPreset, zone: &str) -> UsageRequest {
    UsageRequest {
        preset,
        custom_start: None,
        custom_end: None,
        time_zone: zone.into(),
        bucket: None,
        project_id: None,
        key_ids: vec![],
        models: vec![],
        workload: None,
        spend_by: SpendBy::Model,
    }
}

fn price(input: &str, output: &str, currency: &str) -> Price {
    Price {
        input_micros_per_million: crate::prices::parse_micros("p", input).unwrap(),
        output_micros_per_million: crate::prices::parse_micros("p", output).unwrap(),
        currency: currency.into(),
    }
}

#[test]
fn presets_resolve_to_whole_local_days_and_fitting_buckets() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap();
    let p = resolve_period(&request(PeriodPreset::Last24Hours, "UTC"), now).unwrap();
    assert_eq!(
        (p.start, p.end, p.bucket),
        (
            utc(2026, 11, 21, 11),
            utc(2026, 11, 22, 11),
            UsageBucket::Hour
        )
    );
    assert_eq!(
        (p.previous_start, p.previous_end),
        (utc(2026, 11, 20, 11), utc(2026, 11, 21, 11))
    );
    let p = resolve_period(&request(PeriodPreset::Last90Days, "UTC"), now).unwrap();
    assert_eq!(
        (p.start, p.end, p.bucket),
        (utc(2026, 8, 25, 0), utc(2026, 11, 23, 0), UsageBucket::Day)
    );
    assert_eq!(bucket_starts(&p).len(), 90);
    let p = resolve_period(&request(PeriodPreset::MonthToDate, "UTC"), now).unwrap();
    assert_eq!(
        (p.start, p.end),
        (utc(2026, 11, 1, 0), utc(2026, 11, 23, 0))
    );
    assert_eq!(
        (p.previous_start, p.previous_end),
        (utc(2026, 10, 1, 0), utc(2026, 10, 23, 0))
    );
    let p = resolve_period(&request(PeriodPreset::PreviousMonth, "UTC"), now).unwrap();
    assert_eq!((p.start, p.end), (utc(2026, 10, 1, 0), utc(2026, 11, 1, 0)));
    assert_eq!(
        (p.previous_start, p.previous_end),
        (utc(2026, 9, 1, 0), utc(2026, 10, 1, 0))
    );
    // Berlin: October's days start at 22:00 or 23:00 UTC (DST ends 25 Oct), 31 buckets.
    let p = resolve_period(&request(PeriodPreset::PreviousMonth, "Europe/Berlin"), now).unwrap();
    assert_eq!(
        (p.start, p.end),
        (utc(2026, 9, 30, 22), utc(2026, 10, 31, 23))
    );
    let days = bucket_starts(&p);
    assert_eq!(days.len(), 31);
    assert_eq!(
        days[24],
        utc(2026, 10, 24, 22),
        "25 Oct starts at 00:00 CEST"
    );
    assert_eq!(
        days[25],
        utc(2026, 10, 25, 23),
        "26 Oct starts at 00:00 CET, after DST ended"
    );
}

#[test]
fn custom_ranges_and_overrides_are_checked_by_field() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap();
    let mut r = request(PeriodPreset::Custom, "UTC");
    assert_eq!(
        resolve_period(&r, now).unwrap_err().field.as_deref(),
        Some("custom_start")
    );
    r.custom_start = NaiveDate::from_ymd_opt(2026, 11, 20);
    r.custom_end = NaiveDate::from_ymd_opt(2026, 11, 19);
    assert_eq!(
        resolve_period(&r, now).unwrap_err().field.as_deref(),
        Some("custom_end")
    );
    r.custom_end = NaiveDate::from_ymd_opt(2026, 11, 21);
    let p = resolve_period(&r, now).unwrap();
    assert_eq!(
        (p.start, p.end, p.bucket),
        (
            utc(2026, 11, 20, 0),
            utc(2026, 11, 22, 0),
            UsageBucket::Hour
        )
    );
    r.bucket = Some(UsageBucket::Minute);
    assert_eq!(
        resolve_period(&r, now).unwrap_err().field.as_deref(),
        Some("bucket")
    );
    r.bucket = Some(UsageBucket::Day);
    assert_eq!(resolve_period(&r, now).unwrap().bucket, UsageBucket::Day);
    let mut r = request(PeriodPreset::Last7Days, "Mars/Olympus");
    assert_eq!(
        resolve_period(&r, now).unwrap_err().field.as_deref(),
        Some("time_zone")
    );
    r.time_zone = "UTC".into();
    r.key_ids = vec!["../x".into()];
    assert_eq!(
        validate_request(&r).unwrap_err().field.as_deref(),
        Some("key_ids")
    );
}

#[test]
fn spikes_follow_the_documented_rule() {
    let mut tokens = vec![1_000.0; 12];
    tokens.push(2_900.0); // under 3× the median
    tokens.push(3_100.0); // 3.1× and 2,100 above: a spike
    tokens.push(1_000.0);
    assert_eq!(find_spikes(&tokens), vec![13]);
    // Too little history, or too small in absolute terms: no spike.
    assert!(find_spikes(&[10.0, 10.0, 10.0, 5_000.0]).is_empty());
    assert!(find_spikes(&[10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 900.0]).is_empty());
    assert_eq!(
        find_spikes(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1_500.0]),
        vec![6]
    );
}

fn row(
    bucket: Option<DateTime<Utc>>,
    key: Option<&str>,
    model: &str,
    requests: i64,
    input: i64,
    output: i64,
) -> UsageRow {
    UsageRow {
        bucket,
        key_id: key.map(str::to_owned),
        model: Some(model.to_owned()),
        workload: None,
        requests,
        errors: 0,
        input_tokens: input,
        output_tokens: output,
        estimated_requests: 0,
    }
}

fn report(rows: Vec<UsageRow>, keys: &[(&str, &str)]) -> UsageReport {
    UsageReport {
        start: utc(2026, 11, 1, 0),
        end: utc(2026, 11, 4, 0),
        bucket: UsageBucket::Day,
        group_by: vec![],
        rows,
        keys: keys
            .iter()
            .map(|(id, name)| UsageKeyRef {
                id: id.to_string(),
                name: name.to_string(),
                masked: String::new(),
                revoked: false,
            })
            .collect(),
    }
}

/// A platform that reports money (OpenAI): its amounts are the spend — summary, top
/// keys and the per-day chart — never tokens × the price table, even where a price
/// exists; models show tokens only, and the note says why.
#[test]
fn reported_spend_replaces_the_price_table_where_the_platform_reports_money() {
    use super::analysis::ReportedSpend;
    use crate::platform::capabilities::SpendSource;
    use crate::platform::model::ReportedCost;
    let mut r = request(PeriodPreset::Custom, "UTC");
    r.custom_start = NaiveDate::from_ymd_opt(2026, 11, 1);
    r.custom_end = NaiveDate::from_ymd_opt(2026, 11, 3);
    r.bucket = Some(UsageBucket::Day);
    let period = resolve_period(&r, utc(2026, 11, 22, 10)).unwrap();
    // A price that would say 2.00 USD: it must not be used.
    let prices: HashMap<String, Price> =
        [("gpt-4o".to_string(), price("1.00", "2.00", "USD"))].into();
    let series = report(
        vec![row(
            Some(utc(2026, 11, 1, 0)),
            None,
            "gpt-4o",
            2,
            1_000_000,
            500_000,
        )],
        &[],
    );
    let totals = report(
        vec![
            row(None, Some("p.k1"), "gpt-4o", 2, 1_000_000, 500_000),
            row(None, Some("p.k2"), "gpt-4o", 1, 10, 10),
        ],
        &[("p.k1", "deployer"), ("p.k2", "batch")],
    );
    let previous = report(vec![], &[]);
    let cost = |day: u32, key: Option<&str>, micros: i64| ReportedCost {
        day: utc(2026, 11, day, 0),
        project: Some("p".into()),
        key_id: key.map(str::to_owned),
        line_item: Some("gpt-4o, input".into()),
        amount_micros: micros,
        currency: "USD".into(),
    };
    let reported = ReportedSpend {
        platform: "OpenAI".into(),
        per_key: true,
        current: vec![
            cost(1, Some("p.k1"), 1_230_000),
            cost(2, Some("p.k1"), 100_000),
            cost(2, Some("p.k2"), 5_000),
            cost(2, None, 20_000),
        ],
        previous: vec![cost(1, Some("p.k1"), 677_500)],
    };
    let analysis = Analysis::new(
        &period,
        &prices,
        &series,
        &totals,
        &previous,
        Some(&reported),
    );
    let keys = analysis.top_keys();
    let view = analysis.view("p".into(), &r, keys, None, vec![]);
    let facts = &view.facts;
    assert_eq!(facts.spend_source, SpendSource::Reported);
    assert_eq!(
        facts.summary.spend.current, 1_355_000.0,
        "the platform's sum, not 2.00"
    );
    assert_eq!(facts.summary.spend.change_percent, Some(100.0));
    assert_eq!(facts.summary.unpriced_tokens, 0);
    assert!(facts.unpriced_models.is_empty());
    let top: Vec<(&str, Option<&str>)> = facts
        .top_keys
        .iter()
        .map(|k| (k.name.as_str(), k.spend.as_ref().map(|m| m.text.as_str())))
        .collect();
    assert_eq!(
        top,
        [("deployer", Some("1.33 USD")), ("batch", Some("0.005 USD"))]
    );
    assert!(
        facts.top_models.iter().all(|m| m.spend.is_none()),
        "no money per model"
    );
    assert!(facts
        .spend_note
        .as_deref()
        .unwrap()
        .contains("not per model"));
    let spend = view
        .charts
        .iter()
        .find(|c| c.id == "spend")
        .expect("a reported spend chart");
    assert_eq!(spend.table.columns[5], "reported_spend");
    assert_eq!(
        spend.table.rows.len(),
        4,
        "every reported line, for the CSV"
    );
    let Chart::Time(chart) = &spend.chart else {
        panic!("a time chart")
    };
    assert!(
        chart.title.contains("reported by OpenAI"),
        "{}",
        chart.title
    );
    let day2: f64 = chart
        .series
        .iter()
        .map(|s| s.values[1].unwrap_or(0.0))
        .sum();
    assert!(
        (day2 - 0.125).abs() < 1e-9,
        "0.10 + 0.005 + 0.02 (other charges): {day2}"
    );

    // Hour buckets: the platform reports days, so no spend chart, and the note says so.
    let mut hourly = r.clone();
    hourly.bucket = Some(UsageBucket::Hour);
    let period = resolve_period(&hourly, utc(2026, 11, 22, 10)).unwrap();
    let analysis = Analysis::new(
        &period,
        &prices,
        &series,
        &totals,
        &previous,
        Some(&reported),
    );
    let keys = analysis.top_keys();
    let view = analysis.view("p".into(), &hourly, keys, None, vec![]);
    assert!(view.charts.iter().all(|c| c.id != "spend"));
    assert!(view
        .facts
        .spend_note
        .as_deref()
        .unwrap()
        .contains("choose day buckets"));
}

#[test]
fn spend_is_tokens_times_the_table_and_unpriced_models_are_named() {
    let mut r = request(PeriodPreset::Custom, "UTC");
    r.custom_start = NaiveDate::from_ymd_opt(2026, 11, 1);
    r.custom_end = NaiveDate::from_ymd_opt(2026, 11, 3);
    r.bucket = Some(UsageBucket::Day);
    let period = resolve_period(&r, utc(2026, 11, 22, 10)).unwrap();
    let prices: HashMap<String, Price> =
        [("llama".to_string(), price("1.00", "2.00", "USD"))].into();
    let series = report(
        vec![
            row(
                Some(utc(2026, 11, 1, 0)),
                None,
                "llama",
                2,
                1_000_000,
                500_000,
            ),
            row(Some(utc(2026, 11, 2, 0)), None, "mystery", 1, 10, 10),
        ],
        &[],
    );
    let totals = report(
        vec![
            row(None, Some("k1"), "llama", 2, 1_000_000, 500_000),
            row(None, Some("k2"), "mystery", 1, 10, 10),
        ],
        &[("k1", "=cmd|' /C calc'!A0"), ("k2", "beta")],
    );
    let previous = report(vec![row(None, None, "llama", 1, 500_000, 250_000)], &[]);
    let analysis = Analysis::new(&period, &prices, &series, &totals, &previous, None);
    let keys = analysis.top_keys();
    let view = analysis.view("p".into(), &r, keys, None, vec![]);
    assert_eq!(view.facts.summary.requests.current, 3.0);
    assert_eq!(
        view.facts.summary.spend.current, 2_000_000.0,
        "1M × 1.00 + 0.5M × 2.00 = 2.00 USD"
    );
    assert_eq!(view.facts.summary.spend.change_percent, Some(100.0));
    assert_eq!(view.facts.summary.unpriced_tokens, 20);
    assert_eq!(view.facts.unpriced_models, vec!["mystery"]);
    assert_eq!(
        view.facts.top_keys[0].spend.as_ref().unwrap().text,
        "2.00 USD"
    );
    assert!(view.facts.top_keys[1].spend.is_none());
    let ids: Vec<&str> = view.charts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "tokens",
            "requests",
            "errors",
            "spend",
            "top_keys_spend",
            "top_keys_tokens",
            "top_models_spend",
            "top_models_tokens"
        ]
    );
    let Chart::Bars(models_by_spend) = &view.charts[6].chart else {
        panic!("top models by spend is a bar chart")
    };
    let drawn: Vec<&str> = models_by_spend
        .bars
        .iter()
        .map(|b| b.label.as_str())
        .collect();
    assert_eq!(drawn, ["llama"], "an unpriced model is no $0 bar");
    let tokens = &view.charts[0].table;
    assert_eq!(tokens.rows.len(), 3, "one row per day, empty days included");
    assert_eq!(tokens.rows[0][3], "1000000");
    assert_eq!(tokens.rows[0][6], "2.00");
    // CSV: a key name that is a formula is defused; numbers stay numbers.
    let csv = to_csv(&view.charts[5].table);
    assert!(csv.contains("'=cmd|"), "{csv}");
    assert!(
        !csv.lines()
            .any(|l| l.split(',').nth(1).is_some_and(|c| c.starts_with('='))),
        "{csv}"
    );
    let statement = statement_table(&totals, &prices, "2026-11");
    let last = statement.rows.last().unwrap();
    assert_eq!(last[2], "TOTAL (unpriced models)");
    assert!(statement
        .rows
        .iter()
        .any(|r| r[2] == "TOTAL" && r[7] == "2.00" && r[8] == "USD"));
}

#[test]
fn budgets_project_when_they_run_out() {
    let key = ("k1", "batch");
    let (start, end) = TokenLimitPeriod::Month.window(utc(2026, 11, 11, 0));
    assert_eq!((start, end), (utc(2026, 11, 1, 0), utc(2026, 12, 1, 0)));
    // 10 days in, half the budget used: runs out on day 20.
    let b = burn(
        key,
        TokenLimitPeriod::Month,
        1_000,
        500,
        start,
        end,
        utc(2026, 11, 11, 0),
    );
    assert_eq!(b.runs_out_at, Some(utc(2026, 11, 21, 0)));
    let b = burn(
        key,
        TokenLimitPeriod::Month,
        1_000,
        100,
        start,
        end,
        utc(2026, 11, 11, 0),
    );
    assert_eq!(b.runs_out_at, None, "lasts the month");
    let b = burn(
        key,
        TokenLimitPeriod::Month,
        1_000,
        1_000,
        start,
        end,
        utc(2026, 11, 11, 0),
    );
    assert!(b.exhausted);
}

#[test]
fn presets_on_the_wire_are_what_the_typescript_type_says() {
    let names: Vec<String> = [
        PeriodPreset::Last24Hours,
        PeriodPreset::Last7Days,
        PeriodPreset::Last30Days,
        PeriodPreset::Last90Days,
        PeriodPreset::MonthToDate,
        PeriodPreset::PreviousMonth,
        PeriodPreset::Custom,
    ]
    .iter()
    .map(|p| {
        serde_json::to_value(p)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    })
    .collect();
    assert_eq!(
        names,
        [
            "last_24_hours",
            "last_7_days",
            "last_30_days",
            "last_90_days",
            "month_to_date",
            "previous_month",
            "custom"
        ]
    );
}

#[test]
fn the_burn_down_climbs_to_now_then_projects_the_rate() {
    let now = utc(2026, 11, 11, 0);
    let (start, end) = TokenLimitPeriod::Month.window(now);
    let budget = Budget {
        burn: burn(
            ("k1", "batch"),
            TokenLimitPeriod::Month,
            1_000,
            500,
            start,
            end,
            now,
        ),
        per_bucket: vec![(utc(2026, 11, 2, 0), 200), (utc(2026, 11, 10, 0), 300)],
        now,
    };
    let charts = budget_charts(&[budget]);
    assert_eq!(charts.len(), 1);
    assert_eq!(charts[0].id, "budget_month");
    let Chart::Time(chart) = &charts[0].chart else {
        panic!("a time chart")
    };
    assert_eq!(chart.buckets.len(), 30, "one bucket per day of November");
    let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["batch", "batch (at this rate)", "Limit"]);
    let actual = &chart.series[0].values;
    assert_eq!(actual[0], Some(0.0));
    assert_eq!(actual[1], Some(20.0), "200 of 1,000 on 2 Nov");
    assert_eq!(actual[9], Some(50.0), "500 by 10 Nov");
    assert_eq!(actual[10], Some(50.0), "now is the start of 11 Nov");
    assert_eq!(actual[11], None, "no actual use in the future");
    let projected = &chart.series[1].values;
    assert_eq!(projected[9], None);
    // 50 % in 10 days: 5 % a day; the end of the last day is 150 %.
    assert!(
        (projected[29].unwrap() - 150.0).abs() < 1e-6,
        "{:?}",
        projected[29]
    );
    assert_eq!(chart.series[2].values, vec![Some(100.0); 30]);
    assert_eq!(charts[0].table.rows.len(), 11, "actual rows up to now");
}

/// Issue #15: 0.007623 USD of spend read "0.00 USD" on the card and in the tables, and
/// the top bars were drawn at the cent (a spend under half a cent: no bar at all).
/// Exports now carry their period, zone and filters in the image.
#[test]
fn sub_cent_spend_reads_and_draws_and_an_export_says_what_it_shows() {
    let mut r = request(PeriodPreset::Custom, "Europe/Berlin");
    r.custom_start = NaiveDate::from_ymd_opt(2026, 11, 1);
    r.custom_end = NaiveDate::from_ymd_opt(2026, 11, 3);
    r.bucket = Some(UsageBucket::Day);
    r.key_ids = vec!["k1".into(), "k9".into()];
    r.models = vec!["llama".into()];
    r.workload = Some("chat".into());
    let period = resolve_period(&r, utc(2026, 11, 22, 10)).unwrap();
    // 2,541 in × 1.00 + 2,541 out × 2.00 per million = 7,623 micros.
    let prices: HashMap<String, Price> =
        [("llama".to_string(), price("1.00", "2.00", "USD"))].into();
    let series = report(
        vec![row(
            Some(utc(2026, 11, 1, 0)),
            None,
            "llama",
            3,
            2_541,
            2_541,
        )],
        &[],
    );
    let totals = report(
        vec![row(None, Some("k1"), "llama", 3, 2_541, 2_541)],
        &[("k1", "payments")],
    );
    let previous = report(vec![], &[]);
    let analysis = Analysis::new(&period, &prices, &series, &totals, &previous, None);
    let keys = analysis.top_keys();
    let view = analysis.view("prj_a".into(), &r, keys, None, vec![]);
    assert_eq!(view.facts.summary.spend_by_currency[0].micros, 7_623);
    assert_eq!(view.facts.summary.spend_by_currency[0].text, "0.0076 USD");
    assert_eq!(
        view.facts.top_keys[0].spend.as_ref().unwrap().text,
        "0.0076 USD"
    );
    let Some(Chart::Bars(by_spend)) = view
        .charts
        .iter()
        .find(|c| c.id == "top_keys_spend")
        .map(|c| &c.chart)
    else {
        panic!("top keys by spend is a bar chart")
    };
    assert_eq!(
        by_spend.bars[0].value, 0.007_623,
        "drawn exactly, not at the cent"
    );

    let context = export_context(&view);
    assert_eq!(
        context,
        [
            "Custom range: 1 Nov 2026 – 3 Nov 2026, times in Europe/Berlin (UTC+01:00), daily buckets",
            "Project prj_a · Keys: payments (k1), k9 · Models: llama · Workload: chat",
        ]
    );
    for id in ["spend", "top_keys_spend"] {
        let svg = String::from_utf8(
            export_chart(
                &view,
                id,
                ImageFormat::Svg,
                crate::charts::Theme::Light,
                1200,
            )
            .unwrap(),
        )
        .unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let shown: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for line in &context {
            assert!(shown.contains(&line.as_str()), "{id}: {line} in {shown:?}");
        }
        // The screen's rendering of the same chart carries no such lines.
        let screen = &screen(&view, crate::charts::Theme::Light, 1200).unwrap();
        let on_screen = &screen.charts.iter().find(|c| c.id == id).unwrap().rendered;
        assert!(!on_screen.svg.contains("Europe/Berlin (UTC"));
        // The export is taller by its context, the plot keeps its size.
        let height: f64 = doc
            .root_element()
            .attribute("height")
            .unwrap()
            .parse()
            .unwrap();
        assert!(height > f64::from(on_screen.height), "{id}");
    }
    let png = export_chart(
        &view,
        "spend",
        ImageFormat::Png,
        crate::charts::Theme::Dark,
        1200,
    )
    .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // For a person to look at, beside the chart previews.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/charts-preview");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("export-spend-dark.png"), &png).unwrap();
    let error = export_chart(
        &view,
        "nope",
        ImageFormat::Svg,
        crate::charts::Theme::Dark,
        1200,
    )
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("chart_id"));
}
