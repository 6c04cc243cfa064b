//! The embedded keyward-gateway: started in-process on 127.0.0.1, its SQLite database
//! in the app data directory, registered as the profile "Local".
//!
//! The owner token is minted once, on the first launch, and goes straight from the
//! gateway into the OS keychain (through the console's profile store); later launches
//! reconnect with the stored token. If that keychain entry is lost, the console says so
//! and [`EmbeddedGateway::reissue_owner_token`] mints a new one, revoking the old.
//!
//! The gateway listens on the port it used last time when that port is free, so the
//! base URL that SDK users paste stays the same across launches.

use keyward_api::Secret;
use keyward_core::console::LocalStatus;
use keyward_core::ErrorCode;
use keyward_core::{Console, Error};
use keyward_gateway::Gateway;
use std::path::Path;
use std::sync::Mutex;
use tokio::sync::oneshot;

pub struct EmbeddedGateway {
    gateway: Gateway,
    pub base_url: String,
    pub project_id: String,
    /// `None` when the keychain refused; the console holds the reason.
    pub local_status: Option<LocalStatus>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

impl EmbeddedGateway {
    /// Asks the server to finish in-flight requests and stop.
    pub fn stop(&self) {
        if let Some(stop) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
    }

    /// A new owner token for Local, revoking every earlier embedded token.
    pub async fn reissue_owner_token(&self) -> Result<Secret, Error> {
        self.gateway
            .reissue_embedded_owner_token(&self.project_id, chrono::Utc::now())
            .await
            .map_err(gateway_error)
    }
}

fn gateway_error(error: keyward_gateway::Error) -> Error {
    tracing::error!(%error, "embedded gateway");
    Error::new(
        ErrorCode::Internal,
        format!("The embedded gateway failed: {error}."),
    )
}

/// The port Local used last time, if any.
fn previous_port(base_url: &str) -> Option<u16> {
    base_url.rsplit(':').next()?.parse().ok()
}

/// Opens the gateway's database under `data_dir`, starts serving, and creates or
/// refreshes the Local profile in `console`.
pub async fn start(data_dir: &Path, console: &Console) -> Result<EmbeddedGateway, Error> {
    let now = chrono::Utc::now();
    let (gateway, project) = Gateway::open_embedded(data_dir, now)
        .await
        .map_err(gateway_error)?;
    // Debug builds only: the e2e tests probe faster than the 10 s default.
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("KEYWARD_PROBE_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        gateway
            .probe_config()
            .set_interval(std::time::Duration::from_millis(ms));
    }
    let previous = console
        .store()
        .find(keyward_core::console::LOCAL_PROFILE_ID)
        .await?
        .and_then(|local| previous_port(&local.base_url));
    let listener = match previous {
        Some(port) => match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::info!(port, %error, "last launch's port is taken; using a free one");
                bind_any().await?
            }
        },
        None => bind_any().await?,
    };
    let addr = listener.local_addr().map_err(io_error)?;
    let base_url = format!("http://{addr}");

    let first_token = project.owner_token;
    let minting = gateway.clone();
    let project_id = project.project_id.clone();
    let local_status = console
        .ensure_local(&base_url, &project.project_id, now, || async move {
            match first_token {
                Some(token) => Ok(token),
                // A gateway that already has its project but no Local profile (the
                // console database was removed): mint a replacement, revoking the old.
                None => minting
                    .reissue_embedded_owner_token(&project_id, now)
                    .await
                    .map_err(gateway_error),
            }
        })
        .await;
    let local_status = match local_status {
        Ok(status) => Some(status),
        // No keychain, or it is locked: the gateway still runs, and the console shows
        // why Local is unavailable, with a way to retry.
        Err(error) if error.code.is_keychain() => {
            tracing::warn!(%error, "the Local profile is unavailable");
            None
        }
        Err(error) => return Err(error),
    };

    let (stop, stopped) = oneshot::channel::<()>();
    let serving = gateway.clone();
    tauri::async_runtime::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(error) = serving.serve(listener, shutdown).await {
            tracing::error!(%error, "embedded gateway stopped");
        }
    });
    tracing::info!(%addr, dir = %data_dir.display(), ?local_status, "embedded gateway listening");
    Ok(EmbeddedGateway {
        gateway,
        base_url,
        project_id: project.project_id,
        local_status,
        stop: Mutex::new(Some(stop)),
    })
}

async fn bind_any() -> Result<tokio::net::TcpListener, Error> {
    tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(io_error)
}

fn io_error(error: std::io::Error) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!("The embedded gateway cannot listen on 127.0.0.1: {error}."),
    )
}
