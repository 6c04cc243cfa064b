//! keyward-core: the console's brain, free of Tauri.
//!
//! Everything the desktop shell does that is not wiring lives here, so it can be
//! tested against a real gateway over HTTP without a window, and reused by a CLI.

pub mod charts;
pub mod console;
pub mod error;
pub mod home;
pub mod import;
pub mod key_draft;
pub mod keychain;
pub mod keys;
pub mod platform;
pub mod prices;
pub mod profile;
pub mod profiles;
pub mod reveal;
pub mod usage;
pub mod workload_charts;
pub mod workload_watch;
pub mod workloads;

pub use console::Console;
pub use error::{Error, ErrorCode};
pub use platform::keyward::KeywardClient;
pub use platform::{Capabilities, Http, Platform, PlatformKind};
pub use profile::Profile;
pub use reveal::{Reveal, RevealVault};
