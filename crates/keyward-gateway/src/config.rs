//! How a gateway is configured before it opens: where its database lives, how it talks
//! to upstreams, and the errors of opening it. The binary's flags and the desktop app
//! both build these; nothing here touches a running gateway.

use crate::db::Db;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The file name of the database inside a data directory.
pub const DATABASE_FILE: &str = "keyward-gateway.db";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the database {location} does not exist; run `keyward-gateway init` first")]
    NotInitialized { location: String },
    #[error("the gateway at {location} is already initialized; its owner token was shown when it was created")]
    AlreadyInitialized { location: String },
    #[error("invalid database URL {url}: {source}")]
    DatabaseUrl { url: String, source: sqlx::Error },
    #[error("the database URL {url} is neither sqlite: nor postgres:")]
    DatabaseScheme { url: String },
    #[error("the database {location} has {pending} migration(s) this gateway needs and that are not applied; run `keyward-gateway migrate` first")]
    NotMigrated { location: String, pending: usize },
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot reach Redis at {url}: {reason}")]
    Redis { url: String, reason: String },
    #[error("--redis-url joins replicas that share one PostgreSQL database; this gateway runs on SQLite, which only one gateway can use")]
    ClusterNeedsPostgres,
    #[error("this gateway already joined its replicas' Redis")]
    ClusterJoinedTwice,
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

/// Where the gateway keeps its data: a data directory (holding [`DATABASE_FILE`]), an
/// explicit `sqlite:` URL, or a `postgres://` URL (several replicas share one).
#[derive(Debug, Clone)]
pub enum DatabaseLocation {
    DataDir(PathBuf),
    Url(String),
}

/// Connections to PostgreSQL per gateway process: the control plane, the flush and the
/// prober share them, and the data plane reads only on a key-cache miss. Ten replicas
/// stay well inside PostgreSQL's default of 100 connections.
pub(crate) const POSTGRES_CONNECTIONS: u32 = 8;

impl DatabaseLocation {
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseLocation::Url(url) if url.starts_with("postgres://") || url.starts_with("postgresql://"))
    }

    /// Opens a pool on the database. SQLite: creates the file when `create` is set,
    /// and refuses a missing one otherwise (`init` first). PostgreSQL: the database
    /// must exist (its administrator creates it and the role).
    pub(crate) async fn connect(&self, create: bool) -> Result<Db, Error> {
        if self.is_postgres() {
            let DatabaseLocation::Url(url) = self else {
                unreachable!("only a URL names PostgreSQL")
            };
            let options = PgConnectOptions::from_str(url).map_err(|source| Error::DatabaseUrl {
                url: redact_url(url),
                source,
            })?;
            // All connections are opened here, on the runtime opening the gateway, and
            // kept for good: a connection's socket belongs to the runtime that opened it,
            // and one opened by a request on a worker's runtime dies with that worker at
            // a stop, failing the final usage flush ("context being shutdown"). Only a
            // connection lost to a database restart is reopened by whoever needs it.
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS)
                .min_connections(POSTGRES_CONNECTIONS)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options.application_name("keyward-gateway"))
                .await?;
            let opened = futures_util::future::try_join_all(
                (0..POSTGRES_CONNECTIONS).map(|_| pool.acquire()),
            )
            .await?;
            drop(opened);
            return Ok(Db::Postgres(pool));
        }
        if !create && self.file().is_some_and(|f| !f.exists()) {
            return Err(Error::NotInitialized {
                location: self.describe(),
            });
        }
        let options = self
            .sqlite_options()?
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // Control-plane writes (a revoke, a new key) must survive a power cut once
            // acknowledged: FULL syncs the WAL at every commit.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    fn sqlite_options(&self) -> Result<SqliteConnectOptions, Error> {
        match self {
            DatabaseLocation::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| Error::DataDir {
                    path: dir.clone(),
                    source,
                })?;
                Ok(SqliteConnectOptions::new().filename(dir.join(DATABASE_FILE)))
            }
            DatabaseLocation::Url(url) if url.starts_with("sqlite:") => {
                SqliteConnectOptions::from_str(url).map_err(|source| Error::DatabaseUrl {
                    url: url.clone(),
                    source,
                })
            }
            DatabaseLocation::Url(url) => Err(Error::DatabaseScheme {
                url: redact_url(url),
            }),
        }
    }

    /// The database for messages: a file path, or the URL without its password.
    pub(crate) fn describe(&self) -> String {
        match self {
            DatabaseLocation::DataDir(dir) => dir.join(DATABASE_FILE).display().to_string(),
            DatabaseLocation::Url(url) => redact_url(url),
        }
    }

    pub(crate) fn file(&self) -> Option<PathBuf> {
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

/// A database URL fit for a message or a log: its password (`user:secret@`, or a
/// `password=` parameter) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    };
    if let Some(start) = out.find("password=") {
        let value = start + "password=".len();
        let end = out[value..].find('&').map_or(out.len(), |e| value + e);
        out.replace_range(value..end, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            redact_url("postgres://kw:s3cr@t@db.internal:5432/keyward"),
            "postgres://kw:***@db.internal:5432/keyward"
        );
        assert_eq!(
            redact_url("postgres://db/keyward?user=kw&password=hunter2&sslmode=require"),
            "postgres://db/keyward?user=kw&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://kw@db/keyward"),
            "postgres://kw@db/keyward"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/keyward/gateway.db"),
            "sqlite:///var/lib/keyward/gateway.db"
        );
    }
}
