//! What goes into the shipped binaries: nothing made for benchmarks or tests.
//!
//! The bulk seeder bypasses the audit trail, so it must never be compiled into the app
//! or the standalone gateway. It lives in its own crate (`keyward-bench-seed`) rather
//! than behind a gateway feature because Cargo unifies features over a workspace build:
//! a feature turned on by the e2e crate would have been on in the app built beside it
//! (issue 15). These checks read Cargo's own resolution of the lockfile.

use std::process::Command;

fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn shipped_binaries_do_not_depend_on_the_bench_seeder() {
    for package in ["keyward-app", "keyward-gateway"] {
        let tree = cargo_tree(&["-p", package, "-e", "normal,build"]);
        assert!(tree.contains(package), "{package}'s tree is empty:\n{tree}");
        assert!(
            !tree.contains("keyward-bench-seed"),
            "{package} depends on the bench seeder:\n{tree}"
        );
    }
}

#[test]
fn a_workspace_build_turns_on_no_feature_of_the_gateway() {
    // `-i keyward-gateway -e features` over the whole workspace lists each feature of the
    // gateway that any member enables; the app would be built with every one of them.
    let tree = cargo_tree(&["--workspace", "-e", "features", "-i", "keyward-gateway"]);
    let features: Vec<&str> = tree
        .lines()
        .filter(|l| l.starts_with("keyward-gateway feature"))
        .collect();
    assert!(
        tree.lines().any(|l| l.starts_with("keyward-gateway v")),
        "the gateway is not in the workspace tree:\n{tree}"
    );
    assert!(
        features.iter().all(|l| l.contains("\"default\"")),
        "a workspace member turns on gateway features the app would be built with: {features:?}"
    );
}

/// `kw` finds the app's profiles by the app's identifier (its data directory and
/// keychain service): the one in `keyward_core::home` must be the configured one.
#[test]
fn kw_and_the_app_name_the_same_data_directory_and_keychain_service() {
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tauri.conf.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        config["identifier"].as_str(),
        Some(keyward_core::home::APP_IDENTIFIER)
    );
}
