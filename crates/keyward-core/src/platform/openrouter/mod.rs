//! OpenRouter's management API as a platform (issue #18): a management key (formerly
//! "provisioning key") creates and manages the account's inference keys, each with a
//! money limit.
//!
//! How OpenRouter differs, and how the console meets it:
//! - **A key's id is the SHA-256 of its secret.** So a leaked `sk-or-v1-…` is found
//!   exactly: the console hashes the pasted secret locally and asks for that one key —
//!   no list, no partial match, and a malformed secret never leaves the machine.
//! - **Limits are money**, in USD with a daily, weekly or monthly reset (or none: a
//!   lifetime limit), and are set per key; there are no request or token limits.
//! - **Offset paging without a total**: 100 keys a page, read until a short page,
//!   disabled and expired keys included, then filtered and paged in memory by the
//!   gateway's rules ([`KeyListQuery::select`]).
//! - **Edits send only what changed** (`PATCH` with just those members), so a limit
//!   someone else changed meanwhile is not overwritten by a rename here.
//! - **Revoking deletes** the key; disabling pauses it and can be undone.
//! - **Usage and spend come from `/activity`**: per UTC day and model, the last 30
//!   completed days only, and per key by asking once per key (`api_key_hash`).
//!   Amounts are JSON numbers of USD, read through their text into exact micros.
//! - **Model allowlists live in guardrails** assigned to keys; they are read-only here.

mod usage;
mod wire;

use super::capabilities::{
    BucketSize, BudgetPeriod, Capabilities, KeyOperations, ScopeSupport, SpendSource, SpendSupport,
    Support, UsageSupport, WorkloadOperations,
};
use super::http::{route, Dialect, Http, RemoteError};
use super::model::{self as neutral, AccessLevel, Key, KeyScopes, KeyState, MoneyBudget};
use super::money;
use super::{paging, Identified, Platform, Recognition};
use crate::keys::{Expiry, KeyForm, KeyListQuery, MoneyLimit};
use crate::{Error, ErrorCode, Profile};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use keyward_api::Secret;
use reqwest::Method;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// OpenRouter's page of keys: a shorter page is the last.
const PAGE: usize = 100;
/// How many days of activity OpenRouter keeps: the last 30 completed UTC days.
pub const HISTORY_DAYS: u32 = 30;
/// The prefix of every OpenRouter key, management or inference.
const PREFIX: &str = "sk-or-v1-";

pub(crate) const DIALECT: Dialect = Dialect {
    credential: "management key",
    unauthorized_hint: "OpenRouter manages keys only with a management key (openrouter.ai → Settings → Management keys); an inference key, which apps use, cannot list or change keys.",
    authorize: super::http::bearer,
    read_error: |body| {
        let body: wire::ErrorBody = serde_json::from_slice(body).ok()?;
        Some(RemoteError {
            message: Some(body.error.message),
            field: None,
            code: None,
        })
    },
};

/// The OpenRouter adapter; cheap to make (it shares the one HTTP client).
pub struct OpenRouter {
    http: Http,
}

impl OpenRouter {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// Every key of the account, disabled and expired ones too, page by page (by
    /// offset) until a short page.
    async fn inventory(&self, profile: &Profile) -> Result<Vec<Key>, Error> {
        let now = Utc::now();
        let keys: Vec<wire::Key> = paging::every_page(profile, |offset| async move {
            let offset = offset.unwrap_or_else(|| "0".to_owned());
            let page: wire::Data<Vec<wire::Key>> = self
                .http
                .get_json(
                    &DIALECT,
                    profile,
                    &route(&["keys"]),
                    &[
                        ("include_disabled", "true"),
                        ("include_expired", "true"),
                        ("offset", &offset),
                    ],
                )
                .await?;
            let read: usize = offset.parse().unwrap_or(0);
            let next = (page.data.len() >= PAGE).then(|| (read + page.data.len()).to_string());
            Ok(paging::Page {
                items: page.data,
                next,
            })
        })
        .await?;
        Ok(keys.into_iter().map(|k| neutral_key(k, now)).collect())
    }

    async fn raw_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        crate::error::validate_id("key_id", key_id, 128)?;
        let key: wire::Data<wire::Key> = self
            .http
            .get_json(&DIALECT, profile, &route(&["keys", key_id]), &[])
            .await?;
        Ok(neutral_key(key.data, Utc::now()))
    }

    /// The guardrail assigned to a key (at most one), from the account's assignment
    /// list read to its end (`offset`, 100 a page) and then the guardrail itself.
    async fn guardrail_of(
        &self,
        profile: &Profile,
        key_hash: &str,
    ) -> Result<Option<neutral::Guardrail>, Error> {
        const GUARDRAIL_PAGE: usize = 100;
        let assignments: Vec<wire::Assignment> = paging::every_page(profile, |offset| async move {
            let offset = offset.unwrap_or_else(|| "0".to_owned());
            let page: wire::Listed<wire::Assignment> = self
                .http
                .get_json(
                    &DIALECT,
                    profile,
                    &route(&["guardrails", "assignments", "keys"]),
                    &[("offset", &offset), ("limit", "100")],
                )
                .await?;
            let read = offset.parse::<usize>().unwrap_or(0) + page.data.len();
            let more = match page.total_count {
                Some(total) => (read as u64) < total && !page.data.is_empty(),
                None => page.data.len() >= GUARDRAIL_PAGE,
            };
            Ok(paging::Page {
                items: page.data,
                next: more.then(|| read.to_string()),
            })
        })
        .await?;
        let Some(assignment) = assignments.into_iter().find(|a| a.key_hash == key_hash) else {
            return Ok(None);
        };
        crate::error::validate_id("guardrail_id", &assignment.guardrail_id, 128)?;
        let guardrail: wire::Data<wire::Guardrail> = self
            .http
            .get_json(
                &DIALECT,
                profile,
                &route(&["guardrails", &assignment.guardrail_id]),
                &[],
            )
            .await?;
        Ok(Some(neutral_guardrail(guardrail.data)))
    }

    /// `PATCH /keys/{hash}` with only the members in `changes`. Never retried.
    async fn patch(
        &self,
        profile: &Profile,
        key_id: &str,
        changes: Map<String, Value>,
    ) -> Result<Key, Error> {
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::PATCH, &route(&["keys", key_id]))
            .json(&Value::Object(changes));
        let key: wire::Data<wire::Key> = self.http.send_json(&DIALECT, profile, request).await?;
        Ok(neutral_key(key.data, Utc::now()))
    }
}

fn reset_period(reset: Option<&str>) -> Option<BudgetPeriod> {
    match reset? {
        "daily" => Some(BudgetPeriod::Day),
        "weekly" => Some(BudgetPeriod::Week),
        "monthly" => Some(BudgetPeriod::Month),
        _ => None,
    }
}

fn reset_name(period: Option<BudgetPeriod>) -> Option<&'static str> {
    match period? {
        BudgetPeriod::Day => Some("daily"),
        BudgetPeriod::Week => Some("weekly"),
        BudgetPeriod::Month => Some("monthly"),
        BudgetPeriod::Minute | BudgetPeriod::Hour => None,
    }
}

fn neutral_key(key: wire::Key, now: DateTime<Utc>) -> Key {
    let state = if key.disabled {
        KeyState::Disabled
    } else if key.expires_at.is_some_and(|at| at <= now) {
        KeyState::Expired
    } else {
        KeyState::Active
    };
    let unreadable = key
        .limit_reset
        .as_deref()
        .filter(|r| reset_period(Some(r)).is_none())
        .map(|_| "money_budget".to_owned());
    // The limit read through its text, exactly; an unreadable one is said, not guessed.
    let mut unreadable = unreadable;
    let money_budget =
        key.limit
            .as_ref()
            .and_then(|limit| match money::micros(&limit.to_string(), 0) {
                Some(micros) => Some(MoneyBudget {
                    micros,
                    currency: "USD".to_owned(),
                    reset: reset_period(key.limit_reset.as_deref()),
                }),
                None => {
                    unreadable = Some("money_budget".to_owned());
                    None
                }
            });
    Key {
        id: key.hash,
        name: key.name,
        hint: key.label,
        state,
        scopes: KeyScopes {
            money_budget,
            ..KeyScopes::default()
        },
        created_at: key.created_at,
        updated_at: key.updated_at,
        last_used_at: key.last_used_at,
        expires_at: key.expires_at,
        owner: key.creator_user_id,
        project: key.workspace_id,
        revoked_at: None,
        archived_at: None,
        totals: None,
        unreadable_scopes: unreadable.into_iter().collect(),
        money_used: Some(neutral::MoneyUsed {
            currency: "USD".to_owned(),
            day: usd_micros(key.usage_daily.as_ref()),
            week: usd_micros(key.usage_weekly.as_ref()),
            month: usd_micros(key.usage_monthly.as_ref()),
            total: usd_micros(key.usage.as_ref()),
        }),
        guardrail: None,
        steps: Vec::new(),
    }
}

/// A reported USD amount as exact micros; `None` when absent or unreadable (said as
/// "not reported", never as zero).
fn usd_micros(amount: Option<&serde_json::Number>) -> Option<i64> {
    amount.and_then(|a| money::micros(&a.to_string(), 0))
}

fn neutral_guardrail(guardrail: wire::Guardrail) -> neutral::Guardrail {
    let money_budget = usd_micros(guardrail.limit_usd.as_ref()).map(|micros| MoneyBudget {
        micros,
        currency: "USD".to_owned(),
        reset: reset_period(guardrail.reset_interval.as_deref()),
    });
    neutral::Guardrail {
        id: guardrail.id,
        name: guardrail.name,
        allowed_models: guardrail.allowed_models,
        money_budget,
    }
}

/// `sk-or-v1-` and 64 lower-case hex digits: the only shape an OpenRouter key has.
fn well_formed(secret: &str) -> bool {
    secret.strip_prefix(PREFIX).is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// SHA-256 of the secret in lower-case hex: the id OpenRouter gives its key.
pub fn key_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What an OpenRouter key may be changed to, in OpenRouter's terms; `None` = leave as is.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Desired {
    pub name: Option<String>,
    pub disabled: Option<bool>,
    /// USD micros; `Some(None)`: no limit.
    pub limit: Option<Option<i64>>,
    pub limit_reset: Option<Option<BudgetPeriod>>,
}

/// The `PATCH` body: only the members whose wanted value differs from `current`, so a
/// change made elsewhere to another member is never overwritten.
pub fn changes(current: &Key, desired: &Desired) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(name) = desired.name.as_deref().filter(|n| *n != current.name) {
        body.insert("name".into(), Value::from(name));
    }
    if let Some(disabled) = desired.disabled {
        if disabled != (current.state == KeyState::Disabled) {
            body.insert("disabled".into(), Value::from(disabled));
        }
    }
    let budget = current.scopes.money_budget.as_ref();
    if let Some(limit) = desired.limit {
        let now = budget.map(|b| b.micros);
        if limit != now {
            body.insert("limit".into(), limit.map_or(Value::Null, usd));
        }
    }
    if let Some(reset) = desired.limit_reset {
        if reset != budget.and_then(|b| b.reset) {
            body.insert(
                "limit_reset".into(),
                reset_name(reset).map_or(Value::Null, Value::from),
            );
        }
    }
    body
}

/// USD micros as the JSON number OpenRouter takes, written from the exact decimal
/// text ("12.5"): a number of at most 15 significant digits reads back as that text.
fn usd(micros: i64) -> Value {
    let text = MoneyLimit {
        micros,
        reset: None,
    }
    .decimal();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The form's money budget as OpenRouter's `limit` and `limit_reset`.
fn wanted_budget(form: &KeyForm) -> Result<(Option<i64>, Option<BudgetPeriod>), Error> {
    match form.money_budget {
        None => Ok((None, None)),
        Some(budget) if budget.micros < 0 => Err(Error::field(
            "money_limit",
            "A money limit cannot be negative.",
        )),
        Some(budget) => Ok((Some(budget.micros), budget.reset)),
    }
}

/// The form's expiry as OpenRouter takes it: UTC ISO 8601 ending in `Z`.
fn expiry(form: &KeyForm, now: DateTime<Utc>) -> Result<Option<String>, Error> {
    let at = match &form.expiry {
        Expiry::Keep | Expiry::Never => return Ok(None),
        Expiry::InDays { days } => {
            if !(1..=3650).contains(days) {
                return Err(Error::field(
                    "expires_at",
                    "The expiry must be 1 to 3650 days from now.",
                ));
            }
            now + chrono::Duration::days(*days)
        }
        Expiry::Date { date } => {
            let date = date.trim();
            match DateTime::parse_from_rfc3339(date) {
                Ok(at) => at.with_timezone(&Utc),
                Err(_) => NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|_| {
                        Error::field(
                            "expires_at",
                            "The expiry date must be a date like 2027-01-31.",
                        )
                    })?
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight exists")
                    .and_utc(),
            }
        }
    };
    if at <= now {
        return Err(Error::field(
            "expires_at",
            "The expiry must be in the future.",
        ));
    }
    Ok(Some(at.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

fn checked_name(form: &KeyForm) -> Result<&str, Error> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::field("name", "Name must be 1 to 200 characters."));
    }
    Ok(name)
}

/// What OpenRouter's management API offers; see the module docs.
pub fn capabilities() -> Capabilities {
    let yes = Support::yes;
    let money_only = "OpenRouter limits keys by money (USD, with a daily, weekly or monthly reset), not by requests or tokens.";
    let no_workloads =
        "OpenRouter routes to its providers itself; there are no workloads to manage.";
    Capabilities {
        platform: "OpenRouter".to_owned(),
        adapter: true,
        keys: KeyOperations {
            create: yes(),
            list: yes(),
            get: yes(),
            update: yes(),
            revoke: Support::its_way("Revoking deletes the key on OpenRouter; to stop it for a while instead, disable it."),
            revoke_removes_record: true,
            disable: yes(),
            archive: Support::no("OpenRouter deletes revoked keys; disable a key to keep it without it working."),
            rotate: Support::no("OpenRouter has no rotation: create a new key, move clients to it, then revoke the old one."),
            rotate_grace: false,
            identify: Support::its_way("OpenRouter knows each key by the SHA-256 of its secret, so a pasted secret is hashed here and matched exactly; the secret itself is never sent."),
            audit: Support::no("OpenRouter keeps no audit trail of key changes in its API."),
        },
        scopes: ScopeSupport {
            rpm: Support::no(money_only),
            tpm: Support::no(money_only),
            token_budget: Support::no(money_only),
            token_budget_periods: Vec::new(),
            money_budget: yes(),
            money_budget_resets: vec![BudgetPeriod::Day, BudgetPeriod::Week, BudgetPeriod::Month],
            model_allowlist: Support::no("OpenRouter restricts models with guardrails assigned to keys: set them at openrouter.ai → Settings → Guardrails."),
            workloads: Support::no(no_workloads),
            workloads_project_wide: false,
            expiry: yes(),
            expiry_editable: false,
            labels: Support::no("OpenRouter keys have a name only."),
            description: Support::no("OpenRouter keys have a name only."),
            max_parallel: Support::no(money_only),
            model_limits: Support::no(money_only),
        },
        usage: UsageSupport {
            per_key: yes(),
            per_model: yes(),
            buckets: vec![BucketSize::Day],
            history_days: Some(HISTORY_DAYS),
        },
        spend: SpendSupport {
            source: SpendSource::Reported,
            per_key: yes(),
        },
        workloads: WorkloadOperations::none(no_workloads),
    }
}

#[async_trait]
impl Platform for OpenRouter {
    fn capabilities(&self) -> Capabilities {
        capabilities()
    }

    /// `GET /key`: the credential describes itself; an inference key is refused with
    /// what to use instead.
    async fn connection(&self, profile: &Profile) -> Result<neutral::Connection, Error> {
        let current: wire::Data<wire::CurrentKey> = self
            .http
            .get_json(&DIALECT, profile, &route(&["key"]), &[])
            .await?;
        let current = current.data;
        if !current.is_management_key {
            return Err(Error::new(
                ErrorCode::Forbidden,
                format!(
                    "This is an OpenRouter inference key ({}); a management key is needed to list and manage keys. Create one at openrouter.ai → Settings → Management keys and put it in profile \"{}\".",
                    current.label, profile.name
                ),
            ));
        }
        let id = current
            .workspace_id
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "account".to_owned());
        if !profile.project_id.is_empty() && profile.project_id != id {
            return Err(Error::new(
                ErrorCode::Forbidden,
                format!(
                    "The management key works, but it belongs to account {id}, not to this profile's account {}. Use a management key of that account, or clear the profile's account.",
                    profile.project_id
                ),
            ));
        }
        Ok(neutral::Connection {
            credential_label: format!("Management key {}", current.label),
            access: AccessLevel::Owner,
            project: neutral::ProjectRef {
                id,
                name: "OpenRouter account".to_owned(),
            },
        })
    }

    fn recognize_secret(&self, secret: &str) -> Recognition {
        if well_formed(secret) {
            Recognition::Key
        } else if secret.starts_with("sk-or-") {
            Recognition::NotAKey(
                "This starts like an OpenRouter key but is not one: an OpenRouter key is sk-or-v1- followed by 64 hexadecimal characters. Check that it was copied whole.".to_owned(),
            )
        } else {
            Recognition::Foreign
        }
    }

    async fn list_keys(
        &self,
        profile: &Profile,
        query: &KeyListQuery,
    ) -> Result<neutral::KeyPage, Error> {
        // The query's own checks first: a bad field fails before any request.
        query.to_pairs()?;
        let keys = self.inventory(profile).await?;
        query.select(keys, Utc::now())
    }

    /// The key with its guardrail: a key's page shows the models and budget the
    /// guardrail holds it to, which its own record does not carry.
    async fn get_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let mut key = self.raw_key(profile, key_id).await?;
        key.guardrail = self.guardrail_of(profile, &key.id).await?;
        Ok(key)
    }

    /// `POST /keys` with the name, money limit and expiry; the secret is in the answer
    /// only.
    async fn create_key(
        &self,
        profile: &Profile,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<(Key, Secret), Error> {
        let name = checked_name(form)?;
        form.refuse_unsupported(&capabilities())?;
        let mut body = Map::new();
        body.insert("name".into(), Value::from(name));
        let (limit, reset) = wanted_budget(form)?;
        if let Some(limit) = limit {
            body.insert("limit".into(), usd(limit));
            body.insert(
                "limit_reset".into(),
                reset_name(reset).map_or(Value::Null, Value::from),
            );
        }
        if let Some(at) = expiry(form, now)? {
            body.insert("expires_at".into(), Value::from(at));
        }
        let request = self
            .http
            .authorized(&DIALECT, profile, Method::POST, &route(&["keys"]))
            .json(&Value::Object(body));
        let created: wire::Created = self.http.send_json(&DIALECT, profile, request).await?;
        let secret = Secret::new(created.key);
        Ok((neutral_key(created.data, now), secret))
    }

    /// Sends only what differs from the key as OpenRouter has it now; an expiry is set
    /// when a key is created and cannot be changed.
    async fn update_key(
        &self,
        profile: &Profile,
        key_id: &str,
        form: &KeyForm,
        now: DateTime<Utc>,
    ) -> Result<Key, Error> {
        let name = checked_name(form)?;
        form.refuse_unsupported(&capabilities())?;
        let current = self.raw_key(profile, key_id).await?;
        let same_expiry = match &form.expiry {
            Expiry::Keep => true,
            Expiry::Never => current.expires_at.is_none(),
            _ => {
                expiry(form, now)?
                    == current
                        .expires_at
                        .map(|at| at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            }
        };
        if !same_expiry {
            return Err(Error::field(
                "expires_at",
                "OpenRouter sets a key's expiry when the key is created; create a new key for another expiry.",
            ));
        }
        let (limit, reset) = wanted_budget(form)?;
        let desired = Desired {
            name: Some(name.to_owned()),
            disabled: None,
            limit: Some(limit),
            limit_reset: Some(reset),
        };
        let body = changes(&current, &desired);
        if body.is_empty() {
            return Ok(current);
        }
        self.patch(profile, key_id, body).await
    }

    async fn set_disabled(
        &self,
        profile: &Profile,
        key_id: &str,
        disabled: bool,
    ) -> Result<Key, Error> {
        let current = self.raw_key(profile, key_id).await?;
        let body = changes(
            &current,
            &Desired {
                disabled: Some(disabled),
                ..Desired::default()
            },
        );
        if body.is_empty() {
            return Ok(current);
        }
        self.patch(profile, key_id, body).await
    }

    /// `DELETE /keys/{hash}`: the key is gone on OpenRouter; the answer is the key as
    /// it was, marked revoked.
    async fn revoke_key(&self, profile: &Profile, key_id: &str) -> Result<Key, Error> {
        let mut key = self.raw_key(profile, key_id).await?;
        let request =
            self.http
                .authorized(&DIALECT, profile, Method::DELETE, &route(&["keys", key_id]));
        self.http.send(&DIALECT, profile, request).await?;
        key.state = KeyState::Revoked;
        key.revoked_at = Some(Utc::now());
        Ok(key)
    }

    /// The secret's SHA-256, looked up as a key id: one key or none, exactly. A secret
    /// of the wrong shape is refused here, before any request.
    async fn identify_key(&self, profile: &Profile, secret: &Secret) -> Result<Identified, Error> {
        let secret = secret.expose().trim();
        if !well_formed(secret) {
            return Err(Error::field(
                "secret",
                "An OpenRouter key is sk-or-v1- followed by 64 hexadecimal characters, and this is not; check that it was copied whole. Nothing was sent to OpenRouter.",
            ));
        }
        match self.raw_key(profile, &key_hash(secret)).await {
            Ok(key) => Ok(Identified {
                keys: vec![key],
                exact: true,
            }),
            Err(error) if error.code == ErrorCode::NotFound => Ok(Identified {
                keys: Vec::new(),
                exact: true,
            }),
            Err(error) => Err(error),
        }
    }

    async fn usage(
        &self,
        profile: &Profile,
        _project: &str,
        query: &neutral::UsageQuery,
    ) -> Result<neutral::UsageReport, Error> {
        usage::activity_report(self, profile, query).await
    }

    async fn reported_costs(
        &self,
        profile: &Profile,
        query: &neutral::CostQuery,
    ) -> Result<Vec<neutral::ReportedCost>, Error> {
        usage::costs(self, profile, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(budget: Option<MoneyBudget>) -> Key {
        neutral_key(
            wire::Key {
                hash: "h".into(),
                name: "ci".into(),
                label: None,
                disabled: false,
                limit: budget.as_ref().map(|b| {
                    money::decimal(b.micros)
                        .parse()
                        .expect("a decimal is a JSON number")
                }),
                limit_reset: budget.and_then(|b| reset_name(b.reset)).map(str::to_owned),
                created_at: None,
                updated_at: None,
                expires_at: None,
                last_used_at: None,
                creator_user_id: None,
                workspace_id: None,
                usage: None,
                usage_daily: None,
                usage_weekly: None,
                usage_monthly: None,
            },
            Utc::now(),
        )
    }

    #[test]
    fn an_edit_sends_only_what_changed() {
        let current = key(Some(MoneyBudget {
            micros: 10_000_000,
            currency: "USD".into(),
            reset: Some(BudgetPeriod::Month),
        }));
        let same = Desired {
            name: Some("ci".into()),
            disabled: Some(false),
            limit: Some(Some(10_000_000)),
            limit_reset: Some(Some(BudgetPeriod::Month)),
        };
        assert!(changes(&current, &same).is_empty());
        let body = changes(
            &current,
            &Desired {
                limit: Some(Some(5_250_000)),
                ..same.clone()
            },
        );
        assert_eq!(Value::Object(body), serde_json::json!({"limit": 5.25}));
        let body = changes(
            &current,
            &Desired {
                limit: Some(None),
                limit_reset: Some(None),
                disabled: Some(true),
                ..same
            },
        );
        assert_eq!(
            Value::Object(body),
            serde_json::json!({"disabled": true, "limit": null, "limit_reset": null})
        );
    }

    #[test]
    fn secrets_are_recognised_by_their_exact_shape() {
        let adapter = OpenRouter::new(Http::new());
        let good = format!("{PREFIX}{}", "0123456789abcdef".repeat(4));
        assert_eq!(adapter.recognize_secret(&good), Recognition::Key);
        for typo in [
            &good[..good.len() - 1],
            &format!("{good}0"),
            &good.replace('a', "A"),
        ] {
            assert!(
                matches!(adapter.recognize_secret(typo), Recognition::NotAKey(_)),
                "{typo}"
            );
        }
        assert_eq!(
            adapter.recognize_secret("sk-proj-abc"),
            Recognition::Foreign
        );
        assert_eq!(
            key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
