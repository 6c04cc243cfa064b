//! Bakes the commit the binaries are built from into `KEYWARD_COMMIT`, so `kw --version`
//! and the app's About name the same build a person can find in the history.
//!
//! `KEYWARD_COMMIT` in the environment wins (a build from a source tarball, or a
//! packager that pins it); otherwise `git rev-parse --short HEAD`; outside a git
//! checkout, or without git, "unknown". The script re-runs when HEAD or the branch it
//! points at moves, and only this small crate and the two binaries that use it rebuild.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Tells cargo to run this again when `name` (a path inside the git directory) changes.
fn watch_git_path(dir: &Path, name: &str) {
    if let Some(path) = git(dir, &["rev-parse", "--git-path", name]) {
        let path = PathBuf::from(path);
        let path = if path.is_absolute() {
            path
        } else {
            dir.join(path)
        };
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-env-changed=KEYWARD_COMMIT");
    let pinned = std::env::var("KEYWARD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty());
    let commit = pinned.or_else(|| {
        let commit = git(&dir, &["rev-parse", "--short=7", "HEAD"])?;
        watch_git_path(&dir, "HEAD");
        watch_git_path(&dir, "packed-refs");
        if let Some(branch) = git(&dir, &["symbolic-ref", "-q", "HEAD"]) {
            watch_git_path(&dir, &branch);
        }
        Some(commit)
    });
    // Anything but a plain word would make the version line ambiguous.
    let commit = commit
        .filter(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=KEYWARD_COMMIT={commit}");
}
