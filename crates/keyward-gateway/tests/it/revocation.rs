//! Revocation under load (issue #6): the data plane authenticates from an in-memory
//! cache, yet a revoke takes effect on the very next request. 32 clients hammer a key
//! while it is revoked; no request that started after the revoke returned succeeds,
//! and no request path writes the pre-revoke key back into the cache.

use crate::util::{wait_until, TestGateway};
use reqwest::Method;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;

async fn hammer_and_revoke(gw: &TestGateway, action: &str) {
    let key = gw.create_key(&format!("hammered-{action}")).await;
    let secret = key["secret"].as_str().unwrap().to_owned();
    let id = key["id"].as_str().unwrap().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    // Requests answered so far, and of those, let through.
    let answered = Arc::new(AtomicUsize::new(0));
    let let_through = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let http = reqwest::Client::new();
        let url = gw.url("/v1/models");
        let secret = secret.clone();
        let stop = stop.clone();
        let (answered, let_through) = (answered.clone(), let_through.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = http
                    .get(&url)
                    .bearer_auth(&secret)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                seen.push((started, status));
                if status == 200 {
                    let_through.fetch_add(1, Ordering::SeqCst);
                }
                answered.fetch_add(1, Ordering::SeqCst);
            }
            seen
        }));
    }
    wait_until(
        Duration::from_secs(30),
        "the key to work under load",
        || async { let_through.load(Ordering::SeqCst) > 100 },
    )
    .await;
    let (method, path) = match action {
        "revoke" => (Method::DELETE, format!("/v1/inference/keys/{id}")),
        _ => (Method::POST, format!("/v1/inference/keys/{id}/rotate")),
    };
    let response = gw.control(method, &path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let returned = Instant::now();
    // At most one request per client was in flight when the response came back; every
    // answer beyond those started after it.
    let answered_then = answered.load(Ordering::SeqCst) + CLIENTS;
    wait_until(
        Duration::from_secs(30),
        "requests after the revoke",
        || async { answered.load(Ordering::SeqCst) > answered_then + 100 },
    )
    .await;
    stop.store(true, Ordering::Relaxed);

    let mut before = 0;
    let mut after = 0;
    for client in clients {
        for (started, status) in client.await.unwrap() {
            if started > returned {
                after += 1;
                assert_eq!(
                    status, 401,
                    "a request that started after the {action} returned was let through"
                );
            } else if status == 200 {
                before += 1;
            }
        }
    }
    assert!(
        before > 100,
        "the key worked under load before the {action} ({before})"
    );
    assert!(
        after > 100,
        "requests kept coming after the {action} ({after})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoke_under_load_stops_every_later_request() {
    let gw = TestGateway::start().await;
    hammer_and_revoke(&gw, "revoke").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_without_grace_under_load_stops_the_old_secret_at_once() {
    let gw = TestGateway::start().await;
    hammer_and_revoke(&gw, "rotate").await;
}

#[tokio::test]
async fn the_cache_serves_repeat_requests_and_forgets_a_revoked_key() {
    let gw = TestGateway::start().await;
    let key = gw.create_key("cached").await;
    let secret = key["secret"].as_str().unwrap();
    for _ in 0..3 {
        let status = gw
            .http
            .get(gw.url("/v1/models"))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    assert_eq!(gw.gateway.key_cache().len(), 1, "one entry, loaded once");
    let id = key["id"].as_str().unwrap();
    gw.control(Method::DELETE, &format!("/v1/inference/keys/{id}"))
        .send()
        .await
        .unwrap();
    assert!(
        gw.gateway.key_cache().is_empty(),
        "invalidated before the response"
    );
}
