//! The Anthropic adapter against the fake Anthropic Admin API (`keyward-fakes`, held to
//! the platform by the official `anthropic` SDK): the organisation's keys across pages
//! with every status mapped, rename, disable and enable, revoke as archive, leaked-key
//! candidates by partial hint, usage agreeing with the seed, test connection, the
//! headers Anthropic documents, and every remote failure as a sentence (issue #17).

use chrono::{Duration, DurationRound, TimeDelta, Timelike};
use keyward_api::Secret;
use keyward_core::keys::{Expiry, KeyForm, KeyListQuery};
use keyward_core::platform::model::{KeyState, UsageBucket, UsageDimension, UsageQuery, UsageRow};
use keyward_core::platform::Platform;
use keyward_core::{ErrorCode, Http, PlatformKind, Profile};
use keyward_fakes::anthropic::{KeyStatus, Seed, UsageRecord};
use keyward_fakes::faults::Fault;
use keyward_fakes::Fake;

fn profile(fake: &Fake, key: &str) -> Profile {
    crate::harness::platform_profile(
        PlatformKind::Anthropic,
        "Acme Anthropic",
        &fake.base_url,
        key,
    )
}

fn adapter() -> Box<dyn Platform> {
    PlatformKind::Anthropic.adapter(&Http::new()).unwrap()
}

fn all() -> KeyListQuery {
    crate::harness::every_key()
}

/// An edit form that changes only the name.
fn rename(name: &str) -> KeyForm {
    KeyForm {
        expiry: Expiry::Keep,
        ..crate::harness::key_form(name)
    }
}

fn posts(fake: &Fake) -> Vec<(String, String)> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.path, r.body))
        .collect()
}

#[tokio::test]
async fn the_inventory_reads_every_page_and_maps_each_status() {
    // 2,100 keys: three pages at Anthropic's largest page of 1,000.
    let mut seed = Seed::generated(3, 700);
    let expired_at = seed.now - Duration::days(2);
    seed.keys[0].status = KeyStatus::Expired;
    seed.keys[0].expires_at = Some(expired_at);
    let fake = Fake::anthropic(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let anthropic = adapter();

    let page = anthropic.list_keys(&p, &all()).await.unwrap();
    assert_eq!(page.total, Some(2100), "archived (revoked) keys are listed");
    assert_eq!(page.keys.len(), 200, "one page of the console's list");
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/organizations/api_keys")
        .collect();
    assert_eq!(pages.len(), 3, "read to the last page");
    assert!(pages[0].query_values("after_id").is_empty());
    assert_eq!(pages[0].query_values("limit"), ["1000"]);
    assert_eq!(
        pages[1].query_values("after_id").len(),
        1,
        "the next page starts after the last key"
    );

    // Every seeded key once, with its state, hint, workspace, creator and dates.
    let mut seen = Vec::new();
    for offset in (0..2100).step_by(200) {
        let query = KeyListQuery {
            offset: Some(offset),
            ..all()
        };
        seen.extend(anthropic.list_keys(&p, &query).await.unwrap().keys);
    }
    assert_eq!(seen.len(), 2100);
    for key in &seed.keys {
        let found = seen
            .iter()
            .find(|k| k.id == key.id)
            .unwrap_or_else(|| panic!("{} missing", key.id));
        let state = match key.status {
            KeyStatus::Active => KeyState::Active,
            KeyStatus::Inactive => KeyState::Disabled,
            KeyStatus::Archived => KeyState::Revoked,
            KeyStatus::Expired => KeyState::Expired,
        };
        assert_eq!(found.state, state, "{}", key.id);
        assert_eq!(found.name, key.name);
        assert_eq!(found.hint.as_deref(), Some(key.partial_key_hint().as_str()));
        assert_eq!(found.project.as_deref(), Some(key.workspace_id.as_str()));
        assert_eq!(
            found.owner.as_deref(),
            Some(key.created_by_user_id.as_str())
        );
        assert_eq!(found.created_at, Some(key.created_at));
        assert_eq!(found.expires_at, key.expires_at);
        assert_eq!(found.revoked_at, None, "Anthropic does not say when");
    }
    let count = |state: KeyState| seen.iter().filter(|k| k.state == state).count();
    assert_eq!(count(KeyState::Expired), 1);
    assert_eq!(count(KeyState::Revoked), 3 * 140);
    assert_eq!(count(KeyState::Disabled), 3 * 140);

    // The status and workspace filters work on the inventory as on the gateway.
    let revoked = anthropic
        .list_keys(
            &p,
            &KeyListQuery {
                status: Some(KeyState::Revoked),
                ..all()
            },
        )
        .await
        .unwrap();
    assert_eq!(revoked.total, Some(420));
    let workspace = &seed.workspaces[1].id;
    let only = anthropic
        .list_keys(
            &p,
            &KeyListQuery {
                project: Some(workspace.clone()),
                ..all()
            },
        )
        .await
        .unwrap();
    assert_eq!(only.total, Some(700));
    assert!(only
        .keys
        .iter()
        .all(|k| k.project.as_deref() == Some(workspace.as_str())));

    // Every request named the admin key and the API version as Anthropic documents.
    for request in fake.requests() {
        assert_eq!(
            request.header("x-api-key"),
            Some("sk-ant-a"),
            "{}",
            request.path
        );
        assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(request.header("authorization"), None);
    }
}

#[tokio::test]
async fn rename_disable_enable_and_revoke_change_the_key_on_anthropic() {
    let seed = Seed::generated(2, 5);
    let fake = Fake::anthropic(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let anthropic = adapter();
    let id = &seed.keys[0].id;
    let now = chrono::Utc::now();

    let renamed = anthropic
        .update_key(&p, id, &rename("  billing-worker  "), now)
        .await
        .unwrap();
    assert_eq!(renamed.name, "billing-worker");
    let path = format!("/v1/organizations/api_keys/{id}");
    assert_eq!(
        posts(&fake),
        [(path.clone(), r#"{"name":"billing-worker"}"#.to_owned())]
    );
    // The same name again: nothing to send.
    anthropic
        .update_key(&p, id, &rename("billing-worker"), now)
        .await
        .unwrap();
    assert_eq!(posts(&fake).len(), 1);

    // A form asking for what Anthropic keeps per workspace is refused, naming the field.
    let limited = KeyForm {
        tpm: Some(1000),
        ..rename("x")
    };
    let error = anthropic
        .update_key(&p, id, &limited, now)
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("tpm"));
    assert!(error.message.contains("per workspace"), "{}", error.message);
    let moved = KeyForm {
        project: Some(seed.workspaces[1].id.clone()),
        ..rename("x")
    };
    let error = anthropic.update_key(&p, id, &moved, now).await.unwrap_err();
    assert_eq!(error.field.as_deref(), Some("project"));
    let described = KeyForm {
        description: "for billing".into(),
        ..rename("x")
    };
    let error = anthropic
        .update_key(&p, id, &described, now)
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("description"));
    let error = anthropic
        .update_key(&p, id, &rename(" "), now)
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("name"));
    assert_eq!(posts(&fake).len(), 1, "refused before anything is sent");

    // Disable and enable: Anthropic's `inactive` and `active`.
    let paused = anthropic.set_disabled(&p, id, true).await.unwrap();
    assert_eq!(paused.state, KeyState::Disabled);
    assert_eq!(
        anthropic.get_key(&p, id).await.unwrap().state,
        KeyState::Disabled
    );
    let resumed = anthropic.set_disabled(&p, id, false).await.unwrap();
    assert_eq!(resumed.state, KeyState::Active);
    let bodies: Vec<String> = posts(&fake).into_iter().skip(1).map(|(_, b)| b).collect();
    assert_eq!(
        bodies,
        [r#"{"status":"inactive"}"#, r#"{"status":"active"}"#]
    );

    // Revoke archives the key, which is then listed as revoked and is final.
    let revoked = anthropic.revoke_key(&p, id).await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    assert_eq!(posts(&fake).last().unwrap().1, r#"{"status":"archived"}"#);
    let listed = anthropic.list_keys(&p, &all()).await.unwrap();
    let found = listed.keys.iter().find(|k| &k.id == id).unwrap();
    assert_eq!(found.state, KeyState::Revoked);
    let error = anthropic.set_disabled(&p, id, false).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Conflict);
    assert!(
        error.message.contains("archived key never works again"),
        "{}",
        error.message
    );
    let error = anthropic
        .update_key(&p, id, &rename("again"), now)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Conflict);
    let sent = posts(&fake).len();
    anthropic.revoke_key(&p, id).await.unwrap();
    assert_eq!(posts(&fake).len(), sent, "already revoked: nothing sent");

    let error = anthropic.get_key(&p, "apikey_01nothere").await.unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    assert!(
        error.message.contains("API key not found"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_leaked_secret_names_every_key_it_may_be() {
    let mut seed = Seed::generated(2, 5);
    // Two keys whose partial hints are the same (the first 16 and last 4 characters):
    // key 1 differs from key 0 only in the middle.
    let twin: String = {
        let mut chars: Vec<char> = seed.keys[0].secret.chars().collect();
        let mid = chars.len() / 2;
        chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect()
    };
    seed.keys[1].secret = twin;
    assert_eq!(
        seed.keys[0].partial_key_hint(),
        seed.keys[1].partial_key_hint()
    );
    let fake = Fake::anthropic(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let anthropic = adapter();
    let leaked = |i: usize| Secret::new(seed.keys[i].secret.clone());

    let found = anthropic.identify_key(&p, &leaked(2)).await.unwrap();
    assert!(!found.exact, "matched by visible characters only");
    let ids: Vec<&str> = found.keys.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, [seed.keys[2].id.as_str()]);

    let found = anthropic.identify_key(&p, &leaked(0)).await.unwrap();
    let mut ids: Vec<&str> = found.keys.iter().map(|k| k.id.as_str()).collect();
    ids.sort();
    let mut want = vec![seed.keys[0].id.as_str(), seed.keys[1].id.as_str()];
    want.sort();
    assert_eq!(ids, want, "both candidates, none picked");

    let stranger = Secret::new("sk-ant-api03-notakeyofthisorganisation000AA".into());
    assert!(anthropic
        .identify_key(&p, &stranger)
        .await
        .unwrap()
        .keys
        .is_empty());
}

fn tokens(rows: &[UsageRow]) -> (i64, i64) {
    rows.iter().fold((0, 0), |(i, o), r| {
        (i + r.input_tokens, o + r.output_tokens)
    })
}

#[tokio::test]
async fn usage_buckets_and_totals_agree_with_the_seeds_own_numbers() {
    // The usage ends at the current hour, unless that is midnight UTC: a range whose
    // both ends fall on midnight is read in day buckets (`report_width`), one page
    // instead of the two of hours this test counts, and it failed from 00:00 to 01:00.
    let hour = chrono::Utc::now()
        .duration_trunc(TimeDelta::hours(1))
        .unwrap();
    let end_hour = if hour.hour() == 0 {
        hour - TimeDelta::hours(1)
    } else {
        hour
    };
    let mut seed = Seed::generated_at(2, 4, end_hour);
    // Workbench usage: no key, the default workspace (no workspace id).
    seed.usage.push(UsageRecord {
        at: (seed.now - Duration::hours(5)).timestamp(),
        api_key_id: None,
        workspace_id: None,
        model: "claude-sonnet-4-20250514".into(),
        uncached_input_tokens: 1_234,
        cache_creation_5m_input_tokens: 1_000,
        cache_creation_1h_input_tokens: 500,
        cache_read_input_tokens: 77,
        output_tokens: 321,
        web_search_requests: 0,
    });
    seed.usage.sort_by_key(|u| u.at);
    let fake = Fake::anthropic(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let anthropic = adapter();
    let end = seed.now;
    let start = end - Duration::days(10);
    let expected = |workspace: Option<Option<&str>>| {
        seed.usage
            .iter()
            .filter(|u| u.at >= start.timestamp() && u.at < end.timestamp())
            .filter(|u| workspace.is_none_or(|w| u.workspace_id.as_deref() == w))
            .fold((0, 0), |(i, o), u| {
                let input = u.uncached_input_tokens
                    + u.cache_creation_5m_input_tokens
                    + u.cache_creation_1h_input_tokens
                    + u.cache_read_input_tokens;
                (i + input as i64, o + u.output_tokens as i64)
            })
    };
    let query = UsageQuery {
        start,
        end,
        bucket: UsageBucket::Hour,
        group_by: vec![UsageDimension::Key, UsageDimension::Model],
        key_ids: vec![],
        models: vec![],
        workloads: vec![],
    };
    let hourly = anthropic.usage(&p, "", &query).await.unwrap();
    let totals_query = UsageQuery {
        bucket: UsageBucket::None,
        ..query.clone()
    };
    let totals = anthropic.usage(&p, "", &totals_query).await.unwrap();
    assert!(tokens(&hourly.rows).0 > 0);
    assert_eq!(
        tokens(&hourly.rows),
        expected(None),
        "the seed's own numbers"
    );
    assert_eq!(
        tokens(&totals.rows),
        expected(None),
        "buckets add up to the totals"
    );
    assert!(totals.rows.iter().all(|r| r.bucket.is_none()));
    assert!(hourly.rows.iter().all(|r| r.requests == 0), "not reported");
    // 10 days of hours is two pages of 168, both read; group_by as Anthropic names it.
    let reports: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/usage_report/messages"))
        .collect();
    assert_eq!(reports.len(), 2 + 2);
    assert_eq!(reports[0].query_values("bucket_width"), ["1h"]);
    assert_eq!(
        reports[0].query_values("group_by[]"),
        ["api_key_id", "model"]
    );
    assert_eq!(reports[1].query_values("page").len(), 1);

    // Keys are named as the inventory names them; Workbench usage has no key.
    let inventory = anthropic.list_keys(&p, &all()).await.unwrap().keys;
    assert!(totals.keys.len() > 1);
    for key in &totals.keys {
        match inventory.iter().find(|k| k.id == key.id) {
            Some(listed) => {
                assert_eq!(key.name, listed.name);
                assert_eq!(Some(&key.masked), listed.hint.as_ref());
                assert_eq!(key.revoked, listed.state == KeyState::Revoked);
            }
            None => assert_eq!(key.id, "unattributed"),
        }
    }

    // Day-aligned totals are read in days; one workspace, and the default one.
    let day_end = end.duration_trunc(TimeDelta::days(1)).unwrap();
    let days = UsageQuery {
        start: day_end - Duration::days(7),
        end: day_end,
        group_by: vec![],
        ..totals_query.clone()
    };
    anthropic.usage(&p, "", &days).await.unwrap();
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.query_values("bucket_width"), ["1d"]);
    let workspace = seed.workspaces[0].id.as_str();
    let one = anthropic.usage(&p, workspace, &totals_query).await.unwrap();
    assert_eq!(tokens(&one.rows), expected(Some(Some(workspace))));
    let default = anthropic.usage(&p, "default", &totals_query).await.unwrap();
    assert_eq!(tokens(&default.rows), expected(Some(None)));
    assert!(tokens(&default.rows).0 > 0, "Workbench usage is seeded");

    let error = anthropic
        .usage(
            &p,
            "",
            &UsageQuery {
                workloads: vec!["w".into()],
                ..query
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("workload"));
}

#[tokio::test]
async fn test_connection_names_the_organisation_and_refuses_another() {
    let seed = Seed::generated(2, 1);
    let fake = Fake::anthropic(seed.clone()).await;
    let anthropic = adapter();
    let p = profile(&fake, &fake.admin_key);
    let connection = anthropic.connection(&p).await.unwrap();
    assert_eq!(connection.project.id, seed.organization.id);
    assert_eq!(connection.project.name, seed.organization.name);
    assert!(
        connection.credential_label.contains("Admin key"),
        "{}",
        connection.credential_label
    );
    assert!(
        !connection.credential_label.contains(&fake.admin_key[..20]),
        "never the secret"
    );
    assert!(anthropic.access(&p).await.unwrap().manages_keys());
    let same = Profile {
        project_id: seed.organization.id.clone(),
        ..p.clone()
    };
    anthropic.connection(&same).await.unwrap();
    let elsewhere = Profile {
        project_id: "someone-elses-org".into(),
        ..p.clone()
    };
    let error = anthropic.connection(&elsewhere).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("someone-elses-org")
            && error.message.contains(&seed.organization.name),
        "{}",
        error.message
    );

    let projects = anthropic.list_projects(&p).await.unwrap();
    let ids: Vec<&str> = projects.iter().map(|w| w.id.as_str()).collect();
    let mut want = vec!["default"];
    want.extend(seed.workspaces.iter().map(|w| w.id.as_str()));
    assert_eq!(ids, want);
}

#[tokio::test]
async fn every_remote_failure_reaches_the_user_as_a_sentence() {
    let seed = Seed::generated(1, 3);
    let fake = Fake::anthropic(seed.clone()).await;
    let anthropic = adapter();

    // An API key where an admin key is needed: the sentence says which key.
    let api_key = &seed.keys[0].secret;
    let error = anthropic
        .list_keys(&profile(&fake, api_key), &all())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized);
    for says in [
        "admin key (sk-ant-admin",
        "Settings → Admin keys",
        "sk-ant-api03-",
    ] {
        assert!(error.message.contains(says), "{}", error.message);
    }
    assert!(
        !error.message.contains(api_key.as_str()),
        "never the secret"
    );

    let p = profile(&fake, &fake.admin_key);
    let cases: [(Fault, ErrorCode, &str); 6] = [
        (
            Fault::Status {
                status: 403,
                retry_after: None,
            },
            ErrorCode::Forbidden,
            "may not do this on Anthropic",
        ),
        (
            Fault::Status {
                status: 404,
                retry_after: None,
            },
            ErrorCode::NotFound,
            "refresh the list",
        ),
        (
            Fault::Status {
                status: 409,
                retry_after: None,
            },
            ErrorCode::Conflict,
            "Refresh and try again",
        ),
        (
            Fault::Status {
                status: 529,
                retry_after: None,
            },
            ErrorCode::Upstream,
            "HTTP 529",
        ),
        (
            Fault::Status {
                status: 429,
                retry_after: Some(30),
            },
            ErrorCode::RateLimited,
            "Try again in 30 s",
        ),
        (
            Fault::Malformed,
            ErrorCode::Upstream,
            "does not understand as the Anthropic API",
        ),
    ];
    for (fault, code, says) in cases {
        fake.faults
            .push("/organizations/api_keys", fault.clone(), 1);
        let error = anthropic.list_keys(&p, &all()).await.unwrap_err();
        assert_eq!(error.code, code, "{fault:?}: {}", error.message);
        assert!(error.message.contains(says), "{fault:?}: {}", error.message);
    }

    // 429 with a short Retry-After on a read: waited for, then the list arrives.
    fake.faults.push(
        "/organizations/api_keys",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    let started = std::time::Instant::now();
    assert_eq!(
        anthropic.list_keys(&p, &all()).await.unwrap().total,
        Some(3)
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(fake.faults.pending(), 0);

    // A platform that stops answering, and one that hangs up.
    let slow = PlatformKind::Anthropic
        .adapter(&Http::with_timeouts(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_millis(300),
        ))
        .unwrap();
    fake.faults.push(
        "/organizations/api_keys",
        Fault::Delay(std::time::Duration::from_secs(2)),
        1,
    );
    let error = slow.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{}", error.message);
    assert!(
        error.message.contains("did not answer in time"),
        "{}",
        error.message
    );
    fake.faults.push("/organizations/me", Fault::Close, 1);
    let error = anthropic.connection(&p).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable, "{}", error.message);
}

/// The cost report is money as Anthropic reports it: decimal strings of cents read
/// exactly (the sum equals the report's own decimal sum to the micro), per UTC day and
/// workspace, never attributed to a key; pages followed to the end.
#[tokio::test]
async fn the_cost_report_is_read_exactly_per_day_and_workspace() {
    use keyward_core::platform::model::CostQuery;
    let seed = Seed::generated(2, 4);
    let fake = Fake::anthropic(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let end = seed.now.duration_trunc(TimeDelta::days(1)).unwrap();
    let start = end - Duration::days(40);
    let costs = adapter()
        .reported_costs(
            &p,
            &CostQuery {
                start,
                end,
                project: None,
                key_ids: vec![],
                by_key: false,
            },
        )
        .await
        .unwrap();
    assert!(!costs.is_empty());
    assert!(costs
        .iter()
        .all(|c| c.key_id.is_none() && c.currency == "USD"));
    assert!(costs.iter().all(|c| c.day >= start && c.day < end));
    let pages = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/cost_report"))
        .count();
    assert!(pages >= 2, "40 days are two pages of 31: {pages}");

    // The same report read independently: every amount as a decimal of cents.
    let mut expected_cents = 0.0_f64;
    let mut exact_micros: i64 = 0;
    let mut page: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/organizations/cost_report?starting_at={}&ending_at={}&bucket_width=1d&limit=31&group_by[]=workspace_id&group_by[]=description",
            fake.base_url,
            start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        if let Some(page) = &page {
            url.push_str(&format!("&page={page}"));
        }
        let body: serde_json::Value = reqwest::Client::new()
            .get(url)
            .header("x-api-key", &fake.admin_key)
            .header("anthropic-version", "2023-06-01")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for bucket in body["data"].as_array().unwrap() {
            for result in bucket["results"].as_array().unwrap() {
                let text = result["amount"].as_str().expect("a decimal string");
                expected_cents += text.parse::<f64>().unwrap();
                exact_micros += keyward_core::platform::money::micros(text, 2).unwrap();
            }
        }
        match body["next_page"].as_str() {
            Some(next) if body["has_more"] == true => page = Some(next.to_owned()),
            _ => break,
        }
    }
    let sum: i64 = costs.iter().map(|c| c.amount_micros).sum();
    assert_eq!(sum, exact_micros);
    assert!(
        (sum as f64 / 10_000.0 - expected_cents).abs() < 0.01,
        "{sum} µ$ vs {expected_cents} ¢"
    );

    // One workspace only.
    let workspace = seed.workspaces[0].id.clone();
    let only = adapter()
        .reported_costs(
            &p,
            &CostQuery {
                start,
                end,
                project: Some(workspace.clone()),
                key_ids: vec![],
                by_key: false,
            },
        )
        .await
        .unwrap();
    assert!(!only.is_empty() && only.len() < costs.len());
    assert!(only
        .iter()
        .all(|c| c.project.as_deref() == Some(workspace.as_str())));
}
