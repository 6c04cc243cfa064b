//! Serving on worker threads (workers.rs): every worker listens on the same port, the
//! kernel spreads connections over them, each keeps its own upstream connections, and
//! a stop lets every worker finish what is in flight before the usage is written. The
//! embedded way of serving (on the caller's runtime) still forwards and meters.

use crate::dataplane::{key, minute_row, workload};
use crate::upstream::Upstream;
use crate::util::{wait_until, Serving, TestGateway, GRACE, WORKERS};
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
    keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_scalar(
        "SELECT request_count FROM inference_keys WHERE id = $1"
    )
    .bind(key_id)
    .fetch_one(e)
    .await)
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
    wait_until(
        Duration::from_secs(10),
        "8 requests at the upstream",
        || async { up.script.lock().unwrap().received.len() >= 8 },
    )
    .await;
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
    // Then cut off, long before the stream's own end (1,000 chunks, 200 s): the margin
    // covers a stop's other work (the final flush, the workers' runtimes) on a loaded
    // machine, where it took up to 4.6 s past the grace.
    assert!(
        took < GRACE + Duration::from_secs(8),
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

/// Raises this process's open-file limit to at least `wanted` when the hard limit
/// allows; returns the soft limit in force.
fn raise_fd_limit(wanted: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < wanted {
            let raised = libc::rlimit {
                rlim_cur: wanted.min(limit.rlim_max),
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = raised.rlim_cur;
            }
        }
    }
    limit.rlim_cur
}

/// Waits (up to `deadline`) until the server closes the connection `reader` reads;
/// how long that took from `since`. What the server sends first (an answer) is skipped.
async fn closed_after(
    mut reader: impl tokio::io::AsyncRead + Unpin,
    since: tokio::time::Instant,
    deadline: Duration,
) -> Duration {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let closing = async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(deadline, closing)
        .await
        .unwrap_or_else(|_| panic!("still open after {deadline:?}"))
}

/// Normal clients are served while slow or idle ones hold connections.
async fn served_meanwhile(gw: &TestGateway, rounds: usize) {
    for _ in 0..rounds {
        let response = reqwest::Client::new()
            .get(gw.url("/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
    }
}

/// issue #15: a client sending its headers a few bytes a second (slowloris) is
/// disconnected once the header-read timeout has passed since its first byte; normal
/// clients are served meanwhile. Without the timeout it held its connection for as
/// long as it kept sending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_disconnected_after_the_header_read_timeout() {
    use tokio::io::AsyncWriteExt;
    let gw = TestGateway::start().await;
    let header_read = Duration::from_millis(1500);
    gw.gateway
        .connection_timeouts()
        .set_header_read(header_read);
    gw.gateway
        .connection_timeouts()
        .set_idle(Duration::from_secs(30));

    let (reader, mut writer) = tokio::net::TcpStream::connect(gw.addr)
        .await
        .unwrap()
        .into_split();
    // 4 bytes a second: this head would take ~20 s to complete.
    let head =
        b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    writer.write_all(&head[..1]).await.unwrap();
    let first_byte = tokio::time::Instant::now();
    let trickle = tokio::spawn(async move {
        for byte in &head[1..] {
            // Slowloris pacing: the slowness is the attack under test.
            tokio::time::sleep(Duration::from_millis(250)).await;
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
        }
    });
    let (took, ()) = tokio::join!(
        closed_after(reader, first_byte, Duration::from_secs(20)),
        served_meanwhile(&gw, 5)
    );
    trickle.abort();
    assert!(
        took >= header_read - Duration::from_millis(100),
        "not before the timeout: {took:?}"
    );
    assert!(
        took < header_read + Duration::from_millis(1500),
        "closed within the timeout and a margin: {took:?}"
    );
    served_meanwhile(&gw, 1).await;
}

/// issue #15: 2,000 connections that send nothing are closed after the idle timeout
/// while other clients are served; a kept-alive connection is closed the same way
/// after its answer; a request in flight longer than either timeout is not cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const WANTED: usize = 2000;
    // Both ends of every connection live in this process, plus the runtime's own.
    let fds = raise_fd_limit(2 * WANTED as u64 + 512);
    let count = WANTED.min((fds.saturating_sub(512) / 2) as usize);
    if count < WANTED {
        eprintln!("open-file limit {fds}: testing {count} idle connections, not {WANTED}");
    }
    let (gw, up, _key_id, secret) = served(Serving::Workers, "idle").await;
    let idle = Duration::from_secs(2);
    gw.gateway.connection_timeouts().set_idle(idle);
    gw.gateway
        .connection_timeouts()
        .set_header_read(Duration::from_secs(1));

    let mut silent = Vec::with_capacity(count);
    for _ in 0..count {
        let stream = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
        silent.push((stream, tokio::time::Instant::now()));
    }
    // Kept alive after one answer.
    let mut kept = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    kept.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        .await
        .unwrap();
    kept.write_all(format!("{secret}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut buf = [0u8; 1024];
        let n = kept.read(&mut buf).await.unwrap();
        assert!(n > 0, "the kept-alive connection was answered");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answered = tokio::time::Instant::now();

    // A request that takes longer than both timeouts.
    up.script.lock().unwrap().answer_delay = idle + Duration::from_secs(1);
    let slow = {
        let (url, secret) = (gw.url("/v1/chat/completions"), secret.clone());
        tokio::spawn(async move { chat_on(&reqwest::Client::new(), &url, &secret).await })
    };

    served_meanwhile(&gw, 10).await;
    let margin = Duration::from_secs(3);
    let closings: Vec<_> = silent
        .into_iter()
        .map(|(stream, opened)| {
            tokio::spawn(closed_after(
                stream,
                opened,
                idle + margin + Duration::from_secs(10),
            ))
        })
        .collect();
    let kept_closed = closed_after(kept, answered, idle + margin + Duration::from_secs(10)).await;
    let mut latest = Duration::ZERO;
    for closing in closings {
        let took = closing.await.unwrap();
        assert!(
            took >= idle - Duration::from_millis(100),
            "closed early: {took:?}"
        );
        latest = latest.max(took);
    }
    assert!(
        latest < idle + margin,
        "all {count} closed within the timeout and a margin: {latest:?}"
    );
    assert!(
        kept_closed >= idle - Duration::from_millis(100) && kept_closed < idle + margin,
        "kept-alive connection closed {kept_closed:?} after its answer"
    );
    assert_eq!(
        slow.await.unwrap().0,
        200,
        "a request in flight is never cut"
    );
    served_meanwhile(&gw, 3).await;
}
