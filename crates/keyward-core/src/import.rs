//! Finding credentials people already have: the environment, a `.env` file, and a
//! Podstack-style INI credentials file with named sections.
//!
//! Parsing yields candidates the user chooses from. A candidate shows its token only
//! masked; the token itself is a `Secret` that goes straight into the keychain when
//! the user picks it, and is never serialized.

use crate::profiles::PlatformKind;
use crate::Error;
use crate::ErrorCode;
use keyward_api::Secret;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportCandidate {
    /// Where it was found: "environment", "~/.podstack/credentials [production]", …
    pub source: String,
    /// A suggested profile name.
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: Option<String>,
    pub project_id: Option<String>,
    /// The token, masked (`ik_sdk_Ab3…9xQz`).
    pub masked: String,
    #[serde(skip)]
    pub token: Secret,
    /// Why this credential cannot become a profile, known from the scan alone (a data
    /// key under InferenceKey's variables); `None` = nothing refuses it here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

fn candidate(
    source: &str,
    name: String,
    kind: PlatformKind,
    base_url: Option<&String>,
    project: Option<&String>,
    token: &str,
) -> ImportCandidate {
    let clean = |v: Option<&String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    // The gateway speaks InferenceKey's API, so InferenceKey's variables may well hold
    // a Keyward control token pointing at a Keyward gateway: the token says which.
    let kind = match keyward_api::token::parse(token.trim()) {
        Ok(keyward_api::token::TokenKind::Control) => PlatformKind::Keyward,
        _ => kind,
    };
    ImportCandidate {
        source: source.to_owned(),
        name,
        kind,
        base_url: clean(base_url),
        project_id: clean(project),
        masked: mask(token.trim()),
        token: Secret::new(token.trim().to_owned()),
        refusal: None,
    }
}

/// A foreign token, masked: its type prefix (`ik_sdk_`, `sk-admin-`: up to the last `_`
/// or `-` within the first 12 characters) and the last four characters, so people can tell tokens apart
/// while at most four characters of the secret part show. Short tokens show nothing.
pub fn mask(token: &str) -> String {
    let prefix_end = token
        .char_indices()
        .take(12)
        .filter(|(_, c)| *c == '_' || *c == '-')
        .map(|(i, _)| i + 1)
        .last()
        .unwrap_or(0);
    let rest = &token[prefix_end..];
    if rest.chars().count() < 16 {
        return format!("{}…", &token[..prefix_end]);
    }
    let tail: String = rest.chars().skip(rest.chars().count() - 4).collect();
    format!("{}…{tail}", &token[..prefix_end])
}

/// The variables the seed platforms' SDKs read (explicit arguments beat these there
/// too; here they only seed suggestions).
pub fn from_variables(vars: &BTreeMap<String, String>, source: &str) -> Vec<ImportCandidate> {
    let mut found = inferencekey_from_variables(vars, source);
    let present = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty());
    // The admin keys the official SDKs read; the base URL as their SDK variable has it,
    // else the public API root. Anthropic's SDK root has no version: the profile's has.
    if let Some(token) = present("OPENAI_ADMIN_KEY") {
        let base = present("OPENAI_BASE_URL")
            .cloned()
            .or(PlatformKind::Openai.profile_labels().default_base_url);
        found.push(candidate(
            source,
            "OpenAI".to_owned(),
            PlatformKind::Openai,
            base.as_ref(),
            None,
            token,
        ));
    }
    if let Some(token) = present("ANTHROPIC_ADMIN_KEY") {
        let base = present("ANTHROPIC_BASE_URL")
            .map(|url| {
                let url = url.trim().trim_end_matches('/');
                if url.ends_with("/v1") {
                    url.to_owned()
                } else {
                    format!("{url}/v1")
                }
            })
            .or(PlatformKind::Anthropic.profile_labels().default_base_url);
        found.push(candidate(
            source,
            "Anthropic".to_owned(),
            PlatformKind::Anthropic,
            base.as_ref(),
            None,
            token,
        ));
    }
    if let Some(token) = present("PODSTACK_API_TOKEN") {
        let project = present("PODSTACK_PROJECT");
        let name = match project {
            Some(p) => format!("Podstack ({})", p.trim()),
            None => "Podstack".to_owned(),
        };
        found.push(candidate(
            source,
            name,
            PlatformKind::Podstack,
            present("PODSTACK_BASE_URL"),
            project,
            token,
        ));
    }
    found.extend(openrouter_from_variables(vars, source));
    found.extend(litellm_from_variables(vars, source));
    found.extend(gcore_from_variables(vars, source));
    found
}

/// `GCORE_API_KEY` with `GCORE_CLOUD_PROJECT_ID` and `GCORE_BASE_URL` (else the public
/// API root), as Gcore's SDK reads them. `GCORE_CLOUD_REGION_ID` only names the
/// candidate: Everywhere Inference addresses a project, and each deployment picks its
/// own regions (see `platform::gcore`).
fn gcore_from_variables(vars: &BTreeMap<String, String>, source: &str) -> Option<ImportCandidate> {
    let present = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty());
    let token = present("GCORE_API_KEY")?;
    let project = present("GCORE_CLOUD_PROJECT_ID");
    let region = present("GCORE_CLOUD_REGION_ID");
    let base = present("GCORE_BASE_URL")
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .or(PlatformKind::Gcore.profile_labels().default_base_url);
    let name = match (project, region) {
        (Some(p), Some(r)) => format!("Gcore (project {}, region {})", p.trim(), r.trim()),
        (Some(p), None) => format!("Gcore (project {})", p.trim()),
        _ => "Gcore".to_owned(),
    };
    Some(candidate(
        source,
        name,
        PlatformKind::Gcore,
        base.as_ref(),
        project,
        token,
    ))
}

/// InferenceKey's SDK token (`INFERENCEKEY_SDK_TOKEN`, with `INFERENCEKEY_PROJECT` and
/// `INFERENCEKEY_BASE_URL`), and a data key in its place or in `INFERENCEKEY_API_KEY`
/// (where the SDK's data client reads one) named as such: a data key calls workloads
/// and cannot manage them, so it comes with its refusal and never becomes a profile.
fn inferencekey_from_variables(
    vars: &BTreeMap<String, String>,
    source: &str,
) -> Vec<ImportCandidate> {
    let present = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty());
    let project = present("INFERENCEKEY_PROJECT");
    let name = match project {
        Some(p) => format!("InferenceKey ({})", p.trim()),
        None => "InferenceKey".to_owned(),
    };
    let mut found = Vec::new();
    for variable in ["INFERENCEKEY_SDK_TOKEN", "INFERENCEKEY_API_KEY"] {
        let Some(token) = present(variable) else {
            continue;
        };
        let refusal = data_key_refusal(variable, token);
        // The data client's variable is expected to hold a data key: only one is news.
        if variable == "INFERENCEKEY_API_KEY" && refusal.is_none() {
            continue;
        }
        let mut found_here = candidate(
            source,
            name.clone(),
            PlatformKind::Inferencekey,
            present("INFERENCEKEY_BASE_URL"),
            project,
            token,
        );
        found_here.refusal = refusal;
        found.push(found_here);
    }
    found
}

/// Why the data key in `variable` is no profile's credential; `None` when `token` is
/// not a data key (InferenceKey's `ik_live_…`, or a Keyward gateway's, which serves
/// InferenceKey's routes).
fn data_key_refusal(variable: &str, token: &str) -> Option<String> {
    use crate::platform::inferencekey::DATA_KEY_PREFIX;
    use keyward_api::token::{parse, TokenKind};
    let token = token.trim();
    if token.starts_with(DATA_KEY_PREFIX) {
        return Some(format!(
            "{variable} holds an InferenceKey data key (ik_live_…), not an SDK token: it calls workloads but cannot provision them, so it is not imported. A profile needs the project's SDK token (ik_sdk_…) from InferenceKey's dashboard → Project → Tokens."
        ));
    }
    matches!(parse(token), Ok(TokenKind::Data)).then(|| {
        format!(
            "{variable} holds a Keyward inference key (kw_live_…), not a control token: it calls workloads but cannot manage them, so it is not imported. A profile needs a control token (kw_ctl_…) of the gateway."
        )
    })
}

/// `OPENROUTER_API_KEY`, as OpenRouter's SDK reads it, and every other variable
/// holding a whole OpenRouter key (`sk-or-v1-` and 64 hex digits): teams keep the
/// management key beside the apps' key under a name of their own
/// (`OPENROUTER_MANAGEMENT_KEY`, `OR_ADMIN_KEY`). The root is `OPENROUTER_BASE_URL`,
/// else the public API. Apps keep inference keys in these variables as often as
/// management keys, and only `GET /key` can tell them apart, so each is offered and
/// the scan asks the platform before anyone chooses (see `Console::offer_imports`).
/// The same key in two variables is offered once, under the first name.
fn openrouter_from_variables(
    vars: &BTreeMap<String, String>,
    source: &str,
) -> Vec<ImportCandidate> {
    const SDK_VARIABLE: &str = "OPENROUTER_API_KEY";
    let present = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty());
    let base = present("OPENROUTER_BASE_URL")
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .or(PlatformKind::Openrouter.profile_labels().default_base_url);
    let whole_key = |value: &str| {
        value
            .strip_prefix("sk-or-v1-")
            .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let sdk = present(SDK_VARIABLE).map(|token| (SDK_VARIABLE, token));
    let others = vars
        .iter()
        .filter(|(name, value)| name.as_str() != SDK_VARIABLE && whole_key(value.trim()))
        .map(|(name, value)| (name.as_str(), value));
    let mut seen = std::collections::BTreeSet::new();
    sdk.into_iter()
        .chain(others)
        .filter(|(_, token)| seen.insert(token.trim().to_owned()))
        .map(|(variable, token)| {
            let name = if variable == SDK_VARIABLE {
                "OpenRouter".to_owned()
            } else {
                format!("OpenRouter {variable}")
            };
            candidate(
                &format!("{source}: {variable}"),
                name,
                PlatformKind::Openrouter,
                base.as_ref(),
                None,
                token,
            )
        })
        .collect()
}

/// `LITELLM_MASTER_KEY` with the proxy it opens, `LITELLM_PROXY_URL` (the proxy's own
/// root: there is no public LiteLLM). Without the URL the candidate is still offered,
/// with no address, for the person to type it.
fn litellm_from_variables(
    vars: &BTreeMap<String, String>,
    source: &str,
) -> Option<ImportCandidate> {
    let present = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty());
    let token = present("LITELLM_MASTER_KEY")?;
    let base = present("LITELLM_PROXY_URL").map(|url| url.trim().trim_end_matches('/').to_owned());
    Some(candidate(
        source,
        "LiteLLM proxy".to_owned(),
        PlatformKind::Litellm,
        base.as_ref(),
        None,
        token,
    ))
}

/// The process environment.
pub fn from_environment() -> Vec<ImportCandidate> {
    let vars: BTreeMap<String, String> = std::env::vars().collect();
    from_variables(&vars, "environment")
}

/// A `.env` file's text (`KEY=value`, `export KEY=value`, quotes, comments).
pub fn from_dotenv(text: &str, source: &str) -> Result<Vec<ImportCandidate>, Error> {
    let mut vars = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        // dotenvy's parse error quotes the offending line, which may hold a token:
        // report only where it is.
        let (key, value) = item.map_err(|e| {
            let what = match e {
                dotenvy::Error::LineParse(_, index) => {
                    format!("a line it cannot parse (at character {index} of that line)")
                }
                dotenvy::Error::Io(_) => "unreadable content".to_owned(),
                _ => "an entry it cannot read".to_owned(),
            };
            Error::new(
                ErrorCode::InvalidInput,
                format!("{source} is not a valid .env file: it has {what}."),
            )
        })?;
        vars.insert(key, value);
    }
    Ok(from_variables(&vars, source))
}

/// A Podstack credentials file: one candidate per section holding `api_token`.
pub fn from_podstack_ini(text: &str, source: &str) -> Result<Vec<ImportCandidate>, Error> {
    // Position only: the parser's message may quote content, which may be a token.
    let ini = ini::Ini::load_from_str(text).map_err(|e| {
        Error::new(
            ErrorCode::InvalidInput,
            format!(
                "{source} is not a valid INI credentials file (line {}, column {}).",
                e.line + 1,
                e.col + 1
            ),
        )
    })?;
    let mut found = Vec::new();
    for (section, props) in ini.iter() {
        let Some(token) = props.get("api_token").filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let section = section.unwrap_or("default");
        let get = |key: &str| props.get(key).map(str::to_owned);
        let project = get("project").or_else(|| get("project_id"));
        let base_url = get("base_url").or_else(|| get("api_url"));
        found.push(candidate(
            &format!("{source} [{section}]"),
            format!("Podstack ({section})"),
            PlatformKind::Podstack,
            base_url.as_ref(),
            project.as_ref(),
            token,
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_variables_of_both_platforms() {
        let found = from_variables(
            &vars(&[
                ("INFERENCEKEY_BASE_URL", "https://ik.example.com"),
                ("INFERENCEKEY_PROJECT", "vision"),
                ("INFERENCEKEY_SDK_TOKEN", "ik_sdk_abcdefghijklmnop1234"),
                ("PODSTACK_API_TOKEN", "ps_tok_qrstuvwxyz987654"),
                ("PODSTACK_PROJECT", "llm"),
                ("UNRELATED", "x"),
            ]),
            "environment",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].kind, found[0].name.as_str()),
            (PlatformKind::Inferencekey, "InferenceKey (vision)")
        );
        assert_eq!(found[0].base_url.as_deref(), Some("https://ik.example.com"));
        assert_eq!(found[0].token.expose(), "ik_sdk_abcdefghijklmnop1234");
        assert_eq!(found[0].masked, "ik_sdk_…1234");
        assert_eq!(
            mask("short_secret"),
            "short_…",
            "short tokens show no secret characters"
        );
        assert_eq!(
            (found[1].kind, found[1].project_id.as_deref()),
            (PlatformKind::Podstack, Some("llm"))
        );
        let shown = serde_json::to_string(&found).unwrap();
        assert!(
            !shown.contains("abcdefghijklmnop") && !shown.contains("qrstuvwxyz"),
            "serialized candidates hide tokens: {shown}"
        );
        assert!(
            from_variables(&vars(&[("INFERENCEKEY_SDK_TOKEN", "  ")]), "environment").is_empty()
        );
    }

    /// Issue #19: a data key where InferenceKey's SDK token belongs, or in the data
    /// client's variable, is named as such and refused at the scan, with no request.
    #[test]
    fn an_inferencekey_data_key_is_named_and_refused_never_a_control_token() {
        let refused = |pairs: &[(&str, &str)]| {
            from_variables(&vars(pairs), "environment")
                .into_iter()
                .map(|c| (c.kind, c.refusal))
                .collect::<Vec<_>>()
        };
        let found = refused(&[
            ("INFERENCEKEY_PROJECT", "vision"),
            ("INFERENCEKEY_SDK_TOKEN", "ik_live_abcdefghijklmnop1234"),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, PlatformKind::Inferencekey);
        let why = found[0].1.as_deref().expect("refused");
        assert!(
            why.starts_with("INFERENCEKEY_SDK_TOKEN holds an InferenceKey data key (ik_live_…)")
                && why.contains("dashboard → Project → Tokens"),
            "{why}"
        );

        // Beside a real SDK token: the token is offered, the data key named apart.
        let found = refused(&[
            ("INFERENCEKEY_SDK_TOKEN", "ik_sdk_abcdefghijklmnop1234"),
            ("INFERENCEKEY_API_KEY", "ik_live_qrstuvwxyzabcdef5678"),
        ]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1, None);
        assert!(found[1].1.as_deref().is_some_and(
            |why| why.starts_with("INFERENCEKEY_API_KEY holds an InferenceKey data key")
        ));

        // A gateway's inference key is refused too; its control token becomes Keyward.
        let data = keyward_api::token::generate(keyward_api::TokenKind::Data);
        let found = refused(&[("INFERENCEKEY_SDK_TOKEN", data.expose())]);
        assert!(found[0]
            .1
            .as_deref()
            .is_some_and(|why| why.contains("Keyward inference key (kw_live_…)")));
        let control = keyward_api::token::generate(keyward_api::TokenKind::Control);
        let found = refused(&[("INFERENCEKEY_SDK_TOKEN", control.expose())]);
        assert_eq!(found, [(PlatformKind::Keyward, None)]);

        // The data client's variable alone, holding what it should hold elsewhere: nothing.
        assert!(refused(&[("INFERENCEKEY_API_KEY", "something-else-entirely")]).is_empty());
    }

    #[test]
    fn admin_keys_of_openai_and_anthropic_are_offered_with_their_api_roots() {
        let found = from_variables(
            &vars(&[
                ("OPENAI_ADMIN_KEY", "sk-admin-abcdefghijklmnopqrstuvwxyz"),
                (
                    "ANTHROPIC_ADMIN_KEY",
                    "sk-ant-admin01-abcdefghijklmnopqrstu",
                ),
                ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/"),
                ("OPENAI_API_KEY", "sk-proj-not-an-admin-key-0000000000"),
            ]),
            "environment",
        );
        let kinds: Vec<_> = found
            .iter()
            .map(|c| (c.kind, c.base_url.as_deref(), c.masked.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    PlatformKind::Openai,
                    Some("https://api.openai.com/v1"),
                    "sk-admin-…wxyz"
                ),
                (
                    PlatformKind::Anthropic,
                    Some("http://127.0.0.1:9/v1"),
                    "sk-ant-…rstu"
                ),
            ]
        );
    }

    #[test]
    fn openrouter_keys_are_offered_with_the_public_api_root_or_their_own() {
        let public = from_variables(
            &vars(&[(
                "OPENROUTER_API_KEY",
                " sk-or-v1-0123456789abcdef0123456789abcdef ",
            )]),
            "environment",
        );
        assert_eq!(public.len(), 1);
        assert_eq!(
            (
                public[0].kind,
                public[0].base_url.as_deref(),
                public[0].name.as_str()
            ),
            (
                PlatformKind::Openrouter,
                Some("https://openrouter.ai/api/v1"),
                "OpenRouter"
            )
        );
        assert_eq!(
            public[0].token.expose(),
            "sk-or-v1-0123456789abcdef0123456789abcdef"
        );
        assert_eq!(public[0].masked, "sk-or-v1-…cdef");
        let own = from_variables(
            &vars(&[
                (
                    "OPENROUTER_API_KEY",
                    "sk-or-v1-0123456789abcdef0123456789abcdef",
                ),
                ("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1/"),
            ]),
            "environment",
        );
        assert_eq!(
            own[0].base_url.as_deref(),
            Some("http://127.0.0.1:9/api/v1")
        );
        assert!(
            from_variables(&vars(&[("OPENROUTER_BASE_URL", "http://x")]), "e").is_empty(),
            "an address alone is no candidate"
        );
    }

    #[test]
    fn litellm_master_keys_come_with_their_proxy_or_without_an_address() {
        let found = from_dotenv(
            "LITELLM_MASTER_KEY=sk-master-0123456789abcdef\nLITELLM_PROXY_URL=https://llm.internal.example:4000/\n",
            ".env",
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (
                found[0].kind,
                found[0].base_url.as_deref(),
                found[0].source.as_str()
            ),
            (
                PlatformKind::Litellm,
                Some("https://llm.internal.example:4000"),
                ".env"
            )
        );
        assert_eq!(found[0].token.expose(), "sk-master-0123456789abcdef");
        let no_url = from_variables(
            &vars(&[("LITELLM_MASTER_KEY", "sk-master-0123456789abcdef")]),
            "environment",
        );
        assert_eq!(
            (no_url.len(), no_url[0].kind, no_url[0].base_url.as_deref()),
            (1, PlatformKind::Litellm, None)
        );
        assert!(
            from_variables(
                &vars(&[
                    ("LITELLM_PROXY_URL", "http://proxy"),
                    ("LITELLM_MASTER_KEY", " ")
                ]),
                "environment"
            )
            .is_empty(),
            "no key, no candidate"
        );
    }

    #[test]
    fn gcore_tokens_come_with_their_project_and_the_public_api_root_or_their_own() {
        let found = from_variables(
            &vars(&[
                ("GCORE_API_KEY", "40123$0123456789abcdef0123456789abcdef"),
                ("GCORE_CLOUD_PROJECT_ID", " 379 "),
                ("GCORE_CLOUD_REGION_ID", "76"),
            ]),
            "environment",
        );
        assert_eq!(found.len(), 1);
        let gcore = &found[0];
        assert_eq!(
            (
                gcore.kind,
                gcore.name.as_str(),
                gcore.base_url.as_deref(),
                gcore.project_id.as_deref()
            ),
            (
                PlatformKind::Gcore,
                "Gcore (project 379, region 76)",
                Some("https://api.gcore.com"),
                Some("379")
            )
        );
        assert_eq!(
            gcore.token.expose(),
            "40123$0123456789abcdef0123456789abcdef"
        );
        assert!(!gcore.masked.contains("0123456789"), "{}", gcore.masked);
        let own = from_variables(
            &vars(&[
                ("GCORE_API_KEY", "40123$0123456789abcdef0123456789abcdef"),
                ("GCORE_BASE_URL", "http://127.0.0.1:9/"),
            ]),
            "environment",
        );
        assert_eq!(
            (own[0].base_url.as_deref(), own[0].project_id.as_deref()),
            (Some("http://127.0.0.1:9"), None)
        );
        assert!(
            from_variables(&vars(&[("GCORE_CLOUD_PROJECT_ID", "379")]), "e").is_empty(),
            "no token, no candidate"
        );
    }

    #[test]
    fn dotenv_files_with_export_quotes_and_comments() {
        let text = "# team creds\nexport INFERENCEKEY_SDK_TOKEN=\"ik_sdk_quoted_token_value_1\"\nINFERENCEKEY_PROJECT='research' # inline\n\nPODSTACK_API_TOKEN=ps_plain_token_123456\n";
        let found = from_dotenv(text, ".env").unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].token.expose(), "ik_sdk_quoted_token_value_1");
        assert_eq!(found[0].project_id.as_deref(), Some("research"));
        let error = from_dotenv(
            "VALID=1\nPODSTACK_API_TOKEN=\"ps_leaky_token_value_42",
            ".env",
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(
            !error.message.contains("ps_leaky"),
            "a parse error quoted the token: {}",
            error.message
        );
    }

    #[test]
    fn podstack_ini_with_several_sections() {
        let text = "[default]\napi_token = ps_default_token_0001\nproject = sandbox\n\n[production]\napi_token = ps_prod_token_000002\nproject = prod\nbase_url = https://api.podstack.example\n\n[empty]\nproject = none\n";
        let found = from_podstack_ini(text, "~/.podstack/credentials").unwrap();
        let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Podstack (default)", "Podstack (production)"]);
        assert_eq!(found[1].source, "~/.podstack/credentials [production]");
        assert_eq!(
            found[1].base_url.as_deref(),
            Some("https://api.podstack.example")
        );
        assert_eq!(found[1].token.expose(), "ps_prod_token_000002");
        let error =
            from_podstack_ini("[broken\napi_token = ps_leaky_ini_token_77", "f").unwrap_err();
        assert!(!error.message.contains("ps_leaky"), "{}", error.message);
    }
}
