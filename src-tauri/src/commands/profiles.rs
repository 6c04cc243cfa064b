//! Profile commands. For now the one profile is the embedded gateway, "Local".

use keyward_core::profile::ProfileView;
use keyward_core::{Error, Profile};
use tauri::State;

/// The active connection profile, without its token. Fallible like every command,
/// so the UI has one failure path (profiles loaded from the keychain can fail).
#[tauri::command]
#[specta::specta]
pub fn active_profile(profile: State<'_, Profile>) -> Result<ProfileView, Error> {
    Ok(profile.view())
}
