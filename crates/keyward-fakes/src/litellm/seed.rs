//! The proxy a LiteLLM fake serves: virtual keys (with their raw secrets, which the fake
//! itself never keeps — it stores only their SHA-256, as the proxy does), model
//! deployments with their health, and daily spend records per key and model. Public
//! fields so a test can add what it needs; a deterministic generator for volume.

use crate::seedgen::{Rng, KEY_PURPOSES};
use chrono::{DateTime, Duration, DurationRound, NaiveDate, TimeDelta, Utc};
use sha2::{Digest, Sha256};

/// Deployments the generated proxy routes to: (model group, upstream model, api base).
pub(crate) const DEPLOYMENTS: &[(&str, &str, Option<&str>)] = &[
    ("gpt-4o", "openai/gpt-4o", None),
    ("gpt-4o-mini", "openai/gpt-4o-mini", None),
    ("claude-sonnet", "anthropic/claude-sonnet-4-5", None),
    (
        "llama-3-8b",
        "hosted_vllm/meta-llama/Meta-Llama-3-8B-Instruct",
        Some("http://10.0.0.7:8000/v1"),
    ),
];

/// A virtual key as seeded: the raw secret (`sk-…`) for tests to "leak", and the
/// settings the proxy stores next to its hash.
#[derive(Debug, Clone)]
pub struct VirtualKey {
    pub secret: String,
    pub alias: Option<String>,
    pub models: Vec<String>,
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub rpm_limit: Option<i64>,
    pub tpm_limit: Option<i64>,
    pub spend: f64,
    pub blocked: bool,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
}

impl VirtualKey {
    /// The proxy's id of the key: `hash_token` in `litellm/proxy/utils.py`.
    pub fn token(&self) -> String {
        hash_token(&self.secret)
    }
}

/// A model deployment (`/model/info`), and whether `/health` finds its upstream.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub model_name: String,
    pub model: String,
    pub api_base: Option<String>,
    pub healthy: bool,
}

/// One day of one key's traffic to one model.
#[derive(Debug, Clone)]
pub struct DailySpend {
    pub date: NaiveDate,
    /// The key's hash.
    pub api_key: String,
    pub model: String,
    pub requests: u64,
    pub failed_requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// USD as the proxy records it (a float in its database).
    pub spend: f64,
}

#[derive(Debug, Clone)]
pub struct Seed {
    /// The proxy's `master_key` (`sk-…`).
    pub master_key: String,
    pub keys: Vec<VirtualKey>,
    pub deployments: Vec<Deployment>,
    pub spend: Vec<DailySpend>,
}

/// SHA-256 of the secret, lower-case hex: how the proxy stores and names a key.
pub fn hash_token(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A secret in the proxy's form: `sk-` and `secrets.token_urlsafe(16)` (22 characters).
pub(crate) fn new_secret(rng: &mut Rng) -> String {
    format!("sk-{}", rng.token(22))
}

impl Seed {
    /// `keys` virtual keys, the four deployments (one unhealthy) and `days` days of
    /// spend ending yesterday (UTC), the same on every run.
    pub fn generated(keys: usize, days: usize) -> Seed {
        let mut rng = Rng::new(0x117E_11A1);
        let now = Utc::now().duration_trunc(TimeDelta::days(1)).unwrap();
        let keys: Vec<VirtualKey> = (0..keys)
            .map(|i| {
                let purpose = rng.pick(KEY_PURPOSES);
                let models = match i % 3 {
                    0 => Vec::new(),
                    1 => vec!["gpt-4o-mini".to_owned()],
                    _ => vec!["gpt-4o".to_owned(), "claude-sonnet".to_owned()],
                };
                let mut metadata = serde_json::Map::new();
                metadata.insert(
                    "team".into(),
                    (*rng.pick(&["search", "infra", "ml"])).into(),
                );
                VirtualKey {
                    secret: new_secret(&mut rng),
                    alias: Some(format!("{purpose}-{i:04}")),
                    models,
                    max_budget: (i % 2 == 0).then_some(25.0 + (i % 7) as f64 * 12.5),
                    budget_duration: (i % 4 == 0).then(|| "30d".to_owned()),
                    rpm_limit: (i % 3 == 1).then_some(60),
                    tpm_limit: (i % 3 == 1).then_some(100_000),
                    spend: 0.0,
                    blocked: i % 11 == 5,
                    metadata,
                    created_at: now - Duration::days(90) + Duration::minutes(i as i64),
                    expires: (i % 5 == 3).then(|| now + Duration::days(30)),
                }
            })
            .collect();
        let deployments = DEPLOYMENTS
            .iter()
            .enumerate()
            .map(|(i, (name, model, base))| Deployment {
                id: format!("{:016x}", rng.next()),
                model_name: (*name).to_owned(),
                model: (*model).to_owned(),
                api_base: base.map(str::to_owned),
                healthy: i != 3,
            })
            .collect();
        let mut spend = Vec::new();
        let mut seed = Seed {
            master_key: format!("sk-{}", rng.token(30)),
            keys,
            deployments,
            spend: Vec::new(),
        };
        for day in (1..=days as i64).rev() {
            let date = (now - Duration::days(day)).date_naive();
            for key in seed.keys.iter().take(6) {
                let (model, input_price, output_price) =
                    rng.pick(&[("gpt-4o", 2.5, 10.0), ("gpt-4o-mini", 0.15, 0.6)]);
                let prompt_tokens = 1_000 + rng.below(50_000);
                let completion_tokens = 100 + rng.below(5_000);
                // Whole micro-dollars, so a sum of floats is still exact to the cent.
                let micros = (prompt_tokens as f64 * input_price
                    + completion_tokens as f64 * output_price)
                    .round();
                spend.push(DailySpend {
                    date,
                    api_key: key.token(),
                    model: (*model).to_owned(),
                    requests: 1 + rng.below(200),
                    failed_requests: rng.below(3),
                    prompt_tokens,
                    completion_tokens,
                    spend: micros / 1_000_000.0,
                });
            }
        }
        for key in &mut seed.keys {
            let token = key.token();
            key.spend = spend
                .iter()
                .filter(|s| s.api_key == token)
                .map(|s| s.spend)
                .sum();
        }
        seed.spend = spend;
        seed
    }
}
