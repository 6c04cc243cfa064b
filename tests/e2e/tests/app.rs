//! The real app, end to end (issue #2): create a key, see its secret once, close the
//! panel, find no trace of the secret in the page, see the masked label, revoke it,
//! and watch the embedded gateway's data plane answer 401 to the revoked secret.

use keyward_api::token;
use keyward_e2e::App;

#[tokio::test]
async fn create_reveal_once_revoke_and_the_gateway_refuses_the_secret() {
    let app = App::launch("create-reveal-revoke").await;

    // A fresh data directory: the empty state, with the Local profile shown.
    app.wait_for("[data-testid='keys-empty']").await;
    let base_url = app
        .wait_for("[data-testid='profile-url']")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        base_url.starts_with("http://127.0.0.1:"),
        "embedded gateway on loopback: {base_url}"
    );
    app.screenshot("01-empty").await;

    // Create: the dialog validates before any request, then creates.
    app.click("[data-testid='create-key']").await;
    app.click("[data-testid='create-submit']").await;
    app.wait_for("[data-testid='key-name-error']").await;
    app.wait_for("[data-testid='key-name']")
        .await
        .send_keys("payments-service")
        .await
        .unwrap();
    app.screenshot("02-create-dialog").await;
    app.click("[data-testid='create-submit']").await;

    // The reveal-once panel shows the full secret.
    let secret = app
        .wait_for("[data-testid='reveal-secret']")
        .await
        .text()
        .await
        .unwrap();
    let secret = secret.trim().to_owned();
    assert_eq!(
        token::parse(&secret),
        Ok(keyward_api::TokenKind::Data),
        "a valid data key: {secret:?}"
    );
    app.click("[data-testid='reveal-copy']").await;
    app.wait_text("[data-testid='reveal-copy']", "Copied").await;
    app.screenshot("03-reveal-once").await;

    // While it is active, the secret works on the data plane.
    let http = reqwest::Client::new();
    let models = http
        .get(format!("{base_url}/v1/models"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);

    // Close it: the secret is gone from the page; the list shows only the masked label.
    app.click("[data-testid='reveal-done']").await;
    app.wait_gone("[data-testid='reveal-panel']").await;
    let row = "[data-testid='key-row']";
    app.wait_text(
        &format!("{row} [data-testid='key-label']"),
        &token::masked(&secret),
    )
    .await;
    let page = app.client.source().await.unwrap();
    let entropy = &secret["kw_live_".len()..];
    assert!(
        !page.contains(entropy),
        "the secret is still in the page after closing the reveal"
    );
    assert!(
        !page.contains(&entropy[..20]),
        "part of the secret is still in the page"
    );
    app.wait_text(&format!("{row} [data-testid='key-status']"), "Active")
        .await;
    app.screenshot("04-listed-masked").await;

    // Revoke, with a confirmation.
    app.click(&format!("{row} [data-testid='key-revoke']"))
        .await;
    app.wait_for("[data-testid='revoke-dialog']").await;
    app.screenshot("05-revoke-confirm").await;
    app.confirm_revoke("payments-service").await;
    app.wait_text(&format!("{row} [data-testid='key-status']"), "Revoked")
        .await;
    app.screenshot("06-revoked").await;

    // The embedded gateway refuses the revoked secret.
    let models = http
        .get(format!("{base_url}/v1/models"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 401);
    let body: serde_json::Value = models.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    app.close().await;
}
