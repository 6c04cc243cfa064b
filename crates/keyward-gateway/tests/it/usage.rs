//! The project usage report (issue #7) over the meter's real rollups: usage recorded
//! through the same `Meter` the proxy uses (with past timestamps), flushed to SQLite,
//! then read back per bucket, key, model and workload — totals exact, filters honoured,
//! bad parameters named.

use crate::util::{status_json, TestGateway};
use chrono::{DateTime, Duration, DurationRound, Utc};
use keyward_gateway::meter::UsageEvent;
use reqwest::Method;
use serde_json::Value;

fn event(
    gw: &TestGateway,
    key: &str,
    model: &str,
    at: DateTime<Utc>,
    tokens: (u64, u64),
    error: bool,
) -> UsageEvent {
    UsageEvent {
        project_id: gw.project_id.clone(),
        key_id: key.to_owned(),
        model: model.to_owned(),
        workload: format!("{model}-w"),
        at,
        input_tokens: tokens.0,
        output_tokens: tokens.1,
        estimated: model == "beta",
        error,
    }
}

async fn usage(gw: &TestGateway, query: &str) -> (u16, Value) {
    status_json(
        gw.control(
            Method::GET,
            &format!("/v1/projects/{}/usage?{query}", gw.project_id),
        )
        .send()
        .await
        .unwrap(),
    )
    .await
}

fn rfc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn sum(rows: &Value, field: &str) -> i64 {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn usage_is_reported_per_bucket_key_model_and_workload() {
    let gw = TestGateway::start().await;
    let k1 = gw.create_key("<b>alpha team</b>").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let k2 = gw.create_key("beta team").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = Utc::now().duration_trunc(Duration::days(1)).unwrap();
    let three_days_ago = today - Duration::days(3) + Duration::hours(5) + Duration::minutes(7);
    let recent = Utc::now() - Duration::minutes(3);
    let meter = gw.gateway.meter();
    meter.record(event(&gw, &k1, "alpha", three_days_ago, (100, 10), false));
    meter.record(event(
        &gw,
        &k1,
        "alpha",
        three_days_ago + Duration::minutes(1),
        (200, 20),
        true,
    ));
    meter.record(event(&gw, &k2, "beta", three_days_ago, (1_000, 1), false));
    meter.record(event(&gw, &k1, "beta", recent, (7, 3), false));
    meter.record(event(&gw, &k2, "alpha", recent, (5, 5), false));
    meter.flush(gw.gateway.pool()).await.unwrap();

    let range = format!(
        "start={}&end={}",
        rfc(today - Duration::days(7)),
        rfc(Utc::now())
    );
    // Days × key × model: exact cells, ordered, keys named.
    let (status, body) = usage(&gw, &format!("{range}&bucket=day&group_by=model,key")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["group_by"], serde_json::json!(["key", "model"]));
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{body}");
    let first = &rows[0];
    assert_eq!(
        first["bucket"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        today - Duration::days(3)
    );
    assert_eq!(
        (first["requests"].as_i64(), first["errors"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (
            first["input_tokens"].as_i64(),
            first["output_tokens"].as_i64()
        ),
        (Some(300), Some(30))
    );
    assert!(
        first.get("workload").is_none(),
        "not grouped by workload: {first}"
    );
    let names: Vec<&str> = body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"<b>alpha team</b>") && names.contains(&"beta team"),
        "{names:?}"
    );
    assert_eq!(sum(&body["rows"], "input_tokens"), 1_312);
    assert_eq!(
        sum(&body["rows"], "estimated_requests"),
        2,
        "beta's requests were estimated"
    );

    // Hours: the same totals, in hour cells.
    let (_, hours) = usage(&gw, &format!("{range}&bucket=hour")).await;
    assert_eq!(sum(&hours["rows"], "requests"), 5);
    assert_eq!(sum(&hours["rows"], "output_tokens"), 39);
    assert!(hours["rows"].as_array().unwrap().len() >= 2);

    // Whole range, grouped by workload: one row per workload.
    let (_, total) = usage(&gw, &format!("{range}&bucket=none&group_by=workload")).await;
    let total_rows = total["rows"].as_array().unwrap();
    assert_eq!(total_rows.len(), 2, "{total}");
    assert_eq!(total_rows[0]["workload"], "alpha-w");
    assert_eq!(total_rows[0]["requests"], 3);
    assert!(total_rows[0].get("bucket").is_none());

    // A long whole-range total per key × model (read in key order): the same cells.
    let long = format!(
        "start={}&end={}",
        rfc(today - Duration::days(60)),
        rfc(Utc::now())
    );
    let (_, per_key) = usage(&gw, &format!("{long}&bucket=none&group_by=key,model")).await;
    let cells = per_key["rows"].as_array().unwrap();
    assert_eq!(cells.len(), 4, "{per_key}");
    let k1_alpha = cells
        .iter()
        .find(|r| r["key_id"] == k1.as_str() && r["model"] == "alpha")
        .unwrap();
    assert_eq!(
        (
            k1_alpha["requests"].as_i64(),
            k1_alpha["input_tokens"].as_i64()
        ),
        (Some(2), Some(300))
    );
    assert_eq!(sum(&per_key["rows"], "input_tokens"), 1_312);
    assert_eq!(per_key["keys"].as_array().unwrap().len(), 2);

    // The same cells as CSV (`Accept: text/csv`), asked for with `from`/`to`.
    let csv = gw
        .control(
            Method::GET,
            &format!(
                "/v1/projects/{}/usage?{}&bucket=none&group_by=key,model",
                gw.project_id,
                long.replace("start=", "from=").replace("end=", "to=")
            ),
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"usage-"));
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("key_id,key_name,model,requests,errors,input_tokens,output_tokens,estimated_requests")
    );
    let cells: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(cells.len(), 4, "{csv}");
    let input: i64 = cells.iter().map(|c| c[5].parse::<i64>().unwrap()).sum();
    assert_eq!(input, 1_312, "{csv}");
    assert!(
        cells
            .iter()
            .any(|c| c[0] == k1 && c[1] == "<b>alpha team</b>" && c[2] == "alpha" && c[3] == "2"),
        "{csv}"
    );

    // A key's own usage as CSV: its last 24 hours, hour by hour.
    let hourly = gw
        .control(Method::GET, &format!("/v1/inference/keys/{k2}/usage"))
        .header("Accept", "application/json;q=0.5, text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = hourly.lines();
    assert_eq!(
        lines.next(),
        Some("hour,requests,input_tokens,output_tokens")
    );
    let hours: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(hours.len(), 24, "{hourly}");
    let requests: i64 = hours.iter().map(|c| c[1].parse::<i64>().unwrap()).sum();
    assert_eq!(
        requests, 1,
        "only the recent request is in the last 24 hours: {hourly}"
    );

    // Filters: one key, one model.
    let (_, one) = usage(
        &gw,
        &format!("{range}&bucket=none&key_ids={k1}&models=beta"),
    )
    .await;
    assert_eq!(one["rows"].as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one["rows"][0]["input_tokens"], 7);
    let (_, nothing) = usage(&gw, &format!("{range}&bucket=none&key_ids=key_nobody")).await;
    assert_eq!(nothing["rows"], serde_json::json!([]));

    // Minutes: only the recent ones, within the 48 hours they are kept.
    let minutes = format!(
        "start={}&end={}&bucket=minute",
        rfc(Utc::now() - Duration::hours(1)),
        rfc(Utc::now())
    );
    let (status, recent_rows) = usage(&gw, &minutes).await;
    assert_eq!(status, 200, "{recent_rows}");
    assert_eq!(sum(&recent_rows["rows"], "requests"), 2);
}

#[tokio::test]
async fn bad_parameters_are_refused_by_name() {
    let gw = TestGateway::start().await;
    let now = Utc::now();
    for (query, field) in [
        (format!("end={}", rfc(now)), "start"),
        (format!("start=last-week&end={}", rfc(now)), "start"),
        (
            format!("start={}&end={}", rfc(now), rfc(now - Duration::days(1))),
            "end",
        ),
        (
            format!("start={}&end={}", rfc(now - Duration::days(500)), rfc(now)),
            "end",
        ),
        (
            format!(
                "start={}&end={}&bucket=week",
                rfc(now - Duration::days(1)),
                rfc(now)
            ),
            "bucket",
        ),
        (
            format!(
                "start={}&end={}&bucket=minute",
                rfc(now - Duration::days(5)),
                rfc(now)
            ),
            "bucket",
        ),
        (
            format!(
                "start={}&end={}&group_by=team",
                rfc(now - Duration::days(1)),
                rfc(now)
            ),
            "group_by",
        ),
        (
            format!(
                "start={}&end={}&limit=3",
                rfc(now - Duration::days(1)),
                rfc(now)
            ),
            "query",
        ),
    ] {
        let (status, body) = usage(&gw, &query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}
