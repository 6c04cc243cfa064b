//! Declares the app's commands so each one gets its own permission
//! (`allow-<command>`), listed explicitly in `capabilities/main-window.json`. The list
//! is `src/commands/names.rs`; a test checks it against the registered commands and the
//! capability.

include!("src/commands/names.rs");

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
