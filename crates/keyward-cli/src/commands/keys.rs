//! `kw keys`: the Keys workspace through the profile's platform (the neutral
//! [`Key`]). A create or edit is a [`KeyDraft`] checked by `KeyDraft::check` — the
//! dialog's rules, held once in keyward-core — so kw and the app refuse the same
//! input with the same words. A new secret goes to stdout alone.

use super::word;
use crate::cli::{Global, KeyCreateArgs, KeyListArgs, KeyScopeArgs, KeyUpdateArgs, KeysCommand};
use crate::cli::{MoneyResetArg, PeriodArg, SortArg, StatusArg};
use crate::output::{self, Stream};
use crate::target;
use keyward_api::scope::{TokenLimitPeriod, WorkloadScope};
use keyward_api::Secret;
use keyward_core::key_draft::{ExpiryDraft, KeyDraft, LabelRow, ModelLimitRow};
use keyward_core::keys::{validate_key_id, KeyForm, KeyListQuery, KeySort};
use keyward_core::platform::capabilities::BudgetPeriod;
use keyward_core::platform::model::{Key, KeyState, ModelLimit, MoneyBudget};
use keyward_core::{Console, Error, ErrorCode};

pub async fn run(console: &Console, global: &Global, command: KeysCommand) -> Result<(), Error> {
    let (profile, platform) = target::resolve(console, global).await?;
    let now = chrono::Utc::now();
    match command {
        KeysCommand::List(args) => {
            let page = platform.list_keys(&profile, &list_query(&args)).await?;
            if global.json {
                return output::json(Stream::Stdout, &page);
            }
            if page.keys.is_empty() {
                Stream::Stderr.print("No keys match.");
                return Ok(());
            }
            Stream::Stdout.print(&key_table(&page.keys));
            if let Some(total) = page.total.filter(|t| *t > page.keys.len() as u64) {
                Stream::Stderr.print(&format!(
                    "{} of {total} keys; --offset {} shows the next ones.",
                    page.keys.len(),
                    args.offset + page.keys.len() as i64
                ));
            }
            Ok(())
        }
        KeysCommand::Get { id } => {
            validate_key_id(&id)?;
            let key = platform.get_key(&profile, &id).await?;
            print_key(global, Stream::Stdout, &key)
        }
        KeysCommand::Create(args) => {
            let form = create_form(&args, now)?;
            let (key, secret) = platform.create_key(&profile, &form, now).await?;
            print_secret(global, &key, &secret, "Created")
        }
        KeysCommand::Update(args) => {
            validate_key_id(&args.id)?;
            let current = platform.get_key(&profile, &args.id).await?;
            let form = update_form(&current, &args, now)?;
            let key = platform.update_key(&profile, &args.id, &form, now).await?;
            print_key(global, Stream::Stdout, &key)
        }
        KeysCommand::Revoke { id } => {
            validate_key_id(&id)?;
            let key = platform.revoke_key(&profile, &id).await?;
            print_key(global, Stream::Stdout, &key)?;
            // A revoke of several requests (Gcore detaches the key from its deployments
            // first) says each step done, on stderr; stdout stays the key.
            for step in &key.steps {
                Stream::Stderr.print(step);
            }
            Ok(())
        }
        KeysCommand::Disable { id } => {
            validate_key_id(&id)?;
            let key = platform.set_disabled(&profile, &id, true).await?;
            print_key(global, Stream::Stdout, &key)
        }
        KeysCommand::Enable { id } => {
            validate_key_id(&id)?;
            let key = platform.set_disabled(&profile, &id, false).await?;
            print_key(global, Stream::Stdout, &key)
        }
        KeysCommand::Rotate { id, grace } => {
            validate_key_id(&id)?;
            if i64::from(grace) > keyward_api::keys::MAX_GRACE_PERIOD_SECONDS {
                return Err(Error::field(
                    "grace_period_seconds",
                    "--grace is at most 7 days (604800 seconds).",
                ));
            }
            let (key, secret) = platform.rotate_key(&profile, &id, grace).await?;
            print_secret(global, &key, &secret, "Rotated")
        }
    }
}

fn list_query(args: &KeyListArgs) -> KeyListQuery {
    KeyListQuery {
        status: args.status.map(|s| match s {
            StatusArg::Active => KeyState::Active,
            StatusArg::Disabled => KeyState::Disabled,
            StatusArg::Revoked => KeyState::Revoked,
            StatusArg::Expired => KeyState::Expired,
            StatusArg::Archived => KeyState::Archived,
        }),
        q: args.search.clone(),
        project: args.project.clone(),
        sort: args.sort.map(|s| match s {
            SortArg::CreatedAt => KeySort::CreatedAt,
            SortArg::LastUsedAt => KeySort::LastUsedAt,
            SortArg::Name => KeySort::Name,
        }),
        limit: Some(args.limit),
        offset: Some(args.offset),
        ..Default::default()
    }
}

fn period(arg: PeriodArg) -> TokenLimitPeriod {
    match arg {
        PeriodArg::Minute => TokenLimitPeriod::Minute,
        PeriodArg::Hour => TokenLimitPeriod::Hour,
        PeriodArg::Day => TokenLimitPeriod::Day,
        PeriodArg::Week => TokenLimitPeriod::Week,
        PeriodArg::Month => TokenLimitPeriod::Month,
    }
}

/// `--money-reset`: `never` is a budget for the key's life (no reset).
fn money_reset(arg: MoneyResetArg) -> Option<BudgetPeriod> {
    match arg {
        MoneyResetArg::Day => Some(BudgetPeriod::Day),
        MoneyResetArg::Week => Some(BudgetPeriod::Week),
        MoneyResetArg::Month => Some(BudgetPeriod::Month),
        MoneyResetArg::Never => None,
    }
}

/// `--expires` as the dialog's expiry control: `never`, `30d`, or a date in the zone.
fn expiry(text: &str, time_zone: &str) -> ExpiryDraft {
    let text = text.trim();
    if text.eq_ignore_ascii_case("never") {
        ExpiryDraft::Never
    } else if let Some(days) = text.strip_suffix('d').or_else(|| text.strip_suffix('D')) {
        ExpiryDraft::InDays {
            days: days.to_owned(),
        }
    } else {
        ExpiryDraft::Date {
            date: text.to_owned(),
            time_zone: time_zone.to_owned(),
        }
    }
}

fn label_rows(labels: &[String]) -> Vec<LabelRow> {
    labels
        .iter()
        .map(|l| match l.split_once('=') {
            Some((key, value)) => LabelRow {
                key: key.to_owned(),
                value: value.to_owned(),
            },
            None => LabelRow {
                key: l.clone(),
                value: String::new(),
            },
        })
        .collect()
}

/// The flag a draft field is set with, for problems.
fn flag(field: &str) -> String {
    let flag = match field {
        "token_limit_period" => "period",
        "allowed_models" => "model",
        "workloads" => "workload",
        "labels" => "label",
        "expires_at" => "expires",
        other => match other
            .strip_prefix("model_limits.")
            .and_then(|f| f.rsplit('.').next())
        {
            Some("rpm") => "model_rpm",
            Some("tpm") => "model_tpm",
            Some("budget" | "period") => "model_budget",
            Some(_) => return "--model-rpm/--model-tpm/--model-budget".to_owned(),
            None => other,
        },
    };
    format!("--{}", flag.replace('_', "-"))
}

/// The draft checked by the core's key rules: the form, or every problem on one line.
fn checked(
    draft: &KeyDraft,
    creating: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<KeyForm, Error> {
    let check = draft.check(creating, now);
    match check.form {
        Some(form) if check.problems.is_empty() => Ok(form),
        _ => {
            let first = check
                .problems
                .first()
                .map(|p| p.field.clone())
                .unwrap_or_default();
            let message = check
                .problems
                .iter()
                .map(|p| format!("{}: {}", flag(&p.field), p.message))
                .collect::<Vec<_>>()
                .join(" ");
            Err(Error {
                code: ErrorCode::InvalidInput,
                message,
                field: Some(first),
            })
        }
    }
}

fn apply_scopes(draft: &mut KeyDraft, scopes: &KeyScopeArgs) -> Result<(), Error> {
    if let Some(description) = &scopes.description {
        draft.description = description.clone();
    }
    if let Some(rpm) = &scopes.rpm {
        draft.rpm = rpm.clone();
    }
    if let Some(tpm) = &scopes.tpm {
        draft.tpm = tpm.clone();
    }
    if let Some(limit) = &scopes.token_limit {
        draft.token_limit = limit.clone();
        if limit.trim().is_empty() && scopes.period.is_none() {
            draft.token_limit_period = None;
        }
    }
    if let Some(p) = scopes.period {
        draft.token_limit_period = Some(period(p));
    }
    if let Some(limit) = &scopes.money_limit {
        draft.money_limit = limit.clone();
        // Clearing the budget clears its reset too, unless one is given (which the
        // key rules then refuse, naming --money-limit).
        if limit.trim().is_empty() && scopes.money_reset.is_none() {
            draft.money_reset = None;
        }
    }
    if let Some(reset) = scopes.money_reset {
        draft.money_reset = money_reset(reset);
    }
    if let Some(n) = &scopes.max_parallel {
        draft.max_parallel = Some(n.clone());
    }
    apply_model_limits(draft, scopes)?;
    if !scopes.models.is_empty() {
        draft.allowed_models = Some(scopes.models.clone());
    }
    if !scopes.workloads.is_empty() {
        draft.workloads = WorkloadScope::Only(scopes.workloads.clone());
    }
    if !scopes.labels.is_empty() {
        draft.labels = label_rows(&scopes.labels);
    }
    if let Some(expires) = &scopes.expires {
        draft.expiry = expiry(expires, &scopes.time_zone);
    }
    Ok(())
}

/// `MODEL=VALUE` of a per-model flag; the model name trimmed, the value as typed.
fn model_pair<'a>(flag: &str, text: &'a str) -> Result<(String, &'a str), Error> {
    match text.split_once('=') {
        Some((model, value)) if !model.trim().is_empty() => Ok((model.trim().to_owned(), value)),
        _ => Err(Error::field(
            flag.trim_start_matches('-'),
            format!("{flag} takes MODEL=VALUE, such as gpt-4o=60; got “{text}”."),
        )),
    }
}

/// The per-model flags applied to the draft's table: each sets (or, with an empty value,
/// removes) one cell of the model's row, a row made for a model not there yet and
/// dropped once all its cells are empty. The values stay text for the key rules.
fn apply_model_limits(draft: &mut KeyDraft, scopes: &KeyScopeArgs) -> Result<(), Error> {
    fn row<'a>(rows: &'a mut Vec<ModelLimitRow>, model: &str) -> &'a mut ModelLimitRow {
        let at = match rows.iter().position(|r| r.model.trim() == model) {
            Some(at) => at,
            None => {
                rows.push(ModelLimitRow {
                    model: model.to_owned(),
                    ..Default::default()
                });
                rows.len() - 1
            }
        };
        &mut rows[at]
    }
    if scopes.model_rpm.is_empty() && scopes.model_tpm.is_empty() && scopes.model_budget.is_empty()
    {
        return Ok(());
    }
    let rows = draft.model_limits.get_or_insert_with(Vec::new);
    for text in &scopes.model_rpm {
        let (model, value) = model_pair("--model-rpm", text)?;
        row(rows, &model).rpm = value.to_owned();
    }
    for text in &scopes.model_tpm {
        let (model, value) = model_pair("--model-tpm", text)?;
        row(rows, &model).tpm = value.to_owned();
    }
    for text in &scopes.model_budget {
        let (model, value) = model_pair("--model-budget", text)?;
        let (amount, period) = match value.rsplit_once('/') {
            Some((amount, period)) => {
                let period = match period.trim() {
                    "daily" => BudgetPeriod::Day,
                    "weekly" => BudgetPeriod::Week,
                    "monthly" => BudgetPeriod::Month,
                    other => {
                        return Err(Error::field(
                            "model-budget",
                            format!("--model-budget: “{other}” is not a period; use daily, weekly or monthly."),
                        ))
                    }
                };
                (amount, Some(period))
            }
            None => (value, None),
        };
        let row = row(rows, &model);
        row.budget = amount.to_owned();
        row.period = if amount.trim().is_empty() {
            None
        } else {
            period.or(row.period).or(Some(BudgetPeriod::Month))
        };
    }
    rows.retain(|r| {
        !(r.rpm.trim().is_empty() && r.tpm.trim().is_empty() && r.budget.trim().is_empty())
    });
    Ok(())
}

fn create_form(args: &KeyCreateArgs, now: chrono::DateTime<chrono::Utc>) -> Result<KeyForm, Error> {
    let mut draft = KeyDraft {
        name: args.name.clone(),
        description: String::new(),
        rpm: String::new(),
        tpm: String::new(),
        token_limit: String::new(),
        token_limit_period: None,
        allowed_models: None,
        workloads: WorkloadScope::Project,
        labels: Vec::new(),
        expiry: ExpiryDraft::Never,
        unreadable_scopes: Vec::new(),
        project: args.project.clone(),
        money_limit: String::new(),
        money_reset: None,
        max_parallel: None,
        model_limits: None,
    };
    apply_scopes(&mut draft, &args.scopes)?;
    checked(&draft, true, now)
}

/// The key as the platform has it, as the edit dialog opens it.
fn draft_of(key: &Key) -> KeyDraft {
    let scopes = &key.scopes;
    let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    KeyDraft {
        name: key.name.clone(),
        description: scopes.description.clone().unwrap_or_default(),
        rpm: number(scopes.rpm),
        tpm: number(scopes.tpm),
        token_limit: number(scopes.token_budget.map(|b| b.tokens)),
        token_limit_period: scopes.token_budget.map(|b| b.period.token_limit_period()),
        allowed_models: scopes.models.clone(),
        workloads: match &scopes.workloads {
            Some(slugs) => WorkloadScope::Only(slugs.clone()),
            None => WorkloadScope::Project,
        },
        labels: scopes
            .labels
            .iter()
            .map(|(key, value)| LabelRow {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        expiry: ExpiryDraft::Keep,
        unreadable_scopes: key.unreadable_scopes.clone(),
        project: None,
        // The amount as the platform reports it ("12.5"), read back by the key rules.
        money_limit: scopes
            .money_budget
            .as_ref()
            .map(|b| keyward_core::platform::money::decimal(b.micros))
            .unwrap_or_default(),
        money_reset: scopes.money_budget.as_ref().and_then(|b| b.reset),
        max_parallel: Some(number(scopes.max_parallel)),
        model_limits: Some(
            scopes
                .model_limits
                .iter()
                .map(|l| ModelLimitRow {
                    model: l.model.clone(),
                    rpm: number(l.rpm),
                    tpm: number(l.tpm),
                    budget: l
                        .money_budget
                        .as_ref()
                        .map(|b| keyward_core::platform::money::decimal(b.micros))
                        .unwrap_or_default(),
                    period: l.money_budget.as_ref().and_then(|b| b.reset),
                })
                .collect(),
        ),
    }
}

fn update_form(
    current: &Key,
    args: &KeyUpdateArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<KeyForm, Error> {
    let mut draft = draft_of(current);
    if let Some(name) = &args.name {
        draft.name = name.clone();
    }
    apply_scopes(&mut draft, &args.scopes)?;
    if args.all_models {
        draft.allowed_models = None;
    }
    if args.whole_project {
        draft.workloads = WorkloadScope::Project;
    }
    // A key that may call no workload (its workloads deleted, or a Gcore key attached
    // to none) keeps that scope unchanged when no flag changes it.
    if matches!(&draft.workloads, WorkloadScope::Only(slugs) if slugs.is_empty()) {
        draft.unreadable_scopes.push("workloads".to_owned());
    }
    checked(&draft, false, now)
}

fn key_table(keys: &[Key]) -> String {
    let rows = keys.iter().map(|k| {
        vec![
            k.id.clone(),
            k.name.clone(),
            word(&k.state),
            output::or_dash(k.hint.as_deref()),
            output::or_dash(k.project.as_deref()),
            output::or_dash(k.owner.as_deref()),
            output::when(k.last_used_at),
            output::when(k.created_at),
        ]
    });
    output::table(
        &[
            "ID",
            "NAME",
            "STATE",
            "HINT",
            "PROJECT",
            "OWNER",
            "LAST USED",
            "CREATED",
        ],
        rows,
    )
}

/// "12.5 USD per month", or "… for the key's life".
fn money_text(b: &MoneyBudget) -> String {
    let amount = keyward_core::platform::money::decimal(b.micros);
    match b.reset {
        Some(reset) => format!("{amount} {} per {}", b.currency, word(&reset)),
        None => format!("{amount} {} for the key's life", b.currency),
    }
}

/// "gpt-4o: rpm 10, 2.5 USD per week; gpt-4o-mini: tpm 50000", or "none".
fn model_limits_text(limits: &[ModelLimit]) -> String {
    if limits.is_empty() {
        return "none".to_owned();
    }
    limits
        .iter()
        .map(|l| {
            let parts: Vec<String> = [
                l.rpm.map(|n| format!("rpm {n}")),
                l.tpm.map(|n| format!("tpm {n}")),
                l.money_budget.as_ref().map(money_text),
            ]
            .into_iter()
            .flatten()
            .collect();
            format!("{}: {}", l.model, parts.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn key_fields(key: &Key) -> String {
    let s = &key.scopes;
    let limit = |n: Option<u64>| n.map_or_else(|| "none".to_owned(), |n| n.to_string());
    let list = |l: &Option<Vec<String>>, all: &str| match l {
        Some(items) => items.join(", "),
        None => all.to_owned(),
    };
    output::fields(&[
        ("Id", key.id.clone()),
        ("Name", key.name.clone()),
        ("State", word(&key.state)),
        ("Hint", output::or_dash(key.hint.as_deref())),
        ("Project", output::or_dash(key.project.as_deref())),
        ("Owner", output::or_dash(key.owner.as_deref())),
        ("Description", output::or_dash(s.description.as_deref())),
        ("RPM", limit(s.rpm)),
        ("TPM", limit(s.tpm)),
        (
            "Money budget",
            s.money_budget
                .as_ref()
                .map_or_else(|| "none".to_owned(), money_text),
        ),
        ("Parallel requests", limit(s.max_parallel)),
        ("Per model", model_limits_text(&s.model_limits)),
        (
            "Token budget",
            s.token_budget.map_or_else(
                || "none".to_owned(),
                |b| format!("{} per {}", b.tokens, word(&b.period)),
            ),
        ),
        ("Models", list(&s.models, "all")),
        ("Workloads", list(&s.workloads, "whole project")),
        (
            "Labels",
            if s.labels.is_empty() {
                "—".to_owned()
            } else {
                s.labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        ("Created", output::when(key.created_at)),
        ("Last used", output::when(key.last_used_at)),
        ("Expires", output::when(key.expires_at)),
    ])
}

fn print_key(global: &Global, stream: Stream, key: &Key) -> Result<(), Error> {
    if global.json {
        return output::json(stream, key);
    }
    stream.print(&key_fields(key));
    Ok(())
}

/// The secret alone on stdout, the key and a note on stderr.
fn print_secret(global: &Global, key: &Key, secret: &Secret, what: &str) -> Result<(), Error> {
    output::secret(secret);
    print_key(global, Stream::Stderr, key)?;
    if !global.json {
        Stream::Stderr.print(&format!(
            "{what} key \"{}\". Its secret is on stdout and is shown only this once.",
            key.name
        ));
    }
    Ok(())
}
