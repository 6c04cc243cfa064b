//! OpenRouter's `/activity` as the console's usage rollups and reported spend. The
//! report is one row per UTC day and model for the last 30 completed days, for the
//! account or — with `api_key_hash` — for one key, so usage by key asks once per key
//! (a few at a time). A deleted key's activity is still in the account's rows but no
//! longer askable by key: what the account's rows hold beyond the listed keys' is kept
//! as usage without a key, so totals by key add up to the account's. Spend is each
//! row's USD `usage`, read through its text into exact micros as soon as it arrives.

use super::{wire, OpenRouter, DIALECT};
use crate::platform::http::route;
use crate::platform::model::{CostQuery, ReportedCost, UsageBucket, UsageQuery, UsageReport};
use crate::platform::money;
use crate::platform::paging::Rollup;
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use std::collections::BTreeMap;

/// How many keys' activity is read at once.
const CONCURRENT_KEYS: usize = 6;
/// Who made the usage no listed key accounts for, as the Usage screen names it.
const WITHOUT_A_KEY: &str = "Deleted keys and the OpenRouter chatroom";

/// One activity row, read: its day, key (`None`: not a listed key) and model, counts,
/// and money in exact micros.
struct Line {
    day: DateTime<Utc>,
    key: Option<String>,
    model: String,
    requests: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    usage_micros: i64,
}

impl Line {
    fn read(key: Option<String>, row: wire::Activity) -> Result<Line, Error> {
        let day = NaiveDate::parse_from_str(&row.date, "%Y-%m-%d")
            .map_err(|_| {
                Error::new(
                    ErrorCode::Upstream,
                    format!("OpenRouter reported activity for a day Keyward cannot read ({}); the report is not shown rather than shown wrong.", row.date),
                )
            })?
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        let text = row.usage.to_string();
        let usage_micros = money::micros(&text, 0).ok_or_else(|| {
            Error::new(
                ErrorCode::Upstream,
                format!("OpenRouter reported an amount Keyward cannot read ({text}); the spend is not shown rather than shown wrong."),
            )
        })?;
        Ok(Line {
            day,
            key,
            model: row.model,
            requests: row.requests,
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
            usage_micros,
        })
    }

    /// The day counts when it starts in `[start, end)`, or the range starts in it.
    fn within(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let first = start
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        self.day >= first && self.day < end
    }
}

/// Activity rows, of one key or (`None`) of the whole account.
async fn activity(
    adapter: &OpenRouter,
    profile: &Profile,
    key: Option<&str>,
) -> Result<Vec<Line>, Error> {
    let query: Vec<(&str, &str)> = key.map(|k| ("api_key_hash", k)).into_iter().collect();
    let rows: wire::Data<Vec<wire::Activity>> = adapter
        .http
        .get_json(&DIALECT, profile, &route(&["activity"]), &query)
        .await?;
    rows.data
        .into_iter()
        .map(|row| Line::read(key.map(str::to_owned), row))
        .collect()
}

/// Which activity to read.
enum Scope {
    /// The account's rows, without keys.
    Account,
    /// These keys' rows only.
    Keys(Vec<String>),
    /// Every listed key's rows, and what the account's rows hold beyond them.
    EveryKey(Vec<String>),
}

async fn lines(adapter: &OpenRouter, profile: &Profile, scope: Scope) -> Result<Vec<Line>, Error> {
    let (keys, remainder) = match scope {
        Scope::Account => return activity(adapter, profile, None).await,
        Scope::Keys(keys) => (keys, false),
        Scope::EveryKey(keys) => (keys, true),
    };
    let per_key: Vec<Vec<Line>> = stream::iter(keys)
        .map(|key| async move {
            crate::error::validate_id("key_id", &key, 128)?;
            activity(adapter, profile, Some(&key)).await
        })
        .buffered(CONCURRENT_KEYS)
        .try_collect()
        .await?;
    let mut lines: Vec<Line> = per_key.into_iter().flatten().collect();
    if remainder {
        let account = activity(adapter, profile, None).await?;
        lines.extend(beyond(account, &lines));
    }
    Ok(lines)
}

/// Per day and model, the account's rows less the keys' rows (never below zero).
fn beyond(account: Vec<Line>, keys: &[Line]) -> Vec<Line> {
    let mut by_place: BTreeMap<(DateTime<Utc>, String), Line> = BTreeMap::new();
    for line in account {
        by_place.insert((line.day, line.model.clone()), line);
    }
    for line in keys {
        if let Some(rest) = by_place.get_mut(&(line.day, line.model.clone())) {
            rest.requests = rest.requests.saturating_sub(line.requests);
            rest.prompt_tokens = rest.prompt_tokens.saturating_sub(line.prompt_tokens);
            rest.completion_tokens = rest
                .completion_tokens
                .saturating_sub(line.completion_tokens);
            rest.usage_micros = (rest.usage_micros - line.usage_micros).max(0);
        }
    }
    by_place
        .into_values()
        .filter(|l| {
            l.requests > 0 || l.usage_micros > 0 || l.prompt_tokens + l.completion_tokens > 0
        })
        .collect()
}

/// `GET /activity` folded into the Usage & Spend screen's rollup.
pub(super) async fn activity_report(
    adapter: &OpenRouter,
    profile: &Profile,
    query: &UsageQuery,
) -> Result<UsageReport, Error> {
    if matches!(query.bucket, UsageBucket::Minute | UsageBucket::Hour) {
        return Err(Error::new(
            ErrorCode::Unsupported,
            "OpenRouter reports activity per day only (the last 30 completed UTC days); choose days.",
        ));
    }
    if !query.workloads.is_empty() {
        return Err(Error::field(
            "workload",
            "OpenRouter routes to its providers itself; there are no workloads to filter by.",
        ));
    }
    let mut rollup = Rollup::new(query);
    let inventory = if rollup.by_key() || !query.key_ids.is_empty() {
        adapter.inventory(profile).await?
    } else {
        Vec::new()
    };
    let scope = if !query.key_ids.is_empty() {
        Scope::Keys(query.key_ids.clone())
    } else if rollup.by_key() {
        Scope::EveryKey(inventory.iter().map(|k| k.id.clone()).collect())
    } else {
        Scope::Account
    };
    for line in lines(adapter, profile, scope).await? {
        if !query.models.is_empty() && !query.models.contains(&line.model) {
            continue;
        }
        if !line.within(query.start, query.end) {
            continue;
        }
        rollup.add(
            line.day,
            line.key,
            Some(&line.model),
            line.requests,
            line.prompt_tokens,
            line.completion_tokens,
        );
    }
    Ok(rollup.finish(&inventory, WITHOUT_A_KEY))
}

/// Each activity row's USD as reported spend: per day and model (the line item), and
/// per key when the query asks for keys.
pub(super) async fn costs(
    adapter: &OpenRouter,
    profile: &Profile,
    query: &CostQuery,
) -> Result<Vec<ReportedCost>, Error> {
    let scope = if !query.key_ids.is_empty() {
        Scope::Keys(query.key_ids.clone())
    } else if query.by_key {
        let keys = adapter.inventory(profile).await?;
        Scope::EveryKey(keys.into_iter().map(|k| k.id).collect())
    } else {
        Scope::Account
    };
    Ok(lines(adapter, profile, scope)
        .await?
        .into_iter()
        .filter(|line| line.within(query.start, query.end))
        .map(|line| ReportedCost {
            day: line.day,
            project: None,
            key_id: line.key,
            line_item: Some(line.model),
            amount_micros: line.usage_micros,
            currency: "USD".to_owned(),
        })
        .collect())
}
