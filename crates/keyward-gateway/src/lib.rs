//! keyward-gateway: the control plane and data plane Keyward ships as its default.
//!
//! The desktop app runs it in-process on loopback; the same library builds the
//! standalone `keyward-gateway` binary for a team's host. State is one SQLite pool
//! (WAL, migrations embedded), cloned into every handler; nothing else is shared.
//!
//! Secrets are minted here and leave in exactly one response each; the database keeps
//! only their SHA-256.

pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod health;
pub mod keycache;
pub mod keys;
pub mod limits;
pub mod meter;
pub mod prober;
pub mod projects;
pub(crate) mod proxy;
mod routes;
#[cfg(feature = "bench-seed")]
mod seed;
pub mod usage;
pub mod workers;
pub mod workloads;

pub use routes::openapi;

use chrono::{DateTime, Utc};
use keyward_api::Secret;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The hasher of the gateway's in-memory maps (key and workload caches, limiters, the
/// meter, upstream pools), all read on every data-plane request: foldhash, seeded per
/// process, instead of std's SipHash, which was ~2 % of the proxy's instructions.
/// Their keys are ids, hashes and URLs the gateway itself issued or stored.
pub(crate) type FastHash = foldhash::fast::RandomState;

/// Largest accepted request body.
/// How every writing transaction starts. A deferred `BEGIN` that reads first and then
/// writes fails at once with SQLITE_BUSY when another connection (the usage flush, a
/// concurrent mutation) committed in between — `busy_timeout` cannot help an upgrade.
/// `BEGIN IMMEDIATE` takes the write lock up front, so writers queue instead.
pub(crate) const WRITE_TX: &str = "BEGIN IMMEDIATE";

pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;
pub(crate) const BODY_LIMIT_LABEL: &str = "1 MiB";

/// The file name of the database inside a data directory.
pub const DATABASE_FILE: &str = "keyward-gateway.db";

/// Name of the control token the desktop app issues to itself at each launch.
pub const EMBEDDED_TOKEN_NAME: &str = "Keyward desktop (embedded)";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the database {location} does not exist; run `keyward-gateway init` first")]
    NotInitialized { location: String },
    #[error("the gateway at {location} is already initialized; its owner token was shown when it was created")]
    AlreadyInitialized { location: String },
    #[error("invalid database URL {url:?}: {source}")]
    DatabaseUrl { url: String, source: sqlx::Error },
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot use {} as upstream CA certificates: {reason}", path.display())]
    UpstreamCa { path: PathBuf, reason: String },
}

/// How the gateway talks to workloads' upstream servers (both the data plane's
/// forwarding and the prober's health checks).
#[derive(Debug, Clone)]
pub struct UpstreamOptions {
    /// Longest wait for an upstream's answer to start, and between two chunks of a
    /// streamed answer (a whole generation may take much longer).
    pub read_timeout: Duration,
    /// Certificate authorities trusted for `https://` upstreams besides the public
    /// web PKI: the private CA in front of a team's vLLM hosts.
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl Default for UpstreamOptions {
    fn default() -> Self {
        Self {
            read_timeout: Duration::from_secs(300),
            extra_roots: Vec::new(),
        }
    }
}

impl UpstreamOptions {
    /// Trusts every CA certificate of a PEM file; returns how many. A file without
    /// certificates, or with one rustls cannot use as a root, is refused whole.
    pub fn trust_pem_file(&mut self, path: &std::path::Path) -> Result<usize, Error> {
        use rustls::pki_types::pem::PemObject;
        let refused = |reason: String| Error::UpstreamCa {
            path: path.to_owned(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| refused(e.to_string()))?;
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| refused(format!("not PEM certificates ({e})")))?;
        if certs.is_empty() {
            return Err(refused("it holds no PEM certificate".into()));
        }
        let mut check = rustls::RootCertStore::empty();
        for (i, cert) in certs.iter().enumerate() {
            check
                .add(cert.clone())
                .map_err(|e| refused(format!("certificate {} is not a usable CA ({e})", i + 1)))?;
        }
        let count = certs.len();
        self.extra_roots.extend(certs);
        Ok(count)
    }
}

/// Where the gateway keeps its data: a data directory (holding [`DATABASE_FILE`]) or an
/// explicit `sqlite://` URL.
#[derive(Debug, Clone)]
pub enum DatabaseLocation {
    DataDir(PathBuf),
    Url(String),
}

impl DatabaseLocation {
    fn options(&self) -> Result<SqliteConnectOptions, Error> {
        match self {
            DatabaseLocation::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| Error::DataDir {
                    path: dir.clone(),
                    source,
                })?;
                Ok(SqliteConnectOptions::new().filename(dir.join(DATABASE_FILE)))
            }
            DatabaseLocation::Url(url) => {
                SqliteConnectOptions::from_str(url).map_err(|source| Error::DatabaseUrl {
                    url: url.clone(),
                    source,
                })
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            DatabaseLocation::DataDir(dir) => dir.join(DATABASE_FILE).display().to_string(),
            DatabaseLocation::Url(url) => url.clone(),
        }
    }

    fn file(&self) -> Option<PathBuf> {
        match self {
            DatabaseLocation::DataDir(dir) => Some(dir.join(DATABASE_FILE)),
            DatabaseLocation::Url(url) => {
                let path = url
                    .strip_prefix("sqlite://")
                    .or_else(|| url.strip_prefix("sqlite:"))?;
                let path = path.split('?').next().unwrap_or(path);
                (path != ":memory:" && !path.is_empty()).then(|| PathBuf::from(path))
            }
        }
    }
}

/// What `init` made: the default project and its owner token, to be shown once.
#[derive(Debug)]
pub struct Initialized {
    pub project_id: String,
    pub owner_token: Secret,
}

/// The embedded gateway's default project; `owner_token` only on the launch that
/// created it.
#[derive(Debug)]
pub struct EmbeddedProject {
    pub project_id: String,
    pub owner_token: Option<Secret>,
}

/// A running gateway's shared state. Cheap to clone — one reference count: axum clones
/// the state for every request, and nine handles (pool, caches, meter, clients) were
/// nine counts to bump and drop on the data plane's hot path.
#[derive(Clone)]
pub struct Gateway(std::sync::Arc<Shared>);

#[doc(hidden)]
pub struct Shared {
    pool: SqlitePool,
    key_cache: keycache::KeyCache,
    /// Shared with the flusher (weakly) and with streams still being metered.
    meter: std::sync::Arc<meter::Meter>,
    limits: limits::Limits,
    workload_cache: workloads::WorkloadCache,
    probe_config: prober::ProbeConfig,
    prober_state: prober::ProberState,
    upstream: reqwest::Client,
    upstreams: proxy::Upstreams,
    /// [`UpstreamOptions::read_timeout`].
    read_timeout: Duration,
}

impl std::ops::Deref for Gateway {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Gateway {
    /// Opens the database, creating it when `create` is set, and applies migrations.
    pub async fn open(location: &DatabaseLocation, create: bool) -> Result<Self, Error> {
        Self::open_with(location, create, UpstreamOptions::default()).await
    }

    /// [`Gateway::open`], with its upstream timeouts and trusted CAs set.
    pub async fn open_with(
        location: &DatabaseLocation,
        create: bool,
        upstreams: UpstreamOptions,
    ) -> Result<Self, Error> {
        let options = location
            .options()?
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // Control-plane writes (a revoke, a new key) must survive a power cut once
            // acknowledged: FULL syncs the WAL at every commit. High-rate metering gets
            // its own batching when the data plane lands.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if !create && location.file().is_some_and(|f| !f.exists()) {
            return Err(Error::NotInitialized {
                location: location.describe(),
            });
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let meter = std::sync::Arc::new(meter::Meter::default());
        spawn_flusher(std::sync::Arc::downgrade(&meter), pool.clone());
        let gateway = Self(std::sync::Arc::new(Shared {
            pool,
            key_cache: Default::default(),
            meter,
            limits: Default::default(),
            workload_cache: Default::default(),
            probe_config: Default::default(),
            prober_state: Default::default(),
            upstream: proxy::upstream_client(&upstreams),
            upstreams: proxy::Upstreams::new(&upstreams),
            read_timeout: upstreams.read_timeout,
        }));
        spawn_pool_sweeper(std::sync::Arc::downgrade(&gateway.0));
        Ok(gateway)
    }

    /// Where finished requests report their usage.
    pub fn meter(&self) -> &meter::Meter {
        &self.meter
    }

    /// Writes all recorded usage now (shutdown, tests).
    pub async fn flush_usage(&self) -> sqlx::Result<usize> {
        self.meter.flush(&self.pool).await
    }

    pub(crate) fn upstream(&self) -> &reqwest::Client {
        &self.upstream
    }

    /// The data plane's connection pools to upstreams.
    pub fn upstreams(&self) -> &proxy::Upstreams {
        &self.upstreams
    }

    /// How long an upstream may stay silent (before its answer, or within a stream).
    pub(crate) fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// How workloads are probed (interval, timeout, thresholds).
    pub fn probe_config(&self) -> &prober::ProbeConfig {
        &self.probe_config
    }

    pub fn prober_state(&self) -> &prober::ProberState {
        &self.prober_state
    }

    /// The data plane's cache of workloads by project.
    pub fn workload_cache(&self) -> &workloads::WorkloadCache {
        &self.workload_cache
    }

    /// The data plane's cache of keys by secret hash.
    pub fn key_cache(&self) -> &keycache::KeyCache {
        &self.key_cache
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// First-time set-up: the default project and its owner control token.
    /// Refuses to run twice, so an owner token is never minted silently.
    pub async fn init(
        location: &DatabaseLocation,
        now: DateTime<Utc>,
    ) -> Result<Initialized, Error> {
        let gateway = Self::open(location, true).await?;
        if projects::default_project(&gateway.pool).await?.is_some() {
            return Err(Error::AlreadyInitialized {
                location: location.describe(),
            });
        }
        gateway.create_default_project("Owner", now).await
    }

    async fn create_default_project(
        &self,
        token_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Initialized, Error> {
        let mut tx = self.pool.begin_with(crate::WRITE_TX).await?;
        let project_id = projects::new_id("prj");
        sqlx::query("INSERT INTO projects (id, name, created_at) VALUES (?, 'Default', ?)")
            .bind(&project_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let owner_token = projects::issue_control_token(
            &mut *tx,
            &project_id,
            token_name,
            projects::Role::Owner,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Initialized {
            project_id,
            owner_token,
        })
    }

    /// Embedded mode: opens (or creates) the database and ensures the default
    /// project. On the very first launch the project's owner token is minted and
    /// handed back in-process (`owner_token`), once; afterwards the app reconnects with
    /// the token it keeps in the OS keychain, and only asks for a new one through
    /// [`Gateway::reissue_embedded_owner_token`].
    pub async fn open_embedded(
        data_dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<(Self, EmbeddedProject), Error> {
        let gateway = Self::open(&DatabaseLocation::DataDir(data_dir.to_owned()), true).await?;
        let project = match projects::default_project(&gateway.pool).await? {
            Some(project_id) => EmbeddedProject {
                project_id,
                owner_token: None,
            },
            None => {
                let initialized = gateway
                    .create_default_project(EMBEDDED_TOKEN_NAME, now)
                    .await?;
                EmbeddedProject {
                    project_id: initialized.project_id,
                    owner_token: Some(initialized.owner_token),
                }
            }
        };
        Ok((gateway, project))
    }

    /// A new owner token for the embedded console (its keychain entry was lost). Every
    /// earlier embedded token is revoked in the same transaction, so at most one is
    /// ever live; both steps are audited. (Two transactions: if the second fails the
    /// console has no token either way, and asking again recovers.)
    pub async fn reissue_embedded_owner_token(
        &self,
        project_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Secret, Error> {
        let actor = audit::Actor {
            id: "console".into(),
            label: "Keyward desktop (embedded gateway)".into(),
        };
        let mut tx = self.pool.begin_with(crate::WRITE_TX).await?;
        let revoked =
            projects::revoke_control_tokens_named(&mut *tx, project_id, EMBEDDED_TOKEN_NAME, now)
                .await?;
        if revoked > 0 {
            let event = audit::Event {
                project_id,
                action: "control_token.revoked",
                target_type: "control_token",
                target_id: EMBEDDED_TOKEN_NAME,
                changes: audit::change(
                    "status",
                    serde_json::json!("active"),
                    serde_json::json!("revoked"),
                ),
            };
            audit::record(&mut *tx, &actor, event, now).await?;
        }
        tx.commit().await?;
        let (_, owner_token) = projects::create_control_token_audited(
            &self.pool,
            project_id,
            EMBEDDED_TOKEN_NAME,
            projects::Role::Owner,
            &actor,
            now,
        )
        .await?;
        Ok(owner_token)
    }

    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let gateway = self.clone();
        self.while_serving(async move { gateway.serve_connections(listener, shutdown).await })
            .await
    }

    /// Runs `serving` with what goes with it: workloads are probed for as long as it
    /// runs, and when it has finished (in-flight requests included) their usage is
    /// written.
    async fn while_serving(
        &self,
        serving: impl Future<Output = std::io::Result<()>>,
    ) -> std::io::Result<()> {
        let prober = tokio::spawn(prober::run(self.clone()));
        let served = serving.await;
        prober.abort();
        self.final_flush().await;
        served
    }

    /// Accepts and serves connections on `listener` until `shutdown` resolves and the
    /// in-flight requests have finished.
    async fn serve_connections(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Responses are often written in two parts (head, then a proxied body): without
        // TCP_NODELAY the second can wait for the client's delayed ACK.
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY not set on an accepted connection");
            }
        });
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Everything in-flight has finished: write its usage before going.
    async fn final_flush(&self) {
        if let Err(error) = self.flush_usage().await {
            tracing::error!(%error, "final usage flush failed");
        }
    }
}

/// Closes idle upstream connections that expired or were closed by their upstream,
/// every 30 s while the gateway exists (busy upstreams are cleaned at checkout).
fn spawn_pool_sweeper(gateway: std::sync::Weak<Shared>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(gateway) = gateway.upgrade() else {
                break;
            };
            gateway.upstreams.sweep();
        }
    });
}

/// Flushes the meter every second while its gateway exists.
fn spawn_flusher(meter: std::sync::Weak<meter::Meter>, pool: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(meter::FLUSH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(meter) = meter.upgrade() else { break };
            if let Err(error) = meter.flush(&pool).await {
                tracing::error!(%error, "usage flush failed; retrying next second");
            }
        }
    });
}
