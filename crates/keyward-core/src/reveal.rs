//! Reveal-once: the console holds a new secret only while its panel is open.
//!
//! A create or rotate response puts the secret here and hands the UI one copy to
//! display. Copy-to-clipboard reads it from here, so the UI never has to send it back.
//! Closing the panel (button, Escape, navigation, window close) removes it, and the
//! `Secret` zeroizes its memory on drop; after that no command can return it. Only one
//! panel is ever open: opening a new one closes the previous.

use crate::Error;
use crate::ErrorCode;
use keyward_api::Secret;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// What the UI receives once: the panel's id and the secret to show.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Reveal {
    pub id: String,
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub secret: Secret,
}

#[derive(Default)]
pub struct RevealVault {
    open: Mutex<HashMap<String, Secret>>,
}

impl RevealVault {
    /// Opens the panel for `secret`, closing any other, and returns the UI's copy.
    pub fn open(&self, secret: Secret) -> Reveal {
        let id = format!("rev_{}", uuid::Uuid::now_v7().simple());
        let shown = secret.clone();
        let mut open = self.lock();
        open.clear();
        open.insert(id.clone(), secret);
        Reveal { id, secret: shown }
    }

    /// Runs `use_secret` on the secret of an open panel (e.g. to copy it).
    pub fn with_secret<T>(&self, id: &str, use_secret: impl FnOnce(&str) -> T) -> Result<T, Error> {
        let open = self.lock();
        let secret = open.get(id).ok_or_else(|| {
            Error::new(
                ErrorCode::RevealClosed,
                "This secret was already closed and is gone; Keyward cannot show or copy it again. Rotate the key to get a new one.",
            )
        })?;
        Ok(use_secret(secret.expose()))
    }

    /// Closes the panel; its secret is dropped and zeroized. Idempotent.
    pub fn close(&self, id: &str) -> bool {
        self.lock().remove(id).is_some()
    }

    /// Closes every panel (window closed, app exiting).
    pub fn close_all(&self) {
        self.lock().clear();
    }

    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (every operation is a single insert/remove/clear), so poisoning is ignored.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_reveal_cannot_be_read_again() {
        let vault = RevealVault::default();
        let reveal = vault.open(Secret::new("kw_live_example".into()));
        assert_eq!(reveal.secret.expose(), "kw_live_example");
        assert_eq!(
            vault.with_secret(&reveal.id, str::to_owned).unwrap(),
            "kw_live_example"
        );
        assert!(vault.close(&reveal.id));
        let error = vault.with_secret(&reveal.id, str::to_owned).unwrap_err();
        assert_eq!(error.code, ErrorCode::RevealClosed);
        assert!(!error.message.contains("kw_live_example"));
        assert!(!vault.close(&reveal.id), "closing twice is harmless");
        assert_eq!(vault.open_count(), 0);
    }

    #[test]
    fn opening_a_new_reveal_closes_the_previous() {
        let vault = RevealVault::default();
        let first = vault.open(Secret::new("first".into()));
        let second = vault.open(Secret::new("second".into()));
        assert!(vault.with_secret(&first.id, |_| ()).is_err());
        assert!(vault.with_secret(&second.id, |_| ()).is_ok());
        vault.close_all();
        assert_eq!(vault.open_count(), 0);
    }
}
