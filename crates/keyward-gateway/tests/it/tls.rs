//! https upstreams: a workload behind a private CA is refused with a sentence that says
//! what to do, and served once the gateway trusts that CA (`--upstream-ca-file`).

use crate::dataplane::{key, workload};
use crate::health::wait_for_status;
use crate::upstream::Upstream;
use crate::util::{status_json, TestGateway};
use keyward_gateway::UpstreamOptions;
use serde_json::json;
use tokio_rustls::rustls;

/// A throwaway CA (PEM) and a server configuration with a certificate it signed for
/// `localhost` and 127.0.0.1.
fn private_ca() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Keyward test private CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    server
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    let server = server.signed_by(&server_key, &ca, &ca_key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![server.der().clone(), ca.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
    )
    .unwrap();
    (ca.pem(), config)
}

async fn chat(gw: &TestGateway, secret: &str) -> (u16, serde_json::Value) {
    status_json(
        gw.http
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(secret)
            .json(&json!({"model": "tls", "messages": [{"role": "user", "content": "Hi"}]}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn an_upstream_behind_a_private_ca_is_refused_with_advice_then_served_once_trusted() {
    let (ca_pem, server) = private_ca();
    let upstream = Upstream::start_tls(server).await;

    // Forwarding names rustls' reason and the flag (the prober has not looked yet: its
    // first round after the workload exists is 10 s away).
    let untrusting = TestGateway::start().await;
    let created = workload(&untrusting, "tls", "tls-model", Some(&upstream.url)).await;
    let (_, secret) = key(&untrusting, json!({"name": "tls"})).await;
    let (status, error) = chat(&untrusting, &secret).await;
    assert_eq!(status, 502, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`tls`")
            && message.contains("TLS")
            && message.contains("UnknownIssuer")
            && message.contains("--upstream-ca-file"),
        "{message}"
    );
    // The prober calls it down with the same advice (not "unreachable": waiting will
    // not fix it), and the data plane then fails fast with it.
    untrusting
        .gateway
        .probe_config()
        .set_interval(std::time::Duration::from_millis(100));
    let health = wait_for_status(&untrusting, created["id"].as_str().unwrap(), "down").await;
    let reason = health["reason"].as_str().unwrap();
    assert!(
        reason.contains("TLS certificate is refused") && reason.contains("--upstream-ca-file"),
        "{reason}"
    );
    let (status, error) = chat(&untrusting, &secret).await;
    assert_eq!(status, 503, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "`tls` is unavailable: it is down (the upstream's TLS certificate is refused"
        ),
        "{message}"
    );
    assert!(upstream.script.lock().unwrap().received.is_empty());

    // Trusting the CA: the prober's client and the forwarding client both accept it.
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let mut options = UpstreamOptions::default();
    assert_eq!(options.trust_pem_file(&ca_file).unwrap(), 1);
    let trusting = TestGateway::start_with(options).await;
    trusting
        .gateway
        .probe_config()
        .set_interval(std::time::Duration::from_millis(100));
    let created = workload(&trusting, "tls", "tls-model", Some(&upstream.url)).await;
    wait_for_status(&trusting, created["id"].as_str().unwrap(), "healthy").await;
    let (_, secret) = key(&trusting, json!({"name": "tls"})).await;
    let (status, answer) = chat(&trusting, &secret).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["choices"][0]["message"]["content"], "Hello there");
    assert_eq!(upstream.last_received()["model"], "tls-model");
}

#[test]
fn a_ca_file_that_cannot_be_used_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("missing.pem", None, "No such file"),
        ("empty.pem", Some(""), "holds no PEM certificate"),
        (
            "garbage.pem",
            Some("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"),
            "not PEM certificates",
        ),
        (
            "not-a-ca.pem",
            Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            "certificate 1 is not a usable CA",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        let mut options = UpstreamOptions::default();
        let error = options.trust_pem_file(&path).unwrap_err().to_string();
        assert!(
            error.contains(name) && error.contains(expected),
            "{name}: {error}"
        );
        assert!(options.extra_roots.is_empty(), "nothing half-loaded");
    }
}
