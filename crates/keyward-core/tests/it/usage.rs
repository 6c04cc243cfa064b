//! Usage & Spend against the real gateway (issue #7): usage recorded through the
//! gateway's own meter (the proxy's metering path) with past timestamps, flushed to
//! its SQLite rollups, read over HTTP by the console, priced from a real price table.

use crate::harness::start_gateway;
use chrono::{DateTime, Duration, DurationRound, Utc};
use keyward_api::usage::UsageBucket;
use keyward_core::keychain::Keychain;
use keyward_core::prices::{ModelPrice, PriceTable};
use keyward_core::profiles::ProfileStore;
use keyward_core::usage::{self, PeriodPreset, SpendBy, UsageRequest};
use keyward_core::KeywardClient;
use keyward_gateway::meter::UsageEvent;

fn event(
    project: &str,
    key: &str,
    model: &str,
    at: DateTime<Utc>,
    input: u64,
    output: u64,
) -> UsageEvent {
    UsageEvent {
        project_id: project.into(),
        key_id: key.into(),
        model: model.into(),
        workload: "w".into(),
        at,
        input_tokens: input,
        output_tokens: output,
        estimated: false,
        error: false,
    }
}

fn price(model: &str, input: &str, output: &str) -> ModelPrice {
    ModelPrice {
        model: model.into(),
        input_per_million: input.into(),
        output_per_million: output.into(),
        currency: "USD".into(),
        updated_at: None,
    }
}

#[tokio::test]
async fn totals_spend_budgets_and_exports_match_what_was_metered() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, base_url, project, owner) = start_gateway(&dir.path().join("gw")).await;
    let profile = crate::harness::profile(base_url, &project, owner.expose());
    let client = KeywardClient::new();
    let platform = keyward_core::PlatformKind::Keyward
        .adapter(&keyward_core::Http::new())
        .unwrap();
    let form: keyward_core::keys::KeyForm = serde_json::from_value(serde_json::json!({
        "name": "=batch jobs", "description": "", "rpm": null, "tpm": null,
        "token_limit": 10_000_000, "token_limit_period": "month", "allowed_models": null,
        "workloads": "*", "labels": {}, "expiry": {"kind": "never"},
    }))
    .unwrap();
    let batch = client
        .create_key_with(&profile, &form.to_create(Utc::now()).unwrap())
        .await
        .unwrap()
        .key;
    let chat = client
        .create_key(&profile, "<script>alert(1)</script>")
        .await
        .unwrap()
        .key;

    let today = Utc::now().duration_trunc(Duration::days(1)).unwrap();
    let meter = gateway.meter();
    // Five days ago: batch on llama; two days ago: chat on qwen and llama; today: both.
    meter.record(event(
        &project,
        &batch.id,
        "llama",
        today - Duration::days(5) + Duration::hours(3),
        400_000,
        100_000,
    ));
    meter.record(event(
        &project,
        &chat.id,
        "qwen",
        today - Duration::days(2) + Duration::hours(9),
        1_000,
        500,
    ));
    meter.record(event(
        &project,
        &chat.id,
        "llama",
        today - Duration::days(2) + Duration::hours(9),
        2_000,
        1_000,
    ));
    meter.record(event(
        &project,
        &batch.id,
        "llama",
        today + Duration::minutes(1),
        600_000,
        200_000,
    ));
    meter.record(event(
        &project,
        &chat.id,
        "mystery-model",
        today + Duration::minutes(2),
        10,
        20,
    ));
    meter.flush(gateway.pool()).await.unwrap();

    let store = ProfileStore::open(
        &dir.path().join("console.db"),
        Keychain::new("keyward-usage-test"),
    )
    .await
    .unwrap();
    let prices = PriceTable::new(store.pool().clone());
    prices
        .set(&price("llama", "1.00", "2.00"), Utc::now())
        .await
        .unwrap();
    prices
        .set(&price("qwen", "0.50", "1.50"), Utc::now())
        .await
        .unwrap();
    let table = prices.prices().await.unwrap();

    let request = UsageRequest {
        preset: PeriodPreset::Last30Days,
        custom_start: None,
        custom_end: None,
        time_zone: "UTC".into(),
        bucket: None,
        project_id: None,
        key_ids: vec![],
        models: vec![],
        workload: None,
        spend_by: SpendBy::Key,
    };
    let view = usage::load_view(platform.as_ref(), &profile, &request, &table, Utc::now())
        .await
        .unwrap();
    assert_eq!(view.facts.bucket, UsageBucket::Day);
    assert_eq!(view.facts.summary.requests.current, 5.0);
    assert_eq!(view.facts.summary.input_tokens.current, 1_003_010.0);
    assert_eq!(view.facts.summary.output_tokens.current, 301_520.0);
    // llama: 1,002,000 in × 1.00 + 301,000 out × 2.00 = 1.604; qwen: 1,000 × 0.50 + 500 × 1.50 = 0.00125
    assert_eq!(view.facts.summary.spend.current, 1_605_250.0);
    assert_eq!(view.facts.summary.spend_by_currency[0].text, "1.61 USD");
    assert_eq!(view.facts.unpriced_models, vec!["mystery-model"]);
    assert_eq!(view.facts.summary.unpriced_tokens, 30);
    assert_eq!(view.facts.top_keys[0].name, "=batch jobs");
    assert_eq!(view.facts.top_keys[1].name, "<script>alert(1)</script>");
    // The budget: 1.3M of 10M used this month (if "five days ago" was this month).
    let budget = view
        .facts
        .budgets
        .iter()
        .find(|b| b.key_id == batch.id)
        .expect("batch has a budget");
    assert_eq!(budget.limit, 10_000_000);
    assert!(
        budget.used == 1_300_000 || budget.used == 800_000,
        "{budget:?}"
    );

    // Every chart renders, in both themes, and names keys only as escaped text.
    for theme in [
        keyward_core::charts::Theme::Light,
        keyward_core::charts::Theme::Dark,
    ] {
        let screen = usage::screen(&view, theme, 1000).unwrap();
        assert!(screen.charts.iter().any(|c| c.id == "spend"));
        for chart in &screen.charts {
            assert!(!chart.rendered.svg.contains("<script"), "{}", chart.id);
        }
        let top = screen
            .charts
            .iter()
            .find(|c| c.id == "top_keys_tokens")
            .unwrap();
        assert!(top.rendered.svg.contains("&lt;script&gt;"));
    }

    // CSV of the tokens chart: one row per day, summing to the totals; formulas defused.
    let tokens = view.charts.iter().find(|c| c.id == "tokens").unwrap();
    assert_eq!(tokens.table.rows.len(), 30);
    let csv = usage::to_csv(&tokens.table);
    let sum: i64 = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(sum, 1_003_010);
    let keys_csv = usage::to_csv(
        &view
            .charts
            .iter()
            .find(|c| c.id == "top_keys_tokens")
            .unwrap()
            .table,
    );
    assert!(keys_csv.contains(",'=batch jobs,"), "{keys_csv}");

    // The statement for this month: per key × model, then totals.
    let month = Utc::now().format("%Y-%m").to_string();
    let statement = usage::statement(platform.as_ref(), &profile, None, &month, "UTC", &table)
        .await
        .unwrap();
    let total = statement.rows.iter().find(|r| r[2] == "TOTAL").unwrap();
    assert_eq!(total[8], "USD");
    assert!(statement
        .rows
        .iter()
        .any(|r| r[3] == "mystery-model" && r[8] == "unpriced"));

    // The owner may read every project (the project filter lists them); a usage query
    // for another project's id by a token of this one is refused by the gateway.
    let projects = client.list_projects(&profile).await.unwrap();
    assert!(projects.iter().any(|p| p.id == project), "{projects:?}");

    // A viewer (finance) reads all of it.
    let minted: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/v1/projects/{project}/control-tokens",
            profile.base_url
        ))
        .bearer_auth(owner.expose())
        .json(&serde_json::json!({"name": "finance", "role": "viewer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let as_viewer = crate::harness::profile(
        profile.base_url.clone(),
        &project,
        minted["secret"].as_str().unwrap(),
    );
    let seen = usage::load_view(platform.as_ref(), &as_viewer, &request, &table, Utc::now())
        .await
        .unwrap();
    assert_eq!(seen.facts.summary.requests.current, 5.0);
    let elsewhere = UsageRequest {
        project_id: Some("prj_someone_else".into()),
        ..request.clone()
    };
    let refused = usage::load_view(
        platform.as_ref(),
        &as_viewer,
        &elsewhere,
        &table,
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused.code,
        keyward_core::ErrorCode::Forbidden,
        "{refused:?}"
    );
}
