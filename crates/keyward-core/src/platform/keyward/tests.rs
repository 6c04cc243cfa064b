use super::*;
use crate::platform::model::KeyState;
use crate::platform::PlatformKind;
use axum::http::Uri;
use std::sync::{Arc, Mutex};

/// A server that records the raw path of every request and answers 404.
async fn recorder() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(uri.path().to_owned());
            axum::http::StatusCode::NOT_FOUND
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), seen)
}

fn profile(base_url: &str, project_id: &str) -> Profile {
    Profile {
        id: "p".into(),
        name: "P".into(),
        kind: PlatformKind::Keyward,
        base_url: base_url.into(),
        project_id: project_id.into(),
        token: Secret::new("kw_ctl_x".into()),
    }
}

/// Every path segment is percent-encoded (issue #16): a project id holding `/`, `?`,
/// `#`, a space or `%` reaches its own route as one segment — before, `project_id`
/// was pasted in raw, so `a/b` became two segments and `a?b` a query.
#[tokio::test]
async fn a_project_id_with_reserved_characters_stays_one_segment_of_its_own_route() {
    let (base, seen) = recorder().await;
    let http = KeywardClient::new();
    let project = "a/b?c#d e%f";
    let encoded = "a%2Fb%3Fc%23d%20e%25f";
    let p = profile(&base, project);
    let now = chrono::Utc::now();
    let _ = http.query_keys(&p, &KeyListQuery::default()).await;
    let _ = http.list_keys(&p).await;
    let _ = http.key_audit(&p, "key/1").await;
    let _ = http.list_workloads(&p).await;
    let _ = http.health_summary(&p).await;
    let _ = http.workload_usage(&p, "chat", now, now).await;
    let _ = http.follow_readiness(&p, "chat?x", |_| {}).await;
    let _ = http.get_key(&p, "k#1").await;
    let query = keyward_api::usage::UsageQuery {
        start: now,
        end: now,
        bucket: keyward_api::usage::UsageBucket::None,
        group_by: Vec::new(),
        key_ids: Vec::new(),
        models: Vec::new(),
        workloads: Vec::new(),
    };
    let _ = http.project_usage(&p, "x/y", &query).await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            format!("/v1/projects/{encoded}/inference/keys"),
            format!("/v1/projects/{encoded}/inference/keys"),
            format!("/v1/projects/{encoded}/audit"),
            format!("/api/projects/{encoded}/workloads"),
            format!("/api/projects/{encoded}/workloads/health"),
            format!("/v1/projects/{encoded}/usage"),
            format!("/api/projects/{encoded}/workloads/chat%3Fx/readiness-events"),
            "/v1/inference/keys/k%231".to_owned(),
            "/v1/projects/x%2Fy/usage".to_owned(),
        ]
    );
}

#[test]
fn a_gateway_key_maps_into_the_neutral_model() {
    let key: keyward_api::InferenceKey = serde_json::from_value(serde_json::json!({
        "id": "k1", "project_id": "p1", "name": "batch", "description": "",
        "masked": "kw_live_AbC…x9Qz", "status": "active",
        "rpm": 60, "tpm": null, "token_limit": 1000, "token_limit_period": "day",
        "allowed_models": ["llama"], "workloads": "*", "labels": {"team": "a"},
        "expires_at": null, "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00Z", "revoked_at": null, "archived_at": null,
        "last_used_at": null, "request_count": 0, "input_tokens": 0, "output_tokens": 0
    }))
    .unwrap();
    let key: crate::platform::model::Key = key.into();
    assert_eq!(key.state, KeyState::Active);
    assert_eq!(key.hint.as_deref(), Some("kw_live_AbC…x9Qz"));
    assert_eq!(key.scopes.rpm, Some(60));
    assert_eq!(key.scopes.tpm, None);
    assert_eq!(key.scopes.token_budget.unwrap().tokens, 1000);
    assert_eq!(key.scopes.token_budget.unwrap().period, BudgetPeriod::Day);
    assert_eq!(key.scopes.workloads, None, "\"*\" = every workload");
    assert_eq!(key.scopes.description, None);
    assert_eq!(key.project.as_deref(), Some("p1"));
}

/// What the gateway cannot do is said, not hidden; the rest is offered.
#[test]
fn keyward_says_what_it_lacks_in_a_sentence() {
    let c = capabilities();
    assert!(c.keys.create.supported && c.keys.rotate.supported && c.keys.rotate_grace);
    assert!(!c.keys.disable.supported);
    assert!(c
        .keys
        .disable
        .instead
        .as_deref()
        .unwrap()
        .contains("revoke"));
    assert!(!c.scopes.money_budget.supported);
    assert_eq!(c.spend.source, SpendSource::Computed);
}
