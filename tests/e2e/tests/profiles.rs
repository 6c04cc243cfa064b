//! Connection profiles in the real app (issue #4): add a profile for a second gateway
//! started by this test, test its connection, switch to it and see its keys; restart
//! the app and find both profiles working; delete one and find its keychain entry gone
//! from the Secret Service (`secret-tool`, an independent client).

use fantoccini::Locator;
use keyward_e2e::App;
use keyward_gateway::{DatabaseLocation, Gateway};
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

/// A second gateway, as on a team's GPU host: its own database and owner token, one key.
async fn team_gateway(dir: &std::path::Path) -> (String, String, String) {
    let location = DatabaseLocation::DataDir(dir.to_owned());
    let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
    let gateway = Gateway::open(&location, false).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(gateway.serve(listener, std::future::pending()));
    let created = reqwest::Client::new()
        .post(format!(
            "{base_url}/v1/projects/{}/inference/keys",
            init.project_id
        ))
        .bearer_auth(init.owner_token.expose())
        .json(&serde_json::json!({ "name": "team-gpu-batch" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    (
        base_url,
        init.project_id,
        init.owner_token.expose().to_owned(),
    )
}

async fn profile_id_named(app: &App, name: &str) -> String {
    app.wait_for("[data-testid='profile-row']").await;
    for row in app
        .client
        .find_all(Locator::Css("[data-testid='profile-row']"))
        .await
        .unwrap()
    {
        if row.text().await.unwrap().contains(name) {
            return row.attr("data-profile-id").await.unwrap().unwrap();
        }
    }
    panic!("no profile row named {name}");
}

async fn switch_to(app: &App, profile_id: &str) {
    app.wait_for("[data-testid='profile-switcher']")
        .await
        .select_by_value(profile_id)
        .await
        .unwrap();
}

/// Waits until the Keys list shows a row containing `text`.
async fn wait_key_row(app: &App, text: &str) {
    let deadline = std::time::Instant::now() + keyward_e2e::TIMEOUT;
    loop {
        for row in app
            .client
            .find_all(Locator::Css("[data-testid='key-row']"))
            .await
            .unwrap()
        {
            if row.text().await.unwrap_or_default().contains(text) {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no key row with {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn add_switch_restart_and_delete_a_profile_of_a_second_gateway() {
    let team_dir = tempfile::tempdir().unwrap();
    let (team_url, team_project, team_token) = team_gateway(team_dir.path()).await;

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
    app.wait_for("[data-testid='profile-form']").await;
    app.fill(
        "[data-testid='profile-form'] [name='name']",
        "Team GPU host",
    )
    .await;
    app.fill("[data-testid='profile-form'] [name='base_url']", &team_url)
        .await;
    app.fill(
        "[data-testid='profile-form'] [name='project_id']",
        &team_project,
    )
    .await;
    app.fill("[data-testid='profile-form'] [name='token']", &team_token)
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
    let team_id = profile_id_named(&app, "Team GPU host").await;
    assert_eq!(
        secret_tool_lookup(&app, &team_id).as_deref(),
        Some(team_token.as_str()),
        "the token is in the Secret Service under the profile's id"
    );
    // The token field is write-only: editing shows it empty, and the page never holds it.
    assert!(!app.client.source().await.unwrap().contains(&team_token));
    app.screenshot("02-profiles").await;

    // Switch to it and see its keys.
    switch_to(&app, &team_id).await;
    app.wait_text("[data-testid='profile-url']", &team_url)
        .await;
    app.click("[data-testid='nav-keys']").await;
    wait_key_row(&app, "team-gpu-batch").await;
    app.screenshot("03-team-keys").await;

    // Restart: the team profile is still active and works; Local works too.
    let app = app.restart().await;
    app.wait_text("[data-testid='profile-url']", &team_url)
        .await;
    wait_key_row(&app, "team-gpu-batch").await;
    switch_to(&app, "local").await;
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
