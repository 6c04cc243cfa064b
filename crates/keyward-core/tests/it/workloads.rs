//! The workload client against the real gateway and an upstream this test controls
//! (issue #9): create with the form's validation, the readiness stream as typed phases
//! (bootstrapping while /health is 503, then ready), the summary and the health series,
//! an edit as a minimal PATCH, a server field error kept on its field, and delete
//! naming the key that lost the workload.

use crate::harness::{profile, serve, start_gateway, start_gateway_with, wait_until};
use axum::http::StatusCode;
use axum::routing::get;
use futures_util::StreamExt;
use keyward_core::workloads::{ReadinessPhase, WorkloadForm};
use keyward_core::ErrorCode;
use keyward_core::KeywardClient;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_follow_readiness_watch_edit_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project_id, owner) = start_gateway_with(dir.path(), |gateway| {
        gateway
            .probe_config()
            .set_interval(Duration::from_millis(100))
    })
    .await;
    let profile = profile(base, &project_id, owner.expose());
    let client = KeywardClient::new();

    let healthy = Arc::new(AtomicBool::new(false));
    let flag = healthy.clone();
    let upstream = serve(
        axum::Router::new()
            .route(
                "/health",
                get(move || {
                    let ok = flag.load(Ordering::SeqCst);
                    async move {
                        if ok {
                            StatusCode::OK
                        } else {
                            StatusCode::SERVICE_UNAVAILABLE
                        }
                    }
                }),
            )
            .route(
                "/metrics",
                get(|| async {
                    "vllm:num_requests_running 3\nvllm:kv_cache_usage_perc 0.42\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 77\n"
                }),
            ),
    )
    .await;

    let form = WorkloadForm {
        name: "Chat".into(),
        slug: "chat".into(),
        model_name: "llama".into(),
        backend: "vllm".into(),
        task_type: "text2text".into(),
        upstream_url: upstream.clone(),
        metrics_urls: vec![format!("{upstream}/metrics")],
        ..Default::default()
    };
    let bad = WorkloadForm {
        slug: "Chat!".into(),
        ..form.clone()
    };
    assert_eq!(bad.to_create().unwrap_err().field.as_deref(), Some("slug"));
    let created = client
        .create_workload(&profile, &form.to_create().unwrap())
        .await
        .unwrap();

    // Readiness: 503 while loading is "bootstrapping"; ready once /health answers 200.
    // The upstream opens once the console has been told it is bootstrapping.
    let mut phases = Vec::new();
    let (told, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let opening = async {
        let bootstrapping = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(phase) = heard.recv().await {
                if phase == ReadinessPhase::Bootstrapping {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(
            bootstrapping,
            Ok(true),
            "no bootstrapping phase within 10 s"
        );
        healthy.store(true, Ordering::SeqCst);
    };
    let (last, ()) = tokio::join!(
        client.follow_readiness(&profile, "chat", |e| {
            phases.push(e.phase);
            let _ = told.send(e.phase);
        }),
        opening
    );
    let last = last.unwrap();
    assert_eq!(last.phase, ReadinessPhase::Ready);
    assert_eq!(
        phases,
        [ReadinessPhase::Bootstrapping, ReadinessPhase::Ready]
    );

    // The summary and the series see the probes.
    let row = wait_until(
        "a healthy row with the KV cache",
        Duration::from_secs(10),
        || async {
            let row = client.health_summary(&profile).await.unwrap().workloads[0].clone();
            if row.status == keyward_api::health::HealthStatus::Healthy && row.kv_cache.is_some() {
                Ok(row)
            } else {
                Err(row)
            }
        },
    )
    .await;
    assert_eq!(
        (row.gpus, row.running, row.kv_cache),
        (1, Some(3.0), Some(0.42))
    );
    let now = chrono::Utc::now();
    let health = client
        .workload_health(
            &profile,
            &created.id,
            now - chrono::Duration::hours(1),
            now + chrono::Duration::seconds(5),
        )
        .await
        .unwrap();
    assert!(!health.series.is_empty());

    // An edit sends only what changed; a server field error keeps its field.
    let edit = WorkloadForm {
        model_name: "llama-3".into(),
        ..WorkloadForm::of(&created)
    };
    let patch = edit.to_update(&created).unwrap().unwrap();
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        serde_json::json!({"model_name": "llama-3"})
    );
    let updated = client
        .update_workload(&profile, &created.id, &patch)
        .await
        .unwrap();
    assert_eq!(updated.model_name, "llama-3");
    let duplicate = WorkloadForm {
        name: "Other".into(),
        ..form.clone()
    };
    let error = client
        .create_workload(&profile, &duplicate.to_create().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::Conflict, Some("slug"))
    );

    // Delete: the key naming it is reported before (workload_keys) and after.
    let key = client
        .create_key_with(
            &profile,
            &serde_json::from_value(serde_json::json!({"name": "scoped", "workloads": ["chat"]}))
                .unwrap(),
        )
        .await
        .unwrap();
    let calling = client.workload_keys(&profile, "chat").await.unwrap();
    assert_eq!((calling.keys.len(), calling.total), (1, 1));
    assert_eq!(
        (calling.keys[0].id.as_str(), calling.keys[0].project_wide),
        (key.key.id.as_str(), false)
    );
    let deleted = client.delete_workload(&profile, &created.id).await.unwrap();
    assert_eq!(deleted.affected_keys.len(), 1);
    assert_eq!(deleted.affected_keys[0].name, "scoped");
}

/// Issue #15: the workload page and the delete dialog read one page of 200 keys and
/// filtered it themselves, so a key past the 200th was missing ("No key names this
/// workload") and revoked keys were listed. Now the gateway's own filter is asked
/// (`?workload=`, active only) page after page, with its total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_of_a_workload_are_every_active_one_past_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project_id, owner) = start_gateway(dir.path()).await;
    let profile = profile(base, &project_id, owner.expose());
    let client = KeywardClient::new();
    for slug in ["chat", "other"] {
        let form = WorkloadForm {
            name: slug.into(),
            slug: slug.into(),
            model_name: "llama".into(),
            backend: "vllm".into(),
            task_type: "text2text".into(),
            ..Default::default()
        };
        client
            .create_workload(&profile, &form.to_create().unwrap())
            .await
            .unwrap();
    }
    let create = |name: String, workloads: serde_json::Value| {
        let client = client.clone();
        let profile = profile.clone();
        async move {
            let request =
                serde_json::from_value(serde_json::json!({"name": name, "workloads": workloads}))
                    .unwrap();
            client
                .create_key_with(&profile, &request)
                .await
                .unwrap()
                .key
        }
    };
    // 230 keys name it (more than one page), 4 more are revoked, 12 name another
    // workload, 3 may call every workload. Created newest-last, so the oldest named
    // keys sit past the first page of the default (newest-first) list.
    let mut specs: Vec<(String, serde_json::Value)> = (0..230)
        .map(|i| (format!("named-{i:03}"), serde_json::json!(["chat"])))
        .collect();
    specs.extend((0..4).map(|i| (format!("revoked-{i}"), serde_json::json!(["chat", "other"]))));
    specs.extend((0..12).map(|i| (format!("elsewhere-{i:02}"), serde_json::json!(["other"]))));
    specs.extend((0..3).map(|i| (format!("wide-{i}"), serde_json::json!("*"))));
    let created: Vec<keyward_api::InferenceKey> = futures_util::stream::iter(specs)
        .map(|(name, workloads)| create(name, workloads))
        .buffered(8)
        .collect()
        .await;
    for key in created.iter().filter(|k| k.name.starts_with("revoked-")) {
        client.revoke_key(&profile, &key.id).await.unwrap();
    }

    let calling = client.workload_keys(&profile, "chat").await.unwrap();
    assert_eq!(calling.total, 233);
    assert_eq!(calling.keys.len(), 233);
    let names: Vec<&str> = calling.keys.iter().map(|k| k.name.as_str()).collect();
    let expected: Vec<String> = (0..230)
        .map(|i| format!("named-{i:03}"))
        .chain((0..3).map(|i| format!("wide-{i}")))
        .collect();
    assert_eq!(
        names, expected,
        "named keys by name, then project-wide ones"
    );
    assert!(calling.keys[..230].iter().all(|k| !k.project_wide));
    assert!(calling.keys[230..].iter().all(|k| k.project_wide));
    // The oldest named key is past the first page of the list the screens used to read.
    let first_page = client.list_keys(&profile).await.unwrap();
    assert!(!first_page.keys.iter().any(|k| k.name == "named-000"));

    let other = client.workload_keys(&profile, "other").await.unwrap();
    assert_eq!((other.total, other.keys.len()), (15, 15));
    assert!(other.keys.iter().all(|k| !k.name.starts_with("revoked-")));
}
