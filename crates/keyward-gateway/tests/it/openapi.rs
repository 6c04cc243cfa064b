//! The OpenAPI contract (issue #3): served at `/openapi.json`, OpenAPI 3.1, covering
//! every route, and identical to the committed `docs/openapi.json`.

use crate::util::TestGateway;
use serde_json::Value;

#[tokio::test]
async fn the_served_document_is_current_and_committed() {
    let gw = TestGateway::start().await;
    let served: Value = gw
        .http
        .get(gw.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    let paths = served["paths"].as_object().unwrap();
    for path in [
        "/v1/projects/{project_id}/inference/keys",
        "/v1/inference/keys/{key_id}",
        "/v1/inference/keys/{key_id}/rotate",
        "/v1/inference/keys/identify",
        "/v1/projects/{project_id}/audit",
        "/v1/control-tokens/{token_id}/rotate",
        "/v1/models",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    // issue #15: the document lists what a gateway answers, not the console's own
    // failures (the keychain, the reveal panel, remotes it could not reach).
    let codes: Vec<&str> = served["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap_or_else(|| {
            panic!(
                "an ErrorCode enum: {}",
                served["components"]["schemas"]["ErrorCode"]
            )
        })
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // `unavailable` is the gateway's too since replicas share Redis (issue 21).
    assert!(
        codes.contains(&"invalid_input")
            && codes.contains(&"workload_unavailable")
            && codes.contains(&"unavailable"),
        "{codes:?}"
    );
    for console_only in [
        "reveal_closed",
        "keychain_locked",
        "keychain_unavailable",
        "keychain_missing",
        "keychain_too_large",
        "keychain_failure",
        "timeout",
        "upstream",
    ] {
        assert!(
            !codes.contains(&console_only),
            "{console_only} in {codes:?}"
        );
    }
    let generated = serde_json::to_value(keyward_gateway::openapi::document()).unwrap();
    assert_eq!(served, generated);

    // Compared, never rewritten here (a test run must not change committed files).
    let committed =
        std::fs::read_to_string(keyward_gateway::openapi::committed_path()).unwrap_or_default();
    assert!(
        committed == keyward_gateway::openapi::committed_text(),
        "docs/openapi.json is stale: run `cargo run -p keyward-gateway --example write_openapi` and commit it"
    );
}
