//! Leak test (issue #4): after creating, testing, importing, switching and deleting
//! profiles, none of the tokens involved is in the console's database files, in its
//! logs (captured at TRACE), or in any value a command returns, serialized to JSON
//! exactly as IPC serializes it.

use crate::console::{form, open_console};
use crate::harness::start_gateway;
use crate::keychain::SERIAL;
use keyward_api::token::{self, TokenKind};
use keyward_api::Secret;
use keyward_core::console::{ImportChoice, LOCAL_PROFILE_ID};
use keyward_core::import;
use keyward_core::platform::model::{AccessLevel, KeyState};
use serde::Serialize;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every response, success or error, as the IPC layer would serialize it.
#[derive(Default)]
struct Responses(Vec<String>);

impl Responses {
    fn record<T: Serialize, E: Serialize>(&mut self, result: &Result<T, E>) {
        let json = match result {
            Ok(value) => serde_json::to_string(value),
            Err(error) => serde_json::to_string(error),
        };
        self.0.push(json.unwrap());
    }
}

/// The full token and its random part on its own (a prefix-stripped copy is a leak too).
fn needles(secret: &Secret) -> Vec<Vec<u8>> {
    let full = secret.expose();
    let body = &full[full.find('_').map(|i| i + 5).unwrap_or(0)..];
    vec![full.as_bytes().to_vec(), body.as_bytes()[..20].to_vec()]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_token_reaches_the_database_the_logs_or_a_response() {
    let _serial = SERIAL.lock().await;
    // Global, not per-thread: sqlx runs each SQLite connection on its own thread.
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("only this test installs a global subscriber");

    let service = format!("dev.keyward.test.leaks.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let now = chrono::Utc::now();
    let (_gw, url, project, owner) = start_gateway(&dir.path().join("gateway")).await;
    let (_gw2, team_url, team_project, team_owner) = start_gateway(&dir.path().join("team")).await;
    let stranger = token::generate(TokenKind::Control);
    let imported = token::generate(TokenKind::Control);
    let foreign = Secret::new("ps_account_token_4f8a2c9e1b7d3a6f0e5c".into());
    let tokens = [&owner, &team_owner, &stranger, &imported, &foreign];

    let console = open_console(&db, &service).await;
    let mut out = Responses::default();
    let local_owner = owner.clone();
    out.record(
        &console
            .ensure_local(&url, &project, now, || async { Ok(local_owner) })
            .await,
    );
    console.restore_active().await.unwrap();
    out.record(&console.active_view().await);

    // Create and test, with a good and a bad token.
    let team_form = form("Team", &team_url, &team_project, Some(team_owner.expose()));
    out.record(&console.test_form(team_form.clone(), None).await);
    let team = console.create(team_form, now).await;
    out.record(&team);
    let team = team.unwrap();
    out.record(&console.test_saved(&team.id).await);
    let bad = form("Bad", &team_url, &team_project, Some(stranger.expose()));
    let refused = console.test_form(bad.clone(), None).await;
    assert!(refused.is_err(), "an unknown token is refused");
    out.record(&refused);
    let stranger_profile = console.create(bad, now).await;
    out.record(&stranger_profile);
    out.record(&console.switch(&stranger_profile.unwrap().id).await);
    let active = console.active().await.unwrap();
    out.record(&keyward_core::KeywardClient::new().list_keys(&active).await);
    out.record(&console.switch(&team.id).await);
    out.record(&console.duplicate(&team.id, "Team copy", now).await);

    // Import: a .env holding a control token, and a foreign platform's INI file.
    let dotenv = format!(
        "INFERENCEKEY_BASE_URL={team_url}\nINFERENCEKEY_PROJECT={team_project}\nINFERENCEKEY_SDK_TOKEN={}\n",
        imported.expose()
    );
    let mut found = import::from_dotenv(&dotenv, "team.env").unwrap();
    let ini = format!("[prod]\napi_token = {}\nproject = prod\n", foreign.expose());
    found.extend(import::from_podstack_ini(&ini, "credentials").unwrap());
    let views = console.offer_imports(found).await;
    out.record(&Ok::<_, ()>(&views));
    let choices: Vec<ImportChoice> = views
        .iter()
        .map(|v| ImportChoice {
            candidate_id: v.id.clone(),
            name: v.name.clone(),
            kind: v.kind,
            base_url: v
                .base_url
                .clone()
                .unwrap_or_else(|| "https://api.podstack.example".into()),
            project_id: v.project_id.clone().unwrap(),
        })
        .collect();
    let report = console.import(choices, now).await;
    assert_eq!(
        (report.created.len(), report.failed.len()),
        (2, 0),
        "{report:?}"
    );
    out.record(&Ok::<_, ()>(&report));
    for created in &report.created {
        out.record(&console.test_saved(&created.id).await);
    }
    console.discard_imports();

    // Delete everything but Local.
    for profile in console.list().await.unwrap().profiles {
        if profile.id != LOCAL_PROFILE_ID {
            out.record(&console.delete(&profile.id).await);
        }
    }
    out.record(&console.list().await);

    // The database files, read while the pool is open (WAL content included)…
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(files.iter().any(|(p, _)| p.ends_with("console.db")));
    let logs = logs.0.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&logs);
    for source in [
        "sqlx::query",
        "hyper_util::client",
        "zbus",
        "INSERT INTO profiles",
    ] {
        assert!(text.contains(source), "the logs cover {source}");
    }
    assert!(out.0.len() >= 15, "every step's response was recorded");
    for secret in tokens {
        for needle in needles(secret) {
            for (path, bytes) in &files {
                assert!(!contains(bytes, &needle), "a token is in {path}");
            }
            assert!(!contains(&logs, &needle), "a token is in the logs");
            for response in &out.0 {
                assert!(
                    !contains(response.as_bytes(), &needle),
                    "a token is in a response: {response}"
                );
            }
        }
    }
    secret_tool_clear_local(&service);
}

fn secret_tool_clear_local(service: &str) {
    let _ = std::process::Command::new("secret-tool")
        .args(["clear", "service", service, "username", LOCAL_PROFILE_ID])
        .status();
}

/// Issue #15: two profiles of one project (an admin's and finance's viewer token) used
/// to list a leaked key twice, offer *Revoke now* through the viewer and pass on its
/// raw 403. Now the key is one match naming both profiles, the admin first and marked
/// as the one that may revoke; a revoke through the viewer anyway is refused in words.
#[tokio::test]
async fn a_leaked_key_seen_by_two_profiles_is_one_match_revocable_where_the_role_allows() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.leak-dedupe.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let (_gw, url, project, owner) = start_gateway(&dir.path().join("gateway")).await;
    let viewer: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/v1/projects/{project}/control-tokens"))
        .bearer_auth(owner.expose())
        .json(&serde_json::json!({"name": "finance", "role": "viewer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let viewer = viewer["secret"]
        .as_str()
        .expect("a viewer token")
        .to_owned();

    let console = open_console(&dir.path().join("console.db"), &service).await;
    // The same platform, spelt two ways.
    let admin = console
        .create(form("Ops", &url, &project, Some(owner.expose())), now)
        .await
        .unwrap();
    let finance = console
        .create(
            form("Finance", &format!("{url}/"), &project, Some(&viewer)),
            now,
        )
        .await
        .unwrap();
    let ops = console.store().connect(&admin.id).await.unwrap();
    let leaked = keyward_core::KeywardClient::new()
        .create_key(&ops, "leaked-in-a-ticket")
        .await
        .unwrap();

    let search = console
        .find_leaked(Secret::new(leaked.secret.expose().to_owned()))
        .await
        .unwrap();
    assert_eq!(search.matches.len(), 1, "one key, one match: {search:?}");
    let found = &search.matches[0];
    assert_eq!(found.key.id, leaked.key.id);
    let holders: Vec<_> = found
        .profiles
        .iter()
        .map(|h| (h.profile_name.as_str(), h.role, h.can_revoke))
        .collect();
    assert_eq!(
        holders,
        [
            ("Ops", Some(AccessLevel::Owner), true),
            ("Finance", Some(AccessLevel::Viewer), false)
        ]
    );

    let refused = console
        .revoke_leaked(&search.leak_id, &finance.id, &leaked.key.id)
        .await
        .unwrap_err();
    assert_eq!(refused.code, keyward_core::ErrorCode::Forbidden);
    assert!(
        refused.message.contains("\"Finance\"") && refused.message.contains("owner or admin"),
        "{}",
        refused.message
    );
    assert!(
        !refused.message.contains("scope_insufficient"),
        "{}",
        refused.message
    );

    let revoked = console
        .revoke_leaked(&search.leak_id, &admin.id, &leaked.key.id)
        .await
        .unwrap();
    assert_eq!(revoked.key.state, KeyState::Revoked);
    let proof = revoked
        .proof
        .expect("the gateway's data plane proves the revoke");
    assert!(proof.refused && proof.status == 401, "{proof:?}");
    // Every profile listing the key sees it revoked.
    let seen_by_finance = keyward_core::KeywardClient::new()
        .get_key(
            &console.store().connect(&finance.id).await.unwrap(),
            &leaked.key.id,
        )
        .await
        .unwrap();
    assert_eq!(seen_by_finance.status, keyward_api::KeyStatus::Revoked);
    console.discard_leak();

    for profile in [admin.id, finance.id] {
        console.delete(&profile).await.unwrap();
    }
}

/// *Find a leaked key* across a Keyward gateway and an OpenAI organisation: each
/// platform recognises its own secrets (the other is never asked), an OpenAI secret
/// whose visible characters fit two keys is ambiguous and names both, an OpenAI
/// admin profile learns its organisation on save, and revoking a candidate works
/// without a proof request (OpenAI allows none from the console).
#[tokio::test]
async fn a_leak_search_asks_only_the_platforms_that_recognise_the_secret() {
    use keyward_core::platform::PlatformKind;
    use keyward_fakes::openai::Seed;
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.leak-platforms.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let (_gw, url, project, owner) = start_gateway(&dir.path().join("gateway")).await;
    let mut seed = Seed::generated(2, 3);
    // Key 1 differs from key 0 only in the middle: the same redacted value.
    let mut chars: Vec<char> = seed.keys[0].secret.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    seed.keys[1].secret = chars.into_iter().collect();
    seed.keys[1].owner = seed.keys[0].owner.clone();
    let fake = keyward_fakes::Fake::openai(seed.clone()).await;

    let console = open_console(&dir.path().join("console.db"), &service).await;
    console
        .create(form("Gateway", &url, &project, Some(owner.expose())), now)
        .await
        .unwrap();
    let openai = console
        .create(
            keyward_core::console::ProfileForm {
                kind: PlatformKind::Openai,
                ..form("Acme OpenAI", &fake.base_url, "", Some(&fake.admin_key))
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        openai.project_id, seed.organization.id,
        "the organisation, from Test connection"
    );

    // A gateway key: found by the gateway; OpenAI is not asked.
    let gateway_profile = console.store().list().await.unwrap();
    let gw = gateway_profile
        .iter()
        .find(|p| p.name == "Gateway")
        .unwrap();
    let leaked = keyward_core::KeywardClient::new()
        .create_key(&console.store().connect(&gw.id).await.unwrap(), "ticket")
        .await
        .unwrap();
    let before = fake.requests().len();
    let search = console.find_leaked(leaked.secret.clone()).await.unwrap();
    assert_eq!(search.matches.len(), 1);
    assert!(search.matches[0].exact && !search.ambiguous);
    assert_eq!(search.matches[0].platform, "Keyward gateway");
    assert_eq!(
        fake.requests().len(),
        before,
        "OpenAI was not asked about a kw_ key"
    );

    // An OpenAI key that fits two keys: both named, ambiguous, none picked.
    let search = console
        .find_leaked(Secret::new(seed.keys[0].secret.clone()))
        .await
        .unwrap();
    assert!(search.ambiguous, "{search:?}");
    assert_eq!(search.matches.len(), 2);
    assert!(search
        .matches
        .iter()
        .all(|m| !m.exact && m.platform == "OpenAI"));
    assert_eq!(
        search.searched,
        ["Acme OpenAI"],
        "the gateway was not asked"
    );
    let holder = &search.matches[0].profiles[0];
    assert!(holder.can_revoke, "an admin key manages keys");

    // A unique OpenAI key: revoked, without a proof request.
    let search = console
        .find_leaked(Secret::new(seed.keys[4].secret.clone()))
        .await
        .unwrap();
    assert_eq!(search.matches.len(), 1);
    assert!(!search.ambiguous, "one candidate is not ambiguous");
    let revoked = console
        .revoke_leaked(&search.leak_id, &openai.id, &search.matches[0].key.id)
        .await
        .unwrap();
    assert_eq!(revoked.key.state, KeyState::Revoked);
    assert!(revoked.proof.is_none());

    // Nobody's secret: a field error, no platform asked.
    let before = fake.requests().len();
    let error = console
        .find_leaked(Secret::new("ghp_notaninferencekeyatall000000".into()))
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("secret"));
    assert!(
        error.message.contains("No platform was asked"),
        "{}",
        error.message
    );
    assert_eq!(fake.requests().len(), before);
}
