//! The `keyward-fake` binary: one line of JSON on stdout, then it serves until killed.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn the_binary_prints_where_it_serves_and_with_which_key() {
    for (platform, path, auth) in [
        (
            "openai",
            "/organization/projects?limit=100",
            "authorization",
        ),
        (
            "anthropic",
            "/organizations/api_keys?limit=100",
            "x-api-key",
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward-fake"))
            .args(["--platform", platform, "--projects", "2", "--keys", "3"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let printed: Value = serde_json::from_str(&line).unwrap();
        let base_url = printed["base_url"].as_str().unwrap();
        let admin_key = printed["admin_key"].as_str().unwrap();
        assert!(
            base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/v1"),
            "{line}"
        );
        let credential = if auth == "authorization" {
            format!("Bearer {admin_key}")
        } else {
            admin_key.to_owned()
        };
        let response = reqwest::Client::new()
            .get(format!("{base_url}{path}"))
            .header(auth, credential)
            .header("anthropic-version", "2023-06-01")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        let expected = if platform == "openai" { 2 } else { 6 };
        assert_eq!(body["data"].as_array().unwrap().len(), expected, "{body}");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
