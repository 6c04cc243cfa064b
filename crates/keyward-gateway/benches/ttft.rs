//! Time to first token through the gateway (issue #6: "time-to-first-token added by the
//! gateway stays sub-millisecond"), printed as a Markdown table for
//! `docs/benchmarks.md`.
//!
//! A local SSE upstream sends its first chunk at once and the rest 5 ms later (a model
//! still generating). Each round asks it for a streamed chat completion directly and
//! through the gateway (key check, scopes, limits, the `model` rewrite, the usage tap),
//! in alternation, and times the arrival of the first chunk at the client. The added
//! time is the gateway's percentile minus the direct path's, measured in the same run.
//!
//! Run: `cargo bench -p keyward-gateway --bench ttft` (ROUNDS, default 1,000).

use axum::body::{Body, Bytes};
use axum::routing::post;
use axum::Router;
use std::time::{Duration, Instant};

mod support;

async fn stream_chat() -> axum::response::Response {
    let chunk = |content: &str| {
        Bytes::from(format!(
            "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"llama\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{content}\"}}}}]}}\n\n"
        ))
    };
    let first = chunk("Hello");
    let rest = chunk(" there");
    let stream = futures_util::stream::unfold(0, move |step| {
        let (first, rest) = (first.clone(), rest.clone());
        async move {
            let out = match step {
                0 => first,
                1 => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    rest
                }
                2 => Bytes::from_static(b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\ndata: [DONE]\n\n"),
                _ => return None,
            };
            Some((Ok::<_, std::io::Error>(out), step + 1))
        }
    });
    axum::response::Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// Milliseconds from sending the request to the first chunk of its answer; the rest is
/// read to the end so the connection is reused.
async fn first_chunk_ms(http: &reqwest::Client, url: &str, secret: &str) -> f64 {
    let started = Instant::now();
    let mut response = http
        .post(url)
        .bearer_auth(secret)
        .header("content-type", "application/json")
        .body(r#"{"model":"chat","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let first = response.chunk().await.unwrap().expect("a first chunk");
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    assert!(first.starts_with(b"data: "), "{first:?}");
    while response.chunk().await.unwrap().is_some() {}
    elapsed
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000);
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_url = format!("http://{}", upstream.local_addr().unwrap());
    tokio::spawn(async move {
        let app = Router::new().route("/v1/chat/completions", post(stream_chat));
        axum::serve(upstream, app).await.unwrap();
    });

    let served = support::Served::start().await;
    served.create_workload("chat", "llama", &upstream_url).await;
    let secret = served.create_key(serde_json::json!({"name": "ttft"})).await;
    let http = served.http.clone();
    let base = served.base.clone();

    let direct_url = format!("{upstream_url}/v1/chat/completions");
    let gateway_url = format!("{base}/v1/chat/completions");
    // Warm both paths (connections, caches).
    for _ in 0..20 {
        first_chunk_ms(&http, &direct_url, &secret).await;
        first_chunk_ms(&http, &gateway_url, &secret).await;
    }
    let (mut direct, mut proxied) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so a drift in the machine's load hits both.
        if round % 2 == 0 {
            direct.push(first_chunk_ms(&http, &direct_url, &secret).await);
            proxied.push(first_chunk_ms(&http, &gateway_url, &secret).await);
        } else {
            proxied.push(first_chunk_ms(&http, &gateway_url, &secret).await);
            direct.push(first_chunk_ms(&http, &direct_url, &secret).await);
        }
    }
    direct.sort_by(f64::total_cmp);
    proxied.sort_by(f64::total_cmp);
    println!("| time to first chunk ({rounds} streams each) | p50 ms | p90 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |name: &str, v: &[f64]| {
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} |",
            percentile(v, 0.5),
            percentile(v, 0.9),
            percentile(v, 0.99)
        );
    };
    row("direct to the upstream (baseline)", &direct);
    row("through the gateway", &proxied);
    let added = |p: f64| percentile(&proxied, p) - percentile(&direct, p);
    println!(
        "| **added by the gateway** | **{:.3}** | **{:.3}** | **{:.3}** |",
        added(0.5),
        added(0.9),
        added(0.99)
    );
    println!("\ntarget: added time to first token < 1 ms");
}
