//! `kw profiles`: the app's saved profiles, through the same `Console` calls the
//! Profiles page makes, so saving validates and stores exactly as the app does (row in
//! the console database, token in the keychain).

use super::word;
use crate::cli::{Global, ProfileAddArgs, ProfilesCommand};
use crate::output::{self, Stream};
use crate::{secret_input, target};
use keyward_core::console::{ConnectionReport, ProfileForm};
use keyward_core::profiles::StoredProfile;
use keyward_core::{Console, Error, PlatformKind};

pub async fn run(
    console: &Console,
    global: &Global,
    command: ProfilesCommand,
) -> Result<(), Error> {
    match command {
        ProfilesCommand::List => list(console, global).await,
        ProfilesCommand::Add(args) => add(console, global, args).await,
        ProfilesCommand::Test { name } => test(console, global, name).await,
        ProfilesCommand::Remove { name } => remove(console, global, &name).await,
    }
}

async fn list(console: &Console, global: &Global) -> Result<(), Error> {
    let list = console.list().await?;
    if global.json {
        return output::json(Stream::Stdout, &list);
    }
    if list.profiles.is_empty() {
        Stream::Stderr.print("No profiles yet: add one with `kw profiles add` or in the app.");
        return Ok(());
    }
    let rows = list.profiles.iter().map(|p| {
        vec![
            if p.id == list.active_id { "*" } else { "" }.to_owned(),
            p.name.clone(),
            word(&p.kind),
            p.base_url.clone(),
            output::or_dash(Some(&p.project_id)),
            p.id.clone(),
        ]
    });
    Stream::Stdout.print(&output::table(
        &["", "NAME", "PLATFORM", "BASE URL", "PROJECT", "ID"],
        rows,
    ));
    Ok(())
}

fn print_profile(global: &Global, profile: &StoredProfile) -> Result<(), Error> {
    if global.json {
        return output::json(Stream::Stdout, profile);
    }
    Stream::Stdout.print(&output::fields(&[
        ("Name", profile.name.clone()),
        ("Platform", profile.kind.display_name().to_owned()),
        ("Base URL", profile.base_url.clone()),
        ("Project", output::or_dash(Some(&profile.project_id))),
        ("Id", profile.id.clone()),
    ]));
    Ok(())
}

async fn add(console: &Console, global: &Global, args: ProfileAddArgs) -> Result<(), Error> {
    let kind: PlatformKind = global
        .platform
        .ok_or_else(|| {
            Error::field(
                "kind",
                "Say which platform the profile talks to: --platform keyward, openai, anthropic, openrouter or litellm.",
            )
        })?
        .into();
    let labels = kind.profile_labels();
    let base_url = global
        .base_url
        .clone()
        .or(labels.default_base_url.clone())
        .ok_or_else(|| {
            Error::field(
                "base_url",
                format!(
                    "A {} profile needs --base-url, its API root.",
                    kind.display_name()
                ),
            )
        })?;
    let token = secret_input::token(&format!("{} for \"{}\"", labels.credential, args.name))?;
    let form = ProfileForm {
        name: args.name,
        kind,
        base_url,
        project_id: args.project.unwrap_or_default(),
        notes: args.notes,
        token: Some(token),
    };
    // An empty project is read from the credential by `Console::create` (*Test
    // connection*), for every platform whose credential names it.
    let saved = console.create(form, chrono::Utc::now()).await?;
    print_profile(global, &saved)
}

async fn test(console: &Console, global: &Global, name: Option<String>) -> Result<(), Error> {
    let report = match name.or_else(|| global.profile.clone()) {
        Some(name) => {
            let stored = target::find_profile(console, &name).await?;
            console.test_saved(&stored.id).await?
        }
        None => {
            let (profile, platform) = target::resolve(console, global).await?;
            let who = platform.connection(&profile).await?;
            ConnectionReport {
                base_url: profile.base_url.clone(),
                token_label: who.credential_label,
                role: who.access,
                project_id: who.project.id,
                project_name: who.project.name,
            }
        }
    };
    if global.json {
        return output::json(Stream::Stdout, &report);
    }
    Stream::Stdout.print(&output::fields(&[
        ("Connected to", report.base_url.clone()),
        ("Credential", report.token_label.clone()),
        ("Role", word(&report.role)),
        (
            "Project",
            format!("{} ({})", report.project_name, report.project_id),
        ),
    ]));
    Ok(())
}

async fn remove(console: &Console, global: &Global, name: &str) -> Result<(), Error> {
    let stored = target::find_profile(console, name).await?;
    console.delete(&stored.id).await?;
    if global.json {
        return output::json(Stream::Stdout, &stored);
    }
    Stream::Stdout.print(&format!(
        "Removed profile \"{}\" and its keychain entry.",
        stored.name
    ));
    Ok(())
}
