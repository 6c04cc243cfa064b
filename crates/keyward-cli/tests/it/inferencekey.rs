//! kw with an InferenceKey profile (issue #19), against a real gateway serving
//! InferenceKey's routes: `workloads ensure` creates and then reconciles by slug,
//! `update` changes only what it is given, a backend outside the list is refused
//! naming the field (exit 2), `wait` prints each readiness phase on stderr and the
//! last on stdout, `show` and `delete` address it by slug, and the token never appears
//! in any output.

use crate::harness::{start_gateway, Kw};
use keyward_api::workloads::WorkloadRequest;
use keyward_core::{KeywardClient, PlatformKind, Profile};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A model server on loopback whose every answer (`GET /health` included) is 200.
async fn healthy_model_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_are_ensured_updated_and_awaited_on_an_inferencekey_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project, owner) = start_gateway(dir.path()).await;
    let token = owner.expose();
    let kw = Kw::new();
    let added = kw
        .run(
            &[
                "profiles",
                "add",
                "--name",
                "Vision",
                "--platform",
                "inferencekey",
                "--base-url",
                &base,
                "--project",
                &project,
                "--json",
            ],
            Some(token),
            None,
        )
        .await;
    added.assert_hides(token);
    assert_eq!(added.json()["kind"], "inferencekey");
    let run = |args: &[&str]| {
        let mut all = vec!["--profile", "Vision"];
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        let kw = &kw;
        async move {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            let run = kw.run(&args, None, None).await;
            run.assert_hides(token);
            run
        }
    };
    let ensure = |model: &'static str| {
        run(&[
            "workloads",
            "ensure",
            "--name",
            "Chat",
            "--slug",
            "chat",
            "--model",
            model,
            "--backend",
            "vllm",
            "--json",
        ])
    };

    let created = ensure("llama").await.json();
    assert_eq!(created["spec"]["task_type"], "text2text");
    let id = created["workload"]["id"].as_str().unwrap().to_owned();
    let again = ensure("qwen").await.json();
    assert_eq!(again["workload"]["id"], id.as_str(), "the same workload");
    assert_eq!(again["spec"]["model"], "qwen");

    let updated = run(&[
        "workloads",
        "update",
        "chat",
        "--description",
        "for the demo",
        "--task-type",
        "reranker",
    ])
    .await;
    let text = updated.ok();
    assert!(
        text.contains("for the demo") && text.contains("reranker"),
        "{text}"
    );

    let refused = run(&["workloads", "update", "chat", "--backend", "tgi"]).await;
    assert_eq!(refused.code, 2, "{refused:#?}");
    assert!(
        refused.stderr.contains("not an InferenceKey backend") && refused.stderr.contains("vllm"),
        "{refused:#?}"
    );

    let listed = run(&["workloads", "list", "--json"]).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["model"], "qwen");

    // Readiness: a model server that answers at once.
    let upstream = healthy_model_server().await;
    let gateway_profile = Profile {
        id: "gw".into(),
        name: "gw".into(),
        kind: PlatformKind::Keyward,
        base_url: base.clone(),
        project_id: project.clone(),
        token: keyward_api::Secret::new(token.into()),
    };
    KeywardClient::new()
        .update_workload(
            &gateway_profile,
            &id,
            &WorkloadRequest {
                upstream_url: Some(Some(upstream)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let waited = run(&["workloads", "wait", "chat"]).await;
    assert_eq!(waited.ok(), "ready\n");
    assert!(waited.stderr.starts_with("ready: "), "{waited:#?}");
    let last: Value = run(&["workloads", "wait", &id, "--json"]).await.json();
    assert_eq!(last["phase"], "ready");

    let missing = run(&["workloads", "wait", "nope"]).await;
    assert_eq!(missing.code, 3, "{missing:#?}");

    // The platform-wide verbs take the slug too: show in full, then delete.
    let shown = run(&["workloads", "show", "chat"]).await;
    assert!(
        shown.ok().contains(&format!("/endpoint/{project}/chat/v1")),
        "{shown:#?}"
    );
    run(&["workloads", "delete", "chat"]).await.ok();
    let listed = run(&["workloads", "list", "--json"]).await.json();
    assert_eq!(listed, serde_json::json!([]));
    let gone = run(&["workloads", "delete", "chat"]).await;
    assert_eq!(gone.code, 3, "{gone:#?}");
}
