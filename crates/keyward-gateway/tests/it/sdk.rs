//! The official OpenAI Python SDK against the gateway (issue #6): chat, streaming chat,
//! embeddings and model listing with the key as `api_key` and as `X-Api-Key`, then the
//! SDK's own exceptions for scope (403), rate limit (429) and revocation (401). The SDK
//! runs from a pinned venv (`tests/sdk/venv.sh`); the upstream is this test's.

use crate::upstream::Upstream;
use crate::util::{status_json, TestGateway};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The pinned SDK venv's python (created on first use by `tests/sdk/venv.sh`).
fn sdk_python() -> String {
    let venv = Command::new(repo().join("tests/sdk/venv.sh"))
        .output()
        .expect("tests/sdk/venv.sh runs (python3-venv, PyPI)");
    assert!(
        venv.status.success(),
        "{}",
        String::from_utf8_lossy(&venv.stderr)
    );
    String::from_utf8(venv.stdout).unwrap().trim().to_owned()
}

/// Runs `tests/sdk/<script>` with the pinned SDKs and `env`; it must print that all
/// its checks passed.
async fn run_sdk_script(script: &str, env: Vec<(&'static str, String)>) {
    let script = repo().join("tests/sdk").join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(sdk_python())
            .arg(script)
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("all checks passed"));
}

async fn post(gw: &TestGateway, path: &str, body: Value) -> Value {
    let (status, body) = status_json(
        gw.control(Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(status == 201 || status == 200, "{path}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_sdk_works_against_the_gateway() {
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    let workloads = format!("/api/projects/{}/workloads", gw.project_id);
    post(&gw, &workloads, json!({"name": "chat", "slug": "chat", "model_name": "llama", "backend": "vllm", "upstream_url": up.url})).await;
    post(&gw, &workloads, json!({"name": "embed", "slug": "embed", "model_name": "bge-m3", "backend": "sglang", "task_type": "embedding", "upstream_url": up.url})).await;
    let keys = gw.keys_path();
    let key = post(&gw, &keys, json!({"name": "sdk"})).await;
    let narrow = post(
        &gw,
        &keys,
        json!({"name": "narrow", "workloads": ["embed"]}),
    )
    .await;
    let limited = post(&gw, &keys, json!({"name": "limited", "rpm": 2})).await;
    let revoked = post(&gw, &keys, json!({"name": "revoked"})).await;
    let (status, _) = status_json(
        gw.control(
            Method::DELETE,
            &format!("/v1/inference/keys/{}", revoked["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);

    let secret = |v: &Value| v["secret"].as_str().unwrap().to_owned();
    run_sdk_script(
        "openai_sdk.py",
        vec![
            ("KW_BASE_URL", gw.url("")),
            ("KW_KEY", secret(&key)),
            ("KW_NARROW_KEY", secret(&narrow)),
            ("KW_LIMITED_KEY", secret(&limited)),
            ("KW_REVOKED_KEY", secret(&revoked)),
        ],
    )
    .await;

    // What the SDK did was metered: 1 chat + 2 streams + 1 embedding + 1 header chat.
    gw.gateway.flush_usage().await.unwrap();
    let (_, usage) = status_json(
        gw.control(
            Method::GET,
            &format!("/v1/inference/keys/{}/usage", key["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(usage["requests"], 5, "{usage}");
}

/// Issue #8: the official InferenceKey SDK provisions (ensure, reconcile, delete),
/// waits for readiness over the gateway's SSE stream, and calls the workload through
/// the data plane with a data key; least privilege holds both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_inferencekey_sdk_works_against_the_gateway() {
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    // The model server "loads" for a second and a half after it is first asked.
    up.script.lock().unwrap().loading_for = Some(std::time::Duration::from_millis(1500));
    let keys = gw.keys_path();
    // Scoped to chat and rank by the script once `ensure` has created them: a key may
    // name only existing workloads (issue #15).
    let key = post(&gw, &keys, json!({"name": "sdk"})).await;
    let revoked = post(&gw, &keys, json!({"name": "revoked"})).await;
    let (status, _) = status_json(
        gw.control(
            Method::DELETE,
            &format!("/v1/inference/keys/{}", revoked["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let secret = |v: &Value| v["secret"].as_str().unwrap().to_owned();
    run_sdk_script(
        "inferencekey_sdk.py",
        vec![
            ("KW_BASE_URL", gw.url("")),
            ("KW_PROJECT", gw.project_id.clone()),
            ("KW_CONTROL_TOKEN", gw.owner_token.clone()),
            ("KW_UPSTREAM", up.url.clone()),
            ("KW_KEY", secret(&key)),
            ("KW_KEY_ID", key["id"].as_str().unwrap().to_owned()),
            ("KW_REVOKED_KEY", secret(&revoked)),
        ],
    )
    .await;
}
