//! The organisation an OpenAI fake serves: public fields so a test can add the objects it
//! needs (two keys whose redacted values collide, a project without keys), and a
//! deterministic generator for volume.
//!
//! Each key keeps its full secret here; the fake never serves it (only `redacted_value`),
//! so a test can "leak" a seeded key and check that Keyward finds it by its redacted form.

use crate::seedgen::{Rng, KEY_PURPOSES, PEOPLE};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Models the generated usage and rate limits use, with USD prices per 1M tokens
/// (input, cached input, output), from which costs are computed.
pub(crate) const MODELS: &[(&str, f64, f64, f64)] = &[
    ("gpt-4o-2024-08-06", 2.5, 1.25, 10.0),
    ("gpt-4o-mini-2024-07-18", 0.15, 0.075, 0.6),
    ("gpt-4.1-2025-04-14", 2.0, 0.5, 8.0),
    ("o3-mini-2025-01-31", 1.1, 0.55, 4.4),
];

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// The admin key the fake accepts (`sk-admin-…`), listed by `/organization/admin_api_keys`.
#[derive(Debug, Clone)]
pub struct AdminKey {
    pub id: String,
    pub name: String,
    pub secret: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// A `users[].id`.
    pub owner_user_id: String,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `owner` or `member` (the organisation role).
    pub role: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// Archived projects are listed only with `include_archived=true`.
    pub archived_at: Option<i64>,
    pub rate_limits: Vec<RateLimit>,
    /// `None` is the platform's default: nothing denied.
    pub model_permissions: Option<ModelPermissions>,
    /// `None`: no spend limit set (`GET …/spend_limit` answers 404).
    pub spend_limit: Option<SpendLimit>,
}

#[derive(Debug, Clone)]
pub struct RateLimit {
    pub id: String,
    pub model: String,
    pub max_requests_per_1_minute: u64,
    pub max_tokens_per_1_minute: u64,
    pub max_requests_per_1_day: Option<u64>,
    pub batch_1_day_max_input_tokens: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionMode {
    AllowList,
    DenyList,
}

#[derive(Debug, Clone)]
pub struct ModelPermissions {
    pub mode: PermissionMode,
    pub model_ids: Vec<String>,
}

/// A monthly hard cap in USD cents.
#[derive(Debug, Clone)]
pub struct SpendLimit {
    pub threshold_amount: u64,
    pub enforcing: bool,
}

#[derive(Debug, Clone)]
pub struct ServiceAccount {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// `member` or `owner`.
    pub role: String,
    pub created_at: i64,
}

/// Who owns a project API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    /// A `users[].id`.
    User(String),
    /// A `service_accounts[].id`.
    ServiceAccount(String),
}

/// A project API key. `secret` is the full key (`sk-proj-…` for a user's,
/// `sk-svcacct-…` for a service account's), never served.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub secret: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub owner: KeyOwner,
}

impl ApiKey {
    /// What the API shows instead of the secret.
    pub fn redacted_value(&self) -> String {
        redact(&self.secret)
    }
}

/// One slice of completions usage: the usage report sums these into buckets, and the
/// cost report prices them with the model's rates.
#[derive(Debug, Clone)]
pub struct UsageRecord {
    /// Unix seconds.
    pub at: i64,
    pub project_id: String,
    pub api_key_id: Option<String>,
    pub user_id: Option<String>,
    pub model: String,
    pub input_tokens: u64,
    /// Part of `input_tokens` read from the prompt cache.
    pub input_cached_tokens: u64,
    pub output_tokens: u64,
    pub num_model_requests: u64,
}

/// Everything an OpenAI fake serves.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The fake's clock: reports end here unless asked otherwise.
    pub now: DateTime<Utc>,
    pub organization: Organization,
    pub admin_key: AdminKey,
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    pub service_accounts: Vec<ServiceAccount>,
    pub keys: Vec<ApiKey>,
    pub usage: Vec<UsageRecord>,
}

/// A secret as OpenAI redacts it: its kind prefix, `****...`, its last 4 characters
/// (`sk-proj-****...AbCd`).
pub fn redact(secret: &str) -> String {
    let prefix = ["sk-proj-", "sk-svcacct-", "sk-admin-"]
        .into_iter()
        .find(|p| secret.starts_with(p))
        .unwrap_or("sk-");
    let tail = &secret[secret.len().saturating_sub(4)..];
    format!("{prefix}****...{tail}")
}

impl Seed {
    /// A generated organisation whose usage ends at the current hour.
    pub fn generated(projects: usize, keys_per_project: usize) -> Seed {
        let now = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
        Seed::generated_at(projects, keys_per_project, now)
    }

    /// The full secret of a seeded key (project or admin key), to "leak" in a test.
    pub fn secret_of(&self, key_id: &str) -> Option<&str> {
        if self.admin_key.id == key_id {
            return Some(&self.admin_key.secret);
        }
        self.keys
            .iter()
            .find(|k| k.id == key_id)
            .map(|k| k.secret.as_str())
    }

    /// `projects` projects of `keys_per_project` keys each — every third key owned by a
    /// service account of its own, the rest by the organisation's users; a quarter of the
    /// keys never used — and 40 days of completions usage for the used keys, ending at
    /// `now`. The same arguments give the same organisation.
    pub fn generated_at(projects: usize, keys_per_project: usize, now: DateTime<Utc>) -> Seed {
        let mut rng = Rng::new(0x05EE_D0A1 ^ ((projects as u64) << 32) ^ keys_per_project as u64);
        let now_s = now.timestamp();
        let origin = now_s - 400 * 86_400;
        let users: Vec<User> = PEOPLE
            .iter()
            .enumerate()
            .map(|(i, (name, handle))| User {
                id: format!("user-{}", rng.id(24)),
                name: (*name).to_owned(),
                email: format!("{handle}@example.com"),
                role: if i == 0 { "owner" } else { "member" }.to_owned(),
                created_at: origin + i as i64 * 3_600,
            })
            .collect();
        let admin_key = AdminKey {
            id: format!("key_{}", rng.id(16)),
            name: "keyward".into(),
            secret: format!("sk-admin-{}", rng.token(64)),
            created_at: origin + 86_400,
            last_used_at: Some(now_s - 300),
            owner_user_id: users[0].id.clone(),
        };
        let mut seed = Seed {
            now,
            organization: Organization {
                id: format!("org-{}", rng.id(24)),
                name: "Example Org".into(),
            },
            admin_key,
            users,
            projects: Vec::new(),
            service_accounts: Vec::new(),
            keys: Vec::new(),
            usage: Vec::new(),
        };
        for p in 0..projects {
            let project_id = format!("proj_{}", rng.id(24));
            let created = origin + 2 * 86_400 + p as i64 * 3_600;
            seed.projects.push(Project {
                id: project_id.clone(),
                name: format!("Project {:02}", p + 1),
                created_at: created,
                archived_at: None,
                rate_limits: MODELS
                    .iter()
                    .map(|(model, ..)| RateLimit {
                        id: format!("rl-{model}"),
                        model: (*model).to_owned(),
                        max_requests_per_1_minute: 500 * (1 + rng.below(20)),
                        max_tokens_per_1_minute: 200_000 * (1 + rng.below(50)),
                        max_requests_per_1_day: Some(10_000),
                        batch_1_day_max_input_tokens: Some(2_000_000),
                    })
                    .collect(),
                model_permissions: (p % 3 == 1).then(|| ModelPermissions {
                    mode: PermissionMode::AllowList,
                    model_ids: vec![MODELS[1].0.to_owned(), MODELS[2].0.to_owned()],
                }),
                spend_limit: (p % 2 == 0).then(|| SpendLimit {
                    threshold_amount: 50_000 * (1 + rng.below(10)),
                    enforcing: p % 4 == 0,
                }),
            });
            for k in 0..keys_per_project {
                let key_created = created + 86_400 + (k as i64) * 600;
                let purpose = rng.pick(KEY_PURPOSES);
                let (owner, secret) = if k % 3 == 2 {
                    let sa = ServiceAccount {
                        id: format!("svc_acct_{}", rng.id(16)),
                        project_id: project_id.clone(),
                        name: format!("{purpose}-bot-{k}"),
                        role: "member".into(),
                        created_at: key_created,
                    };
                    let owner = KeyOwner::ServiceAccount(sa.id.clone());
                    seed.service_accounts.push(sa);
                    (owner, format!("sk-svcacct-{}", rng.token(156)))
                } else {
                    let user = rng.pick(&seed.users).id.clone();
                    (KeyOwner::User(user), format!("sk-proj-{}", rng.token(156)))
                };
                seed.keys.push(ApiKey {
                    id: format!("key_{}", rng.id(16)),
                    project_id: project_id.clone(),
                    name: format!("{purpose}-{k}"),
                    secret,
                    created_at: key_created,
                    last_used_at: None,
                    owner,
                });
            }
        }
        let first_day = now_s.div_euclid(86_400) * 86_400 - 40 * 86_400;
        for key in seed.keys.iter_mut() {
            if rng.below(4) == 0 {
                continue;
            }
            let user_id = match &key.owner {
                KeyOwner::User(id) => Some(id.clone()),
                KeyOwner::ServiceAccount(_) => None,
            };
            for day in 0..41 {
                for _ in 0..rng.below(3) {
                    let at = first_day + day * 86_400 + rng.below(86_400) as i64;
                    if at >= now_s {
                        continue;
                    }
                    let model = rng.pick(MODELS).0;
                    let input = 200 + rng.below(20_000);
                    seed.usage.push(UsageRecord {
                        at,
                        project_id: key.project_id.clone(),
                        api_key_id: Some(key.id.clone()),
                        user_id: user_id.clone(),
                        model: model.to_owned(),
                        input_tokens: input,
                        input_cached_tokens: input / (2 + rng.below(6)),
                        output_tokens: 50 + rng.below(4_000),
                        num_model_requests: 1 + rng.below(30),
                    });
                    key.last_used_at = Some(key.last_used_at.unwrap_or(at).max(at));
                }
            }
        }
        seed.usage.sort_by_key(|u| u.at);
        seed
    }
}
