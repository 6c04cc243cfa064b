//! Per-key limits on the data plane: requests per minute and tokens per minute as two
//! separate GCRA limiters (`governor`), and token budgets per period by reservation.
//!
//! **rpm / tpm.** A key with `rpm = N` gets a GCRA quota of N per minute with a burst of
//! N, so N requests always fit in a minute (the limiter never trips below the
//! configured value) and the (N+1)th is refused until a cell frees up. tpm charges the
//! request's token estimate (prompt ≈ bytes / 4, plus the most output the upstream may
//! generate: `max_tokens`/`max_completion_tokens` or [`DEFAULT_MAX_TOKENS`], times
//! `n`/`best_of`); a request estimated above the whole per-minute allowance is
//! refused outright with a message saying so. Limiters are rebuilt when a key's
//! configured values change.
//!
//! **Token budgets.** `token_limit` per `token_limit_period` (calendar-aligned in UTC:
//! minute, hour, day, ISO week from Monday, month). Before forwarding, the request's
//! estimate is *reserved* under the key's lock; the request is refused if used +
//! reserved + estimate would exceed the limit. When the answer is metered the
//! reservation is *settled* to the actual usage, and on an upstream error or a client
//! disconnect it is released (only what was served is counted). The output share of the
//! estimate is the worst case the upstream may generate, so requests that bound their
//! output cannot overspend together, and a budgeted key's request that sets no bound is
//! forwarded with `max_tokens` = [`DEFAULT_MAX_TOKENS`] (what was reserved for it; see
//! `proxy.rs`). What can still exceed a reservation is a prompt that tokenizes denser
//! than bytes / 4 (CJK, emoji). The budget's `used` is read from the usage rollups
//! when a period is first seen by this process and kept in memory afterwards.
//!
//! **Headers.** Every answer, admitted or refused, carries the six `x-ratelimit-*`
//! headers, so a client can pace itself on any of them.

use crate::cluster::{self, Cluster, Outcome};
use crate::db::{on, Db};
use chrono::{DateTime, Duration, Utc};
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use keyward_api::TokenLimitPeriod;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

/// Tokens reserved for the answer when a request sets no `max_tokens`; for a key with a
/// token budget, also the bound the upstream is told.
pub const DEFAULT_MAX_TOKENS: u64 = 1024;

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

struct KeyLimiters {
    rpm: Option<(u32, Limiter)>,
    tpm: Option<(u32, Tpm)>,
}

/// The tokens-per-minute limiter, and what it had left after its last admitted request:
/// a refusal (of the request, or of rpm before tpm is asked) must not charge tpm, and
/// `governor` cannot be asked what remains without charging, so the headers of a
/// refusal replenish the last known state at the limiter's rate.
struct Tpm {
    limiter: Limiter,
    last: Mutex<Option<(u32, std::time::Instant)>>,
}

impl Tpm {
    fn remember(&self, remaining: u32) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((remaining, std::time::Instant::now()));
    }

    /// Tokens left now, without charging any.
    fn peek(&self, limit: u32) -> u32 {
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        let Some((remaining, at)) = last else {
            return limit;
        };
        let refilled = at.elapsed().as_secs_f64() * f64::from(limit) / 60.0;
        (f64::from(remaining) + refilled).min(f64::from(limit)) as u32
    }
}

fn limiter(per_minute: u32) -> Option<(u32, Limiter)> {
    let n = NonZeroU32::new(per_minute)?;
    Some((
        per_minute,
        RateLimiter::direct(Quota::per_minute(n)).with_middleware::<StateInformationMiddleware>(),
    ))
}

/// One family of `x-ratelimit-*` headers: the limit, what remains of it, and the time
/// until it is whole again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: u64,
    pub remaining: u64,
    pub reset: std::time::Duration,
}

impl Window {
    /// What a key without that limit is told: a limit no client will reach
    /// (4,294,967,295), never used up. Clients read these headers as integers, so
    /// "no limit" is a number too.
    pub const UNLIMITED: Window = Window {
        limit: u32::MAX as u64,
        remaining: u32::MAX as u64,
        reset: std::time::Duration::ZERO,
    };

    /// A per-minute limiter's window.
    fn per_minute(limit: u32, remaining: u32) -> Self {
        Window {
            limit: limit.into(),
            remaining: remaining.into(),
            reset: until_full(limit, remaining),
        }
    }

    /// The window that runs out first.
    fn tighter(a: Option<Window>, b: Option<Window>) -> Window {
        match (a, b) {
            (Some(a), Some(b)) if b.remaining < a.remaining => b,
            (Some(a), _) => a,
            (None, Some(b)) => b,
            (None, None) => Window::UNLIMITED,
        }
    }
}

/// What a limit check tells the client, admitted or refused: both families of
/// `x-ratelimit-*` headers, always. Tokens are the key's tokens-per-minute or its
/// budget, whichever has less left (the budget when it refused the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateHeaders {
    pub requests: Window,
    pub tokens: Window,
}

impl Default for RateHeaders {
    fn default() -> Self {
        Self {
            requests: Window::UNLIMITED,
            tokens: Window::UNLIMITED,
        }
    }
}

/// Why a request was refused with 429.
#[derive(Debug, Clone)]
pub struct Refused {
    pub message: String,
    pub retry_after: std::time::Duration,
    pub headers: RateHeaders,
}

/// Why a request was not admitted: a limit, or (across replicas) no Redis to ask, or
/// no database to seed a budget period from.
#[derive(Debug)]
pub enum Denied {
    Refused(Refused),
    Unavailable(cluster::Unavailable),
    Database(sqlx::Error),
}

/// The refusals' sentences, one place for both the in-process and the shared limiter.
mod say {
    use chrono::{DateTime, Utc};

    fn secs(wait: std::time::Duration) -> u64 {
        wait.as_secs().max(1)
    }

    pub fn rpm(limit: u32, wait: std::time::Duration) -> String {
        format!("Rate limit reached: this API key may make {limit} requests per minute. Retry after {} s.", secs(wait))
    }

    pub fn tpm(limit: u32, estimate: u64, wait: std::time::Duration) -> String {
        format!("Rate limit reached: this API key may use {limit} tokens per minute and this request needs about {estimate}. Retry after {} s.", secs(wait))
    }

    pub fn tpm_never(limit: u32, estimate: u64) -> String {
        format!("This request needs about {estimate} tokens, more than the {limit} tokens per minute this API key may use at all. Lower max_tokens or the prompt.")
    }

    pub fn budget_never(estimate: u64, limit: u64, kind: &str) -> String {
        format!("This request may use up to {estimate} tokens (its prompt, and max_tokens times n), more than the {limit} tokens per {kind} this API key may use at all. Lower max_tokens or n.")
    }

    pub fn budget_exhausted(
        limit: u64,
        kind: &str,
        left: u64,
        estimate: u64,
        renews: DateTime<Utc>,
    ) -> String {
        format!(
            "Token budget exhausted: this API key may use {limit} tokens per {kind}; {left} remain and this request needs about {estimate}. The budget renews at {}.",
            renews.to_rfc3339()
        )
    }
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

impl Period {
    /// The `kind` budget period holding `now`: keyward-api's one definition, which the
    /// console charts budgets over too.
    fn of(kind: TokenLimitPeriod, now: DateTime<Utc>) -> Self {
        let (start, end) = kind.window(now);
        Period { start, end }
    }
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
    /// Across replicas: the Redis counter it was taken from (key id, period start).
    shared: Option<(Cluster, String, DateTime<Utc>)>,
}

impl Reservation {
    fn none(estimate: u64) -> Self {
        Self {
            ledger: None,
            period: None,
            estimate,
            shared: None,
        }
    }

    /// The request's token estimate (also what tpm charged).
    pub fn estimate(&self) -> u64 {
        self.estimate
    }

    /// Replaces the reservation by what was actually used. Across replicas the change
    /// is Redis's to make: await the returned [`Settlement`] before answering, so the
    /// client's next request sees it (a failed request's reservation released), or
    /// drop it to have it made in the background (a stream's end).
    pub fn settle(mut self, used: u64) -> Settlement {
        self.close(used)
    }

    fn close(&mut self, used: u64) -> Settlement {
        if let Some((cluster, key_id, period_start)) = self.shared.take() {
            return Settlement(Some((cluster, key_id, period_start, self.estimate, used)));
        }
        let (Some(ledger), Some(period)) = (self.ledger.take(), self.period) else {
            return Settlement(None);
        };
        let mut ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
        if ledger.period == period {
            ledger.reserved = ledger.reserved.saturating_sub(self.estimate);
            ledger.used += used;
        }
        Settlement(None)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // Not settled: the request failed before any usage; release it all.
        drop(self.close(0));
    }
}

/// A shared reservation's settlement (key id, period start, reserved, used) not yet
/// made in Redis; nothing on a single node. Dropped unawaited, it is made in the
/// background; one Redis never gets leaves the reservation counted until the period
/// ends (the safe side of a budget).
#[must_use = "await `applied` before answering, or drop it to settle in the background"]
pub struct Settlement(Option<(Cluster, String, DateTime<Utc>, u64, u64)>);

impl Settlement {
    /// Nothing to settle.
    pub fn none() -> Self {
        Settlement(None)
    }

    pub async fn applied(mut self) {
        if let Some((cluster, key_id, period_start, reserved, used)) = self.0.take() {
            settle_shared(&cluster, &key_id, period_start, reserved, used).await;
        }
    }
}

impl Drop for Settlement {
    fn drop(&mut self) {
        if let Some((cluster, key_id, period_start, reserved, used)) = self.0.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    settle_shared(&cluster, &key_id, period_start, reserved, used).await;
                });
            }
        }
    }
}

async fn settle_shared(
    cluster: &Cluster,
    key_id: &str,
    period_start: DateTime<Utc>,
    reserved: u64,
    used: u64,
) {
    if let Err(error) = cluster.settle(key_id, period_start, reserved, used).await {
        tracing::warn!(%error, key_id, "budget settlement not recorded in Redis");
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
    pub token_limit_period: Option<TokenLimitPeriod>,
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
            tpm: limiter(tpm).map(|(limit, limiter)| {
                (
                    limit,
                    Tpm {
                        limiter,
                        last: Mutex::new(None),
                    },
                )
            }),
        });
        self.rates.insert(key.key_id.to_owned(), fresh.clone());
        fresh
    }

    /// Checks rpm, then tpm for `estimate` tokens, then reserves the estimate against
    /// the token budget. On refusal nothing is charged or reserved; either way the
    /// answer carries every `x-ratelimit-*` header. Across replicas (`cluster`) the
    /// counters are Redis's, shared by all of them; else this process's.
    pub async fn admit(
        &self,
        pool: &Db,
        cluster: Option<&Cluster>,
        key: &KeyLimits<'_>,
        estimate: u64,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, RateHeaders), Denied> {
        match cluster {
            Some(cluster) => admit_shared(pool, cluster, key, estimate, now).await,
            None => self
                .admit_here(pool, key, estimate, now)
                .await
                .map_err(Denied::Refused),
        }
    }

    async fn admit_here(
        &self,
        pool: &Db,
        key: &KeyLimits<'_>,
        estimate: u64,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, RateHeaders), Refused> {
        let limiters = self.limiters(key);
        let clock = &self.clock;
        let mut headers = RateHeaders::default();
        // (message, Retry-After) of the first limit that refuses.
        let mut refusal: Option<(String, std::time::Duration)> = None;
        if let Some((limit, rpm)) = &limiters.rpm {
            match rpm.check() {
                Ok(state) => {
                    headers.requests = Window::per_minute(*limit, state.remaining_burst_capacity());
                }
                Err(not_until) => {
                    let wait = not_until.wait_time_from(clock.now());
                    headers.requests = Window::per_minute(*limit, 0);
                    refusal = Some((say::rpm(*limit, wait), wait));
                }
            }
        }
        let mut tokens_per_minute = None;
        if let Some((limit, tpm)) = &limiters.tpm {
            let cells = NonZeroU32::new(estimate.clamp(1, u64::from(u32::MAX)) as u32)
                .expect("clamped to at least 1");
            let checked = match refusal {
                Some(_) => None,
                None => Some(tpm.limiter.check_n(cells)),
            };
            match checked {
                Some(Ok(Ok(state))) => {
                    let remaining = state.remaining_burst_capacity();
                    tpm.remember(remaining);
                    tokens_per_minute = Some(Window::per_minute(*limit, remaining));
                }
                Some(Ok(Err(not_until))) => {
                    let wait = not_until.wait_time_from(clock.now());
                    refusal = Some((say::tpm(*limit, estimate, wait), wait));
                }
                Some(Err(_)) => {
                    refusal = Some((
                        say::tpm_never(*limit, estimate),
                        std::time::Duration::from_secs(60),
                    ));
                }
                None => {}
            }
            tokens_per_minute =
                tokens_per_minute.or_else(|| Some(Window::per_minute(*limit, tpm.peek(*limit))));
        }
        let budget = match (key.token_limit, key.token_limit_period) {
            (Some(limit), Some(kind)) => Some((limit, kind.as_str(), Period::of(kind, now))),
            _ => None,
        };
        let Some((limit, kind, period)) = budget else {
            headers.tokens = Window::tighter(tokens_per_minute, None);
            return match refusal {
                Some((message, retry_after)) => Err(Refused {
                    message,
                    retry_after,
                    headers,
                }),
                None => Ok((Reservation::none(estimate), headers)),
            };
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
        let renewal = (period.end - now).to_std().unwrap_or_default();
        let left = book.limit.saturating_sub(book.used + book.reserved);
        let budget_window = |remaining| Window {
            limit: book.limit,
            remaining,
            reset: renewal,
        };
        if let Some((message, retry_after)) = refusal {
            headers.tokens = Window::tighter(tokens_per_minute, Some(budget_window(left)));
            return Err(Refused {
                message,
                retry_after,
                headers,
            });
        }
        if estimate > left {
            headers.tokens = budget_window(left);
            let message = if estimate > book.limit {
                // Waiting for the renewal would not help.
                say::budget_never(estimate, book.limit, kind)
            } else {
                say::budget_exhausted(book.limit, kind, left, estimate, period.end)
            };
            return Err(Refused {
                message,
                retry_after: renewal,
                headers,
            });
        }
        headers.tokens = Window::tighter(tokens_per_minute, Some(budget_window(left - estimate)));
        book.reserved += estimate;
        drop(book);
        Ok((
            Reservation {
                ledger: Some(ledger),
                period: Some(period),
                estimate,
                shared: None,
            },
            headers,
        ))
    }

    /// The key's ledger for `period`, loading what the period already used from the
    /// usage rollups when this process first sees it.
    async fn ledger(
        &self,
        pool: &Db,
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

/// How long a shared budget counter outlives its period (then the rollups seed it again).
const BUDGET_COUNTER_MARGIN: Duration = Duration::hours(1);

/// [`Limits::admit`] across replicas: one Lua script in Redis (`cluster::ADMIT`), a
/// second round trip only the first time a budget period is seen (its seed).
async fn admit_shared(
    pool: &Db,
    cluster: &Cluster,
    key: &KeyLimits<'_>,
    estimate: u64,
    now: DateTime<Utc>,
) -> Result<(Reservation, RateHeaders), Denied> {
    let (rpm, tpm) = (as_u32(key.rpm), as_u32(key.tpm));
    let budget = match (key.token_limit, key.token_limit_period) {
        (Some(limit), Some(kind)) => Some((limit.max(0), kind.as_str(), Period::of(kind, now))),
        _ => None,
    };
    if rpm == 0 && tpm == 0 && budget.is_none() {
        // Nothing to count: no round trip.
        return Ok((Reservation::none(estimate), RateHeaders::default()));
    }
    let mut ask = cluster::Ask {
        key_id: key.key_id,
        rpm,
        tpm,
        estimate,
        budget: budget.map(|(limit, _, period)| cluster::BudgetAsk {
            limit,
            period_start: period.start,
            expires_in_ms: (period.end - now + BUDGET_COUNTER_MARGIN).num_milliseconds(),
            seed: None,
        }),
    };
    let mut verdict = cluster.admit(&ask).await.map_err(Denied::Unavailable)?;
    if verdict.outcome == Outcome::NeedSeed {
        if let (Some(asked), Some((_, _, period))) = (ask.budget.as_mut(), budget) {
            let used = used_in(pool, key.key_id, period)
                .await
                .map_err(Denied::Database)?;
            asked.seed = Some(used.min(i64::MAX as u64) as i64);
        }
        verdict = cluster.admit(&ask).await.map_err(Denied::Unavailable)?;
    }
    let mut headers = RateHeaders::default();
    if rpm > 0 {
        headers.requests = Window::per_minute(rpm, verdict.rpm_remaining);
    }
    let tokens_per_minute = (tpm > 0).then(|| Window::per_minute(tpm, verdict.tpm_remaining));
    let budget_window = budget.map(|(limit, _, period)| Window {
        limit: limit as u64,
        remaining: verdict.budget_left,
        reset: (period.end - now).to_std().unwrap_or_default(),
    });
    headers.tokens = Window::tighter(tokens_per_minute, budget_window);
    let wait = |ms: u64| std::time::Duration::from_millis(ms);
    let refused = |message: String, retry_after: std::time::Duration, headers: RateHeaders| {
        Err(Denied::Refused(Refused {
            message,
            retry_after,
            headers,
        }))
    };
    match verdict.outcome {
        Outcome::Admitted => {}
        Outcome::RpmRefused => {
            let retry = wait(verdict.rpm_wait_ms);
            return refused(say::rpm(rpm, retry), retry, headers);
        }
        Outcome::TpmRefused => {
            let retry = wait(verdict.tpm_wait_ms);
            return refused(say::tpm(tpm, estimate, retry), retry, headers);
        }
        Outcome::TpmNeverFits => {
            let retry = std::time::Duration::from_secs(60);
            return refused(say::tpm_never(tpm, estimate), retry, headers);
        }
        Outcome::BudgetRefused | Outcome::NeedSeed => {
            let (limit, kind, period) = budget.expect("only a budget refuses or asks a seed");
            let renewal = (period.end - now).to_std().unwrap_or_default();
            headers.tokens = budget_window.unwrap_or(Window::UNLIMITED);
            let message = if estimate > limit as u64 {
                say::budget_never(estimate, limit as u64, kind)
            } else {
                say::budget_exhausted(
                    limit as u64,
                    kind,
                    verdict.budget_left,
                    estimate,
                    period.end,
                )
            };
            return refused(message, renewal, headers);
        }
    }
    let reservation = Reservation {
        ledger: None,
        period: None,
        estimate,
        shared: budget.map(|(_, _, period)| (cluster.clone(), key.key_id.to_owned(), period.start)),
    };
    Ok((reservation, headers))
}

/// Tokens the key used within `period`, from the finest rollup that covers it.
async fn used_in(pool: &Db, key_id: &str, period: Period) -> sqlx::Result<u64> {
    let span = period.end - period.start;
    let table = if span <= Duration::hours(1) {
        "usage_minute"
    } else if span <= Duration::days(1) {
        "usage_hour"
    } else {
        "usage_day"
    };
    let used: Option<i64> = on!(pool, |e| {
        sqlx::query_scalar(&format!(
        "SELECT CAST(SUM(input_tokens + output_tokens) AS BIGINT) FROM {table} WHERE key_id = $1 AND bucket >= $2 AND bucket < $3"
    ))
    .bind(key_id)
    .bind(period.start)
    .bind(period.end)
    .fetch_one(e)
    .await
    })?;
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

/// Estimated tokens of a request: the body at ≈4 bytes a token, plus the most output
/// the upstream may generate for it (`max_tokens` or the default, × `n`/`best_of`).
pub fn estimate_tokens(body_bytes: usize, output_tokens: u64) -> u64 {
    (body_bytes as u64)
        .div_ceil(4)
        .saturating_add(output_tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_are_calendar_aligned_in_utc() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 13, 45, 10).unwrap(); // a Sunday
        let week = Period::of(TokenLimitPeriod::Week, now);
        assert_eq!(
            week.start,
            Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap()
        );
        assert_eq!(
            week.end,
            Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
        );
        let month = Period::of(
            TokenLimitPeriod::Month,
            Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap(),
        );
        assert_eq!(
            month.end,
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            Period::of(TokenLimitPeriod::Hour, now).start,
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
