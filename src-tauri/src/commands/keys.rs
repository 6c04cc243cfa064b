//! Key commands: validate the input, make one call to the active profile's platform
//! (keyward-core's [`keyward_core::Platform`]), return the neutral model. A new secret (create, rotate) goes into the reveal vault and to the UI
//! once; copy reads it from the vault, close drops it. A pasted leaked secret stays in
//! the console's leak slot. No command returns a secret after its panel closes.

use keyward_api::Secret;
use keyward_core::console::{BulkRevokeReport, LeakRevocation, LeakSearch};
use keyward_core::key_draft::{KeyDraft, KeyDraftCheck};
use keyward_core::keys::{validate_key_id, KeyForm, KeyListQuery};
use keyward_core::platform::model::{
    AuditTrail, Key, KeyActivity, KeyPage, ProjectLimits, ProjectRef, WorkloadRef,
};
use keyward_core::ErrorCode;
use keyward_core::{Console, Error, Reveal, RevealVault};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tauri::State;
use tauri_plugin_clipboard_manager::ClipboardExt;

/// What `create_key` and `rotate_key` return: the key and its one-time reveal.
#[derive(Debug, Serialize, specta::Type)]
pub struct CreatedKeyView {
    pub key: Key,
    pub reveal: Reveal,
}

#[tauri::command]
#[specta::specta]
pub async fn list_keys(query: KeyListQuery, console: State<'_, Console>) -> Result<KeyPage, Error> {
    let (profile, platform) = console.active_platform().await?;
    platform.list_keys(&profile, &query).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_key(key_id: String, console: State<'_, Console>) -> Result<Key, Error> {
    validate_key_id(&key_id)?;
    let (profile, platform) = console.active_platform().await?;
    platform.get_key(&profile, &key_id).await
}

/// Every bad field of the key form as typed, by the gateway's rules and the form's own,
/// without a request; when there is none, the form to send (the dialog parses nothing).
#[tauri::command]
#[specta::specta]
pub fn check_key_form(draft: KeyDraft, creating: bool) -> KeyDraftCheck {
    draft.check(creating, chrono::Utc::now())
}

/// Creates a key with every scope of the form, validated before any request.
#[tauri::command]
#[specta::specta]
pub async fn create_key(
    form: KeyForm,
    console: State<'_, Console>,
    vault: State<'_, RevealVault>,
) -> Result<CreatedKeyView, Error> {
    let now = chrono::Utc::now();
    // Every field is checked before any request (the platform checks again).
    form.to_create(now)?;
    let (profile, platform) = console.active_platform().await?;
    let (key, secret) = platform.create_key(&profile, &form, now).await?;
    Ok(CreatedKeyView {
        key,
        reveal: vault.open(secret),
    })
}

/// Saves the form's changes: a PATCH of only the fields that differ from the key as
/// the platform has it now. Returns the key unchanged when nothing differs.
#[tauri::command]
#[specta::specta]
pub async fn update_key(
    key_id: String,
    form: KeyForm,
    console: State<'_, Console>,
) -> Result<Key, Error> {
    validate_key_id(&key_id)?;
    let (profile, platform) = console.active_platform().await?;
    platform
        .update_key(&profile, &key_id, &form, chrono::Utc::now())
        .await
}

/// A new secret for the key, revealed once; the old one keeps working for
/// `grace_period_seconds` (0 = it stops now).
#[tauri::command]
#[specta::specta]
pub async fn rotate_key(
    key_id: String,
    grace_period_seconds: u32,
    console: State<'_, Console>,
    vault: State<'_, RevealVault>,
) -> Result<CreatedKeyView, Error> {
    validate_key_id(&key_id)?;
    if grace_period_seconds > keyward_api::keys::MAX_GRACE_PERIOD_SECONDS as u32 {
        return Err(Error::field(
            "grace_period_seconds",
            "The grace period is at most 7 days.",
        ));
    }
    let (profile, platform) = console.active_platform().await?;
    let (key, secret) = platform
        .rotate_key(&profile, &key_id, grace_period_seconds)
        .await?;
    Ok(CreatedKeyView {
        key,
        reveal: vault.open(secret),
    })
}

#[tauri::command]
#[specta::specta]
pub async fn archive_key(
    key_id: String,
    archive: bool,
    console: State<'_, Console>,
) -> Result<Key, Error> {
    validate_key_id(&key_id)?;
    let (profile, platform) = console.active_platform().await?;
    platform.set_archived(&profile, &key_id, archive).await
}

/// Pauses (`disable = true`) or resumes a key, where the platform can.
#[tauri::command]
#[specta::specta]
pub async fn disable_key(
    key_id: String,
    disable: bool,
    console: State<'_, Console>,
) -> Result<Key, Error> {
    validate_key_id(&key_id)?;
    let (profile, platform) = console.active_platform().await?;
    platform.set_disabled(&profile, &key_id, disable).await
}

#[tauri::command]
#[specta::specta]
pub async fn revoke_key(key_id: String, console: State<'_, Console>) -> Result<Key, Error> {
    validate_key_id(&key_id)?;
    let (profile, platform) = console.active_platform().await?;
    platform.revoke_key(&profile, &key_id).await
}

/// Revokes each key on its own and reports, key by key, what happened.
#[tauri::command]
#[specta::specta]
pub async fn revoke_keys(
    key_ids: Vec<String>,
    console: State<'_, Console>,
) -> Result<BulkRevokeReport, Error> {
    if key_ids.is_empty() || key_ids.len() > 500 {
        return Err(Error::field("key_ids", "Select 1 to 500 keys to revoke."));
    }
    for id in &key_ids {
        validate_key_id(id)?;
    }
    console.revoke_many(&key_ids).await
}

/// The projects (workspaces) the active profile sees, for the key list's project
/// filter and the create dialog's project choice.
#[tauri::command]
#[specta::specta]
pub async fn list_projects(console: State<'_, Console>) -> Result<Vec<ProjectRef>, Error> {
    let (profile, platform) = console.active_platform().await?;
    platform.list_projects(&profile).await
}

/// What the platform limits per project instead of per key (OpenAI: per-model rate
/// limits, model allow/deny list, monthly spend cap), read-only; null where the
/// platform keeps no such limits.
#[tauri::command]
#[specta::specta]
pub async fn project_limits(
    project_id: String,
    console: State<'_, Console>,
) -> Result<Option<ProjectLimits>, Error> {
    keyward_core::error::validate_id("project_id", &project_id, 128)?;
    let (profile, platform) = console.active_platform().await?;
    platform.project_limits(&profile, &project_id).await
}

/// The active project's workloads: what a key's model and workload scopes can name.
#[tauri::command]
#[specta::specta]
pub async fn list_workloads(console: State<'_, Console>) -> Result<Vec<WorkloadRef>, Error> {
    let (profile, platform) = console.active_platform().await?;
    platform.list_workloads(&profile).await
}

#[tauri::command]
#[specta::specta]
pub async fn key_usage(key_id: String, console: State<'_, Console>) -> Result<KeyActivity, Error> {
    validate_key_id(&key_id)?;
    let (profile, platform) = console.active_platform().await?;
    platform.key_activity(&profile, &key_id).await
}

#[tauri::command]
#[specta::specta]
pub async fn key_audit(key_id: String, console: State<'_, Console>) -> Result<AuditTrail, Error> {
    validate_key_id(&key_id)?;
    let (profile, platform) = console.active_platform().await?;
    platform.key_audit(&profile, &key_id).await
}

/// A secret someone pasted (it arrives once, from the user's clipboard).
#[derive(Debug, Deserialize, specta::Type)]
pub struct PastedSecret {
    #[specta(type = String)]
    pub secret: Secret,
}

/// *Find a leaked key* across every profile. The pasted string is checked locally
/// first; it is kept in Rust for the proof after revoking, and only its masked form
/// comes back.
#[tauri::command]
#[specta::specta]
pub async fn find_leaked_key(
    pasted: PastedSecret,
    console: State<'_, Console>,
) -> Result<LeakSearch, Error> {
    let secret = pasted.secret;
    if secret.expose().len() > 512 {
        return Err(Error::field(
            "secret",
            "That is far longer than any key; paste only the key.",
        ));
    }
    console.find_leaked(secret).await
}

/// *Revoke now* for a leaked key, then one request with the leaked secret to prove it
/// is refused.
#[tauri::command]
#[specta::specta]
pub async fn revoke_leaked_key(
    leak_id: String,
    profile_id: String,
    key_id: String,
    console: State<'_, Console>,
) -> Result<LeakRevocation, Error> {
    validate_key_id(&key_id)?;
    super::profiles::validate_profile_id(&profile_id)?;
    console.revoke_leaked(&leak_id, &profile_id, &key_id).await
}

/// *Disable* for a leaked key on a platform that can pause keys.
#[tauri::command]
#[specta::specta]
pub async fn disable_leaked_key(
    leak_id: String,
    profile_id: String,
    key_id: String,
    console: State<'_, Console>,
) -> Result<Key, Error> {
    validate_key_id(&key_id)?;
    super::profiles::validate_profile_id(&profile_id)?;
    console.disable_leaked(&leak_id, &profile_id, &key_id).await
}

/// Drops the pasted leaked secret (the dialog closed).
#[tauri::command]
#[specta::specta]
pub fn discard_leak(console: State<'_, Console>) -> Result<(), Error> {
    console.discard_leak();
    Ok(())
}

/// What a copy did: the clipboard is cleared after this many seconds if it still
/// holds the secret.
#[derive(Debug, Serialize, specta::Type)]
pub struct CopyReceipt {
    pub clear_after_seconds: u32,
}

/// Copies the open reveal's secret to the clipboard without it crossing IPC again,
/// marked as a secret so clipboard managers keep it out of their history, and
/// schedules the clear. Only a hash of the secret is kept for that check.
#[tauri::command]
#[specta::specta]
pub async fn copy_reveal(
    reveal_id: String,
    vault: State<'_, RevealVault>,
    console: State<'_, Console>,
    app: tauri::AppHandle,
) -> Result<CopyReceipt, Error> {
    let seconds = console.clipboard_clear_seconds().await?;
    let fingerprint = vault.with_secret(&reveal_id, |secret| {
        app.clipboard()
            .write_secret(secret.to_owned())
            .map_err(|e| {
                tracing::warn!(error = %e, "clipboard write failed");
                Error::new(
                    ErrorCode::Internal,
                    "The clipboard is not available; select the secret and copy it by hand.",
                )
            })?;
        Ok::<_, Error>(keyward_api::token::hash(secret))
    })??;
    tauri::async_runtime::spawn(async move {
        // The delay is the feature (clear after the person's chosen seconds), not a wait
        // for a condition: the clipboard sends no change event to wait on, and the hash
        // check below leaves alone anything copied since.
        tokio::time::sleep(Duration::from_secs(seconds.into())).await;
        let still_there = app
            .clipboard()
            .read_text()
            .is_ok_and(|text| keyward_api::token::hash(&text) == fingerprint);
        if still_there {
            if let Err(error) = app.clipboard().clear() {
                tracing::warn!(%error, "could not clear the clipboard");
            }
        }
    });
    Ok(CopyReceipt {
        clear_after_seconds: seconds,
    })
}

/// Closes the reveal panel: the secret is dropped and zeroized. Idempotent.
#[tauri::command]
#[specta::specta]
pub fn close_reveal(reveal_id: String, vault: State<'_, RevealVault>) -> Result<(), Error> {
    vault.close(&reveal_id);
    Ok(())
}

/// Console preferences the Keys workspace uses.
#[derive(Debug, Serialize, Deserialize, specta::Type)]
pub struct KeySettings {
    pub clipboard_clear_seconds: u32,
}

#[tauri::command]
#[specta::specta]
pub async fn key_settings(console: State<'_, Console>) -> Result<KeySettings, Error> {
    Ok(KeySettings {
        clipboard_clear_seconds: console.clipboard_clear_seconds().await?,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn update_key_settings(
    settings: KeySettings,
    console: State<'_, Console>,
) -> Result<KeySettings, Error> {
    console
        .set_clipboard_clear_seconds(settings.clipboard_clear_seconds)
        .await?;
    Ok(settings)
}
