//! A connection profile ready to use: which platform, which project, and the control
//! token loaded from the OS keychain.
//!
//! The token is a [`Secret`]: redacted in logs and zeroized on drop. What is saved
//! (everything but the token) is [`crate::profiles::StoredProfile`]; this type exists
//! only in memory, built by [`crate::profiles::ProfileStore::connect`].
//!
//! The bottom of the profile layers: `profiles` (the store) and `console` (the
//! session) build on this module, and it uses neither.

use crate::platform::PlatformKind;
use keyward_api::Secret;

/// The embedded gateway's profile: created on first launch, cannot be deleted, and
/// its address is set by the gateway at each launch.
pub const LOCAL_PROFILE_ID: &str = "local";

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub kind: PlatformKind,
    /// Base URL of the platform's API, without a trailing slash.
    pub base_url: String,
    pub project_id: String,
    pub token: Secret,
}
