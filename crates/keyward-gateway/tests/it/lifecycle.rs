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

/// Creates a workload `slug` in the test project (a key may only name existing ones).
async fn add_workload(gw: &TestGateway, slug: &str) {
    let (status, body) = call(
        gw,
        Method::POST,
        &format!("/api/projects/{}/workloads", gw.project_id),
        Some(json!({"name": slug, "slug": slug, "model_name": "m", "backend": "vllm"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn every_scope_is_stored_and_returned() {
    let gw = TestGateway::start().await;
    add_workload(&gw, "llama-70b").await;
    add_workload(&gw, "embedder").await;
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

/// issue #15: only revoked or expired keys can be (un)archived — unarchiving an active
/// key is a 409 like archiving it, not a silent 200; a revoked key that is not archived
/// unarchives as a no-op.
#[tokio::test]
async fn unarchive_of_an_active_key_is_a_conflict() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("live").await;
    let base = format!("/v1/inference/keys/{}", created["id"].as_str().unwrap());
    let (status, body) = call(&gw, Method::POST, &format!("{base}/unarchive"), None).await;
    assert_eq!(status, 409, "{body}");
    let error = error_of(&body, "conflict");
    assert!(
        error["message"].as_str().unwrap().contains("active"),
        "{body}"
    );
    let (_, key) = call(&gw, Method::GET, &base, None).await;
    assert_eq!(
        key["updated_at"], created["updated_at"],
        "nothing was written"
    );

    call(&gw, Method::DELETE, &base, None).await;
    let (status, key) = call(&gw, Method::POST, &format!("{base}/unarchive"), None).await;
    assert_eq!((status, key["status"].as_str()), (200, Some("revoked")));
}

/// issue #15: a 400 for a body of the wrong shape names the member by its JSON path
/// and says what it must be, on every route with a body; only a body that is no JSON
/// at all is called "not valid JSON".
#[tokio::test]
async fn type_errors_name_the_member_on_every_route() {
    let gw = TestGateway::start().await;
    let key = gw.create_key("shape").await;
    let id = key["id"].as_str().unwrap();
    let path = format!("/v1/inference/keys/{id}");
    let workloads = format!("/api/projects/{}/workloads", gw.project_id);
    let cases = [
        (
            Method::POST,
            format!("{path}/rotate"),
            json!({"grace_period_seconds": "ten"}),
            "grace_period_seconds",
            "grace_period_seconds must be a whole number",
        ),
        (
            Method::POST,
            gw.keys_path(),
            json!({"name": "a", "token_limit": 5, "token_limit_period": 3}),
            "token_limit_period",
            "token_limit_period must be one of minute, hour, day, week or month",
        ),
        (
            Method::POST,
            gw.keys_path(),
            json!({"name": "a", "rpm": "60"}),
            "rpm",
            "rpm must be a whole number, not a string.",
        ),
        (
            Method::POST,
            gw.keys_path(),
            json!({"name": "a", "labels": {"team": 7}}),
            "labels.team",
            "labels.team must be a string",
        ),
        (
            Method::POST,
            gw.keys_path(),
            json!({"name": "a", "allowed_models": ["m", 2]}),
            "allowed_models[1]",
            "allowed_models[1] must be a string",
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"token_limit_period": 3}),
            "token_limit_period",
            "token_limit_period must be one of minute, hour, day, week or month",
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"tpm": 1.5}),
            "tpm",
            "tpm must be a whole number, not 1.5.",
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"colour": "red"}),
            "colour",
            "colour is not a field of this request.",
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"workloads": 5}),
            "workloads",
            "workloads must be \"*\" (the whole project) or an array of workload slugs, not 5.",
        ),
        (
            Method::POST,
            format!("/v1/projects/{}/control-tokens", gw.project_id),
            json!({"name": "ci", "role": 3}),
            "role",
            "role must be one of owner, admin or viewer, not 3.",
        ),
        (
            Method::POST,
            format!("/v1/projects/{}/control-tokens", gw.project_id),
            json!({"name": "ci", "role": "superuser"}),
            "role",
            "role must be one of owner, admin or viewer.",
        ),
        (
            Method::POST,
            gw.keys_path(),
            json!({"name": "a", "workloads": ["chat", 7]}),
            "workloads[1]",
            "workloads[1] must be a string, not 7.",
        ),
        (
            Method::POST,
            workloads.clone(),
            json!({"name": "w", "slug": "w", "model_name": "m", "backend": "vllm", "metrics_urls": "http://x/metrics"}),
            "metrics_urls",
            "metrics_urls must be an array, not a string.",
        ),
        (
            Method::POST,
            workloads.clone(),
            json!({"name": 5, "slug": "w"}),
            "name",
            "name must be a string, not 5.",
        ),
    ];
    for (method, route, body, field, says) in cases {
        let (status, response) = call(&gw, method.clone(), &route, Some(body.clone())).await;
        assert_eq!(status, 400, "{method} {route} {body}: {response}");
        let error = error_of(&response, "invalid_json");
        assert_eq!(error["field"], field, "{body} → {response}");
        let message = error["message"].as_str().unwrap();
        assert!(message.starts_with(says), "{body} → {message}");
        assert!(
            !message.contains("not valid JSON") && !message.contains("ten"),
            "{message}"
        );
    }
    // Not JSON at all: said so, with no field.
    for (method, route) in [
        (Method::POST, gw.keys_path()),
        (Method::PATCH, path.clone()),
        (Method::POST, format!("{path}/rotate")),
    ] {
        let response = gw
            .control(method, &route)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(status, 400);
        let error = error_of(&body, "invalid_json");
        assert_eq!(error["message"], "The request body is not valid JSON.");
        assert!(error.get("field").is_none(), "{body}");
    }
}

/// issue #15: a key may only be scoped to workloads that exist in its project — a
/// typo ("lla") would otherwise save a key that every call answers with 403.
#[tokio::test]
async fn workload_scopes_name_existing_workloads_only() {
    let gw = TestGateway::start().await;
    add_workload(&gw, "llama").await;
    let (status, body) = create(&gw, json!({"name": "typo", "workloads": ["lla"]})).await;
    assert_eq!(status, 400, "{body}");
    let error = error_of(&body, "invalid_input");
    assert_eq!(error["field"], "workloads");
    assert!(
        error["message"].as_str().unwrap().contains("\"lla\""),
        "{body}"
    );
    let (_, list) = call(&gw, Method::GET, &gw.keys_path(), None).await;
    assert_eq!(list["total"], 0, "nothing was created");

    // A workload of another project does not count.
    let other = gw
        .control(Method::POST, "/v1/projects")
        .json(&json!({"name": "Other"}))
        .send()
        .await
        .unwrap();
    let (status, other) = status_json(other).await;
    assert_eq!(status, 201, "{other}");
    let other_id = other["id"].as_str().unwrap();
    let (status, token) = call(
        &gw,
        Method::POST,
        &format!("/v1/projects/{other_id}/control-tokens"),
        Some(json!({"name": "admin of other", "role": "admin"})),
    )
    .await;
    assert_eq!(status, 201, "{token}");
    let response = gw
        .http
        .post(gw.url(&format!("/api/projects/{other_id}/workloads")))
        .bearer_auth(token["secret"].as_str().unwrap())
        .json(&json!({"name": "x", "slug": "elsewhere", "model_name": "m", "backend": "vllm"}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = create(&gw, json!({"name": "x", "workloads": ["elsewhere"]})).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("workloads")),
        "{body}"
    );

    let (status, key) = create(&gw, json!({"name": "ok", "workloads": ["llama"]})).await;
    assert_eq!(status, 201, "{key}");
    let path = format!("/v1/inference/keys/{}", key["id"].as_str().unwrap());
    let (status, body) = call(
        &gw,
        Method::PATCH,
        &path,
        Some(json!({"workloads": ["llama", "lla"]})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("workloads")),
        "{body}"
    );
    let (_, key) = call(&gw, Method::GET, &path, None).await;
    assert_eq!(
        key["workloads"],
        json!(["llama"]),
        "a refused PATCH changed nothing"
    );
    let (status, key) = call(&gw, Method::PATCH, &path, Some(json!({"name": "renamed"}))).await;
    assert_eq!(
        (status, &key["workloads"]),
        (200, &json!(["llama"])),
        "{key}"
    );
}

/// issue #15: a stored scope that does not parse fails closed everywhere: the data
/// plane refuses the key, reads show `[]` with `unreadable_scopes` (never "all"), list
/// filters neither fail nor match it, and a PATCH of another field does not write the
/// scope back widened.
#[tokio::test]
async fn an_unreadable_scope_fails_closed_everywhere() {
    let gw = TestGateway::start().await;
    add_workload(&gw, "chat").await;
    let key = gw.create_key("corrupt").await;
    let id = key["id"].as_str().unwrap();
    let secret = key["secret"].as_str().unwrap();
    keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query(
        "UPDATE inference_keys SET allowed_models = '[\"llama', workloads = 'chat' WHERE id = $1",
    )
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    gw.gateway.key_cache().invalidate(id);

    let path = format!("/v1/inference/keys/{id}");
    let (status, read) = call(&gw, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        read["allowed_models"],
        json!([]),
        "not null (= every model): {read}"
    );
    assert_eq!(
        read["workloads"],
        json!([]),
        "not \"*\" (= every workload): {read}"
    );
    assert_eq!(
        read["unreadable_scopes"],
        json!(["allowed_models", "workloads"])
    );
    for query in ["model=llama", "workload=chat"] {
        let (status, list) = call(
            &gw,
            Method::GET,
            &format!("{}?{query}", gw.keys_path()),
            None,
        )
        .await;
        assert_eq!(
            (status, &list["total"]),
            (200, &json!(0)),
            "{query}: {list}"
        );
    }
    let (status, _) = call(&gw, Method::GET, &gw.keys_path(), None).await;
    assert_eq!(status, 200);
    let chat = gw
        .http
        .post(gw.url(&format!(
            "/endpoint/{}/chat/v1/chat/completions",
            gw.project_id
        )))
        .bearer_auth(secret)
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), 403, "the data plane lets it call nothing");
    let (status, models) = status_json(
        gw.http
            .get(gw.url("/v1/models"))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &models["data"]), (200, &json!([])), "{models}");

    let (status, patched) = call(&gw, Method::PATCH, &path, Some(json!({"name": "renamed"}))).await;
    assert_eq!(status, 200, "{patched}");
    let stored: (Option<String>, String) =
        keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
            "SELECT allowed_models, workloads FROM inference_keys WHERE id = $1"
        )
        .bind(id)
        .fetch_one(e)
        .await)
        .unwrap();
    assert_eq!(
        stored,
        (Some("[]".to_owned()), "[]".to_owned()),
        "written as enforced, never widened"
    );
    let (_, audit) = call(
        &gw,
        Method::GET,
        &format!("/v1/projects/{}/audit?target_id={id}", gw.project_id),
        None,
    )
    .await;
    assert!(
        audit.to_string().contains("unreadable"),
        "the audit says what was rewritten: {audit}"
    );
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
    let clock = keyward_gateway::Clock::manual(Utc::now());
    let gw = TestGateway::start_with_clock(clock.clone()).await;
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
    clock.advance(Duration::milliseconds(999));
    assert_eq!(models_status(&gw, old).await, 200, "grace lasts its second");
    clock.advance(Duration::milliseconds(1));
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
    let clock = keyward_gateway::Clock::manual(Utc::now());
    let gw = TestGateway::start_with_clock(clock.clone()).await;
    for i in 0..7 {
        create(&gw, json!({"name": format!("svc-{i}"), "labels": {"team": if i % 2 == 0 { "search" } else { "ads" }}})).await;
    }
    let (_, expiring) = create(
        &gw,
        json!({"name": "zeta", "expires_at": (clock.now() + Duration::seconds(1)).to_rfc3339()}),
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
    clock.advance(Duration::seconds(1));

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
    // Issue #15: a key is found by its masked form, as shown in the console or a log.
    let masked = by_name["keys"][0]["masked"].as_str().unwrap().to_owned();
    let (head, tail) = masked.split_once('…').unwrap();
    for q in [masked.clone(), format!("{head}...{tail}"), head.to_owned()] {
        let (_, found) = list(&format!("q={}", q.replace('…', "%E2%80%A6"))).await;
        let listed: Vec<_> = found["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| &k["masked"])
            .collect();
        assert!(
            listed.contains(&&by_name["keys"][0]["masked"]),
            "q={q}: {found}"
        );
    }
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
    add_workload(&gw, "chat-a").await;
    add_workload(&gw, "chat-b").await;
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

    let rows: Vec<(String, String, String, String)> =
        keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
            "SELECT action, actor_label, target_id, changes FROM audit_events ORDER BY at, id",
        )
        .fetch_all(e)
        .await)
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
