//! Per-key limits on the data plane: requests per minute and tokens per minute as two
//! separate GCRA limiters (`governor`), and token budgets per period by reservation.
//!
//! **rpm / tpm.** A key with `rpm = N` gets a GCRA quota of N per minute with a burst of
//! N, so N requests always fit in a minute (the limiter never trips below the
//! configured value) and the (N+1)th is refused until a cell frees up. tpm charges the
//! request's token estimate (prompt ≈ bytes / 4, plus `max_tokens` or
//! [`DEFAULT_MAX_TOKENS`]); a request estimated above the whole per-minute allowance is
//! refused outright with a message saying so. Limiters are rebuilt when a key's
//! configured values change.
//!
//! **Token budgets.** `token_limit` per `token_limit_period` (calendar-aligned in UTC:
//! minute, hour, day, ISO week from Monday, month). Before forwarding, the request's
//! estimate is *reserved* under the key's lock; the request is refused if used +
//! reserved + estimate would exceed the limit. When the answer is metered the
//! reservation is *settled* to the actual usage, and on an upstream error or a client
//! disconnect it is released (only what was served is counted). So concurrent requests
//! can never overspend by more than one request's underestimate. The budget's `used`
//! is read from the usage rollups when a period is first seen by this process and kept
//! in memory afterwards.

use chrono::{DateTime, Datelike, Duration, DurationRound, TimeZone, Utc};
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use sqlx::SqlitePool;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

/// Tokens assumed for the answer when a request sets no `max_tokens`.
pub const DEFAULT_MAX_TOKENS: u64 = 1024;

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

struct KeyLimiters {
    rpm: Option<(u32, Limiter)>,
    tpm: Option<(u32, Limiter)>,
}

fn limiter(per_minute: u32) -> Option<(u32, Limiter)> {
    let n = NonZeroU32::new(per_minute)?;
    Some((
        per_minute,
        RateLimiter::direct(Quota::per_minute(n)).with_middleware::<StateInformationMiddleware>(),
    ))
}

/// What a limit check tells the client, success or not (`x-ratelimit-*`).
#[derive(Debug, Clone, Default)]
pub struct RateHeaders {
    pub requests: Option<(u32, u32, std::time::Duration)>,
    pub tokens: Option<(u32, u32, std::time::Duration)>,
}

/// Why a request was refused with 429.
#[derive(Debug, Clone)]
pub struct Refused {
    pub message: String,
    pub retry_after: std::time::Duration,
    pub headers: RateHeaders,
}

/// Time until a limiter with `remaining` of `limit` cells is full again.
fn until_full(limit: u32, remaining: u32) -> std::time::Duration {
    let per_cell = std::time::Duration::from_secs(60) / limit.max(1);
    per_cell * limit.saturating_sub(remaining)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Period {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn period_of(kind: &str, now: DateTime<Utc>) -> Option<Period> {
    let (start, end) = match kind {
        "minute" => {
            let s = now.duration_trunc(Duration::minutes(1)).ok()?;
            (s, s + Duration::minutes(1))
        }
        "hour" => {
            let s = now.duration_trunc(Duration::hours(1)).ok()?;
            (s, s + Duration::hours(1))
        }
        "day" => {
            let s = now.duration_trunc(Duration::days(1)).ok()?;
            (s, s + Duration::days(1))
        }
        "week" => {
            let day = now.duration_trunc(Duration::days(1)).ok()?;
            let s = day - Duration::days(i64::from(now.weekday().num_days_from_monday()));
            (s, s + Duration::weeks(1))
        }
        "month" => {
            let s = Utc
                .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
                .single()?;
            let (y, m) = if now.month() == 12 {
                (now.year() + 1, 1)
            } else {
                (now.year(), now.month() + 1)
            };
            (s, Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()?)
        }
        _ => return None,
    };
    Some(Period { start, end })
}

#[derive(Debug)]
struct Ledger {
    period: Period,
    limit: u64,
    used: u64,
    reserved: u64,
}

/// A budget reservation; settle it with the actual usage, or drop it to release.
pub struct Reservation {
    ledger: Option<Arc<Mutex<Ledger>>>,
    period: Option<Period>,
    estimate: u64,
}

impl Reservation {
    fn none(estimate: u64) -> Self {
        Self {
            ledger: None,
            period: None,
            estimate,
        }
    }

    /// The request's token estimate (also what tpm charged).
    pub fn estimate(&self) -> u64 {
        self.estimate
    }

    /// Replaces the reservation by what was actually used.
    pub fn settle(mut self, used: u64) {
        self.close(used);
    }

    fn close(&mut self, used: u64) {
        let (Some(ledger), Some(period)) = (self.ledger.take(), self.period) else {
            return;
        };
        let mut ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
        if ledger.period == period {
            ledger.reserved = ledger.reserved.saturating_sub(self.estimate);
            ledger.used += used;
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // Not settled: the request failed before any usage; release it all.
        self.close(0);
    }
}

#[derive(Default)]
pub struct Limits {
    rates: DashMap<String, Arc<KeyLimiters>, crate::FastHash>,
    budgets: DashMap<String, Arc<Mutex<Ledger>>, crate::FastHash>,
    /// For `Retry-After` only; made once (a clock calibrates on creation).
    clock: DefaultClock,
}

/// The limits a key is configured with (from the key cache).
pub struct KeyLimits<'a> {
    pub key_id: &'a str,
    pub rpm: Option<i64>,
    pub tpm: Option<i64>,
    pub token_limit: Option<i64>,
    pub token_limit_period: Option<&'a str>,
}

fn as_u32(v: Option<i64>) -> u32 {
    v.map(|v| v.clamp(0, i64::from(u32::MAX)) as u32)
        .unwrap_or(0)
}

impl Limits {
    fn limiters(&self, key: &KeyLimits<'_>) -> Arc<KeyLimiters> {
        let (rpm, tpm) = (as_u32(key.rpm), as_u32(key.tpm));
        if let Some(existing) = self.rates.get(key.key_id) {
            let same = existing.rpm.as_ref().map_or(0, |l| l.0) == rpm
                && existing.tpm.as_ref().map_or(0, |l| l.0) == tpm;
            if same {
                return existing.clone();
            }
        }
        let fresh = Arc::new(KeyLimiters {
            rpm: limiter(rpm),
            tpm: limiter(tpm),
        });
        self.rates.insert(key.key_id.to_owned(), fresh.clone());
        fresh
    }

    /// Checks rpm, then tpm for `estimate` tokens, then reserves the estimate against
    /// the token budget. On refusal nothing is reserved.
    pub async fn admit(
        &self,
        pool: &SqlitePool,
        key: &KeyLimits<'_>,
        estimate: u64,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, RateHeaders), Refused> {
        let limiters = self.limiters(key);
        let clock = &self.clock;
        let mut headers = RateHeaders::default();
        if let Some((limit, rpm)) = &limiters.rpm {
            match rpm.check() {
                Ok(state) => {
                    let remaining = state.remaining_burst_capacity();
                    headers.requests = Some((*limit, remaining, until_full(*limit, remaining)));
                }
                Err(not_until) => {
                    let wait = not_until.wait_time_from(clock.now());
                    headers.requests = Some((*limit, 0, until_full(*limit, 0)));
                    return Err(Refused {
                        message: format!("Rate limit reached: this API key may make {limit} requests per minute. Retry after {} s.", wait.as_secs().max(1)),
                        retry_after: wait,
                        headers,
                    });
                }
            }
        }
        if let Some((limit, tpm)) = &limiters.tpm {
            let cells = NonZeroU32::new(estimate.clamp(1, u64::from(u32::MAX)) as u32)
                .expect("clamped to at least 1");
            match tpm.check_n(cells) {
                Ok(Ok(state)) => {
                    let remaining = state.remaining_burst_capacity();
                    headers.tokens = Some((*limit, remaining, until_full(*limit, remaining)));
                }
                Ok(Err(not_until)) => {
                    let wait = not_until.wait_time_from(clock.now());
                    headers.tokens = Some((*limit, 0, until_full(*limit, 0)));
                    return Err(Refused {
                        message: format!("Rate limit reached: this API key may use {limit} tokens per minute and this request needs about {estimate}. Retry after {} s.", wait.as_secs().max(1)),
                        retry_after: wait,
                        headers,
                    });
                }
                Err(_) => {
                    headers.tokens = Some((*limit, 0, until_full(*limit, 0)));
                    return Err(Refused {
                        message: format!("This request needs about {estimate} tokens, more than the {limit} tokens per minute this API key may use at all. Lower max_tokens or the prompt."),
                        retry_after: std::time::Duration::from_secs(60),
                        headers,
                    });
                }
            }
        }
        let (Some(limit), Some(kind)) = (key.token_limit, key.token_limit_period) else {
            return Ok((Reservation::none(estimate), headers));
        };
        let Some(period) = period_of(kind, now) else {
            return Ok((Reservation::none(estimate), headers));
        };
        let limit = limit.max(0) as u64;
        let ledger = self.ledger(pool, key.key_id, period, limit).await;
        let mut book = ledger.lock().unwrap_or_else(|p| p.into_inner());
        if book.period != period {
            // Another request moved the ledger on; this one is at the boundary.
            *book = Ledger {
                period,
                limit,
                used: 0,
                reserved: 0,
            };
        }
        book.limit = limit;
        if book.used + book.reserved + estimate > book.limit {
            let wait = (period.end - now).to_std().unwrap_or_default();
            let left = book.limit.saturating_sub(book.used + book.reserved);
            return Err(Refused {
                message: format!(
                    "Token budget exhausted: this API key may use {} tokens per {kind}; {left} remain and this request needs about {estimate}. The budget renews at {}.",
                    book.limit,
                    period.end.to_rfc3339()
                ),
                retry_after: wait,
                headers,
            });
        }
        book.reserved += estimate;
        drop(book);
        Ok((
            Reservation {
                ledger: Some(ledger),
                period: Some(period),
                estimate,
            },
            headers,
        ))
    }

    /// The key's ledger for `period`, loading what the period already used from the
    /// usage rollups when this process first sees it.
    async fn ledger(
        &self,
        pool: &SqlitePool,
        key_id: &str,
        period: Period,
        limit: u64,
    ) -> Arc<Mutex<Ledger>> {
        if let Some(existing) = self.budgets.get(key_id) {
            if existing.lock().unwrap_or_else(|p| p.into_inner()).period == period {
                return existing.clone();
            }
        }
        // Boxed: the query's future is large and this runs once per key and period.
        let used = Box::pin(used_in(pool, key_id, period))
            .await
            .unwrap_or_else(|error| {
                tracing::error!(%error, key_id, "cannot read budget usage; counting from zero");
                0
            });
        let entry = self
            .budgets
            .entry(key_id.to_owned())
            .or_insert_with(|| {
                Arc::new(Mutex::new(Ledger {
                    period,
                    limit,
                    used,
                    reserved: 0,
                }))
            })
            .clone();
        {
            let mut book = entry.lock().unwrap_or_else(|p| p.into_inner());
            if book.period != period && period.start > book.period.start {
                *book = Ledger {
                    period,
                    limit,
                    used,
                    reserved: 0,
                };
            }
        }
        entry
    }
}

/// Tokens the key used within `period`, from the finest rollup that covers it.
async fn used_in(pool: &SqlitePool, key_id: &str, period: Period) -> sqlx::Result<u64> {
    let span = period.end - period.start;
    let table = if span <= Duration::hours(1) {
        "usage_minute"
    } else if span <= Duration::days(1) {
        "usage_hour"
    } else {
        "usage_day"
    };
    let used: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT SUM(input_tokens + output_tokens) FROM {table} WHERE key_id = ? AND bucket >= ? AND bucket < ?"
    ))
    .bind(key_id)
    .bind(period.start)
    .bind(period.end)
    .fetch_one(pool)
    .await?;
    Ok(used.unwrap_or(0).max(0) as u64)
}

/// OpenAI's duration style for `x-ratelimit-reset-*`: `1s`, `6m0s`, `20ms`.
pub fn format_reset(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    if secs < 60 {
        return format!("{secs}s");
    }
    format!("{}m{}s", secs / 60, secs % 60)
}

/// Estimated tokens of a request: the body at ≈4 bytes a token, plus the answer's cap.
pub fn estimate_tokens(body_bytes: usize, max_tokens: Option<u64>) -> u64 {
    (body_bytes as u64).div_ceil(4) + max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_calendar_aligned_in_utc() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 13, 45, 10).unwrap(); // a Sunday
        let week = period_of("week", now).unwrap();
        assert_eq!(
            week.start,
            Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap()
        );
        assert_eq!(
            week.end,
            Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
        );
        let month = period_of(
            "month",
            Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(
            month.end,
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            period_of("hour", now).unwrap().start,
            Utc.with_ymd_and_hms(2026, 11, 22, 13, 0, 0).unwrap()
        );
    }

    #[test]
    fn reset_durations_read_like_openais() {
        assert_eq!(format_reset(std::time::Duration::from_millis(20)), "20ms");
        assert_eq!(format_reset(std::time::Duration::from_secs(1)), "1s");
        assert_eq!(format_reset(std::time::Duration::from_secs(360)), "6m0s");
    }
}
