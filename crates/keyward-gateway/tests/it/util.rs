//! Test harness: a real gateway on 127.0.0.1 (random port) over a temporary SQLite file,
//! or — when the suite runs with `KEYWARD_TEST_POSTGRES_URL` (scripts/test.sh starts a
//! throwaway server and runs this suite once per engine) — over a fresh PostgreSQL
//! database of its own on that server; with `KEYWARD_TEST_AS_REPLICA` too, as a replica
//! sharing the run's Redis (`KEYWARD_TEST_REDIS_URL`), so the whole suite also holds for
//! the shared limiter and caches. `start_replicas` always uses that Redis.

use keyward_gateway::{Clock, DatabaseLocation, Gateway, UpstreamOptions};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestGateway {
    pub addr: SocketAddr,
    /// Where its database is (replicas of it open the same).
    pub location: DatabaseLocation,
    pub project_id: String,
    pub owner_token: String,
    pub gateway: Gateway,
    pub dir: TempDir,
    pub http: Client,
    stop: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How a [`TestGateway`] serves.
pub enum Serving {
    /// As the binary: worker threads, each with its own runtime (workers.rs).
    Workers,
    /// As the desktop app embeds it: on the caller's runtime.
    Shared,
}

/// How long a test gateway's stop waits for requests in flight.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Worker threads of a test gateway: more than one, so connections land on different
/// runtimes as in production.
pub const WORKERS: std::num::NonZeroUsize = std::num::NonZeroUsize::new(2).unwrap();

impl TestGateway {
    pub async fn start() -> Self {
        Self::start_with(UpstreamOptions::default()).await
    }

    /// A gateway served as the `keyward-gateway` binary serves it: on
    /// [`WORKERS`] worker threads with a runtime and listening socket each.
    pub async fn start_with(upstreams: UpstreamOptions) -> Self {
        Self::start_serving(upstreams, Serving::Workers).await
    }

    pub async fn start_serving(upstreams: UpstreamOptions, serving: Serving) -> Self {
        Self::start_full(upstreams, serving, Clock::System).await
    }

    /// A gateway whose "now" is `clock`: a test moves a manual clock over an expiry or
    /// the end of a grace period instead of sleeping past it.
    pub async fn start_with_clock(clock: Clock) -> Self {
        Self::start_full(UpstreamOptions::default(), Serving::Workers, clock).await
    }

    async fn start_full(upstreams: UpstreamOptions, serving: Serving, clock: Clock) -> Self {
        let (location, dir) = test_database().await;
        let init = Gateway::init(&location, clock.now()).await.unwrap();
        let gateway = Gateway::open_with_clock(&location, false, upstreams, clock)
            .await
            .unwrap();
        if location.is_postgres() && std::env::var_os("KEYWARD_TEST_AS_REPLICA").is_some() {
            let redis =
                redis_server().expect("KEYWARD_TEST_AS_REPLICA needs KEYWARD_TEST_REDIS_URL");
            gateway.join_cluster(&redis).await.unwrap();
        }
        Self::serve(gateway, location, serving, init, dir)
    }

    /// `n` replicas of one gateway: one PostgreSQL database, initialized once, each
    /// replica joined to `redis` (the run's Redis, or a proxy in front of it) and
    /// serving on its own port. `None` (the test is skipped) without PostgreSQL and
    /// Redis, unless the run requires them.
    pub async fn start_replicas(n: usize, redis: Option<String>) -> Option<Vec<Self>> {
        let (server, run_redis) = postgres_and_redis_or_skip()?;
        let redis = redis.unwrap_or(run_redis);
        let first = Self::start_replica_on(&new_postgres_database(&server).await, &redis).await;
        let mut replicas = Vec::with_capacity(n);
        for _ in 1..n {
            replicas.push(Self::start_replica_of(&first, &redis).await);
        }
        replicas.insert(0, first);
        Some(replicas)
    }

    /// The first replica on the PostgreSQL database `url`: initialized here, joined to
    /// `redis`.
    pub async fn start_replica_on(url: &str, redis: &str) -> Self {
        let location = DatabaseLocation::Url(url.to_owned());
        let init = Gateway::init(&location, chrono::Utc::now()).await.unwrap();
        Self::replica(location, init, redis).await
    }

    /// Another replica of `other`: its database, its project and owner token, joined to
    /// `redis` (the run's Redis, or a proxy in front of it).
    pub async fn start_replica_of(other: &TestGateway, redis: &str) -> Self {
        let init = keyward_gateway::Initialized {
            project_id: other.project_id.clone(),
            owner_token: keyward_api::Secret::new(other.owner_token.clone()),
        };
        Self::replica(other.location.clone(), init, redis).await
    }

    async fn replica(
        location: DatabaseLocation,
        init: keyward_gateway::Initialized,
        redis: &str,
    ) -> Self {
        let gateway = Gateway::open(&location, false).await.unwrap();
        gateway.join_cluster(redis).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        Self::serve(gateway, location, Serving::Workers, init, dir)
    }

    fn serve(
        gateway: Gateway,
        location: DatabaseLocation,
        serving: Serving,
        init: keyward_gateway::Initialized,
        dir: TempDir,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped = async {
            let _ = stopped.await;
        };
        let (addr, served) = match serving {
            Serving::Workers => {
                let address = "127.0.0.1:0".parse().unwrap();
                let listeners = keyward_gateway::workers::bind(address, WORKERS).unwrap();
                let addr = listeners[0].local_addr().unwrap();
                let served = tokio::spawn(gateway.clone().serve_workers(listeners, stopped, GRACE));
                (addr, served)
            }
            Serving::Shared => {
                let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                std_listener.set_nonblocking(true).unwrap();
                let addr = std_listener.local_addr().unwrap();
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                (addr, tokio::spawn(gateway.clone().serve(listener, stopped)))
            }
        };
        TestGateway {
            addr,
            location,
            project_id: init.project_id,
            owner_token: init.owner_token.expose().to_owned(),
            gateway,
            dir,
            http: Client::new(),
            stop: Some(stop),
            served: Some(served),
        }
    }

    /// Stops serving: in-flight requests finish and their usage is written.
    pub async fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(served) = self.served.take() {
            served.await.unwrap().unwrap();
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

/// The PostgreSQL server of this run (`KEYWARD_TEST_POSTGRES_URL`), if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("KEYWARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// The run's PostgreSQL server, or `None` — the test is skipped, said on stderr — when
/// there is none and the run does not require it (`KEYWARD_REQUIRE_POSTGRES`, which
/// scripts/test.sh sets, makes a missing server a failure instead).
pub fn postgres_or_skip() -> Option<String> {
    skip_unless_required(postgres_server(), "PostgreSQL")
}

/// The run's PostgreSQL and Redis servers, or `None` as [`postgres_or_skip`].
pub fn postgres_and_redis_or_skip() -> Option<(String, String)> {
    let both = postgres_server().zip(redis_server());
    skip_unless_required(both, "PostgreSQL and Redis")
}

fn skip_unless_required<T>(servers: Option<T>, what: &str) -> Option<T> {
    if servers.is_none() {
        assert!(
            std::env::var_os("KEYWARD_REQUIRE_POSTGRES").is_none(),
            "the run requires {what} (KEYWARD_TEST_POSTGRES_URL, KEYWARD_TEST_REDIS_URL)"
        );
        eprintln!("skipped: no {what} for this test");
    }
    servers
}

/// The Redis server of this run (`KEYWARD_TEST_REDIS_URL`), if any.
pub fn redis_server() -> Option<String> {
    std::env::var("KEYWARD_TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A new, empty database for one test: a fresh PostgreSQL database on the run's server
/// when there is one (left for the throwaway server's removal), else a SQLite file in a
/// temporary directory. The directory is returned either way (some tests keep files in it).
pub async fn test_database() -> (DatabaseLocation, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = postgres_server() else {
        return (DatabaseLocation::DataDir(dir.path().to_owned()), dir);
    };
    (
        DatabaseLocation::Url(new_postgres_database(&server).await),
        dir,
    )
}

/// Creates a database with a random name on `server` and returns its URL.
pub async fn new_postgres_database(server: &str) -> String {
    use sqlx::Connection;
    let name = format!("kwtest_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = reqwest::Url::parse(server).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// Waits until `condition` holds, checking every 10 ms; fails naming `what` when it
/// still does not after `within`. For anything a test waits on (a probe round, a flush,
/// a connection closing) instead of a fixed sleep that races a slow machine.
pub async fn wait_until<F, Fut>(within: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(within, what, || {
        let holds = condition();
        async move { holds.await.then_some(()) }
    })
    .await
}

/// Waits until `probe` yields a value and returns it, checking every 10 ms; fails
/// naming `what` when it still yields `None` after `within`.
pub async fn wait_for<T, F, Fut>(within: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for {what}");
        // The polling interval of this helper, not a wait for anything.
        tokio::time::sleep(Duration::from_millis(10)).await;
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
