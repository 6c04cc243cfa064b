//! The whole key lifecycle (issue #3): scopes on create and PATCH, read-only fields,
//! archive/unarchive, rotation with and without grace, identify, list filters and
//! paging, per-key usage, and the audit rows each mutation writes.

use crate::util::{error_of, status_json, TestGateway};
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};

async fn create(gw: &TestGateway, body: Value) -> (u16, Value) {
    status_json(
        gw.control(Method::POST, &gw.keys_path())
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn call(gw: &TestGateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = gw.control(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_json(request.send().await.unwrap()).await
}

async fn models_status(gw: &TestGateway, secret: &str) -> u16 {
    gw.http
        .get(gw.url("/v1/models"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_scope_is_stored_and_returned() {
    let gw = TestGateway::start().await;
    let (status, key) = create(
        &gw,
        json!({
            "name": "finance-reports",
            "description": "Monthly report generator",
            "rpm": 60, "tpm": 100000,
            "token_limit": 5000000, "token_limit_period": "month",
            "allowed_models": ["llama-3-70b", "bge-m3"],
            "expires_at": "2099-01-31",
            "workloads": ["llama-70b", "embedder"],
            "labels": {"team": "finance", "env": "prod"}
        }),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["rpm"], 60);
    assert_eq!(key["tpm"], 100000);
    assert_eq!(key["token_limit"], 5000000);
    assert_eq!(key["token_limit_period"], "month");
    assert_eq!(key["allowed_models"], json!(["llama-3-70b", "bge-m3"]));
    assert_eq!(
        key["expires_at"], "2099-01-31T00:00:00Z",
        "a bare date is 00:00 UTC"
    );
    assert_eq!(key["workloads"], json!(["llama-70b", "embedder"]));
    assert_eq!(key["labels"], json!({"env": "prod", "team": "finance"}));
    assert_eq!(key["description"], "Monthly report generator");
    assert_eq!(key["request_count"], 0);

    let (_, defaults) = create(&gw, json!({"name": "plain"})).await;
    assert_eq!(defaults["workloads"], "*", "absent = the whole project");
    assert_eq!(
        defaults["allowed_models"],
        Value::Null,
        "absent = every model"
    );
    assert_eq!(defaults["expires_at"], Value::Null, "absent = never");
}

#[tokio::test]
async fn invalid_scopes_name_their_field_and_write_nothing() {
    let gw = TestGateway::start().await;
    let cases = [
        (json!({"name": "a", "rpm": 0}), "rpm"),
        (json!({"name": "a", "tpm": -5}), "tpm"),
        (
            json!({"name": "a", "token_limit": 10}),
            "token_limit_period",
        ),
        (
            json!({"name": "a", "token_limit_period": "day"}),
            "token_limit",
        ),
        (
            json!({"name": "a", "token_limit": 10, "token_limit_period": "fortnight"}),
            "token_limit_period",
        ),
        (json!({"name": "a", "allowed_models": []}), "allowed_models"),
        (
            json!({"name": "a", "expires_at": "2001-01-01"}),
            "expires_at",
        ),
        (
            json!({"name": "a", "expires_at": "next week"}),
            "expires_at",
        ),
        (json!({"name": "a", "workloads": "llama"}), "workloads"),
        (
            json!({"name": "a", "workloads": ["Not A Slug"]}),
            "workloads",
        ),
        (json!({"name": "a", "labels": {"bad name": "x"}}), "labels"),
        (
            json!({"name": "a", "description": "x".repeat(1001)}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let (status, response) = create(&gw, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(response["error"]["field"], field, "{body} → {response}");
    }
    let (_, list) = call(&gw, Method::GET, &gw.keys_path(), None).await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn patch_changes_only_the_given_fields_and_refuses_read_only_ones() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("svc").await;
    let path = format!("/v1/inference/keys/{}", created["id"].as_str().unwrap());

    let (status, key) = call(
        &gw,
        Method::PATCH,
        &path,
        Some(json!({"rpm": 120, "labels": {"team": "ml"}})),
    )
    .await;
    assert_eq!(status, 200, "{key}");
    assert_eq!(key["rpm"], 120);
    assert_eq!(key["labels"], json!({"team": "ml"}));
    assert_eq!(key["name"], "svc", "untouched");
    let (_, key) = call(
        &gw,
        Method::PATCH,
        &path,
        Some(json!({"rpm": null, "expires_at": "2099-06-01T12:00:00Z"})),
    )
    .await;
    assert_eq!(key["rpm"], Value::Null, "null clears a limit");
    assert_eq!(key["expires_at"], "2099-06-01T12:00:00Z");

    for field in [
        "secret",
        "hash",
        "project_id",
        "created_at",
        "request_count",
        "input_tokens",
    ] {
        let (status, body) = call(&gw, Method::PATCH, &path, Some(json!({ field: "x" }))).await;
        assert_eq!(status, 400, "{field}");
        assert_eq!(error_of(&body, "invalid_input")["field"], field);
    }
    let (status, body) = call(&gw, Method::PATCH, &path, Some(json!({"colour": "blue"}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "colour");
    let (status, body) = call(
        &gw,
        Method::PATCH,
        &path,
        Some(json!({"rpm": 5, "token_limit": 9})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("token_limit_period"))
    );
    let (_, key) = call(&gw, Method::GET, &path, None).await;
    assert_eq!(key["rpm"], Value::Null, "a refused PATCH changed nothing");
}

#[tokio::test]
async fn revoke_archive_unarchive() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("old").await;
    let id = created["id"].as_str().unwrap();
    let base = format!("/v1/inference/keys/{id}");

    let (status, body) = call(&gw, Method::POST, &format!("{base}/archive"), None).await;
    assert_eq!(status, 409, "active keys cannot be archived: {body}");
    error_of(&body, "conflict");

    call(&gw, Method::DELETE, &base, None).await;
    let (status, key) = call(&gw, Method::POST, &format!("{base}/archive"), None).await;
    assert_eq!((status, key["status"].as_str()), (200, Some("archived")));
    let (_, list) = call(&gw, Method::GET, &gw.keys_path(), None).await;
    assert_eq!(list["total"], 0, "archived keys leave the default list");
    let (_, list) = call(
        &gw,
        Method::GET,
        &format!("{}?include=archived", gw.keys_path()),
        None,
    )
    .await;
    assert_eq!(list["total"], 1);
    let (_, list) = call(
        &gw,
        Method::GET,
        &format!("{}?status=archived", gw.keys_path()),
        None,
    )
    .await;
    assert_eq!(list["keys"][0]["id"], id);
    assert_eq!(
        models_status(&gw, created["secret"].as_str().unwrap()).await,
        401
    );

    let (status, key) = call(&gw, Method::POST, &format!("{base}/unarchive"), None).await;
    assert_eq!((status, key["status"].as_str()), (200, Some("revoked")));
}

#[tokio::test]
async fn rotation_keeps_the_id_and_honours_the_grace_period() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("rotating").await;
    let id = created["id"].as_str().unwrap();
    let first = created["secret"].as_str().unwrap().to_owned();

    let (status, rotated) = call(
        &gw,
        Method::POST,
        &format!("/v1/inference/keys/{id}/rotate"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["id"], id, "same key id");
    let second = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_ne!(rotated["masked"], created["masked"]);
    assert_eq!(
        models_status(&gw, &first).await,
        401,
        "no grace: the old secret dies now"
    );
    assert_eq!(models_status(&gw, &second).await, 200);

    let (_, graced) = call(
        &gw,
        Method::POST,
        &format!("/v1/inference/keys/{id}/rotate"),
        Some(json!({"grace_period_seconds": 3600})),
    )
    .await;
    let third = graced["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        models_status(&gw, &second).await,
        200,
        "within grace the old secret works"
    );
    assert_eq!(models_status(&gw, &third).await, 200);

    // Revoking ends the grace period at once.
    call(
        &gw,
        Method::DELETE,
        &format!("/v1/inference/keys/{id}"),
        None,
    )
    .await;
    assert_eq!(models_status(&gw, &second).await, 401);
    assert_eq!(models_status(&gw, &third).await, 401);

    let (status, body) = call(
        &gw,
        Method::POST,
        &format!("/v1/inference/keys/{id}/rotate"),
        None,
    )
    .await;
    assert_eq!(status, 409, "a revoked key cannot be rotated: {body}");
    let other = gw.create_key("x").await;
    let (status, body) = call(
        &gw,
        Method::POST,
        &format!(
            "/v1/inference/keys/{}/rotate",
            other["id"].as_str().unwrap()
        ),
        Some(json!({"grace_period_seconds": -1})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("grace_period_seconds"))
    );
}

#[tokio::test]
async fn grace_period_ends_on_time() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("short-grace").await;
    let id = created["id"].as_str().unwrap();
    let old = created["secret"].as_str().unwrap();
    call(
        &gw,
        Method::POST,
        &format!("/v1/inference/keys/{id}/rotate"),
        Some(json!({"grace_period_seconds": 1})),
    )
    .await;
    assert_eq!(models_status(&gw, old).await, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(models_status(&gw, old).await, 401, "grace is over");
}

#[tokio::test]
async fn identify_finds_a_leaked_secret_without_echoing_it() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("leaky").await;
    let secret = created["secret"].as_str().unwrap();
    let (status, found) = call(
        &gw,
        Method::POST,
        "/v1/inference/keys/identify",
        Some(json!({"secret": secret})),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["id"], created["id"]);
    assert_eq!(found["project_id"], gw.project_id.as_str());
    assert!(
        !found.to_string().contains(&secret[8..]),
        "identify echoed the secret"
    );

    // One character of the checksum changed (to one it is not: a fixed 'x' left the
    // secret intact whenever it already ended in 'x', one run in 62).
    let last = if secret.ends_with('x') { 'y' } else { 'x' };
    let typo = format!("{}{last}", &secret[..secret.len() - 1]);
    let (status, body) = call(
        &gw,
        Method::POST,
        "/v1/inference/keys/identify",
        Some(json!({"secret": typo})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("secret")),
        "checksum first"
    );
    assert!(!body.to_string().contains(&secret[8..30]));
    let unknown = keyward_api::token::generate(keyward_api::TokenKind::Data);
    let (status, _) = call(
        &gw,
        Method::POST,
        "/v1/inference/keys/identify",
        Some(json!({"secret": unknown.expose()})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let gw = TestGateway::start().await;
    for i in 0..7 {
        create(&gw, json!({"name": format!("svc-{i}"), "labels": {"team": if i % 2 == 0 { "search" } else { "ads" }}})).await;
    }
    let (_, expiring) = create(
        &gw,
        json!({"name": "zeta", "expires_at": (Utc::now() + Duration::seconds(1)).to_rfc3339()}),
    )
    .await;
    let revoked = gw.create_key("alpha").await;
    call(
        &gw,
        Method::DELETE,
        &format!("/v1/inference/keys/{}", revoked["id"].as_str().unwrap()),
        None,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let list = |query: &str| {
        let path = format!("{}?{query}", gw.keys_path());
        let gw = &gw;
        async move { call(gw, Method::GET, &path, None).await }
    };
    let (_, page) = list("limit=3&offset=0").await;
    assert_eq!(
        (
            page["keys"].as_array().unwrap().len(),
            page["total"].as_i64()
        ),
        (3, Some(9))
    );
    let (_, page2) = list("limit=3&offset=3").await;
    assert_ne!(page["keys"][0]["id"], page2["keys"][0]["id"]);
    let (_, by_name) = list("sort=name&limit=1").await;
    assert_eq!(by_name["keys"][0]["name"], "alpha");
    let (_, active) = list("status=active").await;
    assert_eq!(active["total"], 7);
    let (_, expired) = list("status=expired").await;
    assert_eq!(expired["keys"][0]["id"], expiring["id"]);
    assert_eq!(expired["keys"][0]["status"], "expired");
    assert_eq!(
        models_status(&gw, expiring["secret"].as_str().unwrap()).await,
        401,
        "expired keys are refused"
    );
    let (_, revoked_page) = list("status=revoked").await;
    assert_eq!(revoked_page["total"], 1);
    let (_, search) = list("q=search").await;
    assert_eq!(search["total"], 4, "q matches labels");
    let (_, search) = list("q=svc-3").await;
    assert_eq!(search["total"], 1, "q matches names");
    let (_, wildcard) = list("q=%25").await;
    assert_eq!(wildcard["total"], 0, "LIKE wildcards in q are literal");
    for bad in [
        "limit=0",
        "limit=201",
        "offset=-1",
        "sort=colour",
        "status=lost",
        "page=2",
    ] {
        let (status, body) = list(bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["field"].is_string(), "{bad}");
    }
}

#[tokio::test]
async fn list_filters_by_model_workload_label_and_expiry() {
    let gw = TestGateway::start().await;
    let soon = (Utc::now() + Duration::days(3)).to_rfc3339();
    let later = (Utc::now() + Duration::days(60)).to_rfc3339();
    for body in [
        json!({"name": "any-model"}),
        json!({"name": "llama-only", "allowed_models": ["llama-3-8b"], "workloads": ["chat-a"]}),
        json!({"name": "qwen-only", "allowed_models": ["qwen-2"], "labels": {"team": "ads", "env": "prod"}}),
        json!({"name": "soon", "expires_at": soon, "labels": {"team": "search"}}),
        json!({"name": "later", "expires_at": later, "workloads": ["chat-b"]}),
    ] {
        let (status, body) = create(&gw, body).await;
        assert_eq!(status, 201, "{body}");
    }
    let names = |query: &str| {
        let path = format!("{}?sort=name&{query}", gw.keys_path());
        let gw = &gw;
        async move {
            let (status, page) = call(gw, Method::GET, &path, None).await;
            assert_eq!(status, 200, "{page}");
            let names: Vec<String> = page["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(page["total"].as_u64().unwrap() as usize, names.len());
            names
        }
    };
    // A key without a model list may call any model.
    assert_eq!(
        names("model=llama-3-8b").await,
        ["any-model", "later", "llama-only", "soon"]
    );
    assert_eq!(
        names("model=qwen-2").await,
        ["any-model", "later", "qwen-only", "soon"]
    );
    // A whole-project key may call any workload.
    assert_eq!(
        names("workload=chat-a").await,
        ["any-model", "llama-only", "qwen-only", "soon"]
    );
    assert_eq!(names("label=team").await, ["qwen-only", "soon"]);
    assert_eq!(names("label=team%3Dads").await, ["qwen-only"]);
    assert_eq!(names("label=env%3Dstaging").await, Vec::<String>::new());
    assert_eq!(names("expiring_within_days=7").await, ["soon"]);
    assert_eq!(names("expiring_within_days=90").await, ["later", "soon"]);
    assert_eq!(names("expiring_within_days=90&label=team").await, ["soon"]);
    for bad in [
        "expiring_within_days=0",
        "expiring_within_days=soon",
        "label=%3Dx",
        "model=",
    ] {
        let (status, body) =
            call(&gw, Method::GET, &format!("{}?{bad}", gw.keys_path()), None).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["field"].is_string(), "{bad}");
    }
}

#[tokio::test]
async fn a_new_keys_usage_is_zero_with_24_empty_hours() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("metered").await;
    let (status, usage) = call(
        &gw,
        Method::GET,
        &format!(
            "/v1/inference/keys/{}/usage",
            created["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let hourly = usage["hourly"].as_array().unwrap().clone();
    assert_eq!(hourly.len(), 24);
    assert!(hourly
        .iter()
        .all(|p| p["requests"] == 0 && p["input_tokens"] == 0));
    let mut totals = usage.clone();
    totals.as_object_mut().unwrap().remove("hourly");
    assert_eq!(
        totals,
        json!({"key_id": created["id"], "requests": 0, "input_tokens": 0, "output_tokens": 0, "by_model": []})
    );
}

#[tokio::test]
async fn every_mutation_is_audited_without_secrets() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("audited").await;
    let id = created["id"].as_str().unwrap();
    call(
        &gw,
        Method::PATCH,
        &format!("/v1/inference/keys/{id}"),
        Some(json!({"rpm": 10})),
    )
    .await;
    let (_, rotated) = call(
        &gw,
        Method::POST,
        &format!("/v1/inference/keys/{id}/rotate"),
        None,
    )
    .await;
    call(
        &gw,
        Method::DELETE,
        &format!("/v1/inference/keys/{id}"),
        None,
    )
    .await;
    call(
        &gw,
        Method::DELETE,
        &format!("/v1/inference/keys/{id}"),
        None,
    )
    .await;

    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT action, actor_label, target_id, changes FROM audit_events ORDER BY at, rowid",
    )
    .fetch_all(gw.gateway.pool())
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        actions,
        ["key.created", "key.updated", "key.rotated", "key.revoked"],
        "idempotent revoke audits once"
    );
    assert!(rows.iter().all(|r| r.2 == id));
    assert!(
        rows[0].1.starts_with("Owner (kw_ctl_"),
        "actor is named by label: {}",
        rows[0].1
    );
    let updated: Value = serde_json::from_str(&rows[1].3).unwrap();
    assert_eq!(updated, json!({"rpm": {"old": null, "new": 10}}));
    for secret in [
        created["secret"].as_str().unwrap(),
        rotated["secret"].as_str().unwrap(),
        gw.owner_token.as_str(),
    ] {
        assert!(
            rows.iter()
                .all(|r| !r.1.contains(&secret[8..]) && !r.3.contains(&secret[8..])),
            "a secret reached the audit trail"
        );
    }
}
