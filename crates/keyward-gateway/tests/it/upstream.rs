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
    let (omit_usage, fail_with, pause, chunks, delay) = {
        let mut s = script.lock().unwrap();
        s.received.push(body.clone());
        (
            s.omit_usage,
            s.fail_with,
            s.chunk_pause,
            s.chunks,
            s.answer_delay,
        )
    };
    tokio::time::sleep(delay).await;
    if let Some(status) = fail_with {
        return (
            StatusCode::from_u16(status).unwrap(),
            Json(json!({"error": {"message": "engine dead", "type": "server_error"}})),
        )
            .into_response();
    }
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    if body["stream"] == true {
        let include_usage = body["stream_options"]["include_usage"] == true && !omit_usage;
        let stream = async_stream(model, chunks, pause, include_usage);
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(stream))
            .unwrap();
    }
    let mut answer = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
    });
    if !omit_usage {
        answer["usage"] = usage(11, 7);
    }
    Json(answer).into_response()
}

fn async_stream(
    model: String,
    chunks: usize,
    pause: Duration,
    include_usage: bool,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    futures_util::stream::unfold(0usize, move |i| {
        let model = model.clone();
        async move {
            if i > chunks + 1 {
                return None;
            }
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            let frame = if i < chunks {
                let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model,
                    "choices": [{"index": 0, "delta": {"content": format!("tok{i} ")}, "finish_reason": null}]});
                format!("data: {chunk}\n\n")
            } else if i == chunks {
                if include_usage {
                    let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model,
                        "choices": [], "usage": usage(13, chunks as u64)});
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
    script.lock().unwrap().received.push(body.clone());
    Json(json!({"object": "list", "model": body["model"],
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
        "usage": {"prompt_tokens": 5, "total_tokens": 5}}))
}

async fn rerank(State(script): State<Arc<Mutex<Script>>>, Json(body): Json<Value>) -> Json<Value> {
    script.lock().unwrap().received.push(body.clone());
    Json(
        json!({"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}],
        "usage": {"prompt_tokens": 9, "total_tokens": 9}}),
    )
}
