//! The official SDKs against the fakes (issues #17, #18, #19):
//! `tests/sdk/openai_admin_sdk.py`, `tests/sdk/anthropic_admin_sdk.py`,
//! `tests/sdk/openrouter_admin_sdk.py` and `tests/sdk/gcore_sdk.py` call every admin
//! endpoint their SDK covers, with strict response validation, and must print that
//! all their checks passed. The SDKs run from the pinned venv of `tests/sdk/venv.sh`.

use keyward_fakes::{anthropic, gcore, openai, openrouter, Fake};
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sdk_python() -> String {
    let venv = Command::new(repo().join("tests/sdk/venv.sh"))
        .output()
        .expect("tests/sdk/venv.sh runs (python3-venv, PyPI)");
    assert!(
        venv.status.success(),
        "{}",
        String::from_utf8_lossy(&venv.stderr)
    );
    String::from_utf8(venv.stdout).unwrap().trim().to_owned()
}

async fn run_sdk_script(script: &str, env: Vec<(&'static str, String)>) {
    let script = repo().join("tests/sdk").join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(sdk_python())
            .arg(script)
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_ADMIN_KEY")
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("ANTHROPIC_AUTH_TOKEN")
            .env_remove("OPENROUTER_API_KEY")
            .env_remove("GCORE_API_KEY")
            .env_remove("GCORE_BASE_URL")
            .env_remove("GCORE_CLOUD_PROJECT_ID")
            .env_remove("GCORE_CLOUD_REGION_ID")
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("all checks passed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_sdk_parses_every_admin_endpoint_of_the_fake() {
    let fake = Fake::openai(openai::Seed::generated(3, 7)).await;
    run_sdk_script(
        "openai_admin_sdk.py",
        vec![
            ("KW_BASE_URL", fake.base_url.clone()),
            ("KW_ADMIN_KEY", fake.admin_key.clone()),
            ("KW_PROJECTS", "3".into()),
            ("KW_KEYS_PER_PROJECT", "7".into()),
        ],
    )
    .await;
    // What the SDK sent: bracketed arrays, the admin key as Bearer (recorded redacted).
    let requests = fake.requests();
    let usage = requests
        .iter()
        .find(|r| r.path == "/v1/organization/usage/completions" && r.query.contains("group_by"))
        .expect("the SDK asked for grouped usage");
    assert!(
        usage.query.contains("group_by%5B%5D=api_key_id"),
        "{}",
        usage.query
    );
    assert_eq!(usage.query_values("group_by[]"), ["api_key_id", "model"]);
    assert_eq!(usage.header("authorization"), Some("Bearer sk-admin"));
    assert!(requests
        .iter()
        .all(|r| !r.headers.iter().any(|(_, v)| v.contains(&fake.admin_key))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_anthropic_sdk_parses_every_admin_endpoint_of_the_fake() {
    let fake = Fake::anthropic(anthropic::Seed::generated(3, 5)).await;
    run_sdk_script(
        "anthropic_admin_sdk.py",
        vec![
            ("KW_BASE_URL", fake.base_url.clone()),
            ("KW_ADMIN_KEY", fake.admin_key.clone()),
            ("KW_WORKSPACES", "3".into()),
            ("KW_KEYS_PER_WORKSPACE", "5".into()),
        ],
    )
    .await;
    let requests = fake.requests();
    let sdk = requests
        .iter()
        .find(|r| r.path == "/v1/organizations/me")
        .expect("the SDK asked who the organisation is");
    // SDK 2.17.0 authenticates with Bearer and sends its own API version.
    assert_eq!(sdk.header("authorization"), Some("Bearer sk-ant-a"));
    assert!(sdk.header("anthropic-version").is_some());
    assert!(requests
        .iter()
        .any(|r| r.header("x-api-key") == Some("sk-ant-a")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openrouter_sdk_parses_every_management_endpoint_of_the_fake() {
    // 230 keys: three pages of 100, the last one short.
    let seed = openrouter::Seed::generated(230);
    let inference = seed.keys[0].secret.clone();
    let fake = Fake::openrouter(seed).await;
    run_sdk_script(
        "openrouter_admin_sdk.py",
        vec![
            ("KW_BASE_URL", fake.base_url.clone()),
            ("KW_ADMIN_KEY", fake.admin_key.clone()),
            ("KW_INFERENCE_KEY", inference),
            ("KW_KEYS", "230".into()),
        ],
    )
    .await;
    // What the SDK sent, as recorded from openrouter 1.3.84 (platform-apis.md §3).
    let requests = fake.requests();
    let create = requests
        .iter()
        .find(|r| r.method == "POST" && r.path == "/api/v1/keys")
        .expect("the SDK created a key");
    let body: serde_json::Value = serde_json::from_str(&create.body).unwrap();
    assert_eq!(body["limit"], 12.5);
    assert_eq!(body["limit_reset"], "monthly");
    assert!(
        body["expires_at"].as_str().unwrap().ends_with('Z'),
        "{body}"
    );
    assert_eq!(create.header("authorization"), Some("Bearer sk-or-v1"));
    let page = requests
        .iter()
        .find(|r| r.path == "/api/v1/keys" && r.query.contains("offset=200"))
        .expect("the SDK paged by offset");
    assert_eq!(page.query_values("include_disabled"), ["true"]);
    assert!(requests
        .iter()
        .all(|r| !r.headers.iter().any(|(_, v)| v.contains(&fake.admin_key))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_gcore_sdk_parses_every_inference_endpoint_of_the_fake() {
    // 25 generated keys besides the seeded three: three pages of 10 for the SDK.
    let seed = gcore::Seed::generated(25);
    let fake = Fake::gcore(seed).await;
    run_sdk_script(
        "gcore_sdk.py",
        vec![
            ("KW_BASE_URL", fake.base_url.clone()),
            ("KW_ADMIN_KEY", fake.admin_key.clone()),
            ("KW_PROJECT_ID", gcore::PROJECT_ID.to_string()),
            ("KW_KEYS", "28".into()),
            ("KW_TASK_POLLS", "3".into()),
        ],
    )
    .await;
    // What gcore 0.59.0 sent (platform-apis.md §1): the token as `APIKey`, recorded
    // redacted; offset paging; a bare date for the expiry; attachments as a PATCH.
    let requests = fake.requests();
    let keys = format!("/cloud/v3/inference/{}/api_keys", gcore::PROJECT_ID);
    let create = requests
        .iter()
        .find(|r| r.method == "POST" && r.path == keys && r.body.contains("sdk-key"))
        .expect("the SDK created a key");
    let body: serde_json::Value = serde_json::from_str(&create.body).unwrap();
    assert_eq!(body["expires_at"], "2027-01-01");
    let token_head: String = fake.admin_key.chars().take(8).collect();
    assert_eq!(
        create.header("authorization"),
        Some(format!("APIKey {token_head}").as_str())
    );
    assert!(requests
        .iter()
        .any(|r| r.path == keys && r.query_values("offset") == ["20"]));
    let attach = requests
        .iter()
        .find(|r| r.method == "PATCH" && r.body.contains("ci-runner"))
        .expect("the SDK attached a key");
    let body: serde_json::Value = serde_json::from_str(&attach.body).unwrap();
    assert_eq!(
        body["api_keys"],
        serde_json::json!(["sdk-key", "ci-runner"])
    );
    assert_eq!(body["auth_enabled"], true);
    assert!(requests
        .iter()
        .all(|r| !r.headers.iter().any(|(_, v)| v.contains(&fake.admin_key))));
}
