//! The account an OpenRouter fake serves: public fields so a test can shape it, and a
//! deterministic generator for volume.
//!
//! Money is kept in integer micro-dollars and only turned into JSON numbers on the way
//! out, so every total the fake serves (a key's daily, weekly and monthly usage, its
//! remaining limit, the activity rows, the credits) is an exact sum of the same
//! records: a test can check the adapter's decimals against these to the micro.

use crate::seedgen::{Rng, KEY_PURPOSES};
use chrono::{DateTime, Datelike, DurationRound, NaiveDate, TimeDelta, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// Models of the generated usage: (model, permaslug, provider, USD micros per 1K prompt
/// tokens, per 1K completion tokens).
pub(crate) const MODELS: &[(&str, &str, &str, i64, i64)] = &[
    (
        "openai/gpt-4.1",
        "openai/gpt-4.1-2025-04-14",
        "OpenAI",
        2_000,
        8_000,
    ),
    (
        "anthropic/claude-sonnet-4",
        "anthropic/claude-4-sonnet-20250522",
        "Anthropic",
        3_000,
        15_000,
    ),
    (
        "meta-llama/llama-3.3-70b-instruct",
        "meta-llama/llama-3.3-70b-instruct",
        "DeepInfra",
        130,
        390,
    ),
];

/// How a money limit resets (midnight UTC; weeks start on Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReset {
    Daily,
    Weekly,
    Monthly,
}

impl LimitReset {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReset::Daily => "daily",
            LimitReset::Weekly => "weekly",
            LimitReset::Monthly => "monthly",
        }
    }

    pub(crate) fn parse(value: &str) -> Option<LimitReset> {
        [LimitReset::Daily, LimitReset::Weekly, LimitReset::Monthly]
            .into_iter()
            .find(|r| r.as_str() == value)
    }
}

/// An inference key. `secret` is the full key (`sk-or-v1-<64 hex>`), never served after
/// its creation; `hash` is its SHA-256 in hex, the key's id.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub hash: String,
    pub secret: String,
    pub name: String,
    pub disabled: bool,
    /// USD micros; `None` = no limit.
    pub limit_micros: Option<i64>,
    pub limit_reset: Option<LimitReset>,
    pub include_byok_in_limit: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub creator_user_id: Option<String>,
}

impl ApiKey {
    /// What the API shows instead of the secret: `sk-or-v1-` and three hex digits,
    /// `...`, the last three.
    pub fn label(&self) -> String {
        label_of(&self.secret)
    }
}

pub fn label_of(secret: &str) -> String {
    let head: String = secret.chars().take(12).collect();
    let tail = &secret[secret.len().saturating_sub(3)..];
    format!("{head}...{tail}")
}

/// SHA-256 of a secret in lower-case hex: OpenRouter's key id.
pub fn hash_of(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh `sk-or-v1-<64 hex>` secret.
pub(crate) fn new_secret(rng: &mut Rng) -> String {
    let hex: String = (0..4).map(|_| format!("{:016x}", rng.next())).collect();
    format!("sk-or-v1-{hex}")
}

/// One day of one key's use of one model (UTC), summed into the activity rows and the
/// keys' money totals.
#[derive(Debug, Clone)]
pub struct UsageRecord {
    pub day: NaiveDate,
    pub key_hash: String,
    pub model: String,
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    pub usage_micros: i64,
}

/// A guardrail (read-only here): the model allowlist and extra budget OpenRouter
/// attaches to keys.
#[derive(Debug, Clone)]
pub struct Guardrail {
    pub id: String,
    pub name: String,
    pub allowed_models: Option<Vec<String>>,
    pub limit_micros: Option<i64>,
    pub reset_interval: Option<LimitReset>,
    pub created_at: DateTime<Utc>,
    /// Key hashes assigned to it (a key has at most one guardrail).
    pub key_hashes: Vec<String>,
}

/// Everything an OpenRouter fake serves.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The fake's clock: today's usage counts from midnight before it, activity ends
    /// the day before it.
    pub now: DateTime<Utc>,
    /// The management key every admin call must present.
    pub management_key: String,
    pub workspace_id: String,
    pub user_id: String,
    pub keys: Vec<ApiKey>,
    pub usage: Vec<UsageRecord>,
    pub guardrails: Vec<Guardrail>,
    pub total_credits_micros: i64,
    /// Secrets for keys created through the API come from here.
    pub(crate) rng_state: u64,
}

impl Seed {
    /// A generated account whose clock is the current hour.
    pub fn generated(keys: usize) -> Seed {
        let now = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
        Seed::generated_at(keys, now)
    }

    /// The full secret of a seeded key, to "leak" in a test.
    pub fn secret_of(&self, hash: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.hash == hash)
            .map(|k| k.secret.as_str())
    }

    /// A key's money use since `from` (inclusive day), in micros.
    pub fn usage_since(&self, hash: &str, from: Option<NaiveDate>) -> i64 {
        self.usage
            .iter()
            .filter(|u| u.key_hash == hash && from.is_none_or(|f| u.day >= f))
            .map(|u| u.usage_micros)
            .sum()
    }

    /// The first day of the current period of `reset` (`None`: lifetime).
    pub fn period_start(&self, reset: Option<LimitReset>) -> Option<NaiveDate> {
        let today = self.now.date_naive();
        reset.map(|r| match r {
            LimitReset::Daily => today,
            LimitReset::Weekly => {
                today - TimeDelta::days(today.weekday().num_days_from_monday() as i64)
            }
            LimitReset::Monthly => today.with_day(1).unwrap(),
        })
    }

    /// The completed UTC days activity covers: the 30 before today.
    pub fn activity_days(&self) -> (NaiveDate, NaiveDate) {
        let today = self.now.date_naive();
        (today - TimeDelta::days(30), today - TimeDelta::days(1))
    }

    /// `keys` keys (every fourth disabled; every third with a monthly limit, some with
    /// a daily or a lifetime one; every seventh expiring next New Year), 45 days of
    /// usage ending today (so activity's 30-day window cuts it, and today is only in
    /// the keys' totals), and one guardrail holding the first two keys to two models.
    /// The same arguments give the same account.
    pub fn generated_at(keys: usize, now: DateTime<Utc>) -> Seed {
        let mut rng = Rng::new(0x0E_5EED ^ keys as u64);
        let origin = now - TimeDelta::days(400);
        let mut seed = Seed {
            now,
            management_key: new_secret(&mut rng),
            workspace_id: uuid(&mut rng),
            user_id: format!("user_{}", rng.token(27).replace(['-', '_'], "x")),
            keys: Vec::new(),
            usage: Vec::new(),
            guardrails: Vec::new(),
            total_credits_micros: 500_000_000,
            rng_state: 0,
        };
        for k in 0..keys {
            let secret = new_secret(&mut rng);
            let (limit_micros, limit_reset) = match k % 15 {
                0 | 3 | 6 | 9 | 12 => (
                    Some(50_000_000 + k as i64 * 1_250_000),
                    Some(LimitReset::Monthly),
                ),
                5 | 10 => (Some(2_500_000), Some(LimitReset::Daily)),
                7 => (Some(100_000_000), None),
                _ => (None, None),
            };
            let created_at = origin + TimeDelta::minutes(k as i64 * 7);
            seed.keys.push(ApiKey {
                hash: hash_of(&secret),
                secret,
                name: format!("{}-{k}", rng.pick(KEY_PURPOSES)),
                disabled: k % 4 == 3,
                limit_micros,
                limit_reset,
                include_byok_in_limit: false,
                created_at,
                updated_at: (k % 2 == 0).then_some(created_at + TimeDelta::days(3)),
                expires_at: (k % 7 == 6)
                    .then(|| Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0).unwrap()),
                creator_user_id: Some(seed.user_id.clone()),
            });
        }
        let today = now.date_naive();
        for key in &seed.keys {
            if rng.below(6) == 0 {
                continue;
            }
            for back in 0..45 {
                let day = today - TimeDelta::days(back);
                for _ in 0..rng.below(3) {
                    let (model, ..) = *rng.pick(MODELS);
                    if seed
                        .usage
                        .iter()
                        .any(|u| u.day == day && u.key_hash == key.hash && u.model == model)
                    {
                        continue;
                    }
                    let &(_, _, _, prompt_price, completion_price) =
                        MODELS.iter().find(|m| m.0 == model).unwrap();
                    let requests = 1 + rng.below(40);
                    let prompt_tokens = 200 + rng.below(30_000);
                    let completion_tokens = 20 + rng.below(5_000);
                    let usage_micros = (prompt_tokens as i64 * prompt_price
                        + completion_tokens as i64 * completion_price)
                        / 1_000;
                    seed.usage.push(UsageRecord {
                        day,
                        key_hash: key.hash.clone(),
                        model: model.to_owned(),
                        requests,
                        prompt_tokens,
                        completion_tokens,
                        reasoning_tokens: rng.below(3) * 100,
                        usage_micros,
                    });
                }
            }
        }
        if seed.keys.len() >= 2 {
            seed.guardrails.push(Guardrail {
                id: uuid(&mut rng),
                name: "Approved models".into(),
                allowed_models: Some(vec![MODELS[0].0.to_owned(), MODELS[2].0.to_owned()]),
                limit_micros: Some(25_000_000),
                reset_interval: Some(LimitReset::Weekly),
                created_at: origin + TimeDelta::days(1),
                key_hashes: seed.keys[..2].iter().map(|k| k.hash.clone()).collect(),
            });
        }
        seed.rng_state = rng.next();
        seed
    }
}

pub(crate) fn uuid(rng: &mut Rng) -> String {
    let hex = format!("{:016x}{:016x}", rng.next(), rng.next());
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}
