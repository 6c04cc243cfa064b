//! Usage & Spend in the real app (issue #7): traffic with two keys on two models goes
//! through the embedded gateway's data plane to an upstream this test runs; the screen
//! must show exactly what was sent (requests and tokens), the price table must turn
//! tokens into spend, the CSV export must hold the same numbers, every chart is
//! captured in both themes under `target/e2e/usage/`, and a viewer (finance) profile
//! sees the same numbers with no button that changes keys.

use axum::routing::post;
use axum::{Json, Router};
use keyward_e2e::{try_until, wait_until, App};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// An OpenAI-compatible upstream that reports fixed usage per model:
/// alpha 11 in / 7 out, beta 23 in / 5 out.
async fn upstream() -> String {
    async fn chat(Json(body): Json<Value>) -> Json<Value> {
        let model = body["model"].as_str().unwrap_or_default().to_owned();
        let (input, output) = if model == "beta" { (23, 5) } else { (11, 7) };
        Json(json!({
            "id": "chatcmpl-e2e", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output},
        }))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().route("/v1/chat/completions", post(chat));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn control(base: &str, token: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

async fn value_of(app: &App, testid: &str) -> String {
    app.wait_for(&format!("[data-testid='{testid}']"))
        .await
        .attr("data-value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Waits until the summary shows `requests` (the meter flushes every second).
async fn wait_requests(app: &App, requests: &str) {
    let shown = try_until(Instant::now() + Duration::from_secs(20), async || {
        let total = app
            .client
            .find(fantoccini::Locator::Css(
                "[data-testid='usage-total-requests']",
            ))
            .await;
        let shown = match total {
            Ok(total) => total.attr("data-value").await.unwrap(),
            Err(_) => None,
        };
        if shown.as_deref() == Some(requests) {
            return Ok(());
        }
        // Not metered yet, or not loaded since: load again (a no-op while loading).
        refresh(app).await;
        Err(shown)
    })
    .await;
    if let Err(shown) = shown {
        app.screenshot("usage-timeout").await;
        panic!("the usage screen never showed {requests} requests; last showed {shown:?}");
    }
}

/// Opens Usage & Spend, clicking again if a layout shift (a banner appearing at start-up)
/// sent the first click to a neighbouring entry.
async fn open_usage(app: &App) {
    for _ in 0..5 {
        app.click("[data-testid='nav-usage']").await;
        let opened = try_until(Instant::now() + Duration::from_secs(3), async || {
            let found = app
                .client
                .find_all(fantoccini::Locator::Css("[data-testid='usage-screen']"))
                .await
                .unwrap();
            if found.is_empty() {
                Err(())
            } else {
                Ok(())
            }
        })
        .await;
        if opened.is_ok() {
            return;
        }
    }
    panic!("the Usage & Spend screen did not open");
}

/// Asks the screen to load again (the meter writes usage a second after it happens).
/// Exports the tokens chart as SVG (into the export directory) and reads it, waiting
/// for a file newer than any before.
async fn export_svg(app: &App, dir: &std::path::Path) -> String {
    let path = dir.join("keyward-tokens.svg");
    let _ = std::fs::remove_file(&path);
    let button = "[data-testid='usage-export-tokens-svg']";
    app.scroll_into_view(button).await;
    app.click(button).await;
    wait_file(&path).await;
    std::fs::read_to_string(&path).unwrap()
}

/// Waits until an export has written `path`.
async fn wait_file(path: &Path) {
    wait_until(
        Instant::now() + Duration::from_secs(10),
        &format!("an export to write {}", path.display()),
        async || match path.exists() {
            true => Ok(()),
            false => Err("no such file"),
        },
    )
    .await
}

async fn refresh(app: &App) {
    app.client
        .execute(
            "const b = document.querySelector(\"[data-testid='usage-refresh']\"); if (b && !b.disabled) b.click();",
            vec![],
        )
        .await
        .unwrap();
}

/// Every chart the screen draws for this traffic (a spend chart needs a price; a
/// burn-down needs a budget: both are set up above).
const CHARTS: [&str; 9] = [
    "tokens",
    "requests",
    "errors",
    "spend",
    "top_keys_spend",
    "top_keys_tokens",
    "top_models_spend",
    "top_models_tokens",
    "budget_month",
];

async fn capture_charts(app: &App, theme: &str) {
    for id in CHARTS {
        app.wait_for(&format!("[data-testid='usage-chart-{id}'] img"))
            .await;
        app.screenshot_of(
            &format!("[data-testid='usage-chart-{id}']"),
            &format!("{theme}-chart-{id}"),
        )
        .await;
    }
    app.screenshot(&format!("{theme}-usage")).await;
}

#[tokio::test]
async fn the_screen_shows_exactly_the_traffic_sent_and_exports_it() {
    let exports = tempfile::tempdir().unwrap();
    let export_dir = exports.path().to_string_lossy().into_owned();
    let app = App::launch_with(
        "usage",
        &[
            ("GTK_THEME", "Adwaita"),
            ("KEYWARD_E2E_EXPORT_DIR", &export_dir),
        ],
    )
    .await;
    let (base, project, owner) = app.local_gateway().await;
    let upstream = upstream().await;
    for model in ["alpha", "beta"] {
        control(
            &base,
            &owner,
            &format!("/api/projects/{project}/workloads"),
            json!({"name": model, "slug": model, "model_name": model, "backend": "vllm", "upstream_url": upstream}),
        )
        .await;
    }
    let keys_path = format!("/v1/projects/{project}/inference/keys");
    let first = control(
        &base,
        &owner,
        &keys_path,
        json!({"name": "<script>alert(1)</script>"}),
    )
    .await;
    let second = control(
        &base,
        &owner,
        &keys_path,
        json!({"name": "batch", "token_limit": 1000, "token_limit_period": "month"}),
    )
    .await;
    // first: alpha ×3, beta ×2; second: alpha ×1, beta ×4.
    let http = reqwest::Client::new();
    for (key, model, times) in [
        (&first, "alpha", 3),
        (&first, "beta", 2),
        (&second, "alpha", 1),
        (&second, "beta", 4),
    ] {
        for _ in 0..times {
            let response = http
                .post(format!("{base}/v1/chat/completions"))
                .bearer_auth(key["secret"].as_str().unwrap())
                .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
    // 10 requests; input 4 × 11 + 6 × 23 = 182; output 4 × 7 + 6 × 5 = 58.

    open_usage(&app).await;
    let first = app
        .wait_for("[data-testid='usage-total-requests'], [data-testid='usage-empty'], [data-testid='usage-error']")
        .await;
    if first.attr("data-testid").await.unwrap().as_deref() == Some("usage-error") {
        app.screenshot("usage-error").await;
        let raw = app
            .client
            .execute_async(
                "const done = arguments[0]; window.__TAURI_INTERNALS__.invoke('usage_view', {request: {preset: 'last_7_days', custom_start: null, custom_end: null, time_zone: 'UTC', bucket: null, project_id: null, key_ids: [], models: [], workload: null, spend_by: 'model'}, theme: 'light', width: 800}).then((v) => done('ok'), (e) => done(JSON.stringify(e)));",
                vec![],
            )
            .await
            .unwrap();
        panic!(
            "the usage screen failed: {} (raw: {raw})",
            first.text().await.unwrap()
        );
    }
    wait_requests(&app, "10").await;
    assert_eq!(value_of(&app, "usage-total-input-tokens").await, "182");
    assert_eq!(value_of(&app, "usage-total-output-tokens").await, "58");

    // Price alpha at 1,000 / 2,000 per 1M: 44 × 1000 + 28 × 2000 = 100,000 micros = 0.10 USD.
    app.click("[data-testid='usage-prices-open']").await;
    app.fill("[data-testid='price-model']", "alpha").await;
    app.fill("[data-testid='price-input']", "1000").await;
    app.fill("[data-testid='price-output']", "2000").await;
    app.fill("[data-testid='price-currency']", "USD").await;
    app.screenshot("light-price-table").await;
    app.click("[data-testid='price-save']").await;
    app.press_escape().await;
    // Escape may come while the save is still in flight: the dialog closes once it is saved.
    app.wait_gone("[data-testid='price-table']").await;
    refresh(&app).await;
    wait_until(
        Instant::now() + Duration::from_secs(20),
        "spend of 0.10 USD (100000)",
        async || match value_of(&app, "usage-total-spend").await {
            spend if spend == "100000" => Ok(()),
            spend => Err(spend),
        },
    )
    .await;
    let page = app.client.source().await.unwrap();
    assert!(page.contains("beta"), "the unpriced model is named");
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "a key name is never markup"
    );

    // CSV of the tokens chart: the same totals.
    let export = "[data-testid='usage-export-tokens-csv']";
    app.scroll_into_view(export).await;
    app.screenshot("light-before-export").await;
    app.click(export).await;
    let csv_path = exports.path().join("keyward-tokens.csv");
    wait_file(&csv_path).await;
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let sum = |name: &str| -> i64 {
        csv.lines()
            .skip(1)
            .map(|l| {
                l.split(',')
                    .nth(column(name))
                    .unwrap()
                    .parse::<i64>()
                    .unwrap()
            })
            .sum()
    };
    assert_eq!(
        (sum("requests"), sum("input_tokens"), sum("output_tokens")),
        (10, 182, 58),
        "{csv}"
    );

    // SVG of the tokens chart: the period, zone and filters are in the image (issue #15).
    let svg = export_svg(&app, exports.path()).await;
    for line in [
        "Last 7 days: ",
        "times in UTC (UTC+00:00), hourly buckets",
        "Keys: all · Models: all · Workload: all",
    ] {
        assert!(svg.contains(line), "{line} in the exported SVG");
    }

    // The key picker: type part of a name, Enter picks it; the export says so too.
    app.click("[data-testid='usage-filter-keys-input']").await;
    app.fill("[data-testid='usage-filter-keys-input']", "bat")
        .await;
    app.wait_for("[data-testid='usage-filter-keys-option']")
        .await;
    app.screenshot("light-key-picker").await;
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .unwrap();
    wait_requests(&app, "5").await;
    let svg = export_svg(&app, exports.path()).await;
    assert!(
        svg.contains(&format!("Keys: batch ({})", second["id"].as_str().unwrap())),
        "the filtered key in the exported SVG"
    );
    // Back in the box: Escape closes the list, Escape again clears the text, Backspace
    // in the empty box takes the chip off — all keys again.
    app.click("[data-testid='usage-filter-keys-input']").await;
    let escape = fantoccini::key::Key::Escape.to_string();
    app.wait_for("[data-testid='usage-filter-keys-input']")
        .await
        .send_keys(&format!(
            "{escape}{escape}{}",
            fantoccini::key::Key::Backspace
        ))
        .await
        .unwrap();
    wait_requests(&app, "10").await;

    capture_charts(&app, "light").await;
    let app = app.restart_with(&[("GTK_THEME", "Adwaita:dark")]).await;
    open_usage(&app).await;
    wait_requests(&app, "10").await;
    capture_charts(&app, "dark").await;

    // Finance works with a viewer token: the same numbers, no button that changes keys.
    let viewer = control(
        &base,
        &owner,
        &format!("/v1/projects/{project}/control-tokens"),
        json!({"name": "finance", "role": "viewer"}),
    )
    .await;
    let finance = app
        .add_profile(
            "Finance",
            &base,
            &project,
            viewer["secret"].as_str().unwrap(),
        )
        .await;
    app.switch_profile(&finance).await;
    open_usage(&app).await;
    wait_requests(&app, "10").await;
    assert_eq!(value_of(&app, "usage-total-input-tokens").await, "182");
    app.click("[data-testid='nav-keys']").await;
    app.wait_for("[data-testid='keys-read-only']").await;
    app.wait_for("[data-testid='key-row']").await;
    for mutating in ["create-key", "key-revoke", "keys-bulk-revoke"] {
        let found = app
            .client
            .find_all(fantoccini::Locator::Css(&format!(
                "[data-testid='{mutating}']"
            )))
            .await
            .unwrap();
        assert!(found.is_empty(), "a viewer is offered {mutating}");
    }
    app.screenshot("dark-keys-viewer").await;
    app.click("[data-testid='nav-workloads']").await;
    app.wait_for("[data-testid='workloads-read-only']").await;
    let create = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='create-workload']"))
        .await
        .unwrap();
    assert!(create.is_empty(), "a viewer is offered New workload");
    app.close().await;
}
