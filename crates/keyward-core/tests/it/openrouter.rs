//! The OpenRouter adapter against the fake OpenRouter management API (`keyward-fakes`,
//! held to the platform by the official `openrouter` SDK) (issue #18): the inventory by
//! offset to the last short page, create with a money limit, edits that send only what
//! changed, disable and enable, delete, a leaked secret found exactly by its hash,
//! usage and reported spend that agree with the seed to the micro, test connection
//! refusing an inference key, and every remote failure as a sentence.

use chrono::{Datelike, Duration, TimeZone, Utc};
use keyward_api::Secret;
use keyward_core::keys::{Expiry, KeyForm, KeyListQuery, MoneyLimit};
use keyward_core::platform::capabilities::BudgetPeriod;
use keyward_core::platform::model::{CostQuery, KeyState, UsageBucket, UsageDimension, UsageQuery};
use keyward_core::platform::Platform;
use keyward_core::{ErrorCode, Http, PlatformKind, Profile};
use keyward_fakes::faults::Fault;
use keyward_fakes::openrouter::{hash_of, LimitReset, Seed};
use keyward_fakes::{Fake, RecordedRequest};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn profile(fake: &Fake, key: &str) -> Profile {
    crate::harness::platform_profile(
        PlatformKind::Openrouter,
        "Acme OpenRouter",
        &fake.base_url,
        key,
    )
}

fn adapter() -> Box<dyn Platform> {
    PlatformKind::Openrouter.adapter(&Http::new()).unwrap()
}

fn all() -> KeyListQuery {
    crate::harness::every_key()
}

fn form(name: &str) -> KeyForm {
    crate::harness::key_form(name)
}

fn writes(fake: &Fake) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

fn body(request: &RecordedRequest) -> Value {
    serde_json::from_str(&request.body).unwrap()
}

#[tokio::test]
async fn the_inventory_is_read_by_offset_to_the_last_short_page() {
    // 250 keys: pages of 100, 100 and 50 (the short page ends it).
    let mut seed = Seed::generated(250);
    seed.keys[1].expires_at = Some(seed.now - Duration::days(1));
    let fake = Fake::openrouter(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openrouter = adapter();

    let page = openrouter.list_keys(&p, &all()).await.unwrap();
    assert_eq!(page.total, Some(250), "disabled and expired keys included");
    assert_eq!(page.keys.len(), 200);
    let pages: Vec<RecordedRequest> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/keys")
        .collect();
    let offsets: Vec<String> = pages
        .iter()
        .map(|r| r.query_values("offset").concat())
        .collect();
    assert_eq!(offsets, ["0", "100", "200"]);
    assert!(pages
        .iter()
        .all(|r| r.query_values("include_disabled") == ["true"]));
    assert_eq!(pages[0].header("authorization"), Some("Bearer sk-or-v1"));

    let mut seen = page.keys;
    seen.extend(
        openrouter
            .list_keys(
                &p,
                &KeyListQuery {
                    offset: Some(200),
                    ..all()
                },
            )
            .await
            .unwrap()
            .keys,
    );
    assert_eq!(seen.len(), 250);
    for key in &seed.keys {
        let found = seen.iter().find(|k| k.id == key.hash).expect("listed");
        assert_eq!(
            found.id,
            hash_of(&key.secret),
            "the id is the secret's hash"
        );
        assert_eq!(found.name, key.name);
        assert_eq!(found.hint.as_deref(), Some(key.label().as_str()));
        let budget = found.scopes.money_budget.as_ref();
        assert_eq!(budget.map(|b| b.micros), key.limit_micros);
        if let Some(budget) = budget {
            assert_eq!(budget.currency, "USD");
            let reset = key.limit_reset.map(|r| match r.as_str() {
                "daily" => BudgetPeriod::Day,
                "weekly" => BudgetPeriod::Week,
                _ => BudgetPeriod::Month,
            });
            assert_eq!(budget.reset, reset);
        }
        let state = if key.disabled {
            KeyState::Disabled
        } else if key.expires_at.is_some_and(|at| at <= Utc::now()) {
            KeyState::Expired
        } else {
            KeyState::Active
        };
        assert_eq!(found.state, state, "{}", key.name);
        assert!(found.totals.is_none());
    }
    assert!(seen.iter().any(|k| k.state == KeyState::Disabled));
    assert!(seen.iter().any(|k| k.state == KeyState::Expired));
}

#[tokio::test]
async fn create_edit_disable_enable_and_delete_on_openrouter() {
    let seed = Seed::generated(3);
    let fake = Fake::openrouter(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openrouter = adapter();
    let now = Utc::now();

    // Create with a money limit and an expiry: the secret once, its hash the id.
    let budget = MoneyLimit {
        micros: 12_500_000,
        reset: Some(BudgetPeriod::Month),
    };
    let created_form = KeyForm {
        expiry: Expiry::Date {
            date: "2099-01-31".into(),
        },
        money_budget: Some(budget),
        ..form("support-bot")
    };
    let (key, secret) = openrouter.create_key(&p, &created_form, now).await.unwrap();
    assert!(secret.expose().starts_with("sk-or-v1-") && secret.expose().len() == 73);
    assert_eq!(key.id, hash_of(secret.expose()));
    assert_eq!(key.state, KeyState::Active);
    let money = key.scopes.money_budget.clone().unwrap();
    assert_eq!(
        (money.micros, money.reset),
        (12_500_000, Some(BudgetPeriod::Month))
    );
    assert_eq!(
        key.expires_at,
        Some(Utc.with_ymd_and_hms(2099, 1, 31, 0, 0, 0).unwrap())
    );
    let sent = writes(&fake);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/api/v1/keys")
    );
    assert_eq!(
        body(&sent[0]),
        json!({"name": "support-bot", "limit": 12.5, "limit_reset": "monthly", "expires_at": "2099-01-31T00:00:00Z"})
    );
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.body.contains(secret.expose())),
        "the secret is never sent back"
    );

    // An edit sends only what changed: the name alone, then the limit alone.
    let edit = KeyForm {
        expiry: Expiry::Keep,
        money_budget: Some(budget),
        ..form("support-bot-eu")
    };
    let renamed = openrouter
        .update_key(&p, &key.id, &edit, now)
        .await
        .unwrap();
    assert_eq!(renamed.name, "support-bot-eu");
    let raised = KeyForm {
        money_budget: Some(MoneyLimit {
            micros: 20_000_000,
            ..budget
        }),
        ..edit.clone()
    };
    let raised_key = openrouter
        .update_key(&p, &key.id, &raised, now)
        .await
        .unwrap();
    assert_eq!(raised_key.scopes.money_budget.unwrap().micros, 20_000_000);
    // Nothing differs: nothing is sent.
    openrouter
        .update_key(&p, &key.id, &raised, now)
        .await
        .unwrap();
    let patches: Vec<(String, Value)> = writes(&fake)[1..]
        .iter()
        .map(|r| (format!("{} {}", r.method, r.path), body(r)))
        .collect();
    let path = format!("PATCH /api/v1/keys/{}", key.id);
    assert_eq!(
        patches,
        [
            (path.clone(), json!({"name": "support-bot-eu"})),
            (path.clone(), json!({"limit": 20})),
        ]
    );
    // An expiry cannot be changed after creation: said, naming the field.
    let moved = KeyForm {
        expiry: Expiry::InDays { days: 5 },
        ..raised.clone()
    };
    let error = openrouter
        .update_key(&p, &key.id, &moved, now)
        .await
        .unwrap_err();
    assert_eq!(
        error.field.as_deref(),
        Some("expires_at"),
        "{}",
        error.message
    );
    // So can a scope OpenRouter keys lack.
    let error = openrouter
        .create_key(
            &p,
            &KeyForm {
                rpm: Some(60),
                ..form("x")
            },
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("rpm"));
    assert!(error.message.contains("money"), "{}", error.message);

    // Disable and enable: one PATCH of `disabled` each, none when already so.
    let disabled = openrouter.set_disabled(&p, &key.id, true).await.unwrap();
    assert_eq!(disabled.state, KeyState::Disabled);
    openrouter.set_disabled(&p, &key.id, true).await.unwrap();
    let enabled = openrouter.set_disabled(&p, &key.id, false).await.unwrap();
    assert_eq!(enabled.state, KeyState::Active);
    let toggles: Vec<Value> = writes(&fake)[3..].iter().map(body).collect();
    assert_eq!(
        toggles,
        [json!({"disabled": true}), json!({"disabled": false})]
    );

    // Revoke deletes the key: it is gone from OpenRouter.
    let revoked = openrouter.revoke_key(&p, &key.id).await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    let last = writes(&fake).pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path),
        ("DELETE", format!("/api/v1/keys/{}", key.id))
    );
    let error = openrouter.get_key(&p, &key.id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(
        openrouter.list_keys(&p, &all()).await.unwrap().total,
        Some(3)
    );
}

#[tokio::test]
async fn a_leaked_secret_is_found_exactly_by_its_hash() {
    let seed = Seed::generated(5);
    let fake = Fake::openrouter(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openrouter = adapter();
    let leaked = &seed.keys[3];

    let found = openrouter
        .identify_key(&p, &Secret::new(leaked.secret.clone()))
        .await
        .unwrap();
    assert!(found.exact);
    assert_eq!(found.keys.len(), 1);
    assert_eq!(found.keys[0].id, leaked.hash);
    let asked = fake.requests();
    assert_eq!(asked.len(), 1, "one lookup, no listing");
    assert_eq!(asked[0].path, format!("/api/v1/keys/{}", leaked.hash));
    assert!(
        asked.iter().all(|r| !r.path.contains(&leaked.secret[9..])
            && !r.query.contains(&leaked.secret[9..])
            && !r.body.contains(&leaked.secret[9..])),
        "the secret never leaves the machine"
    );

    // A well-formed secret of no key of this account: none, exactly.
    let stranger = format!("sk-or-v1-{}", "ab".repeat(32));
    let none = openrouter
        .identify_key(&p, &Secret::new(stranger))
        .await
        .unwrap();
    assert!(none.keys.is_empty() && none.exact);

    // A typo is caught here: no request at all.
    let before = fake.requests().len();
    for typo in [
        &leaked.secret[..leaked.secret.len() - 1],
        &leaked.secret.to_uppercase(),
        "sk-or-v1-",
    ] {
        assert!(!matches!(
            openrouter.recognize_secret(typo),
            keyward_core::platform::Recognition::Key
        ));
        let error = openrouter
            .identify_key(&p, &Secret::new(typo.to_owned()))
            .await
            .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("secret"), "{}", error.message);
        assert!(
            error.message.contains("64 hexadecimal"),
            "{}",
            error.message
        );
    }
    assert_eq!(
        fake.requests().len(),
        before,
        "a typo never causes a request"
    );
}

#[tokio::test]
async fn usage_and_reported_spend_agree_with_the_seed_to_the_micro() {
    let now = Utc.with_ymd_and_hms(2026, 11, 18, 15, 0, 0).unwrap();
    let mut seed = Seed::generated_at(6, now);
    // A key deleted since: its activity stays in the account's, under no listed key.
    let (first, last) = seed.activity_days();
    let gone = seed
        .keys
        .iter()
        .position(|k| {
            seed.usage
                .iter()
                .any(|u| u.key_hash == k.hash && u.day >= first && u.day <= last)
        })
        .expect("a key with activity");
    let gone = seed.keys.remove(gone).hash;
    let place = |hash: &str| {
        if hash == gone {
            "unattributed".to_owned()
        } else {
            hash.to_owned()
        }
    };
    let fake = Fake::openrouter(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openrouter = adapter();
    let today = Utc.with_ymd_and_hms(2026, 11, 18, 0, 0, 0).unwrap();
    let start = today - Duration::days(30);
    let in_window = |u: &&keyward_fakes::openrouter::UsageRecord| u.day >= first && u.day <= last;

    let query = UsageQuery {
        start,
        end: today,
        bucket: UsageBucket::Day,
        group_by: vec![UsageDimension::Key, UsageDimension::Model],
        key_ids: vec![],
        models: vec![],
        workloads: vec![],
    };
    let report = openrouter.usage(&p, "", &query).await.unwrap();
    let mut expected: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for u in seed.usage.iter().filter(in_window) {
        let e = expected
            .entry((place(&u.key_hash), u.model.clone()))
            .or_default();
        e.0 += u.requests as i64;
        e.1 += (u.prompt_tokens + u.completion_tokens) as i64;
    }
    let mut got: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for row in &report.rows {
        assert!(row.bucket.is_some_and(|b| b >= start && b < today));
        let e = got
            .entry((row.key_id.clone().unwrap(), row.model.clone().unwrap()))
            .or_default();
        e.0 += row.requests;
        e.1 += row.input_tokens + row.output_tokens;
    }
    assert!(!expected.is_empty());
    assert_eq!(got, expected, "per key and model, the seed's own numbers");
    assert!(got.keys().any(|(key, _)| key == "unattributed"));
    // Keys are named from the inventory; the rest says where it came from.
    for key in &report.keys {
        if key.id == "unattributed" {
            assert_eq!(key.name, "Deleted keys and the OpenRouter chatroom");
            continue;
        }
        let seeded = seed.keys.iter().find(|k| k.hash == key.id).unwrap();
        assert_eq!((&key.name, &key.masked), (&seeded.name, &seeded.label()));
    }
    // Hours are not something OpenRouter reports.
    let error = openrouter
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
    assert_eq!(error.code, ErrorCode::Unsupported);

    // Reported spend per key and day, exact: the sum of the seed's micros.
    let costs = openrouter
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
    let mut spent: BTreeMap<String, i64> = BTreeMap::new();
    for cost in &costs {
        assert_eq!(cost.currency, "USD");
        let key = cost.key_id.clone().unwrap_or_else(|| "unattributed".into());
        *spent.entry(key).or_default() += cost.amount_micros;
    }
    let mut seeded: BTreeMap<String, i64> = BTreeMap::new();
    for u in seed.usage.iter().filter(in_window) {
        *seeded.entry(place(&u.key_hash)).or_default() += u.usage_micros;
    }
    assert_eq!(spent, seeded);
    // The account's whole spend without keys is the same total.
    let account = openrouter
        .reported_costs(
            &p,
            &CostQuery {
                start,
                end: today,
                project: None,
                key_ids: vec![],
                by_key: false,
            },
        )
        .await
        .unwrap();
    assert!(account.iter().all(|c| c.key_id.is_none()));
    assert_eq!(
        account.iter().map(|c| c.amount_micros).sum::<i64>(),
        seeded.values().sum::<i64>()
    );
}

#[tokio::test]
async fn test_connection_takes_a_management_key_and_refuses_an_inference_key() {
    let seed = Seed::generated(2);
    let fake = Fake::openrouter(seed.clone()).await;
    let openrouter = adapter();
    let connection = openrouter
        .connection(&profile(&fake, &fake.admin_key))
        .await
        .unwrap();
    assert_eq!(connection.project.id, seed.workspace_id);
    assert!(connection
        .credential_label
        .starts_with("Management key sk-or-v1-"));
    assert!(!connection.credential_label.contains(&fake.admin_key[12..]));

    let inference = profile(&fake, &seed.keys[0].secret);
    let error = openrouter.connection(&inference).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error
            .message
            .starts_with("This is an OpenRouter inference key")
            && error.message.contains("a management key is needed"),
        "{}",
        error.message
    );
    // Used anyway, OpenRouter refuses it and the sentence says why.
    let error = openrouter.list_keys(&inference, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("Only management keys"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn every_remote_failure_reaches_the_user_as_a_sentence() {
    let seed = Seed::generated(3);
    let fake = Fake::openrouter(seed.clone()).await;
    let openrouter = adapter();

    // An unknown key: the sentence names the management key.
    let wrong = format!("sk-or-v1-{}", "0".repeat(64));
    let error = openrouter
        .list_keys(&profile(&fake, &wrong), &all())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized);
    assert!(
        error.message.contains("Replace the management key")
            && error.message.contains("Management keys"),
        "{}",
        error.message
    );

    let p = profile(&fake, &fake.admin_key);
    let status = |status| Fault::Status {
        status,
        retry_after: None,
    };
    let cases: [(Fault, ErrorCode, &str); 6] = [
        (
            status(403),
            ErrorCode::Forbidden,
            "may not do this on OpenRouter",
        ),
        (status(404), ErrorCode::NotFound, "refresh the list"),
        (status(409), ErrorCode::Conflict, "Refresh and try again"),
        (status(500), ErrorCode::Upstream, "HTTP 500"),
        (status(503), ErrorCode::Upstream, "HTTP 503"),
        (
            Fault::Malformed,
            ErrorCode::Upstream,
            "does not understand as the OpenRouter API",
        ),
    ];
    for (fault, code, says) in cases {
        fake.faults.push("/keys", fault.clone(), 1);
        let error = openrouter.list_keys(&p, &all()).await.unwrap_err();
        assert_eq!(error.code, code, "{fault:?}: {}", error.message);
        assert!(error.message.contains(says), "{fault:?}: {}", error.message);
    }

    // 429 with Retry-After on a read: waited for, then the list arrives.
    fake.faults.push(
        "/keys",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    assert_eq!(
        openrouter.list_keys(&p, &all()).await.unwrap().total,
        Some(3)
    );
    // …on a write: reported, not resent.
    fake.faults.push(
        "/keys",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    let posts = writes(&fake).len();
    let error = openrouter
        .create_key(&p, &form("x"), Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert!(
        error.message.contains("Try again in 1 s"),
        "{}",
        error.message
    );
    assert_eq!(writes(&fake).len(), posts + 1, "sent once");

    // A platform that stops answering, and one that hangs up.
    let slow = PlatformKind::Openrouter
        .adapter(&Http::with_timeouts(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_millis(300),
        ))
        .unwrap();
    fake.faults
        .push("/keys", Fault::Delay(std::time::Duration::from_secs(2)), 1);
    let error = slow.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{}", error.message);
    fake.faults.push("/keys", Fault::Close, 1);
    let error = openrouter.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable, "{}", error.message);
    assert_eq!(fake.faults.pending(), 0);
}

/// A key's money budget burns down in money on Usage & Spend: for every top key with
/// a monthly OpenRouter limit, the burn-down's `used` is what OpenRouter reported for
/// that key since the month began (its activity: completed UTC days), in exact micros,
/// against the limit, and the chart's table names the unit.
#[tokio::test]
async fn money_budgets_burn_down_in_the_money_openrouter_reports() {
    use keyward_core::usage::{self, PeriodPreset, SpendBy, UsageRequest};
    let mut seed = Seed::generated(6);
    for key in &mut seed.keys {
        key.limit_micros = Some(500_000_000);
        key.limit_reset = Some(keyward_fakes::openrouter::LimitReset::Monthly);
    }
    let fake = Fake::openrouter(seed.clone()).await;
    let p = Profile {
        project_id: "acct".into(),
        ..profile(&fake, &seed.management_key)
    };
    let request = UsageRequest {
        preset: PeriodPreset::Last30Days,
        custom_start: None,
        custom_end: None,
        time_zone: "UTC".into(),
        bucket: None,
        project_id: None,
        key_ids: vec![],
        models: vec![],
        workload: None,
        spend_by: SpendBy::Key,
    };
    let view = usage::load_view(
        adapter().as_ref(),
        &p,
        &request,
        &Default::default(),
        seed.now,
    )
    .await
    .unwrap();
    assert!(
        !view.facts.budgets.is_empty(),
        "every top key has a monthly limit"
    );
    let month_start = seed
        .now
        .date_naive()
        .with_day(1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    for burn in &view.facts.budgets {
        assert_eq!(burn.currency.as_deref(), Some("USD"));
        assert_eq!(burn.limit, 500_000_000);
        let costs = adapter()
            .reported_costs(
                &p,
                &CostQuery {
                    start: month_start,
                    end: seed.now,
                    project: None,
                    key_ids: vec![burn.key_id.clone()],
                    by_key: true,
                },
            )
            .await
            .unwrap();
        let reported: i64 = costs
            .iter()
            .filter(|c| c.key_id.as_deref() == Some(burn.key_id.as_str()))
            .map(|c| c.amount_micros)
            .sum();
        assert_eq!(burn.used, reported, "{}", burn.key_name);
    }
    let chart = view
        .charts
        .iter()
        .find(|c| c.id == "budget_month")
        .expect("a monthly burn-down");
    assert!(chart.table.rows.iter().all(|r| r[5] == "USD micros"));
}

/// "Last 7 days" with the bucket left to fit would be hours, which OpenRouter does not
/// report: the view fits itself to days instead of failing; an hour bucket the person
/// chose is refused with OpenRouter's sentence.
#[tokio::test]
async fn an_auto_bucket_fits_what_openrouter_reports() {
    use keyward_core::usage::{self, PeriodPreset, SpendBy, UsageRequest};
    let seed = Seed::generated(3);
    let fake = Fake::openrouter(seed.clone()).await;
    let p = Profile {
        project_id: "acct".into(),
        ..profile(&fake, &seed.management_key)
    };
    let request = UsageRequest {
        preset: PeriodPreset::Last7Days,
        custom_start: None,
        custom_end: None,
        time_zone: "UTC".into(),
        bucket: None,
        project_id: None,
        key_ids: vec![],
        models: vec![],
        workload: None,
        spend_by: SpendBy::Model,
    };
    let platform = adapter();
    let view = usage::load_view(
        platform.as_ref(),
        &p,
        &request,
        &Default::default(),
        seed.now,
    )
    .await
    .unwrap();
    assert_eq!(view.facts.bucket, UsageBucket::Day);
    let hours = UsageRequest {
        bucket: Some(UsageBucket::Hour),
        ..request
    };
    let error = usage::load_view(platform.as_ref(), &p, &hours, &Default::default(), seed.now)
        .await
        .unwrap_err();
    assert!(error.message.contains("per day"), "{}", error.message);
}

#[tokio::test]
async fn each_key_carries_its_money_totals_and_its_page_its_guardrail() {
    let seed = Seed::generated(12);
    let fake = Fake::openrouter(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openrouter = adapter();

    // The list: every key's day, week, month and lifetime totals, to the micro.
    let page = openrouter.list_keys(&p, &all()).await.unwrap();
    assert_eq!(page.keys.len(), 12);
    let mut spending = 0;
    for key in &seed.keys {
        let found = page.keys.iter().find(|k| k.id == key.hash).unwrap();
        let used = found
            .money_used
            .as_ref()
            .expect("OpenRouter totals every key");
        assert_eq!(used.currency, "USD");
        assert_eq!(used.total, Some(seed.usage_since(&key.hash, None)));
        for (period, reset) in [
            (used.day, LimitReset::Daily),
            (used.week, LimitReset::Weekly),
            (used.month, LimitReset::Monthly),
        ] {
            let from = seed.period_start(Some(reset));
            assert_eq!(period, Some(seed.usage_since(&key.hash, from)), "{reset:?}");
        }
        assert!(used.day <= used.week || used.month <= used.total);
        spending += used.total.unwrap_or(0);
        assert!(found.guardrail.is_none(), "lists do not read guardrails");
    }
    assert!(
        spending > 0,
        "the seed spends money: the comparison means something"
    );

    // A key's page: the guardrail assigned to it, read-only, exact.
    let held = &seed.keys[0];
    let key = openrouter.get_key(&p, &held.hash).await.unwrap();
    let guardrail = key.guardrail.expect("the first two keys have a guardrail");
    let seeded = &seed.guardrails[0];
    assert_eq!(guardrail.id, seeded.id);
    assert_eq!(guardrail.name, "Approved models");
    assert_eq!(guardrail.allowed_models, seeded.allowed_models);
    let budget = guardrail.money_budget.unwrap();
    assert_eq!(
        (budget.micros, budget.reset),
        (25_000_000, Some(BudgetPeriod::Week))
    );
    assert_eq!(budget.currency, "USD");

    // A key without one says none, having read the whole assignment list.
    let free = &seed.keys[5];
    let key = openrouter.get_key(&p, &free.hash).await.unwrap();
    assert!(key.guardrail.is_none());
    assert!(key.money_used.is_some());

    // A guardrail that cannot be read fails the page with a sentence, not a blank.
    fake.faults.push(
        "/guardrails/assignments/keys",
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        1,
    );
    let err = openrouter.get_key(&p, &held.hash).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Upstream, "{}", err.message);
    assert!(err.message.contains("HTTP 503"), "{}", err.message);
}
