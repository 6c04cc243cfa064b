//! What replicas share through Redis (`--redis-url`): change versions, so a key revoked
//! on one replica is refused by every replica from the next request; rate limits and
//! token budgets counted once for all of them; and (see `prober`) which replica probes
//! each workload.
//!
//! **Versions.** Each key, each project's workload list, and "all keys" (a change to
//! many keys' scopes) have a counter in Redis that a mutation increments after its
//! transaction commits and before its response is sent. A replica's caches remember the
//! counters they loaded under; every data-plane request reads the three counters it
//! depends on in one `MGET` and reloads from the database whatever moved. Loads read
//! the counter *before* the rows, so a cache can hold a row newer than its counter
//! (reloaded once more, harmless) but never one older. A counter Redis lost (a restart
//! without persistence) reads as absent and differs from every cached value, so caches
//! reload too.
//!
//! **Limits.** rpm and tpm are GCRA in one Lua script per request, on Redis's clock
//! (replicas' clocks never enter the arithmetic); the script also reserves the token
//! budget, so the three checks and their charges are one atomic step: a refused request
//! charges nothing. A budget counter holds the period's used + reserved tokens; it is
//! seeded from the database's usage rollups the first time a period is seen (the script
//! asks for the seed), settled to the actual usage before a unary answer is sent (after a
//! stream's end, in the background), and expires after its period.
//!
//! **Failure.** Redis unreachable or slower than [`RESPONSE_TIMEOUT`]: the data plane
//! refuses requests (503, said in a sentence), because neither a revocation made
//! elsewhere nor a shared limit can be enforced without it — fail closed. A mutation
//! whose counter cannot be incremented is committed but reported as 503, and the counter
//! is incremented in the background as soon as Redis answers again (a cut between one
//! replica and Redis must not leave the others serving a revoked key); repeating the
//! call is safe too, as every mutation (also one that changes nothing, like revoking a
//! revoked key) increments again. See docs/security.md.

use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// Longest wait for Redis on the request path: past it the request is refused rather
/// than left hanging on a paused network.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

/// How often, and how long, a change Redis missed is announced again in the background.
const ANNOUNCE_RETRY: Duration = Duration::from_millis(250);
const ANNOUNCE_FOR: Duration = Duration::from_secs(15 * 60);

/// Redis could not be asked; the message says what that means for the caller.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(String);

impl From<redis::RedisError> for Unavailable {
    fn from(error: redis::RedisError) -> Self {
        Unavailable(error.to_string())
    }
}

/// The counters a request depends on, as read in one round trip (absent = never moved,
/// or lost by Redis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Versions {
    pub key: Option<i64>,
    pub all_keys: Option<i64>,
    pub workloads: Option<i64>,
}

impl Versions {
    /// The part a cached key was loaded under.
    pub fn of_key(&self) -> (Option<i64>, Option<i64>) {
        (self.key, self.all_keys)
    }
}

fn key_version(key_id: &str) -> String {
    format!("kw:v:key:{key_id}")
}
const ALL_KEYS_VERSION: &str = "kw:v:keys";
fn workloads_version(project_id: &str) -> String {
    format!("kw:v:workloads:{project_id}")
}

/// The connection to Redis shared by every worker of a replica (multiplexed, and
/// reconnected by the manager after a failure).
#[derive(Clone)]
pub struct Cluster {
    /// This replica, for the probe leases it holds (a new one per process).
    replica: std::sync::Arc<str>,
    connection: ConnectionManager,
    admit: std::sync::Arc<redis::Script>,
    settle: std::sync::Arc<redis::Script>,
    probe_lease: std::sync::Arc<redis::Script>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cluster")
    }
}

impl Cluster {
    /// Connects to `url` (`redis://` or `rediss://`, a password in the URL or not).
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            replica: uuid::Uuid::now_v7().simple().to_string().into(),
            connection,
            admit: std::sync::Arc::new(redis::Script::new(ADMIT)),
            settle: std::sync::Arc::new(redis::Script::new(SETTLE)),
            probe_lease: std::sync::Arc::new(redis::Script::new(PROBE_LEASE)),
        })
    }

    /// The counters of a key, of all keys, and of the project's workloads.
    pub async fn versions(&self, key_id: &str, project_id: &str) -> Result<Versions, Unavailable> {
        let (key, all_keys, workloads): (Option<i64>, Option<i64>, Option<i64>) =
            redis::cmd("MGET")
                .arg(key_version(key_id))
                .arg(ALL_KEYS_VERSION)
                .arg(workloads_version(project_id))
                .query_async(&mut self.connection.clone())
                .await?;
        Ok(Versions {
            key,
            all_keys,
            workloads,
        })
    }

    /// The project's workload counter alone (control-plane reads).
    pub async fn workloads_version(&self, project_id: &str) -> Result<Option<i64>, Unavailable> {
        Ok(redis::cmd("GET")
            .arg(workloads_version(project_id))
            .query_async(&mut self.connection.clone())
            .await?)
    }

    async fn incr(&self, counter: &str) -> Result<(), Unavailable> {
        let _: i64 = redis::cmd("INCR")
            .arg(counter)
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(())
    }

    /// Increments `counter`; when Redis cannot be asked, says so to the caller (who
    /// answers 503) and keeps trying in the background, so the committed change reaches
    /// the other replicas as soon as Redis answers again, even if nobody repeats it.
    async fn bump(&self, counter: String) -> Result<(), Unavailable> {
        let Err(error) = self.incr(&counter).await else {
            return Ok(());
        };
        let cluster = self.clone();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            while started.elapsed() < ANNOUNCE_FOR {
                tokio::time::sleep(ANNOUNCE_RETRY).await;
                if cluster.incr(&counter).await.is_ok() {
                    tracing::info!(
                        counter,
                        "change announced to the other replicas after a Redis outage"
                    );
                    return;
                }
            }
            tracing::error!(
                counter,
                "change never announced: Redis unreachable for {} minutes",
                ANNOUNCE_FOR.as_secs() / 60
            );
        });
        Err(error)
    }

    /// A key changed: every replica reloads it at its next request.
    pub async fn key_changed(&self, key_id: &str) -> Result<(), Unavailable> {
        self.bump(key_version(key_id)).await
    }

    /// Many keys' scopes changed at once.
    pub async fn all_keys_changed(&self) -> Result<(), Unavailable> {
        self.bump(ALL_KEYS_VERSION.to_owned()).await
    }

    /// A project's workloads changed.
    pub async fn workloads_changed(&self, project_id: &str) -> Result<(), Unavailable> {
        self.bump(workloads_version(project_id)).await
    }

    /// Runs the limits of one request (see the module documentation and [`ADMIT`]).
    pub async fn admit(&self, ask: &Ask<'_>) -> Result<Verdict, Unavailable> {
        let budget_key = ask
            .budget
            .map(|b| format!("kw:budget:{}:{}", ask.key_id, b.period_start.timestamp()))
            .unwrap_or_else(|| "kw:budget:none".into());
        let mut invocation = self.admit.key(format!("kw:rpm:{}", ask.key_id));
        invocation
            .key(format!("kw:tpm:{}", ask.key_id))
            .key(budget_key)
            .arg(ask.rpm)
            .arg(ask.tpm)
            .arg(ask.estimate)
            .arg(ask.budget.map_or(-1, |b| b.limit))
            .arg(ask.budget.and_then(|b| b.seed).unwrap_or(-1))
            .arg(ask.budget.map_or(0, |b| b.expires_in_ms));
        let answer: Vec<i64> = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Verdict::parse(&answer).ok_or_else(|| {
            Unavailable(format!(
                "unexpected answer from the admit script: {answer:?}"
            ))
        })
    }

    /// Replaces a reservation of `reserved` tokens by `used` (0 releases it).
    pub async fn settle(
        &self,
        key_id: &str,
        period_start: DateTime<Utc>,
        reserved: u64,
        used: u64,
    ) -> Result<(), Unavailable> {
        let delta = used as i64 - reserved as i64;
        if delta == 0 {
            return Ok(());
        }
        let _: i64 = self
            .settle
            .key(format!("kw:budget:{key_id}:{}", period_start.timestamp()))
            .arg(delta)
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(())
    }

    /// Whether this replica probes `workload_id` this round: it holds the lease (and
    /// renews it for `ttl`), or nobody does and it takes it. A replica that stops
    /// renewing (stopped, killed, cut off) loses its workloads after `ttl`.
    pub async fn hold_probe_lease(
        &self,
        workload_id: &str,
        ttl: Duration,
    ) -> Result<bool, Unavailable> {
        let held: i64 = self
            .probe_lease
            .key(format!("kw:probe:{workload_id}"))
            .arg(&*self.replica)
            .arg(ttl.as_millis().max(1) as u64)
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(held == 1)
    }
}

/// One request's limits, for [`Cluster::admit`]. 0 = no such limit.
pub struct Ask<'a> {
    pub key_id: &'a str,
    pub rpm: u32,
    pub tpm: u32,
    pub estimate: u64,
    pub budget: Option<BudgetAsk>,
}

#[derive(Debug, Clone, Copy)]
pub struct BudgetAsk {
    pub limit: i64,
    pub period_start: DateTime<Utc>,
    /// Milliseconds until the counter may be forgotten (the period's end, plus a margin).
    pub expires_in_ms: i64,
    /// What the period already used by the database's rollups, when the script asked.
    pub seed: Option<i64>,
}

/// The script's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// Cells left, and milliseconds until the refused request would fit.
    pub rpm_remaining: u32,
    pub rpm_wait_ms: u64,
    pub tpm_remaining: u32,
    pub tpm_wait_ms: u64,
    /// Tokens left in the budget (after this request's reservation when admitted).
    pub budget_left: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Admitted,
    RpmRefused,
    TpmRefused,
    /// The estimate is more than the whole per-minute allowance.
    TpmNeverFits,
    BudgetRefused,
    /// The budget's period has no counter yet: ask again with the database's figure.
    NeedSeed,
}

impl Verdict {
    fn parse(answer: &[i64]) -> Option<Self> {
        let [outcome, rpm_remaining, rpm_wait_ms, tpm_remaining, tpm_wait_ms, budget_left] =
            *answer
        else {
            return None;
        };
        let outcome = match outcome {
            0 => Outcome::Admitted,
            1 => Outcome::RpmRefused,
            2 => Outcome::TpmRefused,
            3 => Outcome::TpmNeverFits,
            4 => Outcome::BudgetRefused,
            5 => Outcome::NeedSeed,
            _ => return None,
        };
        let small = |v: i64| v.clamp(0, i64::from(u32::MAX)) as u32;
        Some(Verdict {
            outcome,
            rpm_remaining: small(rpm_remaining),
            rpm_wait_ms: rpm_wait_ms.max(0) as u64,
            tpm_remaining: small(tpm_remaining),
            tpm_wait_ms: tpm_wait_ms.max(0) as u64,
            budget_left: budget_left.max(0) as u64,
        })
    }
}

/// rpm, then tpm, then the budget, charged together only when all three admit.
///
/// KEYS: rpm TAT, tpm TAT, budget counter. ARGV: rpm, tpm (0 = none), estimate, budget
/// limit (-1 = none), budget seed (-1 = unknown), budget expiry in ms.
/// GCRA with a burst of the whole minute: a limit of N per minute spaces cells
/// T = 60,000 / N ms apart and admits a cost c when TAT + c·T − N·T ≤ now, so N requests
/// always fit in a minute and the N+1th waits for a cell. Times in ms on Redis's clock.
/// Returns {outcome, rpm remaining, rpm wait ms, tpm remaining, tpm wait ms, budget left}.
const ADMIT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm, tpm, estimate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local limit, seed, expires = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local function gcra(key, n, cost)
  local step = 60000 / n
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + cost * step
  local allow_at = new_tat - n * step
  if allow_at > now then
    return false, math.max(0, math.floor((n * step - (tat - now)) / step)), math.ceil(allow_at - now), new_tat
  end
  return true, math.max(0, math.floor((n * step - (new_tat - now)) / step)), 0, new_tat
end

local outcome = 0
local rpm_left, rpm_wait, tpm_left, tpm_wait = 4294967295, 0, 4294967295, 0
local rpm_tat, tpm_tat
if rpm > 0 then
  local ok
  ok, rpm_left, rpm_wait, rpm_tat = gcra(KEYS[1], rpm, 1)
  if not ok then outcome = 1 end
end
if tpm > 0 then
  if estimate > tpm then
    if outcome == 0 then outcome = 3 end
    local tat = tonumber(redis.call('GET', KEYS[2]) or now)
    if tat < now then tat = now end
    tpm_left = math.max(0, math.floor((tpm * (60000 / tpm) - (tat - now)) / (60000 / tpm)))
  elseif outcome == 0 then
    local ok
    ok, tpm_left, tpm_wait, tpm_tat = gcra(KEYS[2], tpm, estimate)
    if not ok then outcome = 2 end
  else
    local tat = tonumber(redis.call('GET', KEYS[2]) or now)
    if tat < now then tat = now end
    tpm_left = math.max(0, math.floor((tpm * (60000 / tpm) - (tat - now)) / (60000 / tpm)))
  end
end

local budget_left = 4294967295
if limit >= 0 then
  local used = redis.call('GET', KEYS[3])
  if not used then
    if seed < 0 then return {5, 0, 0, 0, 0, 0} end
    redis.call('SET', KEYS[3], seed, 'PX', expires, 'NX')
    used = redis.call('GET', KEYS[3])
  end
  budget_left = math.max(0, limit - tonumber(used))
  if outcome == 0 and estimate > budget_left then outcome = 4 end
end

if outcome == 0 then
  if rpm_tat then redis.call('SET', KEYS[1], rpm_tat, 'PX', math.ceil(rpm_tat - now) + 1) end
  if tpm_tat then redis.call('SET', KEYS[2], tpm_tat, 'PX', math.ceil(tpm_tat - now) + 1) end
  if limit >= 0 then
    redis.call('INCRBY', KEYS[3], estimate)
    budget_left = budget_left - estimate
  end
end
return {outcome, rpm_left, rpm_wait, tpm_left, tpm_wait, budget_left}
"#;

/// Adds ARGV[1] (used − reserved) to a budget counter that still exists (one that
/// expired with its period is not brought back). Returns the counter, or -1.
const SETTLE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return -1
"#;

/// Renews the lease KEYS[1] when ARGV[1] holds it, takes it when nobody does; 1 = held.
const PROBE_LEASE: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"#;
