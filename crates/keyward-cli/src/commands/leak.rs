//! `kw leak`: *Find a leaked key* across every saved profile (`Console::find_leaked`),
//! and with `--revoke`, *Revoke now* and its proof (`Console::revoke_leaked`). A
//! revoke happens only when exactly one key matches the whole secret: candidates
//! matched by the characters a platform shows are never picked for the user.

use super::word;
use crate::cli::{Global, LeakArgs};
use crate::output::{self, Stream};
use crate::secret_input;
use keyward_core::console::{LeakMatch, LeakRevocation, LeakSearch};
use keyward_core::{Console, Error, ErrorCode};
use serde::Serialize;

/// `kw leak --json`: the search, and the revocation when `--revoke` made one.
#[derive(Serialize)]
struct LeakOutput<'a> {
    search: &'a LeakSearch,
    revocation: Option<&'a LeakRevocation>,
}

pub async fn run(console: &Console, global: &Global, args: LeakArgs) -> Result<(), Error> {
    let secret = secret_input::leaked_secret()?;
    if secret.expose().len() > 512 {
        return Err(Error::field(
            "secret",
            "That is far longer than any key; give only the key.",
        ));
    }
    let search = console.find_leaked(secret).await?;
    let outcome = if args.revoke {
        Some(revoke(console, &search).await)
    } else {
        None
    };
    console.discard_leak();
    let (revocation, refusal) = match outcome {
        Some(Ok(revocation)) => (Some(revocation), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    if global.json {
        output::json(
            Stream::Stdout,
            &LeakOutput {
                search: &search,
                revocation: revocation.as_ref(),
            },
        )?;
    } else {
        print_search(&search);
        if let Some(revocation) = &revocation {
            print_revocation(revocation);
        }
    }
    if let Some(refusal) = refusal {
        return Err(refusal);
    }
    if search.matches.is_empty() {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("No key of the searched profiles is {}.", search.masked),
        ));
    }
    Ok(())
}

/// *Revoke now* of the one exact match, through a profile allowed to revoke it.
async fn revoke(console: &Console, search: &LeakSearch) -> Result<LeakRevocation, Error> {
    let chosen = only_exact_match(search)?;
    let holder = chosen
        .profiles
        .iter()
        .find(|p| p.can_revoke)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Forbidden,
                format!(
                    "No profile that sees key \"{}\" may revoke it; add a profile with an owner or admin credential of its project.",
                    chosen.key.name
                ),
            )
        })?;
    console
        .revoke_leaked(&search.leak_id, &holder.profile_id, &chosen.key.id)
        .await
}

/// The one key that matches the whole secret, or the sentence why none can be picked.
fn only_exact_match(search: &LeakSearch) -> Result<&LeakMatch, Error> {
    match search.matches.as_slice() {
        [] => Err(Error::new(
            ErrorCode::NotFound,
            format!("No key of the searched profiles is {}; nothing was revoked.", search.masked),
        )),
        [only] if only.exact && !search.ambiguous => Ok(only),
        [only] => Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "{} shows only part of each secret, so key \"{}\" ({}) is a candidate, not a certain match; nothing was revoked. If it is the leaked key, revoke it with `kw keys revoke {}`.",
                only.platform, only.key.name, only.key.id, only.key.id
            ),
        )),
        several => Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "{} keys may be this secret and nothing tells which; nothing was revoked. Revoke the right one with `kw keys revoke ID`.",
                several.len()
            ),
        )),
    }
}

fn print_search(search: &LeakSearch) {
    if !search.matches.is_empty() {
        let rows = search.matches.iter().map(|m| {
            vec![
                m.platform.clone(),
                m.key.id.clone(),
                m.key.name.clone(),
                output::or_dash(m.key.hint.as_deref()),
                word(&m.key.state),
                if m.exact { "exact" } else { "candidate" }.to_owned(),
                m.profiles
                    .iter()
                    .map(|p| {
                        if p.can_revoke {
                            format!("{} (may revoke)", p.profile_name)
                        } else {
                            p.profile_name.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        });
        Stream::Stdout.print(&output::table(
            &[
                "PLATFORM", "KEY ID", "NAME", "HINT", "STATE", "MATCH", "PROFILES",
            ],
            rows,
        ));
    }
    if search.ambiguous {
        Stream::Stdout.print(
            "Ambiguous: several keys may be this secret and nothing tells which; none is picked.",
        );
    }
    if !search.searched.is_empty() {
        Stream::Stderr.print(&format!("Searched: {}.", search.searched.join(", ")));
    }
    for gap in &search.gaps {
        Stream::Stderr.print(&format!(
            "Not searched: \"{}\": {}",
            gap.profile_name, gap.error.message
        ));
    }
}

fn print_revocation(revocation: &LeakRevocation) {
    let mut text = format!(
        "Revoked key \"{}\" ({}).",
        revocation.key.name, revocation.key.id
    );
    match &revocation.proof {
        Some(proof) if proof.refused => text.push_str(&format!(
            " Proof: the leaked secret is now refused (HTTP {}: {}).",
            proof.status, proof.message
        )),
        Some(proof) => text.push_str(&format!(
            " Warning: the leaked secret still got HTTP {} ({}); check the key.",
            proof.status, proof.message
        )),
        None => text.push_str(" The platform allows no request with the secret, so the revoke itself is the only proof."),
    }
    Stream::Stdout.print(&text);
}
