//! Injected faults: each kind, the platform's error shape and `Retry-After`, consumption
//! in order and only on matching paths, and the HTTP control route e2e tests use.

use crate::util::{client, get, send, with_auth};
use keyward_fakes::faults::Fault;
use keyward_fakes::{anthropic, openai, Fake};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn status_faults_answer_in_the_platforms_shape_then_run_out() {
    let fake = Fake::openai(openai::Seed::generated(1, 1)).await;
    fake.faults.push(
        "/projects",
        Fault::Status {
            status: 429,
            retry_after: Some(2),
        },
        2,
    );
    fake.faults.push(
        "/projects",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        1,
    );
    let url = format!("{}/organization/projects", fake.base_url);
    for _ in 0..2 {
        let response = with_auth(&fake, client().get(&url)).send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "2");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    }
    let (status, body) = get(&fake, "/organization/admin_api_keys").await;
    assert_eq!(status, 200, "other paths are not faulted: {body}");
    let (status, body) = get(&fake, "/organization/projects").await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (500, Some("server_error"))
    );
    let (status, _) = get(&fake, "/organization/projects").await;
    assert_eq!(status, 200, "the queue is used up");
    assert_eq!(fake.faults.pending(), 0);

    let fake = Fake::anthropic(anthropic::Seed::generated(1, 1)).await;
    fake.faults.push(
        "api_keys",
        Fault::Status {
            status: 529,
            retry_after: None,
        },
        1,
    );
    let (status, body) = get(&fake, "/organizations/api_keys").await;
    assert_eq!((status, body["type"].as_str()), (529, Some("error")));
    assert_eq!(body["error"]["type"], "overloaded_error");
    assert!(body["request_id"].is_string());
}

#[tokio::test]
async fn a_delay_holds_the_answer_back() {
    let fake = Fake::openai(openai::Seed::generated(1, 1)).await;
    fake.faults
        .push("/projects", Fault::Delay(Duration::from_millis(600)), 1);
    let started = Instant::now();
    let (status, _) = get(&fake, "/organization/projects").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(600));
    // A client with a shorter timeout gives up.
    fake.faults
        .push("/projects", Fault::Delay(Duration::from_secs(5)), 1);
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = with_auth(
        &fake,
        quick.get(format!("{}/organization/projects", fake.base_url)),
    )
    .send()
    .await
    .unwrap_err();
    assert!(error.is_timeout(), "{error}");
}

#[tokio::test]
async fn malformed_answers_are_200_with_broken_json() {
    let fake = Fake::anthropic(anthropic::Seed::generated(1, 1)).await;
    fake.faults.push("/organizations/me", Fault::Malformed, 1);
    let response = with_auth(
        &fake,
        client().get(format!("{}/organizations/me", fake.base_url)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.json::<serde_json::Value>().await.is_err());
}

#[tokio::test]
async fn a_closed_connection_gives_no_complete_answer() {
    let fake = Fake::openai(openai::Seed::generated(1, 1)).await;
    fake.faults.push("/projects", Fault::Close, 1);
    let outcome = async {
        let response = with_auth(
            &fake,
            client().get(format!("{}/organization/projects", fake.base_url)),
        )
        .send()
        .await?;
        response.bytes().await
    }
    .await;
    assert!(outcome.is_err(), "{outcome:?}");
    let (status, _) = get(&fake, "/organization/projects").await;
    assert_eq!(
        status, 200,
        "the fake serves on after dropping one connection"
    );
}

#[tokio::test]
async fn the_control_route_queues_faults_over_http() {
    let fake = Fake::openai(openai::Seed::generated(1, 1)).await;
    let control = format!("{}/_fake/faults", fake.base_url.trim_end_matches("/v1"));
    let (status, _) =
        send(client().post(&control).json(
            &json!({"path_contains": "/costs", "status": 429, "retry_after": 9, "times": 1}),
        ))
        .await;
    assert_eq!(status, 201);
    let (status, _) = send(
        client()
            .post(&control)
            .json(&json!({"path_contains": "/costs", "kind": "malformed"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = send(
        client()
            .post(&control)
            .json(&json!({"path_contains": "/costs"})),
    )
    .await;
    assert_eq!(status, 400, "a fault needs a status or a kind: {body}");
    assert_eq!(fake.faults.pending(), 2);
    let url = format!("{}/organization/costs?start_time=0", fake.base_url);
    let response = with_auth(&fake, client().get(&url)).send().await.unwrap();
    assert_eq!(
        (
            response.status().as_u16(),
            response.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "9")
    );
    let response = with_auth(&fake, client().get(&url)).send().await.unwrap();
    assert!(response.json::<serde_json::Value>().await.is_err());
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.path.starts_with("/_fake")),
        "control calls are not recorded"
    );
}
