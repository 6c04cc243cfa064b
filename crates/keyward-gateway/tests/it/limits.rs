//! Limits that hold under concurrency (issue #6): rpm and tpm as GCRA limiters with
//! OpenAI's 429 headers, and token budgets by reservation — 64 concurrent clients
//! against a small budget spend at most the budget plus one request's reservation.
//! Issue #15: the reservation covers the bound in every form the upstream reads
//! (`5000.0`, `"5000"`) times `n`/`best_of`, and every answer carries all six
//! `x-ratelimit-*` headers.

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
    post(gw, secret, "/v1/chat/completions", &chat(max_tokens)).await
}

/// `body` posted to `path` with the key `secret`.
async fn post(gw: &TestGateway, secret: &str, path: &str, body: &Value) -> reqwest::Response {
    gw.http
        .post(gw.url(path))
        .bearer_auth(secret)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn chat(max_tokens: u64) -> Value {
    json!({"model": "chat", "max_tokens": max_tokens, "messages": [{"role": "user", "content": "Hi"}]})
}

/// Sends `body` to `path` from `clients` tasks at once; their statuses.
async fn concurrently(
    gw: Arc<TestGateway>,
    secret: String,
    path: &'static str,
    body: Value,
    clients: usize,
) -> Vec<u16> {
    let sends: Vec<_> = (0..clients)
        .map(|_| {
            let (gw, secret, body) = (gw.clone(), secret.clone(), body.clone());
            tokio::spawn(async move {
                let response = post(&gw, &secret, path, &body).await;
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for send in sends {
        statuses.push(send.await.unwrap());
    }
    statuses
}

/// How many of `statuses` were served; anything but 200 or a 429 fails the `case`.
fn served(statuses: &[u16], case: &str) -> usize {
    for status in statuses {
        assert!(matches!(status, 200 | 429), "{case}: status {status}");
    }
    statuses.iter().filter(|&&s| s == 200).count()
}

/// The tokens metered for a key, once the meter has flushed.
async fn tokens_used(gw: &TestGateway, key_id: &str) -> i64 {
    gw.gateway.flush_usage().await.unwrap();
    let (used,): (i64,) = keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
        "SELECT input_tokens + output_tokens FROM inference_keys WHERE id = $1"
    )
    .bind(key_id)
    .fetch_one(e)
    .await)
    .unwrap();
    used
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
    let remaining: u64 = header(&refused, "x-ratelimit-remaining-tokens");
    assert!(
        (140..620).contains(&remaining),
        "what is left (2000 − 3 × ~620, refilling), less than the request needs: {remaining}"
    );
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
    let used = tokens_used(&gw, &key_id).await;
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
    let used = tokens_used(&gw, &key_id).await;
    assert_eq!(used, 18);
}

#[tokio::test]
async fn a_budget_survives_a_restart_through_the_rollups() {
    let (gw, _up, key_id, secret) =
        setup(json!({"name": "restart", "token_limit": 300, "token_limit_period": "day"})).await;
    // Spend most of the budget in usage rows a previous process wrote.
    keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query("INSERT INTO usage_hour (project_id, key_id, model, workload, bucket, requests, input_tokens, output_tokens) VALUES ($1, $2, 'llama', 'chat', $3, 1, 200, 50)")
        .bind(&gw.project_id)
        .bind(&key_id)
        .bind(chrono::Utc::now() - chrono::Duration::minutes(1))
        .execute(e)
        .await
        .map(|done| done.rows_affected()))
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

fn header<T: std::str::FromStr>(response: &reqwest::Response, name: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

const RATE_HEADERS: [&str; 6] = [
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
];

/// The six headers of `response`, as (limit, remaining) for requests and tokens.
fn six(response: &reqwest::Response) -> ((u64, u64), (u64, u64)) {
    for name in RATE_HEADERS {
        assert!(
            response.headers().contains_key(name),
            "{name} missing from a {}: {:?}",
            response.status(),
            response.headers()
        );
    }
    for name in ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"] {
        let reset = response.headers()[name].to_str().unwrap();
        assert!(
            reset.ends_with('s') && reset.starts_with(|c: char| c.is_ascii_digit()),
            "{name}: {reset}"
        );
    }
    (
        (
            header(response, "x-ratelimit-limit-requests"),
            header(response, "x-ratelimit-remaining-requests"),
        ),
        (
            header(response, "x-ratelimit-limit-tokens"),
            header(response, "x-ratelimit-remaining-tokens"),
        ),
    )
}

fn retry_after(response: &reqwest::Response) -> u64 {
    header(response, "retry-after")
}

const UNLIMITED: (u64, u64) = (4_294_967_295, 4_294_967_295);

/// Issue #15: a 429 for rpm carried only the three `-requests` headers.
#[tokio::test]
async fn every_200_and_every_429_carries_all_six_rate_headers() {
    // rpm and tpm: the rpm refusal still tells what is left of tpm, uncharged. A
    // request is ~323 tokens (a ~90-byte body and max_tokens 300); tpm refills
    // 1000 / 60 a second, so a charge takes ~19 s to come back.
    let (gw, up, _, secret) = setup(json!({"name": "both", "rpm": 2, "tpm": 1000})).await;
    let ok = send_chat(&gw, &secret, 300).await;
    assert_eq!(ok.status(), 200);
    let (requests, (_, after_one)) = six(&ok);
    assert_eq!(requests, (2, 1));
    assert!((600..=700).contains(&after_one), "{after_one}");
    assert_eq!(send_chat(&gw, &secret, 300).await.status(), 200);
    let refused = send_chat(&gw, &secret, 300).await;
    assert_eq!(refused.status(), 429);
    let (requests, tokens) = six(&refused);
    assert_eq!(requests, (2, 0));
    assert_eq!(tokens.0, 1000);
    assert!(
        (300..=after_one - 150).contains(&tokens.1),
        "two requests charged, the refused one not: {tokens:?}"
    );
    assert!((1..=60).contains(&retry_after(&refused)));

    // tpm only: requests unlimited, tokens refused.
    let (_, secret) = crate::dataplane::key(&gw, json!({"name": "tpm", "tpm": 500})).await;
    let refused = send_chat(&gw, &secret, 600).await;
    assert_eq!(refused.status(), 429);
    let (requests, tokens) = six(&refused);
    assert_eq!((requests, tokens), (UNLIMITED, (500, 500)));
    assert!(retry_after(&refused) >= 1);

    // A budget only: its 429 tells the budget, resetting when it renews.
    let (_, secret) = crate::dataplane::key(
        &gw,
        json!({"name": "budget", "token_limit": 300, "token_limit_period": "hour"}),
    )
    .await;
    let ok = send_chat(&gw, &secret, 100).await;
    assert_eq!(ok.status(), 200);
    let (requests, tokens) = six(&ok);
    assert_eq!(requests, UNLIMITED);
    assert_eq!(tokens.0, 300);
    assert!(tokens.1 < 300 - 100, "the reservation is taken: {tokens:?}");
    let refused = send_chat(&gw, &secret, 280).await;
    assert_eq!(refused.status(), 429);
    let (requests, tokens) = six(&refused);
    assert_eq!(requests, UNLIMITED);
    assert_eq!(tokens, (300, 300 - 18), "18 tokens were used");
    let reset = refused.headers()["x-ratelimit-reset-tokens"]
        .to_str()
        .unwrap();
    assert!(reset.contains('m') || reset.ends_with('s'), "{reset}");
    assert!((1..=3600).contains(&retry_after(&refused)));

    // No limits at all: the 200 still says so, in numbers.
    let (_, secret) = crate::dataplane::key(&gw, json!({"name": "free"})).await;
    let ok = send_chat(&gw, &secret, 100).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(six(&ok), (UNLIMITED, UNLIMITED));
    drop(up);
}

/// A bound in one form; `member` the field it is written in.
struct Form {
    member: &'static str,
    value: Value,
}

/// The worst case of every request below: 5000 tokens, written as `5000` tokens in one
/// of the forms vLLM reads, or as 1000 tokens times 5 completions.
fn forms() -> Vec<Form> {
    let mut forms = Vec::new();
    for member in ["max_tokens", "max_completion_tokens"] {
        for value in [
            json!(5000),
            json!(5000.0),
            json!("5000"),
            json!(5e3),
            json!(" 5_000 "),
        ] {
            forms.push(Form { member, value });
        }
    }
    for member in ["n", "best_of"] {
        for value in [json!(5), json!(5.0), json!("5"), json!("5.0")] {
            forms.push(Form { member, value });
        }
    }
    forms
}

/// Issue #15: three concurrent chats with `max_tokens: 5000.0` (or `"5000"`) against a
/// 3,000-token budget were each reserved the default and served 10,002 tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_budget_reserves_the_bound_in_every_form_the_upstream_reads() {
    const BUDGET: i64 = 6_000;
    const CLIENTS: usize = 8;
    let gw = Arc::new(TestGateway::start().await);
    let up = Upstream::start().await;
    up.script.lock().unwrap().generate_to_bound = true;
    crate::dataplane::workload(&gw, "chat", "llama", Some(&up.url)).await;
    let mut cases = Vec::new();
    for (i, form) in forms().into_iter().enumerate() {
        let (key_id, secret) = crate::dataplane::key(
            &gw,
            json!({"name": format!("form {i}"), "token_limit": BUDGET, "token_limit_period": "day"}),
        )
        .await;
        let (path, mut body) = match form.member {
            // best_of is a completions member.
            "best_of" => (
                "/v1/completions",
                json!({"model": "chat", "prompt": "Hi", "max_tokens": 1000}),
            ),
            "n" => (
                "/v1/chat/completions",
                json!({"model": "chat", "max_tokens": 1000, "messages": [{"role": "user", "content": "Hi"}]}),
            ),
            _ => (
                "/v1/chat/completions",
                json!({"model": "chat", "messages": [{"role": "user", "content": "Hi"}]}),
            ),
        };
        body[form.member] = form.value.clone();
        let clients = tokio::spawn(concurrently(gw.clone(), secret, path, body, CLIENTS));
        cases.push((form, key_id, clients));
    }
    for (form, key_id, clients) in cases {
        let statuses = clients.await.unwrap();
        let served = served(&statuses, &format!("{} = {}", form.member, form.value));
        let used = tokens_used(&gw, &key_id).await;
        // One reservation: 5000 tokens of output and a prompt of a few dozen.
        let one_reservation = 5_100;
        assert!(
            used <= BUDGET + one_reservation,
            "{} = {}: {served} of {CLIENTS} served, {used} tokens spent of {BUDGET}",
            form.member,
            form.value
        );
        assert_eq!(
            served, 1,
            "{} = {}: exactly one 5000-token request fits in {BUDGET}",
            form.member, form.value
        );
    }
    // What reached the upstream is the plain integer the budget reserved for.
    let received = up.script.lock().unwrap().received.clone();
    for body in &received {
        for member in ["max_tokens", "max_completion_tokens", "n", "best_of"] {
            if let Some(value) = body.get(member) {
                assert!(value.is_u64(), "{member} forwarded as {value}");
            }
        }
    }
}

/// Issue #15: a budgeted key's request that sets no output bound was reserved the
/// default while the upstream could generate up to the model's context, so concurrent
/// unbounded chats overspent the budget many times over. The gateway now tells the
/// upstream the bound it reserved for.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unbounded_requests_of_a_budgeted_key_cannot_overspend_together() {
    const BUDGET: i64 = 3_000;
    const CLIENTS: usize = 8;
    let gw = Arc::new(TestGateway::start().await);
    let up = Upstream::start().await;
    up.script.lock().unwrap().generate_to_bound = true;
    crate::dataplane::workload(&gw, "chat", "llama", Some(&up.url)).await;
    for (i, bound) in [None, Some(json!(null)), Some(json!(0))]
        .into_iter()
        .enumerate()
    {
        let (key_id, secret) = crate::dataplane::key(
            &gw,
            json!({"name": format!("unbounded {i}"), "token_limit": BUDGET, "token_limit_period": "day"}),
        )
        .await;
        let mut body = json!({"model": "chat", "messages": [{"role": "user", "content": "Hi"}]});
        if let Some(bound) = &bound {
            body["max_tokens"] = bound.clone();
        }
        let statuses =
            concurrently(gw.clone(), secret, "/v1/chat/completions", body, CLIENTS).await;
        let served = served(&statuses, &format!("max_tokens {bound:?}"));
        let used = tokens_used(&gw, &key_id).await;
        // One reservation: the default answer and a prompt of a few dozen tokens.
        let one_reservation = 1_100;
        assert!(
            served >= 1 && used <= BUDGET + one_reservation,
            "max_tokens {bound:?}: {served} of {CLIENTS} served, {used} tokens spent of {BUDGET}"
        );
    }
    let received = up.script.lock().unwrap().received.clone();
    assert!(!received.is_empty());
    for body in &received {
        assert_eq!(body["max_tokens"], 1024, "forwarded {body}");
    }
}

/// A bound the gateway cannot read is refused, naming it, and never forwarded.
#[tokio::test]
async fn a_bound_that_cannot_be_read_is_refused_with_400_naming_it() {
    let (gw, up, _, secret) =
        setup(json!({"name": "strict", "token_limit": 3000, "token_limit_period": "day"})).await;
    for (member, value) in [
        ("max_tokens", json!(5000.5)),
        ("max_tokens", json!(-1)),
        ("max_tokens", json!("lots")),
        ("max_completion_tokens", json!(1e12)),
        ("max_completion_tokens", json!([5000])),
        ("n", json!("two")),
        ("n", json!(-2)),
        ("best_of", json!(2.5)),
        ("best_of", json!({"n": 2})),
    ] {
        let mut body = chat(10);
        body[member] = value.clone();
        let (status, error) =
            status_json(post(&gw, &secret, "/v1/chat/completions", &body).await).await;
        assert_eq!(status, 400, "{member} = {value}: {error}");
        assert_eq!(error["error"]["field"], member, "{error}");
        assert_eq!(error["error"]["type"], "invalid_request_error");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("`{member}` must be a whole number")),
            "{message}"
        );
    }
    assert!(up.script.lock().unwrap().received.is_empty());

    // A bound read fine but beyond the whole budget: the 429 says waiting won't help.
    let mut body = chat(10);
    body["max_tokens"] = json!("5000");
    let (status, error) =
        status_json(post(&gw, &secret, "/v1/chat/completions", &body).await).await;
    assert_eq!(status, 429, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("more than the 3000 tokens per day this API key may use at all"),
        "{message}"
    );
}
