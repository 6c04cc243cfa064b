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
pub mod keys;
pub mod projects;
mod routes;

pub use routes::openapi;

use chrono::{DateTime, Utc};
use keyward_api::Secret;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Largest accepted request body.
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

/// A running gateway's shared state. Cheap to clone: it is a pool handle.
#[derive(Clone)]
pub struct Gateway {
    pool: SqlitePool,
}

impl Gateway {
    /// Opens the database, creating it when `create` is set, and applies migrations.
    pub async fn open(location: &DatabaseLocation, create: bool) -> Result<Self, Error> {
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
        Ok(Self { pool })
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
        let mut tx = self.pool.begin().await?;
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

    /// Embedded mode: opens (or creates) the database, ensures the default project,
    /// and hands the app an owner token in-process. The previous launch's token is
    /// revoked in the same transaction, so at most one embedded token is ever live.
    pub async fn open_embedded(
        data_dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<(Self, Initialized), Error> {
        let gateway = Self::open(&DatabaseLocation::DataDir(data_dir.to_owned()), true).await?;
        let Some(project_id) = projects::default_project(&gateway.pool).await? else {
            let initialized = gateway
                .create_default_project(EMBEDDED_TOKEN_NAME, now)
                .await?;
            return Ok((gateway, initialized));
        };
        let mut tx = gateway.pool.begin().await?;
        projects::revoke_control_tokens_named(&mut *tx, &project_id, EMBEDDED_TOKEN_NAME, now)
            .await?;
        let owner_token = projects::issue_control_token(
            &mut *tx,
            &project_id,
            EMBEDDED_TOKEN_NAME,
            projects::Role::Owner,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((
            gateway,
            Initialized {
                project_id,
                owner_token,
            },
        ))
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
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}
