//! keyward-gateway: the control plane and data plane Keyward ships as its default.
//!
//! The desktop app runs it in-process on loopback; the same library builds the
//! standalone `keyward-gateway` binary for a team's host. State is one SQLite pool
//! (WAL, migrations embedded), cloned into every handler; nothing else is shared.
//!
//! Secrets are minted here and leave in exactly one response each; the database keeps
//! only their SHA-256.
//!
//! This file holds the shared state ([`Gateway`]) and opening it; `config` is what it
//! is opened with, `embedded` the desktop app's in-process use, `serve` running it.

pub mod allocator;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod cluster;
mod config;
pub mod connections;
pub mod db;
mod embedded;
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
mod serve;
pub mod usage;
pub mod workers;
pub mod workloads;

pub use clock::Clock;
pub use config::{redact_url, DatabaseLocation, Error, UpstreamOptions, DATABASE_FILE};
pub use embedded::{EmbeddedProject, EMBEDDED_TOKEN_NAME};
pub use routes::openapi;

use chrono::{DateTime, Utc};
use db::Db;
use keyward_api::Secret;
use std::time::Duration;

/// The hasher of the gateway's in-memory maps (key and workload caches, limiters, the
/// meter, upstream pools), all read on every data-plane request: foldhash, seeded per
/// process, instead of std's SipHash, which was ~2 % of the proxy's instructions.
/// Their keys are ids, hashes and URLs the gateway itself issued or stored.
pub(crate) type FastHash = foldhash::fast::RandomState;

/// Largest accepted request body.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;
pub(crate) const BODY_LIMIT_LABEL: &str = "1 MiB";

/// The schema, once per engine: the same versions and names, each in its own dialect.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-postgres");

fn migrations(db: &Db) -> &'static sqlx::migrate::Migrator {
    if db.is_sqlite() {
        &SQLITE_MIGRATIONS
    } else {
        &POSTGRES_MIGRATIONS
    }
}

/// Applies every migration the database lacks. On PostgreSQL sqlx holds an advisory
/// lock meanwhile, so replicas starting together apply each migration once.
async fn migrate(db: &Db) -> Result<usize, Error> {
    let before = pending_migrations(db).await?;
    match db {
        Db::Sqlite(pool) => migrations(db).run(pool).await?,
        Db::Postgres(pool) => migrations(db).run(pool).await?,
    }
    Ok(before)
}

/// Migrations this build knows that the database has not applied. Migrations the
/// database has and this build does not know (a newer replica migrated during a
/// rolling upgrade) are not counted: each migration only adds, so older replicas keep
/// working on the newer schema.
async fn pending_migrations(db: &Db) -> Result<usize, Error> {
    use sqlx::migrate::Migrate;
    let applied = match db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            conn.ensure_migrations_table().await?;
            conn.list_applied_migrations().await?
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            conn.ensure_migrations_table().await?;
            conn.list_applied_migrations().await?
        }
    };
    Ok(migrations(db)
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .count())
}

/// What `init` made: the default project and its owner token, to be shown once.
#[derive(Debug)]
pub struct Initialized {
    pub project_id: String,
    pub owner_token: Secret,
}

/// A running gateway's shared state. Cheap to clone — one reference count: axum clones
/// the state for every request, and nine handles (pool, caches, meter, clients) were
/// nine counts to bump and drop on the data plane's hot path.
#[derive(Clone)]
pub struct Gateway(std::sync::Arc<Shared>);

#[doc(hidden)]
pub struct Shared {
    pool: Db,
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
    connection_timeouts: connections::ConnectionTimeouts,
    clock: Clock,
    /// The replicas' shared Redis, once joined ([`Gateway::join_cluster`]).
    cluster: std::sync::OnceLock<cluster::Cluster>,
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
        Self::open_with_clock(location, create, upstreams, Clock::System).await
    }

    /// [`Gateway::open_with`], reading "now" from `clock` (a manual one in tests).
    pub async fn open_with_clock(
        location: &DatabaseLocation,
        create: bool,
        upstreams: UpstreamOptions,
        clock: Clock,
    ) -> Result<Self, Error> {
        let pool = location.connect(create).await?;
        if create || pool.is_sqlite() {
            migrate(&pool).await?;
        } else {
            let pending = pending_migrations(&pool).await?;
            if pending > 0 {
                return Err(Error::NotMigrated {
                    location: location.describe(),
                    pending,
                });
            }
        }
        let meter = std::sync::Arc::new(meter::Meter::default());
        serve::spawn_flusher(std::sync::Arc::downgrade(&meter), pool.clone());
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
            connection_timeouts: Default::default(),
            clock,
            cluster: std::sync::OnceLock::new(),
        }));
        serve::spawn_pool_sweeper(std::sync::Arc::downgrade(&gateway.0));
        Ok(gateway)
    }

    /// Joins the replicas that share this gateway's PostgreSQL database through Redis
    /// (`--redis-url`): from now on revocations, limits and probing are shared (see
    /// `cluster`). Before serving; a second call is refused.
    pub async fn join_cluster(&self, redis_url: &str) -> Result<(), Error> {
        if self.pool.is_sqlite() {
            return Err(Error::ClusterNeedsPostgres);
        }
        let joined = cluster::Cluster::connect(redis_url)
            .await
            .map_err(|error| Error::Redis {
                url: config::redact_url(redis_url),
                reason: error.to_string(),
            })?;
        self.cluster
            .set(joined)
            .map_err(|_| Error::ClusterJoinedTwice)
    }

    /// The shared Redis, when this gateway is one of several replicas.
    pub fn cluster(&self) -> Option<&cluster::Cluster> {
        self.cluster.get()
    }

    /// A key changed (its transaction committed): forget it here and have every replica
    /// reload it at its next request, before the change is reported done.
    pub(crate) async fn key_changed(&self, key_id: &str) -> Result<(), cluster::Unavailable> {
        self.key_cache.invalidate(key_id);
        match self.cluster() {
            Some(cluster) => cluster.key_changed(key_id).await,
            None => Ok(()),
        }
    }

    /// Many keys' scopes changed at once (a workload renamed).
    pub(crate) async fn all_keys_changed(&self) -> Result<(), cluster::Unavailable> {
        self.key_cache.invalidate_all();
        match self.cluster() {
            Some(cluster) => cluster.all_keys_changed().await,
            None => Ok(()),
        }
    }

    /// A project's workloads changed: every replica rereads them.
    pub(crate) async fn workloads_changed(
        &self,
        project_id: &str,
    ) -> Result<(), cluster::Unavailable> {
        self.workload_cache.invalidate(project_id);
        match self.cluster() {
            Some(cluster) => cluster.workloads_changed(project_id).await,
            None => Ok(()),
        }
    }

    /// For a control-plane read of a project's workloads through the data plane's
    /// cache: across replicas, the project's change counter now (so the answer is not
    /// older than any change); `None` on a single node.
    pub(crate) async fn observed_workloads(
        &self,
        project_id: &str,
    ) -> Result<Option<Option<i64>>, cluster::Unavailable> {
        match self.cluster() {
            Some(cluster) => Ok(Some(cluster.workloads_version(project_id).await?)),
            None => Ok(None),
        }
    }

    /// The time now, by the gateway's clock: every expiry, grace period, budget and
    /// health window is judged by it.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
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

    /// How long clients may take over a request head, and stay idle between requests
    /// (`--header-read-timeout-secs`, `--idle-timeout-secs`).
    pub fn connection_timeouts(&self) -> &connections::ConnectionTimeouts {
        &self.connection_timeouts
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

    /// The database, on whichever engine it was opened.
    pub fn pool(&self) -> &Db {
        &self.pool
    }

    /// `keyward-gateway migrate`: applies the migrations the database lacks and
    /// returns how many. Safe while replicas serve: migrations only add (see
    /// [`pending_migrations`]), and concurrent runs apply each one once.
    pub async fn migrate(location: &DatabaseLocation) -> Result<usize, Error> {
        let pool = location.connect(false).await?;
        let applied = migrate(&pool).await;
        pool.close().await;
        applied
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
        let mut tx = self.pool.begin_write().await?;
        let project_id = projects::new_id("prj");
        db::on!(&mut tx, |e| sqlx::query(
            "INSERT INTO projects (id, name, created_at) VALUES ($1, 'Default', $2)"
        )
        .bind(&project_id)
        .bind(now)
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
        let owner_token = projects::issue_control_token(
            &mut tx,
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
}
