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
    "get_key",
    "create_key",
    "update_key",
    "rotate_key",
    "archive_key",
    "revoke_key",
    "revoke_keys",
    "list_workloads",
    "key_usage",
    "key_audit",
    "find_leaked_key",
    "revoke_leaked_key",
    "discard_leak",
    "copy_reveal",
    "close_reveal",
    "key_settings",
    "update_key_settings",
    "workload_summary",
    "get_workload",
    "workload_choices",
    "check_workload_form",
    "create_workload",
    "update_workload",
    "workload_keys",
    "delete_workload",
    "workload_health",
    "workload_charts",
    "workload_usage",
    "follow_readiness",
    "workload_events",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
