//! Replicas when something fails (issue 21; the decisions are in docs/security.md and
//! docs/deployment.md): a replica killed with -9 under load, Redis cut off from one
//! replica, PostgreSQL paused. For each: nothing acknowledged is lost, no revoked key
//! is served, and the survivors keep serving. Skipped without PostgreSQL and Redis
//! unless the run requires them.

use crate::dataplane::workload;
use crate::faults::FaultProxy;
use crate::upstream::Upstream;
use crate::util::{new_postgres_database, postgres_and_redis_or_skip, wait_for, TestGateway};
use keyward_gateway::{on_db, DatabaseLocation, Gateway};
use reqwest::Method;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn chat() -> Value {
    json!({"model": "chat", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]})
}

/// A `keyward-gateway serve` process, as a replica runs in production.
struct Process {
    child: Child,
    url: String,
}

impl Process {
    fn serve(database: &str, redis: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_keyward-gateway"))
            .args([
                "serve",
                "--workers",
                "1",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env_remove("KEYWARD_DATA_DIR")
            .env("KEYWARD_DATABASE_URL", database)
            .env("KEYWARD_REDIS_URL", redis)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Process {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_under_load_loses_nothing_acknowledged_and_the_others_serve_on() {
    let Some((postgres, redis)) = postgres_and_redis_or_skip() else {
        return;
    };
    let database = new_postgres_database(&postgres).await;
    let location = DatabaseLocation::Url(database.clone());
    let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
    let owner = init.owner_token.expose().to_owned();
    let up = Upstream::start().await;
    let replicas: Vec<Process> = (0..3).map(|_| Process::serve(&database, &redis)).collect();
    let http = reqwest::Client::new();
    for replica in &replicas {
        wait_for(Duration::from_secs(20), "a replica to serve", || async {
            http.get(format!("{}/v1/whoami", replica.url))
                .bearer_auth(&owner)
                .send()
                .await
                .ok()
                .filter(|r| r.status() == 200)
        })
        .await;
    }
    let control = |replica: &Process, method: Method, path: &str| {
        http.request(method, format!("{}{path}", replica.url))
            .bearer_auth(&owner)
    };
    let project = &init.project_id;
    let created = control(&replicas[0], Method::POST, &format!("/api/projects/{project}/workloads"))
        .json(&json!({"name": "chat", "slug": "chat", "model_name": "llama", "backend": "vllm", "upstream_url": up.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let key: Value = control(
        &replicas[1],
        Method::POST,
        &format!("/v1/projects/{project}/inference/keys"),
    )
    .json(&json!({"name": "load"}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let (key_id, secret) = (
        key["id"].as_str().unwrap().to_owned(),
        key["secret"].as_str().unwrap().to_owned(),
    );

    // 16 clients over the three replicas; (replica, started, status or 0 for no answer).
    let urls: Arc<Vec<String>> = Arc::new(replicas.iter().map(|r| r.url.clone()).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let served: Arc<[std::sync::atomic::AtomicUsize; 3]> = Arc::new(Default::default());
    let clients: Vec<_> = (0..16)
        .map(|client| {
            let (urls, secret, stop) = (urls.clone(), secret.clone(), stop.clone());
            let served = served.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                let replica = client % 3;
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let status = http
                        .post(format!("{}/v1/chat/completions", urls[replica]))
                        .bearer_auth(&secret)
                        .json(&chat())
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16());
                    if status == 200 {
                        served[replica].fetch_add(1, Ordering::Relaxed);
                    }
                    seen.push((replica, started, status));
                    if status == 0 {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                seen
            })
        })
        .collect();
    // Meanwhile, keys are created on the survivors-to-be; each acknowledged one must stay.
    let writer = {
        let (urls, owner, stop, project) =
            (urls.clone(), owner.clone(), stop.clone(), project.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let replica = 1 + i % 2;
                let answer = http
                    .post(format!(
                        "{}/v1/projects/{project}/inference/keys",
                        urls[replica]
                    ))
                    .bearer_auth(&owner)
                    .json(&json!({"name": format!("during-{i}")}))
                    .send()
                    .await
                    .unwrap();
                if answer.status() == 201 {
                    let body: Value = answer.json().await.unwrap();
                    acknowledged.push(body["id"].as_str().unwrap().to_owned());
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            acknowledged
        })
    };
    let load = || {
        served
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect::<Vec<_>>()
    };
    crate::util::wait_until(Duration::from_secs(20), "load on every replica", || async {
        load().iter().all(|n| *n >= 20)
    })
    .await;
    let mut replicas = replicas;
    replicas[0].child.kill().unwrap(); // SIGKILL
    replicas[0].child.wait().unwrap();
    let killed = Instant::now();
    // The survivors serve a good many more requests after the kill.
    let at_kill = load();
    crate::util::wait_until(
        Duration::from_secs(20),
        "the survivors serving on",
        || async {
            let now = load();
            now[1] >= at_kill[1] + 50 && now[2] >= at_kill[2] + 50
        },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for client in clients {
        seen.extend(client.await.unwrap());
    }
    let acknowledged = writer.await.unwrap();

    let survivors_ok = seen.iter().filter(|(r, _, s)| *r != 0 && *s == 200).count();
    let survivors_failed: Vec<_> = seen
        .iter()
        .filter(|(r, _, s)| *r != 0 && *s != 200)
        .collect();
    assert!(survivors_ok > 50, "the survivors served: {survivors_ok}");
    assert!(
        survivors_failed.is_empty(),
        "the survivors kept serving: {survivors_failed:?}"
    );
    let killed_ok_before = seen
        .iter()
        .filter(|(r, at, s)| *r == 0 && *at < killed && *s == 200)
        .count();
    assert!(killed_ok_before > 0, "the killed replica served before");
    assert!(
        !seen
            .iter()
            .any(|(r, at, s)| *r == 0 && *at > killed && *s == 200),
        "nothing answers on the killed replica"
    );

    // Every acknowledged key exists, read through a survivor.
    assert!(
        !acknowledged.is_empty(),
        "keys were created during the kill"
    );
    for id in &acknowledged {
        let read = control(
            &replicas[2],
            Method::GET,
            &format!("/v1/inference/keys/{id}"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(read.status(), 200, "acknowledged key {id} is kept");
    }

    // A revoke on a survivor holds on the other.
    let revoked = control(
        &replicas[1],
        Method::DELETE,
        &format!("/v1/inference/keys/{key_id}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(revoked.status(), 200);
    let refused = http
        .post(format!("{}/v1/chat/completions", replicas[2].url))
        .bearer_auth(&secret)
        .json(&chat())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // Usage: what the survivors served is all counted once they stop (SIGTERM flushes);
    // the killed replica may have lost its last second, never more than it served.
    for replica in &mut replicas[1..] {
        Command::new("kill")
            .args(["-TERM", &replica.child.id().to_string()])
            .status()
            .unwrap();
        replica.child.wait().unwrap();
    }
    let pool = Gateway::open(&location, false).await.unwrap();
    let (metered,): (i64,) = on_db!(pool.pool(), |e| sqlx::query_as(
        "SELECT request_count FROM inference_keys WHERE id = $1"
    )
    .bind(&key_id)
    .fetch_one(e)
    .await)
    .unwrap();
    let all_ok = seen.iter().filter(|(_, _, s)| *s == 200).count() as i64;
    assert!(
        metered >= survivors_ok as i64 && metered <= all_ok,
        "metered {metered}: at least the survivors' {survivors_ok}, at most all {all_ok}"
    );
}

/// Two replicas: `cut` reaches Redis through a proxy the test can pause, `direct` does not.
async fn one_replica_behind_a_proxy(
    redis: &str,
) -> Option<(Vec<TestGateway>, FaultProxy, Upstream, String, String)> {
    let mut url = reqwest::Url::parse(redis).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(target).await;
    url.set_port(Some(proxy.addr().port())).unwrap();
    let cut = TestGateway::start_replicas(1, Some(url.to_string())).await?;
    // The second replica on the same database, directly on Redis.
    let mut replicas = cut;
    let direct = TestGateway::start_replica_of(&replicas[0], redis).await;
    replicas.push(direct);
    let up = Upstream::start().await;
    workload(&replicas[0], "chat", "llama", Some(&up.url)).await;
    let (id, secret) = crate::dataplane::key(&replicas[0], json!({"name": "watched"})).await;
    Some((replicas, proxy, up, id, secret))
}

async fn chat_on(replica: &TestGateway, secret: &str) -> (u16, Value) {
    let response = replica
        .http
        .post(replica.url("/v1/chat/completions"))
        .bearer_auth(secret)
        .json(&chat())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_cut_off_from_redis_fails_closed_and_a_revoke_made_there_still_reaches_the_others(
) {
    let Some((_, redis)) = postgres_and_redis_or_skip() else {
        return;
    };
    let Some((replicas, proxy, _up, key_id, secret)) = one_replica_behind_a_proxy(&redis).await
    else {
        return;
    };
    let (cut, direct) = (&replicas[0], &replicas[1]);
    assert_eq!(chat_on(cut, &secret).await.0, 200);
    assert_eq!(chat_on(direct, &secret).await.0, 200);

    proxy.pause();
    // The cut replica refuses, in a sentence, within its Redis timeout (never hangs).
    let asked = Instant::now();
    let (status, body) = chat_on(cut, &secret).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("Redis"),
        "{body}"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    // The other replica serves on.
    assert_eq!(chat_on(direct, &secret).await.0, 200);

    // A revoke made on the cut replica is saved, answered 503 "send it again"…
    let revoke = cut
        .control(Method::DELETE, &format!("/v1/inference/keys/{key_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 503);
    let body: Value = revoke.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("saved"),
        "{body}"
    );
    // …and once the network is back, reaches the other replica without being repeated.
    proxy.resume();
    crate::util::wait_until(
        Duration::from_secs(10),
        "the revoke to reach the other replica",
        || async { chat_on(direct, &secret).await.0 == 401 },
    )
    .await;
    assert_eq!(chat_on(cut, &secret).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_postgresql_paused_cached_keys_are_served_and_their_usage_written_once_it_is_back() {
    let Some((postgres, redis)) = postgres_and_redis_or_skip() else {
        return;
    };
    let mut url = reqwest::Url::parse(&new_postgres_database(&postgres).await).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
        .parse()
        .unwrap();
    let proxy = FaultProxy::start(target).await;
    url.set_port(Some(proxy.addr().port())).unwrap();
    let replica = TestGateway::start_replica_on(url.as_ref(), &redis).await;
    let up = Upstream::start().await;
    workload(&replica, "chat", "llama", Some(&up.url)).await;
    let (key_id, secret) = crate::dataplane::key(&replica, json!({"name": "cached"})).await;
    assert_eq!(chat_on(&replica, &secret).await.0, 200); // now cached
    replica.gateway.flush_usage().await.unwrap();

    proxy.pause();
    for _ in 0..20 {
        assert_eq!(
            chat_on(&replica, &secret).await.0,
            200,
            "served from the caches"
        );
    }
    proxy.resume();
    crate::util::wait_until(
        Duration::from_secs(15),
        "the usage written after the pause",
        || async {
            let (count,): (i64,) = on_db!(replica.gateway.pool(), |e| sqlx::query_as(
                "SELECT request_count FROM inference_keys WHERE id = $1"
            )
            .bind(&key_id)
            .fetch_one(e)
            .await)
            .unwrap();
            count == 21
        },
    )
    .await;
}
