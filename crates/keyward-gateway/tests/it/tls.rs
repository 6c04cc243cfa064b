//! https upstreams: a workload behind a private CA is refused with a sentence that says
//! what to do, and served once the gateway trusts that CA (`--upstream-ca-file`).

use crate::upstream::Upstream;
use crate::util::{status_json, TestGateway};
use keyward_gateway::UpstreamOptions;
use reqwest::Method;
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

async fn chat_through(gw: &TestGateway, upstream: &Upstream) -> (u16, serde_json::Value) {
    let (status, created) = status_json(
        gw.control(Method::POST, &format!("/api/projects/{}/workloads", gw.project_id))
            .json(&json!({"name": "tls", "slug": "tls", "model_name": "tls-model", "backend": "vllm", "upstream_url": upstream.url}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let (status, key) = status_json(
        gw.control(Method::POST, &gw.keys_path())
            .json(&json!({"name": "tls"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    status_json(
        gw.http
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(key["secret"].as_str().unwrap())
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

    let untrusting = TestGateway::start().await;
    let (status, error) = chat_through(&untrusting, &upstream).await;
    assert_eq!(status, 502, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`tls`")
            && message.contains("TLS")
            && message.contains("UnknownIssuer")
            && message.contains("--upstream-ca-file"),
        "{message}"
    );
    assert!(upstream.script.lock().unwrap().received.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let mut options = UpstreamOptions::default();
    assert_eq!(options.trust_pem_file(&ca_file).unwrap(), 1);
    let trusting = TestGateway::start_with(options).await;
    let (status, answer) = chat_through(&trusting, &upstream).await;
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
