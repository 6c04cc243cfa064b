//! Importing OpenRouter keys (issue #18): `OPENROUTER_API_KEY` may hold an app's
//! inference key as well as a management key, and only `GET /key` tells them apart.
//! Against the fake OpenRouter, the management key becomes a profile whose account is
//! read from it; the inference key is refused with the adapter's sentence and saved
//! nowhere — neither as a profile nor in the keychain.

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

    let mut found = Vec::new();
    for key in [fake.admin_key.as_str(), inference.as_str()] {
        let dotenv = format!(
            "OPENROUTER_API_KEY={key}\nOPENROUTER_BASE_URL={}/\n",
            fake.base_url
        );
        found.extend(import::from_dotenv(&dotenv, "app.env").unwrap());
    }
    let views = console.offer_imports(found);
    assert_eq!(views.len(), 2);
    assert!(views.iter().all(|v| v.kind == PlatformKind::Openrouter
        && v.base_url.as_deref() == Some(fake.base_url.as_str())));
    let choice = |i: usize, name: &str, project: &str| ImportChoice {
        candidate_id: views[i].id.clone(),
        name: name.into(),
        kind: PlatformKind::Openrouter,
        base_url: fake.base_url.clone(),
        project_id: project.into(),
    };
    // The inference key's choice names an account, so nothing would have asked the
    // platform about it had the import not tested every OpenRouter key.
    let report = console
        .import(
            vec![
                choice(0, "Acme OpenRouter", ""),
                choice(1, "App key", &seed.workspace_id),
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
        ("App key", ErrorCode::Forbidden)
    );
    assert!(
        refused
            .error
            .message
            .starts_with("This is an OpenRouter inference key"),
        "{}",
        refused.error.message
    );
    assert!(!refused.error.message.contains(&inference[12..]));
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
