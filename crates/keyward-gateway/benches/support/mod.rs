//! What the data-plane benches share: a real gateway serving on 127.0.0.1 over a
//! temporary database as the binary serves (a worker thread per CPU, workers.rs), and
//! keys made through its control API (as a client would).

use keyward_gateway::{DatabaseLocation, Gateway};

pub struct Served {
    #[allow(dead_code)] // not every bench reaches into the gateway
    pub gateway: Gateway,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub project_id: String,
    pub owner_token: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Served {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let location = DatabaseLocation::DataDir(dir.path().to_owned());
        let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
        let gateway = Gateway::open(&location, false).await.unwrap();
        let workers = std::thread::available_parallelism().unwrap();
        let listeners =
            keyward_gateway::workers::bind("127.0.0.1:0".parse().unwrap(), workers).unwrap();
        let base = format!("http://{}", listeners[0].local_addr().unwrap());
        tokio::spawn(gateway.clone().serve_workers(
            listeners,
            std::future::pending(),
            std::time::Duration::ZERO,
        ));
        Served {
            gateway,
            base,
            project_id: init.project_id,
            owner_token: init.owner_token.expose().to_owned(),
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// POSTs `body` to a control route of this project (`path` after
    /// `/…/projects/{id}`, under `prefix`) and returns the answer, which must be 201.
    async fn create(&self, prefix: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .http
            .post(format!(
                "{}{prefix}/projects/{}{path}",
                self.base, self.project_id
            ))
            .bearer_auth(&self.owner_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{path}");
        response.json().await.unwrap()
    }

    /// A new inference key with `body`'s scopes; returns its secret.
    pub async fn create_key(&self, body: serde_json::Value) -> String {
        let created = self.create("/v1", "/inference/keys", body).await;
        created["secret"].as_str().unwrap().to_owned()
    }

    /// A workload `slug` serving `model` from `upstream_url`.
    #[allow(dead_code)] // not every bench forwards
    pub async fn create_workload(&self, slug: &str, model: &str, upstream_url: &str) {
        self.create(
            "/api",
            "/workloads",
            serde_json::json!({"name": slug, "slug": slug, "model_name": model, "backend": "vllm", "upstream_url": upstream_url}),
        )
        .await;
    }
}
