//! The workload API in InferenceKey's shape (issue #8, first part): create with
//! defaults, list, PATCH of only the fields sent, validation naming the field and the
//! allowed values, duplicate slugs, and delete leaving referencing keys valid for
//! their other workloads.

use crate::util::{status_json, TestGateway};
use reqwest::Method;
use serde_json::{json, Value};

async fn call(gw: &TestGateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = gw.control(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_json(request.send().await.unwrap()).await
}

fn workloads_path(gw: &TestGateway) -> String {
    format!("/api/projects/{}/workloads", gw.project_id)
}

#[tokio::test]
async fn create_list_patch_and_validate() {
    let gw = TestGateway::start().await;
    // Exactly what the official SDK's `ensure` posts.
    let (status, created) = call(
        &gw,
        Method::POST,
        &workloads_path(&gw),
        Some(json!({"backend": "vllm", "model_name": "meta-llama/Llama-3.1-8B-Instruct", "name": "Chat", "slug": "chat", "task_type": "text2text"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    for field in [
        "id",
        "project_id",
        "name",
        "slug",
        "model_name",
        "backend",
        "task_type",
        "created_at",
        "updated_at",
    ] {
        assert!(!created[field].is_null(), "{field} is present");
    }
    assert_eq!(created["project_id"], gw.project_id.as_str());
    assert_eq!(created["metrics_urls"], json!([]));
    let id = created["id"].as_str().unwrap();

    let (status, list) = call(&gw, Method::GET, &workloads_path(&gw), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["workloads"][0]["id"], id);

    // PATCH changes only what is sent; null clears an optional field.
    let (status, patched) = call(
        &gw,
        Method::PATCH,
        &format!("/api/workloads/{id}"),
        Some(json!({"model_name": "Qwen/Qwen2.5-7B-Instruct", "description": "chat", "upstream_url": "http://127.0.0.1:8000/", "metrics_urls": ["http://127.0.0.1:8000/metrics", "http://127.0.0.1:9400/metrics"], "config": {"max_model_len": 8192}})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["model_name"], "Qwen/Qwen2.5-7B-Instruct");
    assert_eq!(
        patched["upstream_url"], "http://127.0.0.1:8000",
        "trailing slash trimmed"
    );
    assert_eq!(patched["config"]["max_model_len"], 8192);
    assert_eq!(patched["slug"], "chat");
    let (_, cleared) = call(
        &gw,
        Method::PATCH,
        &format!("/api/workloads/{id}"),
        Some(json!({"description": null})),
    )
    .await;
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["model_name"], "Qwen/Qwen2.5-7B-Instruct");

    // Task type defaults to text2text.
    let (status, embed) = call(
        &gw,
        Method::POST,
        &workloads_path(&gw),
        Some(
            json!({"backend": "sglang", "model_name": "bge-m3", "name": "Embed", "slug": "embed"}),
        ),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(embed["task_type"], "text2text");

    // Duplicate slug → 409 naming the field; bad values → 400 naming field and values.
    let (status, body) = call(
        &gw,
        Method::POST,
        &workloads_path(&gw),
        Some(json!({"backend": "vllm", "model_name": "m", "name": "Again", "slug": "chat"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (409, Some("slug")),
        "{body}"
    );
    let (status, body) = call(
        &gw,
        Method::PATCH,
        &format!("/api/workloads/{id}"),
        Some(json!({"slug": "embed"})),
    )
    .await;
    assert_eq!(status, 409, "renaming onto a taken slug: {body}");
    for (bad, field, mentions) in [
        (
            json!({"backend": "tgi"}),
            "backend",
            "ollama, vllm, vllm-omni, sglang, llamacpp",
        ),
        (
            json!({"task_type": "chat"}),
            "task_type",
            "text2text, embedding",
        ),
        (
            json!({"execution_policy": "always"}),
            "execution_policy",
            "fixed, scheduled, autoscaling",
        ),
        (json!({"slug": "Not A Slug"}), "slug", "lowercase"),
        (json!({"replicas": 3}), "replicas", "not a field"),
        (json!({"upstream_url": "ftp://x"}), "upstream_url", "http"),
    ] {
        let (status, body) = call(
            &gw,
            Method::PATCH,
            &format!("/api/workloads/{id}"),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["field"], field, "{bad}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(mentions),
            "{bad}: {body}"
        );
    }
    let (status, body) = call(
        &gw,
        Method::POST,
        &workloads_path(&gw),
        Some(json!({"name": "x", "slug": "x", "model_name": "m"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("backend"))
    );
    let (status, _) = call(&gw, Method::GET, "/api/workloads/wl_missing", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn deleting_a_workload_keeps_keys_valid_for_their_other_workloads() {
    let gw = TestGateway::start().await;
    let mut ids = Vec::new();
    for slug in ["chat-a", "chat-b"] {
        let (status, w) = call(
            &gw,
            Method::POST,
            &workloads_path(&gw),
            Some(json!({"backend": "vllm", "model_name": slug, "name": slug, "slug": slug})),
        )
        .await;
        assert_eq!(status, 201);
        ids.push(w["id"].as_str().unwrap().to_owned());
    }
    let (_, both) = call(
        &gw,
        Method::POST,
        &gw.keys_path(),
        Some(json!({"name": "both", "workloads": ["chat-a", "chat-b"]})),
    )
    .await;
    let (_, only_a) = call(
        &gw,
        Method::POST,
        &gw.keys_path(),
        Some(json!({"name": "only-a", "workloads": ["chat-a"]})),
    )
    .await;
    let (_, project) = call(
        &gw,
        Method::POST,
        &gw.keys_path(),
        Some(json!({"name": "project-wide"})),
    )
    .await;

    let (status, deleted) = call(
        &gw,
        Method::DELETE,
        &format!("/api/workloads/{}", ids[0]),
        None,
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["deleted"], true);
    let mut affected: Vec<(String, Value)> = deleted["affected_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["name"].as_str().unwrap().to_owned(),
                k["remaining_workloads"].clone(),
            )
        })
        .collect();
    affected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        affected,
        [
            ("both".to_owned(), json!(["chat-b"])),
            ("only-a".to_owned(), json!([]))
        ]
    );

    let get = |key: &Value| format!("/v1/inference/keys/{}", key["id"].as_str().unwrap());
    let (_, now_both) = call(&gw, Method::GET, &get(&both), None).await;
    assert_eq!(
        (now_both["status"].as_str(), &now_both["workloads"]),
        (Some("active"), &json!(["chat-b"]))
    );
    let (_, now_a) = call(&gw, Method::GET, &get(&only_a), None).await;
    assert_eq!(
        now_a["workloads"],
        json!([]),
        "no workload left: not widened to the project"
    );
    let (_, now_project) = call(&gw, Method::GET, &get(&project), None).await;
    assert_eq!(now_project["workloads"], "*");

    let (status, _) = call(
        &gw,
        Method::DELETE,
        &format!("/api/workloads/{}", ids[0]),
        None,
    )
    .await;
    assert_eq!(status, 404, "already gone");
    let (_, audit) = call(
        &gw,
        Method::GET,
        &format!("/v1/projects/{}/audit?target_id={}", gw.project_id, ids[0]),
        None,
    )
    .await;
    let actions: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"workload.deleted") && actions.contains(&"workload.created"),
        "{actions:?}"
    );
}

/// issue #15: two URLs typed without a line break are refused, naming the field, on
/// create and PATCH (one rule in keyward-api, which the console's form check shares).
#[tokio::test]
async fn run_together_urls_are_refused_naming_the_field() {
    let gw = TestGateway::start().await;
    let base = json!({"backend": "vllm", "model_name": "m", "name": "Chat", "slug": "chat"});
    for (field, value) in [
        (
            "metrics_urls",
            json!(["http://10.0.0.5:8000/metricshttp://10.0.0.5:9400/dcgm/metrics"]),
        ),
        (
            "metrics_urls",
            json!([
                "http://a:8000/metrics",
                "https://a:9400/metricshttps://b/metrics"
            ]),
        ),
        (
            "upstream_url",
            json!("http://10.0.0.5:8000/v1http://10.0.0.6:8000/v1"),
        ),
    ] {
        let mut body = base.clone();
        body[field] = value.clone();
        let (status, response) = call(&gw, Method::POST, &workloads_path(&gw), Some(body)).await;
        assert_eq!(status, 400, "{value}: {response}");
        assert_eq!(response["error"]["field"], field, "{response}");
        assert!(
            response["error"]["message"]
                .as_str()
                .unwrap()
                .contains("run together"),
            "{response}"
        );
    }
    let (status, created) = call(&gw, Method::POST, &workloads_path(&gw), Some(base)).await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/api/workloads/{}", created["id"].as_str().unwrap());
    let (status, response) = call(
        &gw,
        Method::PATCH,
        &path,
        Some(json!({"metrics_urls": ["http://a/metricshttp://a/dcgm/metrics"]})),
    )
    .await;
    assert_eq!(
        (status, &response["error"]["field"]),
        (400, &json!("metrics_urls")),
        "{response}"
    );
    let (_, stored) = call(&gw, Method::GET, &path, None).await;
    assert_eq!(
        stored["metrics_urls"],
        json!([]),
        "a refused PATCH changed nothing"
    );
}
