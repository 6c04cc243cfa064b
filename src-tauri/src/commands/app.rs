//! The app's own facts: which build is running. The About section shows them so a
//! person can tell support exactly what they run, in the same words `kw --version`
//! uses (both read `keyward-version`).

use serde::Serialize;

/// The version and commit this build came from.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppVersion {
    /// The workspace version, e.g. `0.1.0`.
    pub version: String,
    /// The short commit hash, or `unknown` for a build outside a git checkout.
    pub commit: String,
}

/// The running build's version and commit.
#[tauri::command]
#[specta::specta]
pub fn app_version() -> AppVersion {
    AppVersion {
        version: keyward_version::VERSION.to_owned(),
        commit: keyward_version::COMMIT.to_owned(),
    }
}
