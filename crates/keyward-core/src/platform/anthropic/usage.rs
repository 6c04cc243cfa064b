//! Anthropic's messages usage report (`GET /organizations/usage_report/messages`) and
//! cost report (`GET /organizations/cost_report`), mapped into the console's shapes on
//! the helpers every reporting platform shares (`platform/paging.rs`): pages followed to
//! their end, buckets folded into rollup rows, keys named from the inventory.
//!
//! Input tokens are everything the request was charged as input: uncached, written to
//! the cache and read from it (Anthropic splits them; other platforms do not).
//! **Requests are 0**: Anthropic's report counts tokens per bucket, not requests, and
//! the console does not invent a count.

use super::{Anthropic, DEFAULT_WORKSPACE, DIALECT};
use crate::platform::http::route;
use crate::platform::model::{CostQuery, ReportedCost, UsageQuery, UsageReport};
use crate::platform::money;
use crate::platform::paging::{self, Rollup};
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::de::DeserializeOwned;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every page of one of the organisation's reports, buckets in order.
async fn pages<T: DeserializeOwned>(
    anthropic: &Anthropic,
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
            let request = anthropic
                .http
                .authorized(&DIALECT, profile, Method::GET, path)
                .query(&q);
            let answer: super::wire::ReportPage<T> =
                anthropic.http.send_json(&DIALECT, profile, request).await?;
            Ok(paging::Page {
                next: answer.next_page.filter(|_| answer.has_more),
                items: answer.data,
            })
        }
    })
    .await
}

/// The messages report of `project` (`None`: the whole organisation) as a rollup
/// report. The default workspace has no id to filter by, so its usage is grouped by
/// workspace and the rows without one are kept.
pub(super) async fn messages(
    anthropic: &Anthropic,
    profile: &Profile,
    project: Option<&str>,
    query: &UsageQuery,
) -> Result<UsageReport, Error> {
    if !query.workloads.is_empty() {
        return Err(Error::field(
            "workload",
            "Anthropic serves its models itself; there are no workloads to filter by.",
        ));
    }
    let (bucket_width, limit) = paging::report_width(query);
    let mut rollup = Rollup::new(query);
    let mut q = vec![
        ("starting_at", rfc3339(query.start)),
        ("ending_at", rfc3339(query.end)),
        ("bucket_width", bucket_width.to_owned()),
        ("limit", limit.to_owned()),
    ];
    if rollup.by_key() {
        q.push(("group_by[]", "api_key_id".to_owned()));
    }
    if rollup.by_model() {
        q.push(("group_by[]", "model".to_owned()));
    }
    let only_default = project == Some(DEFAULT_WORKSPACE);
    match project {
        Some(DEFAULT_WORKSPACE) => q.push(("group_by[]", "workspace_id".to_owned())),
        Some(workspace) => q.push(("workspace_ids[]", workspace.to_owned())),
        None => {}
    }
    for key in &query.key_ids {
        q.push(("api_key_ids[]", key.clone()));
    }
    for model in &query.models {
        q.push(("models[]", model.clone()));
    }
    let path = route(&["organizations", "usage_report", "messages"]);
    let buckets = pages::<super::wire::MessagesResult>(anthropic, profile, &path, q).await?;
    for bucket in buckets {
        for result in bucket.results {
            if only_default && result.workspace_id.is_some() {
                continue;
            }
            rollup.add(
                bucket.starting_at,
                result.api_key_id.clone(),
                result.model.as_deref(),
                0,
                result.input_tokens(),
                result.output_tokens,
            );
        }
    }
    let inventory = if rollup.by_key() {
        anthropic.inventory(profile).await?
    } else {
        Vec::new()
    };
    Ok(rollup.finish(&inventory, "Without an API key (Workbench)"))
}

/// Money per UTC day, per workspace and line (`description`), as Anthropic reports it
/// — a decimal string of cents, read exactly. Anthropic cannot group cost by key, so
/// no row names one.
pub(super) async fn costs(
    anthropic: &Anthropic,
    profile: &Profile,
    query: &CostQuery,
) -> Result<Vec<ReportedCost>, Error> {
    let q = vec![
        ("starting_at", rfc3339(query.start)),
        ("ending_at", rfc3339(query.end)),
        ("bucket_width", "1d".to_owned()),
        ("limit", "31".to_owned()),
        ("group_by[]", "workspace_id".to_owned()),
        ("group_by[]", "description".to_owned()),
    ];
    let workspace = query
        .project
        .as_deref()
        .filter(|p| *p != profile.project_id);
    let path = route(&["organizations", "cost_report"]);
    let mut costs = Vec::new();
    for bucket in pages::<super::wire::CostResult>(anthropic, profile, &path, q).await? {
        for result in bucket.results {
            let result_workspace = result
                .workspace_id
                .clone()
                .unwrap_or_else(|| DEFAULT_WORKSPACE.to_owned());
            if workspace.is_some_and(|w| w != result_workspace) {
                continue;
            }
            let amount_micros = money::micros(&result.amount, 2).ok_or_else(|| {
                Error::new(
                    ErrorCode::Upstream,
                    format!("Anthropic reported an amount Keyward cannot read ({}); the costs are not shown rather than shown wrong.", result.amount),
                )
            })?;
            costs.push(ReportedCost {
                day: bucket.starting_at,
                project: Some(result_workspace),
                key_id: None,
                line_item: result.description,
                amount_micros,
                currency: result.currency.to_uppercase(),
            });
        }
    }
    Ok(costs)
}
