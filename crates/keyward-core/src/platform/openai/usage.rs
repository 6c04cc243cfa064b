//! OpenAI's completions usage and costs reports, mapped into the console's shapes on
//! the helpers every reporting platform shares (`platform/paging.rs`: pages followed to
//! their end, buckets folded into rollup rows, keys named from the inventory). Keys are
//! grouped together with their project, since the console's key id is
//! `{project}.{key}`.

use super::{at, join_id, split_id, OpenAi, DIALECT};
use crate::platform::http::route;
use crate::platform::model::{CostQuery, ReportedCost, UsageQuery, UsageReport};
use crate::platform::money;
use crate::platform::paging::{self, Rollup};
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::de::DeserializeOwned;

/// Every page of a report, buckets in order.
async fn pages<T: DeserializeOwned>(
    openai: &OpenAi,
    profile: &Profile,
    path: &str,
    query: Vec<(&'static str, String)>,
) -> Result<Vec<super::wire::Bucket<T>>, Error> {
    paging::every_page(profile, |page| {
        let mut q = query.clone();
        async move {
            if let Some(page) = page {
                q.push(("page", page));
            }
            let request = openai
                .http
                .authorized(&DIALECT, profile, Method::GET, path)
                .query(&q);
            let answer: super::wire::Page<T> =
                openai.http.send_json(&DIALECT, profile, request).await?;
            Ok(paging::Page {
                next: answer.next_page.filter(|_| answer.has_more),
                items: answer.data,
            })
        }
    })
    .await
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

/// `GET /organization/usage/completions`, as a rollup report.
pub(super) async fn completions(
    openai: &OpenAi,
    profile: &Profile,
    project: Option<&str>,
    query: &UsageQuery,
) -> Result<UsageReport, Error> {
    let (bucket_width, limit) = paging::report_width(query);
    let mut rollup = Rollup::new(query);
    let mut q = range(query.start, query.end);
    q.push(("bucket_width", bucket_width.to_owned()));
    q.push(("limit", limit.to_owned()));
    if rollup.by_key() {
        q.push(("group_by[]", "project_id".to_owned()));
        q.push(("group_by[]", "api_key_id".to_owned()));
    }
    if rollup.by_model() {
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
    for bucket in buckets {
        let Some(start) = at(bucket.start_time) else {
            continue;
        };
        for result in bucket.results {
            let key_id = match (&result.project_id, &result.api_key_id) {
                (Some(project), Some(key)) => Some(join_id(project, key)),
                _ => None,
            };
            rollup.add(
                start,
                key_id,
                result.model.as_deref(),
                result.num_model_requests,
                result.input_tokens,
                result.output_tokens,
            );
        }
    }
    let inventory = if rollup.by_key() {
        openai.inventory(profile).await?
    } else {
        Vec::new()
    };
    Ok(rollup.finish(&inventory, "Without an API key"))
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
