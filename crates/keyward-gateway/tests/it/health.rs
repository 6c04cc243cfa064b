//! The prober against a local upstream this test controls (issue #8): status and reason
//! follow `/health` and the metrics — healthy, degraded by a GPU XID error, down after
//! three timed-out health checks, healthy again — and the history holds every probe
//! with latency percentiles computed from histogram deltas.

use crate::upstream::Upstream;
use crate::util::{status_json, wait_for, wait_until, TestGateway};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn metrics(ttft_slow: u32, xid: u32) -> String {
    format!(
        "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{{model_name=\"llama\"}} 2\n\
# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{{model_name=\"llama\"}} 5\n\
# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{{model_name=\"llama\"}} 0.31\n\
# TYPE vllm:time_to_first_token_seconds histogram\n\
vllm:time_to_first_token_seconds_bucket{{le=\"0.1\",model_name=\"llama\"}} 10\n\
vllm:time_to_first_token_seconds_bucket{{le=\"1.0\",model_name=\"llama\"}} {}\n\
vllm:time_to_first_token_seconds_bucket{{le=\"+Inf\",model_name=\"llama\"}} {}\n\
# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total{{model_name=\"llama\"}} {}\n\
# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{{gpu=\"0\"}} 80\nDCGM_FI_DEV_GPU_UTIL{{gpu=\"1\"}} 60\n\
# TYPE DCGM_FI_DEV_XID_ERRORS gauge\nDCGM_FI_DEV_XID_ERRORS{{gpu=\"1\"}} {xid}\n",
        10 + ttft_slow,
        10 + ttft_slow,
        1000 + 100 * ttft_slow
    )
}

async fn health(gw: &TestGateway, id: &str) -> Value {
    let (status, body) = status_json(
        gw.control(Method::GET, &format!("/api/workloads/{id}/health"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn wait_for_status(gw: &TestGateway, id: &str, wanted: &str) -> Value {
    wait_for(
        Duration::from_secs(15),
        &format!("{id} to be {wanted}"),
        || async { Some(health(gw, id).await).filter(|body| body["status"] == wanted) },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_follows_health_checks_and_metrics_with_reasons() {
    let gw = TestGateway::start().await;
    gw.gateway
        .probe_config()
        .set_interval(Duration::from_millis(100));
    gw.gateway
        .probe_config()
        .set_timeout(Duration::from_millis(300));
    let up = Upstream::start().await;
    up.script.lock().unwrap().metrics = metrics(0, 0);
    let (status, workload) = status_json(
        gw.control(
            Method::POST,
            &format!("/api/projects/{}/workloads", gw.project_id),
        )
        .json(
            &json!({"name": "chat", "slug": "chat", "model_name": "llama", "backend": "vllm",
                "upstream_url": up.url, "metrics_urls": [format!("{}/metrics", up.url)]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    let id = workload["id"].as_str().unwrap().to_owned();

    let healthy = wait_for_status(&gw, &id, "healthy").await;
    assert_eq!(healthy["reason"], "Serving normally.");
    // Ten slow first tokens arrive between two scrapes: p50 from the delta lies
    // between 0.1 and 1.0 s.
    up.script.lock().unwrap().metrics = metrics(10, 0);
    let p50 = wait_for(
        Duration::from_secs(10),
        "a ttft p50 from the delta",
        || async {
            health(&gw, &id).await["series"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p["ttft_p50"].as_f64())
                .find(|p| *p > 0.1)
        },
    )
    .await;
    assert!(p50 > 0.1 && p50 <= 1.0, "{p50}");
    let throughput = health(&gw, &id).await["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["generation_tokens_per_s"].as_f64())
        .fold(0.0_f64, f64::max);
    assert!(
        throughput > 0.0,
        "1,000 more generated tokens show as a rate"
    );
    let last = health(&gw, &id).await["series"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        (
            last["running"].as_f64(),
            last["waiting"].as_f64(),
            last["kv_cache"].as_f64()
        ),
        (Some(2.0), Some(5.0), Some(0.31))
    );
    assert_eq!(
        last["gpus"].as_array().unwrap().len(),
        2,
        "one entry per GPU"
    );

    // A GPU reports XID 79: degraded, and the reason says which.
    up.script.lock().unwrap().metrics = metrics(10, 79);
    let degraded = wait_for_status(&gw, &id, "degraded").await;
    assert_eq!(degraded["reason"], "GPU 1 XID error 79.");
    up.script.lock().unwrap().metrics = metrics(10, 0);

    // /health stops answering in time: down after three timeouts in a row.
    up.script.lock().unwrap().health_delay = Duration::from_secs(2);
    let down = wait_for_status(&gw, &id, "down").await;
    assert_eq!(down["reason"], "Health check timed out 3× in a row.");
    // The engine dies outright: 503.
    up.script.lock().unwrap().health_delay = Duration::ZERO;
    up.script.lock().unwrap().healthy_from = Some(Instant::now() + Duration::from_secs(3600));
    let dead = wait_for_status(&gw, &id, "down").await;
    if !dead["reason"].as_str().unwrap().contains("503") {
        wait_until(
            Duration::from_secs(10),
            "a reason naming the 503",
            || async {
                health(&gw, &id).await["reason"]
                    .as_str()
                    .unwrap()
                    .contains("503")
            },
        )
        .await;
    }
    // While down, the data plane answers 503 workload_unavailable with the reason.
    let key = gw.create_key("app").await;
    let secret = key["secret"].as_str().unwrap().to_owned();
    let chat = || async {
        status_json(
            gw.http
                .post(gw.url("/v1/chat/completions"))
                .bearer_auth(&secret)
                .json(&json!({"model": "chat", "messages": []}))
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    let (status, body) = chat().await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("workload_unavailable")),
        "{body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("503"),
        "{body}"
    );
    // And recovers.
    up.script.lock().unwrap().healthy_from = None;
    wait_for_status(&gw, &id, "healthy").await;
    assert_eq!(chat().await.0, 200, "serving again once healthy");

    // The history covers the whole story; other projects cannot read it.
    let series = health(&gw, &id).await["series"].as_array().unwrap().clone();
    let statuses: Vec<&str> = series
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    for s in ["healthy", "degraded", "down"] {
        assert!(statuses.contains(&s), "{s} in {statuses:?}");
    }
    let (status, body) = status_json(
        gw.control(
            Method::GET,
            &format!("/api/workloads/{id}/health?from=yesterday"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("from"))
    );
}

/// A server without a health route (Ollama has none) is up, not down: the data plane
/// keeps serving it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_a_health_route_counts_as_up() {
    let gw = TestGateway::start().await;
    gw.gateway
        .probe_config()
        .set_interval(Duration::from_millis(100));
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(|| async {
            axum::Json(json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (_, workload) = status_json(
        gw.control(Method::POST, &format!("/api/projects/{}/workloads", gw.project_id))
            .json(&json!({"name": "ollama", "slug": "ollama", "model_name": "llama3", "backend": "ollama", "upstream_url": url}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = workload["id"].as_str().unwrap();
    let first = wait_for_status(&gw, id, "healthy").await;
    // Three more probe rounds: it must stay up through them.
    let probes = first["series"].as_array().unwrap().len();
    let gw_ref = &gw;
    wait_until(Duration::from_secs(15), "three more probes", || async move {
        health(gw_ref, id).await["series"].as_array().unwrap().len() >= probes + 3
    })
    .await;
    assert_eq!(health(&gw, id).await["status"], "healthy");
    let key = gw.create_key("app").await;
    let (status, body) = status_json(
        gw.http
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(key["secret"].as_str().unwrap())
            .json(&json!({"model": "ollama", "messages": []}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// The project-wide summary the console polls (issue #9): every workload's status,
/// reason and last probe numbers from the prober's memory; `unknown` with a reason for
/// a workload without an upstream; another project's path is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_summary_lists_every_workload_with_its_last_probe() {
    let gw = TestGateway::start().await;
    gw.gateway
        .probe_config()
        .set_interval(Duration::from_millis(100));
    let up = Upstream::start().await;
    up.script.lock().unwrap().metrics = metrics(0, 0);
    let workloads = format!("/api/projects/{}/workloads", gw.project_id);
    for body in [
        json!({"name": "chat", "slug": "chat", "model_name": "llama", "backend": "vllm",
            "upstream_url": up.url, "metrics_urls": [format!("{}/metrics", up.url)]}),
        json!({"name": "idle", "slug": "idle", "model_name": "qwen", "backend": "vllm"}),
    ] {
        let (status, _) = status_json(
            gw.control(Method::POST, &workloads)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 201);
    }
    let summary_path = format!("{workloads}/health");
    let summary = wait_for(
        Duration::from_secs(15),
        "the first workload healthy",
        || async {
            let (status, body) =
                status_json(gw.control(Method::GET, &summary_path).send().await.unwrap()).await;
            assert_eq!(status, 200, "{body}");
            Some(body).filter(|body| body["workloads"][0]["status"] == "healthy")
        },
    )
    .await;
    let rows = summary["workloads"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let chat = &rows[0];
    assert_eq!(chat["slug"], "chat");
    assert_eq!(chat["reason"], "Serving normally.");
    assert!(chat["checked_at"].is_string());
    assert_eq!(
        (
            chat["gpus"].as_u64(),
            chat["running"].as_f64(),
            chat["waiting"].as_f64(),
            chat["kv_cache"].as_f64()
        ),
        (Some(2), Some(2.0), Some(5.0), Some(0.31))
    );
    let idle = &rows[1];
    assert_eq!(
        (idle["slug"].as_str(), idle["status"].as_str()),
        (Some("idle"), Some("unknown"))
    );
    assert_eq!(idle["reason"], "No upstream server is configured.");
    assert_eq!(idle["gpus"], 0);

    let (status, body) = status_json(
        gw.control(Method::GET, "/api/projects/someone-else/workloads/health")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
}

/// The race CI hit with the InferenceKey SDK: a round of the prober saw the model still
/// loading (503 → `down`), readiness then told the caller `ready`, and the data plane
/// kept refusing the workload on the round's stale status until the next round. A
/// readiness check that finds the upstream serving now records a fresh probe, so the
/// request right after `ready` is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_from_readiness_is_never_refused_on_an_older_round() {
    use futures_util::StreamExt;
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    // The background prober must not probe during the test (this test drives the
    // rounds): let it probe a marker workload once, then pause it (which waits for a
    // round in flight to end).
    gw.gateway
        .probe_config()
        .set_interval(Duration::from_millis(50));
    let marker = crate::dataplane::workload(&gw, "marker", "marker", Some(&up.url)).await;
    let marker = marker["id"].as_str().unwrap();
    wait_for_status(&gw, marker, "healthy").await;
    gw.gateway.prober_state().pause_background().await;
    let marker_probes = || async {
        health(&gw, marker).await["series"]
            .as_array()
            .unwrap()
            .len()
    };
    let probes_before = marker_probes().await;

    up.script.lock().unwrap().healthy_from = Some(Instant::now() + Duration::from_secs(3600));
    let created = crate::dataplane::workload(&gw, "chat", "llama", Some(&up.url)).await;
    let id = created["id"].as_str().unwrap();
    let (_, secret) = crate::dataplane::key(&gw, json!({"name": "sdk"})).await;
    let chat = || {
        gw.http
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(&secret)
            .json(&json!({"model": "chat", "messages": [{"role": "user", "content": "Hi"}]}))
            .send()
    };

    keyward_gateway::prober::probe_all(&gw.gateway)
        .await
        .unwrap();
    assert_eq!(health(&gw, id).await["status"], "down");
    let (status, body) = status_json(chat().await.unwrap()).await;
    assert_eq!(status, 503, "{body}");

    // The model finishes loading; the caller waits for readiness, as SDKs do.
    up.script.lock().unwrap().healthy_from = None;
    let events = gw
        .control(
            Method::GET,
            &format!(
                "/api/projects/{}/workloads/chat/readiness-events",
                gw.project_id
            ),
        )
        .send()
        .await
        .unwrap();
    let mut stream = events.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("\"phase\":\"ready\"") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a readiness event within 10 s")
            .expect("the stream stays open until ready")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }

    let (status, body) = status_json(chat().await.unwrap()).await;
    assert_eq!(status, 200, "served right after ready: {body}");
    assert_eq!(health(&gw, id).await["status"], "healthy");
    assert_eq!(
        marker_probes().await,
        probes_before + 1,
        "only this test's round probed: a background round would have hidden the race"
    );
}

/// vLLM metrics with this queue: `waiting` requests waiting, `running` running.
fn queue_metrics(waiting: u32, running: u32) -> String {
    format!(
        "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{{model_name=\"llama\"}} {running}\n\
# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{{model_name=\"llama\"}} {waiting}\n\
# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{{model_name=\"llama\"}} 0.5\n"
    )
}

/// issue #15: a queue that keeps growing (waiting 5 → 500 with 64 running) degrades
/// the workload once it has stayed backed up — more waiting than running, by default —
/// for the whole window; the reason says how it grew; it recovers once it drains.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_backed_up_for_the_window_degrades_the_workload() {
    let gw = TestGateway::start().await;
    let config = gw.gateway.probe_config();
    config.set_interval(Duration::from_millis(100));
    config.set_thresholds(keyward_gateway::health::Thresholds {
        queue_for: chrono::Duration::seconds(1),
        ..Default::default()
    });
    let up = Upstream::start().await;
    up.script.lock().unwrap().metrics = queue_metrics(5, 64);
    let (status, workload) = status_json(
        gw.control(
            Method::POST,
            &format!("/api/projects/{}/workloads", gw.project_id),
        )
        .json(
            &json!({"name": "chat", "slug": "chat", "model_name": "llama", "backend": "vllm",
                "upstream_url": up.url, "metrics_urls": [format!("{}/metrics", up.url)]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{workload}");
    let id = workload["id"].as_str().unwrap().to_owned();
    wait_for_status(&gw, &id, "healthy").await;

    // The queue grows past the running batch and keeps growing.
    let started = Instant::now();
    let mut backed_up_since = None;
    let mut waiting = 5;
    let degraded = loop {
        waiting = (waiting + 20).min(500);
        up.script.lock().unwrap().metrics = queue_metrics(waiting, 64);
        if waiting > 64 {
            backed_up_since.get_or_insert_with(Instant::now);
        }
        let body = health(&gw, &id).await;
        if body["status"] == "degraded" {
            break body;
        }
        assert_eq!(body["status"], "healthy", "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never degraded: {body}"
        );
        // Paces the queue's growth: the backlog must build up over time, as a real one does.
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let reason = degraded["reason"].as_str().unwrap();
    assert!(
        reason.contains("requests waiting, up from") && reason.ends_with("64 running, for 1 s."),
        "{reason}"
    );
    let sustained = backed_up_since.unwrap().elapsed();
    assert!(
        sustained >= Duration::from_millis(900),
        "degraded only once backed up for the window: after {sustained:?}"
    );

    up.script.lock().unwrap().metrics = queue_metrics(3, 64);
    let healthy = wait_for_status(&gw, &id, "healthy").await;
    assert_eq!(healthy["reason"], "Serving normally.");
}
