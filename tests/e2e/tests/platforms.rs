//! The real app with an OpenAI and an Anthropic profile (issue #17), each on its fake
//! Admin API (`keyward-fakes`, held to the platforms by their official SDKs): add both
//! through the profile form (Test connection names the organisation), see OpenAI's
//! inventory across projects, revoke a key there, see spend reported by OpenAI on
//! Usage & Spend, and find leaked keys across the embedded gateway, OpenAI and
//! Anthropic profiles.

use keyward_e2e::{wait_until, App, TIMEOUT};
use keyward_fakes::{anthropic, openai, Fake};
use std::time::Instant;

async fn add_platform_profile(app: &App, kind: &str, name: &str, fake: &Fake, organisation: &str) {
    app.click("[data-testid='nav-profiles']").await;
    app.wait_for("[data-testid='profiles-screen']").await;
    app.click("[data-testid='add-profile']").await;
    app.wait_for("[data-testid='profile-form']").await;
    app.wait_for("[data-testid='profile-form'] [name='kind']")
        .await
        .select_by_value(kind)
        .await
        .unwrap();
    // The organisation is left empty: Test connection reads it from the admin key.
    app.fill_profile_form(name, &fake.base_url, "", &fake.admin_key)
        .await;
    app.click("[data-testid='profile-form-test']").await;
    let result = app
        .wait_for("[data-testid='profile-form-test-result'][data-outcome='success']")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        result.contains(organisation),
        "{kind}: the test names the organisation: {result:?}"
    );
    app.screenshot(&format!("profile-{kind}-tested")).await;
    app.click("[data-testid='profile-form-save']").await;
    app.wait_gone("[data-testid='profile-form']").await;
}

async fn find_leak(app: &App, secret: &str) -> Vec<String> {
    app.click("[data-testid='nav-leak']").await;
    app.wait_for("[data-testid='leak-dialog']").await;
    app.fill("[data-testid='leak-secret']", secret).await;
    app.click("[data-testid='leak-find']").await;
    app.wait_for("[data-testid='leak-results']").await;
    let mut matches = Vec::new();
    for m in app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='leak-match']"))
        .await
        .unwrap()
    {
        matches.push(m.text().await.unwrap());
    }
    matches
}

#[tokio::test]
async fn openai_and_anthropic_profiles_inventory_revoke_reported_spend_and_leaks() {
    let openai_seed = openai::Seed::generated(3, 6);
    let anthropic_seed = anthropic::Seed::generated(2, 5);
    let openai = Fake::openai(openai_seed.clone()).await;
    let anthropic = Fake::anthropic(anthropic_seed.clone()).await;

    let app = App::launch("platforms").await;
    app.wait_for("[data-testid='keys-empty']").await;
    add_platform_profile(
        &app,
        "openai",
        "Acme OpenAI",
        &openai,
        &openai_seed.organization.id,
    )
    .await;
    add_platform_profile(
        &app,
        "anthropic",
        "Acme Anthropic",
        &anthropic,
        &anthropic_seed.organization.name,
    )
    .await;
    let openai_id = app.profile_id_named("Acme OpenAI").await;
    let anthropic_id = app.profile_id_named("Acme Anthropic").await;
    app.screenshot("profiles").await;

    // OpenAI: every project's keys in one list.
    app.switch_profile(&openai_id).await;
    app.wait_text("[data-testid='profile-url']", &openai.base_url)
        .await;
    app.click("[data-testid='nav-keys']").await;
    let user_key = openai_seed
        .keys
        .iter()
        .find(|k| matches!(k.owner, openai::KeyOwner::User(_)))
        .unwrap();
    app.wait_key_row(&user_key.redacted_value()).await;
    app.wait_text("[data-testid='keys-total']", "18 keys").await;
    // Each project's keys are there (searched by project name, as a person would).
    for project in &openai_seed.projects {
        let key = openai_seed
            .keys
            .iter()
            .find(|k| k.project_id == project.id)
            .unwrap();
        app.fill("[data-testid='keys-search']", &key.redacted_value())
            .await;
        app.wait_key_row(&project.name).await;
    }
    app.fill("[data-testid='keys-search']", "").await;
    app.screenshot("openai-keys").await;

    // Revoke one (a user's key: OpenAI deletes it).
    app.fill(
        "[data-testid='keys-search']",
        &user_key.redacted_value()[user_key.redacted_value().len() - 4..],
    )
    .await;
    let row = "[data-testid='key-row']";
    // The search applies once typing pauses: until then the first row is another key.
    wait_until(
        Instant::now() + TIMEOUT,
        "the list to show only the user's key",
        async || {
            let rows = app.key_rows().await;
            match rows.len() == 1 && rows[0].contains(&user_key.redacted_value()) {
                true => Ok(()),
                false => Err(rows),
            }
        },
    )
    .await;
    app.click(&format!("{row} [data-testid='key-revoke']"))
        .await;
    app.screenshot("openai-revoke-confirm").await;
    app.confirm_revoke(&user_key.name).await;
    wait_until(
        Instant::now() + TIMEOUT,
        "the DELETE at OpenAI",
        async || {
            let deletes: Vec<String> = openai
                .requests()
                .into_iter()
                .filter(|r| r.method == "DELETE")
                .map(|r| r.path)
                .collect();
            if deletes
                .iter()
                .any(|p| p.ends_with(&format!("/api_keys/{}", user_key.id)))
            {
                Ok(())
            } else {
                Err(deletes)
            }
        },
    )
    .await;
    app.screenshot("openai-revoked").await;

    // Usage & Spend: money as OpenAI reports it.
    app.click("[data-testid='nav-usage']").await;
    app.wait_for("[data-testid='usage-preset']")
        .await
        .select_by_value("last_7_days")
        .await
        .unwrap();
    let source = app
        .wait_for("[data-testid='usage-spend-source']")
        .await
        .text()
        .await
        .unwrap();
    assert!(source.contains("Reported by OpenAI"), "{source:?}");
    app.wait_for("[data-testid='usage-spend-note']").await;
    app.screenshot("openai-usage").await;

    // Find leaked keys across the gateway, OpenAI and Anthropic profiles.
    let leaked = &openai_seed.keys[4].secret;
    let matches = find_leak(&app, leaked).await;
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert!(
        matches[0].contains("OpenAI") && matches[0].contains("matched by its visible characters"),
        "{matches:?}"
    );
    app.screenshot("leak-openai").await;
    app.click("[data-testid='leak-again']").await;
    let anthropic_key = &anthropic_seed.keys[0];
    app.fill("[data-testid='leak-secret']", &anthropic_key.secret)
        .await;
    app.click("[data-testid='leak-find']").await;
    app.wait_text("[data-testid='leak-platform']", "Anthropic")
        .await;
    app.wait_text("[data-testid='leak-key-name']", &anthropic_key.name)
        .await;
    let searched = app
        .wait_for("[data-testid='leak-searched']")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        searched.contains("Acme Anthropic") && !searched.contains("Acme OpenAI"),
        "only the platform that recognises the secret was asked: {searched:?}"
    );
    app.screenshot("leak-anthropic").await;
    app.click("[data-testid='leak-close']").await;
    app.wait_gone("[data-testid='leak-dialog']").await;

    // Anthropic: its keys, states as the console words them.
    app.switch_profile(&anthropic_id).await;
    app.wait_text("[data-testid='profile-url']", &anthropic.base_url)
        .await;
    app.click("[data-testid='nav-keys']").await;
    app.wait_key_row(&anthropic_key.name).await;
    app.screenshot("anthropic-keys").await;
    for secret in [
        &openai.admin_key,
        &anthropic.admin_key,
        leaked,
        &anthropic_key.secret,
    ] {
        app.assert_secret_nowhere(secret).await;
    }
}
