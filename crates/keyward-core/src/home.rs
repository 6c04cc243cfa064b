//! Where the desktop app keeps its console: one rule for the data directory, the
//! database in it and the keychain service, so `kw` opens exactly the app's profiles.
//!
//! The app (Tauri) names its data directory after its identifier
//! (`dev.keyward.console`, from `src-tauri/tauri.conf.json`) under the platform's data
//! directory — `$XDG_DATA_HOME` (`~/.local/share`) on Linux, `~/Library/Application
//! Support` on macOS, the roaming AppData folder on Windows — which is what
//! [`dirs::data_dir`] returns; `KEYWARD_DATA_DIR` overrides it (tests, portable
//! installs). Tokens live in the OS keychain under the same identifier. The app's
//! start-up and `kw` both use this module, so the two can never disagree (a test in
//! `src-tauri` checks the identifier against `tauri.conf.json`).

use crate::keychain::Keychain;
use crate::profiles::ProfileStore;
use crate::{Console, Error, ErrorCode, Http};
use std::path::{Path, PathBuf};

/// The desktop app's identifier: its data directory's name and its keychain service.
pub const APP_IDENTIFIER: &str = "dev.keyward.console";
/// Overrides the data directory, as it does for the app.
pub const DATA_DIR_ENV: &str = "KEYWARD_DATA_DIR";
/// Debug builds only, as in the app: another identifier (the e2e tests' own keychain
/// service), so a test never touches a person's entries.
pub const IDENTIFIER_ENV: &str = "KEYWARD_APP_IDENTIFIER";
/// The console database's file name in the data directory.
pub const CONSOLE_DB: &str = "console.db";

/// The identifier in effect: the app's, or in a debug build `KEYWARD_APP_IDENTIFIER`.
pub fn identifier() -> String {
    if cfg!(debug_assertions) {
        if let Ok(id) = std::env::var(IDENTIFIER_ENV) {
            if !id.trim().is_empty() {
                return id;
            }
        }
    }
    APP_IDENTIFIER.to_owned()
}

/// The app's data directory for `identifier`: `KEYWARD_DATA_DIR`, else the platform's
/// data directory joined with the identifier.
pub fn data_dir(identifier: &str) -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|base| base.join(identifier))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                format!("Keyward cannot tell where this system keeps application data; set {DATA_DIR_ENV} to the Keyward data directory."),
            )
        })
}

/// Opens the console on `dir`'s database with `identifier`'s keychain entries, as the
/// app does, and restores the profile the app had active.
pub async fn open_console(dir: &Path, identifier: &str) -> Result<Console, Error> {
    // Without a keychain the profiles still list; each token then fails in words.
    let _ = crate::keychain::use_platform_store();
    let store = ProfileStore::open(&dir.join(CONSOLE_DB), Keychain::new(identifier)).await?;
    let console = Console::new(store, Http::new());
    console.restore_active().await?;
    Ok(console)
}
