//! The LiteLLM adapter against the fake proxy (`keyward-fakes`, held to the proxy's own
//! OpenAPI document): paging to the end, create with every scope (secret once), edits
//! that send only what changed, block, regenerate with a grace period, delete, a leaked
//! secret found by its hash, daily usage and spend, deployments, and every remote
//! failure as a sentence (issue #18). Every request the adapter sends in these tests is
//! checked against the proxy's OpenAPI document as well.

use chrono::{Duration, DurationRound, TimeDelta, Utc};
use keyward_api::Secret;
use keyward_core::keys::{
    Expiry, KeyForm, KeyListQuery, ModelLimitForm, MoneyLimit, TrafficLimits,
};
use keyward_core::platform::capabilities::BudgetPeriod;
use keyward_core::platform::model::{
    CostQuery, KeyState, UsageBucket, UsageDimension, UsageQuery, WorkloadState,
};
use keyward_core::platform::{Platform, Recognition};
use keyward_core::{ErrorCode, Http, PlatformKind, Profile};
use keyward_fakes::faults::Fault;
use keyward_fakes::litellm::spec::Spec;
use keyward_fakes::litellm::{hash_token, Seed, State};
use keyward_fakes::Fake;
use serde_json::{json, Value};

fn profile(fake: &Fake, key: &str) -> Profile {
    crate::harness::platform_profile(PlatformKind::Litellm, "Team proxy", &fake.base_url, key)
}

fn adapter() -> Box<dyn Platform> {
    PlatformKind::Litellm.adapter(&Http::new()).unwrap()
}

fn all() -> KeyListQuery {
    crate::harness::every_key()
}

fn form(name: &str) -> KeyForm {
    crate::harness::key_form(name)
}

/// Every request the fake recorded fits the proxy's OpenAPI document.
fn assert_in_schema(fake: &Fake) {
    let spec = Spec::load();
    let requests = fake.requests();
    assert!(!requests.is_empty());
    for request in requests {
        if let Err(errors) = spec.check_recorded(&request) {
            panic!(
                "{} {}?{} is not in the proxy's schema:\n{}",
                request.method,
                request.path,
                request.query,
                errors.join("\n")
            );
        }
    }
}

/// The JSON body of the recorded requests to `path`.
fn bodies(fake: &Fake, path: &str) -> Vec<Value> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn the_key_list_follows_every_page() {
    let seed = Seed::generated(250, 1);
    let fake = Fake::litellm(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();

    let page = litellm.list_keys(&p, &all()).await.unwrap();
    assert_eq!(page.total, Some(250));
    assert_eq!(page.keys.len(), 200);
    let list_requests: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/key/list")
        .collect();
    assert_eq!(list_requests.len(), 3, "100 a page, to the last");
    assert_eq!(list_requests[2].query_values("page"), ["3"]);
    assert_eq!(
        list_requests[0].query_values("return_full_object"),
        ["true"]
    );

    let mut seen = Vec::new();
    for offset in [0, 200] {
        let page = litellm
            .list_keys(
                &p,
                &KeyListQuery {
                    offset: Some(offset),
                    ..all()
                },
            )
            .await
            .unwrap();
        seen.extend(page.keys);
    }
    assert_eq!(seen.len(), 250);
    for key in &seed.keys {
        let found = seen
            .iter()
            .find(|k| k.id == key.token())
            .expect("every key listed once");
        assert_eq!(Some(&found.name), key.alias.as_ref());
        let tail = &key.secret[key.secret.len() - 4..];
        assert_eq!(
            found.hint.as_deref(),
            Some(format!("sk-...{tail}").as_str())
        );
        assert_eq!(found.state == KeyState::Disabled, key.blocked);
    }
    // Filters and search run on the whole inventory.
    let blocked = litellm
        .list_keys(
            &p,
            &KeyListQuery {
                status: Some(KeyState::Disabled),
                ..all()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        blocked.total,
        Some(seed.keys.iter().filter(|k| k.blocked).count() as u64)
    );
    assert_in_schema(&fake);
}

#[tokio::test]
async fn a_key_is_created_with_every_scope_and_its_secret_is_shown_once() {
    let fake = Fake::litellm(Seed::generated(3, 1)).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();
    let now = Utc::now();
    let mut create = form("  ci-runner ");
    create.rpm = Some(60);
    create.tpm = Some(100_000);
    create.allowed_models = Some(vec!["gpt-4o-mini".into(), "claude-sonnet".into()]);
    create.expiry = Expiry::InDays { days: 30 };
    create.labels.insert("team".into(), "infra".into());
    create.money_budget = Some(MoneyLimit {
        micros: 12_500_000,
        reset: Some(BudgetPeriod::Month),
    });

    let (key, secret) = litellm.create_key(&p, &create, now).await.unwrap();
    assert!(secret.expose().starts_with("sk-"));
    assert_eq!(
        key.id,
        hash_token(secret.expose()),
        "the id is the secret's hash"
    );
    assert_eq!(key.name, "ci-runner");
    assert_eq!((key.scopes.rpm, key.scopes.tpm), (Some(60), Some(100_000)));
    assert_eq!(
        key.scopes.models.as_deref(),
        Some(&["claude-sonnet".to_owned(), "gpt-4o-mini".to_owned()][..])
    );
    let budget = key.scopes.money_budget.clone().unwrap();
    assert_eq!(
        (budget.micros, budget.currency.as_str(), budget.reset),
        (12_500_000, "USD", Some(BudgetPeriod::Month))
    );
    assert_eq!(
        key.scopes.labels.get("team").map(String::as_str),
        Some("infra")
    );
    let expires = key.expires_at.unwrap();
    assert!((expires - (now + Duration::days(30))).num_seconds().abs() < 60);

    let sent = &bodies(&fake, "/key/generate")[0];
    assert_eq!(
        sent["max_budget"],
        json!(12.5),
        "the decimal as the form has it"
    );
    assert_eq!(
        (sent["budget_duration"].clone(), sent["duration"].clone()),
        (json!("30d"), json!("30d"))
    );
    assert_eq!(sent["metadata"], json!({"team": "infra"}));

    // Read back: the same scopes, and never the secret again.
    let read = litellm.get_key(&p, &key.id).await.unwrap();
    assert_eq!(read.scopes, key.scopes);
    let listed = litellm.list_keys(&p, &all()).await.unwrap();
    assert!(!format!("{listed:?}").contains(&secret.expose()[3..]));
    assert!(!format!("{read:?}").contains(&secret.expose()[3..]));

    // Scopes LiteLLM keys do not have are refused by field, before any request.
    let before = fake.requests().len();
    let mut tokens = form("t");
    tokens.token_limit = Some(1000);
    let error = litellm.create_key(&p, &tokens, now).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("token_limit"));
    let error = litellm.create_key(&p, &form(" "), now).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("name"));
    assert_eq!(fake.requests().len(), before);
    assert_in_schema(&fake);
}

#[tokio::test]
async fn an_edit_sends_only_what_changed_and_a_concurrent_change_survives() {
    let fake = Fake::litellm(Seed::generated(1, 1)).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();
    let now = Utc::now();
    let mut original = form("search");
    original.rpm = Some(60);
    original.labels.insert("team".into(), "search".into());
    let (key, _) = litellm.create_key(&p, &original, now).await.unwrap();

    // Someone else, meanwhile, limits parallel requests and one model's rpm.
    let response = reqwest::Client::new()
        .post(format!("{}/key/update", fake.base_url))
        .bearer_auth(&fake.admin_key)
        .json(&json!({"key": key.id, "max_parallel_requests": 7, "model_rpm_limit": {"gpt-4o": 5}}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());

    // Unchanged form: nothing is sent.
    let same = litellm
        .update_key(&p, &key.id, &original, now)
        .await
        .unwrap();
    assert_eq!(same.scopes.rpm, Some(60));
    assert!(
        bodies(&fake, "/key/update").len() == 1,
        "only the other client's update"
    );

    let mut edit = original.clone();
    edit.rpm = Some(120);
    edit.labels.insert("owner".into(), "ada".into());
    edit.expiry = Expiry::Keep;
    let updated = litellm.update_key(&p, &key.id, &edit, now).await.unwrap();
    assert_eq!(updated.scopes.rpm, Some(120));
    assert_eq!(updated.scopes.labels.len(), 2);
    let sent = bodies(&fake, "/key/update").pop().unwrap();
    let mut fields: Vec<&str> = sent
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(fields, ["key", "metadata", "rpm_limit"], "{sent}");
    assert_eq!(sent["key"], json!(key.id), "addressed by hash");

    // The other client's changes are still there.
    let (_, info) = {
        let response = reqwest::Client::new()
            .get(format!("{}/key/info", fake.base_url))
            .query(&[("key", key.id.as_str())])
            .bearer_auth(&fake.admin_key)
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(info["info"]["max_parallel_requests"], 7);
    assert_eq!(
        info["info"]["metadata"]["model_rpm_limit"],
        json!({"gpt-4o": 5})
    );
    assert_eq!(info["info"]["metadata"]["owner"], "ada");

    // Clearing a limit and the budget sends null for exactly those.
    let mut budget = edit.clone();
    budget.money_budget = Some(MoneyLimit {
        micros: 5_000_000,
        reset: Some(BudgetPeriod::Day),
    });
    litellm.update_key(&p, &key.id, &budget, now).await.unwrap();
    let sent = bodies(&fake, "/key/update").pop().unwrap();
    assert_eq!(
        (sent["max_budget"].clone(), sent["budget_duration"].clone()),
        (json!(5), json!("1d"))
    );
    let mut cleared = budget.clone();
    cleared.rpm = None;
    cleared.money_budget = None;
    let key = litellm
        .update_key(&p, &key.id, &cleared, now)
        .await
        .unwrap();
    let sent = bodies(&fake, "/key/update").pop().unwrap();
    assert_eq!(
        (
            sent["rpm_limit"].clone(),
            sent["max_budget"].clone(),
            sent["budget_duration"].clone()
        ),
        (Value::Null, Value::Null, Value::Null)
    );
    assert_eq!(sent.as_object().unwrap().len(), 4, "{sent}");
    assert_eq!((key.scopes.rpm, key.scopes.money_budget), (None, None));
    assert_in_schema(&fake);
}

#[tokio::test]
async fn block_unblock_regenerate_with_grace_and_delete() {
    let state = State::new(Seed::generated(2, 1));
    let fake = Fake::litellm_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();
    let (key, secret) = litellm
        .create_key(&p, &form("rotating"), Utc::now())
        .await
        .unwrap();
    assert!(state.honours(secret.expose()));

    let blocked = litellm.set_disabled(&p, &key.id, true).await.unwrap();
    assert_eq!(blocked.state, KeyState::Disabled);
    assert!(!state.honours(secret.expose()), "a blocked key is refused");
    let unblocked = litellm.set_disabled(&p, &key.id, false).await.unwrap();
    assert_eq!(unblocked.state, KeyState::Active);
    assert!(state.honours(secret.expose()));

    let (rotated, new_secret) = litellm.rotate_key(&p, &key.id, 3600).await.unwrap();
    assert_ne!(new_secret.expose(), secret.expose());
    assert_eq!(
        rotated.id,
        hash_token(new_secret.expose()),
        "a new secret, a new id"
    );
    assert_eq!(rotated.name, "rotating");
    assert_eq!(
        bodies(&fake, &format!("/key/{}/regenerate", key.id))[0],
        json!({"grace_period": "3600s"})
    );
    assert!(
        state.honours(secret.expose()),
        "the old secret works during the grace period"
    );
    state.advance(Duration::seconds(3601));
    assert!(!state.honours(secret.expose()), "and not after it");
    assert!(state.honours(new_secret.expose()));

    // Without grace the old secret stops at once.
    let (_, newest) = litellm.rotate_key(&p, &rotated.id, 0).await.unwrap();
    assert!(!state.honours(new_secret.expose()) && state.honours(newest.expose()));

    let newest_id = hash_token(newest.expose());
    let revoked = litellm.revoke_key(&p, &newest_id).await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    assert!(!state.honours(newest.expose()));
    let error = litellm.get_key(&p, &newest_id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(litellm.list_keys(&p, &all()).await.unwrap().total, Some(2));
    assert_eq!(
        bodies(&fake, "/key/delete")[0],
        json!({"keys": [newest_id]})
    );

    // A raw secret is never accepted as an id (it would travel in the URL).
    let error = litellm.get_key(&p, newest.expose()).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("key_id"));
    assert_in_schema(&fake);
}

#[tokio::test]
async fn a_leaked_secret_is_found_by_its_hash_and_never_sent() {
    let seed = Seed::generated(5, 1);
    let fake = Fake::litellm(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();
    let leaked = &seed.keys[3];
    assert_eq!(litellm.recognize_secret(&leaked.secret), Recognition::Key);
    for foreign in [
        "sk-proj-abc",
        "sk-ant-api03-x",
        "sk-or-v1-abc",
        "sk-admin-x",
        "sk-svcacct-x",
        "kw_live_x",
    ] {
        assert_eq!(
            litellm.recognize_secret(foreign),
            Recognition::Foreign,
            "{foreign}"
        );
    }

    let found = litellm
        .identify_key(&p, &Secret::new(leaked.secret.clone()))
        .await
        .unwrap();
    assert!(found.exact);
    assert_eq!(found.keys.len(), 1);
    assert_eq!(found.keys[0].id, leaked.token());
    assert_eq!(found.keys[0].name, leaked.alias.clone().unwrap());
    let unknown = litellm
        .identify_key(&p, &Secret::new("sk-not-a-key-of-this-proxy".into()))
        .await
        .unwrap();
    assert!(unknown.keys.is_empty() && unknown.exact);

    for request in fake.requests() {
        let seen = format!("{} {} {}", request.path, request.query, request.body);
        assert!(
            !seen.contains(&leaked.secret[3..]),
            "the secret travelled: {seen}"
        );
        assert!(
            !seen.contains("sk-not-a-key"),
            "the secret travelled: {seen}"
        );
    }
    assert_in_schema(&fake);
}

#[tokio::test]
async fn usage_and_spend_agree_with_the_seed() {
    let seed = Seed::generated(8, 12);
    let fake = Fake::litellm(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();
    let today = Utc::now().duration_trunc(TimeDelta::days(1)).unwrap();
    let start = today - Duration::days(12);
    let query = UsageQuery {
        start,
        end: today,
        bucket: UsageBucket::Day,
        group_by: vec![UsageDimension::Key, UsageDimension::Model],
        key_ids: Vec::new(),
        models: Vec::new(),
        workloads: Vec::new(),
    };
    let report = litellm.usage(&p, "", &query).await.unwrap();
    assert_eq!(
        report.rows.len(),
        seed.spend.len(),
        "one row per key, model and day"
    );
    for record in &seed.spend {
        let day = record.date.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let row = report
            .rows
            .iter()
            .find(|r| {
                r.bucket == Some(day)
                    && r.key_id.as_deref() == Some(&record.api_key)
                    && r.model.as_deref() == Some(&record.model)
            })
            .expect("the seeded record is in the report");
        assert_eq!(
            (row.requests, row.input_tokens, row.output_tokens),
            (
                record.requests as i64,
                record.prompt_tokens as i64,
                record.completion_tokens as i64
            )
        );
    }
    let named = report
        .keys
        .iter()
        .find(|k| k.id == seed.keys[0].token())
        .unwrap();
    assert_eq!(Some(&named.name), seed.keys[0].alias.as_ref());

    // One key: filtered by the proxy.
    let one = UsageQuery {
        key_ids: vec![seed.keys[1].token()],
        group_by: vec![],
        bucket: UsageBucket::None,
        ..query.clone()
    };
    let totals = litellm.usage(&p, "", &one).await.unwrap();
    let expected: u64 = seed
        .spend
        .iter()
        .filter(|s| s.api_key == seed.keys[1].token())
        .map(|s| s.prompt_tokens)
        .sum();
    assert_eq!(totals.rows.len(), 1);
    assert_eq!(totals.rows[0].input_tokens, expected as i64);
    let last = fake
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/user/daily/activity")
        .unwrap();
    assert_eq!(last.query_values("api_key"), [seed.keys[1].token()]);

    // Spend in exact micro-dollars, per key and day.
    let costs = litellm
        .reported_costs(
            &p,
            &CostQuery {
                start,
                end: today,
                project: None,
                key_ids: vec![],
                by_key: true,
            },
        )
        .await
        .unwrap();
    let total: i64 = costs.iter().map(|c| c.amount_micros).sum();
    let expected: i64 = seed
        .spend
        .iter()
        .map(|s| (s.spend * 1_000_000.0).round() as i64)
        .sum();
    assert_eq!(total, expected);
    assert!(costs
        .iter()
        .all(|c| c.currency == "USD" && c.key_id.is_some()));

    // Hours are not something the proxy reports.
    let error = litellm
        .usage(
            &p,
            "",
            &UsageQuery {
                bucket: UsageBucket::Hour,
                ..query.clone()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("bucket"));
    assert_in_schema(&fake);
}

#[tokio::test]
async fn workloads_are_the_proxys_deployments() {
    let seed = Seed::generated(1, 1);
    let fake = Fake::litellm(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let workloads = adapter().list_workloads(&p).await.unwrap();
    assert_eq!(workloads.len(), seed.deployments.len());
    for (workload, deployment) in workloads.iter().zip(&seed.deployments) {
        assert_eq!(
            (workload.id.as_str(), workload.slug.as_str()),
            (deployment.id.as_str(), deployment.model_name.as_str())
        );
        let upstream = deployment
            .api_base
            .clone()
            .unwrap_or_else(|| deployment.model.clone());
        assert_eq!(workload.upstream.as_deref(), Some(upstream.as_str()));
    }
    assert!(
        !PlatformKind::Litellm
            .capabilities()
            .workloads
            .create
            .supported
    );
    assert_in_schema(&fake);
}

#[tokio::test]
async fn test_connection_proves_the_master_key() {
    let fake = Fake::litellm(Seed::generated(1, 1)).await;
    let litellm = adapter();
    let connection = litellm
        .connection(&profile(&fake, &fake.admin_key))
        .await
        .unwrap();
    assert!(connection.credential_label.starts_with("Master key sk-..."));
    assert!(
        !connection.credential_label.contains(&fake.admin_key[3..]),
        "never the secret"
    );
    assert!(connection.project.id.starts_with("127.0.0.1:"));
    assert_eq!(fake.requests()[0].path, "/key/list");
    assert_in_schema(&fake);
}

#[tokio::test]
async fn every_remote_failure_is_a_sentence() {
    let seed = Seed::generated(3, 1);
    let fake = Fake::litellm(seed.clone()).await;
    let litellm = adapter();

    // A virtual key, or a wrong key, instead of the master key.
    for wrong in [
        seed.keys[0].secret.clone(),
        "sk-wrong-wrong-wrong".to_owned(),
    ] {
        let error = litellm
            .list_keys(&profile(&fake, &wrong), &all())
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::Unauthorized);
        assert!(
            error.message.contains("master key") && error.message.contains("\"Team proxy\""),
            "{}",
            error.message
        );
        assert!(!error.message.contains(&wrong[3..]), "never the secret");
    }

    let p = profile(&fake, &fake.admin_key);
    let status = |status| Fault::Status {
        status,
        retry_after: None,
    };
    let cases: [(Fault, ErrorCode, &str); 6] = [
        (
            status(403),
            ErrorCode::Forbidden,
            "may not do this on LiteLLM proxy",
        ),
        (status(404), ErrorCode::NotFound, "refresh the list"),
        (status(409), ErrorCode::Conflict, "Refresh and try again"),
        (status(500), ErrorCode::Upstream, "HTTP 500"),
        (status(503), ErrorCode::Upstream, "HTTP 503"),
        (
            Fault::Malformed,
            ErrorCode::Upstream,
            "does not understand as the LiteLLM proxy API",
        ),
    ];
    for (fault, code, says) in cases {
        fake.faults.push("/key/list", fault.clone(), 1);
        let error = litellm.list_keys(&p, &all()).await.unwrap_err();
        assert_eq!(error.code, code, "{fault:?}: {}", error.message);
        assert!(error.message.contains(says), "{fault:?}: {}", error.message);
    }

    // 429 with Retry-After on a read: waited for, then the list arrives.
    fake.faults.push(
        "/key/list",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    assert_eq!(litellm.list_keys(&p, &all()).await.unwrap().total, Some(3));
    // …on a write: reported, not resent.
    fake.faults.push(
        "/key/generate",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    let error = litellm
        .create_key(&p, &form("x"), Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert!(
        error.message.contains("Try again in 1 s"),
        "{}",
        error.message
    );
    assert_eq!(bodies(&fake, "/key/generate").len(), 1);

    // The proxy's own refusal reads through: a duplicate alias.
    let taken = seed.keys[0].alias.clone().unwrap();
    let error = litellm
        .create_key(&p, &form(&taken), Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(
        error.message.contains("Unique key aliases"),
        "{}",
        error.message
    );

    // A proxy that stops answering, and one that hangs up.
    let slow = PlatformKind::Litellm
        .adapter(&Http::with_timeouts(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_millis(300),
        ))
        .unwrap();
    fake.faults.push(
        "/key/list",
        Fault::Delay(std::time::Duration::from_secs(2)),
        1,
    );
    let error = slow.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{}", error.message);
    fake.faults.push("/key/list", Fault::Close, 1);
    let error = litellm.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable, "{}", error.message);
    assert_in_schema(&fake);
}

fn model_limit(
    model: &str,
    rpm: Option<i64>,
    tpm: Option<i64>,
    budget: Option<(i64, BudgetPeriod)>,
) -> ModelLimitForm {
    ModelLimitForm {
        model: model.into(),
        rpm,
        tpm,
        money_budget: budget.map(|(micros, period)| MoneyLimit {
            micros,
            reset: Some(period),
        }),
    }
}

/// Parallel requests and per-model limits (issue #18): generate sends them in LiteLLM's
/// three shapes, the key reads them back from where the proxy keeps them, an unchanged
/// form sends none of them, a changed map is sent alone and whole, and clearing sends
/// `null` for the column and `{}` for a map (the proxy ignores a `null` map).
#[tokio::test]
async fn parallel_and_per_model_limits_are_sent_only_when_changed_and_cleared() {
    let fake = Fake::litellm(Seed::generated(1, 1)).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();
    let now = Utc::now();
    let mut create = form("per-model");
    create.traffic_limits = Some(TrafficLimits {
        max_parallel: Some(4),
        per_model: vec![
            model_limit(
                "gpt-4o",
                Some(10),
                None,
                Some((2_500_000, BudgetPeriod::Week)),
            ),
            model_limit("gpt-4o-mini", Some(30), Some(50_000), None),
        ],
    });
    let (key, _) = litellm.create_key(&p, &create, now).await.unwrap();
    let sent = &bodies(&fake, "/key/generate")[0];
    assert_eq!(sent["max_parallel_requests"], json!(4));
    assert_eq!(
        sent["model_rpm_limit"],
        json!({"gpt-4o": 10, "gpt-4o-mini": 30})
    );
    assert_eq!(sent["model_tpm_limit"], json!({"gpt-4o-mini": 50000}));
    assert_eq!(
        sent["model_max_budget"],
        json!({"gpt-4o": {"budget_limit": 2.5, "time_period": "7d"}}),
        "the exact decimal and LiteLLM's duration"
    );
    let read = litellm.get_key(&p, &key.id).await.unwrap();
    assert_eq!(read.scopes.max_parallel, Some(4));
    let limits = &read.scopes.model_limits;
    assert_eq!(limits.len(), 2, "{limits:?}");
    assert_eq!(
        (limits[0].model.as_str(), limits[0].rpm, limits[0].tpm),
        ("gpt-4o", Some(10), None)
    );
    let budget = limits[0].money_budget.clone().unwrap();
    assert_eq!(
        (budget.micros, budget.reset),
        (2_500_000, Some(BudgetPeriod::Week))
    );
    assert_eq!(
        (
            limits[1].model.as_str(),
            limits[1].rpm,
            limits[1].tpm,
            limits[1].money_budget.is_none()
        ),
        ("gpt-4o-mini", Some(30), Some(50_000), true)
    );
    assert!(read.unreadable_scopes.is_empty());
    let listed = litellm.list_keys(&p, &all()).await.unwrap();
    let in_list = listed.keys.iter().find(|k| k.id == key.id).unwrap();
    assert_eq!(
        in_list.scopes, read.scopes,
        "/key/list reads the same limits"
    );

    // Unchanged: nothing sent.
    let mut same = create.clone();
    same.expiry = Expiry::Keep;
    litellm.update_key(&p, &key.id, &same, now).await.unwrap();
    assert!(bodies(&fake, "/key/update").is_empty());

    // One model's tpm changes: only the tpm map goes, whole.
    let mut tpm = same.clone();
    tpm.traffic_limits.as_mut().unwrap().per_model[1].tpm = Some(80_000);
    let updated = litellm.update_key(&p, &key.id, &tpm, now).await.unwrap();
    let sent = bodies(&fake, "/key/update").pop().unwrap();
    let mut fields: Vec<&str> = sent
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(fields, ["key", "model_tpm_limit"], "{sent}");
    assert_eq!(sent["model_tpm_limit"], json!({"gpt-4o-mini": 80000}));
    assert_eq!(updated.scopes.model_limits[1].tpm, Some(80_000));
    assert_eq!(
        updated.scopes.model_limits[0].rpm,
        Some(10),
        "the rpm map kept"
    );

    // Cleared: null for the column, {} for each map.
    let mut cleared = tpm.clone();
    cleared.traffic_limits = Some(TrafficLimits::default());
    let updated = litellm
        .update_key(&p, &key.id, &cleared, now)
        .await
        .unwrap();
    let sent = bodies(&fake, "/key/update").pop().unwrap();
    assert_eq!(sent["max_parallel_requests"], Value::Null);
    assert!(sent
        .as_object()
        .unwrap()
        .contains_key("max_parallel_requests"));
    assert_eq!(
        (
            sent["model_rpm_limit"].clone(),
            sent["model_tpm_limit"].clone(),
            sent["model_max_budget"].clone()
        ),
        (json!({}), json!({}), json!({}))
    );
    assert_eq!(
        (
            updated.scopes.max_parallel,
            updated.scopes.model_limits.len()
        ),
        (None, 0)
    );
    assert!(litellm
        .get_key(&p, &key.id)
        .await
        .unwrap()
        .scopes
        .model_limits
        .is_empty());

    // Refused by field before anything is sent: a model outside the allowlist, twice, a
    // budget without a period.
    let before = fake.requests().len();
    let mut outside = form("outside");
    outside.allowed_models = Some(vec!["gpt-4o".into()]);
    outside.traffic_limits = Some(TrafficLimits {
        max_parallel: None,
        per_model: vec![model_limit("claude-sonnet", Some(5), None, None)],
    });
    let error = litellm.create_key(&p, &outside, now).await.unwrap_err();
    assert_eq!(
        error.field.as_deref(),
        Some("model_limits.0.model"),
        "{error:?}"
    );
    let mut twice = form("twice");
    twice.traffic_limits = Some(TrafficLimits {
        max_parallel: None,
        per_model: vec![
            model_limit("gpt-4o", Some(5), None, None),
            model_limit("gpt-4o", None, Some(5), None),
        ],
    });
    let error = litellm.create_key(&p, &twice, now).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("model_limits.1.model"));
    let mut lifetime = form("lifetime");
    lifetime.traffic_limits = Some(TrafficLimits {
        max_parallel: None,
        per_model: vec![ModelLimitForm {
            money_budget: Some(MoneyLimit {
                micros: 1,
                reset: None,
            }),
            ..model_limit("gpt-4o", None, None, None)
        }],
    });
    let error = litellm.create_key(&p, &lifetime, now).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("model_limits.0.period"));
    let mut parallel = form("parallel");
    parallel.traffic_limits = Some(TrafficLimits {
        max_parallel: Some(0),
        per_model: Vec::new(),
    });
    let error = litellm.create_key(&p, &parallel, now).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("max_parallel"));
    assert_eq!(fake.requests().len(), before);
    assert_in_schema(&fake);
}

/// A seed whose `gpt-4o` name has two deployments, every deployment healthy.
fn two_gpt4o_deployments() -> (Seed, String, String) {
    let mut seed = Seed::generated(1, 1);
    for d in &mut seed.deployments {
        d.healthy = true;
    }
    let first = seed.deployments[0].clone();
    assert_eq!(first.model_name, "gpt-4o");
    let mut second = first.clone();
    second.id = "gpt-4o-eu".into();
    second.model = "azure/gpt-4o".into();
    second.api_base = Some("https://eu.example.invalid".into());
    seed.deployments.insert(1, second.clone());
    (seed, first.id, second.id)
}

/// Health per model name (issue #18): all healthy; one of two `gpt-4o` endpoints down →
/// both its deployments degraded 1/2 with that endpoint's error naming where; all down →
/// down 0/2; a `/health` that fails leaves the list with every status unknown and the reason.
#[tokio::test]
async fn deployment_health_is_mapped_per_model_name() {
    let (seed, first, second) = two_gpt4o_deployments();
    let state = State::new(seed.clone());
    let fake = Fake::litellm_state(state.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let litellm = adapter();
    let of = |workloads: &[keyward_core::platform::model::WorkloadRef], id: &str| {
        workloads
            .iter()
            .find(|w| w.id == id)
            .unwrap()
            .status
            .clone()
            .unwrap()
    };

    let workloads = litellm.list_workloads(&p).await.unwrap();
    assert_eq!(workloads.len(), seed.deployments.len());
    for w in &workloads {
        let status = w.status.clone().unwrap();
        assert_eq!(status.state, WorkloadState::Healthy, "{}", w.name);
        assert!(status.problems.is_empty());
    }
    assert_eq!(
        (of(&workloads, &first).ready, of(&workloads, &first).total),
        (Some(2), Some(2))
    );

    assert!(state.set_health(
        &second,
        Some(
            "litellm.APIConnectionError: Connection refused\nTraceback (most recent call last): …"
        )
    ));
    let workloads = litellm.list_workloads(&p).await.unwrap();
    for id in [&first, &second] {
        let status = of(&workloads, id);
        assert_eq!(
            (status.state, status.ready, status.total),
            (WorkloadState::Degraded, Some(1), Some(2))
        );
        assert_eq!(
            status.problems,
            ["azure/gpt-4o at https://eu.example.invalid: litellm.APIConnectionError: Connection refused"]
        );
    }
    let other = workloads.iter().find(|w| w.slug == "gpt-4o-mini").unwrap();
    assert_eq!(
        other.status.clone().unwrap().state,
        WorkloadState::Healthy,
        "other names unaffected"
    );

    assert!(state.set_health(&first, Some("litellm.AuthenticationError: invalid api key")));
    let workloads = litellm.list_workloads(&p).await.unwrap();
    let status = of(&workloads, &first);
    assert_eq!(
        (status.state, status.ready, status.total),
        (WorkloadState::Down, Some(0), Some(2))
    );
    assert_eq!(status.problems.len(), 2);
    assert!(
        status.problems[0].starts_with("openai/gpt-4o: litellm.AuthenticationError"),
        "{:?}",
        status.problems
    );

    fake.faults.push(
        "/health",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        1,
    );
    let workloads = litellm.list_workloads(&p).await.unwrap();
    assert_eq!(
        workloads.len(),
        seed.deployments.len(),
        "the list still shows"
    );
    for w in &workloads {
        let status = w.status.clone().unwrap();
        assert_eq!((status.state, status.ready), (WorkloadState::Unknown, None));
        assert_eq!(status.problems.len(), 1);
        assert!(
            status.problems[0].starts_with("Health is unknown: the proxy's /health did not answer"),
            "{}",
            status.problems[0]
        );
    }
    assert_in_schema(&fake);
}
