//! A connection profile ready to use: which platform, which project, and the control
//! token loaded from the OS keychain.
//!
//! The token is a [`Secret`]: redacted in logs and zeroized on drop. What is saved
//! (everything but the token) is [`crate::profiles::StoredProfile`]; this type exists
//! only in memory, built by [`crate::profiles::ProfileStore::connect`].

use crate::profiles::PlatformKind;
use keyward_api::Secret;

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
