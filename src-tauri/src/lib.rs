//! The Tauri shell of Keyward: it only wires.
//!
//! At start-up it selects the OS keychain, opens the console's database (profiles
//! and settings, in the app data directory), starts the embedded gateway and makes
//! sure the profile "Local" points at it, then restores the profile that was active
//! last time. That work needs no window, so it runs on its own thread while GTK and
//! the webview start, and `setup` only waits for what is left of it. Commands live per
//! domain in `commands` and delegate to keyward-core; the TypeScript bindings are
//! generated from the same `tauri_specta` builder the app runs with.

pub mod commands;
mod embedded;
mod footprint;

use keyward_core::keychain::{self, Keychain};
use keyward_core::profiles::ProfileStore;
use keyward_core::workload_watch::HealthWatch;
use keyward_core::{Console, Http, RevealVault};
use std::path::PathBuf;
use tauri::Manager;

/// A start-up failure, sent back from the thread that does the start-up work.
type StartError = Box<dyn std::error::Error + Send + Sync>;

/// Selects the platform keychain. A missing Secret Service does not stop the app:
/// every profile then reports it in words. A release build refuses to run on a
/// store that does not persist (a mock), so tokens can never silently vanish.
fn select_keychain() -> Result<(), StartError> {
    if let Err(error) = keychain::use_platform_store() {
        tracing::warn!(%error, "starting without a keychain");
        return Ok(());
    }
    if cfg!(not(debug_assertions)) && !keychain::default_store_persists() {
        return Err("Keyward refuses to run: the keychain store does not persist (a mock or in-memory store), so saved tokens would be lost.".into());
    }
    Ok(())
}

/// Opens the console and the embedded gateway for the app `identifier`, in its data
/// directory by the rule `kw` shares (`keyward_core::home`): the console's database is
/// `console.db` in it, the embedded gateway's data `gateway/`.
async fn start(identifier: String) -> Result<(Console, embedded::EmbeddedGateway), StartError> {
    let dir: PathBuf = keyward_core::home::data_dir(&identifier)?;
    let keychain = Keychain::new(identifier);
    let store = ProfileStore::open(&dir.join(keyward_core::home::CONSOLE_DB), keychain).await?;
    let console = Console::new(store, Http::new());
    let gateway = embedded::start(&dir.join("gateway"), &console).await?;
    console.restore_active().await?;
    Ok((console, gateway))
}

/// Starts the keychain selection and [`start`] on a thread of their own, before any
/// window exists: GTK's and the webview's start-up (about 240 ms on the benchmark
/// machine) then overlaps it instead of following it.
fn start_in_background(
    identifier: String,
) -> std::thread::JoinHandle<Result<(Console, embedded::EmbeddedGateway), StartError>> {
    std::thread::spawn(move || {
        select_keychain()?;
        tauri::async_runtime::block_on(start(identifier))
    })
}

/// How often the background watch asks for the health summary (one cheap request,
/// whatever the screen). Debug builds honour `KEYWARD_HEALTH_WATCH_MS` for the e2e tests.
fn watch_interval() -> std::time::Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("KEYWARD_HEALTH_WATCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return std::time::Duration::from_millis(ms);
    }
    std::time::Duration::from_secs(15)
}

/// Polls the active profile's health summary and turns status changes into desktop
/// notifications (the rules, once per change and the flap guard, are in
/// `keyward_core::workload_watch`). Failures (no profile, gateway away) are skipped:
/// the Workloads screen shows them; a notification about the watch itself would be noise.
async fn watch_health(app: tauri::AppHandle) {
    use tauri_plugin_notification::NotificationExt;
    let mut ticks = tokio::time::interval(watch_interval());
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let console = app.state::<Console>();
        let watch = app.state::<HealthWatch>();
        let notices = match watch.check(&console, chrono::Utc::now()).await {
            Ok(notices) => notices,
            Err(error) => {
                tracing::debug!(%error, "health watch skipped a check");
                continue;
            }
        };
        for notice in notices {
            tracing::info!(workload_id = %notice.workload_id, title = %notice.title, "workload notification");
            if let Err(error) = app
                .notification()
                .builder()
                .title(&notice.title)
                .body(&notice.body)
                .show()
            {
                tracing::warn!(%error, "desktop notification failed");
            }
        }
    }
}

pub fn run() {
    footprint::settle();
    // Logs go to stderr, never stdout (a launcher or test harness may discard stdout,
    // and did: the e2e tests' log and secret checks read an empty file).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYWARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let builder = commands::specta_builder();
    #[allow(unused_mut)]
    let mut context = tauri::generate_context!();
    // The configured identifier, or a debug build's test identifier (see `home`).
    context.config_mut().identifier = keyward_core::home::identifier();
    let starting = start_in_background(context.config().identifier.clone());

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let (console, gateway) = match starting.join() {
                Ok(started) => started.map_err(|error| error as Box<dyn std::error::Error>)?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            app.manage(console);
            app.manage(gateway);
            app.manage(RevealVault::default());
            app.manage(HealthWatch::default());
            app.manage(keyward_core::usage::UsageSession::default());
            tauri::async_runtime::spawn(watch_health(app.handle().clone()));
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
            if let Some(gateway) = handle.try_state::<embedded::EmbeddedGateway>() {
                gateway.stop();
            }
        }
    });
}
