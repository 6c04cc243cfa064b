//! Connection profiles in the real app (issue #4): add a profile for a second gateway
//! started by this test, test its connection, switch to it and see its keys; restart
//! the app and find both profiles working; delete one and find its keychain entry gone
//! from the Secret Service (`secret-tool`, an independent client).

use keyward_e2e::App;
use std::process::Command;

/// The app's keychain entry for a profile (service = the app's identifier).
fn secret_tool_lookup(app: &App, profile_id: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", &app.identifier, "username", profile_id])
        .output()
        .expect("secret-tool is installed (libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
        .filter(|s| !s.is_empty())
}

#[tokio::test]
async fn add_switch_restart_and_delete_a_profile_of_a_second_gateway() {
    let team_dir = tempfile::tempdir().unwrap();
    let (team_url, team_project, team_token) =
        keyward_e2e::team_gateway(team_dir.path(), "team-gpu-batch").await;

    let app = App::launch("profiles").await;
    app.wait_for("[data-testid='keys-empty']").await;
    let local_url = app
        .wait_for("[data-testid='profile-url']")
        .await
        .text()
        .await
        .unwrap();
    // First launch: Local's owner token went straight into the Secret Service.
    let local_token = secret_tool_lookup(&app, "local").expect("Local's token is in the keychain");
    assert!(local_token.starts_with("kw_ctl_"));

    // Add the team gateway's profile, testing the connection before saving.
    app.click("[data-testid='nav-profiles']").await;
    app.wait_for("[data-testid='profiles-screen']").await;
    app.click("[data-testid='add-profile']").await;
    app.fill_profile_form("Team GPU host", &team_url, &team_project, &team_token)
        .await;
    app.click("[data-testid='profile-form-test']").await;
    let result = app
        .wait_for("[data-testid='profile-form-test-result'][data-outcome='success']")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        result.contains("owner") && result.contains(&team_project),
        "the test names the role and project: {result:?}"
    );
    app.screenshot("01-add-profile-tested").await;
    app.click("[data-testid='profile-form-save']").await;
    app.wait_gone("[data-testid='profile-form']").await;
    let team_id = app.profile_id_named("Team GPU host").await;
    assert_eq!(
        secret_tool_lookup(&app, &team_id).as_deref(),
        Some(team_token.as_str()),
        "the token is in the Secret Service under the profile's id"
    );
    // The token field is write-only: editing shows it empty, and the page never holds it.
    assert!(!app.client.source().await.unwrap().contains(&team_token));
    app.screenshot("02-profiles").await;

    // Switch to it and see its keys.
    app.switch_profile(&team_id).await;
    app.wait_text("[data-testid='profile-url']", &team_url)
        .await;
    app.click("[data-testid='nav-keys']").await;
    app.wait_key_row("team-gpu-batch").await;
    app.screenshot("03-team-keys").await;

    // Restart: the team profile is still active and works; Local works too.
    let app = app.restart().await;
    app.wait_text("[data-testid='profile-url']", &team_url)
        .await;
    app.wait_key_row("team-gpu-batch").await;
    app.switch_profile("local").await;
    app.wait_text("[data-testid='profile-url']", &local_url)
        .await;
    app.wait_for("[data-testid='keys-empty']").await;
    assert_eq!(
        secret_tool_lookup(&app, "local").as_deref(),
        Some(local_token.as_str()),
        "a restart reuses Local's stored token"
    );
    app.screenshot("04-after-restart-local").await;

    // Delete the team profile: its keychain entry goes with it.
    app.click("[data-testid='nav-profiles']").await;
    app.wait_for("[data-testid='profiles-screen']").await;
    let row = format!("[data-testid='profile-row'][data-profile-id='{team_id}']");
    app.click(&format!("{row} [data-testid='profile-delete']"))
        .await;
    app.wait_for("[data-testid='delete-profile-dialog']").await;
    app.screenshot("05-delete-confirm").await;
    app.click("[data-testid='delete-profile-confirm']").await;
    app.wait_gone(&row).await;
    assert_eq!(
        secret_tool_lookup(&app, &team_id),
        None,
        "the keychain entry is gone"
    );
    let search = Command::new("secret-tool")
        .args(["search", "service", &app.identifier, "username", &team_id])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&search.stdout).trim().is_empty()
            && String::from_utf8_lossy(&search.stderr)
                .lines()
                .all(|l| !l.contains("secret =")),
        "secret-tool search finds nothing for the deleted profile"
    );
    assert!(
        secret_tool_lookup(&app, "local").is_some(),
        "Local is untouched"
    );
    app.screenshot("06-deleted").await;
    app.close().await;
}

#[tokio::test]
async fn a_lost_local_keychain_entry_is_reported_and_a_new_owner_token_restores_local() {
    let app = App::launch("local-token-lost").await;
    app.wait_for("[data-testid='keys-empty']").await;
    let first = secret_tool_lookup(&app, "local").expect("Local's token is in the keychain");

    // The entry disappears while the app is closed (another tool, a keyring reset…).
    assert!(Command::new("secret-tool")
        .args(["clear", "service", &app.identifier, "username", "local"])
        .status()
        .unwrap()
        .success());
    let app = app.restart().await;
    let banner = app
        .wait_for("[data-testid='local-token-missing']")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        banner.contains("keychain"),
        "the banner says what is wrong: {banner:?}"
    );
    app.screenshot("01-token-missing").await;

    app.click("[data-testid='reissue-local-token']").await;
    app.wait_gone("[data-testid='local-token-missing']").await;
    app.wait_for("[data-testid='keys-empty']").await;
    let second = secret_tool_lookup(&app, "local").expect("a new owner token is stored");
    assert_ne!(first, second, "a new token, not the old one");
    app.screenshot("02-reissued").await;

    // The lost token no longer works against the embedded gateway.
    let base_url = app
        .wait_for("[data-testid='profile-url']")
        .await
        .text()
        .await
        .unwrap();
    let status = reqwest::Client::new()
        .get(format!("{base_url}/v1/whoami"))
        .bearer_auth(first.trim())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403, "the lost owner token was revoked");
    app.close().await;
}
