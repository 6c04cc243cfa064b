//! The console session: the saved profiles, which one is active, and imports in
//! progress. The Tauri shell manages one `Console` and its commands are one call each.
//!
//! Why a session object rather than a profile in each command's arguments: the UI
//! names profiles by id only, and the token behind an id is loaded from the keychain
//! once, when the profile is activated, then kept in memory as a `Secret` — never
//! handed to the webview. Switching reconnects first and only then replaces the
//! active profile, so a failed switch leaves the console where it was.
//!
//! One `Console`, its methods by concern: `session` (which profile is active,
//! switching, the profile forms, *Test connection*, settings), `local` (the embedded
//! gateway's Local profile: created once, its address refreshed at each launch, a lost
//! token repaired), `imports` (candidates held until chosen) and `leaks` (*Find a
//! leaked key* across profiles, *Revoke now* with its proof, bulk revoke). The layers
//! below it — `profile` (what a profile is), `profiles` (where it is saved) — never
//! reach up into this module.

mod imports;
mod leaks;
mod local;
mod session;

pub use crate::profile::LOCAL_PROFILE_ID;
pub use imports::{ImportCandidateView, ImportChoice, ImportFailure, ImportReport};
pub use leaks::{
    BulkRevokeFailure, BulkRevokeReport, LeakHolder, LeakMatch, LeakRevocation, LeakSearch,
    LeakSearchGap,
};
pub use local::LocalStatus;
pub use session::{ConnectionReport, ProfileForm, ProfileList, DEFAULT_CLIPBOARD_CLEAR_SECONDS};

use crate::import::ImportCandidate;
use crate::platform::Http;
use crate::platform::PlatformKind;
use crate::profiles::ProfileStore;
use crate::ErrorCode;
use crate::{Error, KeywardClient, Profile};
use keyward_api::Secret;
use std::collections::HashMap;
use std::sync::Mutex;

struct Active {
    id: String,
    /// Loaded lazily: `None` until the keychain has given up the token.
    profile: Option<Profile>,
}

pub struct Console {
    store: ProfileStore,
    http: Http,
    active: tokio::sync::Mutex<Active>,
    imports: Mutex<HashMap<String, ImportCandidate>>,
    /// Why Local could not be set up at start-up (e.g. no keychain), shown in its place.
    local_problem: Mutex<Option<Error>>,
    /// The secret pasted into *Find a leaked key*, until revoked, replaced or dismissed.
    leak: Mutex<Option<(String, Secret)>>,
}

/// A profile of a platform without an adapter: one plain sentence, code `unsupported`
/// (not `invalid_input`: nothing about the profile is wrong).
fn not_supported(kind: PlatformKind) -> Error {
    Error::new(ErrorCode::Unsupported, kind.no_adapter_sentence())
}

impl Console {
    pub fn new(store: ProfileStore, http: Http) -> Self {
        Self {
            store,
            http,
            active: tokio::sync::Mutex::new(Active {
                id: LOCAL_PROFILE_ID.to_owned(),
                profile: None,
            }),
            imports: Mutex::new(HashMap::new()),
            local_problem: Mutex::new(None),
            leak: Mutex::new(None),
        }
    }

    pub fn store(&self) -> &ProfileStore {
        &self.store
    }

    /// The active profile and the gateway's client, for the screens only the Keyward
    /// gateway has so far (workload create/edit, readiness, health history): the
    /// neutral form of a workload is designed with the second platform that has them
    /// (Gcore, issue #19). Other platforms get `unsupported` with their capabilities'
    /// sentence, never a request to the wrong API.
    pub async fn keyward(&self) -> Result<(Profile, KeywardClient), Error> {
        let profile = self.active().await?;
        if profile.kind != PlatformKind::Keyward {
            let capabilities = profile.kind.capabilities();
            return Err(crate::platform::unsupported(
                &capabilities.platform,
                "workloads",
                &capabilities.workloads.create,
            ));
        }
        Ok((profile, KeywardClient::from(self.http.clone())))
    }
}
