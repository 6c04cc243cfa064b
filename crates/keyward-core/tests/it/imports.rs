//! Importing OpenRouter keys (issue #18): `OPENROUTER_API_KEY` may hold an app's
//! inference key as well as a management key, and only `GET /key` tells them apart.
//! Against the fake OpenRouter, a scan finds the key in any variable, asks the platform
//! about each before anyone chooses, names the inference key with the adapter's
//! sentence and does not hold it; the management key becomes a profile whose account
//! is read from it. The inference key is saved nowhere — neither as a profile nor in
//! the keychain.

use crate::console::open_console;
use crate::keychain::SERIAL;
use keyward_core::console::ImportChoice;
use keyward_core::import;
use keyward_core::profiles::PlatformKind;
use keyward_core::ErrorCode;
use keyward_fakes::openrouter::Seed;
use keyward_fakes::Fake;

#[tokio::test]
async fn an_openrouter_import_saves_a_management_key_and_refuses_an_inference_key() {
    let _serial = SERIAL.lock().await;
    let service = format!("dev.keyward.test.import-openrouter.{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let console = open_console(&dir.path().join("console.db"), &service).await;
    let seed = Seed::generated(2);
    let fake = Fake::openrouter(seed.clone()).await;
    let inference = seed.keys[0].secret.clone();

    // One .env: the SDK's variable holds an app's inference key, a variable of the
    // team's own naming the management key, and a third repeats it.
    let dotenv = format!(
        "OPENROUTER_API_KEY={inference}\nOPENROUTER_MANAGEMENT_KEY={admin}\nOR_COPY={admin}\nOPENROUTER_BASE_URL={}/\n",
        fake.base_url,
        admin = fake.admin_key,
    );
    let found = import::from_dotenv(&dotenv, "app.env").unwrap();
    assert_eq!(found.len(), 2, "the repeated key is offered once");
    let views = console.offer_imports(found).await;
    assert_eq!(views.len(), 2);
    assert!(views.iter().all(|v| v.kind == PlatformKind::Openrouter
        && v.base_url.as_deref() == Some(fake.base_url.as_str())));
    // Named before anyone chooses: the inference key with the platform's sentence.
    let app = &views[0];
    assert_eq!(app.source, "app.env: OPENROUTER_API_KEY");
    let refusal = app
        .refusal
        .as_deref()
        .expect("GET /key said: an inference key");
    assert!(
        refusal.starts_with("This is an OpenRouter inference key"),
        "{refusal}"
    );
    assert!(
        !refusal.contains(&inference[12..]),
        "no secret in the sentence"
    );
    let management = &views[1];
    assert_eq!(management.source, "app.env: OPENROUTER_MANAGEMENT_KEY");
    assert_eq!(management.name, "OpenRouter OPENROUTER_MANAGEMENT_KEY");
    assert_eq!(management.refusal, None);
    let asked = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/key")
        .count();
    assert_eq!(asked, 2, "each candidate asked once");

    let choice = |i: usize, name: &str, project: &str| ImportChoice {
        candidate_id: views[i].id.clone(),
        name: name.into(),
        kind: PlatformKind::Openrouter,
        base_url: fake.base_url.clone(),
        project_id: project.into(),
    };
    // A refused candidate is not held: choosing it anyway (a stale UI) fails, and
    // the management key is saved on its own.
    let report = console
        .import(
            vec![
                choice(1, "Acme OpenRouter", ""),
                choice(0, "App key", &seed.workspace_id),
            ],
            chrono::Utc::now(),
        )
        .await;

    assert_eq!(report.created.len(), 1, "{report:?}");
    let saved = &report.created[0];
    assert_eq!(
        (saved.name.as_str(), saved.project_id.as_str()),
        ("Acme OpenRouter", seed.workspace_id.as_str())
    );
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let refused = &report.failed[0];
    assert_eq!(
        (refused.name.as_str(), refused.error.code),
        ("App key", ErrorCode::NotFound)
    );
    let names: Vec<String> = console
        .list()
        .await
        .unwrap()
        .profiles
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert!(
        names.contains(&"Acme OpenRouter".to_owned()) && !names.contains(&"App key".to_owned()),
        "{names:?}"
    );
    let connected = console.store().connect(&saved.id).await.unwrap();
    assert_eq!(connected.token.expose(), fake.admin_key);

    console.delete(&saved.id).await.unwrap();
    console.discard_imports();
}
