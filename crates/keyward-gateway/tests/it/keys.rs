//! The gateway's first slice over real HTTP (issue #2): key lifecycle, validation,
//! auth on both planes, and that secrets exist only in the create response.

use crate::util::{error_of, status_json, TestGateway};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn create_list_get_revoke_and_the_data_plane_observes_revocation() {
    let gw = TestGateway::start().await;
    let created = gw.create_key("ci-bot").await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("kw_live_"));
    assert_eq!(
        keyward_api::token::parse(&secret),
        Ok(keyward_api::TokenKind::Data)
    );
    assert_eq!(created["name"], "ci-bot");
    assert_eq!(created["status"], "active");
    assert_eq!(created["project_id"], gw.project_id.as_str());
    assert_eq!(created["masked"], keyward_api::token::masked(&secret));

    // The list and the single fetch carry the masked label, never the secret or its hash.
    let list = gw
        .control(Method::GET, &gw.keys_path())
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let raw = list.text().await.unwrap();
    assert!(!raw.contains(&secret[8..]), "list leaked the secret");
    assert!(
        !raw.contains("secret") && !raw.contains("hash"),
        "list has secret fields: {raw}"
    );
    let list: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(list["keys"].as_array().unwrap().len(), 1);
    assert_eq!(list["keys"][0]["masked"], created["masked"]);

    let (status, fetched) = status_json(
        gw.control(Method::GET, &format!("/v1/inference/keys/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(fetched.get("secret").is_none());
    assert_eq!(fetched["name"], "ci-bot");

    // Data plane: 200 while active, with Bearer or X-Api-Key.
    let models = gw
        .http
        .get(gw.url("/v1/models"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(models).await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    let models = gw
        .http
        .get(gw.url("/v1/models"))
        .header("x-api-key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);
    // Use is recorded off the request path: nothing is written until the meter's
    // flush (at most a second later), then `last_used_at` is set.
    let fetch = || async {
        status_json(
            gw.control(Method::GET, &format!("/v1/inference/keys/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .1
    };
    gw.gateway.flush_usage().await.unwrap();
    let fetched = fetch().await;
    assert!(
        fetched["last_used_at"].is_string(),
        "use is recorded: {fetched}"
    );

    // Revoke, then the very next data-plane request is 401.
    let (status, revoked) = status_json(
        gw.control(Method::DELETE, &format!("/v1/inference/keys/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(revoked["status"], "revoked");
    let revoked_at = revoked["revoked_at"].clone();
    assert!(revoked_at.is_string());
    let (status, body) = status_json(
        gw.http
            .get(gw.url("/v1/models"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let error = error_of(&body, "unauthorized");
    assert_eq!(error["type"], "invalid_request_error");
    assert!(
        !body.to_string().contains(&secret[8..]),
        "error echoes the secret"
    );

    // Revoking again is idempotent and keeps the first revocation time.
    let (status, again) = status_json(
        gw.control(Method::DELETE, &format!("/v1/inference/keys/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["revoked_at"], revoked_at);
}

#[tokio::test]
async fn list_is_newest_first() {
    let gw = TestGateway::start().await;
    for name in ["first", "second", "third"] {
        gw.create_key(name).await;
    }
    let (_, list) = status_json(
        gw.control(Method::GET, &gw.keys_path())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let names: Vec<&str> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["third", "second", "first"]);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let gw = TestGateway::start().await;
    let post = |body: Value| gw.control(Method::POST, &gw.keys_path()).json(&body).send();

    for (body, why) in [
        (json!({}), "missing"),
        (json!({ "name": "" }), "empty"),
        (json!({ "name": "   " }), "blank"),
        (json!({ "name": "x".repeat(129) }), "129 chars"),
        (json!({ "name": "tab\there" }), "control char"),
    ] {
        let (status, body) = status_json(post(body).await.unwrap()).await;
        assert_eq!(status, 400, "{why}");
        assert_eq!(error_of(&body, "invalid_input")["field"], "name", "{why}");
    }
    let (status, body) = status_json(post(json!({ "name": 42 })).await.unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body, "invalid_json")["field"], "name");
    let (status, body) = status_json(
        post(json!({ "name": "a", "secret": "mine" }))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body, "invalid_json")["field"], "secret");

    // A secret pasted into the wrong field is not echoed back by the error.
    let (status, body) = status_json(
        post(json!({ "name": "a", "rpm": gw.owner_token }))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body, "invalid_json")["field"], "rpm");
    assert!(
        !body.to_string().contains(&gw.owner_token[7..]),
        "error echoed a secret: {body}"
    );

    let malformed = gw
        .control(Method::POST, &gw.keys_path())
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(malformed).await;
    assert_eq!(status, 400);
    error_of(&body, "invalid_json");

    let huge = json!({ "name": "x".repeat(1024 * 1024 + 1) });
    let (status, body) = status_json(post(huge).await.unwrap()).await;
    assert_eq!(status, 413);
    error_of(&body, "payload_too_large");

    // 128 characters (multi-byte ones count as one) is fine.
    let (status, _) = status_json(post(json!({ "name": "é".repeat(128) })).await.unwrap()).await;
    assert_eq!(status, 201);

    let (_, list) = status_json(
        gw.control(Method::GET, &gw.keys_path())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        list["keys"].as_array().unwrap().len(),
        1,
        "only the valid create wrote a row"
    );
}

#[tokio::test]
async fn unknown_keys_and_routes_are_404_in_json() {
    let gw = TestGateway::start().await;
    for path in ["/v1/inference/keys/key_doesnotexist", "/v1/nothing-here"] {
        let (status, body) = status_json(gw.control(Method::GET, path).send().await.unwrap()).await;
        assert_eq!(status, 404, "{path}");
        error_of(&body, "not_found");
    }
    let (status, body) = status_json(
        gw.control(Method::DELETE, "/v1/inference/keys/key_doesnotexist")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    error_of(&body, "not_found");
}

#[tokio::test]
async fn control_routes_require_a_valid_control_token_of_the_right_project() {
    let gw = TestGateway::start().await;
    let path = gw.keys_path();
    let fake = keyward_api::token::generate(keyward_api::TokenKind::Control);
    let mut typo = gw.owner_token.clone().into_bytes();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();

    let no_header = gw.http.get(gw.url(&path)).send().await.unwrap();
    assert_eq!(no_header.status(), 401);
    for token in ["garbage", typo.as_str(), fake.expose()] {
        let (status, body) = status_json(
            gw.http
                .get(gw.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 401, "{token}");
        error_of(&body, "unauthorized");
    }

    // A data key cannot manage keys.
    let created = gw.create_key("data").await;
    let data_key = created["secret"].as_str().unwrap();
    let (status, body) = status_json(
        gw.http
            .get(gw.url(&path))
            .bearer_auth(data_key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert!(error_of(&body, "forbidden")["message"]
        .as_str()
        .unwrap()
        .contains("wrong_credential_type"));

    // A control token cannot call inference.
    let (status, body) = status_json(
        gw.http
            .get(gw.url("/v1/models"))
            .bearer_auth(&gw.owner_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    error_of(&body, "forbidden");

    // A token of another project can neither list this project nor touch its keys.
    let (_, project) = status_json(
        gw.control(Method::POST, "/v1/projects")
            .json(&serde_json::json!({"name": "Other"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let other = project["id"].as_str().unwrap().to_owned();
    let (_, minted) = status_json(
        gw.control(
            Method::POST,
            &format!("/v1/projects/{other}/control-tokens"),
        )
        .json(&serde_json::json!({"name": "other admin", "role": "admin"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let other_token = minted["secret"].as_str().unwrap().to_owned();
    let (status, body) = status_json(
        gw.http
            .get(gw.url(&path))
            .bearer_auth(&other_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    error_of(&body, "forbidden");
    let key_path = format!("/v1/inference/keys/{}", created["id"].as_str().unwrap());
    for method in [Method::GET, Method::DELETE] {
        let response = gw
            .http
            .request(method, gw.url(&key_path))
            .bearer_auth(&other_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
    let still = gw
        .http
        .get(gw.url("/v1/models"))
        .bearer_auth(data_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        200,
        "the other project's DELETE did not revoke it"
    );

    // A revoked control token is refused with 403 (InferenceKey's convention).
    let revoke = gw
        .control(
            Method::DELETE,
            &format!("/v1/control-tokens/{}", minted["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let revoked = gw
        .http
        .get(gw.url(&format!("/v1/projects/{other}/inference/keys")))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 403);
}

#[tokio::test]
async fn the_database_never_holds_a_secret() {
    let gw = TestGateway::start().await;
    let mut secrets = vec![gw.owner_token.clone()];
    for i in 0..5 {
        secrets.push(
            gw.create_key(&format!("key {i}")).await["secret"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let bytes = match gw.gateway.pool() {
        // SQLite: every byte of the database files, WAL included.
        keyward_gateway::db::Db::Sqlite(pool) => {
            pool.close().await;
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(gw.dir.path()).unwrap() {
                bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            bytes
        }
        // PostgreSQL: every row of every table of the gateway's schema, as text.
        keyward_gateway::db::Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            assert!(
                tables.len() >= 10,
                "the gateway's tables were listed: {tables:?}"
            );
            let mut bytes = Vec::new();
            for table in tables {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                bytes.extend(rows.join("\n").into_bytes());
            }
            bytes
        }
    };
    assert!(bytes.len() > 4096, "the database was read");
    for secret in &secrets {
        let entropy = &secret.as_bytes()[secret.find('_').unwrap() + 5..];
        assert!(
            !bytes.windows(entropy.len()).any(|w| w == entropy),
            "a secret's entropy is in the database files"
        );
    }
}

#[tokio::test]
async fn embedded_mode_mints_the_owner_token_once_and_reissues_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let (gateway, first) = keyward_gateway::Gateway::open_embedded(dir.path(), now)
        .await
        .unwrap();
    let first_token = first
        .owner_token
        .expect("first launch mints the owner token");
    gateway.pool().close().await;
    let (gateway, second) = keyward_gateway::Gateway::open_embedded(dir.path(), now)
        .await
        .unwrap();
    assert_eq!(
        first.project_id, second.project_id,
        "same project across launches"
    );
    assert!(
        second.owner_token.is_none(),
        "a relaunch reuses the stored token, it does not mint one"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(gateway.clone().serve(listener, std::future::pending()));
    let url = format!(
        "http://{addr}/v1/projects/{}/inference/keys",
        second.project_id
    );
    let http = reqwest::Client::new();
    let status = |token: String| {
        let request = http.get(&url).bearer_auth(token);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(status(first_token.expose().to_owned()).await, 200);

    let reissued = gateway
        .reissue_embedded_owner_token(&second.project_id, now)
        .await
        .unwrap();
    assert_eq!(
        status(first_token.expose().to_owned()).await,
        403,
        "the lost token is revoked"
    );
    assert_eq!(status(reissued.expose().to_owned()).await, 200);
    let audited: Vec<(String,)> = keyward_gateway::on_db!(gateway.pool(), |e| sqlx::query_as(
        "SELECT action FROM audit_events ORDER BY at, rowid"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    let actions: Vec<&str> = audited.iter().map(|(a,)| a.as_str()).collect();
    assert_eq!(actions, ["control_token.revoked", "control_token.created"]);
}
