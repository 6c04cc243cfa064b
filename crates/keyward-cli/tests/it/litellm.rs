//! kw against the fake LiteLLM proxy (issue #18): an unsaved connection (`--platform
//! litellm`, the master key in KEYWARD_TOKEN, the proxy's own URL), a key generated with
//! a weekly money budget (`max_budget`/`budget_duration`), blocked, its budget cleared
//! and deleted — the same flags as every platform.

use crate::harness::Kw;
use keyward_fakes::litellm::Seed;
use keyward_fakes::Fake;
use serde_json::Value;

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
