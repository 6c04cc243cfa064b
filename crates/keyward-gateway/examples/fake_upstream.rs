//! A minimal, fast OpenAI-compatible upstream for the proxy benchmarks
//! (`scripts/bench-proxy.sh`, `scripts/bench-replicas.sh`) and for the training run of the
//! profile-guided gateway build (`scripts/build-gateway.sh`), which needs every kind of
//! answer the data plane forwards:
//!
//! - `POST /v1/chat/completions`: a fixed completion with usage; with `"stream": true`,
//!   server-sent events — three content chunks, the usage-only chunk when the request
//!   asked for it (`stream_options.include_usage`, which the gateway always does), then
//!   `[DONE]`;
//! - `POST /v1/completions`: a fixed legacy text completion with usage;
//! - `POST /v1/embeddings`: one small embedding with usage.
//!
//! Listens on the address given as the first argument.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

async fn chat(Json(body): Json<Value>) -> Response {
    if body["stream"] == true {
        return stream(&body);
    }
    Json(json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    }))
    .into_response()
}

/// The streamed form of [`chat`]'s answer, as one body (the events arrive together; the
/// gateway parses them the same way as events spread over time).
fn stream(body: &Value) -> Response {
    let model = &body["model"];
    let mut events = String::new();
    for (i, text) in ["Hello", " there", "!"].iter().enumerate() {
        let delta = if i == 0 {
            json!({"role": "assistant", "content": text})
        } else {
            json!({"content": text})
        };
        let finish = if i == 2 { json!("stop") } else { Value::Null };
        let chunk = json!({
            "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        });
        events.push_str(&format!("data: {chunk}\n\n"));
    }
    if body["stream_options"]["include_usage"] == true {
        let usage = json!({
            "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
        });
        events.push_str(&format!("data: {usage}\n\n"));
    }
    events.push_str("data: [DONE]\n\n");
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from(events),
    )
        .into_response()
}

async fn completions(Json(body): Json<Value>) -> Json<Value> {
    Json(json!({
        "id": "cmpl-bench", "object": "text_completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "text": "Hello there", "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    }))
}

async fn embeddings(Json(body): Json<Value>) -> Json<Value> {
    Json(json!({
        "object": "list", "model": body["model"],
        "data": [{"object": "embedding", "index": 0, "embedding": [0.0125, -0.25, 0.5, 0.75]}],
        "usage": {"prompt_tokens": 4, "total_tokens": 4}
    }))
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/completions", post(completions))
        .route("/v1/embeddings", post(embeddings));
    axum::serve(listener, app).await.unwrap();
}
