//! A local OpenAI-compatible upstream for the data-plane tests: chat (plain and SSE,
//! with a usage chunk when asked), completions, embeddings, rerank. It records every
//! body it receives, can be told to omit usage, to fail, or to pause between chunks.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
pub struct Script {
    pub received: Vec<Value>,
    pub omit_usage: bool,
    pub fail_with: Option<u16>,
    /// Pause before each stream chunk after the first.
    pub chunk_pause: Duration,
    /// Pause before answering a chat completion at all.
    pub answer_delay: Duration,
    pub chunks: usize,
    /// `GET /health` answers 503 (loading) until this instant, 200 after.
    pub healthy_from: Option<std::time::Instant>,
    /// `GET /health` answers 503 (loading) for this long after the first health check
    /// it receives: "loading" starts when someone looks, however slow the test's
    /// set-up was (a fixed instant raced a cold Python start on CI).
    pub loading_for: Option<Duration>,
    first_health_check: Option<std::time::Instant>,
    /// `GET /health` takes this long (to make probes time out).
    pub health_delay: Duration,
    /// What `GET /metrics` serves (Prometheus text).
    pub metrics: String,
    /// Answer as a long-winded model: as many tokens as the request's bound allows,
    /// read as vLLM reads it (`5000`, `5000.0`, `"5000"`), times `n`/`best_of`.
    pub generate_to_bound: bool,
    /// A stream breaks off (the connection is aborted) after this many pieces.
    pub break_after: Option<usize>,
    /// What a chat or completion answers (its text), instead of "Hello there" or
    /// a stream's `tok0 tok1 …`; a stream sends it in pieces of a few characters.
    pub answer_text: Option<String>,
    /// The usage the upstream reports (prompt, completion) instead of its fixed one.
    pub usage: Option<(u64, u64)>,
    /// Streams dropped before their `[DONE]` frame: the connection carrying them was
    /// closed (hyper drops a response body when its connection goes).
    pub streams_cut: usize,
}

/// Counts its stream as cut if dropped before the stream's last frame was produced.
struct CutWatch {
    script: Arc<Mutex<Script>>,
    finished: bool,
}

impl CutWatch {
    fn saw(&mut self, frame: &Result<String, std::io::Error>) {
        if matches!(frame, Ok(f) if f.starts_with("data: [DONE]")) {
            self.finished = true;
        }
    }
}

impl Drop for CutWatch {
    fn drop(&mut self) {
        if !self.finished {
            self.script.lock().unwrap().streams_cut += 1;
        }
    }
}

/// A bound as pydantic's lax mode reads an integer (enough of it for the tests).
fn lax_int(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_f64().map(|f| f as u64),
        Value::String(s) => s
            .trim()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .map(|f| f as u64),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
}

/// Tokens a long-winded model generates for `body`.
fn to_bound(body: &Value) -> u64 {
    let bound = lax_int(&body["max_completion_tokens"])
        .filter(|&b| b > 0)
        .or_else(|| lax_int(&body["max_tokens"]).filter(|&b| b > 0))
        // Unbounded: a long answer, as a model with a large context may give.
        .unwrap_or(8000);
    let copies = lax_int(&body["n"])
        .unwrap_or(1)
        .max(lax_int(&body["best_of"]).unwrap_or(1));
    bound * copies.max(1)
}

#[derive(Clone)]
pub struct Upstream {
    pub url: String,
    pub script: Arc<Mutex<Script>>,
}

impl Upstream {
    pub async fn start() -> Self {
        let (app, script) = Self::app();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Upstream { url, script }
    }

    /// The same upstream over https, with `config`'s certificate; the URL names it
    /// `localhost`.
    pub async fn start_tls(config: tokio_rustls::rustls::ServerConfig) -> Self {
        let (app, script) = Self::app();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(tls),
                        hyper_util::service::TowerToHyperService::new(app),
                    )
                    .await;
                });
            }
        });
        Upstream { url, script }
    }

    fn app() -> (Router, Arc<Mutex<Script>>) {
        let script = Arc::new(Mutex::new(Script {
            chunks: 3,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .route("/v1/rerank", post(rerank))
            .route("/health", axum::routing::get(health))
            .route("/metrics", axum::routing::get(metrics))
            .with_state(script.clone());
        (app, script)
    }

    pub fn last_received(&self) -> Value {
        self.script
            .lock()
            .unwrap()
            .received
            .last()
            .cloned()
            .unwrap()
    }
}

async fn metrics(State(script): State<Arc<Mutex<Script>>>) -> String {
    script.lock().unwrap().metrics.clone()
}

async fn health(State(script): State<Arc<Mutex<Script>>>) -> StatusCode {
    let delay = script.lock().unwrap().health_delay;
    // The scripted slow health check (probe timeouts are what is tested).
    tokio::time::sleep(delay).await;
    let mut s = script.lock().unwrap();
    let now = std::time::Instant::now();
    let first = *s.first_health_check.get_or_insert(now);
    let loading =
        s.healthy_from.is_some_and(|at| now < at) || s.loading_for.is_some_and(|d| now < first + d);
    if loading {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

async fn chat(State(script): State<Arc<Mutex<Script>>>, Json(body): Json<Value>) -> Response {
    let (omit_usage, fail_with, pause, chunks, delay, text, fixed_usage, break_after) = {
        let mut s = script.lock().unwrap();
        s.received.push(body.clone());
        let fixed_usage = match s.generate_to_bound {
            true => Some((11, to_bound(&body))),
            false => s.usage,
        };
        (
            s.omit_usage,
            s.fail_with,
            s.chunk_pause,
            s.chunks,
            s.answer_delay,
            s.answer_text.clone(),
            fixed_usage,
            s.break_after,
        )
    };
    // The scripted slow answer (in-flight requests during a stop are what is tested).
    tokio::time::sleep(delay).await;
    if let Some(status) = fail_with {
        return (
            StatusCode::from_u16(status).unwrap(),
            Json(json!({"error": {"message": "engine dead", "type": "server_error"}})),
        )
            .into_response();
    }
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    // A completion (`prompt`) answers `text`; a chat answers a message.
    let completion = body.get("prompt").is_some();
    if body["stream"] == true {
        let include_usage = body["stream_options"]["include_usage"] == true && !omit_usage;
        let pieces = match &text {
            Some(text) => pieces_of(text),
            None => (0..chunks).map(|i| format!("tok{i} ")).collect(),
        };
        let stream = async_stream(model, pieces, pause, include_usage, fixed_usage, completion);
        let stream: futures_util::stream::BoxStream<_> = match break_after {
            Some(pieces) => {
                use futures_util::StreamExt;
                let broken = std::io::Error::other("the engine died");
                stream
                    .take(pieces)
                    .chain(futures_util::stream::once(async { Err(broken) }))
                    .boxed()
            }
            None => {
                use futures_util::StreamExt;
                let mut watch = CutWatch {
                    script: script.clone(),
                    finished: false,
                };
                stream
                    .map(move |frame| {
                        watch.saw(&frame);
                        frame
                    })
                    .boxed()
            }
        };
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(stream))
            .unwrap();
    }
    let content = text.as_deref().unwrap_or("Hello there");
    let mut answer = match completion {
        true => json!({
            "id": "cmpl-1", "object": "text_completion", "created": 1, "model": model,
            "choices": [{"index": 0, "text": content, "logprobs": null, "finish_reason": "stop"}],
        }),
        false => json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        }),
    };
    if !omit_usage {
        let (prompt, completion) = fixed_usage.unwrap_or((11, 7));
        answer["usage"] = usage(prompt, completion);
    }
    Json(answer).into_response()
}

/// A text cut into pieces of 1 to 4 characters, as a model streams it.
pub fn pieces_of(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(3)
        .enumerate()
        .flat_map(|(i, piece)| {
            let piece: String = piece.iter().collect();
            // Vary the sizes a little: some pieces of one character.
            if i % 5 == 0 && piece.chars().count() > 1 {
                let first = piece.chars().next().unwrap();
                vec![first.to_string(), piece[first.len_utf8()..].to_owned()]
            } else {
                vec![piece]
            }
        })
        .collect()
}

fn async_stream(
    model: String,
    pieces: Vec<String>,
    pause: Duration,
    include_usage: bool,
    fixed_usage: Option<(u64, u64)>,
    completion: bool,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    let chunks = pieces.len();
    futures_util::stream::unfold(0usize, move |i| {
        let model = model.clone();
        let piece = pieces.get(i).cloned();
        async move {
            if i > chunks + 1 {
                return None;
            }
            if i > 0 {
                // The scripted pause between chunks: a model generating slowly.
                tokio::time::sleep(pause).await;
            }
            let frame = if i < chunks {
                let chunk = match completion {
                    true => {
                        json!({"id": "c", "object": "text_completion", "created": 1, "model": model,
                        "choices": [{"index": 0, "text": piece, "logprobs": null, "finish_reason": null}]})
                    }
                    false => {
                        json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model,
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]})
                    }
                };
                format!("data: {chunk}\n\n")
            } else if i == chunks {
                if include_usage {
                    let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model,
                    "choices": [], "usage": match fixed_usage {
                        Some((prompt, completion)) => usage(prompt, completion),
                        None => usage(13, chunks as u64),
                    }});
                    format!("data: {chunk}\n\n")
                } else {
                    String::new()
                }
            } else {
                "data: [DONE]\n\n".to_owned()
            };
            Some((Ok(frame), i + 1))
        }
    })
}

async fn embeddings(
    State(script): State<Arc<Mutex<Script>>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let omit_usage = {
        let mut s = script.lock().unwrap();
        s.received.push(body.clone());
        s.omit_usage
    };
    let mut answer = json!({"object": "list", "model": body["model"],
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}]});
    if !omit_usage {
        answer["usage"] = json!({"prompt_tokens": 5, "total_tokens": 5});
    }
    Json(answer)
}

async fn rerank(State(script): State<Arc<Mutex<Script>>>, Json(body): Json<Value>) -> Json<Value> {
    script.lock().unwrap().received.push(body.clone());
    Json(
        json!({"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}],
        "usage": {"prompt_tokens": 9, "total_tokens": 9}}),
    )
}
