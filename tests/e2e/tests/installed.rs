//! The app as a person installs it (issue #20): the binary a `.deb` put at
//! `/usr/bin/keyward`, not the one in `target/`. `tests/packaging/console-deb.sh`
//! builds and installs the package, then runs this with `KEYWARD_INSTALLED_BINARY`
//! set; without it (a plain `cargo test`) there is nothing installed to check and the
//! test says so and passes.
//!
//! With `KEYWARD_INSTALLED_DATA_IN` set, the app's data directory is made inside it
//! and kept, so the script can check that removing the package leaves it in place. The
//! same test runs the AppImage (`KEYWARD_INSTALLED_BINARY` is then the image, and
//! `KEYWARD_INSTALLED_KW` the kw inside it).

use keyward_e2e::App;
use std::path::PathBuf;
use std::process::Command;

#[tokio::test]
async fn the_installed_app_opens_on_its_keys_its_gateway_answers_and_about_matches_kw() {
    let Some(binary) = std::env::var_os("KEYWARD_INSTALLED_BINARY").map(PathBuf::from) else {
        eprintln!("KEYWARD_INSTALLED_BINARY is not set: no installed app to check (tests/packaging/console-deb.sh sets it)");
        return;
    };
    let dir = match std::env::var_os("KEYWARD_INSTALLED_DATA_IN") {
        Some(parent) => {
            let mut dir = tempfile::tempdir_in(parent).unwrap();
            dir.disable_cleanup(true);
            dir
        }
        None => tempfile::tempdir().unwrap(),
    };
    // The package installs kw beside the app; an AppImage's kw is inside the image, and
    // the script names where it extracted it.
    let kw = std::env::var_os("KEYWARD_INSTALLED_KW")
        .map(PathBuf::from)
        .unwrap_or_else(|| binary.with_file_name("kw"));
    let kw_version = Command::new(&kw)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", kw.display()));
    assert!(kw_version.status.success(), "kw --version failed");
    let kw_version = String::from_utf8(kw_version.stdout).unwrap();
    let described = kw_version
        .trim()
        .strip_prefix("kw ")
        .unwrap_or_else(|| panic!("kw --version says {kw_version:?}"));
    assert!(
        described.starts_with(&format!("{} (", env!("CARGO_PKG_VERSION"))),
        "the installed kw is the workspace's version: {described:?}"
    );

    let app = App::launch_binary("installed", binary, dir).await;

    // The first screen: the Keys screen of the embedded gateway, on loopback.
    app.wait_for("[data-testid='keys-empty']").await;
    let (base_url, project, _token) = app.local_gateway().await;
    assert!(
        base_url.starts_with("http://127.0.0.1:"),
        "embedded gateway on loopback: {base_url}"
    );
    // `local_gateway` read the project from the gateway's `whoami`: it answered.
    assert!(!project.is_empty(), "whoami names Local's project");
    app.screenshot("01-installed-keys").await;

    // About shows the build kw reports.
    app.click("[data-testid='nav-settings']").await;
    app.wait_text(
        "[data-testid='about-version']",
        &format!("Keyward {described}"),
    )
    .await;
    app.screenshot("02-installed-about").await;

    app.close().await;
}
