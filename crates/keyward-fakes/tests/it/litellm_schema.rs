//! The LiteLLM fake held to the proxy's own OpenAPI document (issue #18): each endpoint
//! driven over HTTP with the request shapes the adapter sends (the same fields, the
//! same query parameters), every request and every answer — successes, 4xx in the
//! proxy's error shape, 422 in FastAPI's — validated against
//! `spec/litellm-openapi.json` by `keyward_fakes::litellm::spec`. keyward-core's
//! LiteLLM tests run the same checker over every request the adapter really sent.

use chrono::{Duration, Utc};
use keyward_fakes::litellm::spec::Spec;
use keyward_fakes::litellm::{hash_token, Seed, State};
use keyward_fakes::Fake;
use serde_json::{json, Value};

/// Sends one request, validating it before and its answer after; the answer.
struct Checked {
    fake: Fake,
    spec: Spec,
    client: reqwest::Client,
    /// How many requests and answers were validated.
    checked: usize,
}

impl Checked {
    async fn new(state: State) -> Checked {
        Checked {
            fake: Fake::litellm_state(state).await,
            spec: Spec::load(),
            client: reqwest::Client::new(),
            checked: 0,
        }
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(true, method, path, query, body).await
    }

    /// A request the schema refuses (checked as such), to see the proxy's 422.
    async fn call_invalid(
        &mut self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(false, method, path, query, body).await
    }

    async fn send(
        &mut self,
        valid: bool,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let query_text: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        match self
            .spec
            .check_request(method, path, &query_text, body.as_ref())
        {
            Err(errors) if valid => {
                panic!("request not in the proxy's schema:\n{}", errors.join("\n"))
            }
            Ok(()) if !valid => panic!("{method} {path} was meant to break the schema"),
            _ => {}
        }
        let url = format!("{}{path}?{query_text}", self.fake.base_url);
        let mut request = self
            .client
            .request(method.parse().unwrap(), url)
            .bearer_auth(&self.fake.admin_key);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        if let Err(errors) = self.spec.check_response(method, path, status, &answer) {
            panic!(
                "answer not in the proxy's schema:\n{}\n{answer:#}",
                errors.join("\n")
            );
        }
        self.checked += 1;
        (status, answer)
    }
}

#[tokio::test]
async fn every_key_endpoint_and_answer_fits_the_proxys_openapi_document() {
    let seed = Seed::generated(25, 10);
    let taken_alias = seed.keys[0].alias.clone().unwrap();
    let state = State::new(seed);
    let mut proxy = Checked::new(state.clone()).await;

    // Generate with every scope Keyward sets.
    let (status, created) = proxy
        .call(
            "POST",
            "/key/generate",
            &[],
            Some(json!({
                "key_alias": "ci-runner",
                "duration": "30d",
                "models": ["gpt-4o-mini", "claude-sonnet"],
                "max_budget": 12.5,
                "budget_duration": "30d",
                "rpm_limit": 60,
                "tpm_limit": 100000,
                "max_parallel_requests": 4,
                "model_rpm_limit": {"gpt-4o-mini": 30},
                "model_tpm_limit": {"gpt-4o-mini": 50000},
                "metadata": {"team": "infra", "keyward": "true"},
                "tags": ["ci"],
                "blocked": false,
            })),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let secret = created["key"].as_str().unwrap().to_owned();
    let hash = created["token"].as_str().unwrap().to_owned();
    assert_eq!(hash, hash_token(&secret), "token is the secret's SHA-256");
    assert_eq!(
        created["key_name"],
        format!("sk-...{}", &secret[secret.len() - 4..])
    );
    assert!(created["expires"].is_string());

    // Paging, both list forms.
    for full in ["true", "false"] {
        let (status, page) = proxy
            .call(
                "GET",
                "/key/list",
                &[("page", "2"), ("size", "10"), ("return_full_object", full)],
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            (page["total_count"].as_u64(), page["total_pages"].as_u64()),
            (Some(26), Some(3))
        );
        assert_eq!(page["keys"].as_array().unwrap().len(), 10);
    }
    let (_, by_alias) = proxy
        .call(
            "GET",
            "/key/list",
            &[("key_alias", "ci-runner"), ("return_full_object", "true")],
            None,
        )
        .await;
    assert_eq!(by_alias["keys"][0]["token"], json!(hash));

    // Info by hash (never the secret in a URL), update (merge-patch), block, unblock.
    let (status, info) = proxy
        .call("GET", "/key/info", &[("key", &hash)], None)
        .await;
    assert_eq!(
        (status, info["info"]["status"].as_str()),
        (200, Some("active"))
    );
    assert_eq!(info["info"]["rpm_limit"], 60);
    let (status, updated) = proxy
        .call(
            "POST",
            "/key/update",
            &[],
            Some(json!({"key": hash, "tpm_limit": null, "max_budget": 20.0})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (updated["tpm_limit"].clone(), updated["rpm_limit"].clone()),
        (Value::Null, json!(60)),
        "null clears, absent stays"
    );
    assert_eq!(
        updated["metadata"]["model_rpm_limit"],
        json!({"gpt-4o-mini": 30})
    );
    let (status, blocked) = proxy
        .call("POST", "/key/block", &[], Some(json!({"key": hash})))
        .await;
    assert_eq!((status, blocked["blocked"].clone()), (200, json!(true)));
    let (_, info) = proxy
        .call("GET", "/key/info", &[("key", &hash)], None)
        .await;
    assert_eq!(info["info"]["status"], "revoked");
    let (status, unblocked) = proxy
        .call("POST", "/key/unblock", &[], Some(json!({"key": hash})))
        .await;
    assert_eq!((status, unblocked["blocked"].clone()), (200, json!(false)));

    // Regenerate with a grace period: the old secret works until it ends.
    let (status, rotated) = proxy
        .call(
            "POST",
            &format!("/key/{hash}/regenerate"),
            &[],
            Some(json!({"grace_period": "2h"})),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(state.honours(&secret) && state.honours(&new_secret));
    state.advance(Duration::hours(2) + Duration::seconds(1));
    assert!(!state.honours(&secret) && state.honours(&new_secret));
    let new_hash = rotated["token"].as_str().unwrap().to_owned();

    // Usage, deployments, health.
    let today = Utc::now().date_naive();
    let start = (today - Duration::days(10)).format("%Y-%m-%d").to_string();
    let end = today.format("%Y-%m-%d").to_string();
    let (status, activity) = proxy
        .call(
            "GET",
            "/user/daily/activity",
            &[
                ("start_date", &start),
                ("end_date", &end),
                ("page", "1"),
                ("page_size", "4"),
            ],
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(activity["metadata"]["total_pages"], 3);
    assert_eq!(activity["results"].as_array().unwrap().len(), 4);
    let (_, one_key) = proxy
        .call(
            "GET",
            "/user/daily/activity",
            &[
                ("start_date", &start),
                ("end_date", &end),
                ("api_key", &new_hash),
            ],
            None,
        )
        .await;
    assert_eq!(
        one_key["results"],
        json!([]),
        "the new key has no traffic yet"
    );
    for path in ["/model/info", "/health", "/health/liveliness"] {
        let (status, _) = proxy.call("GET", path, &[], None).await;
        assert_eq!(status, 200, "{path}");
    }

    // Delete, then every refusal in the proxy's error shape.
    let (status, deleted) = proxy
        .call(
            "POST",
            "/key/delete",
            &[],
            Some(json!({"keys": [new_hash]})),
        )
        .await;
    assert_eq!(
        (status, deleted["deleted_keys"].clone()),
        (200, json!([new_hash]))
    );
    let (status, _) = proxy
        .call("GET", "/key/info", &[("key", &new_hash)], None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = proxy
        .call("POST", "/key/block", &[], Some(json!({"key": new_hash})))
        .await;
    assert_eq!(status, 404);
    let (status, _) = proxy
        .call(
            "POST",
            "/key/generate",
            &[],
            Some(json!({"key_alias": taken_alias})),
        )
        .await;
    assert_eq!(status, 400, "aliases are unique");
    let (status, _) = proxy
        .call_invalid(
            "POST",
            "/key/generate",
            &[],
            Some(json!({"rpm_limit": "many"})),
        )
        .await;
    assert_eq!(status, 422, "FastAPI's validation error");
    let (status, _) = proxy
        .call_invalid("GET", "/key/list", &[("size", "500")], None)
        .await;
    assert_eq!(status, 422);
    assert_eq!(proxy.checked, 21, "every call above was checked both ways");
}

#[tokio::test]
async fn the_checker_refuses_what_the_proxy_does_not_declare() {
    let spec = Spec::load();
    let error = spec
        .check_request("POST", "/key/generate", "", Some(&json!({"rpm_limt": 5})))
        .unwrap_err();
    assert!(error[0].contains("`rpm_limt`"), "{error:?}");
    let error = spec
        .check_request(
            "POST",
            "/key/generate",
            "",
            Some(&json!({"rpm_limit": "5"})),
        )
        .unwrap_err();
    assert!(error[0].contains("body"), "{error:?}");
    let error = spec
        .check_request("GET", "/key/list", "limit=5", None)
        .unwrap_err();
    assert!(error[0].contains("`limit`"), "{error:?}");
    assert!(
        spec.check_request("GET", "/key/list", "size=0", None)
            .is_err(),
        "minimum 1"
    );
    assert!(spec
        .check_request("DELETE", "/key/delete", "", None)
        .is_err());
    let error = spec
        .check_response("GET", "/key/list", 200, &json!({"keys": "abc"}))
        .unwrap_err();
    assert!(!error.is_empty());
    let error = spec
        .check_response(
            "GET",
            "/key/info",
            200,
            &json!({"key": "h", "info": {"token": "h", "status": "active"}}),
        )
        .unwrap_err();
    assert!(!error.is_empty(), "info never carries the hash");
    assert!(spec
        .check_response(
            "POST",
            "/key/block",
            404,
            &json!({"error": {"message": "m", "type": "t", "param": null, "code": "404"}})
        )
        .is_ok());
    assert!(spec
        .check_response(
            "POST",
            "/key/block",
            404,
            &json!({"error": {"message": "m"}})
        )
        .is_err());
}

/// Per-model limits and parallel requests are stored, echoed and cleared as the proxy
/// does (the rpm/tpm maps inside `metadata`, `model_max_budget` an object never null),
/// and `/health` reports a deployment made unhealthy with its error and `model_id` —
/// every request and answer in the proxy's schema.
#[tokio::test]
async fn model_limits_and_health_fit_the_proxys_openapi_document() {
    let seed = Seed::generated(1, 1);
    let broken = seed.deployments[0].id.clone();
    let state = State::new(seed);
    let mut proxy = Checked::new(state.clone()).await;
    let (status, created) = proxy
        .call(
            "POST",
            "/key/generate",
            &[],
            Some(json!({
                "key_alias": "limits",
                "max_parallel_requests": 3,
                "model_rpm_limit": {"gpt-4o": 10},
                "model_max_budget": {"gpt-4o": {"budget_limit": 2.5, "time_period": "7d"}},
            })),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let hash = created["token"].as_str().unwrap().to_owned();
    let (_, info) = proxy
        .call("GET", "/key/info", &[("key", &hash)], None)
        .await;
    assert_eq!(info["info"]["max_parallel_requests"], 3);
    assert_eq!(
        info["info"]["metadata"]["model_rpm_limit"],
        json!({"gpt-4o": 10})
    );
    assert_eq!(
        info["info"]["model_max_budget"],
        json!({"gpt-4o": {"budget_limit": 2.5, "time_period": "7d"}})
    );
    // A null per-model map is ignored (`exclude_none`); `{}` clears it; null clears the column.
    let (status, updated) = proxy
        .call(
            "POST",
            "/key/update",
            &[],
            Some(json!({"key": hash, "max_parallel_requests": null,
                "model_rpm_limit": null, "model_max_budget": {}})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["max_parallel_requests"], Value::Null);
    assert_eq!(
        updated["metadata"]["model_rpm_limit"],
        json!({"gpt-4o": 10})
    );
    assert_eq!(updated["model_max_budget"], json!({}));
    let (status, _) = proxy
        .call(
            "POST",
            "/key/update",
            &[],
            Some(json!({"key": hash, "model_rpm_limit": {}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        state.row(&hash).unwrap()["metadata"]["model_rpm_limit"],
        json!({})
    );
    let (status, refused) = proxy
        .call(
            "POST",
            "/key/update",
            &[],
            Some(json!({"key": hash, "model_max_budget": {"gpt-4o": {"budget_limit": -1, "time_period": "1d"}}})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");

    let (_, health) = proxy.call("GET", "/health", &[], None).await;
    let before = health["unhealthy_count"].as_u64().unwrap();
    assert!(state.set_health(
        &broken,
        Some("litellm.AuthenticationError: bad upstream key")
    ));
    assert!(!state.set_health("no-such-deployment", None));
    let (_, health) = proxy.call("GET", "/health", &[], None).await;
    assert_eq!(health["unhealthy_count"].as_u64().unwrap(), before + 1);
    let failing = health["unhealthy_endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["model_id"] == json!(broken))
        .expect("the broken deployment is reported by its id");
    assert_eq!(
        failing["error"],
        "litellm.AuthenticationError: bad upstream key"
    );
    // The same over HTTP, as end-to-end tests reach the fake binary.
    let hook = |body: Value| {
        let client = proxy.client.clone();
        let url = format!("{}/_fake/litellm/set_health", proxy.fake.base_url);
        async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        hook(json!({"deployment_id": broken, "error": null})).await,
        204
    );
    assert_eq!(
        hook(json!({"deployment_id": "nope", "error": null})).await,
        400
    );
    let (_, health) = proxy.call("GET", "/health", &[], None).await;
    assert_eq!(health["unhealthy_count"].as_u64().unwrap(), before);
}
