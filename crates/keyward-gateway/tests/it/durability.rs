//! Crash safety (issue #3): the real binary is killed with SIGKILL while clients are
//! creating and revoking keys. After each kill the database must pass
//! `PRAGMA integrity_check`, hold every key whose create was acknowledged (201), and
//! hold exactly one `key.created` audit row per key: a mutation and its audit row
//! commit together or not at all.

use crate::util::wait_until;
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn wait_until_serving(http: &reqwest::Client, base: &str) {
    wait_until(Duration::from_secs(20), "the gateway to serve", || async {
        http.get(format!("{base}/v1/whoami")).send().await.is_ok()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_gateway_keeps_every_acknowledged_write_and_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let location = keyward_gateway::DatabaseLocation::DataDir(dir.path().to_owned());
    let init = keyward_gateway::Gateway::init(&location, chrono::Utc::now())
        .await
        .unwrap();
    let token = init.owner_token.expose().to_owned();
    let keys_path = format!("/v1/projects/{}/inference/keys", init.project_id);
    let acknowledged: Arc<Mutex<HashSet<String>>> = Arc::default();
    let http = reqwest::Client::new();

    for round in 0..4u64 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward-gateway"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.path())
            .env("KEYWARD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until_serving(&http, &base).await;

        let writers: Vec<_> = (0..6)
            .map(|w| {
                let (http, base, token, path, acknowledged) =
                    (http.clone(), base.clone(), token.clone(), keys_path.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    for i in 0.. {
                        let created = http
                            .post(format!("{base}{path}"))
                            .bearer_auth(&token)
                            .json(&serde_json::json!({"name": format!("r{round}-w{w}-{i}"), "labels": {"round": round.to_string()}}))
                            .send()
                            .await;
                        let Ok(response) = created else { break };
                        if response.status() != 201 {
                            break;
                        }
                        let Ok(body) = response.json::<serde_json::Value>().await else { break };
                        let id = body["id"].as_str().unwrap().to_owned();
                        acknowledged.lock().unwrap().insert(id.clone());
                        if i % 3 == 0 {
                            let _ = http.delete(format!("{base}/v1/inference/keys/{id}")).bearer_auth(&token).send().await;
                        }
                    }
                })
            })
            .collect();
        // The load period before the kill, longer each round so kills land at different points.
        tokio::time::sleep(Duration::from_millis(150 + 100 * round)).await;
        // On a loaded machine the writers may be slow: kill only after this round has
        // had its writes acknowledged, so every round really interrupts writing.
        let enough = (round as usize + 1) * 6;
        wait_until(Duration::from_secs(10), "this round's writes", || async {
            acknowledged.lock().unwrap().len() >= enough
        })
        .await;
        child.kill().unwrap(); // SIGKILL: no shutdown, no flush.
        child.wait().unwrap();
        for writer in writers {
            writer.await.unwrap();
        }

        let gateway = keyward_gateway::Gateway::open(&location, false)
            .await
            .unwrap();
        let pool = gateway.pool();
        let integrity: String =
            keyward_gateway::on_db!(pool, |e| sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(e)
                .await)
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        let stored: HashSet<String> = keyward_gateway::on_db!(pool, |e| sqlx::query_scalar(
            "SELECT id FROM inference_keys"
        )
        .fetch_all(e)
        .await)
        .unwrap()
        .into_iter()
        .collect();
        let acknowledged = acknowledged.lock().unwrap().clone();
        let lost: Vec<_> = acknowledged.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged keys lost: {lost:?}"
        );
        let orphans: i64 = keyward_gateway::on_db!(pool, |e| sqlx::query_scalar(
            "SELECT COUNT(*) FROM inference_keys k WHERE (SELECT COUNT(*) FROM audit_events a WHERE a.target_id = k.id AND a.action = 'key.created') != 1",
        )
        .fetch_one(e)
        .await)
        .unwrap();
        assert_eq!(
            orphans, 0,
            "round {round}: a key without exactly one creation audit row"
        );
        let unaudited_revokes: i64 = keyward_gateway::on_db!(pool, |e| sqlx::query_scalar(
            "SELECT COUNT(*) FROM inference_keys k WHERE k.revoked_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.target_id = k.id AND a.action = 'key.revoked')",
        )
        .fetch_one(e)
        .await)
        .unwrap();
        assert_eq!(unaudited_revokes, 0, "round {round}");
        let (counted, actual): (i64, i64) = keyward_gateway::on_db!(pool, |e| sqlx::query_as(
            "SELECT (SELECT total FROM project_key_counts WHERE project_id = $1), (SELECT COUNT(*) FROM inference_keys WHERE project_id = $1)",
        )
        .bind(&init.project_id)
        .fetch_one(e)
        .await)
        .unwrap();
        assert_eq!(
            counted, actual,
            "round {round}: the maintained key count drifted"
        );
        assert!(
            stored.len() > (round as usize + 1) * 5,
            "round {round}: writes happened ({})",
            stored.len()
        );
        pool.close().await;
    }
}

/// Issue #6: SIGKILL while 16 clients stream inference through the gateway and a key is
/// revoked mid-load. After a restart the database is intact, the revocation holds,
/// and the metered usage is what was served, minus at most the last flush window.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_under_inference_load_keeps_revocations_and_loses_at_most_a_flush_of_usage() {
    use crate::upstream::Upstream;
    let dir = tempfile::tempdir().unwrap();
    let location = keyward_gateway::DatabaseLocation::DataDir(dir.path().to_owned());
    let init = keyward_gateway::Gateway::init(&location, chrono::Utc::now())
        .await
        .unwrap();
    let token = init.owner_token.expose().to_owned();
    let up = Upstream::start().await;
    let http = reqwest::Client::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_keyward-gateway"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.path())
            .env("KEYWARD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = spawn();
    wait_until_serving(&http, &base).await;
    let workload = http
        .post(format!("{base}/api/projects/{}/workloads", init.project_id))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "chat", "slug": "chat", "model_name": "llama", "backend": "vllm", "upstream_url": up.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(workload.status(), 201);
    let mut secrets = Vec::new();
    for name in ["steady", "leaked"] {
        let key: serde_json::Value = http
            .post(format!(
                "{base}/v1/projects/{}/inference/keys",
                init.project_id
            ))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        secrets.push((
            key["id"].as_str().unwrap().to_owned(),
            key["secret"].as_str().unwrap().to_owned(),
        ));
    }
    let served = Arc::new(Mutex::new(0u64));
    let clients: Vec<_> = (0..16)
        .map(|c| {
            let (http, base, served) = (http.clone(), base.clone(), served.clone());
            let secret = secrets[c % 2].1.clone();
            tokio::spawn(async move {
                loop {
                    let sent = http
                        .post(format!("{base}/v1/chat/completions"))
                        .bearer_auth(&secret)
                        .json(
                            &serde_json::json!({"model": "chat", "max_tokens": 8, "messages": []}),
                        )
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 200 => {
                            if r.bytes().await.is_ok() {
                                *served.lock().unwrap() += 1;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // The load period before the revocation: the crash must interrupt traffic under way.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let revoked = http
        .delete(format!("{base}/v1/inference/keys/{}", secrets[1].0))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    // The load period after it, until the SIGKILL.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let served = *served.lock().unwrap();
    assert!(served > 50, "load was served before the kill ({served})");

    let mut child = spawn();
    wait_until_serving(&http, &base).await;
    let gateway = keyward_gateway::Gateway::open(&location, false)
        .await
        .unwrap();
    let (integrity,): (String,) =
        keyward_gateway::on_db!(gateway.pool(), |e| sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(e)
            .await)
        .unwrap();
    assert_eq!(integrity, "ok");
    let status = |secret: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            http.post(format!("{base}/v1/chat/completions"))
                .bearer_auth(secret)
                .json(&serde_json::json!({"model": "chat", "messages": []}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        status(secrets[1].1.clone()).await,
        401,
        "the revocation survived the kill"
    );
    assert_eq!(status(secrets[0].1.clone()).await, 200);
    let (requests,): (i64,) = keyward_gateway::on_db!(gateway.pool(), |e| sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(request_count), 0) AS BIGINT) FROM inference_keys"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    // At most the last second (plus requests in flight at the kill) is lost; nothing is
    // counted twice. The restart itself served one more request after the checks above.
    assert!(
        requests <= served as i64 + 1,
        "metered {requests} of {served} served"
    );
    let per_second = served as f64 / 2.0;
    assert!(
        requests as f64 >= served as f64 - 1.5 * per_second - 16.0,
        "lost more than a flush window: metered {requests} of {served} (≈{per_second:.0}/s)"
    );
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
