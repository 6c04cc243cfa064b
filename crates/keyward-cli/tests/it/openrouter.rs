//! kw against the fake OpenRouter management API (issue #18, "`kw` for the same
//! flows"): a saved OpenRouter profile whose account is read from the management key,
//! a key created with a money budget (the secret alone on stdout, the budget sent as
//! OpenRouter's `limit`/`limit_reset`), disabled and enabled, its budget cleared,
//! revoked; and a budget the key rules refuse, named by its flag, before any request.

use crate::harness::{Kw, Run};
use keyward_fakes::openrouter::{hash_of, Seed};
use keyward_fakes::{Fake, RecordedRequest};
use serde_json::Value;

const PROFILE: &str = "Acme OpenRouter";

/// The JSON body of the last `method` request whose path ends with `path_end`.
fn last_body(fake: &Fake, method: &str, path_end: &str) -> Value {
    let requests: Vec<RecordedRequest> = fake.requests();
    let request = requests
        .iter()
        .rev()
        .find(|r| r.method == method && r.path.ends_with(path_end))
        .unwrap_or_else(|| panic!("no {method} …{path_end} in {requests:#?}"));
    serde_json::from_str(&request.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openrouter_key_with_a_money_budget_disabled_cleared_and_revoked() {
    let seed = Seed::generated(3);
    let fake = Fake::openrouter(seed.clone()).await;
    let admin = fake.admin_key.clone();
    let kw = Kw::new();
    let saved = kw
        .add_profile(PROFILE, "openrouter", &fake.base_url, &admin)
        .await;
    assert_eq!(saved["kind"], "openrouter");
    assert_eq!(saved["project_id"], seed.workspace_id.as_str());
    let run = |args: &[&str]| {
        let mut all = vec!["--profile", PROFILE];
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        let kw = &kw;
        let admin = admin.clone();
        async move {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            let run: Run = kw.run(&args, None, None).await;
            run.assert_hides(&admin);
            run
        }
    };

    let created = run(&[
        "keys",
        "create",
        "--name",
        "x",
        "--money-limit",
        "12.50",
        "--money-reset",
        "month",
    ])
    .await;
    let secret = created.ok().trim_end().to_owned();
    assert!(secret.starts_with("sk-or-v1-"), "{created:#?}");
    assert_eq!(created.stdout, format!("{secret}\n"), "the secret alone");
    assert!(!created.stderr.contains(&secret), "{created:#?}");
    assert!(
        created.stderr.contains("12.5 USD per month"),
        "{created:#?}"
    );
    let sent = last_body(&fake, "POST", "/keys");
    assert_eq!(
        (&sent["name"], &sent["limit"], &sent["limit_reset"]),
        (
            &Value::from("x"),
            &Value::from(12.5),
            &Value::from("monthly")
        ),
        "{sent}"
    );

    // OpenRouter's key id is the SHA-256 of the secret.
    let id = hash_of(&secret);
    let key = run(&["keys", "get", &id, "--json"]).await.json();
    assert_eq!(key["scopes"]["money_budget"]["micros"], 12_500_000, "{key}");
    assert_eq!(key["scopes"]["money_budget"]["reset"], "month", "{key}");

    let disabled = run(&["keys", "disable", &id, "--json"]).await.json();
    assert_eq!(disabled["state"], "disabled", "{disabled}");
    assert_eq!(last_body(&fake, "PATCH", &id)["disabled"], true);
    let enabled = run(&["keys", "enable", &id, "--json"]).await.json();
    assert_eq!(enabled["state"], "active", "{enabled}");
    assert_eq!(last_body(&fake, "PATCH", &id)["disabled"], false);

    let cleared = run(&["keys", "update", &id, "--money-limit", "", "--json"])
        .await
        .json();
    assert_eq!(cleared["scopes"]["money_budget"], Value::Null, "{cleared}");
    let sent = last_body(&fake, "PATCH", &id);
    assert_eq!(sent["limit"], Value::Null, "{sent}");
    assert!(
        sent.get("name").is_none(),
        "only what changed is sent: {sent}"
    );

    let revoked = run(&["keys", "revoke", &id]).await;
    revoked.ok();
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.method == "DELETE" && r.path.ends_with(&id)));
    let gone = run(&["keys", "get", &id]).await;
    assert_eq!(gone.code, 3, "{gone:#?}");

    // A budget the key rules refuse: exit 2, the flag named, nothing sent.
    let before = fake.requests().len();
    let refused = run(&["keys", "create", "--name", "y", "--money-limit", "abc"]).await;
    assert_eq!(refused.code, 2, "{refused:#?}");
    assert!(refused.stderr.contains("--money-limit"), "{refused:#?}");
    assert!(refused.stdout.is_empty(), "{refused:#?}");
    assert!(
        !fake.requests()[before..].iter().any(|r| r.method == "POST"),
        "nothing created"
    );
}
