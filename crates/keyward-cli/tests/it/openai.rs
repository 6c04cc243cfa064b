//! kw against the fake OpenAI Admin API: an unsaved connection with the admin key from
//! KEYWARD_TOKEN, the inventory across projects, create as a service account with the
//! secret on stdout only, usage by model, and a leak that matches only by the redacted
//! value — found, marked as a candidate, and never revoked by `--revoke`.

use crate::harness::Kw;
use keyward_fakes::openai::Seed;
use keyward_fakes::Fake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_inventory_create_usage_and_an_inexact_leak() {
    let seed = Seed::generated(2, 5);
    let fake = Fake::openai(seed.clone()).await;
    let admin = fake.admin_key.clone();
    let kw = Kw::new();
    let unsaved = |args: &[&'static str]| -> Vec<String> {
        let mut all = vec![
            "--platform".to_owned(),
            "openai".into(),
            "--base-url".into(),
            fake.base_url.clone(),
        ];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        all
    };
    let run = |args: Vec<String>, stdin: Option<String>| {
        let kw = &kw;
        let admin = admin.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = kw.run(&args, Some(&admin), stdin.as_deref()).await;
            run.assert_hides(&admin);
            run
        }
    };

    let page = run(unsaved(&["keys", "list", "--limit", "200", "--json"]), None)
        .await
        .json();
    assert_eq!(page["total"], 10, "every project's keys");
    let project = seed.projects[1].id.clone();
    let only = run(
        [
            unsaved(&["keys", "list", "--json", "--project"]),
            vec![project.clone()],
        ]
        .concat(),
        None,
    )
    .await
    .json();
    assert_eq!(only["total"], 5);
    assert!(only["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["project"] == project.as_str()));

    // OpenAI makes new keys as service accounts; the secret alone on stdout.
    let created = run(
        [
            unsaved(&["keys", "create", "--name", "ci-bot", "--project"]),
            vec![project.clone()],
        ]
        .concat(),
        None,
    )
    .await;
    let secret = created.ok().trim_end().to_owned();
    assert!(secret.starts_with("sk-svcacct-"), "{created:#?}");
    assert_eq!(created.stdout, format!("{secret}\n"));
    assert!(!created.stderr.contains(&secret) && created.stderr.contains("ci-bot"));

    let usage = run(
        unsaved(&["usage", "--period", "7d", "--group-by", "model", "--json"]),
        None,
    )
    .await
    .json();
    let rows = usage["table"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "the fake's usage by model: {usage}");
    assert!(rows
        .iter()
        .all(|r| r[0].as_str().unwrap().starts_with("gpt-")
            || r[0].as_str().unwrap().starts_with("o3-")));

    // A saved OpenAI profile learns its organisation from the admin key.
    let saved = run(
        vec![
            "profiles".into(),
            "add".into(),
            "--name".into(),
            "Acme OpenAI".into(),
            "--platform".into(),
            "openai".into(),
            "--base-url".into(),
            fake.base_url.clone(),
            "--json".into(),
        ],
        None,
    )
    .await
    .json();
    assert_eq!(saved["kind"], "openai");
    assert!(!saved["project_id"].as_str().unwrap().is_empty());

    // A leaked seeded key: OpenAI shows only part of each secret, so it is a candidate.
    let leaked_key = &seed.keys[0];
    let leaked = seed.secret_of(&leaked_key.id).unwrap().to_owned();
    let found = run(vec!["leak".into(), "--json".into()], Some(leaked.clone())).await;
    found.assert_hides(&leaked);
    let found = found.json();
    let matches = found["search"]["matches"].as_array().unwrap();
    assert!(!matches.is_empty(), "{found}");
    assert!(matches.iter().all(|m| m["exact"] == false));
    assert!(
        matches
            .iter()
            .any(|m| m["key"]["id"]
                == format!("{}.{}", leaked_key.project_id, leaked_key.id).as_str())
    );

    let refused = run(vec!["leak".into(), "--revoke".into()], Some(leaked.clone())).await;
    refused.assert_hides(&leaked);
    assert_eq!(refused.code, 1, "{refused:#?}");
    assert!(
        refused.stderr.contains("nothing was revoked"),
        "{refused:#?}"
    );
    assert!(refused.stdout.contains("candidate"), "{refused:#?}");
    assert!(
        !fake.requests().iter().any(|r| r.method == "DELETE"),
        "nothing revoked on an inexact match"
    );
}
