//! Test harness: a real gateway on 127.0.0.1 (random port) over a temporary SQLite file.

use keyward_gateway::{DatabaseLocation, Gateway, UpstreamOptions};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::net::SocketAddr;
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestGateway {
    pub addr: SocketAddr,
    pub project_id: String,
    pub owner_token: String,
    pub gateway: Gateway,
    pub dir: TempDir,
    pub http: Client,
    _stop: oneshot::Sender<()>,
}

impl TestGateway {
    pub async fn start() -> Self {
        Self::start_with(UpstreamOptions::default()).await
    }

    pub async fn start_with(upstreams: UpstreamOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let location = DatabaseLocation::DataDir(dir.path().to_owned());
        let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
        let gateway = Gateway::open_with(&location, false, upstreams)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(gateway.clone().serve(listener, async {
            let _ = stopped.await;
        }));
        TestGateway {
            addr,
            project_id: init.project_id,
            owner_token: init.owner_token.expose().to_owned(),
            gateway,
            dir,
            http: Client::new(),
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn control(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.owner_token)
    }

    pub fn keys_path(&self) -> String {
        format!("/v1/projects/{}/inference/keys", self.project_id)
    }

    /// Creates a key and returns the create response body (which holds the secret).
    pub async fn create_key(&self, name: &str) -> Value {
        let response = self
            .control(Method::POST, &self.keys_path())
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}

/// Status and JSON body of a response.
pub async fn status_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, body)
}

/// Asserts the gateway's error shape and returns the error object.
pub fn error_of(body: &Value, code: &str) -> Value {
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("no error object in {body}"));
    assert_eq!(error["code"], code, "in {body}");
    assert!(
        error["message"].as_str().is_some_and(|m| m.len() > 10),
        "message should be a sentence in {body}"
    );
    error.clone()
}
