//! The Keys workspace in the real app (issue #5), one flow per test, screenshots under
//! `target/e2e/<test>/`. Keys are created through the gateway's API where the flow
//! under test is not creation itself; the Local profile's owner token comes from the
//! Secret Service, where the app keeps it.

use fantoccini::key::Key;
use fantoccini::Locator;
use keyward_e2e::App;
use serde_json::{json, Value};
use std::process::Command;

/// Local's base URL, project and owner token, read the way an admin could.
async fn local_gateway(app: &App) -> (String, String, String) {
    let base_url = app
        .wait_for("[data-testid='profile-url']")
        .await
        .text()
        .await
        .unwrap();
    let out = Command::new("secret-tool")
        .args(["lookup", "service", &app.identifier, "username", "local"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap();
    let who: Value = reqwest::Client::new()
        .get(format!("{base_url}/v1/whoami"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        base_url,
        who["project"]["id"].as_str().unwrap().to_owned(),
        token.trim().to_owned(),
    )
}

async fn create_via_api(base_url: &str, project: &str, token: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/v1/projects/{project}/inference/keys"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn models_status(base_url: &str, secret: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base_url}/v1/models"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn text(app: &App, css: &str) -> String {
    app.wait_for(css).await.text().await.unwrap()
}

#[tokio::test]
async fn ops_find_a_leaked_key_in_another_profile_revoke_it_and_see_the_401() {
    let team_dir = tempfile::tempdir().unwrap();
    let (team_url, team_project, team_token) =
        keyward_e2e::team_gateway(team_dir.path(), "unrelated").await;
    let leaked = create_via_api(
        &team_url,
        &team_project,
        &team_token,
        json!({"name": "leaked-in-a-gist", "rpm": 120, "labels": {"team": "search"}}),
    )
    .await;
    let secret = leaked["secret"].as_str().unwrap().to_owned();
    assert_eq!(models_status(&team_url, &secret).await, 200);

    let app = App::launch("leaked-key").await;
    app.wait_for("[data-testid='keys-empty']").await;
    app.add_profile("Team GPU host", &team_url, &team_project, &team_token)
        .await;
    // Local stays active: the search covers every profile regardless.
    app.click("[data-testid='nav-leak']").await;
    app.wait_for("[data-testid='leak-dialog']").await;

    // A typo fails the checksum locally, with no request.
    let mut typo = secret.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == 'A' { 'B' } else { 'A' });
    app.fill("[data-testid='leak-secret']", &typo).await;
    app.click("[data-testid='leak-find']").await;
    let error = text(
        &app,
        "[data-testid='leak-secret-error'], [data-testid='leak-error']",
    )
    .await;
    assert!(
        error.to_lowercase().contains("checksum") || error.contains("not a Keyward"),
        "{error}"
    );
    app.screenshot("01-typo-refused").await;

    app.fill("[data-testid='leak-secret']", &secret).await;
    app.click("[data-testid='leak-find']").await;
    let found = text(&app, "[data-testid='leak-match']").await;
    assert!(
        found.contains("Team GPU host") && found.contains("leaked-in-a-gist"),
        "{found}"
    );
    app.screenshot("02-found").await;

    app.click("[data-testid='leak-revoke']").await;
    let proof = text(&app, "[data-testid='leak-proof']").await;
    assert!(proof.contains("401"), "the proof shows the 401: {proof}");
    app.screenshot("03-revoked-proof").await;
    assert_eq!(
        models_status(&team_url, &secret).await,
        401,
        "really revoked"
    );

    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    app.wait_gone("[data-testid='leak-dialog']").await;
    app.assert_secret_nowhere(&secret).await;
    app.close().await;
}

#[tokio::test]
async fn ops_bulk_revoke_search_and_keyboard() {
    let app = App::launch("bulk-revoke").await;
    app.wait_for("[data-testid='keys-empty']").await;
    let (base_url, project, token) = local_gateway(&app).await;
    let mut secrets = Vec::new();
    for name in ["batch-a", "batch-b", "keep-me"] {
        let key = create_via_api(&base_url, &project, &token, json!({ "name": name })).await;
        secrets.push(key["secret"].as_str().unwrap().to_owned());
    }
    // Reload the list: switch screens and back.
    app.click("[data-testid='nav-profiles']").await;
    app.click("[data-testid='nav-keys']").await;
    app.wait_key_row("keep-me").await;

    // `/` focuses the search; the list narrows on the server side.
    app.client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("/")
        .await
        .unwrap();
    let focused = app.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("data-testid").await.unwrap().as_deref(),
        Some("keys-search")
    );
    focused.send_keys("batch").await.unwrap();
    let deadline = std::time::Instant::now() + keyward_e2e::TIMEOUT;
    loop {
        let names = app.key_rows().await;
        if names.len() == 2 && names.iter().all(|n| n.contains("batch-")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search did not narrow: {names:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.screenshot("01-searched").await;

    // Select both and revoke them in one go.
    app.click("[data-testid='keys-select-all']").await;
    app.wait_for("[data-testid='keys-bulk-bar']").await;
    app.click("[data-testid='keys-bulk-revoke']").await;
    app.wait_for("[data-testid='bulk-revoke-dialog']").await;
    app.screenshot("02-bulk-confirm").await;
    app.click("[data-testid='bulk-revoke-confirm']").await;
    let summary = text(&app, "[data-testid='bulk-revoke-summary']").await;
    assert!(
        summary.contains("2 revoked") || summary.contains("2 keys revoked"),
        "{summary}"
    );
    app.screenshot("03-bulk-summary").await;
    assert_eq!(models_status(&base_url, &secrets[0]).await, 401);
    assert_eq!(models_status(&base_url, &secrets[1]).await, 401);
    assert_eq!(
        models_status(&base_url, &secrets[2]).await,
        200,
        "the unselected key still works"
    );
    app.close().await;
}
