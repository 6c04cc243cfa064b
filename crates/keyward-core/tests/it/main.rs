//! keyward-core against real HTTP servers on loopback (issue #2): the real gateway for
//! the key lifecycle, and a scripted server for every remote failure the console must
//! turn into an actionable sentence.

mod anthropic;
mod console;
mod gcore;
mod harness;
mod imports;
mod inferencekey;
mod keychain;
mod leaks;
mod litellm;
mod openai;
mod openrouter;
mod platform;
mod usage;
mod workloads;
mod workspace;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use harness::{profile, serve, start_gateway};
use keyward_api::{KeyStatus, Secret};
use keyward_core::ErrorCode;
use keyward_core::{KeywardClient, Profile};
use std::time::Duration;

#[tokio::test]
async fn key_lifecycle_against_the_real_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project_id, token) = start_gateway(dir.path()).await;
    let profile = profile(base, &project_id, token.expose());
    let client = KeywardClient::new();

    let created = client.create_key(&profile, "  reporting  ").await.unwrap();
    assert_eq!(created.key.name, "reporting");
    assert!(created.secret.expose().starts_with("kw_live_"));
    let page = client.list_keys(&profile).await.unwrap();
    assert_eq!(page.keys.len(), 1);
    assert_eq!(page.keys[0].masked, created.key.masked);
    let revoked = client.revoke_key(&profile, &created.key.id).await.unwrap();
    assert_eq!(revoked.status, KeyStatus::Revoked);

    // Field errors from the gateway keep their field.
    let error = client.create_key(&profile, "").await.unwrap_err();
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::InvalidInput, Some("name"))
    );

    // Ids with path characters are escaped, not interpreted.
    let error = client
        .revoke_key(&profile, "../projects")
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);

    let who = client.whoami(&profile).await.unwrap();
    assert_eq!(
        (who.role, who.project.id.as_str()),
        (keyward_api::Role::Owner, project_id.as_str())
    );
    assert!(who.token_label.contains("kw_ctl_") && !who.token_label.contains(&token.expose()[7..]));
    let elsewhere = Profile {
        project_id: "prj_other".into(),
        ..profile.clone()
    };
    let error = client.whoami(&elsewhere).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("belongs to project"),
        "{}",
        error.message
    );

    let wrong = Profile {
        token: Secret::new(
            keyward_api::token::generate(keyward_api::TokenKind::Control)
                .expose()
                .into(),
        ),
        ..profile.clone()
    };
    let error = client.list_keys(&wrong).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized);
    assert!(
        error.message.contains("profile \"Local\""),
        "{}",
        error.message
    );
}

/// A server that answers every request with the scripted status, headers and body.
fn scripted(
    status: StatusCode,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> Router {
    Router::new().fallback(any(move || async move {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        (status, map, body).into_response()
    }))
}

/// A remote answer (status, headers, body) and the console error it must become (code,
/// a phrase of the message).
type FailureCase = (
    StatusCode,
    &'static [(&'static str, &'static str)],
    &'static str,
    ErrorCode,
    &'static str,
);

#[tokio::test]
async fn every_remote_failure_becomes_an_actionable_sentence() {
    let gateway_error =
        r#"{"error":{"code":"forbidden","message":"This control token belongs to project A"}}"#;
    let cases: [FailureCase; 8] = [
        (
            StatusCode::UNAUTHORIZED,
            &[],
            "",
            ErrorCode::Unauthorized,
            "Replace the control token",
        ),
        (
            StatusCode::FORBIDDEN,
            &[],
            gateway_error,
            ErrorCode::Forbidden,
            "belongs to project A",
        ),
        (
            StatusCode::NOT_FOUND,
            &[],
            "",
            ErrorCode::NotFound,
            "refresh the list",
        ),
        (
            StatusCode::CONFLICT,
            &[],
            "",
            ErrorCode::Conflict,
            "Refresh and try again",
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            &[("retry-after", "17")],
            "",
            ErrorCode::RateLimited,
            "Try again in 17 s",
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            &[],
            "<html>oops</html>",
            ErrorCode::Upstream,
            "HTTP 503",
        ),
        (
            StatusCode::OK,
            &[],
            "{not json",
            ErrorCode::Upstream,
            "format Keyward does not understand",
        ),
        (
            StatusCode::OK,
            &[],
            r#"{"unexpected":true}"#,
            ErrorCode::Upstream,
            "is the Keyward gateway API root",
        ),
    ];
    let client = KeywardClient::new();
    for (status, headers, body, code, says) in cases {
        let base = serve(scripted(status, headers, body)).await;
        let error = client
            .list_keys(&profile(base, "prj", "kw_ctl_x"))
            .await
            .unwrap_err();
        assert_eq!(error.code, code, "HTTP {status}: {}", error.message);
        assert!(
            error.message.contains(says),
            "HTTP {status}: {}",
            error.message
        );
    }
}

/// A read rate-limited with a short `Retry-After` waits as told and tries again (twice
/// at most); a write, or a wait longer than the bound, comes back as the sentence.
#[tokio::test]
async fn rate_limited_reads_wait_as_told_and_writes_do_not_retry() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // Answers 429 (Retry-After: 1) to the first `refusals` requests, then 200.
    async fn limited(refusals: usize) -> (String, Arc<AtomicUsize>) {
        let seen = Arc::new(AtomicUsize::new(0));
        let count = seen.clone();
        let base = serve(Router::new().fallback(any(move || {
            let count = count.clone();
            async move {
                if count.fetch_add(1, Ordering::SeqCst) < refusals {
                    let mut headers = HeaderMap::new();
                    headers.insert("retry-after", "1".parse().unwrap());
                    (StatusCode::TOO_MANY_REQUESTS, headers, "").into_response()
                } else {
                    (
                        StatusCode::OK,
                        r#"{"keys":[],"total":0,"limit":200,"offset":0}"#,
                    )
                        .into_response()
                }
            }
        })))
        .await;
        (base, seen)
    }
    let client = KeywardClient::new();

    let (base, seen) = limited(2).await;
    let started = std::time::Instant::now();
    let page = client.list_keys(&profile(base, "p", "t")).await.unwrap();
    assert_eq!(page.total, 0);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "two refusals, then the answer"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited as told"
    );

    let (base, seen) = limited(3).await;
    let error = client
        .list_keys(&profile(base, "p", "t"))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert!(
        error.message.contains("Try again in 1 s"),
        "{}",
        error.message
    );
    assert_eq!(seen.load(Ordering::SeqCst), 3, "at most two retries");

    let (base, seen) = limited(1).await;
    let error = client
        .create_key(&profile(base, "p", "t"), "ci")
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "a create is never sent twice"
    );
}

#[tokio::test]
async fn unreachable_and_slow_platforms_are_told_apart() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = KeywardClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(300));
    let error = client
        .list_keys(&profile(format!("http://127.0.0.1:{port}"), "p", "t"))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable);
    assert!(error.message.contains("Cannot reach"), "{}", error.message);

    // A platform that accepts the connection and never answers.
    let slow = serve(Router::new().fallback(any(std::future::pending::<&str>))).await;
    let error = client
        .list_keys(&profile(slow, "p", "t"))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout);
    assert!(
        error.message.contains("did not answer in time"),
        "{}",
        error.message
    );
}
