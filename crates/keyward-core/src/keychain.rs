//! The one door to the OS keychain, where profile tokens live and nowhere else.
//!
//! Built on keyring 4 (keyring-core plus the platform stores: Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows). Entries are keyed by service
//! (the app identifier, so test runs never touch a person's entries) and the
//! profile's stable id. A missing entry is `Ok(None)`, never an error; every platform
//! failure becomes one stable code with a sentence saying what to do.

use crate::Error;
use crate::ErrorCode;
use keyward_api::Secret;

/// Tokens longer than this are refused before the keychain sees them: no real
/// control token is anywhere near, and some stores fail obscurely on large values.
pub const MAX_TOKEN_BYTES: usize = 4096;

#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

/// Makes the platform's persistent store keyring's default (keyring 4's `v1`
/// selection: Keychain on macOS, Credential Manager on Windows, the Secret Service on
/// Linux and BSD — never the kernel keyutils store, which does not survive a reboot).
pub fn use_platform_store() -> Result<(), Error> {
    match keyring::Entry::store_status() {
        Ok(()) => Ok(()),
        Err(error) => {
            tracing::warn!(%error, "no keychain store");
            Err(Error::new(
                ErrorCode::KeychainUnavailable,
                unavailable("open the keychain"),
            ))
        }
    }
}

/// Whether the default store is one that persists, rather than a mock or sample
/// store; release builds refuse to run on anything else.
pub fn default_store_persists() -> bool {
    keyring_core::get_default_store().is_some_and(|store| {
        let id = format!("{} {}", store.vendor(), store.id()).to_lowercase();
        !(id.contains("mock") || id.contains("sample"))
    })
}

impl Keychain {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, profile_id: &str) -> Result<keyring_core::Entry, Error> {
        keyring_core::Entry::new(&self.service, profile_id)
            .map_err(|e| map_error(e, "open the keychain entry"))
    }

    pub fn store(&self, profile_id: &str, token: &Secret) -> Result<(), Error> {
        if token.expose().len() > MAX_TOKEN_BYTES {
            return Err(too_large());
        }
        self.entry(profile_id)?
            .set_password(token.expose())
            .map_err(|e| map_error(e, "save the token"))
    }

    /// The profile's token, or `None` when there is no entry.
    pub fn load(&self, profile_id: &str) -> Result<Option<Secret>, Error> {
        match self.entry(profile_id)?.get_password() {
            Ok(token) => Ok(Some(Secret::new(token))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e, "read the token")),
        }
    }

    /// Removes the entry; `false` when there was none.
    pub fn delete(&self, profile_id: &str) -> Result<bool, Error> {
        match self.entry(profile_id)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e, "delete the token")),
        }
    }
}

fn too_large() -> Error {
    Error {
        code: ErrorCode::KeychainTooLarge,
        message: format!("The token is larger than the keychain accepts ({MAX_TOKEN_BYTES} bytes at most); check that you pasted only the token."),
        field: Some("token".into()),
    }
}

/// One sentence per failure; the platform detail goes to the log only (it can name
/// paths and services, never the secret, which keyring does not put in errors).
pub fn map_error(error: keyring_core::Error, doing: &str) -> Error {
    use keyring_core::Error as K;
    tracing::warn!(%error, doing, "keychain failure");
    match error {
        K::NoStorageAccess(_) => Error::new(
            ErrorCode::KeychainLocked,
            format!("Keyward could not {doing}: the keychain is locked or its unlock prompt was dismissed. Unlock it and try again."),
        ),
        K::NoDefaultStore => Error::new(ErrorCode::KeychainUnavailable, unavailable(doing)),
        K::PlatformFailure(ref detail) if looks_unavailable(&detail.to_string()) => {
            Error::new(ErrorCode::KeychainUnavailable, unavailable(doing))
        }
        K::TooLong(..) => too_large(),
        K::NoEntry => Error::new(
            ErrorCode::KeychainMissing,
            format!("Keyward could not {doing}: the keychain has no entry for this profile."),
        ),
        _ => Error::new(
            ErrorCode::KeychainFailure,
            format!("Keyward could not {doing}: the keychain reported an error (details in the log)."),
        ),
    }
}

fn unavailable(doing: &str) -> String {
    format!("Keyward could not {doing}: no keychain service is running. On Linux, start a Secret Service provider such as gnome-keyring or KeePassXC in your session.")
}

fn looks_unavailable(detail: &str) -> bool {
    let detail = detail.to_lowercase();
    [
        "serviceunknown",
        "org.freedesktop.secrets",
        "no such file",
        "connection refused",
        "session bus",
        "dbus_session_bus_address",
    ]
    .iter()
    .any(|needle| detail.contains(needle))
}
