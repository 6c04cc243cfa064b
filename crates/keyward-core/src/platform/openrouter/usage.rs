//! OpenRouter's `/activity` as the console's usage rollups and reported spend. The
//! report is one row per UTC day and model for the last 30 completed days, for the
//! account or — with `api_key_hash` — for one key, so usage by key asks once per key
//! (a few at a time). Spend is each row's USD `usage`, read through its text into
//! exact micros.

use super::{wire, OpenRouter};
use crate::platform::http::route;
use crate::platform::model::{CostQuery, ReportedCost, UsageBucket, UsageQuery, UsageReport};
use crate::platform::money;
use crate::platform::paging::Rollup;
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};

/// How many keys' activity is read at once.
const CONCURRENT_KEYS: usize = 6;

/// Activity rows, of one key or (`None`) of the whole account.
async fn activity(
    adapter: &OpenRouter,
    profile: &Profile,
    key: Option<&str>,
) -> Result<Vec<wire::Activity>, Error> {
    let query: Vec<(&str, &str)> = key.map(|k| ("api_key_hash", k)).into_iter().collect();
    let rows: wire::Data<Vec<wire::Activity>> =
        adapter.get(profile, &route(&["activity"]), &query).await?;
    Ok(rows.data)
}

/// Activity per key (`Some(hash)`) for `keys`, or the account's (`None`) when `keys` is
/// `None`.
async fn rows(
    adapter: &OpenRouter,
    profile: &Profile,
    keys: Option<Vec<String>>,
) -> Result<Vec<(Option<String>, wire::Activity)>, Error> {
    let Some(keys) = keys else {
        return Ok(activity(adapter, profile, None)
            .await?
            .into_iter()
            .map(|row| (None, row))
            .collect());
    };
    let per_key: Vec<Vec<(Option<String>, wire::Activity)>> = stream::iter(keys)
        .map(|key| async move {
            crate::error::validate_id("key_id", &key, 128)?;
            let rows = activity(adapter, profile, Some(&key)).await?;
            Ok::<_, Error>(rows.into_iter().map(|r| (Some(key.clone()), r)).collect())
        })
        .buffered(CONCURRENT_KEYS)
        .try_collect()
        .await?;
    Ok(per_key.into_iter().flatten().collect())
}

/// The row's UTC day, when it falls in `[start, end)` (a day counts when it starts
/// in the range, or the range starts inside it).
fn day_in(
    row: &wire::Activity,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Error> {
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
    let starts_day = start
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    Ok((day >= starts_day && day < end).then_some(day))
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
    let wants_keys = rollup.by_key() || !query.key_ids.is_empty();
    let inventory = if wants_keys {
        adapter.inventory(profile).await?
    } else {
        Vec::new()
    };
    let keys = wants_keys.then(|| {
        if query.key_ids.is_empty() {
            inventory.iter().map(|k| k.id.clone()).collect()
        } else {
            query.key_ids.clone()
        }
    });
    for (key, row) in rows(adapter, profile, keys).await? {
        if !query.models.is_empty() && !query.models.contains(&row.model) {
            continue;
        }
        let Some(day) = day_in(&row, query.start, query.end)? else {
            continue;
        };
        rollup.add(
            day,
            key,
            Some(&row.model),
            row.requests,
            row.prompt_tokens,
            row.completion_tokens,
        );
    }
    Ok(rollup.finish(&inventory, "Without a key"))
}

/// Each activity row's USD as reported spend: per day and model, and per key when the
/// query asks for keys.
pub(super) async fn costs(
    adapter: &OpenRouter,
    profile: &Profile,
    query: &CostQuery,
) -> Result<Vec<ReportedCost>, Error> {
    let keys = if !query.key_ids.is_empty() {
        Some(query.key_ids.clone())
    } else if query.by_key {
        Some(
            adapter
                .inventory(profile)
                .await?
                .into_iter()
                .map(|k| k.id)
                .collect(),
        )
    } else {
        None
    };
    let mut costs = Vec::new();
    for (key_id, row) in rows(adapter, profile, keys).await? {
        let Some(day) = day_in(&row, query.start, query.end)? else {
            continue;
        };
        let text = row.usage.to_string();
        let amount_micros = money::micros(&text, 0).ok_or_else(|| {
            Error::new(
                ErrorCode::Upstream,
                format!("OpenRouter reported an amount Keyward cannot read ({text}); the spend is not shown rather than shown wrong."),
            )
        })?;
        costs.push(ReportedCost {
            day,
            project: None,
            key_id,
            line_item: Some(row.model),
            amount_micros,
            currency: "USD".to_owned(),
        });
    }
    Ok(costs)
}
