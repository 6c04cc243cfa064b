//! Time buckets for the usage and cost reports: both platforms cut a time range into
//! 1-minute, 1-hour or 1-day buckets aligned to UTC, cap how many one page may hold per
//! width, and continue with an opaque `next_page` token.

/// The width of a report bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BucketWidth {
    Minute,
    Hour,
    Day,
}

impl BucketWidth {
    pub(crate) fn parse(value: &str) -> Option<BucketWidth> {
        match value {
            "1m" => Some(BucketWidth::Minute),
            "1h" => Some(BucketWidth::Hour),
            "1d" => Some(BucketWidth::Day),
            _ => None,
        }
    }

    pub(crate) fn seconds(self) -> i64 {
        match self {
            BucketWidth::Minute => 60,
            BucketWidth::Hour => 3_600,
            BucketWidth::Day => 86_400,
        }
    }

    /// (default, maximum) buckets per page, the same on both platforms.
    pub(crate) fn limits(self) -> (usize, usize) {
        match self {
            BucketWidth::Minute => (60, 1_440),
            BucketWidth::Hour => (24, 168),
            BucketWidth::Day => (7, 31),
        }
    }
}

/// A page token that is not one this fake handed out.
#[derive(Debug)]
pub(crate) struct BadPageToken;

/// One page of a report's buckets.
pub(crate) struct BucketPage {
    /// `[start, end)` of each bucket, in unix seconds.
    pub buckets: Vec<(i64, i64)>,
    /// The token of the next page when the range goes on.
    pub next_page: Option<String>,
}

/// The page of buckets covering `[start, end)` of the query from `page` on.
pub(crate) fn bucket_page(
    start: i64,
    end: i64,
    width: BucketWidth,
    limit: usize,
    page: Option<&str>,
) -> Result<BucketPage, BadPageToken> {
    let step = width.seconds();
    let first = start.div_euclid(step) * step;
    let mut at = match page {
        None => first,
        Some(token) => {
            let at: i64 = token
                .strip_prefix("page_")
                .and_then(|t| t.parse().ok())
                .ok_or(BadPageToken)?;
            if at < first || (at - first) % step != 0 {
                return Err(BadPageToken);
            }
            at
        }
    };
    let mut buckets = Vec::new();
    while at < end && buckets.len() < limit {
        buckets.push((at, at + step));
        at += step;
    }
    let next_page = (at < end).then(|| format!("page_{at}"));
    Ok(BucketPage { buckets, next_page })
}
