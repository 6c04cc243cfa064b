//! The OpenAI adapter against the fake OpenAI Admin API (`keyward-fakes`, held to the
//! platform by the official `openai` SDK): the inventory across projects and pages,
//! create as a service account, both ways of revoking, leaked-key candidates, usage
//! and reported costs, and every remote failure as a sentence.

use chrono::{Duration, Utc};
use keyward_api::Secret;
use keyward_core::keys::{KeyForm, KeyListQuery, KeySort};
use keyward_core::platform::model::{CostQuery, KeyState, UsageBucket, UsageDimension, UsageQuery};
use keyward_core::platform::Platform;
use keyward_core::{ErrorCode, Http, PlatformKind, Profile};
use keyward_fakes::faults::Fault;
use keyward_fakes::openai::{KeyOwner, Seed};
use keyward_fakes::Fake;

fn profile(fake: &Fake, key: &str) -> Profile {
    crate::harness::platform_profile(PlatformKind::Openai, "Acme OpenAI", &fake.base_url, key)
}

fn adapter() -> Box<dyn Platform> {
    PlatformKind::Openai.adapter(&Http::new()).unwrap()
}

fn all() -> KeyListQuery {
    crate::harness::every_key()
}

fn form(name: &str, project: &str) -> KeyForm {
    KeyForm {
        project: Some(project.into()),
        ..crate::harness::key_form(name)
    }
}

#[tokio::test]
async fn the_inventory_spans_every_project_and_every_page() {
    // 4 projects × 250 keys: three pages of keys per project at OpenAI's 100 a page.
    let seed = Seed::generated(4, 250);
    let fake = Fake::openai(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openai = adapter();

    let page = openai.list_keys(&p, &all()).await.unwrap();
    assert_eq!(page.total, Some(1000));
    assert_eq!(page.keys.len(), 200, "one page of the console's list");
    let key_pages = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/api_keys"))
        .count();
    assert_eq!(key_pages, 12, "every project read to its last page");

    // Every seeded key is in the inventory once, with its project, owner and hint.
    let mut seen = Vec::new();
    for offset in (0..1000).step_by(200) {
        let page = openai
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
    assert_eq!(seen.len(), 1000);
    for key in &seed.keys {
        let found = seen
            .iter()
            .find(|k| k.id == format!("{}.{}", key.project_id, key.id))
            .unwrap_or_else(|| panic!("{} missing", key.id));
        assert_eq!(found.hint.as_deref(), Some(key.redacted_value().as_str()));
        assert_eq!(found.project.as_deref(), Some(key.project_id.as_str()));
        assert_eq!(found.state, KeyState::Active);
        assert!(found.owner.is_some());
    }

    // The project filter, search and sort work on the inventory as on the gateway.
    let project = &seed.projects[2].id;
    let only = openai
        .list_keys(
            &p,
            &KeyListQuery {
                project: Some(project.clone()),
                ..all()
            },
        )
        .await
        .unwrap();
    assert_eq!(only.total, Some(250));
    assert!(only
        .keys
        .iter()
        .all(|k| k.project.as_deref() == Some(project.as_str())));
    let named = &seed
        .keys
        .iter()
        .find(|k| matches!(k.owner, KeyOwner::User(_)))
        .unwrap()
        .name;
    let searched = openai
        .list_keys(
            &p,
            &KeyListQuery {
                q: Some(named.to_uppercase()),
                sort: Some(KeySort::Name),
                ..all()
            },
        )
        .await
        .unwrap();
    assert!(searched.keys.iter().any(|k| &k.name == named));
    let bad = openai
        .list_keys(
            &p,
            &KeyListQuery {
                limit: Some(0),
                ..all()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("limit"));
}

#[tokio::test]
async fn create_makes_a_service_account_and_revoke_deletes_what_openai_requires() {
    let seed = Seed::generated(2, 6);
    let fake = Fake::openai(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openai = adapter();
    let project = seed.projects[0].id.clone();

    let (created, secret) = openai
        .create_key(&p, &form("ci-deployer", &project), Utc::now())
        .await
        .unwrap();
    assert!(
        secret.expose().starts_with("sk-svcacct-"),
        "the key is revealed once"
    );
    assert_eq!(created.project.as_deref(), Some(project.as_str()));
    let listed = openai.list_keys(&p, &all()).await.unwrap();
    let mine = listed
        .keys
        .iter()
        .find(|k| k.id == created.id)
        .expect("listed");
    assert_eq!(mine.name, "ci-deployer");
    let posted = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        posted.path,
        format!("/v1/organization/projects/{project}/service_accounts")
    );

    // A form asking for what OpenAI cannot do is refused, naming the field.
    let limited = KeyForm {
        rpm: Some(10),
        ..form("x", &project)
    };
    let error = openai
        .create_key(&p, &limited, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("rpm"));
    assert!(error.message.contains("per project"), "{}", error.message);
    let nowhere = KeyForm {
        project: None,
        ..form("x", &project)
    };
    let error = openai
        .create_key(&p, &nowhere, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("project"));

    // A user's key is deleted; a service account's key by deleting its account.
    let user_key = seed
        .keys
        .iter()
        .find(|k| matches!(k.owner, KeyOwner::User(_)))
        .unwrap();
    let revoked = openai
        .revoke_key(&p, &format!("{}.{}", user_key.project_id, user_key.id))
        .await
        .unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    let revoked = openai.revoke_key(&p, &created.id).await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    let deletes: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes.len(), 2);
    assert!(
        deletes[0].ends_with(&format!("/api_keys/{}", user_key.id)),
        "{deletes:?}"
    );
    assert!(deletes[1].contains("/service_accounts/"), "{deletes:?}");
    let after = openai.list_keys(&p, &all()).await.unwrap();
    assert_eq!(after.total, Some(11), "12 seeded + 1 created − 2 revoked");
    let gone = openai.get_key(&p, &created.id).await.unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_leaked_secret_names_every_key_it_may_be() {
    let mut seed = Seed::generated(2, 5);
    // Two keys whose redacted values are the same (OpenAI shows the kind prefix and
    // the last 4 characters): key 1 differs from key 0 only in the middle.
    let twin_secret: String = {
        let mut chars: Vec<char> = seed.keys[0].secret.chars().collect();
        let mid = chars.len() / 2;
        chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect()
    };
    seed.keys[1].secret = twin_secret;
    seed.keys[1].owner = seed.keys[0].owner.clone();
    let fake = Fake::openai(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openai = adapter();

    let leaked = Secret::new(seed.keys[2].secret.clone());
    let found = openai.identify_key(&p, &leaked).await.unwrap();
    assert!(!found.exact, "matched by visible characters only");
    assert_eq!(found.keys.len(), 1);
    assert!(found.keys[0].id.ends_with(&seed.keys[2].id));

    let leaked = Secret::new(seed.keys[0].secret.clone());
    let found = openai.identify_key(&p, &leaked).await.unwrap();
    let mut ids: Vec<_> = found.keys.iter().map(|k| k.id.clone()).collect();
    ids.sort();
    let mut want = vec![
        format!("{}.{}", seed.keys[0].project_id, seed.keys[0].id),
        format!("{}.{}", seed.keys[1].project_id, seed.keys[1].id),
    ];
    want.sort();
    assert_eq!(ids, want, "both candidates, none picked");

    let stranger = Secret::new("sk-proj-notakeyofthisorganisation0000".into());
    assert!(openai
        .identify_key(&p, &stranger)
        .await
        .unwrap()
        .keys
        .is_empty());
}

#[tokio::test]
async fn usage_and_reported_costs_come_from_openai() {
    let seed = Seed::generated(2, 4);
    let fake = Fake::openai(seed.clone()).await;
    let p = profile(&fake, &fake.admin_key);
    let openai = adapter();
    let end = seed.now;
    let start = end - Duration::days(10);
    let query = UsageQuery {
        start,
        end,
        bucket: UsageBucket::Hour,
        group_by: vec![UsageDimension::Key, UsageDimension::Model],
        key_ids: vec![],
        models: vec![],
        workloads: vec![],
    };
    let hourly = openai.usage(&p, "", &query).await.unwrap();
    let totals = openai
        .usage(
            &p,
            "",
            &UsageQuery {
                bucket: UsageBucket::None,
                ..query.clone()
            },
        )
        .await
        .unwrap();
    // 10 days of hours is two pages of 168: both read.
    let sum = |rows: &[keyward_core::platform::model::UsageRow]| {
        rows.iter()
            .map(|r| r.input_tokens + r.output_tokens)
            .sum::<i64>()
    };
    assert!(sum(&hourly.rows) > 0);
    assert_eq!(
        sum(&hourly.rows),
        sum(&totals.rows),
        "buckets add up to the totals"
    );
    let expected: u64 = seed
        .usage
        .iter()
        .filter(|u| u.at >= start.timestamp() && u.at < end.timestamp())
        .map(|u| u.input_tokens + u.output_tokens)
        .sum();
    assert_eq!(sum(&totals.rows) as u64, expected, "the seed's own numbers");
    assert!(totals.rows.iter().all(|r| r.bucket.is_none()));
    // Keys are named as the inventory names them.
    let inventory = openai.list_keys(&p, &all()).await.unwrap().keys;
    assert!(!totals.keys.is_empty());
    for key in &totals.keys {
        if key.id != "unattributed" {
            let listed = inventory
                .iter()
                .find(|k| k.id == key.id)
                .expect("a seeded key");
            assert_eq!(
                (&listed.name, listed.hint.as_ref()),
                (&key.name, Some(&key.masked))
            );
        }
    }

    let costs = openai
        .reported_costs(
            &p,
            &CostQuery {
                start: end - Duration::days(30),
                end,
                project: None,
                key_ids: vec![],
                by_key: true,
            },
        )
        .await
        .unwrap();
    assert!(!costs.is_empty());
    assert!(costs
        .iter()
        .all(|c| c.currency == "USD" && c.amount_micros >= 0));
    assert!(costs.iter().any(|c| c.key_id.is_some()), "per key");
}

#[tokio::test]
async fn every_remote_failure_reaches_the_user_as_a_sentence() {
    let seed = Seed::generated(1, 3);
    let fake = Fake::openai(seed.clone()).await;
    let openai = adapter();

    // A project key where an admin key is needed: the sentence says which key.
    let project_key = &seed.keys[0].secret;
    let error = openai
        .list_keys(&profile(&fake, project_key), &all())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized);
    assert!(
        error.message.contains("admin key (sk-admin-"),
        "{}",
        error.message
    );

    let p = profile(&fake, &fake.admin_key);
    let cases: [(Fault, ErrorCode, &str); 5] = [
        (
            Fault::Status {
                status: 403,
                retry_after: None,
            },
            ErrorCode::Forbidden,
            "may not do this on OpenAI",
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
                status: 502,
                retry_after: None,
            },
            ErrorCode::Upstream,
            "HTTP 502",
        ),
        (
            Fault::Malformed,
            ErrorCode::Upstream,
            "does not understand as the OpenAI API",
        ),
    ];
    for (fault, code, says) in cases {
        fake.faults.push("/organization/projects", fault.clone(), 1);
        let error = openai.list_keys(&p, &all()).await.unwrap_err();
        assert_eq!(error.code, code, "{fault:?}: {}", error.message);
        assert!(error.message.contains(says), "{fault:?}: {}", error.message);
    }

    // 429 with Retry-After on a read: waited for, then the list arrives.
    fake.faults.push(
        "/organization/projects",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    assert_eq!(openai.list_keys(&p, &all()).await.unwrap().total, Some(3));
    // …on a write: reported, not resent.
    fake.faults.push(
        "/service_accounts",
        Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    );
    let error = openai
        .create_key(&p, &form("x", &seed.projects[0].id), Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert!(
        error.message.contains("Try again in 1 s"),
        "{}",
        error.message
    );

    // A platform that stops answering, and one that hangs up.
    let slow = PlatformKind::Openai
        .adapter(&Http::with_timeouts(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_millis(300),
        ))
        .unwrap();
    fake.faults.push(
        "/organization/projects",
        Fault::Delay(std::time::Duration::from_secs(2)),
        1,
    );
    let error = slow.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{}", error.message);
    fake.faults.push("/organization/projects", Fault::Close, 1);
    let error = openai.list_keys(&p, &all()).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable, "{}", error.message);
}

#[tokio::test]
async fn test_connection_names_the_admin_key_and_its_organisation() {
    let seed = Seed::generated(1, 1);
    let fake = Fake::openai(seed.clone()).await;
    let openai = adapter();
    let connection = openai
        .connection(&profile(&fake, &fake.admin_key))
        .await
        .unwrap();
    assert_eq!(connection.project.id, seed.organization.id);
    assert!(
        connection.credential_label.contains(&seed.admin_key.name),
        "{}",
        connection.credential_label
    );
    assert!(
        !connection.credential_label.contains(&fake.admin_key),
        "never the secret"
    );
    let elsewhere = Profile {
        project_id: "org-someone-else".into(),
        ..profile(&fake, &fake.admin_key)
    };
    let error = openai.connection(&elsewhere).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(
        error.message.contains("org-someone-else"),
        "{}",
        error.message
    );
}
