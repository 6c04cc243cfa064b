//! Printing: tables for people, `--json` for scripts, both on stdout; notes and errors
//! on stderr. A new secret is printed by [`secret`] alone on stdout, and whatever goes
//! with it is sent to stderr by the caller, so a redirect of stdout captures only the
//! secret. Nothing here ever receives a token or a leaked secret.

use chrono::{DateTime, Utc};
use comfy_table::presets::UTF8_HORIZONTAL_ONLY;
use comfy_table::{ContentArrangement, Table};
use keyward_api::Secret;
use keyward_core::Error;
use serde::Serialize;
use std::io::Write;

/// Where a result goes: stdout normally, stderr when a new secret has stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn print(self, text: &str) {
        let text = if text.ends_with('\n') {
            text.to_owned()
        } else {
            format!("{text}\n")
        };
        // A closed pipe (`kw … | head`) is not an error worth a panic.
        let _ = match self {
            Stream::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
            Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        };
    }
}

/// A value as pretty JSON.
pub fn json<T: Serialize>(stream: Stream, value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        Error::new(
            keyward_core::ErrorCode::Internal,
            format!("The result could not be written as JSON: {e}."),
        )
    })?;
    stream.print(&text);
    Ok(())
}

/// A table with a header row; every cell as given.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// `label: value` lines, for one object.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(label, value)| format!("{label:<width$}  {value}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A new secret, alone on stdout with a newline: the one place kw prints a secret.
pub fn secret(secret: &Secret) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(secret.expose().as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// The failure, as one sentence on stderr (the core's message, which never holds a
/// secret), naming the field when there is one.
pub fn error(error: &Error) {
    let text = match &error.field {
        Some(field) if !error.message.contains(field.as_str()) => {
            format!("kw: {} ({field})", error.message)
        }
        _ => format!("kw: {}", error.message),
    };
    Stream::Stderr.print(&text);
}

pub fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

pub fn or_dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("—").to_owned()
}
