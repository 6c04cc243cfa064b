//! `kw`: Keyward's console in a terminal, on keyward-core only (no Tauri).
//!
//! It opens the desktop app's console database and keychain entries (`home`), so a
//! profile added in either is usable in the other, resolves which platform to talk to
//! (`target`), and runs one command (`commands`), printing tables or `--json` on
//! stdout and everything else on stderr (`output`). Every rule — a profile's fields,
//! a key form's limits, a period's buckets — is keyward-core's; this crate parses
//! flags and prints.

pub mod cli;
pub mod commands;
pub mod output;
pub mod secret_input;
pub mod target;

use keyward_core::{Error, ErrorCode};

/// The log filter (as the app's): e.g. `KEYWARD_LOG=debug kw keys list`.
pub const LOG_ENV: &str = "KEYWARD_LOG";

/// The exit code of a failure, as `kw --help` documents them.
pub fn exit_code(error: &Error) -> u8 {
    match error.code {
        ErrorCode::InvalidInput | ErrorCode::InvalidJson => 2,
        ErrorCode::NotFound | ErrorCode::ModelNotFound => 3,
        ErrorCode::Unauthorized | ErrorCode::Forbidden => 4,
        ErrorCode::Unavailable | ErrorCode::Timeout | ErrorCode::Upstream => 5,
        _ => 1,
    }
}

/// Runs `kw` with the process's arguments; the exit code.
pub fn main() -> std::process::ExitCode {
    use clap::Parser;
    let cli = cli::Cli::parse();
    // Off unless asked for, and to stderr only: stdout is for results (and secrets).
    // keyward-core never logs a secret; its failures' details are logged here.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env(LOG_ENV) {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kw could not start its runtime: {error}.");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            output::error(&error);
            std::process::ExitCode::from(exit_code(&error))
        }
    }
}
