//! The real app with a Gcore profile on the Gcore fake (`keyward-fakes`, held to the
//! official `gcore` SDK) and an InferenceKey profile on a Keyward gateway (which serves
//! InferenceKey's route set, held to the official `inferencekey` SDK) (issue #19):
//! - Gcore keys: create a key attached to two deployments, its secret shown once; detach
//!   one by editing the key; revoke it — detached from the other, then deleted, both
//!   steps said in the dialog and done on the platform.
//! - Gcore deployments: create one through *New workload* and watch its task until it
//!   runs, its page showing each region.
//! - InferenceKey: ensure a workload through *New workload*, then follow its readiness
//!   until it serves.
//!
//! Each step is checked on the platform's side too (the fake's state, the gateway's
//! records), never only on screen. The Gcore screens are looked at in the light theme
//! and at 900×600, the InferenceKey ones in the dark theme.

use axum::routing::get;
use keyward_e2e::{wait_until, App, TIMEOUT};
use keyward_fakes::{gcore, Fake};
use std::time::Instant;

/// The deployments a key is attached to, as the fake has them now.
fn attached(state: &gcore::State, key: &str) -> Vec<String> {
    let mut names: Vec<String> = state
        .snapshot()
        .deployments
        .iter()
        .filter(|d| d.api_keys.iter().any(|k| k == key))
        .map(|d| d.name.clone())
        .collect();
    names.sort();
    names
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    wait_until(Instant::now() + TIMEOUT, what, async || {
        if check() {
            Ok(())
        } else {
            Err("not yet")
        }
    })
    .await;
}

/// Adds `text` to the chips input `testid` (typed, then Enter).
async fn add_chip(app: &App, testid: &str, text: &str) {
    let input = format!("[data-testid='{testid}'] input");
    app.fill(&input, text).await;
    app.wait_for(&input)
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
}

#[tokio::test]
async fn gcore_key_on_two_deployments_detached_and_revoked_and_a_deployment_created() {
    let state = gcore::State::new(gcore::Seed::generated(0));
    let fake = Fake::gcore_state(state.clone()).await;
    let app = App::launch("gcore").await;
    app.wait_for("[data-testid='keys-empty']").await;
    app.add_platform_profile(
        "gcore",
        "Acme Gcore",
        &fake.base_url,
        &gcore::PROJECT_ID.to_string(),
        &fake.admin_key,
        "01-profile-tested",
    )
    .await;
    app.wait_key_row("ci-runner").await;
    app.screenshot("02-keys").await;

    // A key attached to two deployments; its secret once.
    let name = "e2e-chat-key";
    app.click("[data-testid='create-key']").await;
    app.fill("[data-testid='key-name']", name).await;
    app.click("[data-testid='key-workloads-only']").await;
    add_chip(&app, "key-workloads", "llama-chat").await;
    add_chip(&app, "key-workloads", "whisper-asr").await;
    app.screenshot("03-create-attached").await;
    app.click("[data-testid='create-submit']").await;
    app.wait_for("[data-testid='reveal-panel']").await;
    let secret = app
        .wait_for("[data-testid='reveal-secret']")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        Some(secret.as_str()),
        state.snapshot().secret_of(gcore::PROJECT_ID, name),
        "the secret Gcore made is the one revealed"
    );
    app.click("[data-testid='reveal-copy']").await;
    app.wait_text("[data-testid='reveal-copy']", "Copied").await;
    app.screenshot("04-reveal-once").await;
    app.click("[data-testid='reveal-done']").await;
    app.wait_gone("[data-testid='reveal-panel']").await;
    assert_eq!(attached(&state, name), ["llama-chat", "whisper-asr"]);
    app.assert_secret_nowhere(&secret).await;

    // Detach one by editing the key's workloads.
    app.wait_key_row(name).await;
    app.fill("[data-testid='keys-search']", name).await;
    app.click("[data-testid='key-row'] [data-testid='key-open']")
        .await;
    app.wait_text("[data-testid='key-detail-name']", name).await;
    app.wait_text_contains("[data-testid='key-scope-workloads']", "whisper-asr")
        .await;
    app.click("[data-testid='key-edit']").await;
    app.wait_for("[data-testid='key-form']").await;
    app.click("[data-testid='key-workloads'] button[aria-label='Remove workload whisper-asr']")
        .await;
    app.screenshot("05-detach-one").await;
    app.click("[data-testid='key-form-save']").await;
    app.wait_gone("[data-testid='key-form']").await;
    eventually("the key detached from whisper-asr only", || {
        attached(&state, name) == ["llama-chat"]
    })
    .await;
    app.screenshot("06-detached").await;

    // Revoke: both steps are said before, and both happen.
    app.click("[data-testid='key-detail-revoke']").await;
    app.wait_text_contains(
        "[data-testid='revoke-dialog']",
        "detached from every deployment it is attached to",
    )
    .await;
    app.screenshot("07-revoke-two-steps").await;
    app.confirm_revoke(name).await;
    app.wait_text("[data-testid='key-detail-status']", "Revoked")
        .await;
    // …and each step done is said: detached from the one left, then deleted.
    app.wait_text_contains("[data-testid='key-steps']", "Done in 2 steps:")
        .await;
    app.wait_text_contains(
        "[data-testid='key-steps']",
        "Detached from deployment “llama-chat”.Deleted key “e2e-chat-key”.",
    )
    .await;
    // …and the revoked key is attached to nothing any more.
    app.wait_text_contains("[data-testid='key-scope-workloads']", "None attached")
        .await;
    eventually("the key detached and deleted", || {
        attached(&state, name).is_empty()
            && state
                .snapshot()
                .secret_of(gcore::PROJECT_ID, name)
                .is_none()
    })
    .await;
    app.screenshot("08-revoked").await;

    // A deployment created through the form and followed until it runs.
    app.click("[data-testid='nav-workloads']").await;
    app.wait_for("[data-testid='deployment-row-llama-chat']")
        .await;
    app.screenshot("09-deployments").await;
    app.click("[data-testid='deployments-create']").await;
    app.wait_for("[data-testid='deployment-form']").await;
    app.fill("[data-testid='deployment-name']", "qwen-chat")
        .await;
    app.fill(
        "[data-testid='deployment-image']",
        "vllm/vllm-openai:v0.6.3",
    )
    .await;
    app.fill("[data-testid='deployment-flavor']", "inference-1xl40s-48gb")
        .await;
    app.fill("[data-testid='deployment-port']", "8000").await;
    app.fill("[data-testid='deployment-region']", "76").await;
    app.fill("[data-testid='deployment-env']", "HF_HOME=/data")
        .await;
    app.screenshot("10-new-deployment").await;
    app.click("[data-testid='deployment-save']").await;
    app.wait_for("[data-testid='deployment-page']").await;
    app.wait_text_contains("[data-testid='deployment-change']", "Creating")
        .await;
    app.screenshot("11-creating").await;
    app.wait_text_contains("[data-testid='deployment-change']", "Creating: Done.")
        .await;
    app.wait_text("[data-testid='workload-state']", "Healthy")
        .await;
    app.wait_for("[data-testid='deployment-region-row']").await;
    let created = state
        .snapshot()
        .deployments
        .into_iter()
        .find(|d| d.name == "qwen-chat")
        .expect("Gcore has the deployment");
    assert_eq!(created.image, "vllm/vllm-openai:v0.6.3");
    assert_eq!(created.listening_port, 8000);
    assert_eq!(created.containers[0].region_id, 76);
    assert_eq!(created.envs["HF_HOME"], "/data");
    app.screenshot("12-running").await;
    // The page and the form hold at the smallest window the app allows around 900×600.
    app.client.set_window_size(900, 600).await.unwrap();
    app.screenshot("13-running-900x600").await;
    app.click("[data-testid='deployment-edit']").await;
    app.wait_for("[data-testid='deployment-form']").await;
    app.screenshot("14-edit-900x600").await;
    app.press_escape().await;
    app.wait_gone("[data-testid='deployment-form']").await;
    app.client.set_window_size(1200, 780).await.unwrap();
    app.assert_secret_nowhere(&fake.admin_key).await;
    app.close().await;
}

#[tokio::test]
async fn inferencekey_workload_ensured_and_followed_until_ready() {
    let dir = tempfile::tempdir().unwrap();
    let (base_url, project, token) = keyward_e2e::team_gateway(dir.path(), "unused").await;
    // The model server the platform's scheduler would start: ready at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::Router::new().route("/health", get(|| async { "ok" })),
        )
        .await
    });

    // In the dark theme: the Gcore test looks at these screens in the light one.
    let app = App::launch_with("inferencekey", &[("GTK_THEME", "Adwaita:dark")]).await;
    app.wait_for("[data-testid='keys-empty']").await;
    app.add_platform_profile(
        "inferencekey",
        "Acme InferenceKey",
        &base_url,
        &project,
        &token,
        "01-profile-tested",
    )
    .await;
    // Keys are minted in InferenceKey's dashboard: the Keys screen says so.
    app.wait_text_contains("[data-testid='keys-elsewhere-sentence']", "dashboard")
        .await;
    app.screenshot("02-keys-elsewhere").await;

    app.click("[data-testid='nav-workloads']").await;
    app.wait_for("[data-testid='deployments-empty']").await;
    app.click("[data-testid='deployments-create']").await;
    app.wait_for("[data-testid='deployment-form']").await;
    app.fill("[data-testid='deployment-name']", "Chat").await;
    app.fill("[data-testid='deployment-slug']", "chat").await;
    app.fill("[data-testid='deployment-model']", "llama").await;
    app.fill("[data-testid='deployment-backend']", "vllm").await;
    app.fill("[data-testid='deployment-task_type']", "text2text")
        .await;
    app.screenshot("03-ensure").await;
    app.click("[data-testid='deployment-save']").await;
    app.wait_for("[data-testid='deployment-page']").await;
    app.wait_text("[data-testid='deployment-page'] h1", "Chat")
        .await;

    // Where it runs is the scheduler's part: set on the gateway as InferenceKey's would.
    let listed = keyward_e2e::get_json(
        &format!("{base_url}/api/projects/{project}/workloads"),
        &token,
    )
    .await;
    let workloads = listed
        .get("workloads")
        .and_then(|w| w.as_array())
        .or_else(|| listed.as_array())
        .expect("a workload list")
        .clone();
    assert_eq!(workloads.len(), 1, "{listed}");
    assert_eq!(workloads[0]["model_name"], "llama");
    let id = workloads[0]["id"].as_str().unwrap().to_owned();
    let patched = reqwest::Client::new()
        .patch(format!("{base_url}/api/workloads/{id}"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "upstream_url": upstream }))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success(), "{}", patched.status());

    app.click("[data-testid='deployment-readiness-follow']")
        .await;
    app.wait_text_contains("[data-testid='deployment-readiness']", "ready:")
        .await;
    app.screenshot("04-ready").await;
    app.assert_secret_nowhere(&token).await;
    app.close().await;
}
