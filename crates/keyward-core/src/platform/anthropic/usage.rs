//! Anthropic's messages usage report (`GET /organizations/usage_report/messages`),
//! mapped into the console's rollup shapes exactly as OpenAI's completions report is.
//! The screen asks for buckets of a minute, an hour or a day, or for totals
//! (`bucket=none`, read in the widest width the range is aligned to and summed);
//! every report page is followed to its end (`next_page`).
//!
//! Input tokens are everything the request was charged as input: uncached, written to
//! the cache and read from it (Anthropic splits them; other platforms do not).
//! **Requests are 0**: Anthropic's report counts tokens per bucket, not requests, and
//! the console does not invent a count.

use super::{Anthropic, DEFAULT_WORKSPACE, DIALECT};
use crate::platform::http::route;
use crate::platform::model::{
    CostQuery, ReportedCost, UsageBucket, UsageDimension, UsageKeyRef, UsageQuery, UsageReport,
    UsageRow,
};
use crate::platform::money;
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use std::collections::BTreeMap;

/// A row's group: bucket start (none for totals), key, model.
type Group = (Option<DateTime<Utc>>, Option<String>, Option<String>);

/// Pages of a report are followed at most this far: 90 days of hours is 13 pages.
const MAX_PAGES: usize = 200;

/// Anthropic's width for the screen's bucket, and the most buckets it serves per page.
/// Buckets are aligned to UTC minutes, hours and days, so totals (`none`) are read in
/// the widest width both ends of the range fall on — a day bucket over a range
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

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every page of the messages report, buckets in order.
async fn pages(
    anthropic: &Anthropic,
    profile: &Profile,
    query: Vec<(&'static str, String)>,
) -> Result<Vec<super::wire::Bucket>, Error> {
    let path = route(&["organizations", "usage_report", "messages"]);
    let mut buckets = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut q = query.clone();
        if let Some(page) = &page {
            q.push(("page", page.clone()));
        }
        let request = anthropic.request(profile, Method::GET, &path).query(&q);
        let answer: super::wire::ReportPage =
            anthropic.http.send_json(&DIALECT, profile, request).await?;
        buckets.extend(answer.data);
        match answer.next_page.filter(|_| answer.has_more) {
            Some(next) if Some(&next) != page.as_ref() => page = Some(next),
            _ => return Ok(buckets),
        }
    }
    Err(Error::new(
        ErrorCode::Upstream,
        "Anthropic's usage report ran past 200 pages; choose a shorter period or a wider bucket.",
    ))
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
    let (bucket_width, limit) = width(query);
    let mut q = vec![
        ("starting_at", rfc3339(query.start)),
        ("ending_at", rfc3339(query.end)),
        ("bucket_width", bucket_width.to_owned()),
        ("limit", limit.to_owned()),
    ];
    let by_key = query.group_by.contains(&UsageDimension::Key);
    let by_model = query.group_by.contains(&UsageDimension::Model);
    if by_key {
        q.push(("group_by[]", "api_key_id".to_owned()));
    }
    if by_model {
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
    let buckets = pages(anthropic, profile, q).await?;

    // Totals (`bucket=none`) fold the buckets into one row per group.
    let mut rows: BTreeMap<Group, UsageRow> = BTreeMap::new();
    for bucket in buckets {
        let start = match query.bucket {
            UsageBucket::None => None,
            _ => Some(bucket.starting_at),
        };
        for result in bucket.results {
            if only_default && result.workspace_id.is_some() {
                continue;
            }
            let key_id = match (by_key, &result.api_key_id) {
                (true, Some(key)) => Some(key.clone()),
                // Usage not made with an API key (the Workbench).
                (true, None) => Some("unattributed".to_owned()),
                (false, _) => None,
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
            row.input_tokens = row.input_tokens.saturating_add(n(result.input_tokens()));
            row.output_tokens = row.output_tokens.saturating_add(n(result.output_tokens));
        }
    }
    let rows: Vec<UsageRow> = rows.into_values().collect();
    let keys = if by_key {
        key_refs(anthropic, profile, &rows).await?
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

/// Names for the keys in `rows`, from the inventory; an archived key is marked revoked
/// (its usage still counts).
async fn key_refs(
    anthropic: &Anthropic,
    profile: &Profile,
    rows: &[UsageRow],
) -> Result<Vec<UsageKeyRef>, Error> {
    let inventory = anthropic.inventory(profile).await?;
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
                        "unattributed" => "Without an API key (Workbench)".to_owned(),
                        other => other.to_owned(),
                    }),
                masked: found.and_then(|k| k.hint.clone()).unwrap_or_default(),
                revoked: id != "unattributed"
                    && found.is_none_or(|k| k.state == crate::platform::model::KeyState::Revoked),
            },
        );
    }
    Ok(named.into_values().collect())
}

/// `GET /organizations/cost_report`: money per UTC day, per workspace and line
/// (`description`), as Anthropic reports it — a decimal string of cents, read exactly.
/// Anthropic cannot group cost by key, so no row names one.
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
    let path = route(&["organizations", "cost_report"]);
    let workspace = query
        .project
        .as_deref()
        .filter(|p| *p != profile.project_id);
    let mut costs = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut q = q.clone();
        if let Some(page) = &page {
            q.push(("page", page.clone()));
        }
        let request = anthropic.request(profile, Method::GET, &path).query(&q);
        let answer: super::wire::CostPage =
            anthropic.http.send_json(&DIALECT, profile, request).await?;
        for bucket in answer.data {
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
        match answer.next_page.filter(|_| answer.has_more) {
            Some(next) if Some(&next) != page.as_ref() => page = Some(next),
            _ => return Ok(costs),
        }
    }
    Err(Error::new(
        ErrorCode::Upstream,
        "Anthropic's cost report ran past 200 pages; choose a shorter period.",
    ))
}
