//! Usage & Spend in the real app (issue #7): traffic with two keys on two models goes
//! through the embedded gateway's data plane to an upstream this test runs; the screen
//! must show exactly what was sent (requests and tokens), the price table must turn
//! tokens into spend, the CSV export must hold the same numbers, and every chart is
//! captured in both themes under `target/e2e/usage/`.

use axum::routing::post;
use axum::{Json, Router};
use keyward_e2e::App;
use serde_json::{json, Value};

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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if value_of(app, "usage-total-requests").await == requests {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the usage screen never showed {requests} requests"
        );
        app.click("[data-testid='usage-refresh']").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

const CHARTS: [&str; 4] = ["tokens", "requests", "spend", "top_keys_tokens"];

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
    let second = control(&base, &owner, &keys_path, json!({"name": "batch"})).await;
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

    app.click("[data-testid='nav-usage']").await;
    wait_requests(&app, "10").await;
    assert_eq!(value_of(&app, "usage-total-input-tokens").await, "182");
    assert_eq!(value_of(&app, "usage-total-output-tokens").await, "58");

    // Price alpha at 1,000 / 2,000 per 1M: 44 × 1000 + 28 × 2000 = 100,000 micros = 0.10 USD.
    app.click("[data-testid='usage-prices-open']").await;
    app.fill("[data-testid='price-model']", "alpha").await;
    app.fill("[data-testid='price-input']", "1000").await;
    app.fill("[data-testid='price-output']", "2000").await;
    app.fill("[data-testid='price-currency']", "USD").await;
    app.click("[data-testid='price-save']").await;
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Escape.to_string())
        .await
        .unwrap();
    app.click("[data-testid='usage-refresh']").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while value_of(&app, "usage-total-spend").await != "100000" {
        assert!(
            std::time::Instant::now() < deadline,
            "spend never became 0.10 USD"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let page = app.client.source().await.unwrap();
    assert!(page.contains("beta"), "the unpriced model is named");
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "a key name is never markup"
    );

    // CSV of the tokens chart: the same totals.
    app.click("[data-testid='usage-export-tokens-csv']").await;
    let csv_path = exports.path().join("keyward-tokens.csv");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !csv_path.exists() {
        assert!(std::time::Instant::now() < deadline, "no CSV was written");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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

    capture_charts(&app, "light").await;
    let app = app.restart_with(&[("GTK_THEME", "Adwaita:dark")]).await;
    app.click("[data-testid='nav-usage']").await;
    wait_requests(&app, "10").await;
    capture_charts(&app, "dark").await;
    app.close().await;
}
