//! The real app with an OpenRouter and a LiteLLM profile (issue #18), each on its fake
//! (`keyward-fakes`): add the profile through the form (Test connection succeeds), see
//! the seeded keys, create a key with a money budget (OpenRouter resetting monthly,
//! LiteLLM weekly) whose secret is shown once and then is nowhere in the page, disable
//! it, and revoke it, checking at each step that the platform received what the person
//! asked for, in the platform's own words (`limit`/`limit_reset`, `max_budget`/
//! `budget_duration`, PATCH `disabled`, `/key/block`, DELETE, `/key/delete`).

use keyward_e2e::{wait_until, App, TIMEOUT};
use keyward_fakes::{litellm, openrouter, Fake, RecordedRequest};
use serde_json::Value;
use std::time::Instant;

/// Adds a profile of `kind` on `fake` and opens its Keys page.
async fn add_and_open_profile(app: &App, kind: &str, name: &str, fake: &Fake) {
    // The fake's address replaces the platform's public one (LiteLLM has none).
    app.add_platform_profile(
        kind,
        name,
        &fake.base_url,
        "",
        &fake.admin_key,
        "01-profile-tested",
    )
    .await;
}

/// Creates a key named `name` with a 12.50 USD budget resetting every `reset` (the
/// form's value), and returns the secret read from the reveal panel, after closing it.
async fn create_with_money_budget(app: &App, name: &str, reset: &str) -> String {
    app.click("[data-testid='create-key']").await;
    app.wait_for("[data-testid='key-name']")
        .await
        .send_keys(name)
        .await
        .unwrap();
    app.fill("[data-testid='key-form-money-limit']", "12.50")
        .await;
    app.wait_for("[data-testid='key-form-money-reset']")
        .await
        .select_by_value(reset)
        .await
        .unwrap();
    app.screenshot("03-create-with-budget").await;
    app.click("[data-testid='create-submit']").await;
    app.wait_for("[data-testid='reveal-panel']").await;
    let secret = app
        .wait_for("[data-testid='reveal-secret']")
        .await
        .text()
        .await
        .unwrap()
        .trim()
        .to_owned();
    // Copied, as a person would before closing (closing uncopied asks first).
    app.click("[data-testid='reveal-copy']").await;
    app.wait_text("[data-testid='reveal-copy']", "Copied").await;
    app.screenshot("04-reveal-once").await;
    app.click("[data-testid='reveal-done']").await;
    app.wait_gone("[data-testid='reveal-panel']").await;
    app.wait_key_row(name).await;
    app.assert_secret_nowhere(&secret).await;
    app.screenshot("05-listed").await;
    secret
}

/// Opens the key named `name` from the Keys list (searched by name, as a person would),
/// sees its money budget worded as `budget`, and disables it, confirming; the page then
/// says it is disabled.
async fn open_and_disable(app: &App, name: &str, budget: &str) {
    app.fill("[data-testid='keys-search']", name).await;
    wait_until(
        Instant::now() + TIMEOUT,
        &format!("the list to show only {name}"),
        async || {
            let rows = app.key_rows().await;
            match rows.len() == 1 && rows[0].contains(name) {
                true => Ok(()),
                false => Err(rows),
            }
        },
    )
    .await;
    app.click("[data-testid='key-row'] [data-testid='key-open']")
        .await;
    app.wait_text("[data-testid='key-detail-name']", name).await;
    app.wait_text("[data-testid='key-detail-status']", "Active")
        .await;
    app.wait_text("[data-testid='key-scope-money']", budget)
        .await;
    app.screenshot("06-key-page").await;
    app.click("[data-testid='key-disable']").await;
    app.wait_for("[data-testid='disable-dialog']").await;
    app.screenshot("07-disable-confirm").await;
    app.click("[data-testid='disable-confirm']").await;
    app.wait_gone("[data-testid='disable-dialog']").await;
    app.wait_text("[data-testid='key-detail-status']", "Disabled")
        .await;
    app.wait_for("[data-testid='key-enable']").await;
    app.screenshot("08-disabled").await;
}

/// Revokes the open key, confirming.
async fn revoke_open_key(app: &App, name: &str) {
    app.click("[data-testid='key-detail-revoke']").await;
    app.wait_for("[data-testid='revoke-dialog']").await;
    app.screenshot("09-revoke-confirm").await;
    app.confirm_revoke(name).await;
    app.wait_text("[data-testid='key-detail-status']", "Revoked")
        .await;
}

/// Waits until `fake` has received a request that `matches`, and returns it.
async fn wait_request(
    fake: &Fake,
    what: &str,
    matches: impl Fn(&RecordedRequest) -> bool,
) -> RecordedRequest {
    wait_until(Instant::now() + TIMEOUT, what, async || {
        let requests = fake.requests();
        match requests.iter().find(|r| matches(r)) {
            Some(found) => Ok(found.clone()),
            None => Err(requests
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()),
        }
    })
    .await
}

fn body(request: &RecordedRequest) -> Value {
    serde_json::from_str(&request.body)
        .unwrap_or_else(|e| panic!("{} {} sent no JSON: {e}", request.method, request.path))
}

#[tokio::test]
async fn openrouter_key_with_a_monthly_money_budget_disabled_and_revoked() {
    let seed = openrouter::Seed::generated(6);
    let fake = Fake::openrouter(seed.clone()).await;
    let app = App::launch("money-openrouter").await;
    app.wait_for("[data-testid='keys-empty']").await;
    add_and_open_profile(&app, "openrouter", "Acme OpenRouter", &fake).await;

    for key in &seed.keys {
        app.wait_key_row(&key.name).await;
    }
    // Each key's spend this month, as OpenRouter totals it on the key.
    let spender = seed
        .keys
        .iter()
        .find(|k| {
            seed.usage_since(
                &k.hash,
                seed.period_start(Some(openrouter::LimitReset::Monthly)),
            ) > 0
        })
        .expect("the seed spends money this month");
    let spent = app
        .wait_for(&format!(
            "[data-testid='key-row'][data-key-id='{}'] [data-testid='key-spent']",
            spender.hash
        ))
        .await
        // The column may lie scrolled under the sticky Revoke: read its text, not what shows.
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    let spent = spent.trim();
    assert!(
        spent.starts_with('$') && spent.ends_with("this month"),
        "{spent}"
    );
    app.screenshot("02-seeded-keys").await;

    // The first key's page: its guardrail, read-only, and what it spent per period.
    let guarded = &seed.keys[0];
    app.click(&format!(
        "[data-testid='key-row'][data-key-id='{}'] [data-testid='key-open']",
        guarded.hash
    ))
    .await;
    app.wait_text_contains(
        "[data-testid='key-guardrail']",
        "Approved models (read-only)",
    )
    .await;
    app.wait_for("[data-testid='key-spent']").await;
    app.screenshot("02b-guardrail").await;
    app.click("[data-testid='key-detail-back']").await;
    app.wait_for("[data-testid='keys-table']").await;

    let name = "checkout-budgeted";
    let secret = create_with_money_budget(&app, name, "month").await;
    assert!(
        secret.starts_with("sk-or-v1-"),
        "an OpenRouter secret is revealed, not {} characters of something else",
        secret.len()
    );
    let created = wait_request(&fake, "the POST /api/v1/keys", |r| {
        r.method == "POST" && r.path == "/api/v1/keys"
    })
    .await;
    let sent = body(&created);
    assert_eq!(sent["name"], name, "{sent}");
    assert_eq!(sent["limit"].as_f64(), Some(12.5), "{sent}");
    assert_eq!(sent["limit_reset"], "monthly", "{sent}");

    let hash = openrouter::hash_of(&secret);
    open_and_disable(&app, name, "$12.50 / month").await;
    let patch = wait_request(&fake, "the PATCH disabling the key", |r| {
        r.method == "PATCH" && r.path == format!("/api/v1/keys/{hash}")
    })
    .await;
    assert_eq!(body(&patch)["disabled"], true, "{}", patch.body);

    revoke_open_key(&app, name).await;
    wait_request(&fake, "the DELETE of the key", |r| {
        r.method == "DELETE" && r.path == format!("/api/v1/keys/{hash}")
    })
    .await;
    app.screenshot("10-revoked").await;

    // Usage & Spend says how far back OpenRouter keeps usage.
    app.click("[data-testid='nav-usage']").await;
    app.wait_text(
        "[data-testid='usage-history-days']",
        "OpenRouter keeps usage for the last 30 days.",
    )
    .await;
    app.screenshot("11-usage").await;

    // A leaked key found by its hash and disabled at once rather than deleted.
    let leaked = seed
        .keys
        .iter()
        .find(|k| !k.disabled && k.expires_at.is_none())
        .expect("an active seeded key");
    app.click("[data-testid='nav-leak']").await;
    app.wait_for("[data-testid='leak-dialog']").await;
    app.fill("[data-testid='leak-secret']", &leaked.secret)
        .await;
    app.click("[data-testid='leak-find']").await;
    app.wait_text_contains("[data-testid='leak-match']", &leaked.name)
        .await;
    app.click("[data-testid='leak-disable']").await;
    app.wait_text_contains(
        "[data-testid='leak-disabled']",
        "Disabled: OpenRouter refuses this key",
    )
    .await;
    app.wait_text("[data-testid='leak-status']", "Disabled")
        .await;
    let patch = wait_request(&fake, "the PATCH disabling the leaked key", |r| {
        r.method == "PATCH" && r.path == format!("/api/v1/keys/{}", leaked.hash)
    })
    .await;
    assert_eq!(body(&patch)["disabled"], true, "{}", patch.body);
    assert!(
        !fake
            .requests()
            .iter()
            .any(|r| r.body.contains(&leaked.secret)
                || r.path.contains(&leaked.secret)
                || r.query.contains(&leaked.secret)),
        "the pasted secret never leaves the machine (only its hash)"
    );
    app.screenshot("12-leak-disabled").await;
    app.assert_secret_nowhere(&leaked.secret).await;
    app.assert_secret_nowhere(&secret).await;
    app.assert_secret_nowhere(&fake.admin_key).await;
    app.close().await;
}

#[tokio::test]
async fn litellm_key_with_a_weekly_money_budget_blocked_and_deleted() {
    let seed = litellm::Seed::generated(6, 3);
    let fake = Fake::litellm(seed.clone()).await;
    let app = App::launch("money-litellm").await;
    app.wait_for("[data-testid='keys-empty']").await;
    add_and_open_profile(&app, "litellm", "Team LiteLLM", &fake).await;

    for key in &seed.keys {
        app.wait_key_row(key.alias.as_deref().unwrap()).await;
    }
    app.screenshot("02-seeded-keys").await;

    let name = "support-bot-budgeted";
    let secret = create_with_money_budget(&app, name, "week").await;
    assert!(
        secret.starts_with("sk-") && secret.len() > 16,
        "a LiteLLM virtual key is revealed, not {} characters of something else",
        secret.len()
    );
    let generated = wait_request(&fake, "the POST /key/generate", |r| {
        r.method == "POST" && r.path == "/key/generate"
    })
    .await;
    let sent = body(&generated);
    assert_eq!(sent["key_alias"], name, "{sent}");
    assert_eq!(sent["max_budget"].as_f64(), Some(12.5), "{sent}");
    assert_eq!(sent["budget_duration"], "7d", "{sent}");

    let token = litellm::hash_token(&secret);
    open_and_disable(&app, name, "$12.50 / week").await;
    let block = wait_request(&fake, "the POST /key/block", |r| {
        r.method == "POST" && r.path == "/key/block"
    })
    .await;
    assert_eq!(body(&block)["key"], token.as_str(), "{}", block.body);

    revoke_open_key(&app, name).await;
    let delete = wait_request(&fake, "the POST /key/delete", |r| {
        r.method == "POST" && r.path == "/key/delete"
    })
    .await;
    assert_eq!(
        body(&delete)["keys"],
        serde_json::json!([token]),
        "{}",
        delete.body
    );
    app.screenshot("10-revoked").await;

    // The proxy's model deployments, read-only on the Workloads screen.
    app.click("[data-testid='nav-workloads']").await;
    app.wait_for("[data-testid='deployments'] tbody tr").await;
    app.screenshot("11-deployments").await;
    app.assert_secret_nowhere(&secret).await;
    app.assert_secret_nowhere(&fake.admin_key).await;
    app.close().await;
}
