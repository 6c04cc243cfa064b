//! Project usage in buckets, the wire shape behind the console's Usage & Spend screen:
//! `GET /v1/projects/{project_id}/usage?start&end&bucket&group_by&key_ids&models&workloads`.
//!
//! Modelled on OpenAI's `GET /v1/organization/usage/completions` (start/end, a bucket
//! width, `group_by`), with two deliberate differences: lists are comma-separated (one
//! obvious encoding for every client), and money is absent. The gateway reports tokens
//! and requests only; spend is always tokens × the console's price table, because a
//! gateway that serves self-hosted models has no price to report.
//!
//! [`UsageQuery`] is parsed and validated here so the gateway and the console agree on
//! every rule, and each refusal names the parameter at fault.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::keys::FieldError;

/// The longest range one query may cover.
pub const MAX_RANGE_DAYS: i64 = 400;
/// Minute buckets are kept this long by the gateway; older minutes are rolled up.
pub const MINUTE_RETENTION_HOURS: i64 = 48;
/// At most this many ids or names in one filter.
pub const MAX_FILTER_VALUES: usize = 1000;
/// A query whose answer would exceed this many rows is refused (narrow it instead).
pub const MAX_ROWS: usize = 250_000;

/// Width of one time bucket; `none` sums the whole range into one row per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UsageBucket {
    Minute,
    Hour,
    Day,
    None,
}

impl UsageBucket {
    pub const ALL: [UsageBucket; 4] = [Self::Minute, Self::Hour, Self::Day, Self::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::None => "none",
        }
    }

    /// The bucket's width; `None` for the whole-range bucket.
    pub fn width(self) -> Option<TimeDelta> {
        match self {
            Self::Minute => Some(TimeDelta::minutes(1)),
            Self::Hour => Some(TimeDelta::hours(1)),
            Self::Day => Some(TimeDelta::days(1)),
            Self::None => None,
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == value)
    }
}

/// What rows are grouped by besides the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UsageDimension {
    Key,
    Model,
    Workload,
}

impl UsageDimension {
    pub const ALL: [UsageDimension; 3] = [Self::Key, Self::Model, Self::Workload];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Model => "model",
            Self::Workload => "workload",
        }
    }
}

/// A validated usage query: `start` and `end` aligned to the bucket (start floored,
/// end ceiled; hours for `bucket=none`), `end > start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub bucket: UsageBucket,
    /// Sorted, without duplicates.
    pub group_by: Vec<UsageDimension>,
    pub key_ids: Vec<String>,
    pub models: Vec<String>,
    pub workloads: Vec<String>,
}

impl UsageQuery {
    pub fn groups_by(&self, dimension: UsageDimension) -> bool {
        self.group_by.contains(&dimension)
    }

    /// Parses query-string parameters. `now` bounds minute queries to what the
    /// gateway still keeps.
    pub fn from_params(
        params: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldError> {
        const KNOWN: [&str; 9] = [
            "start",
            "end",
            "from",
            "to",
            "bucket",
            "group_by",
            "key_ids",
            "models",
            "workloads",
        ];
        if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(fail(
                "query",
                format!(
                    "Unknown parameter \"{unknown}\"; expected one of: {}.",
                    KNOWN.join(", ")
                ),
            ));
        }
        // `from`/`to` are accepted for `start`/`end` (the names some clients use).
        let time = |field: &'static str,
                    alias: &'static str|
         -> Result<DateTime<Utc>, FieldError> {
            let (field, raw) = match (params.get(field), params.get(alias)) {
                (Some(_), Some(_)) => {
                    return Err(fail(alias, format!("Give {field} or {alias}, not both.")))
                }
                (Some(raw), None) => (field, raw),
                (None, Some(raw)) => (alias, raw),
                (None, None) => {
                    return Err(fail(
                        field,
                        format!("{field} is required (RFC 3339, e.g. 2026-11-01T00:00:00Z)."),
                    ))
                }
            };
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    fail(
                        field,
                        format!("{field} must be an RFC 3339 time such as 2026-11-01T00:00:00Z."),
                    )
                })
        };
        let start = time("start", "from")?;
        let end = time("end", "to")?;
        let bucket = match params.get("bucket") {
            None => UsageBucket::Day,
            Some(raw) => UsageBucket::parse(raw)
                .ok_or_else(|| fail("bucket", "bucket must be one of: minute, hour, day, none."))?,
        };
        let mut group_by = Vec::new();
        for part in list(params.get("group_by")) {
            let dimension = UsageDimension::ALL
                .into_iter()
                .find(|d| d.as_str() == part)
                .ok_or_else(|| {
                    fail(
                        "group_by",
                        format!("group_by may list: key, model, workload (not \"{part}\")."),
                    )
                })?;
            group_by.push(dimension);
        }
        group_by.sort();
        group_by.dedup();
        let filter = |field: &'static str| -> Result<Vec<String>, FieldError> {
            let mut values: Vec<String> = list(params.get(field)).map(str::to_owned).collect();
            values.sort();
            values.dedup();
            if values.len() > MAX_FILTER_VALUES {
                return Err(fail(
                    field,
                    format!("{field} may list at most {MAX_FILTER_VALUES} values."),
                ));
            }
            Ok(values)
        };
        let query = UsageQuery {
            start,
            end,
            bucket,
            group_by,
            key_ids: filter("key_ids")?,
            models: filter("models")?,
            workloads: filter("workloads")?,
        };
        query.aligned(now)
    }

    /// Validates the range and aligns it to the bucket: start floored, end ceiled.
    pub fn aligned(mut self, now: DateTime<Utc>) -> Result<Self, FieldError> {
        if self.end <= self.start {
            return Err(fail("end", "end must be after start."));
        }
        if self.end - self.start > TimeDelta::days(MAX_RANGE_DAYS) {
            return Err(fail(
                "end",
                format!("A query covers at most {MAX_RANGE_DAYS} days; shorten the range."),
            ));
        }
        // A whole-range total is aligned to hours, the finest rollup kept for ever.
        let width = self.bucket.width().unwrap_or(TimeDelta::hours(1));
        self.start = self.start.duration_trunc(width).unwrap_or(self.start);
        let floored = self.end.duration_trunc(width).unwrap_or(self.end);
        if floored < self.end {
            self.end = floored + width;
        }
        if self.bucket == UsageBucket::Minute
            && self.start < now - TimeDelta::hours(MINUTE_RETENTION_HOURS)
        {
            return Err(fail(
                "bucket",
                format!(
                    "Minute buckets are kept for {MINUTE_RETENTION_HOURS} hours; use hour or day buckets for older usage."
                ),
            ));
        }
        Ok(self)
    }

    /// The query string for this query (what the console sends).
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            (
                "start",
                self.start
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            (
                "end",
                self.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            ("bucket", self.bucket.as_str().to_owned()),
        ];
        if !self.group_by.is_empty() {
            let names: Vec<&str> = self.group_by.iter().map(|d| d.as_str()).collect();
            params.push(("group_by", names.join(",")));
        }
        for (name, values) in [
            ("key_ids", &self.key_ids),
            ("models", &self.models),
            ("workloads", &self.workloads),
        ] {
            if !values.is_empty() {
                params.push((name, values.join(",")));
            }
        }
        params
    }
}

fn fail(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn list(raw: Option<&String>) -> impl Iterator<Item = &str> {
    raw.map(String::as_str)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// One bucket × group. Fields of dimensions not grouped by are absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRow {
    /// Bucket start; absent when `bucket=none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    pub requests: i64,
    /// Requests that failed (upstream error, client gone before the end).
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Requests whose upstream reported no usage, so their tokens are estimates.
    pub estimated_requests: i64,
}

/// A key that appears in the rows, so a client can name it without another request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageKeyRef {
    pub id: String,
    pub name: String,
    /// The masked secret, e.g. `kw_live_…a1b2`.
    pub masked: String,
    /// `true` when the key has been revoked or deleted since (its usage still counts).
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageReport {
    /// The range actually covered (aligned to the bucket).
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub bucket: UsageBucket,
    pub group_by: Vec<UsageDimension>,
    /// Ordered by bucket, then by the grouped dimensions. Buckets without usage are absent.
    pub rows: Vec<UsageRow>,
    /// Every key named in `rows` (only when grouping by key).
    pub keys: Vec<UsageKeyRef>,
}

impl UsageReport {
    /// The same rows as CSV (`Accept: text/csv`): a `bucket` column unless
    /// `bucket=none`, a column per grouped dimension (and the key's name beside its id),
    /// then the counters. Times are RFC 3339 in UTC.
    pub fn to_csv(&self) -> String {
        let by_key = self.group_by.contains(&UsageDimension::Key);
        let mut header: Vec<&str> = Vec::new();
        if self.bucket != UsageBucket::None {
            header.push("bucket");
        }
        if by_key {
            header.extend(["key_id", "key_name"]);
        }
        if self.group_by.contains(&UsageDimension::Model) {
            header.push("model");
        }
        if self.group_by.contains(&UsageDimension::Workload) {
            header.push("workload");
        }
        header.extend([
            "requests",
            "errors",
            "input_tokens",
            "output_tokens",
            "estimated_requests",
        ]);
        let width = header.len();
        let rows = self.rows.iter().map(|row| {
            let mut cells: Vec<String> = Vec::with_capacity(width);
            if self.bucket != UsageBucket::None {
                cells.push(row.bucket.map(|b| b.to_rfc3339()).unwrap_or_default());
            }
            if by_key {
                let id = row.key_id.clone().unwrap_or_default();
                let name = self
                    .keys
                    .iter()
                    .find(|k| k.id == id)
                    .map(|k| k.name.clone())
                    .unwrap_or_default();
                cells.extend([id, name]);
            }
            if self.group_by.contains(&UsageDimension::Model) {
                cells.push(row.model.clone().unwrap_or_default());
            }
            if self.group_by.contains(&UsageDimension::Workload) {
                cells.push(row.workload.clone().unwrap_or_default());
            }
            cells.extend(
                [
                    row.requests,
                    row.errors,
                    row.input_tokens,
                    row.output_tokens,
                    row.estimated_requests,
                ]
                .map(|n| n.to_string()),
            );
            cells
        });
        crate::csv::document(header, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap()
    }

    #[test]
    fn parses_aligns_and_round_trips() {
        let q = UsageQuery::from_params(
            &params(&[
                ("start", "2026-11-01T05:10:00Z"),
                ("end", "2026-11-03T00:00:01Z"),
                ("bucket", "day"),
                ("group_by", "model,key,model"),
                ("key_ids", "b, a,,a"),
            ]),
            now(),
        )
        .unwrap();
        assert_eq!(q.start, Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
        assert_eq!(q.end, Utc.with_ymd_and_hms(2026, 11, 4, 0, 0, 0).unwrap());
        assert_eq!(q.group_by, vec![UsageDimension::Key, UsageDimension::Model]);
        assert_eq!(q.key_ids, vec!["a", "b"]);
        let back: BTreeMap<String, String> = q
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(UsageQuery::from_params(&back, now()).unwrap(), q);
    }

    #[test]
    fn from_and_to_are_start_and_end() {
        let named = |a: &str, b: &str| {
            UsageQuery::from_params(
                &params(&[
                    (a, "2026-11-01T00:00:00Z"),
                    (b, "2026-11-02T00:00:00Z"),
                    ("bucket", "hour"),
                ]),
                now(),
            )
            .unwrap()
        };
        assert_eq!(named("from", "to"), named("start", "end"));
    }

    #[test]
    fn a_report_as_csv_has_a_column_per_grouped_dimension() {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let row = |key: &str, model: &str, requests| UsageRow {
            bucket: Some(at),
            key_id: Some(key.into()),
            model: Some(model.into()),
            workload: None,
            requests,
            errors: 1,
            input_tokens: 10 * requests,
            output_tokens: 2 * requests,
            estimated_requests: 0,
        };
        let report = UsageReport {
            start: at,
            end: at + TimeDelta::days(1),
            bucket: UsageBucket::Day,
            group_by: vec![UsageDimension::Key, UsageDimension::Model],
            rows: vec![row("k1", "llama", 3), row("k2", "qwen", 4)],
            keys: vec![
                UsageKeyRef {
                    id: "k1".into(),
                    name: "=evil()".into(),
                    masked: "kw_live_…a1b2".into(),
                    revoked: false,
                },
                UsageKeyRef {
                    id: "k2".into(),
                    name: "batch, nightly".into(),
                    masked: "kw_live_…c3d4".into(),
                    revoked: true,
                },
            ],
        };
        assert_eq!(
            report.to_csv(),
            "bucket,key_id,key_name,model,requests,errors,input_tokens,output_tokens,estimated_requests\n\
             2026-11-01T00:00:00+00:00,k1,'=evil(),llama,3,1,30,6,0\n\
             2026-11-01T00:00:00+00:00,k2,\"batch, nightly\",qwen,4,1,40,8,0\n"
        );
        let whole = UsageReport {
            bucket: UsageBucket::None,
            group_by: vec![],
            rows: vec![UsageRow {
                bucket: None,
                key_id: None,
                model: None,
                ..row("", "", 7)
            }],
            keys: vec![],
            ..report
        };
        assert_eq!(
            whole.to_csv(),
            "requests,errors,input_tokens,output_tokens,estimated_requests\n7,1,70,14,0\n"
        );
    }

    #[test]
    fn every_refusal_names_its_parameter() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("end", "2026-11-02T00:00:00Z")], "start"),
            (
                &[("start", "yesterday"), ("end", "2026-11-02T00:00:00Z")],
                "start",
            ),
            (
                &[
                    ("start", "2026-11-02T00:00:00Z"),
                    ("end", "2026-11-01T00:00:00Z"),
                ],
                "end",
            ),
            (
                &[
                    ("start", "2024-01-01T00:00:00Z"),
                    ("end", "2026-11-01T00:00:00Z"),
                ],
                "end",
            ),
            (
                &[
                    ("start", "2026-11-01T00:00:00Z"),
                    ("end", "2026-11-02T00:00:00Z"),
                    ("bucket", "week"),
                ],
                "bucket",
            ),
            (
                &[
                    ("start", "2026-11-01T00:00:00Z"),
                    ("end", "2026-11-02T00:00:00Z"),
                    ("bucket", "minute"),
                ],
                "bucket",
            ),
            (
                &[
                    ("start", "2026-11-01T00:00:00Z"),
                    ("end", "2026-11-02T00:00:00Z"),
                    ("group_by", "team"),
                ],
                "group_by",
            ),
            (
                &[
                    ("start", "2026-11-01T00:00:00Z"),
                    ("end", "2026-11-02T00:00:00Z"),
                    ("limit", "5"),
                ],
                "query",
            ),
            (
                &[("from", "last week"), ("to", "2026-11-02T00:00:00Z")],
                "from",
            ),
            (
                &[
                    ("start", "2026-11-01T00:00:00Z"),
                    ("from", "2026-11-01T00:00:00Z"),
                    ("end", "2026-11-02T00:00:00Z"),
                ],
                "from",
            ),
        ];
        for (pairs, field) in cases {
            let error = UsageQuery::from_params(&params(pairs), now()).unwrap_err();
            assert_eq!(error.field, *field, "{pairs:?}: {}", error.message);
        }
        let many = (0..=MAX_FILTER_VALUES)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let error = UsageQuery::from_params(
            &params(&[
                ("start", "2026-11-01T00:00:00Z"),
                ("end", "2026-11-02T00:00:00Z"),
                ("models", &many),
            ]),
            now(),
        )
        .unwrap_err();
        assert_eq!(error.field, "models");
    }

    #[test]
    fn recent_minutes_are_allowed() {
        let q = UsageQuery::from_params(
            &params(&[
                ("start", "2026-11-22T09:00:30Z"),
                ("end", "2026-11-22T10:30:00Z"),
                ("bucket", "minute"),
            ]),
            now(),
        )
        .unwrap();
        assert_eq!(
            q.start,
            Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
        );
        assert_eq!(q.bucket, UsageBucket::Minute);
    }
}
