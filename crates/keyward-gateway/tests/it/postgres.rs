//! The gateway on PostgreSQL (issue 21): the binary's `migrate`, `init` and `serve` on a
//! shared database, and what replicas sharing one database agree on through it alone —
//! writers serialized (a key revoked by 64 concurrent calls over two gateways is
//! revoked and audited once) and usage flushed by several gateways adding up exactly.
//!
//! These need a PostgreSQL server (`KEYWARD_TEST_POSTGRES_URL`, started by
//! scripts/test.sh, which also sets `KEYWARD_REQUIRE_POSTGRES` so that a run without a
//! server fails here instead of skipping). The rest of the suite runs on PostgreSQL as a
//! whole in the same run (see `util::test_database`).

use crate::util::{new_postgres_database, postgres_or_skip, wait_for};
use keyward_api::KeySpec;
use keyward_gateway::audit::Actor;
use keyward_gateway::meter::UsageEvent;
use keyward_gateway::{on_db, DatabaseLocation, Gateway};
use std::process::{Command, Stdio};
use std::time::Duration;

fn gateway_binary(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward-gateway"));
    command
        .env_remove("KEYWARD_DATA_DIR")
        .env_remove("KEYWARD_LISTEN")
        .env("KEYWARD_DATABASE_URL", database_url);
    command
}

fn password_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .password()
        .expect("the test server's URL has a password")
        .to_owned()
}

#[test]
fn serve_waits_for_migrate_then_init_and_serve_work_on_postgres() {
    let Some(server) = postgres_or_skip() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(new_postgres_database(&server));
    let password = password_of(&url);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");

    // A schema never migrated: serve refuses with the command to run, EX_CONFIG.
    let refused = gateway_binary(&url)
        .args(["serve", "--listen", &listen])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("keyward-gateway migrate"), "{stderr}");
    assert!(
        stderr.contains(":***@"),
        "the URL shown without its password: {stderr}"
    );
    assert!(!stderr.contains(&password), "{stderr}");

    let migrated = gateway_binary(&url).arg("migrate").output().unwrap();
    let stderr = String::from_utf8_lossy(&migrated.stderr);
    assert!(migrated.status.success(), "{stderr}");
    assert!(stderr.contains("Applied 9 migration(s)."), "{stderr}");
    let again = gateway_binary(&url).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("up to date"));

    // A password on the command line is warned about, never repeated.
    let in_argv = Command::new(env!("CARGO_BIN_EXE_keyward-gateway"))
        .env_remove("KEYWARD_DATABASE_URL")
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&in_argv.stderr);
    assert!(in_argv.status.success(), "{stderr}");
    assert!(stderr.contains("KEYWARD_DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains(&password), "{stderr}");

    let init = gateway_binary(&url).arg("init").output().unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let token = String::from_utf8(init.stdout).unwrap().trim().to_owned();
    assert_eq!(
        keyward_api::token::parse(&token),
        Ok(keyward_api::TokenKind::Control)
    );

    let mut serve = gateway_binary(&url)
        .args(["serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let response = wait_for(Duration::from_secs(20), "the gateway to serve", || async {
            http.get(format!("http://{listen}/v1/projects"))
                .bearer_auth(&token)
                .send()
                .await
                .ok()
        })
        .await;
        assert_eq!(response.status(), 200);
        let projects: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            projects["projects"].as_array().map(Vec::len),
            Some(1),
            "{projects}"
        );
    });
    serve.kill().unwrap();
    let output = serve.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(&password), "{stderr}");
    assert!(!stderr.contains(&token), "{stderr}");
}

/// Two gateways on one database, as two replicas: `init` on one, the other opened.
async fn two_gateways(server: &str) -> (Gateway, Gateway, String) {
    let location = DatabaseLocation::Url(new_postgres_database(server).await);
    let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
    let first = Gateway::open(&location, false).await.unwrap();
    let second = Gateway::open(&location, false).await.unwrap();
    (first, second, init.project_id)
}

fn actor() -> Actor {
    Actor {
        id: "tok_test".into(),
        label: "test".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_by_64_concurrent_calls_over_two_gateways_is_revoked_once() {
    let Some(server) = postgres_or_skip() else {
        return;
    };
    let (first, second, project) = two_gateways(&server).await;
    let spec = KeySpec {
        name: "raced".into(),
        ..KeySpec::default()
    };
    let (key, _secret) =
        keyward_gateway::keys::create(first.pool(), &project, &spec, &actor(), first.now())
            .await
            .unwrap();
    let calls = (0..64).map(|i| {
        let gateway = if i % 2 == 0 { &first } else { &second };
        let (project, key_id) = (&project, &key.id);
        async move {
            keyward_gateway::keys::revoke(gateway, project, key_id, &actor(), gateway.now())
                .await
                .map_err(|e| format!("{e:?}"))
                .map(|key| key.revoked_at)
        }
    });
    let revoked_at: Vec<_> = futures_util::future::join_all(calls).await;
    let first_time = revoked_at[0].clone().unwrap();
    assert!(first_time.is_some());
    for answer in &revoked_at {
        assert_eq!(
            answer.as_ref().unwrap(),
            &first_time,
            "every call sees the one revocation"
        );
    }
    let (audited,): (i64,) = on_db!(first.pool(), |e| sqlx::query_as(
        "SELECT COUNT(*) FROM audit_events WHERE target_id = $1 AND action = 'key.revoked'"
    )
    .bind(&key.id)
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(audited, 1, "revoked and audited exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn usage_flushed_by_two_gateways_onto_the_same_rows_adds_up_exactly() {
    let Some(server) = postgres_or_skip() else {
        return;
    };
    let (first, second, project) = two_gateways(&server).await;
    let spec = KeySpec {
        name: "metered".into(),
        ..KeySpec::default()
    };
    let (key, _secret) =
        keyward_gateway::keys::create(first.pool(), &project, &spec, &actor(), first.now())
            .await
            .unwrap();
    const ROUNDS: usize = 20;
    const PER_ROUND: usize = 250;
    // Many rows per flush, so two flushes locking them in different orders would
    // deadlock (and fail `flush_usage` here): the meter writes rows in key order.
    const MODELS: usize = 50;
    let at = first.now();
    // Each gateway records the same (key, model, workload, minute) cells and flushes
    // every round, concurrently with the other: the two write onto the same rows, and
    // neither flush may fail (a deadlock would).
    let run = |gateway: Gateway| {
        let (project, key_id) = (project.clone(), key.id.clone());
        tokio::spawn(async move {
            for _ in 0..ROUNDS {
                for i in 0..PER_ROUND {
                    gateway.meter().record(UsageEvent {
                        project_id: project.clone(),
                        key_id: key_id.clone(),
                        model: format!("model-{}", i % MODELS),
                        workload: "w".into(),
                        at,
                        input_tokens: 10,
                        output_tokens: 1,
                        estimated: false,
                        error: false,
                    });
                }
                gateway.flush_usage().await.unwrap();
            }
        })
    };
    let (a, b) = tokio::join!(run(first.clone()), run(second.clone()));
    a.unwrap();
    b.unwrap();
    let expected = (2 * ROUNDS * PER_ROUND) as i64;
    for table in ["usage_minute", "usage_hour", "usage_day"] {
        let (rows, requests, input): (i64, i64, i64) =
            on_db!(first.pool(), |e| sqlx::query_as(&format!(
                "SELECT COUNT(*), CAST(SUM(requests) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT)
                 FROM {table} WHERE key_id = $1"
            ))
            .bind(&key.id)
            .fetch_one(e)
            .await)
            .unwrap();
        assert_eq!(rows, MODELS as i64, "{table}: one row per model");
        assert_eq!(requests, expected, "{table}");
        assert_eq!(input, expected * 10, "{table}");
    }
    let (count, input): (i64, i64) = on_db!(first.pool(), |e| sqlx::query_as(
        "SELECT request_count, input_tokens FROM inference_keys WHERE id = $1"
    )
    .bind(&key.id)
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!((count, input), (expected, expected * 10));
}
