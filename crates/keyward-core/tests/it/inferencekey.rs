//! The InferenceKey adapter (issue #19) against a real Keyward gateway, which serves
//! InferenceKey's management routes — the same route set the official `inferencekey`
//! SDK runs against in keyward-gateway's tests/it/sdk.rs. The gateway's tokens are
//! `kw_…`: the adapter sends whatever the profile holds. Here: ensure (create, then a
//! drift PATCH of only what changed, seen in the gateway's stored workload), edit,
//! delete, readiness to ready and to error, each 401/403 reason as what to do, and
//! what is not the gateway (a bare-array list, malformed JSON, a silent server) from
//! scripted servers; and the leak finder sending an `ik_live_` key to the dashboard.

use crate::console::{form, open_console};
use crate::harness::{serve, start_gateway, start_gateway_with};
use crate::keychain::SERIAL;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use keyward_api::token::{self, TokenKind};
use keyward_api::workloads::WorkloadRequest;
use keyward_api::Secret;
use keyward_core::platform::workload::WorkloadSpec;
use keyward_core::platform::Platform;
use keyward_core::workloads::{ReadinessEvent, ReadinessPhase};
use keyward_core::{ErrorCode, Http, KeywardClient, PlatformKind, Profile};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn profile(base_url: &str, project: &str, token: &str) -> Profile {
    Profile {
        id: "ik".into(),
        name: "Vision".into(),
        kind: PlatformKind::Inferencekey,
        base_url: base_url.into(),
        project_id: project.into(),
        token: Secret::new(token.into()),
    }
}

/// The same connection as the gateway's own client sees it, to read what was stored.
fn as_gateway(p: &Profile) -> Profile {
    Profile {
        kind: PlatformKind::Keyward,
        ..p.clone()
    }
}

fn adapter() -> Box<dyn Platform> {
    PlatformKind::Inferencekey.adapter(&Http::new()).unwrap()
}

fn chat() -> WorkloadSpec {
    WorkloadSpec {
        name: "Chat".into(),
        slug: Some("chat".into()),
        model: Some("llama".into()),
        backend: Some("vllm".into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ensure_reconciles_by_drift_edits_and_deletes_on_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project, owner) = start_gateway(dir.path()).await;
    let p = profile(&base, &project, owner.expose());
    let ik = adapter();
    let gateway = KeywardClient::new();

    let connection = ik.connection(&p).await.unwrap();
    assert_eq!(connection.project.id, project);
    assert!(
        connection.credential_label.starts_with("SDK token kw_")
            && !connection.credential_label.contains(&owner.expose()[10..]),
        "masked: {}",
        connection.credential_label
    );

    // Ensure of a new slug creates it, with the SDK's default task type.
    let created = ik.create_workload(&p, &chat()).await.unwrap();
    assert!(created.follow.is_none());
    let listed = ik.list_workloads(&p).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].id.as_str(),
            listed[0].slug.as_str(),
            listed[0].model.as_deref()
        ),
        (created.workload_id.as_str(), "chat", Some("llama"))
    );
    let detail = ik.get_workload(&p, &created.workload_id).await.unwrap();
    let by_slug = ik.get_workload(&p, "chat").await.unwrap();
    assert_eq!(
        by_slug.workload.id, created.workload_id,
        "the SDK's address"
    );
    assert_eq!(detail.spec.task_type.as_deref(), Some("text2text"));
    assert_eq!(
        detail.address.as_deref(),
        Some(format!("{base}/endpoint/{project}/chat/v1").as_str())
    );

    // Someone changes the description elsewhere; a second ensure with a new model
    // sends only the model, so their description survives.
    let ops = WorkloadRequest {
        description: Some(Some("owned by ops".into())),
        ..Default::default()
    };
    gateway
        .update_workload(&as_gateway(&p), &created.workload_id, &ops)
        .await
        .unwrap();
    let qwen = WorkloadSpec {
        model: Some("qwen".into()),
        ..chat()
    };
    let again = ik.create_workload(&p, &qwen).await.unwrap();
    assert_eq!(again.workload_id, created.workload_id, "the same workload");
    let stored = gateway
        .get_workload(&as_gateway(&p), &created.workload_id)
        .await
        .unwrap();
    assert_eq!(stored.model_name, "qwen");
    assert_eq!(stored.description.as_deref(), Some("owned by ops"));

    // Nothing drifted: no PATCH, so the stored workload is untouched to the instant.
    ik.update_workload(&p, &created.workload_id, &qwen)
        .await
        .unwrap();
    let unchanged = gateway
        .get_workload(&as_gateway(&p), &created.workload_id)
        .await
        .unwrap();
    assert_eq!(unchanged.updated_at, stored.updated_at);

    // An empty description clears it; the edit names only what it changes.
    let cleared = WorkloadSpec {
        description: Some(String::new()),
        task_type: Some("reranker".into()),
        ..qwen.clone()
    };
    ik.update_workload(&p, &created.workload_id, &cleared)
        .await
        .unwrap();
    let stored = gateway
        .get_workload(&as_gateway(&p), &created.workload_id)
        .await
        .unwrap();
    assert_eq!(stored.description, None);
    assert_eq!(stored.task_type.as_str(), "reranker");
    assert_eq!(stored.model_name, "qwen");

    // Refused in Rust, naming the field; and by the platform, keeping its field.
    let error = ik
        .create_workload(
            &p,
            &WorkloadSpec {
                slug: Some("other".into()),
                backend: Some("tgi".into()),
                ..chat()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::InvalidInput, Some("backend"))
    );
    let error = ik
        .create_workload(
            &p,
            &WorkloadSpec {
                name: "n".repeat(200),
                slug: Some("other".into()),
                ..chat()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::InvalidInput, Some("name")),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .contains("InferenceKey refused the request as invalid"),
        "{}",
        error.message
    );
    assert_eq!(ik.list_workloads(&p).await.unwrap().len(), 1);

    // Delete; a second delete and a read say it is gone.
    ik.delete_workload(&p, &created.workload_id).await.unwrap();
    assert!(ik.list_workloads(&p).await.unwrap().is_empty());
    let error = ik
        .delete_workload(&p, &created.workload_id)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound, "{}", error.message);
    let error = ik.get_workload(&p, &created.workload_id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    assert!(
        error.message.contains("Refresh the list"),
        "{}",
        error.message
    );
}

/// Follows `workload_id`'s readiness, sending each phase to `heard` as it arrives.
async fn follow(
    ik: &dyn Platform,
    p: &Profile,
    workload_id: &str,
    heard: tokio::sync::mpsc::UnboundedSender<ReadinessPhase>,
) -> (
    Vec<ReadinessPhase>,
    Result<ReadinessEvent, keyward_core::Error>,
) {
    let mut phases = Vec::new();
    let mut on_event = |e: &ReadinessEvent| {
        phases.push(e.phase);
        let _ = heard.send(e.phase);
    };
    let last = ik.follow_readiness(p, workload_id, &mut on_event).await;
    (phases, last)
}

/// Waits (10 s at most) until `phase` is heard.
async fn hear(
    heard: &mut tokio::sync::mpsc::UnboundedReceiver<ReadinessPhase>,
    phase: ReadinessPhase,
) {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(seen) = heard.recv().await {
            if seen == phase {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "no {phase:?} phase within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_streams_its_phases_to_ready_and_to_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project, owner) = start_gateway_with(dir.path(), |gateway| {
        gateway
            .probe_config()
            .set_interval(Duration::from_millis(100))
    })
    .await;
    let p = profile(&base, &project, owner.expose());
    let ik = adapter();

    // A model server that answers 503 while loading, until the test opens it.
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = healthy.clone();
    let upstream = serve(axum::Router::new().route(
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
    ))
    .await;
    let served = ik.create_workload(&p, &chat()).await.unwrap();
    // Where it runs is the gateway's own member, set as the SDK test sets it.
    let at_upstream = WorkloadRequest {
        upstream_url: Some(Some(upstream)),
        ..Default::default()
    };
    KeywardClient::new()
        .update_workload(&as_gateway(&p), &served.workload_id, &at_upstream)
        .await
        .unwrap();

    let (told, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let opening = async {
        hear(&mut heard, ReadinessPhase::Bootstrapping).await;
        healthy.store(true, Ordering::SeqCst);
    };
    let ((phases, last), ()) = tokio::join!(follow(&*ik, &p, &served.workload_id, told), opening);
    let last = last.unwrap();
    assert_eq!(last.phase, ReadinessPhase::Ready, "{}", last.message);
    assert_eq!(
        phases,
        [ReadinessPhase::Bootstrapping, ReadinessPhase::Ready]
    );

    // A workload with nowhere to run waits in scheduling; deleted meanwhile, its
    // stream ends in error and says why.
    let rank = ik
        .create_workload(
            &p,
            &WorkloadSpec {
                name: "Rank".into(),
                slug: Some("rank".into()),
                model: Some("bge-reranker".into()),
                task_type: Some("reranker".into()),
                ..chat()
            },
        )
        .await
        .unwrap();
    let (told, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let deleting = async {
        hear(&mut heard, ReadinessPhase::Scheduling).await;
        ik.delete_workload(&p, &rank.workload_id).await.unwrap();
    };
    let ((phases, last), ()) = tokio::join!(follow(&*ik, &p, &rank.workload_id, told), deleting);
    let last = last.unwrap();
    assert_eq!(last.phase, ReadinessPhase::Error);
    assert!(last.message.contains("does not exist"), "{}", last.message);
    assert_eq!(phases.first(), Some(&ReadinessPhase::Scheduling));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project, owner) = start_gateway(dir.path()).await;
    let ik = adapter();
    let owner_profile = profile(&base, &project, owner.expose());

    // 401: an unknown token.
    let stranger = token::generate(TokenKind::Control);
    let error = ik
        .list_workloads(&profile(&base, &project, stranger.expose()))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized);
    assert!(
        error.message.contains("Replace the SDK token")
            && error.message.contains("Project → Tokens"),
        "{}",
        error.message
    );

    // 403 wrong_credential_type: a data key cannot provision.
    let data_key = KeywardClient::new()
        .create_key(&as_gateway(&owner_profile), "app")
        .await
        .unwrap()
        .secret;
    let error = ik
        .create_workload(&profile(&base, &project, data_key.expose()), &chat())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("This is a data key (ik_live_…)")
            && error
                .message
                .contains("use the project's SDK token (ik_sdk_…)"),
        "{}",
        error.message
    );

    // 403 project_scope_mismatch: Test connection says the token is another project's.
    let error = ik
        .connection(&profile(&base, "prj_other", owner.expose()))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("belongs to another project"),
        "{}",
        error.message
    );

    // 403 scope_insufficient: a token that may only read.
    let viewer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/v1/projects/{project}/control-tokens"))
        .bearer_auth(owner.expose())
        .json(&serde_json::json!({"name": "finance", "role": "viewer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let viewer = profile(&base, &project, viewer["secret"].as_str().unwrap());
    assert!(
        ik.list_workloads(&viewer).await.unwrap().is_empty(),
        "it reads"
    );
    let error = ik.create_workload(&viewer, &chat()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("scope does not allow this"),
        "{}",
        error.message
    );

    // No project: said before any request.
    let error = ik
        .connection(&profile(&base, " ", owner.expose()))
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("project_id"));
}

/// A server that answers every request with `status` and `body`.
async fn scripted(status: StatusCode, body: &'static str) -> String {
    serve(axum::Router::new().fallback(any(move || async move {
        (status, [("content-type", "application/json")], body).into_response()
    })))
    .await
}

#[tokio::test]
async fn what_is_not_the_gateway_is_read_or_said() {
    let ik = adapter();
    // InferenceKey itself may answer the list as a bare array.
    let bare = scripted(
        StatusCode::OK,
        r#"[{"id":"w1","project_id":"vision","name":"Chat","slug":"chat","model_name":"llama","backend":"vllm","task_type":"text2text","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z","vllm_version":null}]"#,
    )
    .await;
    let listed = ik
        .list_workloads(&profile(&bare, "vision", "ik_sdk_x"))
        .await
        .unwrap();
    assert_eq!(
        (listed[0].slug.as_str(), listed[0].upstream.as_deref()),
        ("chat", None)
    );

    let cases = [
        (
            StatusCode::OK,
            "{not json",
            ErrorCode::Upstream,
            "does not understand as the InferenceKey API",
        ),
        (
            StatusCode::FORBIDDEN,
            r#"{"detail":"permission denied","reason":"scope_insufficient"}"#,
            ErrorCode::Forbidden,
            "scope does not allow this",
        ),
        (
            StatusCode::FORBIDDEN,
            r#"{"detail":"wrong_credential_type"}"#,
            ErrorCode::Forbidden,
            "This is a data key (ik_live_…)",
        ),
        (
            StatusCode::UNAUTHORIZED,
            r#"{"detail":"token revoked"}"#,
            ErrorCode::Unauthorized,
            "(401: token revoked)",
        ),
        (
            StatusCode::BAD_REQUEST,
            r#"{"detail":"unknown backend","field":"backend"}"#,
            ErrorCode::InvalidInput,
            "(400: unknown backend)",
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html>down</html>",
            ErrorCode::Upstream,
            "HTTP 503",
        ),
    ];
    for (status, body, code, says) in cases {
        let base = scripted(status, body).await;
        let error = ik
            .list_workloads(&profile(&base, "vision", "ik_sdk_x"))
            .await
            .unwrap_err();
        assert_eq!(error.code, code, "{status}: {}", error.message);
        assert!(error.message.contains(says), "{status}: {}", error.message);
        if status == StatusCode::BAD_REQUEST {
            assert_eq!(error.field.as_deref(), Some("backend"));
        }
    }

    // A server that accepts the connection and never answers.
    let silent = serve(axum::Router::new().fallback(any(std::future::pending::<&str>))).await;
    let slow = PlatformKind::Inferencekey
        .adapter(&Http::with_timeouts(
            Duration::from_secs(2),
            Duration::from_millis(300),
        ))
        .unwrap();
    let error = slow
        .list_workloads(&profile(&silent, "vision", "ik_sdk_x"))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{}", error.message);
}

/// *Find a leaked key* with an InferenceKey profile: a data key is InferenceKey's, and
/// since its API can neither find nor revoke one, the search says to revoke it in the
/// dashboard; an SDK token is named as a control token, and nothing is asked. An
/// import refuses a data key found where the SDK token belongs.
#[tokio::test]
async fn the_leak_finder_sends_a_data_key_to_the_dashboard() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.leak-ik.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let (_gw, url, project, owner) = start_gateway(&dir.path().join("gateway")).await;
    let console = open_console(&dir.path().join("console.db"), &service).await;
    let saved = console
        .create(
            keyward_core::console::ProfileForm {
                kind: PlatformKind::Inferencekey,
                ..form("Vision", &url, &project, Some(owner.expose()))
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let search = console
        .find_leaked(Secret::new("ik_live_9f8e7d6c5b4a39281706f5e4".into()))
        .await
        .unwrap();
    assert!(search.matches.is_empty());
    assert_eq!(search.gaps.len(), 1);
    assert_eq!(search.gaps[0].profile_name, "Vision");
    let said = &search.gaps[0].error.message;
    assert!(said.contains("in its dashboard (Project → Keys)"), "{said}");
    assert!(said.contains("revoke a leaked one there"), "{said}");

    let error = console
        .find_leaked(Secret::new("ik_sdk_0a1b2c3d4e5f60718293a4b5".into()))
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("secret"));
    assert!(
        error.message.contains("SDK (control) token")
            && error.message.contains("dashboard → Project → Tokens"),
        "{}",
        error.message
    );

    // Import: a data key where the SDK token belongs is refused at the scan (no
    // request can tell, none is made) and is not held, so it cannot be chosen.
    let vars = [
        ("INFERENCEKEY_BASE_URL", url.as_str()),
        ("INFERENCEKEY_PROJECT", project.as_str()),
        ("INFERENCEKEY_SDK_TOKEN", "ik_live_9f8e7d6c5b4a39281706f5e4"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let views = console
        .offer_imports(keyward_core::import::from_variables(
            &vars.into_iter().collect(),
            "environment",
        ))
        .await;
    assert_eq!(views.len(), 1);
    assert!(
        views[0]
            .refusal
            .as_deref()
            .is_some_and(|why| why.contains("InferenceKey data key (ik_live_…)")),
        "{views:?}"
    );
    let report = console
        .import(
            vec![keyward_core::console::ImportChoice {
                candidate_id: views[0].id.clone(),
                name: "Data key".into(),
                kind: PlatformKind::Inferencekey,
                base_url: url.clone(),
                project_id: project.clone(),
            }],
            chrono::Utc::now(),
        )
        .await;
    assert!(report.created.is_empty());
    assert_eq!(report.failed[0].error.code, ErrorCode::NotFound);
    console.delete(&saved.id).await.unwrap();
}
