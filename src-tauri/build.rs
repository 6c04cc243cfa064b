//! Declares the app's commands so each one gets its own permission
//! (`allow-<command>`), listed explicitly in `capabilities/default.json`.

const COMMANDS: &[&str] = &[
    "active_profile",
    "list_profiles",
    "switch_profile",
    "create_profile",
    "update_profile",
    "duplicate_profile",
    "delete_profile",
    "test_profile",
    "test_profile_form",
    "reissue_local_token",
    "scan_import",
    "import_profiles",
    "discard_import",
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
