//! Three replicas of the gateway on one PostgreSQL database and one Redis (issue 21):
//! a revoke made on one is refused by all from the next request, rpm and token budgets
//! hold across them, and each workload is probed by one replica while all serve its
//! health. Skipped without PostgreSQL and Redis unless the run requires them
//! (scripts/test.sh does).

use crate::dataplane::{key, workload};
use crate::upstream::Upstream;
use crate::util::{status_json, wait_until, TestGateway};
use keyward_gateway::on_db;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits until each replica's counter reaches `at_least`.
async fn each_reaches(counts: &[std::sync::atomic::AtomicUsize; 3], at_least: usize, what: &str) {
    wait_until(Duration::from_secs(20), what, || async {
        counts
            .iter()
            .all(|n| n.load(std::sync::atomic::Ordering::Relaxed) >= at_least)
    })
    .await;
}

fn chat(max_tokens: u64) -> Value {
    json!({"model": "chat", "max_tokens": max_tokens, "messages": [{"role": "user", "content": "Hi"}]})
}

async fn send_chat(replica: &TestGateway, secret: &str, max_tokens: u64) -> reqwest::Response {
    replica
        .http
        .post(replica.url("/v1/chat/completions"))
        .bearer_auth(secret)
        .json(&chat(max_tokens))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoke_on_one_replica_is_refused_by_every_replica_from_the_next_request() {
    let Some(replicas) = TestGateway::start_replicas(3, None).await else {
        return;
    };
    let replicas = Arc::new(replicas);
    let (key_id, secret) = key(&replicas[0], json!({"name": "leaked"})).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let served: Arc<[std::sync::atomic::AtomicUsize; 3]> = Arc::new(Default::default());
    let refused: Arc<[std::sync::atomic::AtomicUsize; 3]> = Arc::new(Default::default());
    // 32 clients over the three replicas, each recording (replica, started, status).
    let clients: Vec<_> = (0..32)
        .map(|client| {
            let (replicas, secret, stop) = (replicas.clone(), secret.clone(), stop.clone());
            let (served, refused) = (served.clone(), refused.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let replica = &replicas[client % 3];
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let started = Instant::now();
                    let status = replica
                        .http
                        .get(replica.url("/v1/models"))
                        .bearer_auth(&secret)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    let count = if status == 200 { &served } else { &refused };
                    count[client % 3].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    seen.push((client % 3, started, status));
                }
                seen
            })
        })
        .collect();
    // Every replica has served the key (and cached it) before the revoke.
    each_reaches(&served, 10, "every replica serving the key").await;
    let revoke = replicas[1]
        .control(Method::DELETE, &format!("/v1/inference/keys/{key_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let revoked = Instant::now();
    // Every replica is asked a good many times after the revoke returned.
    each_reaches(&refused, 20, "every replica asked after the revoke").await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = Vec::new();
    for client in clients {
        seen.extend(client.await.unwrap());
    }
    for replica in 0..3 {
        let served_before = seen
            .iter()
            .filter(|(r, at, status)| *r == replica && *at < revoked && *status == 200)
            .count();
        assert!(
            served_before > 0,
            "replica {replica} served the key before the revoke"
        );
        let refused_after = seen
            .iter()
            .filter(|(r, at, status)| *r == replica && *at > revoked && *status == 401)
            .count();
        assert!(
            refused_after > 0,
            "replica {replica} was asked after the revoke"
        );
    }
    let served_after: Vec<_> = seen
        .iter()
        .filter(|(_, at, status)| *at > revoked && *status == 200)
        .collect();
    assert!(
        served_after.is_empty(),
        "{} requests started after the revoke returned were served",
        served_after.len()
    );
    let unexpected: Vec<_> = seen
        .iter()
        .filter(|(_, _, status)| ![200, 401].contains(status))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
}

/// Three replicas, a workload on a fake upstream, and a key made with `body`.
async fn serving(body: Value) -> Option<(Arc<Vec<TestGateway>>, Upstream, String, String)> {
    let replicas = TestGateway::start_replicas(3, None).await?;
    let up = Upstream::start().await;
    workload(&replicas[0], "chat", "llama", Some(&up.url)).await;
    let (key_id, secret) = key(&replicas[2], body).await;
    Some((Arc::new(replicas), up, key_id, secret))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rpm_holds_across_replicas_for_64_clients() {
    let Some((replicas, _up, _, secret)) = serving(json!({"name": "rpm", "rpm": 30})).await else {
        return;
    };
    let clients: Vec<_> = (0..64)
        .map(|client| {
            let (replicas, secret) = (replicas.clone(), secret.clone());
            tokio::spawn(async move {
                let replica = &replicas[client % 3];
                let response = send_chat(replica, &secret, 10).await;
                let status = response.status().as_u16();
                if status == 429 {
                    let retry = response.headers()["retry-after"]
                        .to_str()
                        .unwrap()
                        .to_owned();
                    assert!(retry.parse::<u64>().unwrap() >= 1, "{retry}");
                }
                status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for client in clients {
        statuses.push(client.await.unwrap());
    }
    let admitted = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        admitted, 30,
        "exactly the configured 30 in the minute: {statuses:?}"
    );
    assert_eq!(refused, 34, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_budget_holds_across_replicas_for_64_clients() {
    const BUDGET: i64 = 6_000;
    let Some((replicas, _up, key_id, secret)) =
        serving(json!({"name": "budget", "token_limit": BUDGET, "token_limit_period": "day"}))
            .await
    else {
        return;
    };
    let clients: Vec<_> = (0..64)
        .map(|client| {
            let (replicas, secret) = (replicas.clone(), secret.clone());
            tokio::spawn(async move {
                let replica = &replicas[client % 3];
                let mut served = 0u64;
                loop {
                    let response = send_chat(replica, &secret, 100).await;
                    match response.status().as_u16() {
                        200 => served += 1,
                        429 => {
                            let body: Value = response.json().await.unwrap();
                            let message = body["error"]["message"].as_str().unwrap();
                            assert!(message.contains("Token budget exhausted"), "{body}");
                            return served;
                        }
                        other => panic!("unexpected {other}"),
                    }
                }
            })
        })
        .collect();
    let mut served = 0;
    for client in clients {
        served += client.await.unwrap();
    }
    for replica in replicas.iter() {
        replica.gateway.flush_usage().await.unwrap();
    }
    let (used,): (i64,) = on_db!(replicas[0].gateway.pool(), |e| sqlx::query_as(
        "SELECT input_tokens + output_tokens FROM inference_keys WHERE id = $1"
    )
    .bind(&key_id)
    .fetch_one(e)
    .await)
    .unwrap();
    // Each answer uses 18 tokens (11 in, 7 out); a reservation is ~130.
    let one_reservation = 130;
    assert!(used <= BUDGET + one_reservation, "spent {used} of {BUDGET}");
    assert_eq!(
        used,
        served as i64 * 18,
        "metered exactly what was served, once"
    );
    assert!(
        used >= BUDGET - 64 * one_reservation,
        "the budget was used, not refused early: {used}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_workload_is_probed_by_one_replica_and_every_replica_serves_its_health() {
    let Some(mut replicas) = TestGateway::start_replicas(3, None).await else {
        return;
    };
    let up = Upstream::start().await;
    let interval = Duration::from_millis(200);
    for replica in &replicas {
        replica.gateway.probe_config().set_interval(interval);
    }
    let created = workload(&replicas[0], "chat", "llama", Some(&up.url)).await;
    let workload_id = created["id"].as_str().unwrap().to_owned();
    let rows = |replica: &TestGateway| {
        let (pool, id) = (replica.gateway.pool().clone(), workload_id.clone());
        async move {
            let (rows,): (i64,) = on_db!(&pool, |e| sqlx::query_as(
                "SELECT COUNT(*) FROM workload_health WHERE workload_id = $1"
            )
            .bind(&id)
            .fetch_one(e)
            .await)
            .unwrap();
            rows
        }
    };
    // Every replica reports the workload healthy, whoever probes it.
    for replica in &replicas {
        wait_until(
            Duration::from_secs(10),
            "every replica reports the workload healthy",
            || async {
                let (_, summary) = status_json(
                    replica
                        .control(
                            Method::GET,
                            &format!("/api/projects/{}/workloads/health", replica.project_id),
                        )
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                summary["workloads"][0]["status"] == "healthy"
            },
        )
        .await;
    }
    // Over ~2 s of 200 ms rounds, one prober stores about 10 probes; three would store 30.
    let before = rows(&replicas[0]).await;
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let probed = rows(&replicas[0]).await - before;
    let rounds = (window.elapsed().as_secs_f64() / interval.as_secs_f64()).ceil() as i64;
    assert!(
        probed >= rounds / 2,
        "the workload is probed: {probed} in {rounds} rounds"
    );
    assert!(
        probed <= rounds + 2,
        "by one replica at a time: {probed} probes in {rounds} rounds"
    );
    // Two replicas stop (the prober among them, or not): the last one probes, at the
    // latest once the stopped prober's lease has run out (three rounds).
    replicas[0].stop().await;
    replicas[1].stop().await;
    tokio::time::sleep(interval * 4).await;
    let before = rows(&replicas[2]).await;
    tokio::time::sleep(interval * 5).await;
    let after = rows(&replicas[2]).await;
    assert!(
        after >= before + 2,
        "the surviving replica took the probing over: {before} → {after}"
    );
}
