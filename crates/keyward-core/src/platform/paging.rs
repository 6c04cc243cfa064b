//! What admin APIs share beyond HTTP: lists paged by a cursor, usage reports paged by
//! a page token, and usage reports folded into the console's rollup shapes. OpenAI and
//! Anthropic (and the platforms after them) differ only in parameter names and wire
//! members; the loops, their guards and the folding rules live here once.

use crate::platform::model::{
    Key, KeyState, UsageBucket, UsageDimension, UsageKeyRef, UsageQuery, UsageReport, UsageRow,
};
use crate::{Error, ErrorCode, Profile};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::future::Future;

/// Pages followed at most: 90 days of hours at 168 a page is 13 pages; a list of
/// 100,000 keys at 100 a page is 1,000.
pub const MAX_PAGES: usize = 2_000;

/// One page of a cursor-paged list: its items, and the cursor of the next page when
/// the platform says there is one.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Every page, in order: `fetch(None)` for the first, then `fetch(Some(cursor))`
/// while a page names a next one. A platform that repeats a cursor, or pages past
/// [`MAX_PAGES`], is refused with a sentence rather than followed forever.
pub async fn every_page<T, F, Fut>(profile: &Profile, mut fetch: F) -> Result<Vec<T>, Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = fetch(cursor.clone()).await?;
        let empty = page.items.is_empty();
        items.extend(page.items);
        match page.next {
            Some(next) if !empty => {
                if cursor.as_ref() == Some(&next) {
                    return Err(Error::new(
                        ErrorCode::Upstream,
                        format!(
                            "{} repeated a page cursor; the list is incomplete. Try again later.",
                            profile.base_url
                        ),
                    ));
                }
                cursor = Some(next);
            }
            _ => return Ok(items),
        }
    }
    Err(Error::new(
        ErrorCode::Upstream,
        format!(
            "{} answered more than {MAX_PAGES} pages; choose a shorter period or a narrower filter.",
            profile.base_url
        ),
    ))
}

/// The report width for the screen's bucket (OpenAI's and Anthropic's names), and the
/// most buckets the platform serves per page of it. Both align buckets to UTC minutes,
/// hours and days, so totals (`none`) are read in the widest width both ends of the
/// range fall on — a day bucket over a range starting at 14:00 would count the morning.
pub fn report_width(query: &UsageQuery) -> (&'static str, &'static str) {
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

/// The id under which usage made without an API key is grouped (the playground,
/// Anthropic's Workbench).
pub const UNATTRIBUTED: &str = "unattributed";

/// A row's place: bucket start (none for totals), key, model.
type RowPlace = (Option<DateTime<Utc>>, Option<String>, Option<String>);

/// A platform's usage buckets folded into rollup rows: by bucket (none for totals),
/// and by key and model where the query groups by them.
pub struct Rollup<'q> {
    query: &'q UsageQuery,
    by_key: bool,
    by_model: bool,
    rows: BTreeMap<RowPlace, UsageRow>,
}

impl<'q> Rollup<'q> {
    pub fn new(query: &'q UsageQuery) -> Self {
        Self {
            query,
            by_key: query.group_by.contains(&UsageDimension::Key),
            by_model: query.group_by.contains(&UsageDimension::Model),
            rows: BTreeMap::new(),
        }
    }

    pub fn by_key(&self) -> bool {
        self.by_key
    }

    pub fn by_model(&self) -> bool {
        self.by_model
    }

    /// Adds one result of the bucket starting at `start`: `key_id` is the console's id
    /// (`None` = made without a key), `model` the model when the platform says.
    pub fn add(
        &mut self,
        start: DateTime<Utc>,
        key_id: Option<String>,
        model: Option<&str>,
        requests: u64,
        input_tokens: u64,
        output_tokens: u64,
    ) {
        let bucket = (self.query.bucket != UsageBucket::None).then_some(start);
        let key_id = self
            .by_key
            .then(|| key_id.unwrap_or_else(|| UNATTRIBUTED.to_owned()));
        let model = self.by_model.then(|| model.unwrap_or_default().to_owned());
        let row = self
            .rows
            .entry((bucket, key_id.clone(), model.clone()))
            .or_insert_with(|| UsageRow {
                bucket,
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
        row.requests = row.requests.saturating_add(n(requests));
        row.input_tokens = row.input_tokens.saturating_add(n(input_tokens));
        row.output_tokens = row.output_tokens.saturating_add(n(output_tokens));
    }

    /// The report, with the keys named from `inventory` when grouped by key (a key no
    /// longer listed, or revoked, is marked revoked: its usage still counts).
    pub fn finish(self, inventory: &[Key], unattributed_name: &str) -> UsageReport {
        let rows: Vec<UsageRow> = self.rows.into_values().collect();
        let mut keys: BTreeMap<String, UsageKeyRef> = BTreeMap::new();
        for id in rows.iter().filter_map(|r| r.key_id.as_ref()) {
            if keys.contains_key(id) {
                continue;
            }
            let found = inventory.iter().find(|k| &k.id == id);
            let unattributed = id == UNATTRIBUTED;
            keys.insert(
                id.clone(),
                UsageKeyRef {
                    id: id.clone(),
                    name: match (found, unattributed) {
                        (Some(key), _) => key.name.clone(),
                        (None, true) => unattributed_name.to_owned(),
                        (None, false) => id.clone(),
                    },
                    masked: found.and_then(|k| k.hint.clone()).unwrap_or_default(),
                    revoked: !unattributed && found.is_none_or(|k| k.state == KeyState::Revoked),
                },
            );
        }
        UsageReport {
            start: self.query.start,
            end: self.query.end,
            bucket: self.query.bucket,
            group_by: self.query.group_by.clone(),
            rows,
            keys: keys.into_values().collect(),
        }
    }
}
