//! The LiteLLM proxy's management API as a platform (issue #18): the proxy's master
//! key manages its virtual keys, which carry the richest scopes of any platform.
//!
//! How LiteLLM differs, and how the console meets it:
//! - **A key is its hash.** The proxy stores only the SHA-256 of each secret (`token`)
//!   and names keys by it, so the console's key id is that hash. *Find a leaked key*
//!   hashes the pasted secret here and asks `/key/info` by hash: the proxy would take
//!   the raw secret too, but a query string is written to every access log on the way.
//! - **Update is a merge-patch** (a field sent changes, `null` clears, a field not sent
//!   stays), so [`LiteLlm::update_key`] reads the key and sends only the fields whose
//!   value differs from the form: someone else's change to another field survives.
//! - **Money is USD** (`max_budget` with a `budget_duration` reset; `spend` reported),
//!   read exactly through [`super::money::micros`] and sent as the form's decimal text.
//! - **Disable is block**, **rotation is regenerate** (the old secret works for the grace
//!   period; the key's id changes with its secret), **revoke is delete** (the row goes).
//! - **Limits per model and in flight** (`model_rpm_limit`, `model_tpm_limit`,
//!   `model_max_budget`, `max_parallel_requests`) live in three shapes; see [`limits`].
//! - **Workloads are model deployments** (`/model/info`), listed read-only with their
//!   health from `/health`; see [`health`].

mod health;
mod limits;
mod usage;
mod wire;

use super::capabilities::{
    BucketSize, BudgetPeriod, Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport,
    Support, UsageSupport, WorkloadOperations,
};
use super::http::{route, Dialect, Http, RemoteError};
use super::model::{self as neutral, AccessLevel, Key, KeyScopes, KeyState, MoneyBudget};
use super::{paging, Identified, Platform, Recognition};
use crate::keys::{Expiry, KeyForm, KeyListQuery, MoneyLimit};
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use keyward_api::Secret;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The largest page `/key/list` serves.
const PAGE_SIZE: &str = "100";

pub(crate) const DIALECT: Dialect = Dialect {
    credential: "master key",
    unauthorized_hint: "LiteLLM's key management needs the proxy's master key (general_settings.master_key or LITELLM_MASTER_KEY), or a virtual key with the proxy-admin role; an ordinary virtual key cannot manage keys.",
    authorize: super::http::bearer,
    read_error: |body| {
        let body: wire::ErrorBody = serde_json::from_slice(body).ok()?;
        let message = match (body.error, body.detail) {
            (Some(error), _) => error.message,
            (None, Some(Value::String(detail))) => Some(detail),
            (None, Some(detail)) => Some(detail.to_string()),
            (None, None) => return None,
        };
        Some(RemoteError {
            message,
            // The proxy's `param` names its own fields, not the console's.
            field: None,
            code: None,
        })
    },
};

/// The LiteLLM adapter; cheap to make (it shares the one HTTP client).
pub struct LiteLlm {
    http: Http,
}

impl LiteLlm {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    async fn post<T: DeserializeOwned>(
        &self,
        profile: &Profile,
        path: &str,
        body: &Value,
    ) -> Result<T, Error> {
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::POST, path)
            .json(body);
        self.http.send_json(&DIALECT, profile, request).await
    }

    /// Every key, `/key/list` paged to its end.
    async fn inventory(&self, profile: &Profile) -> Result<Vec<Key>, Error> {
        let now = Utc::now();
        let path = route(&["key", "list"]);
        let rows = paging::every_page(profile, |page| {
            let path = path.clone();
            async move {
                let page = page.unwrap_or_else(|| "1".to_owned());
                let list: wire::KeyList = self
                    .http
                    .get_json(
                        &DIALECT,
                        profile,
                        &path,
                        &[
                            ("page", page.as_str()),
                            ("size", PAGE_SIZE),
                            ("return_full_object", "true"),
                        ],
                    )
                    .await?;
                let current = list
                    .current_page
                    .unwrap_or_else(|| page.parse().unwrap_or(1));
                let next = list
                    .total_pages
                    .filter(|total| current < *total)
                    .map(|_| (current + 1).to_string());
                Ok(paging::Page {
                    items: list.keys,
                    next,
                })
            }
        })
        .await?;
        rows.into_iter()
            .map(|row| {
                let id = row.token.clone().ok_or_else(|| {
                    Error::new(
                        ErrorCode::Upstream,
                        "The LiteLLM proxy listed a key without its hash (token); Keyward cannot address it. Check that the proxy is LiteLLM 1.x.",
                    )
                })?;
                Ok(neutral_key(&id, row, now))
            })
            .collect()
    }

    /// The key as the proxy has it now, by its hash.
    async fn key_row(&self, profile: &Profile, key_id: &str) -> Result<wire::KeyRow, Error> {
        check_id(key_id)?;
        let info: wire::KeyInfo = self
            .http
            .get_json(
                &DIALECT,
                profile,
                &route(&["key", "info"]),
                &[("key", key_id)],
            )
            .await?;
        Ok(info.info)
    }
}

/// A key id is the proxy's SHA-256 of the secret, 64 hex digits: anything else (above
/// all a raw `sk-…` secret, which must never travel in a URL) is refused here.
fn check_id(key_id: &str) -> Result<(), Error> {
    if key_id.len() == 64 && key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(Error::field(
            "key_id",
            "A LiteLLM key id is the key's SHA-256 hash (64 hex digits), as the key list shows it.",
        ))
    }
}

/// `hash_token` of `litellm/proxy/utils.py`: SHA-256 of the secret, lower-case hex.
fn hash_token(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The proxy writes times with or without an offset (Prisma's naive UTC).
fn at(text: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text?.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
}

/// A LiteLLM duration (`30s`, `30m`, `30h`, `30d`, `1w`, `1mo`) as a budget reset, when
/// it is one of the console's periods.
fn reset_period(duration: &str) -> Option<BudgetPeriod> {
    Some(match duration.trim() {
        "1m" | "60s" => BudgetPeriod::Minute,
        "1h" | "60m" => BudgetPeriod::Hour,
        "1d" | "24h" => BudgetPeriod::Day,
        "7d" | "1w" => BudgetPeriod::Week,
        "30d" | "1mo" => BudgetPeriod::Month,
        _ => return None,
    })
}

/// The console's reset period as LiteLLM's `budget_duration`.
fn budget_duration(period: BudgetPeriod) -> &'static str {
    match period {
        BudgetPeriod::Minute => "1m",
        BudgetPeriod::Hour => "1h",
        BudgetPeriod::Day => "1d",
        BudgetPeriod::Week => "7d",
        BudgetPeriod::Month => "30d",
    }
}

/// Metadata entries that are the proxy's own settings, not labels.
const SETTINGS_IN_METADATA: &[&str] = &["model_rpm_limit", "model_tpm_limit", "tags", "guardrails"];

/// A key's labels: its metadata's text entries.
fn labels(metadata: &Map<String, Value>) -> BTreeMap<String, String> {
    metadata
        .iter()
        .filter(|(k, _)| !SETTINGS_IN_METADATA.contains(&k.as_str()))
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect()
}

fn neutral_key(id: &str, row: wire::KeyRow, now: DateTime<Utc>) -> Key {
    let expires_at = at(row.expires.as_deref());
    let state = if row.blocked == Some(true) {
        KeyState::Disabled
    } else if expires_at.is_some_and(|t| t <= now) {
        KeyState::Expired
    } else {
        KeyState::Active
    };
    let mut unreadable_scopes = Vec::new();
    let money_budget = row.max_budget.as_ref().and_then(|budget| {
        let micros = super::money::micros(&budget.to_string(), 0);
        let reset = match row.budget_duration.as_deref() {
            None => None,
            Some(d) => match reset_period(d) {
                Some(p) => Some(p),
                None => {
                    unreadable_scopes.push("money_budget".to_owned());
                    return None;
                }
            },
        };
        Some(MoneyBudget {
            micros: micros?,
            currency: "USD".to_owned(),
            reset,
        })
    });
    let metadata = row.metadata.clone().unwrap_or_default();
    let model_limits = limits::read(&row, &metadata, &mut unreadable_scopes);
    let max_parallel = row.max_parallel_requests;
    let models: Vec<String> = row
        .models
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    Key {
        id: id.to_owned(),
        name: row
            .key_alias
            .clone()
            .filter(|a| !a.is_empty())
            .or_else(|| row.key_name.clone())
            .unwrap_or_else(|| id.to_owned()),
        hint: row.key_name,
        state,
        scopes: KeyScopes {
            rpm: row.rpm_limit,
            tpm: row.tpm_limit,
            token_budget: None,
            money_budget,
            models: (!models.is_empty()).then_some(models),
            workloads: None,
            labels: labels(&metadata),
            description: None,
            max_parallel,
            model_limits,
        },
        created_at: at(row.created_at.as_deref()),
        updated_at: at(row.updated_at.as_deref()),
        last_used_at: at(row.last_active.as_deref()),
        expires_at,
        owner: row.user_id,
        project: row.team_id,
        revoked_at: None,
        archived_at: None,
        totals: None,
        unreadable_scopes,
        money_used: None,
        guardrail: None,
        steps: Vec::new(),
    }
}

/// A money amount as JSON: the form's exact decimal text read as a JSON number.
fn money(limit: &MoneyLimit) -> Value {
    serde_json::from_str(&limit.decimal()).unwrap_or(Value::Null)
}

/// The expiry as LiteLLM's `duration` from `now` (`None`: leave it; `Some(Null)`: never).
fn duration(form: &KeyForm, now: DateTime<Utc>) -> Result<Option<Value>, Error> {
    let until = match &form.expiry {
        Expiry::Keep => return Ok(None),
        Expiry::Never => return Ok(Some(Value::Null)),
        Expiry::InDays { days } => {
            if !(1..=3650).contains(days) {
                return Err(Error::field(
                    "expires_at",
                    "The expiry must be 1 to 3650 days from now.",
                ));
            }
            return Ok(Some(json!(format!("{days}d"))));
        }
        Expiry::Date { date } => at(Some(date)).ok_or_else(|| {
            Error::field(
                "expires_at",
                "The expiry date must be a date like 2027-01-31.",
            )
        })?,
    };
    let seconds = (until - now).num_seconds();
    if seconds <= 0 {
        return Err(Error::field(
            "expires_at",
            "The expiry must be in the future.",
        ));
    }
    Ok(Some(json!(format!("{seconds}s"))))
}

/// Scopes LiteLLM keys do not have are refused by the one shared rule, naming the
/// field; then the values LiteLLM itself would refuse.
fn refuse_scopes(form: &KeyForm) -> Result<(), Error> {
    form.refuse_unsupported(&capabilities())?;
    for (field, value) in [("rpm", form.rpm), ("tpm", form.tpm)] {
        if value.is_some_and(|v| v < 0) {
            return Err(Error::field(field, "A limit cannot be negative."));
        }
    }
    if form.money_budget.is_some_and(|m| m.micros < 0) {
        return Err(Error::field("money_limit", "A budget cannot be negative."));
    }
    let mut form = form.clone();
    form.allowed_models = Some(models(&form)).filter(|m| !m.is_empty());
    if let Some((field, message)) = form.model_limit_problems().into_iter().next() {
        return Err(Error::field(&field, message));
    }
    Ok(())
}

fn check_name(form: &KeyForm) -> Result<&str, Error> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::field("name", "Name must be 1 to 200 characters."));
    }
    Ok(name)
}

/// The form's model allowlist as LiteLLM's `models` (`[]` = every model).
fn models(form: &KeyForm) -> Vec<String> {
    let mut models: Vec<String> = form
        .allowed_models
        .iter()
        .flatten()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    models.sort();
    models.dedup();
    models
}

/// The key's metadata with the form's labels in place of its text entries; the
/// proxy's own settings kept there are left as they are.
fn metadata_with(
    current: &Map<String, Value>,
    labels: &BTreeMap<String, String>,
) -> Map<String, Value> {
    let mut metadata: Map<String, Value> = current
        .iter()
        .filter(|(k, v)| SETTINGS_IN_METADATA.contains(&k.as_str()) || !v.is_string())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in labels {
        metadata.insert(k.clone(), json!(v));
    }
    metadata
}

/// What LiteLLM's proxy offers; see the module docs.
pub fn capabilities() -> Capabilities {
    let yes = Support::yes;
    let not_yet = "Keyward lists the proxy's model deployments read-only; add, change or remove them in the proxy's config or its admin UI.";
    Capabilities {
        platform: "LiteLLM proxy".to_owned(),
        adapter: true,
        keys: KeyOperations {
            create: yes(),
            list: yes(),
            get: yes(),
            update: yes(),
            revoke: Support::its_way("Revoking deletes the key from the proxy; its spend history stays in the usage reports."),
            revoke_removes_record: true,
            disable: Support::its_way("Disabling blocks the key on the proxy; unblock it to enable it again."),
            archive: Support::no("LiteLLM deletes revoked keys; there is nothing to archive."),
            rotate: Support::its_way("Rotating regenerates the key: it gets a new secret and a new id, and the old secret keeps working for the grace period."),
            rotate_grace: true,
            identify: Support::its_way("The proxy stores only each key's SHA-256: Keyward hashes the pasted secret on this computer and looks the hash up, so the secret never leaves it."),
            audit: Support::no("LiteLLM keeps its audit log in the proxy's database (enterprise audit logs); Keyward does not read it."),
        },
        scopes: ScopeSupport {
            rpm: yes(),
            tpm: yes(),
            token_budget: Support::no("LiteLLM limits tokens per minute (tpm) and money per period, not a token budget."),
            token_budget_periods: Vec::new(),
            money_budget: yes(),
            money_budget_resets: vec![
                BudgetPeriod::Minute,
                BudgetPeriod::Hour,
                BudgetPeriod::Day,
                BudgetPeriod::Week,
                BudgetPeriod::Month,
            ],
            model_allowlist: yes(),
            workloads: Support::no("LiteLLM keys are limited by model name (the allowlist), not by deployment."),
            workloads_project_wide: false,
            expiry: yes(),
            expiry_editable: true,
            labels: Support::its_way("Labels are kept in the key's metadata."),
            description: Support::no("LiteLLM keys have an alias (the name) and metadata; use a label for notes."),
            max_parallel: yes(),
            model_limits: Support::its_way("Per-model limits apply to the model names clients call (the proxy's model groups)."),
        },
        usage: UsageSupport {
            per_key: yes(),
            per_model: yes(),
            buckets: vec![BucketSize::Day],
            history_days: None,
        },
        spend: SpendSupport {
            source: SpendSource::Reported,
            per_key: yes(),
        },
        workloads: WorkloadOperations {
            list: Support::its_way("Workloads are the proxy's model deployments, listed read-only."),
            create: Support::no(not_yet),
            update: Support::no(not_yet),
            delete: Support::no(not_yet),
            readiness: Support::no("The proxy has no readiness stream; its /health probes each deployment on request."),
            health: Support::its_way("Health is the proxy's /health: it sends a small request to every deployment each time the list is read or refreshed."),
            start_stop: Support::no(not_yet),
            logs: Support::no("The proxy keeps no per-deployment log in its API."),
            fields: Vec::new(),
        },
    }
}

#[async_trait]
impl Platform for LiteLlm {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    /// One page of one key from `/key/list`: the liveness probe is unauthenticated and
    /// `/key/info` without a key looks up the master key's own row, which a config
    /// master key does not have (404) — only a management call both proves the key is
    /// the master key (a plain virtual key is refused) and that the proxy's database
    /// answers (without one, every key route fails with "DB not connected").
    async fn connection(&self, profile: &Profile) -> Result<neutral::Connection, Error> {
        let _: wire::KeyList = self
            .http
            .get_json(
                &DIALECT,
                profile,
                &route(&["key", "list"]),
                &[("page", "1"), ("size", "1"), ("return_full_object", "true")],
            )
            .await?;
        let secret = profile.token.expose();
        let tail: String = secret
            .chars()
            .skip(secret.chars().count().saturating_sub(4))
            .collect();
        let id = if profile.project_id.is_empty() {
            reqwest::Url::parse(&profile.base_url)
                .ok()
                .and_then(|u| {
                    u.host_str().map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_owned(),
                    })
                })
                .unwrap_or_else(|| "proxy".to_owned())
        } else {
            profile.project_id.clone()
        };
        Ok(neutral::Connection {
            credential_label: format!("Master key sk-...{tail}"),
            access: AccessLevel::Owner,
            project: neutral::ProjectRef {
                name: id.clone(),
                id,
            },
        })
    }

    fn recognize_secret(&self, secret: &str) -> Recognition {
        // LiteLLM virtual keys are plain `sk-…`; other platforms' prefixed keys are theirs.
        const OTHERS: [&str; 5] = ["sk-proj-", "sk-ant-", "sk-or-", "sk-admin-", "sk-svcacct-"];
        if secret.starts_with("sk-") && !OTHERS.iter().any(|p| secret.starts_with(p)) {
            Recognition::Key
        } else {
            Recognition::Foreign
        }
    }

    async fn list_keys(
        &self,
        profile: &Profile,
        query: &KeyListQuery,
    ) -> Result<neutral::KeyPage, Error> {
        query.to_pairs()?;
        let keys = self.inventory(profile).await?;
        query.select(keys, Utc::now())
    }

    async fn get_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let row = self.key_row(profile, key_id).await?;
        Ok(neutral_key(key_id, row, Utc::now()))
    }

    async fn create_key(
        &self,
        profile: &Profile,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<(Key, Secret), Error> {
        let name = check_name(form)?;
        refuse_scopes(form)?;
        let mut body = Map::new();
        body.insert("key_alias".into(), json!(name));
        body.insert("models".into(), json!(models(form)));
        if let Some(rpm) = form.rpm {
            body.insert("rpm_limit".into(), json!(rpm));
        }
        if let Some(tpm) = form.tpm {
            body.insert("tpm_limit".into(), json!(tpm));
        }
        if let Some(Value::String(d)) = duration(form, now)? {
            body.insert("duration".into(), json!(d));
        }
        if let Some(limit) = &form.money_budget {
            body.insert("max_budget".into(), money(limit));
            if let Some(reset) = limit.reset {
                body.insert("budget_duration".into(), json!(budget_duration(reset)));
            }
        }
        if !form.labels.is_empty() {
            body.insert(
                "metadata".into(),
                Value::Object(metadata_with(&Map::new(), &form.labels)),
            );
        }
        limits::create_fields(form, &mut body);
        let created: wire::Generated = self
            .post(profile, &route(&["key", "generate"]), &Value::Object(body))
            .await?;
        let secret = Secret::new(created.key);
        let id = created
            .row
            .token
            .clone()
            .unwrap_or_else(|| hash_token(secret.expose()));
        Ok((neutral_key(&id, created.row, now), secret))
    }

    /// Sends only what differs from the key as the proxy has it now (a merge-patch):
    /// a field someone else changed meanwhile, and the form leaves alone, stays theirs.
    async fn update_key(
        &self,
        profile: &Profile,
        key_id: &str,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<Key, Error> {
        let name = check_name(form)?;
        refuse_scopes(form)?;
        let row = self.key_row(profile, key_id).await?;
        let current = neutral_key(key_id, row.clone(), now);
        let mut patch = Map::new();
        if row.key_alias.as_deref() != Some(name) {
            patch.insert("key_alias".into(), json!(name));
        }
        if form.rpm.map(|v| v as u64) != row.rpm_limit {
            patch.insert("rpm_limit".into(), json!(form.rpm));
        }
        if form.tpm.map(|v| v as u64) != row.tpm_limit {
            patch.insert("tpm_limit".into(), json!(form.tpm));
        }
        let wanted = models(form);
        let mut have = current.scopes.models.clone().unwrap_or_default();
        have.sort();
        if wanted != have {
            patch.insert("models".into(), json!(wanted));
        }
        match duration(form, now)? {
            None => {}
            Some(Value::Null) if row.expires.is_none() => {}
            Some(d) => {
                patch.insert("duration".into(), d);
            }
        }
        let current_micros = row
            .max_budget
            .as_ref()
            .and_then(|b| super::money::micros(&b.to_string(), 0));
        let wanted_micros = form.money_budget.map(|m| m.micros);
        if wanted_micros != current_micros {
            patch.insert(
                "max_budget".into(),
                form.money_budget.as_ref().map(money).unwrap_or(Value::Null),
            );
        }
        let wanted_reset = form.money_budget.and_then(|m| m.reset);
        let current_reset = row.budget_duration.as_deref().and_then(reset_period);
        if wanted_reset != current_reset
            && !(wanted_reset.is_none() && row.budget_duration.is_none())
        {
            patch.insert(
                "budget_duration".into(),
                json!(wanted_reset.map(budget_duration)),
            );
        }
        limits::patch_fields(
            form,
            current.scopes.max_parallel,
            &current.scopes.model_limits,
            &mut patch,
        );
        if form.labels != current.scopes.labels {
            let metadata = row.metadata.clone().unwrap_or_default();
            patch.insert(
                "metadata".into(),
                Value::Object(metadata_with(&metadata, &form.labels)),
            );
        }
        if patch.is_empty() {
            return Ok(current);
        }
        patch.insert("key".into(), json!(key_id));
        let updated: wire::KeyRow = self
            .post(profile, &route(&["key", "update"]), &Value::Object(patch))
            .await?;
        Ok(neutral_key(key_id, updated, now))
    }

    /// Regenerates the key: a new secret and, with it, a new id (its hash); the old
    /// secret keeps working for `grace_seconds`.
    async fn rotate_key(
        &self,
        profile: &Profile,
        key_id: &str,
        grace_seconds: u32,
    ) -> Result<(Key, Secret), Error> {
        check_id(key_id)?;
        let body = if grace_seconds > 0 {
            json!({ "grace_period": format!("{grace_seconds}s") })
        } else {
            json!({})
        };
        let path = route(&["key", key_id, "regenerate"]);
        let created: wire::Generated = self.post(profile, &path, &body).await?;
        let secret = Secret::new(created.key);
        let id = created
            .row
            .token
            .clone()
            .unwrap_or_else(|| hash_token(secret.expose()));
        Ok((neutral_key(&id, created.row, Utc::now()), secret))
    }

    /// Deletes the key (its row goes; its spend stays in the reports).
    async fn revoke_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let row = self.key_row(profile, key_id).await?;
        let _: Value = self
            .post(
                profile,
                &route(&["key", "delete"]),
                &json!({ "keys": [key_id] }),
            )
            .await?;
        let now = Utc::now();
        let mut key = neutral_key(key_id, row, now);
        key.state = KeyState::Revoked;
        key.revoked_at = Some(now);
        Ok(key)
    }

    async fn set_disabled(
        &self,
        profile: &Profile,
        key_id: &str,
        disabled: bool,
    ) -> Result<Key, Error> {
        check_id(key_id)?;
        let path = route(&["key", if disabled { "block" } else { "unblock" }]);
        let row: wire::KeyRow = self.post(profile, &path, &json!({ "key": key_id })).await?;
        Ok(neutral_key(key_id, row, Utc::now()))
    }

    /// Hashes the secret here and asks for that hash: the secret never travels.
    async fn identify_key(&self, profile: &Profile, secret: &Secret) -> Result<Identified, Error> {
        let id = hash_token(secret.expose().trim());
        let keys = match self.get_key(profile, &id).await {
            Ok(key) => vec![key],
            Err(e) if e.code == ErrorCode::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Identified { keys, exact: true })
    }

    async fn usage(
        &self,
        profile: &Profile,
        _project: &str,
        query: &neutral::UsageQuery,
    ) -> Result<neutral::UsageReport, Error> {
        usage::report(self, profile, query).await
    }

    async fn reported_costs(
        &self,
        profile: &Profile,
        query: &neutral::CostQuery,
    ) -> Result<Vec<neutral::ReportedCost>, Error> {
        usage::costs(self, profile, query).await
    }

    /// The deployments, then their health: a `/health` that fails leaves the list
    /// with every status unknown and the reason, rather than no list.
    async fn list_workloads(&self, profile: &Profile) -> Result<Vec<neutral::WorkloadRef>, Error> {
        let list: wire::ModelInfoList = self
            .http
            .get_json(&DIALECT, profile, &route(&["model", "info"]), &[])
            .await?;
        let health: Result<wire::Health, Error> = self
            .http
            .get_json(&DIALECT, profile, &route(&["health"]), &[])
            .await;
        Ok(health::workloads(list.data, health))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_proxys_and_ids_must_be_hashes() {
        // The SHA-256 test vector of "abc" (FIPS 180-2).
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(check_id(&hash_token("sk-x")).is_ok());
        assert_eq!(
            check_id("sk-raw-secret").unwrap_err().field.as_deref(),
            Some("key_id")
        );
    }

    #[test]
    fn budget_durations_map_both_ways() {
        for period in [
            BudgetPeriod::Minute,
            BudgetPeriod::Hour,
            BudgetPeriod::Day,
            BudgetPeriod::Week,
            BudgetPeriod::Month,
        ] {
            assert_eq!(reset_period(budget_duration(period)), Some(period));
        }
        assert_eq!(reset_period("1mo"), Some(BudgetPeriod::Month));
        assert_eq!(reset_period("3d"), None);
    }
}
