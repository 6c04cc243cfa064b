//! OpenAI's completions usage and costs reports, mapped into the console's rollup
//! shapes. The screen asks for buckets of a minute, an hour or a day, or for totals
//! (`bucket=none`, read as days and summed); every report page is followed to its
//! end (`next_page`). Keys are grouped together with their project, since the
//! console's key id is `{project}.{key}`.

use super::{at, join_id, split_id, OpenAi, DIALECT};
use crate::platform::http::route;
use crate::platform::model::{
    CostQuery, ReportedCost, UsageBucket, UsageDimension, UsageKeyRef, UsageQuery, UsageReport,
    UsageRow,
};
use crate::platform::money;
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Pages of a report are followed at most this far: 90 days of hours is 13 pages.
const MAX_PAGES: usize = 200;

/// OpenAI's width for the screen's bucket, and the most buckets it serves per page.
/// OpenAI aligns buckets to UTC minutes, hours and days, so totals (`none`) are read
/// in the widest width both ends of the range fall on — a day bucket over a range
/// starting at 14:00 would count the morning too.
fn width(query: &UsageQuery) -> (&'static str, &'static str) {
    let aligned = |seconds: i64| {
        query.start.timestamp() % seconds == 0 && query.end.timestamp() % seconds == 0
    };
    match query.bucket {
        UsageBucket::Minute => ("1m", "1440"),
        UsageBucket::Hour => ("1h", "168"),
        UsageBucket::Day => ("1d", "31"),
        UsageBucket::None if aligned(86_400) => ("1d", "31"),
        UsageBucket::None if aligned(3_600) => ("1h", "168"),
        UsageBucket::None => ("1m", "1440"),
    }
}

/// Every page of a report, buckets in order.
async fn pages<T: DeserializeOwned>(
    openai: &OpenAi,
    profile: &Profile,
    path: &str,
    query: Vec<(&'static str, String)>,
) -> Result<Vec<crate::platform::openai::wire::Bucket<T>>, Error> {
    let mut buckets = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut q = query.clone();
        if let Some(page) = &page {
            q.push(("page", page.clone()));
        }
        let request = openai.request(profile, Method::GET, path).query(&q);
        let answer: super::wire::Page<T> =
            openai.http.send_json(&DIALECT, profile, request).await?;
        buckets.extend(answer.data);
        match answer.next_page.filter(|_| answer.has_more) {
            Some(next) if Some(&next) != page.as_ref() => page = Some(next),
            _ => return Ok(buckets),
        }
    }
    Err(Error::new(
        ErrorCode::Upstream,
        "OpenAI's report ran past 200 pages; choose a shorter period or a wider bucket.",
    ))
}

fn range(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(&'static str, String)> {
    vec![
        ("start_time", start.timestamp().to_string()),
        ("end_time", end.timestamp().to_string()),
    ]
}

/// The console's key ids → OpenAI's (the report filters by OpenAI's own key id).
fn raw_key_ids(key_ids: &[String]) -> Result<Vec<(&'static str, String)>, Error> {
    key_ids
        .iter()
        .map(|id| split_id(id).map(|(_, key)| ("api_key_ids[]", key.to_owned())))
        .collect()
}

/// A row's place: bucket, key, model.
type RowKey = (Option<DateTime<Utc>>, Option<String>, Option<String>);

/// `GET /organization/usage/completions`, as a rollup report.
pub(super) async fn completions(
    openai: &OpenAi,
    profile: &Profile,
    project: Option<&str>,
    query: &UsageQuery,
) -> Result<UsageReport, Error> {
    let (bucket_width, limit) = width(query);
    let mut q = range(query.start, query.end);
    q.push(("bucket_width", bucket_width.to_owned()));
    q.push(("limit", limit.to_owned()));
    let by_key = query.group_by.contains(&UsageDimension::Key);
    let by_model = query.group_by.contains(&UsageDimension::Model);
    if by_key {
        q.push(("group_by[]", "project_id".to_owned()));
        q.push(("group_by[]", "api_key_id".to_owned()));
    }
    if by_model {
        q.push(("group_by[]", "model".to_owned()));
    }
    if let Some(project) = project {
        q.push(("project_ids[]", project.to_owned()));
    }
    q.extend(raw_key_ids(&query.key_ids)?);
    for model in &query.models {
        q.push(("models[]", model.clone()));
    }
    if !query.workloads.is_empty() {
        return Err(Error::field(
            "workload",
            "OpenAI serves its models itself; there are no workloads to filter by.",
        ));
    }
    let path = route(&["organization", "usage", "completions"]);
    let buckets = pages::<super::wire::CompletionsResult>(openai, profile, &path, q).await?;

    // Totals (`bucket=none`) fold the day buckets into one row per group.
    let mut rows: BTreeMap<RowKey, UsageRow> = BTreeMap::new();
    for bucket in buckets {
        let start = match query.bucket {
            UsageBucket::None => None,
            _ => at(bucket.start_time),
        };
        for result in bucket.results {
            let key_id = match (by_key, &result.project_id, &result.api_key_id) {
                (true, Some(project), Some(key)) => Some(join_id(project, key)),
                // Usage not made with an API key (e.g. the playground).
                (true, _, _) => Some("unattributed".to_owned()),
                (false, _, _) => None,
            };
            let model = by_model.then(|| result.model.clone().unwrap_or_default());
            let row = rows
                .entry((start, key_id.clone(), model.clone()))
                .or_insert_with(|| UsageRow {
                    bucket: start,
                    key_id,
                    model,
                    workload: None,
                    requests: 0,
                    errors: 0,
                    input_tokens: 0,
                    output_tokens: 0,
                    estimated_requests: 0,
                });
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            row.requests = row.requests.saturating_add(n(result.num_model_requests));
            row.input_tokens = row.input_tokens.saturating_add(n(result.input_tokens));
            row.output_tokens = row.output_tokens.saturating_add(n(result.output_tokens));
        }
    }
    let rows: Vec<UsageRow> = rows.into_values().collect();
    let keys = if by_key {
        key_refs(openai, profile, &rows).await?
    } else {
        Vec::new()
    };
    Ok(UsageReport {
        start: query.start,
        end: query.end,
        bucket: query.bucket,
        group_by: query.group_by.clone(),
        rows,
        keys,
    })
}

/// Names for the keys in `rows`, from the inventory; a key deleted since keeps its id
/// as its name and is marked revoked (its usage still counts).
async fn key_refs(
    openai: &OpenAi,
    profile: &Profile,
    rows: &[UsageRow],
) -> Result<Vec<UsageKeyRef>, Error> {
    let inventory = openai.inventory(profile).await?;
    let mut named: BTreeMap<String, UsageKeyRef> = BTreeMap::new();
    for id in rows.iter().filter_map(|r| r.key_id.as_ref()) {
        if named.contains_key(id) {
            continue;
        }
        let found = inventory.iter().find(|k| &k.id == id);
        named.insert(
            id.clone(),
            UsageKeyRef {
                id: id.clone(),
                name: found
                    .map(|k| k.name.clone())
                    .unwrap_or_else(|| match id.as_str() {
                        "unattributed" => "Without an API key".to_owned(),
                        other => other.to_owned(),
                    }),
                masked: found.and_then(|k| k.hint.clone()).unwrap_or_default(),
                revoked: found.is_none(),
            },
        );
    }
    Ok(named.into_values().collect())
}

/// `GET /organization/costs`: dollars per day (and key), as OpenAI reports them.
pub(super) async fn costs(
    openai: &OpenAi,
    profile: &Profile,
    query: &CostQuery,
) -> Result<Vec<ReportedCost>, Error> {
    let mut q = range(query.start, query.end);
    q.push(("bucket_width", "1d".to_owned()));
    q.push(("limit", "180".to_owned()));
    if query.by_key {
        q.push(("group_by[]", "project_id".to_owned()));
        q.push(("group_by[]", "api_key_id".to_owned()));
    }
    q.push(("group_by[]", "line_item".to_owned()));
    if let Some(project) = query
        .project
        .as_deref()
        .filter(|p| *p != profile.project_id)
    {
        q.push(("project_ids[]", project.to_owned()));
    }
    q.extend(raw_key_ids(&query.key_ids)?);
    let path = route(&["organization", "costs"]);
    let buckets = pages::<super::wire::CostResult>(openai, profile, &path, q).await?;
    let mut costs = Vec::new();
    for bucket in buckets {
        let Some(day) = at(bucket.start_time) else {
            continue;
        };
        for result in bucket.results {
            let text = result.amount.value.to_string();
            let amount_micros = money::micros(&text, 0).ok_or_else(|| {
                Error::new(
                    ErrorCode::Upstream,
                    format!("OpenAI reported an amount Keyward cannot read ({text}); the costs are not shown rather than shown wrong."),
                )
            })?;
            let key_id = match (&result.project_id, &result.api_key_id) {
                (Some(project), Some(key)) => Some(join_id(project, key)),
                _ => None,
            };
            costs.push(ReportedCost {
                day,
                project: result.project_id,
                key_id,
                line_item: result.line_item,
                amount_micros,
                currency: result.amount.currency.to_uppercase(),
            });
        }
    }
    Ok(costs)
}
