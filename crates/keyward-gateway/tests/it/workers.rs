//! Serving on worker threads (workers.rs): every worker listens on the same port, the
//! kernel spreads connections over them, each keeps its own upstream connections, and
//! a stop lets every worker finish what is in flight before the usage is written. The
//! embedded way of serving (on the caller's runtime) still forwards and meters.

use crate::dataplane::{key, minute_row, workload};
use crate::upstream::Upstream;
use crate::util::{Serving, TestGateway, GRACE, WORKERS};
use futures_util::StreamExt;
use keyward_gateway::UpstreamOptions;
use serde_json::json;
use std::num::NonZeroUsize;
use std::time::Duration;

fn chat() -> serde_json::Value {
    json!({"model": "chat", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]})
}

/// One chat completion on `http`'s connections: its status and body length.
async fn chat_on(http: &reqwest::Client, url: &str, secret: &str) -> (u16, usize) {
    let response = http
        .post(url)
        .bearer_auth(secret)
        .json(&chat())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().len())
}

/// A gateway served as `serving` says, a local upstream behind its workload `chat`,
/// and a key named `name`: (gateway, upstream, key id, secret).
async fn served(serving: Serving, name: &str) -> (TestGateway, Upstream, String, String) {
    let gw = TestGateway::start_serving(UpstreamOptions::default(), serving).await;
    let up = Upstream::start().await;
    workload(&gw, "chat", "llama", Some(&up.url)).await;
    let (key_id, secret) = key(&gw, json!({ "name": name })).await;
    (gw, up, key_id, secret)
}

async fn requests_metered(gw: &TestGateway, key_id: &str) -> i64 {
    sqlx::query_scalar("SELECT request_count FROM inference_keys WHERE id = ?")
        .bind(key_id)
        .fetch_one(gw.gateway.pool())
        .await
        .unwrap()
}

#[test]
fn every_worker_listens_on_the_same_port() {
    let workers = NonZeroUsize::new(4).unwrap();
    let listeners =
        keyward_gateway::workers::bind("127.0.0.1:0".parse().unwrap(), workers).unwrap();
    assert_eq!(listeners.len(), 4);
    let first = listeners[0].local_addr().unwrap();
    assert_ne!(first.port(), 0);
    for listener in &listeners {
        assert_eq!(listener.local_addr().unwrap(), first);
    }
    // A single worker needs no shared port: another process cannot bind it.
    let one =
        keyward_gateway::workers::bind("127.0.0.1:0".parse().unwrap(), NonZeroUsize::MIN).unwrap();
    let taken = one[0].local_addr().unwrap();
    assert!(keyward_gateway::workers::bind(taken, NonZeroUsize::MIN).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_are_spread_over_workers_and_each_keeps_its_own_upstream_connections() {
    let (gw, _up, key_id, secret) = served(Serving::Workers, "spread").await;
    // 24 clients, each on a connection of its own: the chance that the kernel puts
    // all of them on one of the two workers is 2 × 2⁻²⁴.
    let clients: Vec<_> = (0..24)
        .map(|_| {
            let (url, secret) = (gw.url("/v1/chat/completions"), secret.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut statuses = Vec::new();
                for _ in 0..4 {
                    statuses.push(chat_on(&http, &url, &secret).await.0);
                }
                statuses
            })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.unwrap(), [200; 4]);
    }
    let idle = gw.gateway.upstreams().idle_per_worker();
    assert_eq!(
        idle.first().copied().unwrap_or(0),
        0,
        "nothing pooled outside the workers: {idle:?}"
    );
    assert_eq!(idle.len(), WORKERS.get() + 1, "{idle:?}");
    assert!(
        idle[1..].iter().all(|&n| n > 0),
        "every worker served and pooled: {idle:?}"
    );
    gw.gateway.flush_usage().await.unwrap();
    assert_eq!(requests_metered(&gw, &key_id).await, 96);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_lets_every_worker_finish_in_flight_requests_and_writes_their_usage() {
    let (mut gw, up, key_id, secret) = served(Serving::Workers, "drain").await;
    up.script.lock().unwrap().answer_delay = Duration::from_millis(600);
    let in_flight: Vec<_> = (0..8)
        .map(|_| {
            let (url, secret) = (gw.url("/v1/chat/completions"), secret.clone());
            tokio::spawn(async move { chat_on(&reqwest::Client::new(), &url, &secret).await })
        })
        .collect();
    // Every request has reached the upstream before the stop.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while up.script.lock().unwrap().received.len() < 8 {
        assert!(
            std::time::Instant::now() < deadline,
            "requests did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gw.stop().await;
    for request in in_flight {
        let (status, length) = request.await.unwrap();
        assert_eq!(status, 200);
        assert!(length > 0);
    }
    assert!(
        gw.gateway
            .upstreams()
            .idle_per_worker()
            .iter()
            .all(|&n| n == 0),
        "a stopped worker's upstream connections are closed"
    );
    // Written by the stop itself: no flush was asked for here.
    assert_eq!(requests_metered(&gw, &key_id).await, 8);
    assert!(
        reqwest::get(gw.url("/v1/models")).await.is_err(),
        "nothing listens after the stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_still_open_after_the_grace_is_cut_off_and_metered_as_broken() {
    let (mut gw, up, key_id, secret) = served(Serving::Workers, "endless").await;
    {
        let mut script = up.script.lock().unwrap();
        script.chunks = 1000;
        script.chunk_pause = Duration::from_millis(200);
    }
    let response = gw
        .http
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(&secret)
        .json(&json!({"model": "chat", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut chunks = response.bytes_stream();
    chunks.next().await.unwrap().unwrap();

    let started = std::time::Instant::now();
    gw.stop().await;
    let took = started.elapsed();
    assert!(took >= GRACE, "the stream was given the grace: {took:?}");
    assert!(
        took < GRACE + Duration::from_secs(3),
        "then cut off: {took:?}"
    );
    // The client sees the stream end early, not a hang.
    while let Some(chunk) = chunks.next().await {
        if chunk.is_err() {
            break;
        }
    }
    let (requests, errors, _, _) = minute_row(&gw, &key_id).await;
    assert_eq!((requests, errors), (1, 1), "metered, as broken");
}

#[tokio::test]
async fn the_embedded_way_of_serving_forwards_and_meters_too() {
    let (gw, _up, key_id, secret) = served(Serving::Shared, "shared").await;
    let url = gw.url("/v1/chat/completions");
    for _ in 0..3 {
        assert_eq!(chat_on(&gw.http, &url, &secret).await.0, 200);
    }
    assert_eq!(
        gw.gateway.upstreams().idle_per_worker(),
        [1],
        "one connection, in the shared list"
    );
    gw.gateway.flush_usage().await.unwrap();
    assert_eq!(requests_metered(&gw, &key_id).await, 3);
}
