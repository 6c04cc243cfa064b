//! The Gcore adapter against the fake Gcore cloud API (`keyward-fakes`, held to the
//! platform by the official `gcore` SDK) (issue #19): keys read by offset to the count
//! Gcore reports, created attached to deployments with the secret once, detached and
//! revoked in two steps (the 409 on deleting an attached key never reaching anyone),
//! name rules refused before any request, deployments created and followed over
//! several task polls, a task ending in error, a failing region, start and stop, logs,
//! Test connection, and every remote failure as a sentence.

use chrono::Utc;
use keyward_api::{Secret, WorkloadScope};
use keyward_core::keys::{Expiry, KeyForm, KeyListQuery};
use keyward_core::platform::model::{KeyState, WorkloadState};
use keyward_core::platform::workload::{ChangeState, RegionScale, WorkloadSpec};
use keyward_core::platform::Platform;
use keyward_core::{ErrorCode, Http, PlatformKind, Profile};
use keyward_fakes::faults::Fault;
use keyward_fakes::gcore::{self, Seed, PROJECT_ID};
use keyward_fakes::{Fake, RecordedRequest};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn profile(fake: &Fake, token: &str) -> Profile {
    Profile {
        token: Secret::new(token.into()),
        ..profile_at(&fake.base_url)
    }
}

/// A Gcore profile of project 379 at `base_url`.
fn profile_at(base_url: &str) -> Profile {
    Profile {
        id: "gcore".into(),
        name: "Acme Gcore".into(),
        kind: PlatformKind::Gcore,
        base_url: base_url.into(),
        project_id: PROJECT_ID.to_string(),
        token: Secret::new("token".into()),
    }
}

fn adapter() -> Box<dyn Platform> {
    PlatformKind::Gcore.adapter(&Http::new()).unwrap()
}

fn all() -> KeyListQuery {
    crate::harness::every_key()
}

fn form(name: &str, deployments: &[&str]) -> KeyForm {
    KeyForm {
        workloads: if deployments.is_empty() {
            WorkloadScope::Project
        } else {
            WorkloadScope::Only(deployments.iter().map(|d| d.to_string()).collect())
        },
        ..crate::harness::key_form(name)
    }
}

fn writes(fake: &Fake) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

fn body(request: &RecordedRequest) -> Value {
    serde_json::from_str(&request.body).unwrap()
}

/// The deployment's key list as the fake holds it now.
fn keys_of(state: &gcore::State, deployment: &str) -> Vec<String> {
    state
        .snapshot()
        .deployments
        .iter()
        .find(|d| d.name == deployment)
        .map(|d| d.api_keys.clone())
        .unwrap_or_default()
}

fn spec(name: &str) -> WorkloadSpec {
    WorkloadSpec {
        name: name.into(),
        description: Some("A small model".into()),
        image: Some("ghcr.io/acme/tiny-llm:1.0".into()),
        flavor: Some("inference-16vcpu-32gb".into()),
        port: Some(8080),
        regions: vec![
            RegionScale {
                region: "76".into(),
                min: 1,
                max: 2,
            },
            RegionScale {
                region: "38".into(),
                min: 0,
                max: 1,
            },
        ],
        env: Some([("MODEL".to_owned(), "tiny".to_owned())].into()),
        command: Some("serve --port 8080".into()),
        ..WorkloadSpec::default()
    }
}

#[tokio::test]
async fn keys_are_read_by_offset_to_the_count_gcore_reports() {
    let seed = Seed::generated(250);
    let fake = Fake::gcore(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();

    let page = gcore.list_keys(&p, &all()).await.unwrap();
    assert_eq!(page.total, Some(253));
    assert_eq!(page.keys.len(), 200);
    let reads: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/api_keys"))
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(
        reads,
        [
            "limit=100&offset=0",
            "limit=100&offset=100",
            "limit=100&offset=200"
        ]
    );
    assert!(fake.requests().iter().all(|r| r
        .header("authorization")
        .is_some_and(|h| h.starts_with("APIKey "))));

    // The seeded keys mapped: attachments as the workload scope, the description, the
    // expiry; the key's id is its name.
    let found = gcore
        .list_keys(
            &p,
            &KeyListQuery {
                q: Some("ci-runner".into()),
                ..all()
            },
        )
        .await
        .unwrap();
    let ci = &found.keys[0];
    assert_eq!(
        (ci.id.as_str(), ci.name.as_str()),
        ("ci-runner", "ci-runner")
    );
    assert_eq!(
        ci.scopes.workloads.as_deref(),
        Some(&["llama-chat".to_owned(), "whisper-asr".to_owned()][..])
    );
    assert_eq!(ci.scopes.description.as_deref(), Some("CI smoke tests"));
    assert_eq!((ci.hint.as_deref(), ci.state), (None, KeyState::Active));
    let notebook = gcore.get_key(&p, "notebook").await.unwrap();
    assert_eq!(notebook.expires_at, seed.keys[2].expires_at);
    assert_eq!(notebook.scopes.workloads, Some(vec![]));

    // Only the keys attached to a deployment, through the list's workload filter.
    let attached = gcore
        .list_keys(
            &p,
            &KeyListQuery {
                workload: Some("llama-chat".into()),
                ..all()
            },
        )
        .await
        .unwrap();
    let names: Vec<&str> = attached.keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"ci-runner") && names.contains(&"staging-app"));
}

#[tokio::test]
async fn a_key_attached_to_two_deployments_shows_its_secret_once_then_is_detached_and_revoked() {
    let state = gcore::State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();

    let mut new = form("reports-app", &["llama-chat", "sd-turbo"]);
    new.description = "Monthly reports".into();
    new.expiry = Expiry::Date {
        date: "2099-01-01".into(),
    };
    let (key, secret) = gcore.create_key(&p, &new, Utc::now()).await.unwrap();
    assert_eq!(
        secret.expose(),
        state
            .snapshot()
            .secret_of(PROJECT_ID, "reports-app")
            .unwrap()
    );
    assert_eq!(
        key.scopes.workloads,
        Some(vec!["llama-chat".to_owned(), "sd-turbo".to_owned()])
    );
    assert_eq!(
        key.expires_at.map(|at| at.to_rfc3339()).as_deref(),
        Some("2099-01-01T00:00:00+00:00")
    );
    let posted = writes(&fake);
    assert_eq!(
        body(&posted[0]),
        json!({"name": "reports-app", "description": "Monthly reports", "expires_at": "2099-01-01"})
    );
    // Each deployment's whole key list, with the new key added and auth on.
    assert_eq!(
        body(&posted[1]),
        json!({"api_keys": ["ci-runner", "staging-app", "reports-app"], "auth_enabled": true})
    );
    assert_eq!(
        body(&posted[2]),
        json!({"api_keys": ["reports-app"], "auth_enabled": true})
    );
    assert!(keys_of(&state, "sd-turbo").contains(&"reports-app".to_owned()));
    // The secret is nowhere after the create answer.
    let read = gcore.get_key(&p, "reports-app").await.unwrap();
    assert!(!format!("{read:?}").contains(secret.expose()));

    // Detach one: the edit sends sd-turbo's list without the key, nothing else.
    let before = writes(&fake).len();
    let mut edit = form("reports-app", &["llama-chat"]);
    edit.description = "Monthly reports".into();
    edit.expiry = Expiry::Keep;
    let edited = gcore
        .update_key(&p, "reports-app", &edit, Utc::now())
        .await
        .unwrap();
    assert_eq!(edited.scopes.workloads, Some(vec!["llama-chat".to_owned()]));
    let sent = &writes(&fake)[before..];
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(sent[0].path.ends_with("/deployments/sd-turbo"));
    assert_eq!(body(&sent[0]), json!({"api_keys": []}));

    // Only the description changes: one PATCH of the key.
    let before = writes(&fake).len();
    edit.description = "Quarterly reports".into();
    let edited = gcore
        .update_key(&p, "reports-app", &edit, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        edited.scopes.description.as_deref(),
        Some("Quarterly reports")
    );
    let sent = &writes(&fake)[before..];
    assert_eq!(
        (sent.len(), body(&sent[0])),
        (1, json!({"description": "Quarterly reports"}))
    );
    // A name or an expiry is set once.
    let mut renamed = edit.clone();
    renamed.name = "other-app".into();
    let error = gcore
        .update_key(&p, "reports-app", &renamed, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("name"));
    let mut later = edit.clone();
    later.expiry = Expiry::Date {
        date: "2099-06-01".into(),
    };
    let error = gcore
        .update_key(&p, "reports-app", &later, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("expires_at"));

    // Revoke: detached from llama-chat, then deleted; the key is gone.
    let before = writes(&fake).len();
    let revoked = gcore.revoke_key(&p, "reports-app").await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    let sent = &writes(&fake)[before..];
    let steps: Vec<(&str, &str)> = sent
        .iter()
        .map(|r| (r.method.as_str(), r.path.rsplit('/').next().unwrap()))
        .collect();
    assert_eq!(steps, [("PATCH", "llama-chat"), ("DELETE", "reports-app")]);
    // …and the key answered says each step, for the screen and kw to report.
    assert_eq!(
        revoked.steps,
        [
            "Detached from deployment “llama-chat”.",
            "Deleted key “reports-app”."
        ]
    );
    assert_eq!(
        body(&sent[0]),
        json!({"api_keys": ["ci-runner", "staging-app"]})
    );
    assert!(state
        .snapshot()
        .secret_of(PROJECT_ID, "reports-app")
        .is_none());
    let error = gcore.get_key(&p, "reports-app").await.unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    // The revoke's two steps are what the capabilities tell the screens.
    let revoke = gcore.capabilities().keys.revoke;
    assert!(revoke.supported);
    assert!(revoke
        .instead
        .unwrap()
        .contains("detached from every deployment"));
}

#[tokio::test]
async fn revoking_a_key_attached_twice_never_shows_the_409() {
    let state = gcore::State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();
    // ci-runner is attached to llama-chat and whisper-asr: Gcore refuses its delete.
    let revoked = gcore.revoke_key(&p, "ci-runner").await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    // The key answered names the deployments it was detached from.
    // The key answered is attached to nothing; its steps name what it was detached from.
    assert_eq!(revoked.scopes.workloads, Some(Vec::new()));
    assert_eq!(
        revoked.steps,
        [
            "Detached from deployment “llama-chat”.",
            "Detached from deployment “whisper-asr”.",
            "Deleted key “ci-runner”."
        ]
    );
    assert!(!keys_of(&state, "llama-chat").contains(&"ci-runner".to_owned()));
    assert!(!keys_of(&state, "whisper-asr").contains(&"ci-runner".to_owned()));
    // staging-app stayed attached to llama-chat.
    assert_eq!(keys_of(&state, "llama-chat"), ["staging-app"]);
    assert!(writes(&fake)
        .iter()
        .all(|r| r.method != "DELETE" || r.path.ends_with("/ci-runner")));
}

#[tokio::test]
async fn name_rules_refuse_a_key_before_any_request() {
    let fake = Fake::gcore(Seed::generated(0)).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();
    let mut long = form(&"k".repeat(64), &[]);
    long.description = String::new();
    let mut wordy = form("fine-name", &[]);
    wordy.description = "d".repeat(301);
    let mut limited = form("fine-name", &[]);
    limited.rpm = Some(60);
    let cases = [
        (form("abc", &[]), "name"),
        (long, "name"),
        (form("Team_Key", &[]), "name"),
        (form("team.key", &[]), "name"),
        (form("-lead", &[]), "name"),
        (wordy, "description"),
        (limited, "rpm"),
        (form("fine-name", &["Not A Deployment"]), "workloads"),
    ];
    for (form, field) in cases {
        let error = gcore.create_key(&p, &form, Utc::now()).await.unwrap_err();
        assert_eq!(
            (error.code, error.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field)),
            "{}: {}",
            form.name,
            error.message
        );
    }
    assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
    let error = gcore.get_key(&p, "../deployments").await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("key_id"));
    let error = gcore
        .create_workload(
            &p,
            &WorkloadSpec {
                name: "x".repeat(31),
                ..spec("unused")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("name"));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_failed_attachment_undoes_the_new_key_and_says_what_happened() {
    let state = gcore::State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();
    // sd-turbo is being deleted: it can be read, but Gcore refuses to change it.
    gcore.delete_workload(&p, "sd-turbo").await.unwrap();
    let keys_before = state.snapshot().keys.len();
    let error = gcore
        .create_key(
            &p,
            &form("half-done", &["llama-chat", "sd-turbo"]),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Conflict, "{}", error.message);
    assert!(
        error
            .message
            .contains("created and attached to llama-chat, but attaching it to sd-turbo failed")
            && error.message.contains("detached it again and deleted it"),
        "{}",
        error.message
    );
    assert_eq!(
        state.snapshot().keys.len(),
        keys_before,
        "no key left behind"
    );
    assert_eq!(keys_of(&state, "llama-chat"), ["ci-runner", "staging-app"]);
}

#[tokio::test]
async fn a_deployment_is_followed_over_several_task_polls_until_active() {
    let state = gcore::State::new(Seed::generated(0));
    state.set_task_polls(4);
    let fake = Fake::gcore_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();

    let change = gcore.create_workload(&p, &spec("tiny-llm")).await.unwrap();
    assert_eq!(change.workload_id, "tiny-llm");
    let follow = change.follow.expect("a task to follow");
    let sent = body(writes(&fake).last().unwrap());
    assert_eq!(
        sent,
        json!({
            "name": "tiny-llm", "image": "ghcr.io/acme/tiny-llm:1.0",
            "flavor_name": "inference-16vcpu-32gb", "listening_port": 8080,
            "description": "A small model", "envs": {"MODEL": "tiny"},
            "command": ["serve", "--port", "8080"],
            "containers": [
                {"region_id": 76, "scale": {"min": 1, "max": 2}},
                {"region_id": 38, "scale": {"min": 0, "max": 1}},
            ],
        })
    );
    let listed = gcore.list_workloads(&p).await.unwrap();
    let tiny = listed.iter().find(|w| w.id == "tiny-llm").unwrap();
    assert_eq!(
        tiny.status.as_ref().unwrap().state,
        WorkloadState::Provisioning
    );

    let mut states = Vec::new();
    loop {
        let progress = gcore.workload_change(&p, &follow).await.unwrap();
        states.push(progress.state);
        if progress.state.is_final() {
            assert_eq!(progress.message, None);
            break;
        }
        assert!(states.len() < 10, "the task never ended: {states:?}");
    }
    assert_eq!(
        states,
        [
            ChangeState::Queued,
            ChangeState::Running,
            ChangeState::Running,
            ChangeState::Done
        ]
    );
    let detail = gcore.get_workload(&p, "tiny-llm").await.unwrap();
    let status = detail.workload.status.unwrap();
    assert_eq!(
        (status.state, status.ready, status.total),
        (WorkloadState::Healthy, Some(2), Some(2))
    );
    assert_eq!(
        detail.spec.image.as_deref(),
        Some("ghcr.io/acme/tiny-llm:1.0")
    );
    assert_eq!(detail.spec.regions, spec("tiny-llm").regions);
    assert_eq!(detail.spec.command.as_deref(), Some("serve --port 8080"));
    assert_eq!(detail.keys, Some(vec![]));
    assert_eq!(detail.regions.len(), 2);
    assert!(detail.address.is_some());

    // An edit from the detail as read sends nothing; a wider scale sends only the
    // containers, keeping each region's triggers.
    let before = writes(&fake).len();
    let same = gcore
        .update_workload(&p, "tiny-llm", &detail.spec)
        .await
        .unwrap();
    assert_eq!(same.follow, None);
    assert_eq!(writes(&fake).len(), before);
    let mut wider = detail.spec.clone();
    wider.regions[0].max = 4;
    let change = gcore.update_workload(&p, "tiny-llm", &wider).await.unwrap();
    assert!(change.follow.is_some());
    let sent = body(writes(&fake).last().unwrap());
    assert_eq!(sent.as_object().unwrap().len(), 1, "{sent}");
    assert_eq!(sent["containers"][0]["scale"]["max"], 4);
    assert_eq!(
        sent["containers"][0]["scale"]["triggers"]["cpu"]["threshold"],
        80
    );

    // Delete: followed to its end, then the deployment is gone.
    let change = gcore.delete_workload(&p, "tiny-llm").await.unwrap();
    let follow = change.follow.unwrap();
    while !gcore
        .workload_change(&p, &follow)
        .await
        .unwrap()
        .state
        .is_final()
    {}
    assert!(gcore
        .list_workloads(&p)
        .await
        .unwrap()
        .iter()
        .all(|w| w.id != "tiny-llm"));
}

#[tokio::test]
async fn a_task_that_ends_in_error_is_a_failed_change_with_its_message() {
    let state = gcore::State::new(Seed::generated(0));
    state.set_task_polls(2);
    let fake = Fake::gcore_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();
    state.fail_next_task("Image ghcr.io/acme/tiny-llm:1.0 could not be pulled");
    let change = gcore.create_workload(&p, &spec("tiny-llm")).await.unwrap();
    let follow = change.follow.unwrap();
    let first = gcore.workload_change(&p, &follow).await.unwrap();
    assert_eq!((first.state, first.message), (ChangeState::Queued, None));
    let last = gcore.workload_change(&p, &follow).await.unwrap();
    assert_eq!(last.state, ChangeState::Failed);
    assert_eq!(
        last.message.as_deref(),
        Some("Image ghcr.io/acme/tiny-llm:1.0 could not be pulled")
    );
    let error = gcore.get_workload(&p, "tiny-llm").await.unwrap_err();
    assert_eq!(
        error.code,
        ErrorCode::NotFound,
        "the failed create left nothing"
    );
    let error = gcore.workload_change(&p, "../tasks").await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("follow"));
}

#[tokio::test]
async fn a_failing_region_degrades_the_deployment_and_names_the_region() {
    let state = gcore::State::new(Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();
    state.fail_region(38, "GPU node unavailable");
    let listed = gcore.list_workloads(&p).await.unwrap();
    let chat = listed.iter().find(|w| w.id == "llama-chat").unwrap();
    let status = chat.status.as_ref().unwrap();
    assert_eq!(
        (status.state, status.ready, status.total),
        (WorkloadState::Degraded, Some(1), Some(2))
    );
    assert_eq!(status.problems, ["Region 38: GPU node unavailable"]);
    let detail = gcore.get_workload(&p, "llama-chat").await.unwrap();
    let amsterdam = detail.regions.iter().find(|r| r.region == "38").unwrap();
    assert_eq!(
        (amsterdam.ready, amsterdam.error.as_deref()),
        (0, Some("GPU node unavailable"))
    );
    assert_eq!(
        detail.keys,
        Some(vec!["ci-runner".to_owned(), "staging-app".to_owned()])
    );
    // The others: scaled to zero and stopped, as themselves.
    let state_of = |id: &str| {
        listed
            .iter()
            .find(|w| w.id == id)
            .and_then(|w| w.status.as_ref())
            .map(|s| s.state)
    };
    assert_eq!(state_of("whisper-asr"), Some(WorkloadState::ScaledToZero));
    assert_eq!(state_of("sd-turbo"), Some(WorkloadState::Disabled));
    state.heal_region(38);
    let healed = gcore.get_workload(&p, "llama-chat").await.unwrap();
    assert_eq!(
        healed.workload.status.unwrap().state,
        WorkloadState::Healthy
    );
}

#[tokio::test]
async fn deployments_stop_start_and_show_their_logs() {
    let state = gcore::State::new(Seed::generated(0));
    state.set_task_polls(2);
    let fake = Fake::gcore_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let gcore = adapter();

    let stopped = gcore
        .set_workload_running(&p, "llama-chat", false)
        .await
        .unwrap();
    assert_eq!(stopped.follow, None);
    assert!(writes(&fake)
        .last()
        .unwrap()
        .path
        .ends_with("/llama-chat/stop"));
    let detail = gcore.get_workload(&p, "llama-chat").await.unwrap();
    assert_eq!(
        detail.workload.status.unwrap().state,
        WorkloadState::Disabled
    );

    gcore
        .set_workload_running(&p, "llama-chat", true)
        .await
        .unwrap();
    assert!(writes(&fake)
        .last()
        .unwrap()
        .path
        .ends_with("/llama-chat/start"));
    // The start deploys again; its status moves on as the deployment is read.
    let mut seen = Vec::new();
    for _ in 0..5 {
        let state = gcore
            .get_workload(&p, "llama-chat")
            .await
            .unwrap()
            .workload
            .status
            .unwrap()
            .state;
        seen.push(state);
        if state == WorkloadState::Healthy {
            break;
        }
    }
    assert_eq!(seen.last(), Some(&WorkloadState::Healthy), "{seen:?}");
    assert!(seen.contains(&WorkloadState::Provisioning), "{seen:?}");

    let lines = gcore.workload_logs(&p, "llama-chat", 5).await.unwrap();
    assert_eq!(lines.len(), 5);
    assert!(lines.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    assert!(lines[0].source.as_deref().unwrap().starts_with("region "));
    let logs = fake
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/logs"))
        .unwrap();
    assert_eq!(logs.query, "limit=5&offset=0&order_by=time.desc");
}

#[tokio::test]
async fn test_connection_finds_the_project_or_asks_for_one() {
    let fake = Fake::gcore(Seed::generated(0)).await;
    let gcore = adapter();
    let p = profile(&fake, &fake.admin_key);
    let connection = gcore.connection(&p).await.unwrap();
    assert_eq!(
        (
            connection.project.id.as_str(),
            connection.project.name.as_str()
        ),
        ("379", "default")
    );
    assert!(!connection.credential_label.contains(&fake.admin_key[6..]));
    // The token sees two projects; the profile's keys live in its one.
    let projects = gcore.list_projects(&p).await.unwrap();
    assert_eq!(
        projects
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str()))
            .collect::<Vec<_>>(),
        [("379", "default")]
    );

    let unknown = Profile {
        project_id: "999".into(),
        ..p.clone()
    };
    let error = gcore.connection(&unknown).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("cannot see project 999") && error.message.contains("379 (default)"),
        "{}",
        error.message
    );
    let empty = Profile {
        project_id: String::new(),
        ..p.clone()
    };
    let error = gcore.connection(&empty).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("project_id"));
    assert!(
        error.message.contains("380 (research)"),
        "{}",
        error.message
    );

    let mut one = Seed::generated(0);
    one.projects.truncate(1);
    let single = Fake::gcore(one).await;
    let only = gcore
        .connection(&Profile {
            project_id: String::new(),
            ..profile(&single, &single.admin_key)
        })
        .await
        .unwrap();
    assert_eq!(only.project.id, "379");
}

#[tokio::test]
async fn every_remote_failure_reaches_the_user_as_a_sentence() {
    let fake = Fake::gcore(Seed::generated(3)).await;
    let gcore = adapter();

    let error = gcore
        .list_keys(&profile(&fake, "40000$wrong"), &all())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized);
    assert!(
        error.message.contains("Replace the API token") && error.message.contains("APIKey"),
        "{}",
        error.message
    );

    let p = profile(&fake, &fake.admin_key);
    let status = |status| Fault::Status {
        status,
        retry_after: None,
    };
    let cases: [(Fault, ErrorCode, &str); 6] = [
        (
            status(403),
            ErrorCode::Forbidden,
            "may not do this on Gcore",
        ),
        (status(404), ErrorCode::NotFound, "refresh the list"),
        (status(409), ErrorCode::Conflict, "Refresh and try again"),
        (status(500), ErrorCode::Upstream, "HTTP 500"),
        (status(503), ErrorCode::Upstream, "HTTP 503"),
        (
            Fault::Malformed,
            ErrorCode::Upstream,
            "does not understand as the Gcore API",
        ),
    ];
    for (fault, code, says) in cases {
        fake.faults.push("/api_keys", fault.clone(), 1);
        let error = gcore.list_keys(&p, &all()).await.unwrap_err();
        assert_eq!(error.code, code, "{fault:?}: {}", error.message);
        assert!(error.message.contains(says), "{fault:?}: {}", error.message);
    }

    // Gcore's own refusal names its field: a duplicate name, a key name it refuses.
    let error = gcore
        .create_key(&p, &form("ci-runner", &[]), Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Conflict);
    assert!(
        error.message.contains("already exists"),
        "{}",
        error.message
    );
    let error = gcore
        .create_workload(
            &p,
            &WorkloadSpec {
                regions: vec![RegionScale {
                    region: "8".into(),
                    min: 0,
                    max: 1,
                }],
                ..spec("tiny-llm")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(error.message.contains("Region 8"), "{}", error.message);
    let error = gcore
        .create_workload(
            &p,
            &WorkloadSpec {
                image: Some("UPPER/Case".into()),
                ..spec("tiny-llm")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::InvalidInput, Some("image")),
        "{}",
        error.message
    );

    // 429 with Retry-After on a read: waited for, then the list arrives.
    fake.faults.push(
        "/api_keys",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    assert_eq!(gcore.list_keys(&p, &all()).await.unwrap().total, Some(6));
    // …on a write: reported, not resent.
    fake.faults.push(
        "/api_keys",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    let posts = writes(&fake).len();
    let error = gcore
        .create_key(&p, &form("new-key", &[]), Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert!(
        error.message.contains("Try again in 1 s"),
        "{}",
        error.message
    );
    assert_eq!(writes(&fake).len(), posts + 1, "sent once");

    // A platform that stops answering, and one that hangs up.
    let slow = PlatformKind::Gcore
        .adapter(&Http::with_timeouts(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_millis(300),
        ))
        .unwrap();
    fake.faults.push(
        "/api_keys",
        Fault::Delay(std::time::Duration::from_secs(2)),
        1,
    );
    let error = slow.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{}", error.message);
    fake.faults.push("/api_keys", Fault::Close, 1);
    let error = gcore.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable, "{}", error.message);
    assert_eq!(fake.faults.pending(), 0);

    // What Gcore does not offer is refused with the capabilities' sentence.
    let error = gcore.key_activity(&p, "ci-runner").await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unsupported);
    assert!(error.message.contains("Gcore bills deployments, not keys"));
    let error = gcore
        .identify_key(&p, &Secret::new("anything".into()))
        .await
        .unwrap_err();
    assert!(
        error.message.contains("keeps no fingerprint"),
        "{}",
        error.message
    );
}

/// A Gcore that re-attaches a key between its detach and its delete (someone attached
/// it meanwhile), answering the delete 409 until `refusals` deletes have been refused:
/// the paths the fake cannot take, scripted. Returns the base URL and the log of
/// `METHOD name` writes.
async fn reattaching_gcore(refusals: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::extract::Path;
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::{Json, Router};
    let writes: Arc<Mutex<Vec<String>>> = Arc::default();
    let deletes = Arc::new(AtomicUsize::new(0));
    let key = {
        let deletes = deletes.clone();
        move || {
            let attached = if deletes.load(Ordering::SeqCst) == 0 {
                "a-dep"
            } else {
                "b-dep"
            };
            Json(json!({"name": "ci-key", "deployment_names": [attached]}))
        }
    };
    let delete = {
        let (writes, deletes) = (writes.clone(), deletes.clone());
        move || {
            writes.lock().unwrap().push("DELETE ci-key".to_owned());
            if deletes.fetch_add(1, Ordering::SeqCst) < refusals {
                let body = json!({"code": 409, "message": "API key 'ci-key' is attached to inference deployments: b-dep."});
                (StatusCode::CONFLICT, Json(body))
            } else {
                (StatusCode::NO_CONTENT, Json(Value::Null))
            }
        }
    };
    let deployment = |Path((_, name)): Path<(String, String)>| async move {
        Json(json!({
            "name": name, "status": "ACTIVE", "auth_enabled": true, "api_keys": ["ci-key", "other"],
            "image": "x/y:1", "flavor_name": "f", "listening_port": 80, "containers": [],
        }))
    };
    let patch = {
        let writes = writes.clone();
        move |Path((_, name)): Path<(String, String)>, Json(body): Json<Value>| async move {
            assert_eq!(
                body,
                json!({"api_keys": ["other"]}),
                "the rest of the list kept"
            );
            writes.lock().unwrap().push(format!("PATCH {name}"));
            Json(json!({"tasks": ["t-1"]}))
        }
    };
    let router = Router::new()
        .route(
            "/cloud/v3/inference/379/api_keys/ci-key",
            get(move || {
                let key = key.clone();
                async move { key() }
            })
            .delete(move || {
                let delete = delete.clone();
                async move { delete() }
            }),
        )
        .route(
            "/cloud/v3/inference/{project}/deployments/{name}",
            get(deployment).patch(patch),
        );
    (crate::harness::serve(router).await, writes)
}

#[tokio::test]
async fn a_key_attached_again_during_its_revoke_is_detached_once_more_and_the_409_stays_inside() {
    let gcore = adapter();
    let (base, writes) = reattaching_gcore(1).await;
    let p = profile_at(&base);
    let revoked = gcore.revoke_key(&p, "ci-key").await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    assert_eq!(
        revoked.steps[..2],
        [
            "Detached from deployment “a-dep”.".to_owned(),
            "Detached from deployment “b-dep”.".to_owned()
        ]
    );
    assert_eq!(revoked.scopes.workloads, Some(Vec::new()));
    assert_eq!(
        *writes.lock().unwrap(),
        [
            "PATCH a-dep",
            "DELETE ci-key",
            "PATCH b-dep",
            "DELETE ci-key"
        ]
    );

    // Attached again and again: said as what happened and what to do, not as a 409.
    let (base, _) = reattaching_gcore(usize::MAX).await;
    let error = gcore
        .revoke_key(&profile_at(&base), "ci-key")
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Conflict);
    assert!(
        error.message.contains("was detached from its deployments")
            && error.message.contains("still refuses to delete it")
            && !error.message.contains("409"),
        "{}",
        error.message
    );
}
