//! Which platform a command talks to: a saved profile named by `--profile`, an
//! unsaved connection (`--platform` + `--base-url`, token from `KEYWARD_TOKEN`), or
//! the profile the desktop app has active. Each ends as a [`Profile`] (token loaded)
//! and its platform's adapter, which is all a command needs.

use crate::cli::{Global, PlatformArg};
use crate::secret_input;
use keyward_core::platform::Platform;
use keyward_core::profiles::StoredProfile;
use keyward_core::{Console, Error, ErrorCode, Http, PlatformKind, Profile};

impl From<PlatformArg> for PlatformKind {
    fn from(arg: PlatformArg) -> Self {
        match arg {
            PlatformArg::Keyward => PlatformKind::Keyward,
            PlatformArg::Openai => PlatformKind::Openai,
            PlatformArg::Anthropic => PlatformKind::Anthropic,
            PlatformArg::Openrouter => PlatformKind::Openrouter,
            PlatformArg::Litellm => PlatformKind::Litellm,
            PlatformArg::Inferencekey => PlatformKind::Inferencekey,
            PlatformArg::Gcore => PlatformKind::Gcore,
        }
    }
}

/// The project of an unsaved connection, where the token sees several (a Gcore
/// project ID); like `KEYWARD_TOKEN`, read from the environment only.
pub const PROJECT_ENV: &str = "KEYWARD_PROJECT";

/// A saved profile by name (as shown) or id.
pub async fn find_profile(console: &Console, name: &str) -> Result<StoredProfile, Error> {
    let profiles = console.store().list().await?;
    profiles
        .iter()
        .find(|p| p.name == name)
        .or_else(|| profiles.iter().find(|p| p.id == name))
        .or_else(|| {
            profiles
                .iter()
                .find(|p| p.name.to_lowercase() == name.to_lowercase())
        })
        .cloned()
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!("No profile is named \"{name}\"; `kw profiles list` shows the saved ones."),
            )
        })
}

fn adapter(kind: PlatformKind, http: &Http) -> Result<Box<dyn Platform>, Error> {
    kind.adapter(http)
        .ok_or_else(|| Error::new(ErrorCode::Unsupported, kind.no_adapter_sentence()))
}

/// The profile and platform the global flags name.
pub async fn resolve(
    console: &Console,
    global: &Global,
) -> Result<(Profile, Box<dyn Platform>), Error> {
    if let Some(kind) = global.platform {
        return unsaved(kind.into(), global.base_url.as_deref()).await;
    }
    if global.base_url.is_some() {
        return Err(Error::field(
            "base_url",
            "--base-url makes an unsaved connection and needs --platform too (or use --profile).",
        ));
    }
    match &global.profile {
        Some(name) => {
            let stored = find_profile(console, name).await?;
            let profile = console.store().connect(&stored.id).await?;
            let platform = adapter(profile.kind, &Http::new())?;
            Ok((profile, platform))
        }
        None => console.active_platform().await,
    }
}

/// An unsaved connection: the token from `KEYWARD_TOKEN` only (no prompt, so scripts
/// never hang), its project from `KEYWARD_PROJECT` when set (checked by *Test
/// connection*), else read from the token as *Test connection* does.
async fn unsaved(
    kind: PlatformKind,
    base_url: Option<&str>,
) -> Result<(Profile, Box<dyn Platform>), Error> {
    let base_url = address(kind, base_url)?;
    let token = secret_input::token_from_env().ok_or_else(|| {
        Error::field(
            "token",
            format!(
                "An unsaved connection reads its token from {}; set it (no flag takes a token).",
                secret_input::TOKEN_ENV
            ),
        )
    })?;
    let platform = adapter(kind, &Http::new())?;
    let mut profile = Profile {
        id: "unsaved".into(),
        name: format!("{} at {base_url}", kind.display_name()),
        kind,
        base_url: base_url.trim().trim_end_matches('/').to_owned(),
        project_id: std::env::var(PROJECT_ENV)
            .map(|p| p.trim().to_owned())
            .unwrap_or_default(),
        token,
    };
    check_base_url(&profile.base_url)?;
    profile.project_id = platform.connection(&profile).await?.project.id;
    Ok((profile, platform))
}

/// The unsaved connection's API root: `--base-url`, else the platform's one public API
/// (OpenAI, Anthropic, OpenRouter); a gateway or a proxy is wherever its owner runs it,
/// so for those the flag is required.
fn address(kind: PlatformKind, base_url: Option<&str>) -> Result<String, Error> {
    base_url
        .map(str::to_owned)
        .or(kind.profile_labels().default_base_url)
        .ok_or_else(|| {
            Error::field(
                "base_url",
                format!(
                    "--platform {} makes an unsaved connection and needs --base-url URL, the API root ({} has no public address).",
                    kind.as_str(),
                    kind.display_name()
                ),
            )
        })
}

/// The profile form's rule for an address, applied to an unsaved one too.
fn check_base_url(base_url: &str) -> Result<(), Error> {
    let probe = keyward_core::profiles::ProfileInput {
        name: "unsaved".into(),
        kind: PlatformKind::Keyward,
        base_url: base_url.to_owned(),
        project_id: "-".into(),
        notes: String::new(),
        token: None,
    };
    keyward_core::profiles::validate(probe, false).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::address;
    use keyward_core::PlatformKind;

    #[test]
    fn an_unsaved_connection_defaults_to_the_platforms_public_api_only() {
        assert_eq!(
            address(PlatformKind::Openrouter, None).unwrap(),
            "https://openrouter.ai/api/v1"
        );
        assert_eq!(
            address(PlatformKind::Openai, None).unwrap(),
            "https://api.openai.com/v1"
        );
        assert_eq!(
            address(PlatformKind::Openrouter, Some("http://127.0.0.1:9/api/v1")).unwrap(),
            "http://127.0.0.1:9/api/v1"
        );
        for kind in [PlatformKind::Keyward, PlatformKind::Litellm] {
            let error = address(kind, None).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("base_url"));
            assert!(
                error.message.contains("needs --base-url"),
                "{}",
                error.message
            );
        }
    }
}
