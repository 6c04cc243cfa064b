//! The one harness of keyward-core's integration tests: a real gateway in a temp
//! directory serving on a free loopback port, a server on loopback for any router, a
//! profile pointing at either, and a wait with a deadline for things that happen in
//! the background. Each test used to start its gateway its own way (four copies, two
//! of them without the gateway's background work); a change to how the gateway starts
//! is now made here once.

use keyward_api::Secret;
use keyward_core::keys::{Expiry, KeyForm, KeyListQuery};
use keyward_core::profiles::PlatformKind;
use keyward_core::Profile;
use keyward_gateway::Gateway;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

/// A real gateway in `dir`, serving on a free port: (gateway, base URL, project, the
/// owner token of its first launch).
pub async fn start_gateway(dir: &Path) -> (Gateway, String, String, Secret) {
    start_gateway_with(dir, |_| {}).await
}

/// [`start_gateway`], with `configure` run on the gateway before it serves (e.g. a
/// short probe interval, which the prober reads when it starts).
pub async fn start_gateway_with(
    dir: &Path,
    configure: impl FnOnce(&Gateway),
) -> (Gateway, String, String, Secret) {
    let (gateway, project) = Gateway::open_embedded(dir, chrono::Utc::now())
        .await
        .unwrap();
    configure(&gateway);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(gateway.clone().serve(listener, std::future::pending()));
    (
        gateway,
        format!("http://{addr}"),
        project.project_id,
        project.owner_token.expect("a fresh data directory"),
    )
}

/// Serves `router` on a free loopback port; its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A Keyward profile named "Local" for `base_url`, `project_id` and `token`.
pub fn profile(base_url: String, project_id: &str, token: &str) -> Profile {
    Profile {
        id: "local".into(),
        name: "Local".into(),
        kind: PlatformKind::Keyward,
        base_url,
        project_id: project_id.into(),
        token: Secret::new(token.into()),
    }
}

/// A profile of `kind` named `name` at `base_url` (a platform's fake) with `token`, and
/// no project yet: the adapters' tests address each platform the same way.
pub fn platform_profile(kind: PlatformKind, name: &str, base_url: &str, token: &str) -> Profile {
    Profile {
        id: kind.as_str().into(),
        name: name.into(),
        kind,
        base_url: base_url.into(),
        project_id: String::new(),
        token: Secret::new(token.into()),
    }
}

/// A key form with a name and nothing else: no limits, no scopes, never expires. Tests
/// set the members they are about with `KeyForm { …, ..key_form(name) }`.
pub fn key_form(name: &str) -> KeyForm {
    KeyForm {
        name: name.into(),
        description: String::new(),
        rpm: None,
        tpm: None,
        token_limit: None,
        token_limit_period: None,
        allowed_models: None,
        workloads: keyward_api::WorkloadScope::Project,
        labels: Default::default(),
        expiry: Expiry::Never,
        project: None,
        money_budget: None,
        traffic_limits: None,
    }
}

/// Every key on one page (the adapters' inventory tests read lists whole).
pub fn every_key() -> KeyListQuery {
    KeyListQuery {
        limit: Some(200),
        ..Default::default()
    }
}

/// Asks `probe` until it answers `Ok`, and returns that; fails the test naming `what`
/// and the last `Err` (what was seen instead) if it has not within `within`. Waits
/// 20 ms between asks: short enough not to slow a test, long enough not to hog a
/// loaded machine.
pub async fn wait_until<T, E, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    E: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match probe().await {
            Ok(found) => return found,
            Err(seen) => assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not within {within:?}; last seen: {seen:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
