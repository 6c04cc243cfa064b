//! The Anthropic fake on its own: `after_id`/`before_id` paging, report paging, exact
//! cost strings, validation in Anthropic's error shape, and both credential headers.

use crate::util::{all_pages, client, get, send, with_auth};
use keyward_fakes::anthropic::{KeyStatus, Seed};
use keyward_fakes::Fake;
use serde_json::{json, Value};

#[tokio::test]
async fn keys_page_forwards_and_backwards_to_the_end() {
    let fake = Fake::anthropic(Seed::generated(3, 4)).await;
    let next = |page: &Value| {
        page["has_more"].as_bool().unwrap().then(|| {
            format!(
                "/organizations/api_keys?limit=5&after_id={}",
                page["last_id"].as_str().unwrap()
            )
        })
    };
    let pages = all_pages(&fake, "/organizations/api_keys?limit=5".into(), next).await;
    assert_eq!(pages.len(), 3, "12 keys, 5 a page");
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap())
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 12);
    let last = ids.last().unwrap();
    let back = |page: &Value| {
        page["has_more"].as_bool().unwrap().then(|| {
            format!(
                "/organizations/api_keys?limit=5&before_id={}",
                page["first_id"].as_str().unwrap()
            )
        })
    };
    let pages = all_pages(
        &fake,
        format!("/organizations/api_keys?limit=5&before_id={last}"),
        back,
    )
    .await;
    assert_eq!(pages.len(), 3);
    let mut backwards: Vec<String> = pages
        .iter()
        .rev()
        .flat_map(|p| p["data"].as_array().unwrap())
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    backwards.push(last.clone());
    assert_eq!(backwards, ids);
}

#[tokio::test]
async fn key_updates_follow_the_platforms_rules() {
    let seed = Seed::generated(1, 5);
    let archived = seed
        .keys
        .iter()
        .find(|k| k.status == KeyStatus::Archived)
        .unwrap()
        .id
        .clone();
    let active = seed
        .keys
        .iter()
        .find(|k| k.status == KeyStatus::Active)
        .unwrap()
        .id
        .clone();
    let fake = Fake::anthropic(seed).await;
    let update = |id: &str, body: Value| {
        with_auth(
            &fake,
            client().post(format!("{}/organizations/api_keys/{id}", fake.base_url)),
        )
        .json(&body)
    };
    let (status, body) = send(update(
        &active,
        json!({"name": "renamed", "status": "inactive"}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["status"].as_str()),
        (Some("renamed"), Some("inactive"))
    );
    for (id, body) in [
        (&archived, json!({"status": "active"})),
        (&active, json!({"status": "expired"})),
        (&active, json!({"name": ""})),
        (&active, json!({"name": "n".repeat(501)})),
        (&active, json!({"colour": "red"})),
    ] {
        let (status, answer) = send(update(id, body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["type"], "error");
        assert_eq!(answer["error"]["type"], "invalid_request_error");
        assert!(answer["request_id"].as_str().unwrap().starts_with("req_"));
    }
    let (status, answer) = send(update("apikey_nope", json!({"name": "x"}))).await;
    assert_eq!(
        (status, answer["error"]["type"].as_str()),
        (404, Some("not_found_error"))
    );
}

#[tokio::test]
async fn reports_page_by_next_page_and_cost_is_exact_cents() {
    let seed = Seed::generated(2, 3);
    let day = 86_400;
    let end = seed.now.timestamp() / day * day;
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let fake = Fake::anthropic(seed.clone()).await;
    let first = format!("/organizations/usage_report/messages?starting_at={}&ending_at={}&bucket_width=1h&limit=24&group_by[]=api_key_id", fmt(end - 3 * day), fmt(end));
    let next = |page: &Value| {
        page["next_page"]
            .as_str()
            .map(|t| format!("{first}&page={t}"))
    };
    let pages = all_pages(&fake, first.clone(), next).await;
    assert_eq!(pages.len(), 3);
    let output: u64 = pages
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap())
        .flat_map(|b| b["results"].as_array().unwrap())
        .map(|r| r["output_tokens"].as_u64().unwrap())
        .sum();
    let expected: u64 = seed
        .usage
        .iter()
        .filter(|u| u.at >= end - 3 * day && u.at < end)
        .map(|u| u.output_tokens)
        .sum();
    assert_eq!(output, expected);

    let (status, cost) = get(
        &fake,
        &format!(
            "/organizations/cost_report?starting_at={}&ending_at={}&group_by[]=description",
            fmt(end - 3 * day),
            fmt(end)
        ),
    )
    .await;
    assert_eq!(status, 200, "{cost}");
    let results: Vec<&Value> = cost["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["results"].as_array().unwrap())
        .collect();
    assert!(!results.is_empty());
    for r in results {
        let amount = r["amount"].as_str().expect("cents as a decimal string");
        assert!(
            amount.chars().all(|c| c.is_ascii_digit() || c == '.'),
            "{amount}"
        );
        assert_eq!(r["currency"], "USD");
        assert!(r["description"].as_str().unwrap().contains("Usage - "));
    }
}

#[tokio::test]
async fn invalid_requests_answer_in_anthropics_shape() {
    let fake = Fake::anthropic(Seed::generated(1, 2)).await;
    for path in [
        "/organizations/api_keys?limit=0",
        "/organizations/api_keys?limit=1001",
        "/organizations/api_keys?status=revoked",
        "/organizations/api_keys?after_id=apikey_nope",
        "/organizations/usage_report/messages?bucket_width=1d",
        "/organizations/usage_report/messages?starting_at=yesterday",
        "/organizations/usage_report/messages?starting_at=2026-01-01T00:00:00Z&bucket_width=1m&limit=1441",
        "/organizations/usage_report/messages?starting_at=2026-01-01T00:00:00Z&group_by[]=description",
        "/organizations/cost_report?starting_at=2026-01-01T00:00:00Z&bucket_width=1h",
        "/organizations/cost_report?starting_at=2026-01-01T00:00:00Z&limit=32",
    ] {
        let (status, body) = get(&fake, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{path}");
    }
    let url = format!("{}/organizations/me", fake.base_url);
    let response = client()
        .get(&url)
        .header("x-api-key", &fake.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "anthropic-version is required");
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["request_id"], request_id.as_str());
    assert_eq!(
        body["error"]["message"],
        "anthropic-version: header is required"
    );
    let (status, body) = send(
        client()
            .get(&url)
            .header("anthropic-version", "2023-06-01")
            .bearer_auth(&fake.admin_key),
    )
    .await;
    assert_eq!(
        status, 200,
        "Bearer is accepted as the SDK sends it: {body}"
    );
    let (status, body) = send(
        client()
            .get(&url)
            .header("anthropic-version", "2023-06-01")
            .header("x-api-key", "sk-ant-admin01-wrong"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (401, Some("authentication_error"))
    );
}
