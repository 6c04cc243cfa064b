//! Periods: what the Usage & Spend screen asks for ([`UsageRequest`]) resolved into UTC
//! instants in the chosen zone, the previous period to compare with, and the display
//! buckets. Pure functions of the request and `now`, so every rule of the module doc
//! ([`super`]) about periods and buckets is tested without a clock or a server.

use crate::error::Error;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use keyward_api::usage::UsageBucket;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PeriodPreset {
    // Explicit: serde's snake_case says "last24_hours" where specta (and people) say
    // "last_24_hours"; the wire must be what the generated TypeScript type promises.
    #[serde(rename = "last_24_hours")]
    Last24Hours,
    #[serde(rename = "last_7_days")]
    Last7Days,
    #[serde(rename = "last_30_days")]
    Last30Days,
    #[serde(rename = "last_90_days")]
    Last90Days,
    MonthToDate,
    PreviousMonth,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SpendBy {
    #[default]
    Model,
    Key,
}

/// What the Usage & Spend screen asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UsageRequest {
    pub preset: PeriodPreset,
    /// First and last local day of a custom range (inclusive), `YYYY-MM-DD`.
    pub custom_start: Option<NaiveDate>,
    pub custom_end: Option<NaiveDate>,
    /// IANA name, e.g. "UTC", "Europe/Berlin".
    pub time_zone: String,
    /// `None`: chosen to fit the period.
    pub bucket: Option<UsageBucket>,
    /// `None`: the profile's project.
    pub project_id: Option<String>,
    pub key_ids: Vec<String>,
    pub models: Vec<String>,
    pub workload: Option<String>,
    pub spend_by: SpendBy,
}

/// A resolved period: UTC instants, the bucket, the zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub previous_start: DateTime<Utc>,
    pub previous_end: DateTime<Utc>,
    pub bucket: UsageBucket,
    pub zone: Tz,
}

pub(super) fn local_midnight(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A midnight skipped by a DST change: take the first instant after the gap.
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

pub(super) fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

pub(super) fn previous_month(first: NaiveDate) -> NaiveDate {
    first_of_month(first - Duration::days(1))
}

pub(super) fn ceil_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::DurationRound;
    let floor = at.duration_trunc(Duration::hours(1)).unwrap_or(at);
    if floor < at {
        floor + Duration::hours(1)
    } else {
        floor
    }
}

pub fn parse_zone(name: &str) -> Result<Tz, Error> {
    name.trim().parse::<Tz>().map_err(|_| {
        Error::field(
            "time_zone",
            format!(
                "\"{name}\" is not a time zone name Keyward knows (use e.g. UTC or Europe/Berlin)."
            ),
        )
    })
}

/// Resolves the request's period at `now`; every refusal names its field.
pub fn resolve_period(request: &UsageRequest, now: DateTime<Utc>) -> Result<Period, Error> {
    let zone = parse_zone(&request.time_zone)?;
    let today = now.with_timezone(&zone).date_naive();
    let tomorrow = local_midnight(zone, today + Duration::days(1));
    let (start, end, previous) = match request.preset {
        PeriodPreset::Last24Hours | PeriodPreset::Last7Days => {
            let end = ceil_hour(now);
            let span = if request.preset == PeriodPreset::Last24Hours {
                Duration::hours(24)
            } else {
                Duration::days(7)
            };
            (end - span, end, None)
        }
        PeriodPreset::Last30Days | PeriodPreset::Last90Days => {
            let days = if request.preset == PeriodPreset::Last30Days {
                30
            } else {
                90
            };
            (
                local_midnight(zone, today - Duration::days(days - 1)),
                tomorrow,
                None,
            )
        }
        PeriodPreset::MonthToDate => {
            let first = first_of_month(today);
            let previous_first = previous_month(first);
            let elapsed_days = (today - first).num_days() + 1;
            let previous_end = (previous_first + Duration::days(elapsed_days)).min(first);
            (
                local_midnight(zone, first),
                tomorrow,
                Some((
                    local_midnight(zone, previous_first),
                    local_midnight(zone, previous_end),
                )),
            )
        }
        PeriodPreset::PreviousMonth => {
            let first = previous_month(first_of_month(today));
            let before = previous_month(first);
            (
                local_midnight(zone, first),
                local_midnight(zone, first_of_month(today)),
                Some((local_midnight(zone, before), local_midnight(zone, first))),
            )
        }
        PeriodPreset::Custom => {
            let start = request.custom_start.ok_or_else(|| {
                Error::field("custom_start", "Choose the first day of the range.")
            })?;
            let last = request
                .custom_end
                .ok_or_else(|| Error::field("custom_end", "Choose the last day of the range."))?;
            if last < start {
                return Err(Error::field(
                    "custom_end",
                    "The last day must not be before the first day.",
                ));
            }
            if (last - start).num_days() + 1 > keyward_api::usage::MAX_RANGE_DAYS {
                return Err(Error::field(
                    "custom_end",
                    format!(
                        "A range covers at most {} days.",
                        keyward_api::usage::MAX_RANGE_DAYS
                    ),
                ));
            }
            if start > today {
                return Err(Error::field(
                    "custom_start",
                    "The range starts in the future.",
                ));
            }
            (
                local_midnight(zone, start),
                local_midnight(zone, last + Duration::days(1)),
                None,
            )
        }
    };
    let (previous_start, previous_end) = previous.unwrap_or((start - (end - start), start));
    let span = end - start;
    let auto = if span <= Duration::hours(6) {
        UsageBucket::Minute
    } else if span <= Duration::days(8) {
        UsageBucket::Hour
    } else {
        UsageBucket::Day
    };
    let bucket = request.bucket.unwrap_or(auto);
    check_bucket(bucket, start, end, now)?;
    Ok(Period {
        start,
        end,
        previous_start,
        previous_end,
        bucket,
        zone,
    })
}

pub(super) fn check_bucket(
    bucket: UsageBucket,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let fail = |m: &str| Err(Error::field("bucket", m));
    match bucket {
        UsageBucket::None => fail("Choose minute, hour or day buckets."),
        UsageBucket::Minute
            if start < now - Duration::hours(keyward_api::usage::MINUTE_RETENTION_HOURS) =>
        {
            fail("Minute buckets exist for the last 48 hours only; choose hour or day buckets.")
        }
        UsageBucket::Hour if end - start > Duration::days(100) => {
            fail("Hour buckets cover at most 100 days; choose day buckets.")
        }
        _ => Ok(()),
    }
}

pub(super) fn validate_request(request: &UsageRequest) -> Result<(), Error> {
    for id in &request.key_ids {
        crate::error::validate_id("key_ids", id, 64)?;
    }
    if request.key_ids.len() > 100 {
        return Err(Error::field(
            "key_ids",
            "Filter on at most 100 keys at once.",
        ));
    }
    if request.models.len() > 100 {
        return Err(Error::field(
            "models",
            "Filter on at most 100 models at once.",
        ));
    }
    for model in &request.models {
        if model.is_empty() || model.len() > crate::prices::MAX_MODEL_CHARS || model.contains(',') {
            return Err(Error::field(
                "models",
                format!("\"{model}\" is not a model name."),
            ));
        }
    }
    if let Some(workload) = &request.workload {
        crate::error::validate_id("workload", workload, 64)?;
    }
    if let Some(project) = &request.project_id {
        crate::error::validate_id("project_id", project, 64)?;
    }
    Ok(())
}

pub(super) fn utc_days(zone: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    use chrono::Offset;
    zone.offset_from_utc_datetime(&start.naive_utc())
        .fix()
        .local_minus_utc()
        == 0
        && zone
            .offset_from_utc_datetime(&end.naive_utc())
            .fix()
            .local_minus_utc()
            == 0
}

/// The display buckets of a period, in order.
pub fn bucket_starts(period: &Period) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut at = period.start;
    while at < period.end {
        out.push(at);
        at = next_bucket(period, at);
    }
    out
}

pub(super) fn next_bucket(period: &Period, at: DateTime<Utc>) -> DateTime<Utc> {
    match period.bucket {
        UsageBucket::Minute => at + Duration::minutes(1),
        UsageBucket::Hour => at + Duration::hours(1),
        _ => {
            let day = at.with_timezone(&period.zone).date_naive();
            local_midnight(period.zone, day + Duration::days(1))
        }
    }
}

/// Index of the display bucket holding `at` (binary search over bucket starts).
pub(super) fn bucket_index(starts: &[DateTime<Utc>], at: DateTime<Utc>) -> Option<usize> {
    match starts.binary_search(&at) {
        Ok(i) => Some(i),
        Err(0) => None,
        Err(i) => Some(i - 1),
    }
}
