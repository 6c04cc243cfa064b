//! The console session against real parts (issue #4): the real gateway over HTTP on
//! loopback, the real Secret Service (checked with `secret-tool`), real SQLite files.
//! Shares the keychain tests' lock: one Secret Service session, one test at a time.

use crate::harness::start_gateway;
use crate::keychain::{secret_tool_lookup, SERIAL};
use keyward_api::Secret;
use keyward_core::console::{ImportChoice, LocalStatus, ProfileForm, LOCAL_PROFILE_ID};
use keyward_core::keychain::{self, Keychain};
use keyward_core::platform::model::AccessLevel as Role;
use keyward_core::profiles::{PlatformKind, ProfileStore};
use keyward_core::ErrorCode;
use keyward_core::{Console, Http};
use std::path::Path;
use std::process::Command;

pub async fn open_console(db: &Path, service: &str) -> Console {
    keychain::use_platform_store()
        .expect("a Secret Service on the session bus: run the tests through scripts/test.sh");
    let store = ProfileStore::open(db, Keychain::new(service))
        .await
        .unwrap();
    Console::new(store, Http::new())
}

pub fn form(name: &str, base_url: &str, project: &str, token: Option<&str>) -> ProfileForm {
    ProfileForm {
        name: name.into(),
        kind: PlatformKind::Keyward,
        base_url: base_url.into(),
        project_id: project.into(),
        notes: String::new(),
        token: token.map(|t| Secret::new(t.into())),
    }
}

fn secret_tool_clear(service: &str, user: &str) {
    assert!(Command::new("secret-tool")
        .args(["clear", "service", service, "username", user])
        .status()
        .unwrap()
        .success());
}

#[tokio::test]
async fn local_is_created_once_reconnects_after_restart_and_recovers_a_lost_token() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.local.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let (gateway, base_url, project_id, owner) = start_gateway(&dir.path().join("gateway")).await;
    let now = chrono::Utc::now();

    // First launch: Local is created with the freshly minted owner token…
    let console = open_console(&db, &service).await;
    let minted = owner.clone();
    let status = console
        .ensure_local(&base_url, &project_id, now, || async { Ok(minted) })
        .await
        .unwrap();
    assert_eq!(status, LocalStatus::Created);
    assert_eq!(
        secret_tool_lookup(&service, LOCAL_PROFILE_ID).as_deref(),
        Some(owner.expose()),
        "the owner token is in the Secret Service under Local's id"
    );
    console.restore_active().await.unwrap();
    let local = console.active().await.unwrap();
    keyward_core::KeywardClient::new()
        .create_key(&local, "ci")
        .await
        .unwrap();
    drop(console);

    // …a restart reconnects with the stored token and mints nothing, even when the
    // gateway came back on another port.
    let console = open_console(&db, &service).await;
    let status = console
        .ensure_local("http://127.0.0.1:1", &project_id, now, || async {
            panic!("a restart must not mint a token")
        })
        .await
        .unwrap();
    assert_eq!(status, LocalStatus::Ready);
    let status = console
        .ensure_local(&base_url, &project_id, now, || async {
            panic!("a restart must not mint a token")
        })
        .await
        .unwrap();
    assert_eq!(status, LocalStatus::Ready);
    console.restore_active().await.unwrap();
    let view = console.active_view().await.unwrap();
    assert!(view.builtin && view.name == "Local" && view.base_url == base_url);
    let local = console.active().await.unwrap();
    assert_eq!(
        keyward_core::KeywardClient::new()
            .list_keys(&local)
            .await
            .unwrap()
            .total,
        1
    );
    let report = console.test_saved(LOCAL_PROFILE_ID).await.unwrap();
    assert_eq!(
        (report.role, report.project_id.as_str()),
        (Role::Owner, project_id.as_str())
    );
    // Local cannot be deleted, nor pointed elsewhere.
    assert_eq!(
        console.delete(LOCAL_PROFILE_ID).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let moved = console
        .update(
            LOCAL_PROFILE_ID,
            form("Local", "http://10.0.0.1", &project_id, None),
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(moved.field.as_deref(), Some("base_url"));
    drop(console);

    // The keychain entry disappears behind our back: the console says so…
    secret_tool_clear(&service, LOCAL_PROFILE_ID);
    let console = open_console(&db, &service).await;
    let status = console
        .ensure_local(&base_url, &project_id, now, || async {
            panic!("no silent minting")
        })
        .await
        .unwrap();
    assert_eq!(status, LocalStatus::TokenMissing);
    console.restore_active().await.unwrap();
    let error = console.active().await.unwrap_err();
    assert_eq!(error.code, ErrorCode::KeychainMissing);
    assert!(
        error.message.contains("\"Local\"") && error.message.contains("Issue a new owner token"),
        "{}",
        error.message
    );

    // …and on request gets a new owner token, which replaces (revokes) the lost one.
    let reissued = gateway
        .reissue_embedded_owner_token(&project_id, now)
        .await
        .unwrap();
    console
        .reset_local_token(&base_url, &project_id, reissued.clone(), now)
        .await
        .unwrap();
    assert_eq!(
        secret_tool_lookup(&service, LOCAL_PROFILE_ID).as_deref(),
        Some(reissued.expose())
    );
    let local = console.active().await.unwrap();
    assert_eq!(
        keyward_core::KeywardClient::new()
            .list_keys(&local)
            .await
            .unwrap()
            .total,
        1
    );
    let stale = keyward_core::Profile {
        token: owner,
        ..local
    };
    assert_eq!(
        keyward_core::KeywardClient::new()
            .list_keys(&stale)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden,
        "the lost token no longer works"
    );
    secret_tool_clear(&service, LOCAL_PROFILE_ID);
}

#[tokio::test]
async fn switching_between_two_gateways_and_deleting_the_active_profile() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.switch.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let now = chrono::Utc::now();
    let (_local_gw, local_url, local_project, local_owner) =
        start_gateway(&dir.path().join("local")).await;
    let (_team_gw, team_url, team_project, team_owner) =
        start_gateway(&dir.path().join("team")).await;

    let console = open_console(&db, &service).await;
    console
        .ensure_local(&local_url, &local_project, now, || async {
            Ok(local_owner)
        })
        .await
        .unwrap();
    console.restore_active().await.unwrap();
    let team_form = form(
        "Team GPU host",
        &format!("{team_url}/"),
        &team_project,
        Some(team_owner.expose()),
    );

    // Test connection before saving: who the token is.
    let report = console.test_form(team_form.clone(), None).await.unwrap();
    assert_eq!(
        (report.role, report.project_id.as_str()),
        (Role::Owner, team_project.as_str())
    );
    // A wrong project is caught by the test, in words.
    let wrong = form("x", &team_url, "prj_elsewhere", Some(team_owner.expose()));
    let error = console.test_form(wrong, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(error.message.contains(&team_project));

    let team = console.create(team_form, now).await.unwrap();
    assert_eq!(team.base_url, team_url, "normalised");
    let team_profile = console.switch(&team.id).await.unwrap();
    assert_eq!(team_profile.id, team.id);
    let active = console.active().await.unwrap();
    keyward_core::KeywardClient::new()
        .create_key(&active, "team-only")
        .await
        .unwrap();
    let page = keyward_core::KeywardClient::new()
        .list_keys(&active)
        .await
        .unwrap();
    assert_eq!(page.keys[0].name, "team-only");

    // A switch that cannot load its token changes nothing.
    let broken = console
        .create(
            form("Broken", &team_url, &team_project, Some("kw_ctl_x")),
            now,
        )
        .await
        .unwrap();
    secret_tool_clear(&service, &broken.id);
    assert_eq!(
        console.switch(&broken.id).await.unwrap_err().code,
        ErrorCode::KeychainMissing
    );
    assert_eq!(console.list().await.unwrap().active_id, team.id);

    // The active profile is remembered across restarts.
    drop(console);
    let console = open_console(&db, &service).await;
    console.restore_active().await.unwrap();
    assert_eq!(console.active_view().await.unwrap().id, team.id);

    // Editing without a token keeps it; the active profile follows the edit.
    let mut renamed = form("Team (renamed)", &team_url, &team_project, None);
    renamed.notes = "A100 × 4".into();
    console.update(&team.id, renamed, now).await.unwrap();
    assert_eq!(console.active().await.unwrap().name, "Team (renamed)");
    assert_eq!(
        secret_tool_lookup(&service, &team.id).as_deref(),
        Some(team_owner.expose())
    );

    // Duplicate, then delete the active one: Local becomes active, entries are gone.
    let copy = console.duplicate(&team.id, "Team copy", now).await.unwrap();
    let list = console.delete(&team.id).await.unwrap();
    assert_eq!(list.active_id, LOCAL_PROFILE_ID);
    assert_eq!(secret_tool_lookup(&service, &team.id), None);
    assert_eq!(
        secret_tool_lookup(&service, &copy.id).as_deref(),
        Some(team_owner.expose()),
        "the duplicate has its own entry"
    );
    assert_eq!(console.active().await.unwrap().id, LOCAL_PROFILE_ID);
    for id in [copy.id, broken.id] {
        console.delete(&id).await.unwrap();
    }
    secret_tool_clear(&service, LOCAL_PROFILE_ID);
    assert_eq!(console.list().await.unwrap().profiles.len(), 1);
}

/// Issue #15: *Add profile* asked for a project ID the token already identifies. An
/// empty project is read from the token (`whoami`) by the test and by the save; a
/// token that cannot be asked says so under the project field, in the form's words.
#[tokio::test]
async fn an_empty_project_id_is_read_from_the_token() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.whoami.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let (_gw, url, project, owner) = start_gateway(&dir.path().join("gw")).await;
    let console = open_console(&dir.path().join("console.db"), &service).await;

    let blank = form("Team", &url, "  ", Some(owner.expose()));
    let report = console.test_form(blank.clone(), None).await.unwrap();
    assert_eq!(report.project_id, project);
    let saved = console.create(blank, now).await.unwrap();
    assert_eq!(saved.project_id, project);

    // On an edit the stored token answers for an empty project too.
    let edit = form("Team", &url, "", None);
    assert_eq!(
        console
            .update(&saved.id, edit, now)
            .await
            .unwrap()
            .project_id,
        project
    );

    let stranger = keyward_api::token::generate(keyward_api::TokenKind::Control);
    let error = console
        .create(form("Nobody", &url, "", Some(stranger.expose())), now)
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("project_id"), "{error:?}");
    assert!(
        error
            .message
            .contains("could not read the project from the token"),
        "{}",
        error.message
    );
    let error = console
        .create(form("Bad", "ftp://x", "", Some(owner.expose())), now)
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("base_url"));
    assert!(
        error.message.starts_with("The base URL"),
        "{}",
        error.message
    );

    console.delete(&saved.id).await.unwrap();
}

/// Issue #15: *Import* asked for a project ID the token already identifies, while *Add
/// profile* reads it from the token. An imported Keyward token with an empty project now
/// gets its project from `whoami` too; a token the gateway does not know fails alone,
/// naming the project field.
#[tokio::test]
async fn an_imported_token_names_its_project() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.import-whoami.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let (_gw, url, project, owner) = start_gateway(&dir.path().join("gw")).await;
    let console = open_console(&dir.path().join("console.db"), &service).await;
    let stranger = keyward_api::token::generate(keyward_api::TokenKind::Control);

    let mut found = Vec::new();
    for token in [owner.expose(), stranger.expose()] {
        let dotenv = format!("INFERENCEKEY_BASE_URL={url}\nINFERENCEKEY_SDK_TOKEN={token}\n");
        found.extend(keyward_core::import::from_dotenv(&dotenv, "team.env").unwrap());
    }
    let views = console.offer_imports(found).await;
    assert!(views.iter().all(|v| v.project_id.is_none()));
    let choices = views
        .iter()
        .enumerate()
        .map(|(i, v)| ImportChoice {
            candidate_id: v.id.clone(),
            name: format!("Imported {i}"),
            kind: PlatformKind::Keyward,
            base_url: url.clone(),
            project_id: " ".into(),
        })
        .collect();
    let report = console.import(choices, now).await;

    assert_eq!(report.created.len(), 1, "{report:?}");
    assert_eq!(report.created[0].project_id, project);
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].error.field.as_deref(), Some("project_id"));
    assert!(report.failed[0]
        .error
        .message
        .contains("could not read the project from the token"));
    console.delete(&report.created[0].id).await.unwrap();
    console.discard_imports();
}

/// Issue #16: a profile of a platform without an adapter saves, and then says so
/// plainly — code `unsupported`, the one sentence, no field — both from what the
/// capabilities describe and when something tries to use it; a Keyward profile's
/// capabilities come through the platform layer with its adapter.
#[tokio::test]
async fn a_profile_without_an_adapter_is_unsupported_in_one_plain_sentence() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.noadapter.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let console = open_console(&dir.path().join("console.db"), &service).await;
    let now = chrono::Utc::now();
    let mut podstack = form(
        "Podstack",
        "https://api.podstack.example",
        "proj-1",
        Some("ps-token"),
    );
    podstack.kind = PlatformKind::Podstack;
    let saved = console.create(podstack, now).await.unwrap();
    console.switch(&saved.id).await.unwrap();

    let capabilities = console.active_capabilities().await.unwrap();
    assert!(!capabilities.adapter);
    let sentence = PlatformKind::Podstack.no_adapter_sentence();
    assert_eq!(
        capabilities.keys.list.instead.as_deref(),
        Some(sentence.as_str())
    );

    let error = console.active().await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unsupported);
    assert_eq!(error.message, sentence);
    assert_eq!(error.field, None);
    let error = console.active_platform().await.err().unwrap();
    assert_eq!(error.code, ErrorCode::Unsupported);
    let error = console.test_saved(&saved.id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unsupported);

    let mut keyward = form("Gateway", "http://127.0.0.1:9", "proj-1", Some("kw_ctl_x"));
    keyward.kind = PlatformKind::Keyward;
    let gateway = console.create(keyward, now).await.unwrap();
    console.switch(&gateway.id).await.unwrap();
    let capabilities = console.active_capabilities().await.unwrap();
    assert!(capabilities.adapter && capabilities.keys.rotate.supported);
    let (_, platform) = console.active_platform().await.unwrap();
    assert_eq!(platform.capabilities(), capabilities);
    for id in [saved.id, gateway.id] {
        console.delete(&id).await.unwrap();
    }
}
