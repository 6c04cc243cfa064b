//! The Tauri shell of Keyward: it only wires.
//!
//! At start-up it opens the embedded gateway (see `embedded`), registers it as the
//! profile "Local", and manages three pieces of state, each built once: that profile,
//! one HTTP client, and the reveal-once vault. Commands live per domain in `commands`
//! and delegate to keyward-core; the TypeScript bindings are generated from the same
//! `tauri_specta` builder the app runs with.

pub mod commands;
mod embedded;

use keyward_core::{PlatformClient, RevealVault};
use tauri::Manager;

/// Debug builds only: run under another app identifier (the e2e tests use this so
/// that they never touch a person's data directory or keychain entries).
const IDENTIFIER_OVERRIDE_ENV: &str = "KEYWARD_APP_IDENTIFIER";

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYWARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let builder = commands::specta_builder();
    #[allow(unused_mut)]
    let mut context = tauri::generate_context!();
    #[cfg(debug_assertions)]
    if let Ok(identifier) = std::env::var(IDENTIFIER_OVERRIDE_ENV) {
        context.config_mut().identifier = identifier;
    }

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let data_dir = embedded::data_dir(app.handle())?;
            let local = tauri::async_runtime::block_on(embedded::start(&data_dir))?;
            app.manage(local.profile.clone());
            app.manage(local);
            app.manage(PlatformClient::new());
            app.manage(RevealVault::default());
            Ok(())
        })
        .on_window_event(|window, event| {
            // A closed window drops any secret still on screen.
            if matches!(event, tauri::WindowEvent::Destroyed) {
                window.state::<RevealVault>().close_all();
            }
        })
        .build(context)
        .expect("Keyward failed to start");

    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            handle.state::<RevealVault>().close_all();
            handle.state::<embedded::EmbeddedGateway>().stop();
        }
    });
}
