//! How a gateway is configured before it opens: where its database lives, how it talks
//! to upstreams, and the errors of opening it. The binary's flags and the desktop app
//! both build these; nothing here touches a running gateway.

use sqlx::sqlite::SqliteConnectOptions;
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
    pub(crate) fn options(&self) -> Result<SqliteConnectOptions, Error> {
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

    pub(crate) fn describe(&self) -> String {
        match self {
            DatabaseLocation::DataDir(dir) => dir.join(DATABASE_FILE).display().to_string(),
            DatabaseLocation::Url(url) => url.clone(),
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
