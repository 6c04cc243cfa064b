//! The Keys workspace's logic against real gateways (issue #5): edit as a minimal
//! PATCH, the list's filters, bulk revoke with a partial failure, and *Find a leaked
//! key* across profiles ending in the 401 proof. A fake string never causes a request.

use crate::console::{form, open_console};
use crate::harness::start_gateway;
use crate::keychain::SERIAL;
use keyward_api::scope::{Labels, WorkloadScope};
use keyward_api::token::{self, TokenKind};
use keyward_api::Secret;
use keyward_core::console::LOCAL_PROFILE_ID;
use keyward_core::keys::{Expiry, KeyForm, KeyListQuery};
use keyward_core::ErrorCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn key_form(name: &str) -> KeyForm {
    KeyForm {
        name: name.into(),
        description: String::new(),
        rpm: None,
        tpm: None,
        token_limit: None,
        token_limit_period: None,
        allowed_models: None,
        workloads: WorkloadScope::Project,
        labels: Labels::new(),
        expiry: Expiry::Never,
        project: None,
        money_budget: None,
        traffic_limits: None,
    }
}

#[tokio::test]
async fn edit_filter_bulk_revoke_and_find_a_leaked_key_across_profiles() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.workspace.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let (_a, local_url, local_project, local_owner) = start_gateway(&dir.path().join("a")).await;
    let (_b, team_url, team_project, team_owner) = start_gateway(&dir.path().join("b")).await;

    // A third "platform" that counts every request it gets.
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let counting_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { (axum::http::StatusCode::NOT_FOUND, "{}") }
        });
        axum::serve(listener, app).await.unwrap()
    });

    let console = open_console(&dir.path().join("console.db"), &service).await;
    console
        .ensure_local(&local_url, &local_project, now, || async {
            Ok(local_owner)
        })
        .await
        .unwrap();
    console.restore_active().await.unwrap();
    let team = console
        .create(
            form("Team", &team_url, &team_project, Some(team_owner.expose())),
            now,
        )
        .await
        .unwrap();
    console
        .create(
            form("Counting", &counting_url, "prj_x", Some("kw_ctl_whatever")),
            now,
        )
        .await
        .unwrap();

    // Create with scopes on Local; edit sends only what changed.
    let local = console.active().await.unwrap();
    let mut spec = key_form("payments");
    spec.rpm = Some(60);
    spec.labels.insert("team".into(), "ads".into());
    spec.allowed_models = Some(vec!["llama-3-8b".into()]);
    let created = keyward_core::KeywardClient::new()
        .create_key_with(&local, &spec.to_create(now).unwrap())
        .await
        .unwrap();
    let mut edit = spec.clone();
    edit.expiry = Expiry::Keep;
    edit.tpm = Some(5_000);
    let patch = edit.to_update(&created.key, now).unwrap().unwrap();
    let edited = keyward_core::KeywardClient::new()
        .update_key(&local, &created.key.id, &patch)
        .await
        .unwrap();
    assert_eq!((edited.rpm, edited.tpm), (Some(60), Some(5_000)));
    let filtered = keyward_core::KeywardClient::new()
        .query_keys(
            &local,
            &KeyListQuery {
                label: Some("team=ads".into()),
                model: Some("llama-3-8b".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(filtered.total, 1);

    // Bulk revoke: one unknown id fails on its own, the others are revoked.
    let extra = keyward_core::KeywardClient::new()
        .create_key(&local, "batch")
        .await
        .unwrap();
    let report = console
        .revoke_many(&[
            extra.key.id.clone(),
            "key_does_not_exist".into(),
            created.key.id.clone(),
        ])
        .await
        .unwrap();
    assert_eq!(report.revoked.len(), 2);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].key_id, "key_does_not_exist");
    assert_eq!(report.failed[0].error.code, ErrorCode::NotFound);

    // A leaked key of the team gateway, found from whichever profile is active.
    console.switch(&team.id).await.unwrap();
    let team_profile = console.active().await.unwrap();
    let leaked = keyward_core::KeywardClient::new()
        .create_key(&team_profile, "leaked-in-a-gist")
        .await
        .unwrap();
    console.switch(LOCAL_PROFILE_ID).await.unwrap();

    // A typo or an invented string is refused locally: no platform is asked.
    let mut typo = leaked.secret.expose().to_owned();
    // A different last character (the checksum's), so the typo is never the original.
    let last = typo.pop().unwrap();
    typo.push(if last == 'x' { 'y' } else { 'x' });
    let before = hits.load(Ordering::SeqCst);
    for fake in [
        typo,
        "sk-proj-not-ours".to_owned(),
        token::generate(TokenKind::Control).expose().to_owned(),
    ] {
        let error = console.find_leaked(Secret::new(fake)).await.unwrap_err();
        assert_eq!(error.field.as_deref(), Some("secret"), "{error:?}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), before, "no request for a fake");

    let search = console
        .find_leaked(Secret::new(format!("  {}\n", leaked.secret.expose())))
        .await
        .unwrap();
    assert_eq!(search.matches.len(), 1, "{search:?}");
    let found = &search.matches[0];
    let holder = &found.profiles[0];
    assert_eq!(
        (
            found.profiles.len(),
            holder.profile_id.as_str(),
            found.key.id.as_str()
        ),
        (1, team.id.as_str(), leaked.key.id.as_str())
    );
    assert!(holder.can_revoke, "the team profile holds an owner token");
    assert_eq!(search.searched, ["Local", "Team"]);
    assert_eq!(
        search.gaps.len(),
        1,
        "the counting server cannot be searched"
    );
    assert_eq!(search.gaps[0].profile_name, "Counting");
    assert!(!search.masked.contains(&leaked.secret.expose()[12..30]));

    let revoked = console
        .revoke_leaked(&search.leak_id, &holder.profile_id, &found.key.id)
        .await
        .unwrap();
    assert_eq!(
        revoked.key.state,
        keyward_core::platform::model::KeyState::Revoked
    );
    let proof = revoked
        .proof
        .expect("the gateway's data plane proves the revoke");
    assert_eq!(proof.status, 401);
    assert!(proof.refused);
    console.discard_leak();
    assert_eq!(
        console
            .revoke_leaked(&search.leak_id, &holder.profile_id, &found.key.id)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound,
        "the pasted secret is gone once dismissed"
    );

    for profile in console.list().await.unwrap().profiles {
        if profile.id != LOCAL_PROFILE_ID {
            console.delete(&profile.id).await.unwrap();
        }
    }
    let _ = std::process::Command::new("secret-tool")
        .args(["clear", "service", &service, "username", LOCAL_PROFILE_ID])
        .status();
}
