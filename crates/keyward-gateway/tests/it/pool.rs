//! The data plane's upstream connections: kept alive between requests, dropped when
//! the upstream closes them while idle (the next request gets a new one instead of an
//! error), swept when nothing uses them, and never reused with an answer left unread.
//!
//! The upstream here is raw TCP, so the test knows exactly how many connections the
//! gateway opened and when the upstream closed one (vLLM's server closes a keep-alive
//! connection after 5 s idle).

use crate::dataplane::{key, workload};
use crate::upstream::Upstream;
use crate::util::{status_json, TestGateway};
use futures_util::StreamExt;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An OpenAI-compatible upstream over raw HTTP/1.1 keep-alive that closes a connection
/// after `idle_close` without a request on it.
struct RawUpstream {
    url: String,
    accepted: Arc<AtomicUsize>,
}

impl RawUpstream {
    async fn start(idle_close: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, idle_close));
            }
        });
        RawUpstream { url, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, idle_close: Duration) {
    let mut buffer = Vec::new();
    loop {
        match tokio::time::timeout(idle_close, read_request(&mut stream, &mut buffer)).await {
            Ok(true) => {}
            // Idle too long, or the gateway closed it: close (dropping the stream).
            Ok(false) | Err(_) => return,
        }
        let body = json!({
            "id": "raw", "object": "chat.completion", "model": "llama",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
        })
        .to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Reads one request (head and `content-length` body) off `stream`; false at EOF.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    buffer.drain(..head_end + length);
    true
}

async fn chat(gw: &TestGateway, secret: &str) -> u16 {
    let (status, body) = status_json(
        gw.http
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(secret)
            .json(&json!({"model": "raw", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    status
}

#[tokio::test]
async fn upstream_connections_are_kept_alive_and_replaced_once_the_upstream_closes_them() {
    let gw = TestGateway::start().await;
    let up = RawUpstream::start(Duration::from_millis(400)).await;
    workload(&gw, "raw", "llama", Some(&up.url)).await;
    let (_, secret) = key(&gw, json!({"name": "pool"})).await;
    let pools = gw.gateway.upstreams();

    for _ in 0..5 {
        chat(&gw, &secret).await;
    }
    assert_eq!(
        up.accepted(),
        1,
        "five requests in a row share one connection"
    );
    assert_eq!(pools.idle_count(), 1);

    // The upstream closes the idle connection; the next request must not fail on it.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    chat(&gw, &secret).await;
    assert_eq!(up.accepted(), 2, "a new connection replaced the closed one");
    assert_eq!(pools.idle_count(), 1);

    // Nothing asks for a connection again: the sweep closes the one the upstream closed.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    pools.sweep();
    assert_eq!(pools.idle_count(), 0, "the closed connection was swept");
    chat(&gw, &secret).await;
    assert_eq!(up.accepted(), 3);
}

#[tokio::test]
async fn a_connection_with_an_answer_left_unread_is_never_reused() {
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    {
        let mut script = up.script.lock().unwrap();
        script.chunk_pause = Duration::from_millis(100);
        script.chunks = 20;
    }
    workload(&gw, "raw", "llama", Some(&up.url)).await;
    let (_, secret) = key(&gw, json!({"name": "pool"})).await;
    let pools = gw.gateway.upstreams();

    chat(&gw, &secret).await;
    assert_eq!(
        pools.idle_count(),
        1,
        "a finished answer returns its connection"
    );

    // A client leaves mid-stream: the rest of that answer is still on its connection.
    let response = gw
        .http
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(&secret)
        .json(&json!({"model": "raw", "stream": true, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(pools.idle_count(), 0, "the stream holds the connection");
    let mut stream = response.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(pools.idle_count(), 0, "the half-read connection was closed");

    // The next request gets a clean connection and the upstream's own answer.
    let (status, body) = status_json(
        gw.http
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(&secret)
            .json(&json!({"model": "raw", "messages": []}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "chat.completion", "{body}");
    assert_eq!(pools.idle_count(), 1);
}
