//! `GET /organizations/usage_report/messages` and `GET /organizations/cost_report`, both
//! computed from the seed's usage records so tokens and money agree. Costs are exact:
//! tokens × the model's price in cents per 1M tokens, summed as integers and written as
//! a decimal string of cents, as the platform writes them.

use super::keys::rfc3339;
use super::seed::{UsageRecord, MODELS};
use super::{ApiError, State};
use crate::query::Query;
use crate::reports::{bucket_page, BucketPage, BucketWidth};
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const USAGE_GROUPS: &[&str] = &[
    "api_key_id",
    "workspace_id",
    "model",
    "service_tier",
    "context_window",
];
const COST_GROUPS: &[&str] = &["workspace_id", "description"];

struct Report {
    buckets: Vec<(i64, i64)>,
    next_page: Option<String>,
    group_by: Vec<String>,
    api_key_ids: Vec<String>,
    workspace_ids: Vec<String>,
    models: Vec<String>,
}

fn timestamp(query: &Query, name: &str) -> Result<Option<i64>, ApiError> {
    match query.get(name) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.timestamp()))
            .map_err(|_| {
                ApiError::invalid(format!(
                    "{name}: Input should be a valid RFC 3339 datetime, got '{text}'"
                ))
            }),
    }
}

fn parse(query: &Query, now: i64, cost: bool) -> Result<Report, ApiError> {
    let start = timestamp(query, "starting_at")?
        .ok_or_else(|| ApiError::invalid("starting_at: Field required"))?;
    let end = timestamp(query, "ending_at")?.unwrap_or(now);
    if end <= start {
        return Err(ApiError::invalid("ending_at: must be after starting_at"));
    }
    let width_text = query.get("bucket_width").unwrap_or("1d");
    let width = match BucketWidth::parse(width_text) {
        Some(BucketWidth::Day) => BucketWidth::Day,
        Some(w) if !cost => w,
        _ => {
            let allowed = if cost { "'1d'" } else { "'1m', '1h' or '1d'" };
            return Err(ApiError::invalid(format!(
                "bucket_width: Input should be {allowed}, got '{width_text}'"
            )));
        }
    };
    let (default, max) = width.limits();
    let limit = query.limit("limit", default, 1, max)?;
    let allowed = if cost { COST_GROUPS } else { USAGE_GROUPS };
    let group_by = query.list("group_by");
    if let Some(bad) = group_by.iter().find(|g| !allowed.contains(&g.as_str())) {
        return Err(ApiError::invalid(format!(
            "group_by: Input should be one of {}, got '{bad}'",
            allowed.join(", ")
        )));
    }
    let BucketPage { buckets, next_page } =
        bucket_page(start, end, width, limit, query.get("page"))
            .map_err(|_| ApiError::invalid("page: not a page token from a previous response"))?;
    Ok(Report {
        buckets,
        next_page,
        group_by,
        api_key_ids: if cost {
            Vec::new()
        } else {
            query.list("api_key_ids")
        },
        workspace_ids: if cost {
            Vec::new()
        } else {
            query.list("workspace_ids")
        },
        models: if cost {
            Vec::new()
        } else {
            query.list("models")
        },
    })
}

impl Report {
    fn selects(&self, r: &UsageRecord) -> bool {
        let within = |filter: &[String], value: Option<&String>| {
            filter.is_empty() || value.is_some_and(|v| filter.contains(v))
        };
        within(&self.api_key_ids, r.api_key_id.as_ref())
            && within(&self.workspace_ids, r.workspace_id.as_ref())
            && within(&self.models, Some(&r.model))
    }

    fn grouped(&self, field: &str) -> bool {
        self.group_by.iter().any(|g| g == field)
    }

    fn page(&self, data: Vec<Value>) -> Response {
        Json(json!({"data": data, "has_more": self.next_page.is_some(), "next_page": self.next_page})).into_response()
    }
}

fn at(s: i64) -> String {
    rfc3339(Utc.timestamp_opt(s, 0).unwrap())
}

fn records_in(usage: &[UsageRecord], (from, to): (i64, i64)) -> impl Iterator<Item = &UsageRecord> {
    let first = usage.partition_point(|u| u.at < from);
    usage[first..].iter().take_while(move |u| u.at < to)
}

pub(super) async fn messages(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let seed = state.inner.lock().unwrap();
    let report = parse(&query, seed.now.timestamp(), false)?;
    let data = report
        .buckets
        .iter()
        .map(|&bucket| {
            let mut groups: BTreeMap<Vec<String>, [u64; 6]> = BTreeMap::new();
            for r in records_in(&seed.usage, bucket).filter(|r| report.selects(r)) {
                let key = USAGE_GROUPS
                    .iter()
                    .filter(|g| report.grouped(g))
                    .map(|g| match *g {
                        "api_key_id" => json!(r.api_key_id),
                        "workspace_id" => json!(r.workspace_id),
                        "model" => json!(r.model),
                        "service_tier" => json!("standard"),
                        _ => json!("0-200k"),
                    })
                    .map(|v| v.to_string())
                    .collect();
                let sums = groups.entry(key).or_default();
                for (sum, value) in sums.iter_mut().zip([
                    r.uncached_input_tokens,
                    r.cache_creation_5m_input_tokens,
                    r.cache_creation_1h_input_tokens,
                    r.cache_read_input_tokens,
                    r.output_tokens,
                    r.web_search_requests,
                ]) {
                    *sum += value;
                }
            }
            let results: Vec<Value> = groups
                .into_iter()
                .map(|(key, [uncached, write_5m, write_1h, read, output, searches])| {
                    let mut result = Map::new();
                    result.insert("uncached_input_tokens".into(), json!(uncached));
                    result.insert(
                        "cache_creation".into(),
                        json!({"ephemeral_1h_input_tokens": write_1h, "ephemeral_5m_input_tokens": write_5m}),
                    );
                    result.insert("cache_read_input_tokens".into(), json!(read));
                    result.insert("output_tokens".into(), json!(output));
                    result.insert("server_tool_use".into(), json!({"web_search_requests": searches}));
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
            json!({"starting_at": at(bucket.0), "ending_at": at(bucket.1), "results": results})
        })
        .collect();
    Ok(report.page(data))
}

/// Micro-cents (1e-6 ¢) as a decimal string of cents, trailing zeros dropped.
fn cents(micro: u128) -> String {
    let whole = micro / 1_000_000;
    let fraction = micro % 1_000_000;
    if fraction == 0 {
        return format!("{whole}");
    }
    let digits = format!("{fraction:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

pub(super) async fn cost(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let seed = state.inner.lock().unwrap();
    let report = parse(&query, seed.now.timestamp(), true)?;
    let by_description = report.grouped("description");
    let data = report
        .buckets
        .iter()
        .map(|&bucket| {
            // (workspace, description, model, cost type, token type) → micro-cents
            type Line = (Option<String>, Option<String>, Option<String>, Option<&'static str>, Option<&'static str>);
            let mut groups: BTreeMap<Line, u128> = BTreeMap::new();
            for r in records_in(&seed.usage, bucket) {
                let Some(&(model, label, input, write_5m, write_1h, read, output)) =
                    MODELS.iter().find(|m| m.0 == r.model)
                else {
                    continue;
                };
                let lines: [(&str, &str, u64, u64); 6] = [
                    ("uncached_input_tokens", "Input Tokens", r.uncached_input_tokens, input),
                    ("output_tokens", "Output Tokens", r.output_tokens, output),
                    ("cache_read_input_tokens", "Cache Read", r.cache_read_input_tokens, read),
                    ("cache_creation.ephemeral_5m_input_tokens", "Cache Write (5m)", r.cache_creation_5m_input_tokens, write_5m),
                    ("cache_creation.ephemeral_1h_input_tokens", "Cache Write (1h)", r.cache_creation_1h_input_tokens, write_1h),
                    // Web search: $10 per 1,000 searches = 1 ¢ each = 1e6 µ¢; priced below.
                    ("web_search", "Web Search", r.web_search_requests, 0),
                ];
                for (token_type, name, quantity, price) in lines {
                    if quantity == 0 {
                        continue;
                    }
                    let (cost_type, token_type, micro) = if token_type == "web_search" {
                        ("web_search", None, quantity as u128 * 1_000_000)
                    } else {
                        ("tokens", Some(token_type), quantity as u128 * price as u128)
                    };
                    let key = (
                        if report.grouped("workspace_id") { r.workspace_id.clone() } else { None },
                        by_description.then(|| format!("{label} Usage - {name}")),
                        by_description.then(|| model.to_owned()),
                        by_description.then_some(cost_type),
                        if by_description { token_type } else { None },
                    );
                    *groups.entry(key).or_default() += micro;
                }
            }
            let results: Vec<Value> = groups
                .into_iter()
                .map(|((workspace_id, description, model, cost_type, token_type), micro)| {
                    json!({
                        "currency": "USD",
                        "amount": cents(micro),
                        "workspace_id": workspace_id,
                        "description": description,
                        "cost_type": cost_type,
                        "context_window": if by_description { json!("0-200k") } else { Value::Null },
                        "model": model,
                        "service_tier": if by_description { json!("standard") } else { Value::Null },
                        "token_type": token_type,
                    })
                })
                .collect();
            json!({"starting_at": at(bucket.0), "ending_at": at(bucket.1), "results": results})
        })
        .collect();
    Ok(report.page(data))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cents_are_exact_decimal_strings() {
        assert_eq!(super::cents(0), "0");
        assert_eq!(super::cents(1_500_000), "1.5");
        assert_eq!(super::cents(123_456_789), "123.456789");
        assert_eq!(super::cents(300), "0.0003");
    }
}
