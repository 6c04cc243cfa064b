//! Key commands: validate the input, delegate to keyward-core, return typed results.
//!
//! A created key's secret goes into the reveal vault and to the UI once; copy reads it
//! from the vault, close drops it. No command returns a secret after its panel closes.

use keyward_api::{InferenceKey, KeyPage};
use keyward_core::{Console, Error, Reveal, RevealVault};
use serde::Serialize;
use tauri::State;
use tauri_plugin_clipboard_manager::ClipboardExt;

/// What `create_key` returns: the new key and its one-time reveal.
#[derive(Debug, Serialize, specta::Type)]
pub struct CreatedKeyView {
    pub key: InferenceKey,
    pub reveal: Reveal,
}

#[tauri::command]
#[specta::specta]
pub async fn list_keys(console: State<'_, Console>) -> Result<KeyPage, Error> {
    let profile = console.active().await?;
    console.client().list_keys(&profile).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_key(
    name: String,
    console: State<'_, Console>,
    vault: State<'_, RevealVault>,
) -> Result<CreatedKeyView, Error> {
    let name =
        keyward_api::validate_name(Some(&name)).map_err(|e| Error::field(e.field, e.message))?;
    let profile = console.active().await?;
    let created = console.client().create_key(&profile, name).await?;
    Ok(CreatedKeyView {
        key: created.key,
        reveal: vault.open(created.secret),
    })
}

/// Copies the open reveal's secret to the clipboard without it crossing IPC again.
#[tauri::command]
#[specta::specta]
pub fn copy_reveal(
    reveal_id: String,
    vault: State<'_, RevealVault>,
    app: tauri::AppHandle,
) -> Result<(), Error> {
    vault.with_secret(&reveal_id, |secret| {
        app.clipboard().write_text(secret.to_owned()).map_err(|e| {
            tracing::warn!(error = %e, "clipboard write failed");
            Error::new(
                keyward_api::ErrorCode::Internal,
                "The clipboard is not available; select the secret and copy it by hand.",
            )
        })
    })?
}

/// Closes the reveal panel: the secret is dropped and zeroized. Idempotent.
#[tauri::command]
#[specta::specta]
pub fn close_reveal(reveal_id: String, vault: State<'_, RevealVault>) -> Result<(), Error> {
    vault.close(&reveal_id);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn revoke_key(
    key_id: String,
    console: State<'_, Console>,
) -> Result<InferenceKey, Error> {
    validate_key_id(&key_id)?;
    let profile = console.active().await?;
    console.client().revoke_key(&profile, &key_id).await
}

fn validate_key_id(key_id: &str) -> Result<(), Error> {
    let ok = !key_id.is_empty()
        && key_id.len() <= 128
        && key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::field(
            "key_id",
            "key_id must be 1–128 letters, digits, '_' or '-'.",
        ))
    }
}
