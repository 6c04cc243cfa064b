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
    let generated = serde_json::to_value(keyward_gateway::openapi::document()).unwrap();
    assert_eq!(served, generated);

    let committed_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != pretty {
        std::fs::write(&committed_path, &pretty).unwrap();
        panic!("docs/openapi.json was stale and has been regenerated; review and commit it");
    }
}
