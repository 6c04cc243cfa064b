//! Declares the app's commands so each one gets its own permission
//! (`allow-<command>`), listed explicitly in `capabilities/default.json`.

const COMMANDS: &[&str] = &[
    "active_profile",
    "list_keys",
    "create_key",
    "copy_reveal",
    "close_reveal",
    "revoke_key",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
