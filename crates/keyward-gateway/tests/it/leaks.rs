//! The leak test (issue #3): a scripted session of creates, rotations, revocations,
//! identifications and failed calls against the real binary logging at `trace`; then
//! every secret ever issued is searched for in the database file, its `-wal`, the
//! server's log output and every list, get and audit response. Zero hits allowed.

use crate::util::wait_until;
use reqwest::Method;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_ever_issued_appears_anywhere_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = Command::new(env!("CARGO_BIN_EXE_keyward-gateway"))
        .arg("init")
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    let owner = String::from_utf8(init.stdout).unwrap().trim().to_owned();
    let mut secrets = vec![owner.clone()];

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = dir.path().join("gateway.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward-gateway"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&data)
        .env("KEYWARD_LOG", "trace")
        .stdout(std::fs::File::create(dir.path().join("gateway.out")).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until(Duration::from_secs(20), "the gateway to serve", || async {
        http.get(format!("{base}/v1/whoami")).send().await.is_ok()
    })
    .await;
    let call = |token: String, method: Method, path: String, body: Option<Value>| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut request = http
                .request(method, format!("{base}{path}"))
                .bearer_auth(token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            response.text().await.unwrap()
        }
    };
    let json_of = |text: &str| -> Value { serde_json::from_str(text).unwrap() };
    let me = json_of(&call(owner.clone(), Method::GET, "/v1/whoami".into(), None).await);
    let project = me["project"]["id"].as_str().unwrap().to_owned();
    let keys_path = format!("/v1/projects/{project}/inference/keys");
    let mut responses = Vec::new();

    // Control tokens: mint, rotate, revoke.
    let admin = json_of(
        &call(
            owner.clone(),
            Method::POST,
            format!("/v1/projects/{project}/control-tokens"),
            Some(json!({"name": "ops", "role": "admin"})),
        )
        .await,
    );
    secrets.push(admin["secret"].as_str().unwrap().to_owned());
    let admin_id = admin["id"].as_str().unwrap().to_owned();
    let rotated_admin = json_of(
        &call(
            owner.clone(),
            Method::POST,
            format!("/v1/control-tokens/{admin_id}/rotate"),
            None,
        )
        .await,
    );
    let admin_secret = rotated_admin["secret"].as_str().unwrap().to_owned();
    secrets.push(admin_secret.clone());

    // Keys: create, rotate with and without grace, identify, revoke, use revoked.
    let mut key_ids = Vec::new();
    for i in 0..6 {
        let created = json_of(
            &call(
                admin_secret.clone(),
                Method::POST,
                keys_path.clone(),
                Some(json!({"name": format!("k{i}"), "labels": {"i": i.to_string()}})),
            )
            .await,
        );
        secrets.push(created["secret"].as_str().unwrap().to_owned());
        key_ids.push(created["id"].as_str().unwrap().to_owned());
    }
    for (i, id) in key_ids.iter().enumerate() {
        let grace = if i % 2 == 0 {
            json!({"grace_period_seconds": 60})
        } else {
            json!({})
        };
        let rotated = json_of(
            &call(
                admin_secret.clone(),
                Method::POST,
                format!("/v1/inference/keys/{id}/rotate"),
                Some(grace),
            )
            .await,
        );
        secrets.push(rotated["secret"].as_str().unwrap().to_owned());
    }
    for secret in secrets.clone().iter().filter(|s| s.starts_with("kw_live_")) {
        responses.push(
            call(
                admin_secret.clone(),
                Method::POST,
                "/v1/inference/keys/identify".into(),
                Some(json!({"secret": secret})),
            )
            .await,
        );
        responses.push(call(secret.clone(), Method::GET, "/v1/models".into(), None).await);
        // A typo of a real secret, on both planes.
        let last = if secret.ends_with('0') { '1' } else { '0' };
        let typo = format!("{}{last}", &secret[..secret.len() - 1]);
        responses.push(call(typo.clone(), Method::GET, "/v1/models".into(), None).await);
        responses.push(
            call(
                admin_secret.clone(),
                Method::POST,
                "/v1/inference/keys/identify".into(),
                Some(json!({"secret": typo})),
            )
            .await,
        );
    }
    for id in &key_ids[..3] {
        responses.push(
            call(
                admin_secret.clone(),
                Method::DELETE,
                format!("/v1/inference/keys/{id}"),
                None,
            )
            .await,
        );
    }
    for secret in secrets.clone() {
        responses.push(call(secret.clone(), Method::GET, "/v1/models".into(), None).await);
        responses.push(call(secret, Method::GET, keys_path.clone(), None).await);
    }
    call(
        owner.clone(),
        Method::DELETE,
        format!("/v1/control-tokens/{admin_id}"),
        None,
    )
    .await;
    responses.push(call(admin_secret.clone(), Method::GET, keys_path.clone(), None).await);

    // Everything a reader can get back afterwards.
    responses.push(
        call(
            owner.clone(),
            Method::GET,
            format!("{keys_path}?include=archived&limit=200"),
            None,
        )
        .await,
    );
    for id in &key_ids {
        responses.push(
            call(
                owner.clone(),
                Method::GET,
                format!("/v1/inference/keys/{id}"),
                None,
            )
            .await,
        );
        responses.push(
            call(
                owner.clone(),
                Method::GET,
                format!("/v1/inference/keys/{id}/usage"),
                None,
            )
            .await,
        );
    }
    responses.push(
        call(
            owner.clone(),
            Method::GET,
            format!("/v1/projects/{project}/audit?limit=200"),
            None,
        )
        .await,
    );
    responses.push(
        call(
            owner.clone(),
            Method::GET,
            format!("/v1/projects/{project}/control-tokens"),
            None,
        )
        .await,
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let mut haystacks: Vec<(String, Vec<u8>)> = responses
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("response {i}"), r.into_bytes()))
        .collect();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        haystacks.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(
        haystacks.iter().any(|(name, _)| name.ends_with("-wal")),
        "the WAL was searched"
    );
    let log = std::fs::read(&log_path).unwrap();
    assert!(log.len() > 1000, "trace logging produced output");
    haystacks.push(("server log".into(), log));
    haystacks.push((
        "server stdout".into(),
        std::fs::read(dir.path().join("gateway.out")).unwrap(),
    ));

    assert!(secrets.len() >= 15);
    for secret in &secrets {
        // Past the prefix, any 16 consecutive characters of the secret count as a hit.
        let body = &secret.as_bytes()[secret.find('_').unwrap() + 5..];
        for (name, haystack) in &haystacks {
            for window in body.windows(16) {
                assert!(
                    !haystack.windows(16).any(|w| w == window),
                    "a secret leaked into {name}"
                );
            }
        }
    }
}
