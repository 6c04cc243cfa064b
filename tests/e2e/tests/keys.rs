//! The Keys workspace in the real app (issue #5), one flow per test, screenshots under
//! `target/e2e/<test>/`. Keys are created through the gateway's API where the flow
//! under test is not creation itself; the Local profile's owner token comes from the
//! Secret Service, where the app keeps it.

use fantoccini::key::Key;
use fantoccini::Locator;
use keyward_e2e::{wait_until, App};
use serde_json::{json, Value};
use std::time::Instant;

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
    let proof = text(
        &app,
        "[data-testid='leak-proof'], [data-testid='leak-revoke-error']",
    )
    .await;
    assert!(proof.contains("401"), "the proof shows the 401: {proof}");
    app.screenshot("03-revoked-proof").await;
    assert_eq!(
        models_status(&team_url, &secret).await,
        401,
        "really revoked"
    );

    app.press_escape().await;
    app.wait_gone("[data-testid='leak-dialog']").await;
    app.assert_secret_nowhere(&secret).await;
    app.close().await;
}

#[tokio::test]
async fn ops_bulk_revoke_search_and_keyboard() {
    let app = App::launch("bulk-revoke").await;
    app.wait_for("[data-testid='keys-empty']").await;
    let (base_url, project, token) = app.local_gateway().await;
    let mut secrets = Vec::new();
    let expires = (chrono::Utc::now() + chrono::Duration::days(12)).to_rfc3339();
    for name in ["batch-a", "batch-b", "keep-me"] {
        let body = json!({
            "name": name,
            "rpm": 60,
            "token_limit": 1_500_000,
            "token_limit_period": "day",
            "labels": { "team": "payments", "env": "prod" },
            "expires_at": expires,
        });
        let key = create_via_api(&base_url, &project, &token, body).await;
        secrets.push(key["secret"].as_str().unwrap().to_owned());
    }
    // Reload the list: switch screens and back.
    app.click("[data-testid='nav-profiles']").await;
    app.click("[data-testid='nav-keys']").await;
    app.wait_key_row("keep-me").await;

    // At 900×600 (issue #15) the sidebar folds into a top bar and every row's Revoke
    // stays on screen, the table scrolling sideways under the name if it must.
    app.client.set_window_size(900, 600).await.unwrap();
    let [width, left, right, leak_top, leak_right] = wait_until(
        Instant::now() + keyward_e2e::TIMEOUT,
        "the window to shrink to 900 px",
        async || {
            let layout = app
                .client
                .execute(
                    "const revoke = document.querySelector(\"[data-testid='key-revoke']\").getBoundingClientRect();
                     const leak = document.querySelector(\"[data-testid='nav-leak']\").getBoundingClientRect();
                     return [window.innerWidth, revoke.left, revoke.right, leak.top, leak.right];",
                    vec![],
                )
                .await
                .unwrap();
            let layout = serde_json::from_value::<[f64; 5]>(layout).unwrap();
            match layout[0] <= 900.0 {
                true => Ok(layout),
                false => Err(format!("{} px wide", layout[0])),
            }
        },
    )
    .await;
    app.screenshot("00-keys-900x600").await;
    assert!(
        left >= 0.0 && right <= width,
        "Revoke is on screen at {width} px: {left}..{right}"
    );
    assert!(
        leak_top < 120.0 && leak_right <= width,
        "the sidebar is a bar across the top: Find leaked key at y={leak_top}"
    );
    let expires_text = text(&app, "[data-testid='key-expires']").await;
    assert!(
        expires_text.contains("12 days") || expires_text.contains("11 days"),
        "{expires_text}"
    );
    // textContent: WebDriver's visible text stops where a narrow cell clips it.
    let limits = app
        .client
        .execute(
            "return document.querySelector(\"[data-testid='key-limits']\").textContent;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        limits.contains("60 req/min") && limits.contains("tok/day"),
        "{limits}"
    );
    // Digits are grouped even where the system names no locale (LANG=C here).
    let exact = app
        .client
        .find(Locator::Css("[data-testid='key-limits']"))
        .await
        .unwrap()
        .attr("title")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(exact.contains("1,500,000 tokens per day"), "{exact}");
    app.client.set_window_size(1200, 780).await.unwrap();

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
    wait_until(
        Instant::now() + keyward_e2e::TIMEOUT,
        "the search to narrow to the two batch keys",
        async || {
            let names = app.key_rows().await;
            match names.len() == 2 && names.iter().all(|n| n.contains("batch-")) {
                true => Ok(()),
                false => Err(names),
            }
        },
    )
    .await;
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

#[tokio::test]
async fn admin_creates_with_scopes_sees_it_once_edits_rotates_revokes_and_archives() {
    let app = App::launch("admin-key-lifecycle").await;
    app.wait_for("[data-testid='keys-empty']").await;
    let (base_url, project, token) = app.local_gateway().await;

    // `n` opens the dialog; validation is inline before any request.
    app.client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("n")
        .await
        .unwrap();
    app.wait_for("[data-testid='key-form']").await;
    app.fill("[data-testid='key-rpm']", "0").await;
    app.click("[data-testid='create-submit']").await;
    app.wait_for("[data-testid='key-name-error']").await;
    app.wait_for("[data-testid='field-error-rpm']").await;
    app.fill("[data-testid='key-name']", "payments-service")
        .await;
    app.fill("[data-testid='key-rpm']", "60").await;
    let models = app.wait_for("[data-testid='key-models'] input").await;
    models.send_keys("llama-3-8b").await.unwrap();
    // No workload serves this model yet: only the list's explicit "Add …" option takes
    // it (issue #15), and the dialog says so.
    models.send_keys(&Key::Down.to_string()).await.unwrap();
    models.send_keys(&Key::Enter.to_string()).await.unwrap();
    app.wait_for("[data-testid='key-models-unserved']").await;
    app.click("[data-testid='label-add']").await;
    app.fill("[data-testid='label-key']", "team").await;
    app.fill("[data-testid='label-value']", "payments").await;
    app.click("[data-testid='key-expiry-in-days']").await;
    app.fill("[data-testid='key-expiry-days']", "30").await;
    app.screenshot("01-create-with-scopes").await;
    app.click("[data-testid='create-submit']").await;

    // Reveal once: secret, copy with countdown, snippets carrying the secret.
    let secret = text(&app, "[data-testid='reveal-secret']")
        .await
        .trim()
        .to_owned();
    app.click("[data-testid='reveal-copy']").await;
    app.wait_text("[data-testid='reveal-copy']", "Copied").await;
    let countdown = text(&app, "[data-testid='reveal-clipboard-countdown']").await;
    assert!(countdown.contains(" s"), "{countdown}");
    for tab in ["curl", "python", "env"] {
        app.click(&format!("[data-testid='reveal-tab-{tab}']"))
            .await;
        let snippet = text(&app, "[data-testid='reveal-snippet']").await;
        assert!(snippet.contains(&secret), "{tab} snippet holds the secret");
        assert!(
            snippet.contains(&base_url),
            "{tab} snippet holds the base URL"
        );
    }
    app.screenshot("02-reveal-once").await;
    app.press_escape().await;
    app.wait_gone("[data-testid='reveal-panel']").await;
    app.wait_key_row("payments-service").await;
    app.assert_secret_nowhere(&secret).await;

    // The key page: scopes as set.
    app.click("[data-testid='key-open']").await;
    app.wait_for("[data-testid='key-detail']").await;
    assert!(text(&app, "[data-testid='key-scope-rpm']")
        .await
        .contains("60"));
    assert!(text(&app, "[data-testid='key-scope-models']")
        .await
        .contains("llama-3-8b"));
    assert!(text(&app, "[data-testid='key-scope-labels']")
        .await
        .contains("payments"));

    // Edit: only the token rate changes.
    app.click("[data-testid='key-edit']").await;
    app.wait_for("[data-testid='key-form']").await;
    app.fill("[data-testid='key-tpm']", "5000").await;
    app.screenshot("03a-edit-form").await;
    app.click("[data-testid='key-form-save']").await;
    app.wait_gone("[data-testid='key-form']").await;
    let digits = |s: String| s.chars().filter(char::is_ascii_digit).collect::<String>();
    wait_until(
        Instant::now() + keyward_e2e::TIMEOUT,
        "tpm shown as edited (5000)",
        async || {
            let shown = text(&app, "[data-testid='key-scope-tpm']").await;
            match digits(shown.clone()).contains("5000") {
                true => Ok(()),
                false => Err(shown),
            }
        },
    )
    .await;
    assert!(
        text(&app, "[data-testid='key-scope-rpm']")
            .await
            .contains("60"),
        "rpm untouched"
    );
    app.screenshot("03-edited").await;

    // Rotate without grace: a new secret, revealed once; the old one dies now.
    app.click("[data-testid='key-rotate']").await;
    app.wait_for("[data-testid='rotate-dialog']").await;
    app.click("[data-testid='rotate-confirm']").await;
    let rotated = text(&app, "[data-testid='reveal-secret']")
        .await
        .trim()
        .to_owned();
    assert_ne!(rotated, secret);
    app.screenshot("04-rotated-reveal").await;
    // Closing before Copy asks first (issue #15); here the new secret is not wanted.
    app.click("[data-testid='reveal-done']").await;
    app.wait_for("[data-testid='reveal-confirm']").await;
    app.click("[data-testid='reveal-discard']").await;
    app.wait_gone("[data-testid='reveal-panel']").await;
    assert_eq!(
        models_status(&base_url, &secret).await,
        401,
        "old secret refused"
    );
    assert_eq!(
        models_status(&base_url, &rotated).await,
        200,
        "new secret works"
    );

    // Used just now, so revoking asks for the key's name — once the meter's flush (every
    // second; later on a loaded machine) has recorded the use.
    wait_until(
        Instant::now() + keyward_e2e::TIMEOUT,
        "the use to be recorded (last_used_at)",
        async || {
            let listed = keyward_e2e::get_json(
                &format!("{base_url}/v1/projects/{project}/inference/keys?q=payments-service"),
                &token,
            )
            .await;
            match listed["keys"][0]["last_used_at"].is_null() {
                false => Ok(()),
                true => Err(listed),
            }
        },
    )
    .await;
    app.click("[data-testid='key-detail-back']").await;
    app.wait_key_row("payments-service").await;
    app.click("[data-testid='key-open']").await;
    app.click("[data-testid='key-detail-revoke']").await;
    app.wait_for("[data-testid='revoke-dialog']").await;
    app.wait_for("[data-testid='revoke-confirm-name']").await;
    app.screenshot("05-revoke-needs-name").await;
    app.confirm_revoke("payments-service").await;
    assert_eq!(models_status(&base_url, &rotated).await, 401);

    // Archive the revoked key; the audit trail tells the whole story.
    app.click("[data-testid='key-archive']").await;
    app.wait_text("[data-testid='key-detail-status']", "Archived")
        .await;
    let audit = text(&app, "[data-testid='key-audit']").await.to_lowercase();
    for action in ["created", "edited", "rotated", "revoked", "archived"] {
        assert!(audit.contains(action), "audit shows {action}: {audit}");
    }
    assert!(
        audit.contains("unlimited → 5000") || audit.contains("unlimited → 5,000"),
        "the edit changed exactly the token rate: {audit}"
    );
    app.screenshot("06-archived-audit").await;
    app.assert_secret_nowhere(&secret).await;
    app.assert_secret_nowhere(&rotated).await;
    app.close().await;
}
