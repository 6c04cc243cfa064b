//! The account a Gcore fake serves: projects, regions, inference API keys and
//! deployments, with public fields so a test can shape them, and a deterministic
//! generator.
//!
//! Keys and deployments are kept as Gcore keeps them: addressed by name within a
//! project, a key's attachments living on the deployments (`api_keys`) and read back
//! onto the key as `deployment_names`, so the two can never disagree. A deployment holds
//! only what was asked of it (its spec) and where its lifecycle stands ([`Phase`]); the
//! status and containers the API shows are derived from those and from the failures a
//! test injected (see `deployments.rs`).

use crate::seedgen::Rng;
use chrono::{DateTime, Datelike, DurationRound, TimeDelta, TimeZone, Utc};
use serde_json::{json, Value};

/// A cloud project the token can see.
#[derive(Debug, Clone)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
}

/// A cloud region (`GET /cloud/v1/regions`); containers name one by `id`.
#[derive(Debug, Clone)]
pub struct Region {
    pub id: i64,
    pub display_name: String,
    pub slug: String,
    pub country: String,
    pub zone: &'static str,
    /// Whether Everywhere Inference may run containers here (`has_ai`).
    pub has_ai: bool,
}

/// An inference API key. `secret` is served once, in the create answer, and never
/// again; a test reads it here to "leak" it.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub project_id: i64,
    pub name: String,
    pub secret: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    /// `None`: never expires. A bare date on create means 00:00 UTC of that day.
    pub expires_at: Option<DateTime<Utc>>,
}

/// One region's share of a deployment, as it was asked for.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    pub region_id: i64,
    pub min: i64,
    pub max: i64,
    pub cooldown_period: Option<i64>,
    pub polling_interval: Option<i64>,
    /// The scale triggers object as served (all six members, unused ones null).
    pub triggers: Value,
}

/// Where a deployment's lifecycle stands. Changes move it to `Deploying` or `Deleting`
/// until their task finishes (task polls, not the wall clock, move it on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A create, update or start is under way: no containers until its task has been
    /// polled once, then containers that are not ready yet.
    Deploying,
    /// Running: `ACTIVE`, or `PARTIALLYDEPLOYED` where a region's containers fail, or
    /// `PENDING` when scaled to zero.
    Running,
    /// Stopped (`POST …/stop`).
    Disabled,
    /// A delete is under way; the deployment disappears when its task finishes.
    Deleting,
}

/// An inference deployment: its spec (what create and update set) and its phase.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub project_id: i64,
    pub name: String,
    pub image: String,
    pub flavor_name: String,
    pub listening_port: i64,
    pub description: String,
    pub credentials_name: String,
    pub envs: serde_json::Map<String, Value>,
    /// The command as sent (a list); served as one space-joined string, as Gcore does.
    pub command: Option<Vec<String>>,
    /// Served as sent after defaults are filled in (see `deployments.rs`), or null.
    pub probes: Option<Value>,
    pub logging: Option<Value>,
    pub ingress_opts: Option<Value>,
    pub timeout: Option<i64>,
    pub auth_enabled: bool,
    /// Names of the project's keys attached to this deployment.
    pub api_keys: Vec<String>,
    pub containers: Vec<ContainerSpec>,
    pub created_at: DateTime<Utc>,
    pub phase: Phase,
    /// Scaled to zero by its idle timeout (`PENDING`); cleared by any change.
    pub scaled_to_zero: bool,
}

/// Everything a Gcore fake serves.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The fake's clock for the objects it creates.
    pub now: DateTime<Utc>,
    /// The account's permanent API token (`Authorization: APIKey <token>`).
    pub api_token: String,
    pub client_id: i64,
    pub user_id: i64,
    pub projects: Vec<Project>,
    pub regions: Vec<Region>,
    pub keys: Vec<ApiKey>,
    pub deployments: Vec<Deployment>,
    /// How many polls of a task it takes to finish (the last poll sees `FINISHED`).
    pub task_polls: u32,
    pub(crate) rng_state: u64,
}

/// The default project of a generated seed.
pub const PROJECT_ID: i64 = 379;
/// Its second project, which holds nothing.
pub const OTHER_PROJECT_ID: i64 = 380;

impl Seed {
    /// The generated account on a clock at the current hour.
    pub fn generated(extra_keys: usize) -> Seed {
        let now = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
        Seed::generated_at(extra_keys, now)
    }

    /// Two projects; three AI regions and one without AI; in project [`PROJECT_ID`]
    /// three keys and three deployments:
    ///
    /// - `ci-runner` attached to `llama-chat` and `whisper-asr`; `staging-app` attached
    ///   to `llama-chat`; `notebook` attached to nothing, expiring next New Year;
    /// - `llama-chat` ACTIVE in regions 76 and 38 with `auth_enabled`; `whisper-asr`
    ///   PENDING (scaled to zero) in 76; `sd-turbo` DISABLED in 110;
    ///
    /// then `extra_keys` unattached keys `key-0000`, `key-0001`, … for paging. The same
    /// arguments give the same account.
    pub fn generated_at(extra_keys: usize, now: DateTime<Utc>) -> Seed {
        let mut rng = Rng::new(0x0006_C02E ^ extra_keys as u64);
        let origin = now - TimeDelta::days(120);
        let token = format!(
            "{}${}",
            40_000 + rng.below(9_000),
            (0..4)
                .map(|_| format!("{:016x}", rng.next()))
                .collect::<String>()
        );
        let project = |id, name: &str, is_default, days| Project {
            id,
            name: name.into(),
            description: None,
            is_default,
            created_at: origin + TimeDelta::days(days),
        };
        let region = |id, display_name: &str, slug: &str, country: &str, zone, has_ai| Region {
            id,
            display_name: display_name.into(),
            slug: slug.into(),
            country: country.into(),
            zone,
            has_ai,
        };
        let mut seed = Seed {
            now,
            api_token: token,
            client_id: 4821,
            user_id: 7710,
            projects: vec![
                project(PROJECT_ID, "default", true, 0),
                project(OTHER_PROJECT_ID, "research", false, 30),
            ],
            regions: vec![
                region(76, "Luxembourg-2", "luxembourg-2", "LU", "EMEA", true),
                region(38, "Amsterdam", "amsterdam", "NL", "EMEA", true),
                region(110, "Singapore-2", "singapore-2", "SG", "APAC", true),
                region(8, "Frankfurt", "frankfurt", "DE", "EMEA", false),
            ],
            keys: Vec::new(),
            deployments: Vec::new(),
            task_polls: 3,
            rng_state: 0,
        };
        let next_new_year = Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0).unwrap();
        for (i, (name, description, expires_at)) in [
            ("ci-runner", Some("CI smoke tests"), None),
            ("staging-app", Some("Staging web app"), None),
            ("notebook", None, Some(next_new_year)),
        ]
        .into_iter()
        .enumerate()
        {
            seed.keys.push(ApiKey {
                project_id: PROJECT_ID,
                name: name.into(),
                secret: new_secret(&mut rng),
                description: description.map(Into::into),
                created_at: origin + TimeDelta::days(40 + i as i64),
                expires_at,
            });
        }
        for k in 0..extra_keys {
            seed.keys.push(ApiKey {
                project_id: PROJECT_ID,
                name: format!("key-{k:04}"),
                secret: new_secret(&mut rng),
                description: (k % 3 == 0).then(|| format!("Generated key {k}")),
                created_at: origin + TimeDelta::days(50) + TimeDelta::minutes(k as i64),
                expires_at: None,
            });
        }
        let container = |region_id, min, max| ContainerSpec {
            region_id,
            min,
            max,
            cooldown_period: Some(60),
            polling_interval: Some(30),
            triggers: default_triggers(),
        };
        let deployment = |name: &str, image: &str, flavor: &str, days| Deployment {
            project_id: PROJECT_ID,
            name: name.into(),
            image: image.into(),
            flavor_name: flavor.into(),
            listening_port: 80,
            description: String::new(),
            credentials_name: String::new(),
            envs: serde_json::Map::new(),
            command: None,
            probes: None,
            logging: None,
            ingress_opts: None,
            timeout: Some(120),
            auth_enabled: false,
            api_keys: Vec::new(),
            containers: Vec::new(),
            created_at: origin + TimeDelta::days(days),
            phase: Phase::Running,
            scaled_to_zero: false,
        };
        let mut chat = deployment(
            "llama-chat",
            "vllm/vllm-openai:v0.6.3",
            "inference-1xa100-16vcpu-200gb",
            35,
        );
        chat.listening_port = 8000;
        chat.description = "Llama 3.1 8B chat".into();
        chat.envs
            .insert("MODEL".into(), json!("meta-llama/Llama-3.1-8B-Instruct"));
        chat.command = Some(vec!["--max-model-len".into(), "8192".into()]);
        chat.auth_enabled = true;
        chat.api_keys = vec!["ci-runner".into(), "staging-app".into()];
        chat.containers = vec![container(76, 1, 3), container(38, 1, 2)];
        let mut asr = deployment(
            "whisper-asr",
            "onerahmet/openai-whisper-asr-webservice:latest",
            "inference-1xl40s-8vcpu-64gb",
            36,
        );
        asr.listening_port = 9000;
        asr.auth_enabled = true;
        asr.api_keys = vec!["ci-runner".into()];
        asr.containers = vec![container(76, 0, 1)];
        asr.timeout = Some(300);
        asr.scaled_to_zero = true;
        let mut sd = deployment(
            "sd-turbo",
            "stabilityai/sd-turbo:1.0",
            "inference-16vcpu-32gb",
            37,
        );
        sd.containers = vec![container(110, 1, 1)];
        sd.phase = Phase::Disabled;
        seed.deployments = vec![chat, asr, sd];
        seed.rng_state = rng.next();
        seed
    }

    /// The full secret of a seeded key, to "leak" in a test.
    pub fn secret_of(&self, project_id: i64, name: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.project_id == project_id && k.name == name)
            .map(|k| k.secret.as_str())
    }
}

/// Scale triggers as Gcore fills them in when none are sent: CPU and memory at 80 %.
pub(crate) fn default_triggers() -> Value {
    json!({
        "cpu": {"threshold": 80},
        "gpu_memory": null,
        "gpu_utilization": null,
        "http": null,
        "memory": {"threshold": 80},
        "sqs": null,
    })
}

/// A fresh key secret: 32 alphanumerics, like the platform's opaque secrets.
pub(crate) fn new_secret(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..32)
        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
        .collect()
}

/// A random-looking UUID v4 from `rng`, for task ids.
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
