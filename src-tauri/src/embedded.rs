//! The embedded keyward-gateway: started in-process on 127.0.0.1 with a free port,
//! its SQLite database in the app data directory.
//!
//! The owner token is handed over in memory (`Gateway::open_embedded`), never written
//! to disk or printed; each launch revokes the previous launch's token.

use keyward_api::Secret;
use keyward_core::Profile;
use keyward_gateway::Gateway;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tauri::Manager;
use tokio::sync::oneshot;

/// Overrides the data directory (tests, portable installs).
const DATA_DIR_ENV: &str = "KEYWARD_DATA_DIR";

pub struct EmbeddedGateway {
    pub profile: Profile,
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

impl EmbeddedGateway {
    /// Asks the server to finish in-flight requests and stop.
    pub fn stop(&self) {
        if let Some(stop) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
    }
}

pub fn data_dir(app: &tauri::AppHandle) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV) {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?.join("gateway"))
}

pub async fn start(data_dir: &Path) -> Result<EmbeddedGateway, Box<dyn std::error::Error>> {
    let (gateway, initialized) = Gateway::open_embedded(data_dir, chrono::Utc::now()).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    tauri::async_runtime::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(error) = gateway.serve(listener, shutdown).await {
            tracing::error!(%error, "embedded gateway stopped");
        }
    });
    tracing::info!(%addr, dir = %data_dir.display(), "embedded gateway listening");
    Ok(EmbeddedGateway {
        profile: Profile {
            id: "local".into(),
            name: "Local".into(),
            base_url: format!("http://{addr}"),
            project_id: initialized.project_id,
            token: Secret::new(initialized.owner_token.expose().to_owned()),
        },
        stop: Mutex::new(Some(stop)),
    })
}
