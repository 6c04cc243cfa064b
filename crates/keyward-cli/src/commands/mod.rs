//! One module per noun, each verb a function that resolves its target, makes the
//! core's call and prints. The console is opened once per run, on the app's data
//! directory, so every command sees the app's profiles and active profile.

mod keys;
mod leak;
pub(crate) mod model_workloads;
mod profiles;
mod usage;
mod workloads;

use crate::cli::{Cli, Command};
use keyward_core::home;
use keyward_core::Error;
use serde::Serialize;

pub async fn run(cli: Cli) -> Result<(), Error> {
    let identifier = home::identifier();
    let dir = home::data_dir(&identifier)?;
    let console = home::open_console(&dir, &identifier).await?;
    let global = &cli.global;
    match cli.command {
        Command::Profiles(command) => profiles::run(&console, global, command).await,
        Command::Keys(command) => keys::run(&console, global, command).await,
        Command::Usage(args) => usage::run(&console, global, args).await,
        Command::Leak(args) => leak::run(&console, global, args).await,
        Command::Workloads(command) => workloads::run(&console, global, command).await,
    }
}

/// An enum's wire name ("active", "openai") for a table cell: the same word `--json`
/// prints.
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
