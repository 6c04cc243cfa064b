//! The Gcore fake on its own (issue #19): key and deployment name rules answered as 422
//! naming the field, offset paging with `count`, the 409 on deleting an attached key,
//! tasks that end after a number of polls (and the deployment's status following them),
//! and the test hooks: a task ending in ERROR, a failing region, scaling to zero.

use crate::util::{client, send};
use keyward_fakes::faults::Fault;
use keyward_fakes::gcore::{Seed, State, PROJECT_ID};
use keyward_fakes::Fake;
use serde_json::{json, Value};

fn inference(path: &str) -> String {
    format!("/cloud/v3/inference/{PROJECT_ID}{path}")
}

async fn call(
    fake: &Fake,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client()
        .request(method, format!("{}{path}", fake.base_url))
        .header("authorization", format!("APIKey {}", fake.admin_key));
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

async fn get(fake: &Fake, path: &str) -> (u16, Value) {
    call(fake, reqwest::Method::GET, path, None).await
}

async fn post(fake: &Fake, path: &str, body: Value) -> (u16, Value) {
    call(fake, reqwest::Method::POST, path, Some(body)).await
}

async fn patch(fake: &Fake, path: &str, body: Value) -> (u16, Value) {
    call(fake, reqwest::Method::PATCH, path, Some(body)).await
}

async fn delete(fake: &Fake, path: &str) -> (u16, Value) {
    call(fake, reqwest::Method::DELETE, path, None).await
}

fn deployment_body(name: &str) -> Value {
    json!({
        "name": name,
        "image": "vllm/vllm-openai:v0.6.3",
        "listening_port": 8000,
        "flavor_name": "inference-1xa100-16vcpu-200gb",
        "containers": [
            {"region_id": 76, "scale": {"min": 1, "max": 2}},
            {"region_id": 38, "scale": {"min": 2, "max": 3}},
        ],
    })
}

/// Polls task `id` until it ends; the states seen, in order.
async fn follow(fake: &Fake, id: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let (status, task) = get(fake, &format!("/cloud/v1/tasks/{id}")).await;
        assert_eq!(status, 200, "{task}");
        let state = task["state"].as_str().unwrap().to_owned();
        seen.push(state.clone());
        if state == "FINISHED" || state == "ERROR" {
            return seen;
        }
        assert!(seen.len() < 20, "task {id} does not end: {seen:?}");
    }
}

fn task_of(answer: &Value) -> String {
    answer["tasks"][0].as_str().expect("a task id").to_owned()
}

#[tokio::test]
async fn key_names_descriptions_and_expiries_are_checked_like_the_create_schema() {
    let fake = Fake::gcore(Seed::generated(0)).await;
    let long_name = "a".repeat(64);
    let cases = [
        (json!({}), "name: Field required"),
        (
            json!({"name": "abc"}),
            "name: String should have at least 4",
        ),
        (
            json!({"name": long_name}),
            "name: String should have at most 63",
        ),
        (
            json!({"name": "Has-Upper"}),
            "name: String should match pattern",
        ),
        (
            json!({"name": "-leading"}),
            "name: String should match pattern",
        ),
        (
            json!({"name": "two..dots"}),
            "name: String should match pattern",
        ),
        (
            json!({"name": "fine-name", "description": "d".repeat(301)}),
            "description: String should have at most 300",
        ),
        (
            json!({"name": "fine-name", "expires_at": "tomorrow"}),
            "expires_at:",
        ),
        (
            json!({"name": "fine-name", "scopes": ["x"]}),
            "scopes: Extra inputs",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = post(&fake, &inference("/api_keys"), body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["code"], 422);
        let said = answer["message"].as_str().unwrap();
        assert!(said.starts_with(message), "{body}: {said}");
    }
    // 63 characters, dots between labels, a description of exactly 300: accepted.
    let name = format!("{}.b", "a".repeat(61));
    let (status, created) = post(
        &fake,
        &inference("/api_keys"),
        json!({"name": name, "description": "d".repeat(300), "expires_at": "2027-03-01"}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["expires_at"], "2027-03-01T00:00:00Z");
    assert_eq!(created["secret"].as_str().unwrap().len(), 32);
    let (status, _) = post(&fake, &inference("/api_keys"), json!({"name": name})).await;
    assert_eq!(status, 409, "a second key of the same name");
    // Only the description can change after creation.
    let (status, answer) = patch(
        &fake,
        &inference("/api_keys/notebook"),
        json!({"expires_at": null}),
    )
    .await;
    assert_eq!(
        (status, answer["message"].as_str().unwrap()),
        (422, "expires_at: Extra inputs are not permitted")
    );
    let (status, answer) = patch(
        &fake,
        &inference("/api_keys/notebook"),
        json!({"description": "lab"}),
    )
    .await;
    assert_eq!((status, &answer["description"]), (200, &json!("lab")));
    assert!(answer.get("secret").is_none());
}

#[tokio::test]
async fn deployment_requests_are_checked_like_the_create_schema() {
    let fake = Fake::gcore(Seed::generated(0)).await;
    let with = |change: Value| {
        let mut body = deployment_body("good-name");
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (
            with(json!({"name": "abc"})),
            422,
            "name: String should have at least 4",
        ),
        (
            with(json!({"name": "a".repeat(31)})),
            422,
            "name: String should have at most 30",
        ),
        (
            with(json!({"name": "dots.not.allowed"})),
            422,
            "name: String should match pattern",
        ),
        (with(json!({"image": null})), 422, "image: Field required"),
        (
            with(json!({"image": "Upper/Case"})),
            422,
            "image: String should match pattern",
        ),
        (
            with(json!({"listening_port": 0})),
            422,
            "listening_port: Input should be greater than or equal to 1",
        ),
        (
            with(json!({"containers": []})),
            422,
            "containers: List should have at least 1 item",
        ),
        (
            with(json!({"containers": [{"region_id": 76, "scale": {"min": 0, "max": 301}}]})),
            422,
            "containers.0.scale.max:",
        ),
        (
            with(json!({"containers": [{"region_id": 76, "scale": {"min": 3, "max": 1}}]})),
            400,
            "containers.0.scale: min (3)",
        ),
        (
            with(json!({"containers": [{"region_id": 8, "scale": {"min": 0, "max": 1}}]})),
            400,
            "Region 8 (Frankfurt) does not offer",
        ),
        (
            with(json!({"api_keys": ["no-such-key"]})),
            400,
            "API key 'no-such-key' not found",
        ),
        (
            with(json!({"envs": {"A": 1}})),
            422,
            "envs.A: Input should be a valid string",
        ),
    ];
    for (body, status, message) in cases {
        let (got, answer) = post(&fake, &inference("/deployments"), body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        let said = answer["message"].as_str().unwrap();
        assert!(said.starts_with(message), "{body}: {said}");
    }
    let (status, _) = post(
        &fake,
        &inference("/deployments"),
        deployment_body("llama-chat"),
    )
    .await;
    assert_eq!(status, 409, "the seed already has llama-chat");
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        13
    );
}

#[tokio::test]
async fn keys_and_deployments_page_by_offset_with_the_total_count() {
    let fake = Fake::gcore(Seed::generated(250)).await;
    let mut names = Vec::new();
    let mut offset = 0;
    loop {
        let (status, page) = get(
            &fake,
            &inference(&format!("/api_keys?limit=100&offset={offset}")),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["count"], 253);
        let results = page["results"].as_array().unwrap();
        names.extend(
            results
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_owned()),
        );
        offset += results.len();
        if results.is_empty() || offset >= 253 {
            break;
        }
    }
    assert_eq!(names.len(), 253);
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 253, "no key on two pages");
    let (_, default_page) = get(&fake, &inference("/api_keys")).await;
    assert_eq!(
        default_page["results"].as_array().unwrap().len(),
        100,
        "100 by default"
    );
    let (_, past_the_end) = get(&fake, &inference("/api_keys?offset=900")).await;
    assert_eq!(
        (
            past_the_end["count"].as_u64(),
            past_the_end["results"].as_array().unwrap().len()
        ),
        (Some(253), 0)
    );
    for bad in ["limit=0", "limit=1001", "offset=-1", "limit=ten"] {
        let (status, answer) = get(&fake, &inference(&format!("/api_keys?{bad}"))).await;
        assert_eq!(status, 422, "{bad}: {answer}");
        assert!(answer["message"]
            .as_str()
            .unwrap()
            .starts_with(bad.split('=').next().unwrap()));
    }
    let (_, deployments) = get(&fake, &inference("/deployments?limit=1&offset=2")).await;
    assert_eq!(deployments["count"], 3);
    assert_eq!(deployments["results"][0]["name"], "sd-turbo");
    let (status, _) = get(&fake, "/cloud/v3/inference/1/api_keys").await;
    assert_eq!(status, 404, "a project the token cannot see");
}

#[tokio::test]
async fn a_key_cannot_be_deleted_while_any_deployment_holds_it() {
    let fake = Fake::gcore(Seed::generated(0)).await;
    let (_, key) = get(&fake, &inference("/api_keys/ci-runner")).await;
    assert_eq!(
        key["deployment_names"],
        json!(["llama-chat", "whisper-asr"])
    );
    let (status, refused) = delete(&fake, &inference("/api_keys/ci-runner")).await;
    assert_eq!(status, 409);
    assert_eq!(refused["code"], 409);
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("llama-chat, whisper-asr"), "{message}");
    // Detach from one: still refused. From both: deleted, then gone.
    let (_, answer) = patch(
        &fake,
        &inference("/deployments/llama-chat"),
        json!({"api_keys": ["staging-app"]}),
    )
    .await;
    let first = task_of(&answer);
    let (status, _) = delete(&fake, &inference("/api_keys/ci-runner")).await;
    assert_eq!(status, 409);
    let (_, answer) = patch(
        &fake,
        &inference("/deployments/whisper-asr"),
        json!({"api_keys": []}),
    )
    .await;
    let (_, key) = get(&fake, &inference("/api_keys/ci-runner")).await;
    assert_eq!(
        key["deployment_names"],
        json!([]),
        "attachments show at once"
    );
    let (status, body) = delete(&fake, &inference("/api_keys/ci-runner")).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, missing) = get(&fake, &inference("/api_keys/ci-runner")).await;
    assert_eq!((status, &missing["code"]), (404, &json!(404)));
    let (status, _) = delete(&fake, &inference("/api_keys/ci-runner")).await;
    assert_eq!(status, 404);
    for id in [first, task_of(&answer)] {
        assert_eq!(follow(&fake, &id).await.last().unwrap(), "FINISHED");
    }
}

#[tokio::test]
async fn a_deployment_deploys_as_its_task_is_polled_not_as_time_passes() {
    let state = State::new(Seed::generated(0));
    state.set_task_polls(4);
    let fake = Fake::gcore_state(state.clone()).await;
    let (status, answer) = post(
        &fake,
        &inference("/deployments"),
        deployment_body("new-chat"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let task = task_of(&answer);
    let status_of = || async {
        let (_, d) = get(&fake, &inference("/deployments/new-chat")).await;
        d
    };
    // Reading the deployment does not move it on, however often.
    for _ in 0..5 {
        let d = status_of().await;
        assert_eq!(
            (
                d["status"].as_str(),
                d["containers"].as_array().unwrap().len()
            ),
            (Some("DEPLOYING"), 0)
        );
        assert!(d["address"].is_null());
    }
    let poll = || async {
        let (_, t) = get(&fake, &format!("/cloud/v1/tasks/{task}")).await;
        t
    };
    assert_eq!(poll().await["state"], "NEW");
    assert_eq!(
        status_of().await["containers"],
        json!([]),
        "no containers before the task runs"
    );
    assert_eq!(poll().await["state"], "RUNNING");
    let d = status_of().await;
    assert_eq!(d["status"], "DEPLOYING");
    let ready: Vec<(i64, i64)> = d["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["deploy_status"]["ready"].as_i64().unwrap(),
                c["deploy_status"]["total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ready, [(0, 1), (0, 2)], "containers exist, none ready");
    assert_eq!(poll().await["state"], "RUNNING");
    let finished = poll().await;
    assert_eq!(finished["state"], "FINISHED");
    assert_eq!(
        finished["created_resources"]["inference_instances"],
        json!(["new-chat"])
    );
    assert_eq!(
        poll().await["state"],
        "FINISHED",
        "a finished task stays so"
    );
    let d = status_of().await;
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(
        d["containers"][1]["deploy_status"],
        json!({"ready": 2, "total": 2})
    );
    assert!(d["address"].as_str().unwrap().starts_with("https://"));
    let (status, _) = get(
        &fake,
        "/cloud/v1/tasks/00000000-0000-4000-a000-000000000000",
    )
    .await;
    assert_eq!(status, 404);

    // Deleting: DELETING until the task ends, then gone.
    let (_, answer) = delete(&fake, &inference("/deployments/new-chat")).await;
    assert_eq!(status_of().await["status"], "DELETING");
    assert_eq!(
        follow(&fake, &task_of(&answer)).await,
        ["NEW", "RUNNING", "RUNNING", "FINISHED"]
    );
    let (status, _) = get(&fake, &inference("/deployments/new-chat")).await;
    assert_eq!(status, 404);
    assert_eq!(state.tasks().len(), 2);
}

#[tokio::test]
async fn a_failed_task_undoes_its_change_and_says_why() {
    let state = State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    state.fail_next_task("Not enough GPU quota in region 38.");
    let (_, answer) = post(&fake, &inference("/deployments"), deployment_body("doomed")).await;
    let task = task_of(&answer);
    assert_eq!(follow(&fake, &task).await, ["NEW", "RUNNING", "ERROR"]);
    let (_, ended) = get(&fake, &format!("/cloud/v1/tasks/{task}")).await;
    assert_eq!(ended["error"], "Not enough GPU quota in region 38.");
    assert!(ended["created_resources"].is_null());
    let (status, _) = get(&fake, &inference("/deployments/doomed")).await;
    assert_eq!(status, 404, "a deployment whose creation failed is gone");
    // A failed update restores what was there; the next task succeeds again.
    state.fail_next_task("Image pull failed.");
    let (_, answer) = patch(
        &fake,
        &inference("/deployments/llama-chat"),
        json!({"image": "broken/image:1"}),
    )
    .await;
    let (_, during) = get(&fake, &inference("/deployments/llama-chat")).await;
    assert_eq!(
        (during["image"].as_str(), during["status"].as_str()),
        (Some("broken/image:1"), Some("DEPLOYING"))
    );
    assert_eq!(
        follow(&fake, &task_of(&answer)).await.last().unwrap(),
        "ERROR"
    );
    let (_, after) = get(&fake, &inference("/deployments/llama-chat")).await;
    assert_eq!(
        (after["image"].as_str(), after["status"].as_str()),
        (Some("vllm/vllm-openai:v0.6.3"), Some("ACTIVE"))
    );
    let (_, answer) = patch(
        &fake,
        &inference("/deployments/llama-chat"),
        json!({"description": "ok"}),
    )
    .await;
    assert_eq!(
        follow(&fake, &task_of(&answer)).await.last().unwrap(),
        "FINISHED"
    );
}

#[tokio::test]
async fn a_failing_region_partially_deploys_and_scaling_to_zero_is_pending() {
    let state = State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    state.fail_region(38, "0/4 nodes are available: insufficient nvidia.com/gpu.");
    let (_, d) = get(&fake, &inference("/deployments/llama-chat")).await;
    assert_eq!(d["status"], "PARTIALLYDEPLOYED");
    let containers = d["containers"].as_array().unwrap();
    assert_eq!(
        (
            containers[0]["region_id"].as_i64(),
            &containers[0]["error_message"]
        ),
        (Some(76), &Value::Null)
    );
    assert_eq!(
        containers[0]["deploy_status"],
        json!({"ready": 1, "total": 1})
    );
    assert_eq!(containers[1]["region_id"], 38);
    assert_eq!(
        containers[1]["error_message"],
        "0/4 nodes are available: insufficient nvidia.com/gpu."
    );
    assert_eq!(
        containers[1]["deploy_status"],
        json!({"ready": 0, "total": 1})
    );
    let (_, other) = get(&fake, &inference("/deployments/whisper-asr")).await;
    assert_eq!(
        other["status"], "PENDING",
        "a deployment elsewhere is untouched"
    );
    state.heal_region(38);
    let (_, d) = get(&fake, &inference("/deployments/llama-chat")).await;
    assert_eq!(d["status"], "ACTIVE");

    assert!(state.scale_to_zero(PROJECT_ID, "llama-chat"));
    assert!(!state.scale_to_zero(PROJECT_ID, "no-such-deployment"));
    let (_, d) = get(&fake, &inference("/deployments/llama-chat")).await;
    assert_eq!(d["status"], "PENDING");
    assert_eq!(
        d["containers"][0]["deploy_status"],
        json!({"ready": 0, "total": 0})
    );

    // Stop, then start: DISABLED at once, then DEPLOYING until read task_polls times.
    let (status, _) = post(&fake, &inference("/deployments/llama-chat/stop"), json!({})).await;
    assert_eq!(status, 204);
    let (_, d) = get(&fake, &inference("/deployments/llama-chat")).await;
    assert_eq!(d["status"], "DISABLED");
    let (status, _) = post(
        &fake,
        &inference("/deployments/llama-chat/start"),
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (_, d) = get(&fake, &inference("/deployments/llama-chat")).await;
        seen.push(d["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, ["DEPLOYING", "DEPLOYING", "ACTIVE"]);
}

#[tokio::test]
async fn the_token_is_an_apikey_header_and_faults_answer_in_gcores_shape() {
    let fake = Fake::gcore(Seed::generated(0)).await;
    let projects = format!("{}/cloud/v1/projects", fake.base_url);
    let (status, answer) = send(client().get(&projects)).await;
    assert_eq!((status, &answer["code"]), (401, &json!(401)));
    let (status, _) = send(client().get(&projects).bearer_auth(&fake.admin_key)).await;
    assert_eq!(status, 401, "Bearer is not Gcore's scheme");
    let (status, _) = send(
        client()
            .get(&projects)
            .header("authorization", "APIKey 1$wrong"),
    )
    .await;
    assert_eq!(status, 401);
    let lower = client()
        .get(&projects)
        .header("authorization", format!("apikey {}", fake.admin_key));
    let (status, listed) = send(lower).await;
    assert_eq!(status, 200, "the docs' lower-case scheme");
    assert_eq!(listed["count"], 2);
    assert_eq!(listed["results"][0]["id"], PROJECT_ID);

    fake.faults.push(
        "/api_keys",
        Fault::Status {
            status: 429,
            retry_after: Some(3),
        },
        1,
    );
    let response = client()
        .get(format!("{}{}", fake.base_url, inference("/api_keys")))
        .header("authorization", format!("APIKey {}", fake.admin_key))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 429);
    assert!(body["message"].as_str().is_some());
    let (status, _) = get(&fake, &inference("/api_keys")).await;
    assert_eq!(status, 200, "the fault was used up");
    let recorded = fake.requests();
    assert!(recorded
        .iter()
        .all(|r| !r.headers.iter().any(|(_, v)| v.contains(&fake.admin_key))));
}
