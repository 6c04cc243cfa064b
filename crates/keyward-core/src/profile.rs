//! A connection profile: which platform, which project, and the control token.
//!
//! The token is a [`Secret`]: redacted in logs and zeroized on drop. Profiles are
//! persisted with the OS keychain in the profiles issue; the embedded gateway's
//! profile "Local" is built in memory at each launch.

use keyward_api::Secret;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    /// Base URL of the platform's API, without a trailing slash.
    pub base_url: String,
    pub project_id: String,
    pub token: Secret,
}

/// What the UI may know of a profile: everything but the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProfileView {
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub project_id: String,
}

impl Profile {
    pub fn view(&self) -> ProfileView {
        ProfileView {
            id: self.id.clone(),
            name: self.name.clone(),
            base_url: self.base_url.clone(),
            project_id: self.project_id.clone(),
        }
    }
}
