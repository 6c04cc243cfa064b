//! Where secrets come in: the environment (`KEYWARD_TOKEN`), a hidden prompt on the
//! terminal, or stdin when it is not a terminal — never argv, which `ps` and shell
//! history keep. A secret read here goes straight into a [`Secret`] (zeroized on drop).

use keyward_api::Secret;
use keyward_core::{Error, ErrorCode};
use std::io::{IsTerminal, Read};
use zeroize::Zeroize;

/// The environment variable a profile's token is read from.
pub const TOKEN_ENV: &str = "KEYWARD_TOKEN";

/// The longest secret read from stdin: far more than any key or token.
const MAX_STDIN_BYTES: u64 = 8 * 1024;

/// `KEYWARD_TOKEN` when set and not blank.
pub fn token_from_env() -> Option<Secret> {
    std::env::var(TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .map(Secret::new)
}

/// `KEYWARD_TOKEN`, else a hidden prompt asking for `what` when there is a terminal.
pub fn token(what: &str) -> Result<Secret, Error> {
    if let Some(token) = token_from_env() {
        return Ok(token);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::field(
            "token",
            format!("No {what} given: set {TOKEN_ENV}, or run kw in a terminal to type it at a hidden prompt."),
        ));
    }
    prompt(&format!("{what} (input hidden): "))
}

/// The leaked secret: stdin when it is not a terminal, else a hidden prompt.
pub fn leaked_secret() -> Result<Secret, Error> {
    if std::io::stdin().is_terminal() {
        return prompt("Paste the leaked secret (input hidden): ");
    }
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_STDIN_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| {
            Error::field(
                "secret",
                format!("The secret could not be read from stdin: {e}."),
            )
        })?;
    let secret = Secret::new(text.trim().to_owned());
    text.zeroize();
    if secret.expose().is_empty() {
        return Err(Error::field(
            "secret",
            "stdin was empty: pipe the leaked secret into kw leak, or run it in a terminal to paste it.",
        ));
    }
    Ok(secret)
}

fn prompt(text: &str) -> Result<Secret, Error> {
    let mut typed = rpassword::prompt_password(text).map_err(|e| {
        Error::new(
            ErrorCode::InvalidInput,
            format!("The hidden prompt could not read from the terminal: {e}."),
        )
    })?;
    let secret = Secret::new(typed.trim().to_owned());
    typed.zeroize();
    Ok(secret)
}
