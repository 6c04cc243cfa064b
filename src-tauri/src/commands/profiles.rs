//! Profile commands: list, switch, add, edit, duplicate, delete, test, import, and
//! Local's token recovery. Each validates its input and makes one call into
//! `keyward_core::Console`; no command returns a token.

use crate::embedded::EmbeddedGateway;
use keyward_core::console::{
    ConnectionReport, ImportCandidateView, ImportChoice, ImportReport, ProfileForm, ProfileList,
};
use keyward_core::profiles::StoredProfile;
use keyward_core::workloads::FieldProblem;
use keyward_core::{import, Console, Error, RevealVault};
use serde::Deserialize;
use tauri::State;
use tauri_plugin_dialog::DialogExt;

pub(crate) fn validate_profile_id(id: &str) -> Result<(), Error> {
    keyward_core::error::validate_id("profile_id", id, 64)
}

/// The active profile's settings. Fails with the reason when it cannot be used
/// (e.g. Local's keychain entry is missing), so the UI can offer the fix.
#[tauri::command]
#[specta::specta]
pub async fn active_profile(console: State<'_, Console>) -> Result<StoredProfile, Error> {
    console.active_view().await
}

/// The active profile's role (owner, admin, viewer) as its platform reports it.
#[tauri::command]
#[specta::specta]
pub async fn active_role(
    console: State<'_, Console>,
) -> Result<keyward_core::platform::model::AccessLevel, Error> {
    console.active_role().await
}

/// What the active profile's platform offers: the screens show a control only where
/// it is supported, and otherwise the sentence of what the platform offers instead.
/// Every platform a profile can name, with its profile-form words (credential,
/// project, default API root) and whether Keyward can use it yet.
#[tauri::command]
#[specta::specta]
pub fn platform_catalog() -> Vec<keyward_core::platform::ProfileLabels> {
    keyward_core::PlatformKind::ALL
        .into_iter()
        .map(keyward_core::PlatformKind::profile_labels)
        .collect()
}

/// The capabilities of `kind`'s platform (the profile form and the profile list show
/// them before a profile is active).
#[tauri::command]
#[specta::specta]
pub fn platform_capabilities(kind: keyward_core::PlatformKind) -> keyward_core::Capabilities {
    kind.capabilities()
}

#[tauri::command]
#[specta::specta]
pub async fn active_capabilities(
    console: State<'_, Console>,
) -> Result<keyward_core::Capabilities, Error> {
    console.active_capabilities().await
}

#[tauri::command]
#[specta::specta]
pub async fn list_profiles(console: State<'_, Console>) -> Result<ProfileList, Error> {
    console.list().await
}

/// Makes a profile active once its token loads from the keychain; any reveal still
/// open belongs to the previous profile and is closed.
#[tauri::command]
#[specta::specta]
pub async fn switch_profile(
    profile_id: String,
    console: State<'_, Console>,
    vault: State<'_, RevealVault>,
) -> Result<StoredProfile, Error> {
    validate_profile_id(&profile_id)?;
    let switched = console.switch(&profile_id).await?;
    vault.close_all();
    Ok(switched)
}

/// Every bad field of the profile form by the rules saving applies, without saving or a
/// request; `creating` requires a token (an edit keeps the stored one).
#[tauri::command]
#[specta::specta]
pub fn check_profile_form(form: ProfileForm, creating: bool) -> Vec<FieldProblem> {
    keyward_core::profiles::problems(&form.into(), creating)
}

#[tauri::command]
#[specta::specta]
pub async fn create_profile(
    form: ProfileForm,
    console: State<'_, Console>,
) -> Result<StoredProfile, Error> {
    console.create(form, chrono::Utc::now()).await
}

/// Saves a profile's settings; an empty `token` keeps the stored one.
#[tauri::command]
#[specta::specta]
pub async fn update_profile(
    profile_id: String,
    form: ProfileForm,
    console: State<'_, Console>,
) -> Result<StoredProfile, Error> {
    validate_profile_id(&profile_id)?;
    console.update(&profile_id, form, chrono::Utc::now()).await
}

#[tauri::command]
#[specta::specta]
pub async fn duplicate_profile(
    profile_id: String,
    name: String,
    console: State<'_, Console>,
) -> Result<StoredProfile, Error> {
    validate_profile_id(&profile_id)?;
    console
        .duplicate(&profile_id, &name, chrono::Utc::now())
        .await
}

/// Deletes the profile and its keychain entry; returns the list as it now stands.
#[tauri::command]
#[specta::specta]
pub async fn delete_profile(
    profile_id: String,
    console: State<'_, Console>,
) -> Result<ProfileList, Error> {
    validate_profile_id(&profile_id)?;
    console.delete(&profile_id).await
}

/// *Test connection* of a saved profile.
#[tauri::command]
#[specta::specta]
pub async fn test_profile(
    profile_id: String,
    console: State<'_, Console>,
) -> Result<ConnectionReport, Error> {
    validate_profile_id(&profile_id)?;
    console.test_saved(&profile_id).await
}

/// *Test connection* of the form as typed; an empty token uses `profile_id`'s.
#[tauri::command]
#[specta::specta]
pub async fn test_profile_form(
    form: ProfileForm,
    profile_id: Option<String>,
    console: State<'_, Console>,
) -> Result<ConnectionReport, Error> {
    if let Some(id) = &profile_id {
        validate_profile_id(id)?;
    }
    console.test_form(form, profile_id.as_deref()).await
}

/// Mints a new owner token for the embedded gateway (revoking the lost one) and puts
/// it in Local's keychain entry.
#[tauri::command]
#[specta::specta]
pub async fn reissue_local_token(
    console: State<'_, Console>,
    embedded: State<'_, EmbeddedGateway>,
) -> Result<StoredProfile, Error> {
    let token = embedded.reissue_owner_token().await?;
    console
        .reset_local_token(
            &embedded.base_url,
            &embedded.project_id,
            token,
            chrono::Utc::now(),
        )
        .await?;
    console
        .store()
        .get(keyward_core::console::LOCAL_PROFILE_ID)
        .await
}

/// Where to look for credentials. Files are chosen in a native dialog opened from
/// Rust, so the webview never names a path for the app to read.
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportSource {
    /// `INFERENCEKEY_*` and `PODSTACK_*` variables of the app's environment.
    Environment,
    /// A `.env` file the user picks.
    DotenvFile,
    /// `~/.podstack/credentials`.
    PodstackCredentials,
    /// Another INI credentials file the user picks.
    IniFile,
}

/// Scans a source and returns what it holds, masked. `None` when the user cancelled
/// the file dialog.
#[tauri::command]
#[specta::specta]
pub async fn scan_import(
    source: ImportSource,
    console: State<'_, Console>,
    app: tauri::AppHandle,
) -> Result<Option<Vec<ImportCandidateView>>, Error> {
    let found = match source {
        ImportSource::Environment => import::from_environment(),
        ImportSource::PodstackCredentials => {
            let Some(home) = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))
            else {
                return Err(Error::new(
                    keyward_core::ErrorCode::NotFound,
                    "Keyward cannot find your home directory, so it cannot look for ~/.podstack/credentials. Use \"INI file…\" to pick the file.",
                ));
            };
            let path = std::path::Path::new(&home)
                .join(".podstack")
                .join("credentials");
            let text = read_credentials_file(&path, "~/.podstack/credentials")?;
            import::from_podstack_ini(&text, "~/.podstack/credentials")?
        }
        ImportSource::DotenvFile | ImportSource::IniFile => {
            let (title, filter): (&str, &[&str]) = match source {
                ImportSource::DotenvFile => ("Choose a .env file", &["env"]),
                _ => ("Choose an INI credentials file", &["ini", "cfg", "conf"]),
            };
            let (tx, rx) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .set_title(title)
                .add_filter("Credentials", filter)
                .add_filter("All files", &["*"])
                .pick_file(move |picked| {
                    let _ = tx.send(picked);
                });
            let Some(picked) = rx.await.ok().flatten() else {
                return Ok(None);
            };
            let path = picked.into_path().map_err(|_| {
                Error::new(
                    keyward_core::ErrorCode::InvalidInput,
                    "Keyward can only import from a local file.",
                )
            })?;
            let label = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "the file".into());
            let text = read_credentials_file(&path, &label)?;
            match source {
                ImportSource::DotenvFile => import::from_dotenv(&text, &label)?,
                _ => import::from_podstack_ini(&text, &label)?,
            }
        }
    };
    Ok(Some(console.offer_imports(found).await))
}

/// Credentials files are small; anything over 1 MiB is not one.
fn read_credentials_file(path: &std::path::Path, label: &str) -> Result<String, Error> {
    use keyward_core::ErrorCode;
    let metadata = std::fs::metadata(path).map_err(|e| {
        let message = if e.kind() == std::io::ErrorKind::NotFound {
            format!("There is no {label}.")
        } else {
            format!("Keyward cannot read {label}: {e}.")
        };
        Error::new(ErrorCode::NotFound, message)
    })?;
    if metadata.len() > 1 << 20 {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            format!("{label} is larger than 1 MiB, which is not a credentials file."),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorCode::InvalidInput,
            format!("Keyward cannot read {label}: {e}."),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorCode::InvalidInput,
            format!("{label} is not a text file (it is not UTF-8)."),
        )
    })
}

/// Saves the chosen candidates as profiles; each succeeds or fails on its own.
#[tauri::command]
#[specta::specta]
pub async fn import_profiles(
    choices: Vec<ImportChoice>,
    console: State<'_, Console>,
) -> Result<ImportReport, Error> {
    if choices.len() > 100 {
        return Err(Error::field(
            "choices",
            "Import at most 100 profiles at a time.",
        ));
    }
    Ok(console.import(choices, chrono::Utc::now()).await)
}

/// Drops the candidates of the last scan and their tokens (the dialog closed).
#[tauri::command]
#[specta::specta]
pub fn discard_import(console: State<'_, Console>) -> Result<(), Error> {
    console.discard_imports();
    Ok(())
}
