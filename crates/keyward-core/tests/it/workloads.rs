//! The workload client against the real gateway and an upstream this test controls
//! (issue #9): create with the form's validation, the readiness stream as typed phases
//! (bootstrapping while /health is 503, then ready), the summary and the health series,
//! an edit as a minimal PATCH, a server field error kept on its field, and delete
//! naming the key that lost the workload.

use axum::http::StatusCode;
use axum::routing::get;
use keyward_api::ErrorCode;
use keyward_core::workloads::{keys_calling, ReadinessPhase, WorkloadForm};
use keyward_core::PlatformClient;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_follow_readiness_watch_edit_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, init) = keyward_gateway::Gateway::open_embedded(dir.path(), chrono::Utc::now())
        .await
        .unwrap();
    gateway
        .probe_config()
        .set_interval(Duration::from_millis(100));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = gateway.clone();
    tokio::spawn(async move { serving.serve(listener, std::future::pending()).await });
    let profile = crate::profile(base, &init.project_id, init.owner_token.unwrap().expose());
    let client = PlatformClient::new();

    let healthy = Arc::new(AtomicBool::new(false));
    let flag = healthy.clone();
    let upstream = crate::serve(
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
    let mut phases = Vec::new();
    let opening = async {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        healthy.store(true, Ordering::SeqCst);
    };
    let (last, ()) = tokio::join!(
        client.follow_readiness(&profile, "chat", |e| phases.push(e.phase)),
        opening
    );
    let last = last.unwrap();
    assert_eq!(last.phase, ReadinessPhase::Ready);
    assert_eq!(
        phases,
        [ReadinessPhase::Bootstrapping, ReadinessPhase::Ready]
    );

    // The summary and the series see the probes.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let row = loop {
        let summary = client.health_summary(&profile).await.unwrap();
        let row = summary.workloads[0].clone();
        if row.status == "healthy" && row.kv_cache.is_some() {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "{row:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
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

    // Delete: the key naming it is reported before (keys_calling) and after.
    let key = client
        .create_key_with(
            &profile,
            &serde_json::from_value(serde_json::json!({"name": "scoped", "workloads": ["chat"]}))
                .unwrap(),
        )
        .await
        .unwrap();
    let calling = keys_calling(&client.list_keys(&profile).await.unwrap(), "chat");
    assert_eq!(calling.len(), 1);
    assert_eq!(
        (calling[0].id.as_str(), calling[0].project_wide),
        (key.key.id.as_str(), false)
    );
    let deleted = client.delete_workload(&profile, &created.id).await.unwrap();
    assert_eq!(deleted.affected_keys.len(), 1);
    assert_eq!(deleted.affected_keys[0].name, "scoped");
}
