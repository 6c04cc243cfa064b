//! A minimal, fast OpenAI-compatible upstream for the proxy benchmark
//! (`scripts/bench-proxy.sh`): `POST /v1/chat/completions` answers a fixed completion
//! with usage. Listens on the address given as the first argument.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

async fn chat(Json(body): Json<Value>) -> Json<Value> {
    Json(json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    }))
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    axum::serve(
        listener,
        Router::new().route("/v1/chat/completions", post(chat)),
    )
    .await
    .unwrap();
}
