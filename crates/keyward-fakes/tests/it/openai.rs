//! The OpenAI fake on its own: cursor paging to the end, report paging, validation in
//! OpenAI's error shape, the service-account revocation rule, and seeds a test shapes.

use crate::util::{all_pages, client, get, send, with_auth};
use keyward_fakes::openai::{ApiKey, KeyOwner, Seed};
use keyward_fakes::Fake;
use serde_json::Value;

fn next_after(path: &str) -> impl Fn(&Value) -> Option<String> + '_ {
    move |page: &Value| {
        page["has_more"]
            .as_bool()
            .unwrap()
            .then(|| format!("{path}&after={}", page["last_id"].as_str().unwrap()))
    }
}

#[tokio::test]
async fn project_keys_page_to_the_end_in_order() {
    let seed = Seed::generated(2, 7);
    let project = seed.projects[1].id.clone();
    let expected: Vec<String> = seed
        .keys
        .iter()
        .filter(|k| k.project_id == project)
        .map(|k| k.id.clone())
        .collect();
    let fake = Fake::openai(seed).await;
    let path = format!("/organization/projects/{project}/api_keys?limit=2");
    let pages = all_pages(&fake, path.clone(), next_after(&path)).await;
    assert_eq!(pages.len(), 4, "7 keys, 2 a page");
    let ids: Vec<&str> = pages
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap())
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    for page in &pages {
        assert_eq!(page["object"], "list");
        assert_eq!(page["first_id"], page["data"][0]["id"]);
    }
    assert_eq!(pages.last().unwrap()["has_more"], false);
}

#[tokio::test]
async fn projects_page_and_archived_ones_only_when_asked() {
    let mut seed = Seed::generated(5, 1);
    seed.projects[2].archived_at = Some(seed.now.timestamp());
    let fake = Fake::openai(seed).await;
    let path = "/organization/projects?limit=1".to_owned();
    let pages = all_pages(&fake, path.clone(), next_after(&path)).await;
    assert_eq!(pages.len(), 4);
    let path = "/organization/projects?limit=2&include_archived=true".to_owned();
    let pages = all_pages(&fake, path.clone(), next_after(&path)).await;
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[1]["data"][0]["status"], "archived");
}

#[tokio::test]
async fn usage_pages_by_next_page_and_costs_agree_with_it() {
    let seed = Seed::generated(2, 4);
    let day = 86_400;
    let end = seed.now.timestamp() / day * day;
    let start = end - 10 * day;
    let fake = Fake::openai(seed.clone()).await;
    let first = format!("/organization/usage/completions?start_time={start}&end_time={end}&bucket_width=1d&limit=3&group_by=api_key_id&group_by=model");
    let next = |page: &Value| {
        page["next_page"]
            .as_str()
            .map(|token| format!("{first}&page={token}"))
    };
    let pages = all_pages(&fake, first.clone(), next).await;
    assert_eq!(pages.len(), 4, "10 days, 3 a page");
    let buckets: Vec<&Value> = pages
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap())
        .collect();
    assert_eq!(buckets.len(), 10);
    assert_eq!(buckets[0]["start_time"], start);
    let expected_input: u64 = seed
        .usage
        .iter()
        .filter(|u| u.at >= start && u.at < end)
        .map(|u| u.input_tokens)
        .sum();
    let served_input: u64 = buckets
        .iter()
        .flat_map(|b| b["results"].as_array().unwrap())
        .map(|r| r["input_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(served_input, expected_input);
    assert!(expected_input > 0);

    // Plain repeated keys mean what the SDK's brackets mean.
    let bracketed = format!("/organization/usage/completions?start_time={start}&end_time={end}&limit=10&group_by%5B%5D=api_key_id&group_by%5B%5D=model");
    let (_, a) = get(&fake, &bracketed).await;
    let (_, b) = get(&fake, &first.replace("limit=3", "limit=10")).await;
    assert_eq!(a["data"], b["data"]);

    // Costs per key name exactly the keys with usage, day by day.
    let (status, costs) = get(
        &fake,
        &format!(
            "/organization/costs?start_time={start}&end_time={end}&limit=10&group_by[]=api_key_id"
        ),
    )
    .await;
    assert_eq!(status, 200, "{costs}");
    for (cost_bucket, usage_bucket) in costs["data"].as_array().unwrap().iter().zip(&buckets) {
        let mut with_cost: Vec<&str> = cost_bucket["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["api_key_id"].as_str().unwrap())
            .collect();
        let mut with_usage: Vec<&str> = usage_bucket["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["api_key_id"].as_str().unwrap())
            .collect();
        with_cost.sort();
        with_usage.sort();
        with_usage.dedup();
        assert_eq!(with_cost, with_usage);
        assert!(cost_bucket["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["amount"]["value"].as_f64().unwrap() > 0.0));
    }
}

#[tokio::test]
async fn invalid_queries_answer_400_in_openais_shape() {
    let seed = Seed::generated(1, 1);
    let project = seed.projects[0].id.clone();
    let fake = Fake::openai(seed).await;
    let cases = [
        (
            format!("/organization/projects/{project}/api_keys?limit=0"),
            "limit",
        ),
        (
            format!("/organization/projects/{project}/api_keys?limit=101"),
            "limit",
        ),
        (
            format!("/organization/projects/{project}/api_keys?after=key_nope"),
            "after",
        ),
        (
            "/organization/usage/completions?bucket_width=1d".into(),
            "start_time",
        ),
        (
            "/organization/usage/completions?start_time=0&bucket_width=2h".into(),
            "bucket_width",
        ),
        (
            "/organization/usage/completions?start_time=0&bucket_width=1h&limit=169".into(),
            "limit",
        ),
        (
            "/organization/usage/completions?start_time=0&group_by[]=colour".into(),
            "group_by",
        ),
        (
            "/organization/usage/completions?start_time=0&page=not-a-token".into(),
            "page",
        ),
        (
            "/organization/costs?start_time=0&bucket_width=1h".into(),
            "bucket_width",
        ),
        ("/organization/costs?start_time=0&limit=181".into(), "limit"),
        (
            "/organization/costs?start_time=0&group_by=model".into(),
            "group_by",
        ),
    ];
    for (path, param) in cases {
        let (status, body) = get(&fake, &path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{path}");
        assert_eq!(body["error"]["param"], param, "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    let (status, body) = get(&fake, "/organization/projects/proj_nope").await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("proj_nope"));
    let (status, body) = get(&fake, "/organization/nothing_here").await;
    assert_eq!(status, 404);
    assert_eq!(
        body["error"]["message"],
        "Invalid URL (GET /v1/organization/nothing_here)"
    );
}

#[tokio::test]
async fn only_the_admin_key_is_let_in() {
    let seed = Seed::generated(1, 3);
    let project_key = seed.keys[0].secret.clone();
    let fake = Fake::openai(seed).await;
    let url = format!("{}/organization/projects", fake.base_url);
    let (status, body) = send(client().get(&url)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_api_key")),
        "{body}"
    );
    let (status, body) = send(client().get(&url).bearer_auth("sk-admin-not-this-one")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_api_key")),
        "{body}"
    );
    assert!(
        !body.to_string().contains("sk-admin-not-this-one"),
        "the wrong key is echoed only masked"
    );
    let (status, body) = send(client().get(&url).bearer_auth(&project_key)).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Missing scopes: api.management.read"),
        "{body}"
    );
    let (status, _) = send(client().get(&url).bearer_auth(&fake.admin_key)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_service_accounts_key_is_revoked_by_deleting_the_account() {
    let seed = Seed::generated(1, 3);
    let project = seed.projects[0].id.clone();
    let sa_key = seed
        .keys
        .iter()
        .find(|k| matches!(k.owner, KeyOwner::ServiceAccount(_)))
        .unwrap()
        .clone();
    let KeyOwner::ServiceAccount(sa) = sa_key.owner.clone() else {
        unreachable!()
    };
    let fake = Fake::openai(seed).await;
    let key_url = format!(
        "{}/organization/projects/{project}/api_keys/{}",
        fake.base_url, sa_key.id
    );
    let (status, body) = send(with_auth(&fake, client().delete(&key_url))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Delete the service account instead"));
    let sa_url = format!(
        "{}/organization/projects/{project}/service_accounts/{sa}",
        fake.base_url
    );
    let (status, body) = send(with_auth(&fake, client().delete(&sa_url))).await;
    assert_eq!(
        (status, &body["deleted"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    let (status, _) = send(with_auth(&fake, client().get(&key_url))).await;
    assert_eq!(status, 404, "the account's key went with it");
    let recorded = fake.requests();
    assert_eq!(recorded.iter().filter(|r| r.method == "DELETE").count(), 2);
}

#[tokio::test]
async fn a_test_can_seed_keys_whose_redacted_values_collide_and_leak_them() {
    let mut seed = Seed::generated(1, 0);
    let project = seed.projects[0].id.clone();
    let user = seed.users[0].id.clone();
    for (id, body) in [("key_twin_a", "AAAA"), ("key_twin_b", "BBBB")] {
        seed.keys.push(ApiKey {
            id: id.into(),
            project_id: project.clone(),
            name: id.into(),
            secret: format!("sk-proj-{body}{}Zz9Q", "x".repeat(60)),
            created_at: seed.now.timestamp(),
            last_used_at: None,
            owner: KeyOwner::User(user.clone()),
        });
    }
    let leaked = seed.secret_of("key_twin_a").unwrap().to_owned();
    assert!(leaked.starts_with("sk-proj-AAAA"));
    let fake = Fake::openai(seed).await;
    let (_, page) = get(&fake, &format!("/organization/projects/{project}/api_keys")).await;
    let redacted: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["redacted_value"].as_str().unwrap())
        .collect();
    assert_eq!(redacted, ["sk-proj-****...Zz9Q", "sk-proj-****...Zz9Q"]);
    assert!(
        !page.to_string().contains(&leaked),
        "secrets are never served"
    );
}
