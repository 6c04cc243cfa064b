//! Least privilege (issue #3), object by object: keys, usage, audit, projects and
//! control tokens, for every kind of caller that must be refused, and proof that the
//! refused calls left the other project's objects untouched.

use crate::util::{status_json, TestGateway};
use reqwest::Method;
use serde_json::{json, Value};

struct World {
    gw: TestGateway,
    project_b: String,
    admin_a: String,
    viewer_a: String,
    admin_b: String,
    key_a: Value,
    key_b: Value,
    workload_a: Value,
    /// The id of `admin_a`'s control token.
    admin_a_id: String,
}

async fn as_token(
    gw: &TestGateway,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = gw.http.request(method, gw.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_json(request.send().await.unwrap()).await
}

async fn mint_token(gw: &TestGateway, project: &str, role: &str) -> String {
    let (status, body) = as_token(
        gw,
        &gw.owner_token,
        Method::POST,
        &format!("/v1/projects/{project}/control-tokens"),
        Some(json!({"name": format!("{role} of {project}"), "role": role})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["role"], role);
    body["secret"].as_str().unwrap().to_owned()
}

async fn world() -> World {
    let gw = TestGateway::start().await;
    let (status, project_b) = as_token(
        &gw,
        &gw.owner_token,
        Method::POST,
        "/v1/projects",
        Some(json!({"name": "Team B"})),
    )
    .await;
    assert_eq!(status, 201, "{project_b}");
    let project_b = project_b["id"].as_str().unwrap().to_owned();
    let admin_a = mint_token(&gw, &gw.project_id, "admin").await;
    let viewer_a = mint_token(&gw, &gw.project_id, "viewer").await;
    let admin_b = mint_token(&gw, &project_b, "admin").await;
    let (_, key_a) = as_token(
        &gw,
        &admin_a,
        Method::POST,
        &gw.keys_path(),
        Some(json!({"name": "a-key"})),
    )
    .await;
    let (_, key_b) = as_token(
        &gw,
        &admin_b,
        Method::POST,
        &format!("/v1/projects/{project_b}/inference/keys"),
        Some(json!({"name": "b-key"})),
    )
    .await;
    let (status, workload_a) = as_token(
        &gw,
        &admin_a,
        Method::POST,
        &format!("/api/projects/{}/workloads", gw.project_id),
        Some(json!({"name": "Chat", "slug": "chat-a", "model_name": "llama", "backend": "vllm"})),
    )
    .await;
    assert_eq!(status, 201, "{workload_a}");
    let (_, who) = as_token(&gw, &admin_a, Method::GET, "/v1/whoami", None).await;
    let admin_a_id = who["token_id"].as_str().unwrap().to_owned();
    World {
        gw,
        project_b,
        admin_a,
        viewer_a,
        admin_b,
        key_a,
        key_b,
        workload_a,
        admin_a_id,
    }
}

/// Every control route, as (method, path, body) for the objects of project A.
fn control_routes(w: &World) -> Vec<(Method, String, Option<Value>)> {
    let a = &w.gw.project_id;
    let key = w.key_a["id"].as_str().unwrap();
    let workload = w.workload_a["id"].as_str().unwrap();
    vec![
        (Method::GET, format!("/api/projects/{a}/workloads"), None),
        (
            Method::POST,
            format!("/api/projects/{a}/workloads"),
            Some(json!({"name": "x", "slug": "x", "model_name": "m", "backend": "vllm"})),
        ),
        (Method::GET, format!("/api/workloads/{workload}"), None),
        (
            Method::PATCH,
            format!("/api/workloads/{workload}"),
            Some(json!({"model_name": "other"})),
        ),
        (Method::DELETE, format!("/api/workloads/{workload}"), None),
        (
            Method::GET,
            format!("/v1/projects/{a}/inference/keys"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/projects/{a}/inference/keys"),
            Some(json!({"name": "x"})),
        ),
        (Method::GET, format!("/v1/inference/keys/{key}"), None),
        (
            Method::GET,
            format!("/v1/projects/{a}/usage?start=2026-11-01T00:00:00Z&end=2026-11-02T00:00:00Z&group_by=key"),
            None,
        ),
        (
            Method::PATCH,
            format!("/v1/inference/keys/{key}"),
            Some(json!({"rpm": 1})),
        ),
        (Method::DELETE, format!("/v1/inference/keys/{key}"), None),
        (
            Method::POST,
            format!("/v1/inference/keys/{key}/archive"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/inference/keys/{key}/unarchive"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/inference/keys/{key}/rotate"),
            None,
        ),
        (Method::GET, format!("/v1/inference/keys/{key}/usage"), None),
        (
            Method::POST,
            "/v1/inference/keys/identify".into(),
            Some(json!({"secret": w.key_a["secret"]})),
        ),
        (Method::GET, format!("/v1/projects/{a}/audit"), None),
        (Method::GET, "/v1/projects".into(), None),
        (
            Method::POST,
            "/v1/projects".into(),
            Some(json!({"name": "x"})),
        ),
        (Method::GET, format!("/v1/projects/{a}"), None),
        (
            Method::PATCH,
            format!("/v1/projects/{a}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::GET,
            format!("/v1/projects/{a}/control-tokens"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/projects/{a}/control-tokens"),
            Some(json!({"name": "x", "role": "admin"})),
        ),
        (Method::GET, "/v1/whoami".into(), None),
        (
            Method::POST,
            format!("/v1/control-tokens/{}/rotate", w.admin_a_id),
            None,
        ),
        (
            Method::DELETE,
            format!("/v1/control-tokens/{}", w.admin_a_id),
            None,
        ),
    ]
}

/// Project A's key is exactly as it was: active, unchanged, secret still working.
async fn key_a_untouched(w: &World) {
    let path = format!("/v1/inference/keys/{}", w.key_a["id"].as_str().unwrap());
    let (_, now) = as_token(&w.gw, &w.gw.owner_token, Method::GET, &path, None).await;
    assert_eq!(now["status"], "active");
    assert_eq!(now["rpm"], Value::Null);
    assert_eq!(now["masked"], w.key_a["masked"]);
    let models =
        w.gw.http
            .get(w.gw.url("/v1/models"))
            .bearer_auth(w.key_a["secret"].as_str().unwrap())
            .send()
            .await
            .unwrap();
    assert_eq!(models.status(), 200);
    let path = format!("/api/workloads/{}", w.workload_a["id"].as_str().unwrap());
    let (status, workload) = as_token(&w.gw, &w.gw.owner_token, Method::GET, &path, None).await;
    assert_eq!(status, 200, "project A's workload still exists");
    assert_eq!(workload["model_name"], "llama", "and is unchanged");
}

#[tokio::test]
async fn a_data_key_is_refused_on_every_control_route() {
    let w = world().await;
    let data_key = w.key_a["secret"].as_str().unwrap().to_owned();
    for (method, path, body) in control_routes(&w) {
        let (status, response) = as_token(&w.gw, &data_key, method.clone(), &path, body).await;
        assert_eq!(status, 403, "{method} {path}: {response}");
        assert!(
            response["error"]["message"]
                .as_str()
                .unwrap()
                .contains("wrong_credential_type"),
            "{method} {path}"
        );
    }
    key_a_untouched(&w).await;
}

#[tokio::test]
async fn control_tokens_cannot_call_inference() {
    let w = world().await;
    for token in [&w.gw.owner_token, &w.admin_a, &w.viewer_a] {
        let (status, body) = as_token(&w.gw, token, Method::GET, "/v1/models", None).await;
        assert_eq!(status, 403);
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wrong_credential_type"));
    }
}

#[tokio::test]
async fn a_viewer_reads_but_every_mutation_is_scope_insufficient() {
    let w = world().await;
    for (method, path, body) in control_routes(&w) {
        let (status, response) = as_token(&w.gw, &w.viewer_a, method.clone(), &path, body).await;
        let mutation = method != Method::GET && !path.ends_with("/identify");
        if mutation {
            assert_eq!(status, 403, "{method} {path}: {response}");
            assert!(
                response["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("scope_insufficient"),
                "{method} {path}: {response}"
            );
        } else if path.ends_with("/control-tokens") {
            assert_eq!(status, 403, "only the owner lists control tokens");
        } else {
            assert_eq!(status, 200, "{method} {path}: {response}");
        }
    }
    key_a_untouched(&w).await;
}

#[tokio::test]
async fn project_b_cannot_touch_anything_of_project_a() {
    let w = world().await;
    for (method, path, body) in control_routes(&w) {
        let (status, response) = as_token(&w.gw, &w.admin_b, method.clone(), &path, body).await;
        let own = path == "/v1/projects" || path == "/v1/whoami";
        if own && method == Method::GET {
            assert_eq!(status, 200, "{path}");
            if path == "/v1/projects" {
                let ids: Vec<&str> = response["projects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids, [w.project_b.as_str()], "B sees only its own project");
            }
            continue;
        }
        assert!(
            status == 403 || status == 404,
            "{method} {path}: {status} {response}"
        );
        if status == 403 {
            let message = response["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("project_scope_mismatch")
                    || message.contains("scope_insufficient"),
                "{method} {path}: {message}"
            );
        }
    }
    key_a_untouched(&w).await;
    // And A cannot see B's key by id, nor identify B's secret.
    let (status, _) = as_token(
        &w.gw,
        &w.admin_a,
        Method::GET,
        &format!("/v1/inference/keys/{}", w.key_b["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = as_token(
        &w.gw,
        &w.admin_a,
        Method::POST,
        "/v1/inference/keys/identify",
        Some(json!({"secret": w.key_b["secret"]})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_revoked_control_token_is_refused_everywhere() {
    let w = world().await;
    let (_, tokens) = as_token(
        &w.gw,
        &w.gw.owner_token,
        Method::GET,
        &format!("/v1/projects/{}/control-tokens", w.gw.project_id),
        None,
    )
    .await;
    let admin = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "admin")
        .unwrap()
        .clone();
    assert!(
        admin.get("secret").is_none() && !tokens.to_string().contains(&w.admin_a[7..]),
        "token list is masked"
    );
    let (status, revoked) = as_token(
        &w.gw,
        &w.gw.owner_token,
        Method::DELETE,
        &format!("/v1/control-tokens/{}", admin["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!((status, revoked["revoked_at"].is_string()), (200, true));
    for (method, path, body) in control_routes(&w) {
        let (status, _) = as_token(&w.gw, &w.admin_a, method.clone(), &path, body).await;
        assert_eq!(status, 403, "{method} {path}");
    }
    key_a_untouched(&w).await;
}

#[tokio::test]
async fn the_owner_manages_projects_and_control_tokens() {
    let w = world().await;
    let gw = &w.gw;
    let (status, renamed) = as_token(
        gw,
        &gw.owner_token,
        Method::PATCH,
        &format!("/v1/projects/{}", w.project_b),
        Some(json!({"name": "Team B (ML)"})),
    )
    .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (200, Some("Team B (ML)"))
    );
    let (status, body) = as_token(
        gw,
        &gw.owner_token,
        Method::POST,
        "/v1/projects",
        Some(json!({"name": ""})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("name"))
    );
    let (status, body) = as_token(
        gw,
        &gw.owner_token,
        Method::POST,
        &format!("/v1/projects/{}/control-tokens", w.project_b),
        Some(json!({"name": "x", "role": "owner"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("role"))
    );
    let (status, _) = as_token(
        gw,
        &gw.owner_token,
        Method::POST,
        "/v1/projects/prj_missing/control-tokens",
        Some(json!({"name": "x", "role": "admin"})),
    )
    .await;
    assert_eq!(status, 404);

    // Rotating a control token: same id, the old secret dies at once.
    let (_, who) = as_token(gw, &w.admin_b, Method::GET, "/v1/whoami", None).await;
    assert_eq!(
        (who["role"].as_str(), who["project"]["id"].as_str()),
        (Some("admin"), Some(w.project_b.as_str()))
    );
    let token_id = who["token_id"].as_str().unwrap();
    let (status, rotated) = as_token(
        gw,
        &gw.owner_token,
        Method::POST,
        &format!("/v1/control-tokens/{token_id}/rotate"),
        None,
    )
    .await;
    assert_eq!((status, rotated["id"].as_str()), (200, Some(token_id)));
    let (status, _) = as_token(gw, &w.admin_b, Method::GET, "/v1/whoami", None).await;
    assert_eq!(status, 401, "the old secret is unknown now");
    let (status, _) = as_token(
        gw,
        rotated["secret"].as_str().unwrap(),
        Method::GET,
        "/v1/whoami",
        None,
    )
    .await;
    assert_eq!(status, 200);

    let (_, me) = as_token(gw, &gw.owner_token, Method::GET, "/v1/whoami", None).await;
    let (status, _) = as_token(
        gw,
        &gw.owner_token,
        Method::DELETE,
        &format!("/v1/control-tokens/{}", me["token_id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 409, "the owner cannot lock itself out");

    // Every one of these mutations is in project B's audit trail, with the actor named.
    let (_, audit) = as_token(
        gw,
        &gw.owner_token,
        Method::GET,
        &format!("/v1/projects/{}/audit", gw.project_id),
        None,
    )
    .await;
    assert!(audit["total"].as_i64().unwrap() >= 3, "{audit}");
    let (status, b_audit) = as_token(
        gw,
        &w.admin_b,
        Method::GET,
        &format!("/v1/projects/{}/audit", w.project_b),
        None,
    )
    .await;
    assert_eq!(status, 401, "admin_b was rotated: {b_audit}");
    let (_, b_audit) = as_token(
        gw,
        rotated["secret"].as_str().unwrap(),
        Method::GET,
        &format!(
            "/v1/projects/{}/audit?action=control_token.rotated",
            w.project_b
        ),
        None,
    )
    .await;
    assert_eq!(b_audit["total"], 1);
    assert!(b_audit["events"][0]["actor_label"]
        .as_str()
        .unwrap()
        .starts_with("Owner (kw_ctl_"));
    let raw = b_audit.to_string();
    assert!(
        !raw.contains(&rotated["secret"].as_str().unwrap()[7..]),
        "audit holds no secret"
    );
}
