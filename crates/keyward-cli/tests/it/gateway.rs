//! kw against a real Keyward gateway served in this process: a profile saved by kw is
//! the app's, the key lifecycle with its `--json` shapes, a new secret alone on stdout,
//! the leak search and revoke through stdin, workloads, usage, and the exit codes.

use crate::harness::{start_gateway, Kw};
use keyward_api::token::{self, TokenKind};
use keyward_core::workloads::WorkloadForm;
use keyward_core::{KeywardClient, Profile};
use serde_json::Value;

fn keys_of(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_added_by_kw_is_the_apps_and_goes_with_remove() {
    let gateway_dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project, owner) = start_gateway(gateway_dir.path()).await;
    let kw = Kw::new();

    let saved = kw
        .add_profile("Gateway", "keyward", &base, owner.expose())
        .await;
    assert_eq!(
        keys_of(&saved),
        [
            "base_url",
            "builtin",
            "created_at",
            "id",
            "kind",
            "name",
            "notes",
            "project_id",
            "updated_at"
        ]
    );
    assert_eq!(saved["kind"], "keyward");
    assert_eq!(saved["project_id"], project.as_str(), "read from the token");
    let id = saved["id"].as_str().unwrap().to_owned();

    // The desktop app, opened on the same data directory and keychain, has it and can
    // use its token.
    let app = kw.app_console().await;
    let listed = app.list().await.unwrap();
    assert!(listed
        .profiles
        .iter()
        .any(|p| p.id == id && p.name == "Gateway"));
    let report = app.test_saved(&id).await.unwrap();
    assert_eq!(report.project_id, project);

    let list = kw
        .run(&["profiles", "list", "--json"], None, None)
        .await
        .json();
    assert_eq!(keys_of(&list), ["active_id", "profiles"]);
    assert_eq!(list["profiles"][0]["id"], id.as_str());
    let table = kw.run(&["profiles", "list"], None, None).await;
    assert!(
        table.ok().contains("Gateway") && table.stdout.contains(&base),
        "{table:#?}"
    );

    let tested = kw
        .run(&["profiles", "test", "Gateway", "--json"], None, None)
        .await;
    let tested = tested.json();
    assert_eq!(
        keys_of(&tested),
        [
            "base_url",
            "project_id",
            "project_name",
            "role",
            "token_label"
        ]
    );
    assert_eq!(tested["role"], "owner");
    assert!(!tested["token_label"]
        .as_str()
        .unwrap()
        .contains(&owner.expose()[8..]));

    // A name taken already is the core's field error: exit 2, one sentence.
    let again = kw
        .run(
            &[
                "profiles",
                "add",
                "--name",
                "Gateway",
                "--platform",
                "keyward",
                "--base-url",
                &base,
            ],
            Some(owner.expose()),
            None,
        )
        .await;
    assert_eq!(again.code, 2, "{again:#?}");
    assert!(
        again
            .stderr
            .contains("Another profile already has this name"),
        "{again:#?}"
    );
    assert_eq!(again.stderr.lines().count(), 1, "{again:#?}");
    again.assert_hides(owner.expose());
    // Without KEYWARD_TOKEN and without a terminal, nothing is saved and nothing hangs.
    let no_token = kw
        .run(
            &[
                "profiles",
                "add",
                "--name",
                "Other",
                "--platform",
                "keyward",
                "--base-url",
                &base,
            ],
            None,
            None,
        )
        .await;
    assert_eq!(no_token.code, 2, "{no_token:#?}");
    assert!(no_token.stderr.contains("KEYWARD_TOKEN"), "{no_token:#?}");

    let removed = kw.run(&["profiles", "remove", "Gateway"], None, None).await;
    assert!(removed.ok().contains("Removed profile \"Gateway\""));
    assert!(app.list().await.unwrap().profiles.is_empty());
    assert!(!app.store().has_token(&id).unwrap(), "keychain entry gone");
    let gone = kw.run(&["profiles", "remove", "Gateway"], None, None).await;
    assert_eq!(gone.code, 3, "{gone:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_from_create_to_revoke_with_the_secret_on_stdout_only() {
    let gateway_dir = tempfile::tempdir().unwrap();
    let (_gateway, base, _project, owner) = start_gateway(gateway_dir.path()).await;
    let kw = Kw::new();
    kw.add_profile("Gateway", "keyward", &base, owner.expose())
        .await;

    // `kw keys create … > secret.txt`: stdout is the secret and a newline, nothing else.
    let created = kw
        .run(
            &with(&[
                "keys",
                "create",
                "--name",
                "ci",
                "--rpm",
                "1,000",
                "--label",
                "team=ops",
                "--expires",
                "30d",
                "--json",
            ]),
            None,
            None,
        )
        .await;
    let secret = created
        .ok()
        .strip_suffix('\n')
        .expect("one line")
        .to_owned();
    assert!(
        secret.starts_with("kw_live_") && !secret.contains('\n'),
        "{created:#?}"
    );
    assert!(
        !created.stderr.contains(&secret),
        "the secret reached stderr"
    );
    let key: Value = serde_json::from_str(&created.stderr).expect("the key's JSON on stderr");
    assert_eq!(
        keys_of(&key),
        [
            "archived_at",
            "created_at",
            "expires_at",
            "guardrail",
            "hint",
            "id",
            "last_used_at",
            "money_used",
            "name",
            "owner",
            "project",
            "revoked_at",
            "scopes",
            "state",
            "steps",
            "totals",
            "unreadable_scopes",
            "updated_at"
        ]
    );
    assert_eq!(
        keys_of(&key["scopes"]),
        [
            "description",
            "labels",
            "max_parallel",
            "model_limits",
            "models",
            "money_budget",
            "rpm",
            "token_budget",
            "tpm",
            "workloads"
        ]
    );
    assert_eq!(
        (key["name"].as_str(), key["state"].as_str()),
        (Some("ci"), Some("active"))
    );
    assert_eq!(key["scopes"]["rpm"], 1000);
    assert_eq!(key["scopes"]["labels"]["team"], "ops");
    assert!(key["expires_at"].is_string());
    let id = key["id"].as_str().unwrap().to_owned();

    // Without --json the key's table goes to stderr too.
    let plain = kw
        .run(&with(&["keys", "create", "--name", "batch"]), None, None)
        .await;
    let other_secret = plain.ok().trim_end().to_owned();
    assert_eq!(plain.stdout.lines().count(), 1, "{plain:#?}");
    assert!(plain.stderr.contains("batch") && !plain.stderr.contains(&other_secret));

    // The key rules are the core's: each problem names its flag, exit 2, no request.
    let refused = kw
        .run(
            &with(&[
                "keys",
                "create",
                "--name",
                "x",
                "--rpm",
                "lots",
                "--token-limit",
                "5000",
            ]),
            None,
            None,
        )
        .await;
    assert_eq!(refused.code, 2, "{refused:#?}");
    assert!(refused.stdout.is_empty());
    assert!(
        refused.stderr.contains("--rpm: Enter a whole number")
            && refused.stderr.contains("--period: Choose the period"),
        "{refused:#?}"
    );

    let page = kw
        .run(
            &with(&["keys", "list", "--sort", "name", "--json"]),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(keys_of(&page), ["keys", "total"]);
    assert_eq!(page["total"], 2);
    assert_eq!(page["keys"][0]["name"], "batch");
    let found = kw
        .run(&with(&["keys", "list", "--search", "ci"]), None, None)
        .await;
    assert!(
        found.ok().contains(&id) && !found.stdout.contains("batch"),
        "{found:#?}"
    );

    let got = kw
        .run(&with(&["keys", "get", &id, "--json"]), None, None)
        .await
        .json();
    assert_eq!(got["id"], id.as_str());

    // An edit changes what is given and keeps the rest.
    let updated = kw
        .run(
            &with(&[
                "keys", "update", &id, "--tpm", "50000", "--rpm", "", "--json",
            ]),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(updated["scopes"]["tpm"], 50000);
    assert_eq!(updated["scopes"]["rpm"], Value::Null);
    assert_eq!(updated["scopes"]["labels"]["team"], "ops");
    assert_eq!(updated["expires_at"], key["expires_at"]);

    let rotated = kw
        .run(&with(&["keys", "rotate", &id, "--grace", "60"]), None, None)
        .await;
    let rotated_secret = rotated.ok().trim_end().to_owned();
    assert!(rotated_secret.starts_with("kw_live_") && rotated_secret != secret);
    assert_eq!(rotated.stdout, format!("{rotated_secret}\n"));
    assert!(!rotated.stderr.contains(&rotated_secret));

    let revoked = kw
        .run(&with(&["keys", "revoke", &id, "--json"]), None, None)
        .await
        .json();
    assert_eq!(revoked["state"], "revoked");

    let missing = kw
        .run(&with(&["keys", "get", "key_doesnotexist"]), None, None)
        .await;
    assert_eq!(missing.code, 3, "{missing:#?}");
    assert_eq!(missing.stderr.lines().count(), 1, "{missing:#?}");
    for run in [&created, &plain, &rotated, &missing] {
        run.assert_hides(owner.expose());
    }
}

/// `args` on the profile "Gateway".
fn with<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--profile", "Gateway"];
    all.extend_from_slice(args);
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_key_from_stdin_is_found_and_revoked_with_proof() {
    let gateway_dir = tempfile::tempdir().unwrap();
    let (_gateway, base, _project, owner) = start_gateway(gateway_dir.path()).await;
    let kw = Kw::new();
    kw.add_profile("Gateway", "keyward", &base, owner.expose())
        .await;
    let created = kw
        .run(
            &with(&["keys", "create", "--name", "leaky", "--json"]),
            None,
            None,
        )
        .await;
    let secret = created.ok().trim_end().to_owned();
    let key: Value = serde_json::from_str(&created.stderr).unwrap();

    let found = kw
        .run(&["leak", "--json"], None, Some(&format!("{secret}\n")))
        .await;
    found.assert_hides(&secret);
    let found = found.json();
    assert_eq!(keys_of(&found), ["revocation", "search"]);
    assert_eq!(
        keys_of(&found["search"]),
        [
            "ambiguous",
            "gaps",
            "leak_id",
            "masked",
            "matches",
            "searched"
        ]
    );
    let matches = found["search"]["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(
        keys_of(&matches[0]),
        ["base_url", "exact", "key", "platform", "profiles"]
    );
    assert_eq!(matches[0]["key"]["id"], key["id"]);
    assert_eq!(matches[0]["exact"], true);
    assert_eq!(matches[0]["profiles"][0]["can_revoke"], true);
    assert_eq!(found["revocation"], Value::Null);

    let revoked = kw.run(&["leak", "--revoke"], None, Some(&secret)).await;
    revoked.assert_hides(&secret);
    assert!(
        revoked.ok().contains("Revoked key \"leaky\"")
            && revoked
                .stdout
                .contains("the leaked secret is now refused (HTTP 401"),
        "{revoked:#?}"
    );
    let state = kw
        .run(
            &with(&["keys", "get", key["id"].as_str().unwrap(), "--json"]),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(state["state"], "revoked");

    // A well-formed key that no profile holds: found nowhere, exit 3.
    let stranger = token::generate(TokenKind::Data);
    let nowhere = kw.run(&["leak"], None, Some(stranger.expose())).await;
    assert_eq!(nowhere.code, 3, "{nowhere:#?}");
    nowhere.assert_hides(stranger.expose());
    // Not a key at all: the core's sentence, no request, exit 2.
    let typo = kw.run(&["leak"], None, Some("kw_live_nope")).await;
    assert_eq!(typo.code, 2, "{typo:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_and_usage_of_the_active_profile() {
    let gateway_dir = tempfile::tempdir().unwrap();
    let (_gateway, base, project, owner) = start_gateway(gateway_dir.path()).await;
    let kw = Kw::new();
    let saved = kw
        .add_profile("Gateway", "keyward", &base, owner.expose())
        .await;
    // The app makes it active; kw then needs no --profile.
    let app = kw.app_console().await;
    app.switch(saved["id"].as_str().unwrap()).await.unwrap();

    let profile = Profile {
        id: "t".into(),
        name: "t".into(),
        kind: keyward_core::PlatformKind::Keyward,
        base_url: base.clone(),
        project_id: project.clone(),
        token: owner.clone(),
    };
    let form = WorkloadForm {
        name: "Chat".into(),
        slug: "chat".into(),
        model_name: "llama".into(),
        backend: "vllm".into(),
        task_type: "text2text".into(),
        upstream_url: "http://127.0.0.1:9".into(),
        ..Default::default()
    };
    let workload = KeywardClient::new()
        .create_workload(&profile, &form.to_create().unwrap())
        .await
        .unwrap();

    let listed = kw
        .run(&["workloads", "list", "--json"], None, None)
        .await
        .json();
    let listed = listed.as_array().expect("an array");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        keys_of(&listed[0]),
        [
            "created_at",
            "id",
            "model",
            "name",
            "slug",
            "status",
            "upstream"
        ]
    );
    assert_eq!(listed[0]["slug"], "chat");
    let got = kw
        .run(&["workloads", "get", "chat", "--json"], None, None)
        .await
        .json();
    assert_eq!(got["id"], workload.id.as_str());
    let table = kw.run(&["workloads", "list"], None, None).await;
    assert!(table.ok().contains("chat") && table.stdout.contains("llama"));
    let missing = kw.run(&["workloads", "get", "nope"], None, None).await;
    assert_eq!(missing.code, 3, "{missing:#?}");

    let usage = kw
        .run(
            &["usage", "--period", "24h", "--bucket", "hour", "--json"],
            None,
            None,
        )
        .await
        .json();
    for field in [
        "project_id",
        "start",
        "end",
        "bucket",
        "time_zone",
        "summary",
        "top_keys",
        "table",
    ] {
        assert!(
            usage.get(field).is_some(),
            "usage --json lacks {field}: {usage}"
        );
    }
    assert_eq!(usage["project_id"], project.as_str());
    assert_eq!(usage["bucket"], "hour");
    assert_eq!(usage["table"]["columns"][0], "bucket_start");
    assert_eq!(usage["table"]["rows"].as_array().unwrap().len(), 24);
    let csv = kw
        .run(&["usage", "--group-by", "key", "--csv"], None, None)
        .await;
    assert!(
        csv.ok().starts_with("key_id,name,requests,errors,input_tokens,output_tokens,tokens,spend,currency,unpriced_tokens"),
        "{csv:#?}"
    );
    let human = kw.run(&["usage", "--group-by", "model"], None, None).await;
    assert!(
        human.ok().contains("Last 7 days") && human.stdout.contains("model"),
        "{human:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_say_denied_unreachable_and_not_found() {
    let gateway_dir = tempfile::tempdir().unwrap();
    let (_gateway, base, _project, owner) = start_gateway(gateway_dir.path()).await;
    let kw = Kw::new();

    // An unsaved connection with the token from KEYWARD_TOKEN works…
    let page = kw
        .run(
            &[
                "--platform",
                "keyward",
                "--base-url",
                &base,
                "keys",
                "list",
                "--json",
            ],
            Some(owner.expose()),
            None,
        )
        .await;
    page.assert_hides(owner.expose());
    assert_eq!(page.json()["total"], 0);
    // …a wrong token is denied (4)…
    let wrong = token::generate(TokenKind::Control);
    let denied = kw
        .run(
            &["--platform", "keyward", "--base-url", &base, "keys", "list"],
            Some(wrong.expose()),
            None,
        )
        .await;
    assert_eq!(denied.code, 4, "{denied:#?}");
    assert_eq!(denied.stderr.lines().count(), 1, "{denied:#?}");
    denied.assert_hides(wrong.expose());
    // …without KEYWARD_TOKEN it is a usage error (2), and never a prompt…
    let tokenless = kw
        .run(
            &["--platform", "keyward", "--base-url", &base, "keys", "list"],
            None,
            None,
        )
        .await;
    assert_eq!(tokenless.code, 2, "{tokenless:#?}");
    // …a closed port is unreachable (5)…
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let unreachable = kw
        .run(
            &[
                "--platform",
                "keyward",
                "--base-url",
                &closed,
                "keys",
                "list",
            ],
            Some(owner.expose()),
            None,
        )
        .await;
    assert_eq!(unreachable.code, 5, "{unreachable:#?}");
    // …and an unknown saved profile is not found (3).
    let unknown = kw
        .run(&["--profile", "Nobody", "keys", "list"], None, None)
        .await;
    assert_eq!(unknown.code, 3, "{unknown:#?}");
    assert!(
        unknown.stderr.contains("No profile is named \"Nobody\""),
        "{unknown:#?}"
    );
}
