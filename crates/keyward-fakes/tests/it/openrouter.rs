//! The OpenRouter fake on its own: validation in OpenRouter's error shape, the
//! credential rule (an inference key may only ask about itself), and money totals on
//! the keys that agree with the activity rows.

use crate::util::{client, get, send, with_auth};
use chrono::{Datelike, TimeDelta, TimeZone, Utc};
use keyward_fakes::openrouter::Seed;
use keyward_fakes::Fake;
use serde_json::{json, Value};

async fn post(fake: &Fake, body: Value) -> (u16, Value) {
    let request = client().post(format!("{}/keys", fake.base_url)).json(&body);
    send(with_auth(fake, request)).await
}

#[tokio::test]
async fn creates_are_validated_like_the_platform_in_its_error_shape() {
    let fake = Fake::openrouter(Seed::generated(1)).await;
    let cases = [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "a", "limit": "10"}), "limit"),
        (json!({"name": "a", "limit": -0.01}), "limit"),
        (json!({"name": "a", "limit_reset": "yearly"}), "limit_reset"),
        (
            json!({"name": "a", "expires_at": "2099-01-01T00:00:00+02:00"}),
            "expires_at",
        ),
        (
            json!({"name": "a", "expires_at": "2000-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (json!({"name": "a", "rpm": 5}), "rpm"),
    ];
    for (body, field) in cases {
        let (status, answer) = post(&fake, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], 400);
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    let (status, created) = post(
        &fake,
        json!({"name": "ok", "limit": 0.1, "limit_reset": null, "expires_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["limit"], 0.1);
    assert_eq!(created["data"]["expires_at"], "2099-01-01T00:00:00Z");
}

#[tokio::test]
async fn an_inference_key_may_only_ask_about_itself() {
    let seed = Seed::generated(2);
    let inference = seed.keys[1].secret.clone();
    let fake = Fake::openrouter(seed).await;
    let as_inference = |path: &str| {
        client()
            .get(format!("{}{path}", fake.base_url))
            .bearer_auth(&inference)
    };
    let (status, me) = send(as_inference("/key")).await;
    assert_eq!(status, 200);
    assert_eq!(me["data"]["is_management_key"], false);
    let (status, refused) = send(as_inference("/keys")).await;
    assert_eq!((status, &refused["error"]["code"]), (403, &json!(403)));
    let (status, _) = send(client().get(format!("{}/keys", fake.base_url))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn money_totals_on_each_key_agree_with_the_activity_rows() {
    // A Thursday: the week began on Monday, the month on the 1st.
    let now = Utc.with_ymd_and_hms(2026, 11, 19, 15, 0, 0).unwrap();
    let seed = Seed::generated_at(8, now);
    let fake = Fake::openrouter(seed.clone()).await;
    let micros = |v: &Value| (v.as_f64().unwrap() * 1e6).round() as i64;
    let (_, keys) = get(&fake, "/keys?include_disabled=true").await;
    let keys = keys["data"].as_array().unwrap();
    assert_eq!(keys.len(), 8);
    for key in keys {
        let hash = key["hash"].as_str().unwrap();
        let (status, activity) = get(&fake, &format!("/activity?api_key_hash={hash}")).await;
        assert_eq!(status, 200);
        let rows = activity["data"].as_array().unwrap();
        // Monthly usage is this month's activity rows plus today (never in activity).
        let today = seed.usage_since(hash, Some(now.date_naive()));
        let this_month: i64 = rows
            .iter()
            .filter(|r| r["date"].as_str().unwrap() >= "2026-11-01")
            .map(|r| micros(&r["usage"]))
            .sum();
        assert_eq!(micros(&key["usage_monthly"]), this_month + today, "{hash}");
        assert_eq!(micros(&key["usage_daily"]), today);
        let monday =
            now.date_naive() - TimeDelta::days(now.weekday().num_days_from_monday() as i64);
        assert_eq!(
            micros(&key["usage_weekly"]),
            seed.usage_since(hash, Some(monday))
        );
        if let Some(limit) = key["limit"].as_f64() {
            let spent = match key["limit_reset"].as_str() {
                Some("daily") => micros(&key["usage_daily"]),
                Some("weekly") => micros(&key["usage_weekly"]),
                Some("monthly") => micros(&key["usage_monthly"]),
                _ => micros(&key["usage"]),
            };
            let remaining = ((limit * 1e6).round() as i64 - spent).max(0);
            assert_eq!(micros(&key["limit_remaining"]), remaining);
        }
        assert!(
            rows.len() <= 30 * 3
                && rows
                    .iter()
                    .all(|r| r["date"].as_str().unwrap() < "2026-11-19")
        );
    }
}
