//! The platform layer against a real gateway (issue #16): every key operation of the
//! `Platform` trait through the Keyward adapter, as a later screen or `kw` will use it —
//! the answers in the neutral model, and what the gateway lacks refused as
//! `unsupported` with its sentence.

use crate::harness::{profile, start_gateway};
use keyward_api::scope::{TokenLimitPeriod, WorkloadScope};
use keyward_core::keys::{Expiry, KeyForm, KeyListQuery};
use keyward_core::platform::capabilities::BudgetPeriod;
use keyward_core::platform::model::KeyState;
use keyward_core::{ErrorCode, PlatformKind};

fn form(name: &str) -> KeyForm {
    KeyForm {
        name: name.into(),
        description: "through the trait".into(),
        rpm: Some(60),
        tpm: None,
        token_limit: Some(5_000),
        token_limit_period: Some(TokenLimitPeriod::Day),
        allowed_models: None,
        workloads: WorkloadScope::Project,
        labels: [("team".to_owned(), "ops".to_owned())].into(),
        expiry: Expiry::Never,
        project: None,
        money_budget: None,
        traffic_limits: None,
    }
}

#[tokio::test]
async fn every_key_operation_of_the_keyward_adapter_speaks_the_neutral_model() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base_url, project_id, owner) = start_gateway(dir.path()).await;
    let p = profile(base_url, &project_id, owner.expose());
    let platform = PlatformKind::Keyward
        .adapter(&keyward_core::Http::new())
        .expect("the gateway has an adapter");
    let now = chrono::Utc::now();

    let (key, secret) = platform.create_key(&p, &form("ci"), now).await.unwrap();
    assert_eq!(key.name, "ci");
    assert_eq!(key.state, KeyState::Active);
    assert_eq!(key.scopes.rpm, Some(60));
    let budget = key.scopes.token_budget.unwrap();
    assert_eq!((budget.tokens, budget.period), (5_000, BudgetPeriod::Day));
    assert_eq!(key.scopes.labels["team"], "ops");
    assert_eq!(key.project.as_deref(), Some(project_id.as_str()));
    assert!(key.hint.as_deref().unwrap().starts_with("kw_live_"));

    let page = platform
        .list_keys(&p, &KeyListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    assert_eq!(page.keys[0].id, key.id);

    let renamed = platform
        .update_key(
            &p,
            &key.id,
            &KeyForm {
                rpm: None,
                ..form("ci-2")
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.scopes.rpm), ("ci-2", None));

    let (rotated, new_secret) = platform.rotate_key(&p, &key.id, 0).await.unwrap();
    assert_eq!(rotated.id, key.id);
    assert_ne!(new_secret.expose(), secret.expose());
    let found = platform.identify_key(&p, &new_secret).await.unwrap();
    assert!(found.exact, "the gateway matches the whole secret");
    assert_eq!(
        found.keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
        [key.id.as_str()]
    );

    let error = platform.set_disabled(&p, &key.id, true).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unsupported);
    assert_eq!(
        Some(error.message),
        platform.capabilities().keys.disable.instead
    );

    let revoked = platform.revoke_key(&p, &key.id).await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    let archived = platform.set_archived(&p, &key.id, true).await.unwrap();
    assert_eq!(archived.state, KeyState::Archived);
    assert_eq!(
        platform.get_key(&p, &key.id).await.unwrap().state,
        KeyState::Archived
    );
    assert!(platform.list_workloads(&p).await.unwrap().is_empty());
}
