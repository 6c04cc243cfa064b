//! `GET /organization/usage/completions` and `GET /organization/costs`, both computed from
//! the seed's usage records, so tokens and money agree: a record's cost is its uncached
//! input, cached input and output tokens at the model's prices (`seed::MODELS`), and
//! costs come as two line items per model (`"<model>, input"`, `"<model>, output"`).

use super::seed::{UsageRecord, MODELS};
use super::{ApiError, State};
use crate::query::Query;
use crate::reports::{bucket_page, BucketPage, BucketWidth};
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const USAGE_GROUPS: &[&str] = &[
    "project_id",
    "user_id",
    "api_key_id",
    "model",
    "batch",
    "service_tier",
];
const COST_GROUPS: &[&str] = &["project_id", "line_item", "api_key_id"];

/// The query both reports share: range, width, filters, grouping, one page of buckets.
struct Report {
    buckets: Vec<(i64, i64)>,
    next_page: Option<String>,
    group_by: Vec<String>,
    project_ids: Vec<String>,
    api_key_ids: Vec<String>,
    user_ids: Vec<String>,
    models: Vec<String>,
    line_items: Vec<String>,
    batch: Option<bool>,
}

fn parse(query: &Query, now: i64, costs: bool) -> Result<Report, ApiError> {
    let start = query.int("start_time")?.ok_or_else(|| {
        ApiError::invalid("start_time", "Missing required parameter: 'start_time'.")
    })?;
    let end = query.int("end_time")?.unwrap_or(now);
    if end <= start {
        return Err(ApiError::invalid(
            "end_time",
            "Invalid 'end_time': must be greater than 'start_time'.",
        ));
    }
    let width_text = query.get("bucket_width").unwrap_or("1d");
    let width = match BucketWidth::parse(width_text) {
        Some(BucketWidth::Day) => BucketWidth::Day,
        Some(w) if !costs => w,
        _ => {
            let allowed = if costs { "'1d'" } else { "'1m', '1h' or '1d'" };
            return Err(ApiError::invalid(
                "bucket_width",
                format!("Invalid value for 'bucket_width': '{width_text}'. Expected {allowed}."),
            ));
        }
    };
    let limit = if costs {
        query.limit("limit", 7, 1, 180)?
    } else {
        let (default, max) = width.limits();
        query.limit("limit", default, 1, max)?
    };
    let allowed = if costs { COST_GROUPS } else { USAGE_GROUPS };
    let group_by = query.list("group_by");
    if let Some(bad) = group_by.iter().find(|g| !allowed.contains(&g.as_str())) {
        return Err(ApiError::invalid(
            "group_by",
            format!(
                "Invalid value for 'group_by': '{bad}'. Supported values are: {}.",
                allowed.join(", ")
            ),
        ));
    }
    let BucketPage { buckets, next_page } =
        bucket_page(start, end, width, limit, query.get("page")).map_err(|_| {
            ApiError::invalid(
                "page",
                "Invalid 'page': not a page token from a previous response.",
            )
        })?;
    Ok(Report {
        buckets,
        next_page,
        group_by,
        project_ids: query.list("project_ids"),
        api_key_ids: query.list("api_key_ids"),
        user_ids: if costs {
            Vec::new()
        } else {
            query.list("user_ids")
        },
        models: if costs {
            Vec::new()
        } else {
            query.list("models")
        },
        line_items: if costs {
            query.list("line_items")
        } else {
            Vec::new()
        },
        batch: if costs { None } else { query.bool("batch")? },
    })
}

impl Report {
    fn selects(&self, r: &UsageRecord) -> bool {
        let within = |filter: &[String], value: Option<&String>| {
            filter.is_empty() || value.is_some_and(|v| filter.contains(v))
        };
        within(&self.project_ids, Some(&r.project_id))
            && within(&self.api_key_ids, r.api_key_id.as_ref())
            && within(&self.user_ids, r.user_id.as_ref())
            && within(&self.models, Some(&r.model))
            // The fake's usage is all synchronous: `batch=true` selects nothing.
            && self.batch != Some(true)
    }

    fn grouped(&self, field: &str) -> bool {
        self.group_by.iter().any(|g| g == field)
    }

    fn page(&self, data: Vec<Value>) -> Response {
        Json(json!({
            "object": "page",
            "data": data,
            "has_more": self.next_page.is_some(),
            "next_page": self.next_page,
        }))
        .into_response()
    }
}

fn records_in(usage: &[UsageRecord], (from, to): (i64, i64)) -> impl Iterator<Item = &UsageRecord> {
    let first = usage.partition_point(|u| u.at < from);
    usage[first..].iter().take_while(move |u| u.at < to)
}

pub(super) async fn completions(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let inner = state.inner.lock().unwrap();
    let seed = &inner.seed;
    let report = parse(&query, seed.now.timestamp(), false)?;
    let data = report
        .buckets
        .iter()
        .map(|&bucket| {
            let mut groups: BTreeMap<Vec<String>, [u64; 4]> = BTreeMap::new();
            for r in records_in(&seed.usage, bucket).filter(|r| report.selects(r)) {
                let key = USAGE_GROUPS
                    .iter()
                    .filter(|g| report.grouped(g))
                    .map(|g| match *g {
                        "project_id" => json!(r.project_id),
                        "user_id" => json!(r.user_id),
                        "api_key_id" => json!(r.api_key_id),
                        "model" => json!(r.model),
                        "batch" => json!(false),
                        "api_source" => json!("unlabeled"),
                        _ => json!("default"),
                    })
                    .map(|v| v.to_string())
                    .collect();
                let sums = groups.entry(key).or_default();
                sums[0] += r.input_tokens;
                sums[1] += r.input_cached_tokens;
                sums[2] += r.output_tokens;
                sums[3] += r.num_model_requests;
            }
            let results: Vec<Value> = groups
                .into_iter()
                .map(|(key, [input, cached, output, requests])| {
                    let mut result = Map::new();
                    result.insert("object".into(), json!("organization.usage.completions.result"));
                    result.insert("input_tokens".into(), json!(input));
                    result.insert("output_tokens".into(), json!(output));
                    result.insert("input_cached_tokens".into(), json!(cached));
                    result.insert("input_uncached_tokens".into(), json!(input - cached));
                    result.insert("input_cache_write_tokens".into(), json!(0));
                    result.insert("input_text_tokens".into(), json!(input));
                    result.insert("output_text_tokens".into(), json!(output));
                    result.insert("input_cached_text_tokens".into(), json!(cached));
                    result.insert("input_audio_tokens".into(), json!(0));
                    result.insert("input_cached_audio_tokens".into(), json!(0));
                    result.insert("output_audio_tokens".into(), json!(0));
                    result.insert("input_image_tokens".into(), json!(0));
                    result.insert("input_cached_image_tokens".into(), json!(0));
                    result.insert("output_image_tokens".into(), json!(0));
                    result.insert("num_model_requests".into(), json!(requests));
                    let mut values = key.into_iter();
                    for g in USAGE_GROUPS {
                        let value = match report.grouped(g) {
                            true => serde_json::from_str(&values.next().unwrap()).unwrap(),
                            false => Value::Null,
                        };
                        result.insert((*g).into(), value);
                    }
                    Value::Object(result)
                })
                .collect();
            json!({"object": "bucket", "start_time": bucket.0, "end_time": bucket.1, "results": results})
        })
        .collect();
    Ok(report.page(data))
}

/// USD for `tokens` at `per_million`.
fn usd(tokens: u64, per_million: f64) -> f64 {
    tokens as f64 * per_million / 1_000_000.0
}

pub(super) async fn costs(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let inner = state.inner.lock().unwrap();
    let seed = &inner.seed;
    let report = parse(&query, seed.now.timestamp(), true)?;
    let data = report
        .buckets
        .iter()
        .map(|&bucket| {
            // (project, user, line item, key, source) → (USD, tokens)
            type Line = (Option<String>, Option<String>, Option<String>, Option<String>, Option<&'static str>);
            let mut groups: BTreeMap<Line, (f64, u64)> = BTreeMap::new();
            for r in records_in(&seed.usage, bucket).filter(|r| report.selects(r)) {
                let (_, input_price, cached_price, output_price) =
                    MODELS.iter().find(|m| m.0 == r.model).copied().unwrap_or((&r.model, 0.0, 0.0, 0.0));
                let input_cost = usd(r.input_tokens - r.input_cached_tokens, input_price) + usd(r.input_cached_tokens, cached_price);
                for (line, cost, tokens) in [
                    ("input", input_cost, r.input_tokens),
                    ("output", usd(r.output_tokens, output_price), r.output_tokens),
                ] {
                    let line_item = format!("{}, {line}", r.model);
                    if !report.line_items.is_empty() && !report.line_items.contains(&line_item) {
                        continue;
                    }
                    let key = (
                        report.grouped("project_id").then(|| r.project_id.clone()),
                        if report.grouped("user_id") { r.user_id.clone() } else { None },
                        report.grouped("line_item").then_some(line_item),
                        if report.grouped("api_key_id") { r.api_key_id.clone() } else { None },
                        report.grouped("api_source").then_some("unlabeled"),
                    );
                    let sums = groups.entry(key).or_default();
                    sums.0 += cost;
                    sums.1 += tokens;
                }
            }
            let by_line = report.grouped("line_item");
            let results: Vec<Value> = groups
                .into_iter()
                .map(|((project_id, user_id, line_item, api_key_id, api_source), (value, tokens))| {
                    json!({
                        "object": "organization.costs.result",
                        "user_id": user_id,
                        "api_source": api_source,
                        "amount": {"value": value, "currency": "usd"},
                        "line_item": line_item,
                        "project_id": project_id,
                        "api_key_id": api_key_id,
                        "quantity": if by_line { json!(tokens) } else { Value::Null },
                        "quantity_unit": if by_line { json!("tokens") } else { Value::Null },
                    })
                })
                .collect();
            json!({"object": "bucket", "start_time": bucket.0, "end_time": bucket.1, "results": results})
        })
        .collect();
    Ok(report.page(data))
}
