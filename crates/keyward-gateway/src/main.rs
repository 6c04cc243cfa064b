//! The standalone `keyward-gateway` binary: `init` once, then `serve`.
//!
//! `init` is the only command that prints a secret (the owner token, once, on stdout,
//! so it can be piped); `serve` logs requests without headers or bodies.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use keyward_gateway::{DatabaseLocation, Gateway};
use std::net::SocketAddr;
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

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
    /// Serve the control plane and data plane.
    Serve {
        #[command(flatten)]
        storage: Storage,
        /// Address to listen on.
        #[arg(long, env = "KEYWARD_LISTEN", default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
    },
}

#[derive(Args)]
struct Storage {
    /// Directory holding the gateway's SQLite database (keyward-gateway.db).
    #[arg(
        long,
        env = "KEYWARD_DATA_DIR",
        default_value = "./keyward-data",
        conflicts_with = "database_url"
    )]
    data_dir: PathBuf,
    /// SQLite database URL, e.g. sqlite:///var/lib/keyward/gateway.db (overrides --data-dir).
    #[arg(long, env = "KEYWARD_DATABASE_URL")]
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("KEYWARD_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Init(storage) => {
            let initialized = Gateway::init(&storage.location(), chrono::Utc::now()).await?;
            eprintln!(
                "Initialized project {}. The owner control token follows; it is shown only this once:",
                initialized.project_id
            );
            println!("{}", initialized.owner_token.expose());
        }
        Command::Serve { storage, listen } => {
            let gateway = Gateway::open(&storage.location(), false).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, "keyward-gateway listening");
            gateway
                .serve(listener, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
    }
    Ok(())
}
