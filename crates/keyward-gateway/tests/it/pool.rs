//! The data plane's upstream connections: kept alive between requests, dropped when
//! the upstream closes them while idle (the next request gets a new one instead of an
//! error), swept when nothing uses them, and never reused with an answer left unread.
//!
//! The upstream here is raw TCP, so the test knows exactly how many connections the
//! gateway opened and when the upstream closed one (vLLM's server closes a keep-alive
//! connection after 5 s idle).

use crate::dataplane::{key, workload};
use crate::upstream::Upstream;
use crate::util::{status_json, wait_until, TestGateway};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{header, Request, Response};
use hyper_util::rt::TokioIo;
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
    /// Connections that carried a chat completion: the prober's health checks, which
    /// may come at any moment once the workload exists, are not counted.
    chat_connections: Arc<AtomicUsize>,
    /// Of those, the ones it has closed for being idle too long.
    idle_closed: Arc<AtomicUsize>,
}

impl RawUpstream {
    async fn start(idle_close: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let chat_connections = Arc::new(AtomicUsize::new(0));
        let idle_closed = Arc::new(AtomicUsize::new(0));
        let counters = (chat_connections.clone(), idle_closed.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, idle_close, counters.clone()));
            }
        });
        RawUpstream {
            url,
            chat_connections,
            idle_closed,
        }
    }

    /// Waits until the upstream has closed `n` chat connections for idleness.
    async fn wait_for_idle_closes(&self, n: usize) {
        let closed = &self.idle_closed;
        wait_until(
            Duration::from_secs(10),
            "the upstream to close an idle connection",
            || async { closed.load(Ordering::SeqCst) >= n },
        )
        .await;
    }

    fn chat_connections(&self) -> usize {
        self.chat_connections.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut stream: TcpStream,
    idle_close: Duration,
    (chats, idle_closed): (Arc<AtomicUsize>, Arc<AtomicUsize>),
) {
    let mut buffer = Vec::new();
    let mut first = true;
    let mut chat = false;
    loop {
        match tokio::time::timeout(idle_close, read_request(&mut stream, &mut buffer)).await {
            Ok(Some(request_line)) => {
                if first && request_line.starts_with("post /v1/chat/completions ") {
                    chats.fetch_add(1, Ordering::SeqCst);
                    chat = true;
                }
                first = false;
            }
            // The gateway closed it.
            Ok(None) => return,
            // Idle too long: close (dropping the stream), and say so.
            Err(_) => {
                drop(stream);
                if chat {
                    idle_closed.fetch_add(1, Ordering::SeqCst);
                }
                return;
            }
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

/// Reads one request (head and `content-length` body) off `stream`: its request line,
/// lowercased; `None` at EOF.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
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
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    buffer.drain(..head_end + length);
    Some(request_line)
}

/// A client on exactly one connection to the gateway. The gateway pools upstream
/// connections per worker thread and the kernel gives each client connection to one
/// worker, so counting upstream connections needs requests that cannot spread over
/// workers; a pooling client such as reqwest opens a second connection whenever the
/// first has not been handed back to its pool yet (hyper-util does that in a task).
struct OneConnection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl OneConnection {
    async fn open(gw: &TestGateway) -> Self {
        let stream = TcpStream::connect(gw.addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        OneConnection {
            sender,
            host: gw.addr.to_string(),
        }
    }

    /// Sends a chat completion on this connection; the answer's body is left unread.
    async fn send(&mut self, secret: &str, body: serde_json::Value) -> Response<Incoming> {
        self.sender
            .ready()
            .await
            .expect("the connection is still open");
        let request = Request::post("/v1/chat/completions")
            .header(header::HOST, &self.host)
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        self.sender.send_request(request).await.unwrap()
    }

    /// A whole chat completion on this connection: its JSON answer, after a 200.
    async fn chat(&mut self, secret: &str) -> serde_json::Value {
        let body = json!({"model": "raw", "messages": [{"role": "user", "content": "hi"}]});
        let response = self.send(secret, body).await;
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }
}

#[tokio::test]
async fn upstream_connections_are_kept_alive_and_replaced_once_the_upstream_closes_them() {
    let gw = TestGateway::start().await;
    let up = RawUpstream::start(Duration::from_millis(400)).await;
    workload(&gw, "raw", "llama", Some(&up.url)).await;
    let (_, secret) = key(&gw, json!({"name": "pool"})).await;
    let pools = gw.gateway.upstreams();
    // The prober may check the new workload at any moment (it did in CI); here it does
    // so at once, on a connection of its own that the count leaves out.
    keyward_gateway::prober::probe_all(&gw.gateway)
        .await
        .unwrap();

    let mut client = OneConnection::open(&gw).await;
    for _ in 0..5 {
        client.chat(&secret).await;
    }
    assert_eq!(
        up.chat_connections(),
        1,
        "five requests in a row share one connection"
    );
    assert_eq!(pools.idle_count(), 1);

    // The upstream closes the idle connection; the next request must not fail on it.
    up.wait_for_idle_closes(1).await;
    client.chat(&secret).await;
    assert_eq!(
        up.chat_connections(),
        2,
        "a new connection replaced the closed one"
    );
    assert_eq!(pools.idle_count(), 1);

    // Nothing asks for a connection again: the sweep closes the one the upstream closed.
    up.wait_for_idle_closes(2).await;
    // The close reaches the gateway's socket a moment after the upstream's.
    wait_until(
        Duration::from_secs(10),
        "the sweep to close the closed connection",
        || async {
            pools.sweep();
            pools.idle_count() == 0
        },
    )
    .await;
    client.chat(&secret).await;
    assert_eq!(up.chat_connections(), 3);
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

    let mut client = OneConnection::open(&gw).await;
    client.chat(&secret).await;
    assert_eq!(
        pools.idle_count(),
        1,
        "a finished answer returns its connection"
    );

    // A client leaves mid-stream: the rest of that answer is still on its connection.
    let response = client
        .send(
            &secret,
            json!({"model": "raw", "stream": true, "messages": []}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(pools.idle_count(), 0, "the stream holds the connection");
    let mut stream = response.into_body();
    stream.frame().await.unwrap().unwrap();
    drop((stream, client));
    // The event itself: the upstream sees the connection closed under its stream (a
    // connection drained and pooled instead would let the stream finish).
    wait_until(
        Duration::from_secs(10),
        "the upstream to see its stream cut off",
        || async { up.script.lock().unwrap().streams_cut == 1 },
    )
    .await;
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
