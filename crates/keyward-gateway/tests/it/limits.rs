//! Limits that hold under concurrency (issue #6): rpm and tpm as GCRA limiters with
//! OpenAI's 429 headers, and token budgets by reservation — 64 concurrent clients
//! against a small budget spend at most the budget plus one request's reservation.

use crate::upstream::Upstream;
use crate::util::{status_json, TestGateway};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;

async fn setup(key_body: Value) -> (TestGateway, Upstream, String, String) {
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    let (status, body) = status_json(
        gw.control(Method::POST, &format!("/api/projects/{}/workloads", gw.project_id))
            .json(&json!({"name": "chat", "slug": "chat", "model_name": "llama", "backend": "vllm", "upstream_url": up.url}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, key) = status_json(
        gw.control(Method::POST, &gw.keys_path())
            .json(&key_body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    let id = key["id"].as_str().unwrap().to_owned();
    let secret = key["secret"].as_str().unwrap().to_owned();
    (gw, up, id, secret)
}

/// One chat completion through the gateway with `max_tokens`.
async fn send_chat(gw: &TestGateway, secret: &str, max_tokens: u64) -> reqwest::Response {
    gw.http
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(secret)
        .json(&chat(max_tokens))
        .send()
        .await
        .unwrap()
}

fn chat(max_tokens: u64) -> Value {
    json!({"model": "chat", "max_tokens": max_tokens, "messages": [{"role": "user", "content": "Hi"}]})
}

#[tokio::test]
async fn rpm_allows_exactly_the_configured_requests_then_429_with_headers() {
    let (gw, _up, _, secret) = setup(json!({"name": "rpm", "rpm": 5})).await;
    for i in 0..5 {
        let response = send_chat(&gw, &secret, 10).await;
        assert_eq!(response.status(), 200, "request {i} of 5");
        let h = response.headers();
        assert_eq!(h["x-ratelimit-limit-requests"], "5");
        assert_eq!(
            h["x-ratelimit-remaining-requests"].to_str().unwrap(),
            (4 - i).to_string()
        );
        assert!(h.contains_key("x-ratelimit-reset-requests"));
    }
    let refused = send_chat(&gw, &secret, 10).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(refused.headers()["x-ratelimit-remaining-requests"], "0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("5 requests per minute"));
}

#[tokio::test]
async fn tpm_charges_the_estimate_and_refuses_what_can_never_fit() {
    let (gw, _up, _, secret) = setup(json!({"name": "tpm", "tpm": 2000})).await;
    let mut ok = 0;
    let mut last = None;
    for _ in 0..5 {
        let response = send_chat(&gw, &secret, 600).await;
        if response.status() == 200 {
            ok += 1;
            assert_eq!(response.headers()["x-ratelimit-limit-tokens"], "2000");
        } else {
            last = Some(response);
            break;
        }
    }
    assert_eq!(
        ok, 3,
        "three requests of ~620 tokens fit in 2000 tokens a minute"
    );
    let refused = last.expect("the fourth is refused");
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.headers()["x-ratelimit-remaining-tokens"], "0");
    let (status, body) = status_json(send_chat(&gw, &secret, 5000).await).await;
    assert_eq!(status, 429);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("more than the 2000 tokens per minute"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_budget_holds_against_64_concurrent_clients() {
    const BUDGET: i64 = 6_000;
    let (gw, _up, key_id, secret) =
        setup(json!({"name": "budget", "token_limit": BUDGET, "token_limit_period": "day"})).await;
    let gw = Arc::new(gw);
    let mut clients = Vec::new();
    for _ in 0..64 {
        let gw = gw.clone();
        let secret = secret.clone();
        clients.push(tokio::spawn(async move {
            let mut served = 0u64;
            loop {
                let response = send_chat(&gw, &secret, 100).await;
                match response.status().as_u16() {
                    200 => served += 1,
                    429 => {
                        let body: Value = response.json().await.unwrap();
                        assert!(
                            body["error"]["message"]
                                .as_str()
                                .unwrap()
                                .contains("Token budget exhausted"),
                            "{body}"
                        );
                        return served;
                    }
                    other => panic!("unexpected {other}"),
                }
            }
        }));
    }
    let mut served = 0;
    for client in clients {
        served += client.await.unwrap();
    }
    gw.gateway.flush_usage().await.unwrap();
    let (used,): (i64,) =
        sqlx::query_as("SELECT input_tokens + output_tokens FROM inference_keys WHERE id = ?")
            .bind(&key_id)
            .fetch_one(gw.gateway.pool())
            .await
            .unwrap();
    // Each answer uses 18 tokens (11 in, 7 out); a reservation is ~130.
    let one_reservation = 130;
    assert!(used <= BUDGET + one_reservation, "spent {used} of {BUDGET}");
    assert_eq!(used, served as i64 * 18, "metered exactly what was served");
    assert!(
        used >= BUDGET - 64 * one_reservation,
        "the budget was used, not refused early: {used}"
    );
}

#[tokio::test]
async fn a_failed_upstream_releases_its_reservation() {
    let (gw, up, key_id, secret) =
        setup(json!({"name": "release", "token_limit": 400, "token_limit_period": "hour"})).await;
    up.script.lock().unwrap().fail_with = Some(500);
    for _ in 0..10 {
        let status = send_chat(&gw, &secret, 200).await.status();
        assert_eq!(status, 500, "a failure never consumes the budget");
    }
    up.script.lock().unwrap().fail_with = None;
    let status = send_chat(&gw, &secret, 200).await.status();
    assert_eq!(status, 200, "the whole budget is still there");
    gw.gateway.flush_usage().await.unwrap();
    let (used,): (i64,) =
        sqlx::query_as("SELECT input_tokens + output_tokens FROM inference_keys WHERE id = ?")
            .bind(&key_id)
            .fetch_one(gw.gateway.pool())
            .await
            .unwrap();
    assert_eq!(used, 18);
}

#[tokio::test]
async fn a_budget_survives_a_restart_through_the_rollups() {
    let (gw, _up, key_id, secret) =
        setup(json!({"name": "restart", "token_limit": 300, "token_limit_period": "day"})).await;
    // Spend most of the budget in usage rows a previous process wrote.
    sqlx::query("INSERT INTO usage_hour (project_id, key_id, model, workload, bucket, requests, input_tokens, output_tokens) VALUES (?, ?, 'llama', 'chat', ?, 1, 200, 50)")
        .bind(&gw.project_id)
        .bind(&key_id)
        .bind(chrono::Utc::now() - chrono::Duration::minutes(1))
        .execute(gw.gateway.pool())
        .await
        .unwrap();
    let (status, body) = status_json(send_chat(&gw, &secret, 100).await).await;
    assert_eq!(status, 429, "250 of 300 already used: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("50 remain"),
        "{body}"
    );
}
