//! kw against the fake Gcore cloud API (issue #19, "`kw` for the same flows"): a saved
//! Gcore profile of project 379, a key created attached to two deployments (the secret
//! alone on stdout), one detached, revoked in its two steps; a name Gcore could not
//! address refused before any request; a deployment created and followed to active,
//! listed, shown, stopped, started, its logs read and deleted; a task that fails; and
//! an unsaved `--platform gcore` connection whose project comes from KEYWARD_PROJECT.

use crate::harness::{Kw, Run};
use keyward_fakes::gcore::{self, Seed, PROJECT_ID};
use keyward_fakes::{Fake, RecordedRequest};
use serde_json::{json, Value};

const PROFILE: &str = "Acme Gcore";

fn writes(fake: &Fake) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

fn body(request: &RecordedRequest) -> Value {
    serde_json::from_str(&request.body).unwrap()
}

fn keys_of(state: &gcore::State, deployment: &str) -> Vec<String> {
    state
        .snapshot()
        .deployments
        .iter()
        .find(|d| d.name == deployment)
        .map(|d| d.api_keys.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcore_keys_attached_detached_and_revoked_in_two_steps() {
    let state = gcore::State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    let token = fake.admin_key.clone();
    let kw = Kw::new();
    let saved = kw
        .run(
            &[
                "profiles",
                "add",
                "--name",
                PROFILE,
                "--platform",
                "gcore",
                "--base-url",
                &fake.base_url,
                "--project",
                "379",
                "--json",
            ],
            Some(&token),
            None,
        )
        .await;
    saved.assert_hides(&token);
    let saved = saved.json();
    assert_eq!(
        (&saved["kind"], &saved["project_id"]),
        (&json!("gcore"), &json!("379"))
    );
    let run = |args: &[&str]| {
        let mut all = vec!["--profile", PROFILE];
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        let kw = &kw;
        let token = token.clone();
        async move {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            let run: Run = kw.run(&args, None, None).await;
            run.assert_hides(&token);
            run
        }
    };

    let created = run(&[
        "keys",
        "create",
        "--name",
        "reports-app",
        "--description",
        "Monthly reports",
        "--workload",
        "llama-chat",
        "--workload",
        "sd-turbo",
        "--expires",
        "2099-01-01",
    ])
    .await;
    let secret = created.ok().trim_end().to_owned();
    assert_eq!(
        Some(secret.as_str()),
        state.snapshot().secret_of(PROJECT_ID, "reports-app")
    );
    assert_eq!(created.stdout, format!("{secret}\n"), "the secret alone");
    assert!(!created.stderr.contains(&secret), "{created:#?}");
    let posted = writes(&fake);
    assert_eq!(
        body(&posted[0]),
        json!({"name": "reports-app", "description": "Monthly reports", "expires_at": "2099-01-01T00:00:00Z"})
    );
    assert!(keys_of(&state, "llama-chat").contains(&"reports-app".to_owned()));
    assert_eq!(keys_of(&state, "sd-turbo"), ["reports-app"]);

    // Detach one: the key's deployments are what --workload lists.
    let updated = run(&[
        "keys",
        "update",
        "reports-app",
        "--workload",
        "llama-chat",
        "--json",
    ])
    .await
    .json();
    assert_eq!(updated["scopes"]["workloads"], json!(["llama-chat"]));
    assert!(keys_of(&state, "sd-turbo").is_empty());
    // A key attached to nothing keeps that when only its description changes.
    let notebook = run(&[
        "keys",
        "update",
        "notebook",
        "--description",
        "Lab",
        "--json",
    ])
    .await
    .json();
    assert_eq!(
        (
            &notebook["scopes"]["description"],
            &notebook["scopes"]["workloads"]
        ),
        (&json!("Lab"), &json!([]))
    );

    // Revoke: detached from llama-chat, then deleted; both steps said.
    let before = writes(&fake).len();
    let revoked = run(&["keys", "revoke", "reports-app"]).await;
    assert!(revoked.ok().contains("revoked"), "{revoked:#?}");
    assert!(
        revoked
            .stderr
            .contains("Detached from deployment “llama-chat”.\nDeleted key “reports-app”."),
        "{revoked:#?}"
    );
    let steps: Vec<String> = writes(&fake)[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path.rsplit('/').next().unwrap()))
        .collect();
    assert_eq!(steps, ["PATCH llama-chat", "DELETE reports-app"]);
    assert!(state
        .snapshot()
        .secret_of(PROJECT_ID, "reports-app")
        .is_none());

    // A dotted name Gcore could make but never address: refused before any request.
    let before = fake.requests().len();
    let refused = run(&["keys", "create", "--name", "team.ci"]).await;
    assert_eq!(refused.code, 2, "{refused:#?}");
    assert!(refused.stderr.contains("use '-' instead"), "{refused:#?}");
    assert_eq!(fake.requests().len(), before, "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcore_deployments_from_create_to_delete_on_an_unsaved_connection() {
    let state = gcore::State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    let token = fake.admin_key.clone();
    let kw = Kw::new();
    let unsaved = ["--platform", "gcore", "--base-url", fake.base_url.as_str()];
    let run = |args: &[&str]| {
        let mut all = unsaved.to_vec();
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        let kw = &kw;
        let token = token.clone();
        async move {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            let run: Run = kw
                .run_env(&args, &[("KEYWARD_PROJECT", "379")], Some(&token), None)
                .await;
            run.assert_hides(&token);
            run
        }
    };

    // The token sees two projects: without KEYWARD_PROJECT kw asks for one.
    let mut args = unsaved.to_vec();
    args.extend(["keys", "list"]);
    let ambiguous = kw.run(&args, Some(&token), None).await;
    assert_eq!(ambiguous.code, 2, "{ambiguous:#?}");
    assert!(
        ambiguous.stderr.contains("380 (research)"),
        "{ambiguous:#?}"
    );
    let keys = run(&["keys", "list", "--json"]).await.json();
    assert_eq!(keys["total"], 3);

    let created = run(&[
        "workloads",
        "create",
        "--name",
        "tiny-llm",
        "--image",
        "ghcr.io/acme/tiny-llm:1.0",
        "--flavor",
        "inference-16vcpu-32gb",
        "--port",
        "8080",
        "--region",
        "76:1:2",
        "--env",
        "MODEL=tiny",
        "--liveness-path",
        "/health",
    ])
    .await;
    assert!(
        created.ok().contains("Created \"tiny-llm\""),
        "{created:#?}"
    );
    for state in ["queued", "running", "done"] {
        assert!(created.stderr.contains(state), "{state}: {created:#?}");
    }
    let sent = body(writes(&fake).last().unwrap());
    assert_eq!(
        (
            &sent["containers"],
            &sent["envs"],
            &sent["probes"]["liveness_probe"]["probe"]["http_get"]
        ),
        (
            &json!([{"region_id": 76, "scale": {"min": 1, "max": 2}}]),
            &json!({"MODEL": "tiny"}),
            &json!({"port": 8080, "path": "/health"})
        )
    );
    let listed = run(&["workloads", "list"]).await;
    assert!(
        listed
            .ok()
            .lines()
            .any(|l| l.contains("tiny-llm") && l.contains("healthy 1/1")),
        "{listed:#?}"
    );
    let shown = run(&["workloads", "show", "tiny-llm", "--json"])
        .await
        .json();
    assert_eq!(shown["workload"]["status"]["state"], "healthy");
    assert_eq!(shown["spec"]["image"], "ghcr.io/acme/tiny-llm:1.0");
    let table = run(&["workloads", "show", "llama-chat"]).await;
    assert!(
        table.ok().contains("ci-runner, staging-app") && table.stdout.contains("MODEL"),
        "{table:#?}"
    );
    assert!(
        !table.stdout.contains("meta-llama/Llama-3.1-8B-Instruct"),
        "variable values stay out of the table: {table:#?}"
    );

    run(&["workloads", "stop", "llama-chat"]).await.ok();
    let stopped = run(&["workloads", "show", "llama-chat", "--json"])
        .await
        .json();
    assert_eq!(stopped["workload"]["status"]["state"], "disabled");
    run(&["workloads", "start", "llama-chat"]).await.ok();
    assert!(writes(&fake)
        .last()
        .unwrap()
        .path
        .ends_with("/llama-chat/start"));

    let logs = run(&["workloads", "logs", "llama-chat", "--limit", "3"]).await;
    assert_eq!(logs.ok().lines().count(), 3, "{logs:#?}");
    assert!(logs.stdout.contains("region "), "{logs:#?}");

    // A task that ends in error: exit 5 with Gcore's words.
    state.fail_next_task("Image ghcr.io/acme/broken:1 could not be pulled");
    let failed = run(&[
        "workloads",
        "create",
        "--name",
        "broken-llm",
        "--image",
        "ghcr.io/acme/broken:1",
        "--flavor",
        "inference-16vcpu-32gb",
        "--port",
        "80",
        "--region",
        "38:0:1",
    ])
    .await;
    assert_eq!(failed.code, 5, "{failed:#?}");
    assert!(failed.stderr.contains("could not be pulled"), "{failed:#?}");
    // A member Gcore has no place for is refused, named, before any request.
    let before = fake.requests().len();
    let foreign = run(&[
        "workloads",
        "create",
        "--name",
        "chat-model",
        "--model",
        "llama",
    ])
    .await;
    assert_eq!(foreign.code, 2, "{foreign:#?}");
    assert!(
        foreign.stderr.contains("has no model setting"),
        "{foreign:#?}"
    );
    // (The unsaved connection's Test connection is the only request.)
    assert!(fake.requests()[before..]
        .iter()
        .all(|r| r.path == "/cloud/v1/projects"));

    let deleted = run(&["workloads", "delete", "tiny-llm"]).await;
    assert!(
        deleted.ok().contains("Deleted \"tiny-llm\""),
        "{deleted:#?}"
    );
    let missing = run(&["workloads", "show", "tiny-llm"]).await;
    assert_eq!(missing.code, 3, "{missing:#?}");
}
