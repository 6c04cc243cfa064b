//! kw against the fake LiteLLM proxy (issue #18): an unsaved connection (`--platform
//! litellm`, the master key in KEYWARD_TOKEN, the proxy's own URL), a key generated with
//! a weekly money budget (`max_budget`/`budget_duration`), blocked, its budget cleared
//! and deleted — the same flags as every platform.

use crate::harness::Kw;
use keyward_fakes::litellm::Seed;
use keyward_fakes::Fake;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litellm_unsaved_connection_key_with_a_weekly_budget() {
    let fake = Fake::litellm(Seed::generated(2, 3)).await;
    let master = fake.admin_key.clone();
    let kw = Kw::new();
    let run = |args: &[&str]| {
        let mut all = vec![
            "--platform",
            "litellm",
            "--base-url",
            fake.base_url.as_str(),
        ];
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        let kw = &kw;
        let master = master.clone();
        async move {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            let run = kw.run(&args, Some(&master), None).await;
            run.assert_hides(&master);
            run
        }
    };
    let body = |path: &str| -> Value {
        let requests = fake.requests();
        let request = requests
            .iter()
            .rev()
            .find(|r| r.method == "POST" && r.path == path)
            .unwrap_or_else(|| panic!("no POST {path} in {requests:#?}"));
        serde_json::from_str(&request.body).unwrap()
    };

    let created = run(&[
        "keys",
        "create",
        "--name",
        "team-a",
        "--money-limit",
        "5",
        "--money-reset",
        "week",
        "--json",
    ])
    .await;
    let secret = created.ok().trim_end().to_owned();
    assert_eq!(created.stdout, format!("{secret}\n"), "the secret alone");
    assert!(!created.stderr.contains(&secret), "{created:#?}");
    let key: Value = serde_json::from_str(&created.stderr).expect("the key as JSON on stderr");
    let sent = body("/key/generate");
    assert_eq!(
        (&sent["max_budget"], &sent["budget_duration"]),
        (&Value::from(5), &Value::from("7d")),
        "{sent}"
    );
    let id = key["id"].as_str().unwrap().to_owned();

    let blocked = run(&["keys", "disable", &id, "--json"]).await.json();
    assert_eq!(blocked["state"], "disabled", "{blocked}");
    assert!(body("/key/block").to_string().contains(&id));

    let cleared = run(&["keys", "update", &id, "--money-limit", "", "--json"])
        .await
        .json();
    assert_eq!(cleared["scopes"]["money_budget"], Value::Null, "{cleared}");
    assert_eq!(body("/key/update")["max_budget"], Value::Null);

    run(&["keys", "revoke", &id]).await.ok();
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.method == "POST" && r.path == "/key/delete"));
}

/// Parallel and per-model limits from the command line (issue #18): `--max-parallel`,
/// `--model-rpm/--model-tpm MODEL=N` and `--model-budget MODEL=AMOUNT[/PERIOD]` on create
/// reach the proxy in its shapes; on update a flag changes only its model's cell (the
/// rest kept from the key), `MODEL=` removes a cell, and a bad value is refused naming
/// the flag with nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litellm_parallel_and_per_model_limits() {
    let fake = Fake::litellm(Seed::generated(1, 1)).await;
    let master = fake.admin_key.clone();
    let kw = Kw::new();
    let run = |args: &[&str]| {
        let mut all = vec![
            "--platform",
            "litellm",
            "--base-url",
            fake.base_url.as_str(),
        ];
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        let kw = &kw;
        let master = master.clone();
        async move {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            kw.run(&args, Some(&master), None).await
        }
    };
    let body = |path: &str| -> Value {
        let requests = fake.requests();
        let request = requests
            .iter()
            .rev()
            .find(|r| r.method == "POST" && r.path == path)
            .unwrap_or_else(|| panic!("no POST {path} in {requests:#?}"));
        serde_json::from_str(&request.body).unwrap()
    };

    let created = run(&[
        "keys",
        "create",
        "--name",
        "per-model",
        "--max-parallel",
        "4",
        "--model-rpm",
        "gpt-4o=10",
        "--model-tpm",
        "gpt-4o-mini=50,000",
        "--model-budget",
        "gpt-4o=2.50/weekly",
        "--model-budget",
        "gpt-4o-mini=1",
        "--json",
    ])
    .await;
    created.ok();
    let key: Value = serde_json::from_str(&created.stderr).expect("the key as JSON on stderr");
    let sent = body("/key/generate");
    assert_eq!(sent["max_parallel_requests"], json!(4), "{sent}");
    assert_eq!(sent["model_rpm_limit"], json!({"gpt-4o": 10}));
    assert_eq!(sent["model_tpm_limit"], json!({"gpt-4o-mini": 50000}));
    assert_eq!(
        sent["model_max_budget"],
        json!({"gpt-4o": {"budget_limit": 2.5, "time_period": "7d"},
               "gpt-4o-mini": {"budget_limit": 1, "time_period": "30d"}}),
        "no period given: monthly"
    );
    assert_eq!(key["scopes"]["max_parallel"], json!(4));
    let id = key["id"].as_str().unwrap().to_owned();

    let shown = run(&["keys", "get", &id]).await;
    let text = shown.ok();
    assert!(text.contains("Parallel requests"), "{text}");
    assert!(text.contains("gpt-4o: rpm 10, 2.5 USD per week"), "{text}");

    let updated = run(&[
        "keys",
        "update",
        &id,
        "--model-rpm",
        "gpt-4o=20",
        "--model-budget",
        "gpt-4o-mini=",
        "--json",
    ])
    .await
    .json();
    let sent = body("/key/update");
    let mut fields: Vec<&str> = sent
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["key", "model_max_budget", "model_rpm_limit"],
        "{sent}"
    );
    assert_eq!(sent["model_rpm_limit"], json!({"gpt-4o": 20}));
    assert_eq!(
        sent["model_max_budget"],
        json!({"gpt-4o": {"budget_limit": 2.5, "time_period": "7d"}}),
        "the other model's budget kept, its period too"
    );
    assert_eq!(updated["scopes"]["max_parallel"], json!(4), "{updated}");

    let cleared = run(&["keys", "update", &id, "--max-parallel", "", "--json"])
        .await
        .json();
    assert_eq!(body("/key/update")["max_parallel_requests"], Value::Null);
    assert_eq!(cleared["scopes"]["max_parallel"], Value::Null);

    let before = fake.requests().len();
    for (args, says) in [
        (
            vec!["--model-rpm", "gpt-4o"],
            "--model-rpm takes MODEL=VALUE",
        ),
        (
            vec!["--model-tpm", "gpt-4o=lots"],
            "--model-tpm: Enter a whole number",
        ),
        (vec!["--model-budget", "gpt-4o=5/yearly"], "not a period"),
        (vec!["--max-parallel", "0"], "--max-parallel"),
    ] {
        let mut all = vec!["keys", "update", id.as_str()];
        all.extend(args);
        let refused = run(&all).await;
        assert_eq!(refused.code, 2, "{refused:#?}");
        assert!(refused.stderr.contains(says), "{}", refused.stderr);
    }
    let after: Vec<_> = fake.requests().into_iter().skip(before).collect();
    assert!(
        after.iter().all(|r| r.method == "GET"),
        "nothing sent: {after:#?}"
    );
}
