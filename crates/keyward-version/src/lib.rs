//! The version and commit Keyward was built from.
//!
//! One crate so `kw --version` and the desktop app's About cannot disagree: both read
//! these constants, the version from the workspace's `Cargo.toml` and the commit from
//! `build.rs`. It is tiny on purpose: the commit changes with every commit, and only
//! what depends on this crate rebuilds when it does.

/// The workspace version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The short commit hash the build came from, or `unknown` outside a git checkout.
pub const COMMIT: &str = env!("KEYWARD_COMMIT");

/// `0.1.0 (abc1234)`: what `kw --version` prints after its name and the About shows.
pub const DESCRIBED: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("KEYWARD_COMMIT"), ")");

#[cfg(test)]
mod tests {
    #[test]
    fn described_is_the_version_then_the_commit_in_parentheses() {
        assert_eq!(
            super::DESCRIBED,
            format!("{} ({})", super::VERSION, super::COMMIT)
        );
        assert!(!super::COMMIT.is_empty());
        assert!(super::VERSION.split('.').count() == 3, "{}", super::VERSION);
    }
}
