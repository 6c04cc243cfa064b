//! Profiles against the real Secret Service (issue #4): run by `scripts/test.sh` inside
//! `dbus-run-session` with a throwaway, unlocked gnome-keyring. Each step is checked
//! with `secret-tool`, an independent client, not only through our own code. The tests
//! here share the session's keyring and run one at a time (a mutex), as D-Bus races
//! are reported in keyring's own CI.

use keyward_api::Secret;
use keyward_core::keychain::{self, Keychain};
use keyward_core::profiles::{PlatformKind, ProfileInput, ProfileStore};
use keyward_core::ErrorCode;
use std::process::Command;

pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn secret_tool_lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", user])
        .output()
        .expect("secret-tool is installed (libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

fn input(name: &str, token: &str) -> ProfileInput {
    ProfileInput {
        name: name.into(),
        kind: PlatformKind::Keyward,
        base_url: "http://127.0.0.1:9".into(),
        project_id: "prj_team".into(),
        notes: "GPU host".into(),
        token: Some(Secret::new(token.into())),
    }
}

#[tokio::test]
async fn profiles_keep_their_tokens_in_the_secret_service_only() {
    let _serial = SERIAL.lock().await;
    keychain::use_platform_store().expect(
        "a Secret Service on the session bus: run the tests through scripts/test.sh (dbus-run-session + gnome-keyring)",
    );
    assert!(
        keychain::default_store_persists(),
        "the real store, not a mock"
    );

    let service = format!("dev.keyward.test.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let store = ProfileStore::open(&db, Keychain::new(&service))
        .await
        .unwrap();
    let token = "kw_ctl_AAAAbbbbCCCCddddEEEEffffGGGGhh123456";
    let created = store
        .create(None, input("Team gateway", token), chrono::Utc::now())
        .await
        .unwrap();

    // In the Secret Service, under the profile's id…
    assert_eq!(
        secret_tool_lookup(&service, &created.id).as_deref(),
        Some(token)
    );
    // …and not in the console's database files.
    store.pool().close().await;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        // Closing the pool removes -wal/-shm files; one may vanish between listing and reading.
        let Ok(bytes) = std::fs::read(entry.unwrap().path()) else {
            continue;
        };
        assert!(
            !bytes.windows(20).any(|w| w == &token.as_bytes()[7..27]),
            "token in the database"
        );
    }

    // It survives a restart of the console (a new store on the same files).
    let store = ProfileStore::open(&db, Keychain::new(&service))
        .await
        .unwrap();
    let profile = store.connect(&created.id).await.unwrap();
    assert_eq!(profile.token.expose(), token);
    assert_eq!(profile.base_url, "http://127.0.0.1:9");

    // Replacing the token rewrites the entry; omitting it keeps it.
    let mut change = input("Team gateway", "kw_ctl_replaced");
    store
        .update(&created.id, change.clone(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        secret_tool_lookup(&service, &created.id).as_deref(),
        Some("kw_ctl_replaced")
    );
    change.token = None;
    change.notes = "renamed".into();
    store
        .update(&created.id, change, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        secret_tool_lookup(&service, &created.id).as_deref(),
        Some("kw_ctl_replaced")
    );

    // Duplicate copies the token into its own entry.
    let copy = store
        .duplicate(&created.id, "Team gateway (copy)", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        secret_tool_lookup(&service, &copy.id).as_deref(),
        Some("kw_ctl_replaced")
    );

    // An entry removed behind our back is reported, not papered over.
    assert!(Command::new("secret-tool")
        .args(["clear", "service", &service, "username", &copy.id])
        .status()
        .unwrap()
        .success());
    let error = store.connect(&copy.id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::KeychainMissing);

    // Delete removes the keychain entry too.
    store.delete(&created.id).await.unwrap();
    store.delete(&copy.id).await.unwrap();
    assert_eq!(secret_tool_lookup(&service, &created.id), None);
    assert!(store.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn oversized_tokens_are_refused_before_the_keychain() {
    let _serial = SERIAL.lock().await;
    keychain::use_platform_store().unwrap();
    let service = format!("dev.keyward.test.large.{}", std::process::id());
    let keychain = Keychain::new(&service);
    let error = keychain
        .store("p", &Secret::new("x".repeat(keychain::MAX_TOKEN_BYTES + 1)))
        .unwrap_err();
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::KeychainTooLarge, Some("token"))
    );
    assert_eq!(
        keychain.load("p").unwrap().map(|s| s.expose().to_owned()),
        None,
        "missing is Ok(None)"
    );
    assert!(
        !keychain.delete("p").unwrap(),
        "deleting a missing entry is not an error"
    );
}

/// Runs in a child process whose session bus does not exist (see the test below).
#[tokio::test]
#[ignore = "run by no_secret_service_is_reported_and_nothing_is_saved in a bus-less child"]
async fn child_without_a_session_bus() {
    assert_eq!(std::env::var("KEYWARD_CHILD_NO_BUS").as_deref(), Ok("1"));
    let expect_unavailable = |error: keyward_core::Error| {
        assert_eq!(error.code, ErrorCode::KeychainUnavailable, "{error:?}");
        assert!(error.message.contains("no keychain service is running"));
    };
    if let Err(error) = keychain::use_platform_store() {
        expect_unavailable(error);
    }
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::open(
        &dir.path().join("console.db"),
        Keychain::new("dev.keyward.test.nobus"),
    )
    .await
    .unwrap();
    let error = store
        .create(None, input("Team", "kw_ctl_token"), chrono::Utc::now())
        .await
        .unwrap_err();
    expect_unavailable(error);
    assert!(
        store.list().await.unwrap().is_empty(),
        "no half-saved profile"
    );
}

#[test]
fn no_secret_service_is_reported_and_nothing_is_saved() {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "keychain::child_without_a_session_bus",
        ])
        .env("KEYWARD_CHILD_NO_BUS", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/keyward-test-bus",
        )
        .status()
        .unwrap();
    assert!(status.success(), "the bus-less child's assertions failed");
}
