//! The organisation an Anthropic fake serves: public fields so a test can add the keys it
//! needs (two keys whose hints collide), and a deterministic generator for volume.
//!
//! Each key keeps its full secret (`sk-ant-api03-…AA`); the fake serves only its
//! `partial_key_hint`, so a test can "leak" a seeded key and check that Keyward finds it.

use crate::seedgen::{Rng, KEY_PURPOSES, PEOPLE};
use chrono::{DateTime, DurationRound, TimeDelta, TimeZone, Utc};

/// Models of the generated usage with their prices in USD cents per 1M tokens:
/// (model, description name, input, 5-minute cache write, 1-hour cache write, cache
/// read, output). Costs are computed from these exactly (integer micro-cents).
pub(crate) const MODELS: &[(&str, &str, u64, u64, u64, u64, u64)] = &[
    (
        "claude-sonnet-4-20250514",
        "Claude Sonnet 4",
        300,
        375,
        600,
        30,
        1_500,
    ),
    (
        "claude-3-5-haiku-20241022",
        "Claude Haiku 3.5",
        80,
        100,
        160,
        8,
        400,
    ),
    (
        "claude-opus-4-1-20250805",
        "Claude Opus 4.1",
        1_500,
        1_875,
        3_000,
        150,
        7_500,
    ),
];

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// The admin key the fake accepts (`sk-ant-admin01-…`).
#[derive(Debug, Clone)]
pub struct AdminKey {
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    pub display_color: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Inactive,
    Archived,
    Expired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Inactive => "inactive",
            KeyStatus::Archived => "archived",
            KeyStatus::Expired => "expired",
        }
    }

    pub(crate) fn parse(value: &str) -> Option<KeyStatus> {
        [
            KeyStatus::Active,
            KeyStatus::Inactive,
            KeyStatus::Archived,
            KeyStatus::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// An API key. `secret` is the full key, never served; `workspace_id` is the default
/// workspace's id for keys in it.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub secret: String,
    pub workspace_id: String,
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// A `users[].id`.
    pub created_by_user_id: String,
}

impl ApiKey {
    /// What the API shows instead of the secret: its first 16 characters, `...`, its
    /// last 4 (`sk-ant-api03-R2D...igAA`).
    pub fn partial_key_hint(&self) -> String {
        partial_hint(&self.secret)
    }
}

pub fn partial_hint(secret: &str) -> String {
    let head: String = secret.chars().take(16).collect();
    let tail = &secret[secret.len().saturating_sub(4)..];
    format!("{head}...{tail}")
}

/// One slice of messages usage, summed into the usage report and priced into the cost
/// report. `api_key_id` is `None` for Workbench usage, `workspace_id` `None` for the
/// default workspace, as the reports show them.
#[derive(Debug, Clone)]
pub struct UsageRecord {
    /// Unix seconds.
    pub at: i64,
    pub api_key_id: Option<String>,
    pub workspace_id: Option<String>,
    pub model: String,
    pub uncached_input_tokens: u64,
    pub cache_creation_5m_input_tokens: u64,
    pub cache_creation_1h_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub output_tokens: u64,
    pub web_search_requests: u64,
}

/// Everything an Anthropic fake serves.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The fake's clock: reports end here unless asked otherwise.
    pub now: DateTime<Utc>,
    pub organization: Organization,
    pub admin_key: AdminKey,
    pub users: Vec<User>,
    /// Listed only with `include_default=true`; keys in it have this workspace id.
    pub default_workspace_id: String,
    pub workspaces: Vec<Workspace>,
    pub keys: Vec<ApiKey>,
    pub usage: Vec<UsageRecord>,
}

impl Seed {
    /// A generated organisation whose usage ends at the current hour.
    pub fn generated(workspaces: usize, keys_per_workspace: usize) -> Seed {
        let now = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
        Seed::generated_at(workspaces, keys_per_workspace, now)
    }

    /// The full secret of a seeded key, to "leak" in a test.
    pub fn secret_of(&self, key_id: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.id == key_id)
            .map(|k| k.secret.as_str())
    }

    /// `workspaces` workspaces of `keys_per_workspace` keys each (every fifth key
    /// inactive and every fifth archived, the rest active), 40 days of messages usage by
    /// those keys ending at `now`, plus Workbench usage in the default workspace. The
    /// same arguments give the same organisation.
    pub fn generated_at(workspaces: usize, keys_per_workspace: usize, now: DateTime<Utc>) -> Seed {
        let mut rng =
            Rng::new(0x0A17_5EED ^ ((workspaces as u64) << 32) ^ keys_per_workspace as u64);
        let now_s = now.timestamp();
        let origin = now_s - 400 * 86_400;
        let at = |s: i64| Utc.timestamp_opt(s, 0).unwrap();
        let users: Vec<User> = PEOPLE
            .iter()
            .map(|(name, handle)| User {
                id: format!("user_01{}", rng.token(22).replace(['-', '_'], "x")),
                name: (*name).to_owned(),
                email: format!("{handle}@example.com"),
            })
            .collect();
        let org_hex = format!("{:016x}{:016x}", rng.next(), rng.next());
        let mut seed = Seed {
            now,
            organization: Organization {
                id: format!(
                    "{}-{}-{}-{}-{}",
                    &org_hex[0..8],
                    &org_hex[8..12],
                    &org_hex[12..16],
                    &org_hex[16..20],
                    &org_hex[20..32]
                ),
                name: "Example Org".into(),
            },
            admin_key: AdminKey {
                secret: format!("sk-ant-admin01-{}AA", rng.token(91)),
            },
            users,
            default_workspace_id: format!("wrkspc_01{}", rng.token(22).replace(['-', '_'], "x")),
            workspaces: Vec::new(),
            keys: Vec::new(),
            usage: Vec::new(),
        };
        const COLORS: &[&str] = &["#6C5BB9", "#C9643B", "#3B82C9", "#3BA55C", "#C93B6E"];
        for w in 0..workspaces {
            let workspace_id = format!("wrkspc_01{}", rng.token(22).replace(['-', '_'], "x"));
            let created = origin + 2 * 86_400 + w as i64 * 3_600;
            seed.workspaces.push(Workspace {
                id: workspace_id.clone(),
                name: format!("Workspace {:02}", w + 1),
                created_at: at(created),
                archived_at: None,
                display_color: COLORS[w % COLORS.len()].to_owned(),
            });
            for k in 0..keys_per_workspace {
                let status = match k % 5 {
                    3 => KeyStatus::Inactive,
                    4 => KeyStatus::Archived,
                    _ => KeyStatus::Active,
                };
                seed.keys.push(ApiKey {
                    id: format!("apikey_01{}", rng.token(22).replace(['-', '_'], "x")),
                    name: format!("{}-{k}", rng.pick(KEY_PURPOSES)),
                    secret: format!("sk-ant-api03-{}AA", rng.token(93)),
                    workspace_id: workspace_id.clone(),
                    status,
                    created_at: at(created + 86_400 + k as i64 * 600),
                    expires_at: None,
                    created_by_user_id: rng.pick(&seed.users).id.clone(),
                });
            }
        }
        let first_day = now_s.div_euclid(86_400) * 86_400 - 40 * 86_400;
        let users_of_usage: Vec<(Option<String>, Option<String>)> = seed
            .keys
            .iter()
            .map(|k| (Some(k.id.clone()), Some(k.workspace_id.clone())))
            .chain(std::iter::once((None, None)))
            .collect();
        for (api_key_id, workspace_id) in users_of_usage {
            if rng.below(5) == 0 {
                continue;
            }
            for day in 0..41 {
                for _ in 0..rng.below(3) {
                    let t = first_day + day * 86_400 + rng.below(86_400) as i64;
                    if t >= now_s {
                        continue;
                    }
                    seed.usage.push(UsageRecord {
                        at: t,
                        api_key_id: api_key_id.clone(),
                        workspace_id: workspace_id.clone(),
                        model: rng.pick(MODELS).0.to_owned(),
                        uncached_input_tokens: 100 + rng.below(20_000),
                        cache_creation_5m_input_tokens: rng.below(3) * 1_000,
                        cache_creation_1h_input_tokens: rng.below(2) * 500,
                        cache_read_input_tokens: rng.below(8_000),
                        output_tokens: 20 + rng.below(4_000),
                        web_search_requests: rng.below(4).saturating_sub(2),
                    });
                }
            }
        }
        seed.usage.sort_by_key(|u| u.at);
        seed
    }
}
