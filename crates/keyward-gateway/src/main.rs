//! The standalone `keyward-gateway` binary: `init` once, then `serve`; `migrate` before
//! starting replicas of a new version on a shared PostgreSQL database.
//!
//! `init` is the only command that prints a secret (the owner token, once, on stdout,
//! so it can be piped, and never through tracing, so never into a log or the journal);
//! `serve` logs requests without headers or bodies, and refuses a database that does not
//! exist with exit status 78 and the `init` command to run.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use keyward_gateway::{DatabaseLocation, Gateway, UpstreamOptions};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::num::{NonZeroU16, NonZeroUsize};
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: keyward_gateway::allocator::Allocator = keyward_gateway::allocator::Allocator;

#[derive(Parser)]
#[command(
    name = "keyward-gateway",
    version,
    about = "Keyward's inference-key control plane and data plane"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database, the default project and an owner control token.
    /// The token is printed once on stdout and never again.
    Init(Storage),
    /// Apply the schema migrations the database lacks (PostgreSQL: run once per upgrade,
    /// before the new version's replicas start; older replicas keep serving meanwhile).
    Migrate(Storage),
    /// Serve the control plane and data plane.
    Serve {
        #[command(flatten)]
        storage: Storage,
        /// Redis shared by replicas of one PostgreSQL database (redis://host:6379/0, or
        /// rediss:// for TLS): revocations, limits and probing then hold across all of
        /// them. Without it a gateway serves alone. A password belongs in
        /// KEYWARD_REDIS_URL (an environment file), not on the command line.
        #[arg(long, env = "KEYWARD_REDIS_URL", hide_env_values = true)]
        redis_url: Option<String>,
        /// Address to listen on.
        #[arg(long, env = "KEYWARD_LISTEN", default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Worker threads serving connections, each with its own runtime and listening
        /// socket (default: one per CPU the process may run on).
        #[arg(long, env = "KEYWARD_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
        workers: Option<u16>,
        /// Seconds a stop (SIGTERM, Ctrl-C) waits for in-flight requests; streams still
        /// open then are cut off and metered as broken. Below Docker's 10 s by default.
        #[arg(long, env = "KEYWARD_SHUTDOWN_GRACE_SECS", default_value_t = 8, value_parser = clap::value_parser!(u64).range(0..=3600))]
        shutdown_grace_secs: u64,
        #[command(flatten)]
        probing: Probing,
        #[command(flatten)]
        upstreams: Upstreams,
        #[command(flatten)]
        clients: Clients,
    },
}

/// How long clients may hold a connection without using it.
#[derive(Args)]
struct Clients {
    /// Seconds a client may take to send a request's headers, from their first byte;
    /// a slower one (slowloris) is disconnected.
    #[arg(long, env = "KEYWARD_HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout_secs: u64,
    /// Seconds a connection may stay idle (no request in flight, none arriving) before
    /// it is closed, whether fresh or kept alive after a request.
    #[arg(long, env = "KEYWARD_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    idle_timeout_secs: u64,
}

/// How upstream model servers are reached.
#[derive(Args)]
struct Upstreams {
    /// Seconds an upstream may stay silent: before its answer starts, and between two
    /// chunks of a stream (a whole generation may take longer).
    #[arg(long, env = "KEYWARD_UPSTREAM_READ_TIMEOUT_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=3600))]
    upstream_read_timeout_secs: u64,
    /// PEM file of CA certificates to trust for https upstreams, besides the public
    /// web PKI (e.g. a private CA in front of vLLM hosts).
    #[arg(long, env = "KEYWARD_UPSTREAM_CA_FILE")]
    upstream_ca_file: Option<PathBuf>,
}

/// How workloads are probed, and when they count as degraded or down.
#[derive(Args)]
struct Probing {
    /// Seconds between two probes of a workload (jittered ±10 %).
    #[arg(long, env = "KEYWARD_PROBE_INTERVAL_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    probe_interval_secs: u64,
    /// Milliseconds a health check or metrics scrape may take.
    #[arg(long, env = "KEYWARD_PROBE_TIMEOUT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(50..=60000))]
    probe_timeout_ms: u64,
    /// Health checks timed out in a row before a workload is down.
    #[arg(long, env = "KEYWARD_DOWN_AFTER_TIMEOUTS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    down_after_timeouts: u32,
    /// KV cache usage (0–1) that, sustained, makes a workload degraded.
    #[arg(long, env = "KEYWARD_KV_CACHE_DEGRADED", default_value_t = 0.95)]
    kv_cache_degraded: f64,
    /// Minutes the KV cache must stay that high.
    #[arg(long, env = "KEYWARD_KV_CACHE_MINUTES", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=1440))]
    kv_cache_minutes: i64,
    /// Requests waiting per request running (vLLM's queue) above which, sustained, a
    /// workload is degraded.
    #[arg(long, env = "KEYWARD_QUEUE_DEGRADED", default_value_t = 1.0)]
    queue_degraded: f64,
    /// Minutes the queue must stay that long, at every probe.
    #[arg(long, env = "KEYWARD_QUEUE_MINUTES", default_value_t = 2, value_parser = clap::value_parser!(i64).range(1..=1440))]
    queue_minutes: i64,
    /// GPU temperature (°C) from which a workload is degraded.
    #[arg(long, env = "KEYWARD_GPU_TEMP_DEGRADED_C", default_value_t = 90.0)]
    gpu_temp_degraded_c: f64,
}

#[derive(Args)]
struct Storage {
    /// Directory holding the gateway's SQLite database (keyward-gateway.db).
    #[arg(long, env = "KEYWARD_DATA_DIR", default_value = "./keyward-data")]
    data_dir: PathBuf,
    /// Database URL (overrides --data-dir): sqlite:///var/lib/keyward/gateway.db, or
    /// postgres://keyward@db.internal/keyward for replicas sharing one database. Give a
    /// password through KEYWARD_DATABASE_URL (an environment file), not this flag: a
    /// command line is readable by every user of the machine.
    #[arg(long, env = "KEYWARD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl Storage {
    fn location(self) -> DatabaseLocation {
        match self.database_url {
            Some(url) => DatabaseLocation::Url(url),
            None => DatabaseLocation::DataDir(self.data_dir),
        }
    }
}

/// `serve`'s exit status when its database does not exist (sysexits' EX_CONFIG): the
/// systemd unit lists it in RestartPreventExitStatus=, since restarting cannot create it.
const EXIT_NOT_INITIALIZED: i32 = 78;

/// The `init` command for the database `storage` names, as the user now running (systemd
/// sets USER from a unit's User=, so under the packaged unit this reads `sudo -u
/// keyward-gateway …`), with the data directory made absolute so it can be pasted anywhere.
fn init_command(storage: &Storage) -> String {
    let target = match &storage.database_url {
        Some(url) => format!("--database-url {url}"),
        None => {
            let dir =
                std::path::absolute(&storage.data_dir).unwrap_or_else(|_| storage.data_dir.clone());
            format!("--data-dir {}", dir.display())
        }
    };
    match std::env::var("USER") {
        Ok(user) if !user.is_empty() && user != "root" => {
            format!("sudo -u {user} keyward-gateway init {target}")
        }
        _ => format!("keyward-gateway init {target}"),
    }
}

// The workers serving connections have runtimes of their own (workers.rs); this one
// runs start-up, probing and the usage flush.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("KEYWARD_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours for a terminal only: under systemd stderr is the journal, where escape
        // codes would show as `ESC[2m…` in `journalctl -u keyward-gateway`.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    warn_of_password_in_argv();
    match Cli::parse().command {
        Command::Migrate(storage) => {
            let location = storage.location();
            let applied = Gateway::migrate(&location).await?;
            match applied {
                0 => eprintln!("The database is up to date; nothing to apply."),
                n => eprintln!("Applied {n} migration(s)."),
            }
        }
        Command::Init(storage) => {
            let initialized = Gateway::init(&storage.location(), chrono::Utc::now()).await?;
            eprintln!(
                "Initialized project {}. The owner control token follows; it is shown only this once:",
                initialized.project_id
            );
            println!("{}", initialized.owner_token.expose());
        }
        Command::Serve {
            storage,
            redis_url,
            listen,
            workers,
            shutdown_grace_secs,
            probing,
            upstreams,
            clients,
        } => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&probing.kv_cache_degraded),
                "--kv-cache-degraded must be between 0 and 1"
            );
            anyhow::ensure!(
                probing.queue_degraded.is_finite() && (0.0..=10_000.0).contains(&probing.queue_degraded),
                "--queue-degraded must be between 0 and 10000 (requests waiting per request running)"
            );
            let mut options = UpstreamOptions {
                read_timeout: std::time::Duration::from_secs(upstreams.upstream_read_timeout_secs),
                ..UpstreamOptions::default()
            };
            if let Some(path) = &upstreams.upstream_ca_file {
                let count = options.trust_pem_file(path).context("--upstream-ca-file")?;
                tracing::info!(path = %path.display(), count, "trusting upstream CA certificates");
            }
            let init = init_command(&storage);
            let gateway = match Gateway::open_with(&storage.location(), false, options).await {
                Err(keyward_gateway::Error::NotInitialized { location }) => {
                    eprintln!(
                        "keyward-gateway: {location} does not exist yet. Create it once, as \
                         the user the gateway runs as, with\n  {init}\nwhich prints the owner \
                         token to your terminal; then start the gateway again."
                    );
                    std::process::exit(EXIT_NOT_INITIALIZED);
                }
                Err(error @ keyward_gateway::Error::NotMigrated { .. }) => {
                    eprintln!("keyward-gateway: {error}.");
                    std::process::exit(EXIT_NOT_INITIALIZED);
                }
                opened => opened?,
            };
            if let Some(url) = &redis_url {
                gateway.join_cluster(url).await?;
                tracing::info!(redis = %keyward_gateway::redact_url(url), "sharing revocations, limits and probing with the other replicas");
            }
            let timeouts = gateway.connection_timeouts();
            timeouts.set_header_read(std::time::Duration::from_secs(
                clients.header_read_timeout_secs,
            ));
            timeouts.set_idle(std::time::Duration::from_secs(clients.idle_timeout_secs));
            let config = gateway.probe_config();
            config.set_interval(std::time::Duration::from_secs(probing.probe_interval_secs));
            config.set_timeout(std::time::Duration::from_millis(probing.probe_timeout_ms));
            config.set_thresholds(keyward_gateway::health::Thresholds {
                down_after_timeouts: probing.down_after_timeouts,
                kv_cache_degraded: probing.kv_cache_degraded,
                kv_cache_for: chrono::Duration::minutes(probing.kv_cache_minutes),
                queue_degraded: probing.queue_degraded,
                queue_for: chrono::Duration::minutes(probing.queue_minutes),
                gpu_temp_degraded_c: probing.gpu_temp_degraded_c,
            });
            let workers = match workers {
                Some(workers) => NonZeroUsize::from(NonZeroU16::try_from(workers)?),
                None => std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            };
            let listeners = keyward_gateway::workers::bind(listen, workers)
                .with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(
                address = %listeners[0].local_addr()?,
                workers,
                "keyward-gateway listening"
            );
            let grace = std::time::Duration::from_secs(shutdown_grace_secs);
            gateway
                .serve_workers(listeners, stop_requested(), grace)
                .await?;
            tracing::info!("keyward-gateway stopped; usage written");
        }
    }
    Ok(())
}

/// A password given with `--database-url` or `--redis-url` on the command line is
/// visible in `ps` to every user: say so (without repeating it) and where to put it.
fn warn_of_password_in_argv() {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        for (flag, variable) in [
            ("--database-url", "KEYWARD_DATABASE_URL"),
            ("--redis-url", "KEYWARD_REDIS_URL"),
        ] {
            let url = match arg.strip_prefix(flag) {
                Some(rest) if rest.starts_with('=') => rest[1..].to_owned(),
                Some("") => args.next().unwrap_or_default(),
                _ => continue,
            };
            if keyward_gateway::redact_url(&url) != url {
                eprintln!(
                    "keyward-gateway: warning: {flag} holds a password, which every user of \
                     this machine can read in the process list; set {variable} in the \
                     service's environment file instead."
                );
            }
        }
    }
}

/// Resolves on Ctrl-C, or on SIGTERM (what systemd, Docker and Kubernetes send): either
/// way in-flight requests finish and their usage is written before the process exits.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops gracefully");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("stopping: finishing in-flight requests");
}
