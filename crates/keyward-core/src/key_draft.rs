//! The key form as typed, checked field by field before anything is sent.
//!
//! Why this exists next to [`KeyForm`]: the dialog holds text (a limit typed as
//! "1,000,000", label rows with a blank one at the end, an expiry day in the user's
//! zone), and every rule about that text used to be copied into TypeScript
//! (`keys/rules.ts`). Each rule now lives once, here or in `keyward_api::scope` (the
//! gateway's own), and the dialog asks over IPC (`check_key_form`), as the workload
//! form does. The answer names *every* bad field at once, and when there is none it
//! carries the [`KeyForm`] to send, so the dialog parses nothing itself.
//!
//! Gateway rules keep the gateway's wording ("allowed_models lists …"); the dialog
//! puts API field names into its own words (`fieldWords.ts`) as it does for the
//! gateway's refusals. What only the console knows (typed text) is worded here.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use keyward_api::scope::{self, Labels, TokenLimitPeriod, WorkloadScope, MAX_LIMIT};
use serde::{Deserialize, Serialize};

use crate::keys::{Expiry, KeyForm, ModelLimitForm, MoneyLimit, TrafficLimits};
use crate::workloads::FieldProblem;

/// The longest expiry offered in days (about ten years), as `KeyForm` accepts.
pub const MAX_EXPIRY_DAYS: i64 = 3650;

/// One label row of the form; a row left entirely blank is the spare row and ignored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LabelRow {
    pub key: String,
    pub value: String,
}

/// When the key expires, as the dialog's controls hold it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExpiryDraft {
    /// Edit only: leave the expiry as it is.
    Keep,
    Never,
    /// The start of `date` (`YYYY-MM-DD`) in `time_zone` (IANA), the user's zone: every
    /// time on screen is local.
    Date {
        date: String,
        time_zone: String,
    },
    /// This many days from now, as typed.
    InDays {
        days: String,
    },
}

/// The key form as typed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyDraft {
    pub name: String,
    pub description: String,
    /// Limits as typed; empty = none. Digit-group separators people paste
    /// ("1,000,000", "1 000 000", "1_000_000") are accepted.
    pub rpm: String,
    pub tpm: String,
    pub token_limit: String,
    pub token_limit_period: Option<TokenLimitPeriod>,
    /// `None` = every model of the project.
    pub allowed_models: Option<Vec<String>>,
    #[cfg_attr(feature = "specta", specta(type = keyward_api::scope::WorkloadScopeWire))]
    pub workloads: WorkloadScope,
    pub labels: Vec<LabelRow>,
    pub expiry: ExpiryDraft,
    /// Scopes of the edited key the gateway could not read (`unreadable_scopes`): such
    /// a scope sent back empty stays as enforced, nothing (issue #15), so an empty list
    /// is not a mistake there.
    #[serde(default)]
    pub unreadable_scopes: Vec<String>,
    /// The project a new key is made in, where a profile spans projects (OpenAI).
    #[serde(default)]
    pub project: Option<String>,
    /// A money budget as typed, in USD ("50", "12.50", "1,000"); empty = none.
    #[serde(default)]
    pub money_limit: String,
    /// When the platform resets the money budget; `None` = for the key's life.
    #[serde(default)]
    pub money_reset: Option<crate::platform::capabilities::BudgetPeriod>,
    /// Requests in flight at once, as typed; empty = no limit. With `model_limits`,
    /// `None` = the form does not show them: the key's stay as they are.
    #[serde(default)]
    pub max_parallel: Option<String>,
    /// The per-model limits table; a row left entirely blank is the spare row.
    #[serde(default)]
    pub model_limits: Option<Vec<ModelLimitRow>>,
}

/// One row of the per-model limits table, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelLimitRow {
    pub model: String,
    pub rpm: String,
    pub tpm: String,
    /// USD, as [`KeyDraft::money_limit`] is typed.
    pub budget: String,
    /// When the model's budget resets.
    pub period: Option<crate::platform::capabilities::BudgetPeriod>,
}

impl ModelLimitRow {
    fn is_blank(&self) -> bool {
        [&self.model, &self.rpm, &self.tpm, &self.budget]
            .iter()
            .all(|t| t.trim().is_empty())
            && self.period.is_none()
    }
}

/// The rows as limits: blank rows skipped, each cell parsed on its own, a problem naming
/// `model_limits.<row>.<cell>` (the row as the dialog counts it) for each bad one.
fn model_limits_from_rows(
    rows: &[ModelLimitRow],
    problems: &mut Vec<FieldProblem>,
) -> Vec<(usize, ModelLimitForm)> {
    let mut limits = Vec::new();
    for (row, typed) in rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
        let rename = |mut p: FieldProblem, col: &str| {
            p.field = format!("model_limits.{row}.{col}");
            p
        };
        let rpm = parse_limit("rpm", &typed.rpm).map_err(|p| rename(p, "rpm"));
        let tpm = parse_limit("tpm", &typed.tpm).map_err(|p| rename(p, "tpm"));
        let budget = parse_money(&typed.budget).map_err(|p| rename(p, "budget"));
        let mut ok = true;
        for result in [
            rpm.as_ref().map(|_| ()),
            tpm.as_ref().map(|_| ()),
            budget.as_ref().map(|_| ()),
        ] {
            if let Err(p) = result {
                problems.push(p.clone());
                ok = false;
            }
        }
        if matches!(budget, Ok(None)) && typed.period.is_some() {
            problems.push(problem(
                &format!("model_limits.{row}.budget"),
                "Enter the model's budget, or set its period back to none.",
            ));
            ok = false;
        }
        if let (true, Ok(rpm), Ok(tpm), Ok(budget)) = (ok, rpm, tpm, budget) {
            limits.push((
                row,
                ModelLimitForm {
                    model: typed.model.trim().to_owned(),
                    rpm,
                    tpm,
                    money_budget: budget.map(|micros| MoneyLimit {
                        micros,
                        reset: typed.period,
                    }),
                },
            ));
        }
    }
    limits
}

/// Every problem of the draft, or the form to send when there is none.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyDraftCheck {
    pub problems: Vec<FieldProblem>,
    pub form: Option<KeyForm>,
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A limit as typed: empty is none; otherwise a whole number from 1 to [`MAX_LIMIT`].
pub fn parse_limit(field: &'static str, text: &str) -> Result<Option<i64>, FieldProblem> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '_')
        .collect();
    if compact.is_empty() {
        return Ok(None);
    }
    if !compact.bytes().all(|b| b.is_ascii_digit()) {
        return Err(problem(
            field,
            "Enter a whole number, or leave it empty for no limit.",
        ));
    }
    let out_of_range = || {
        problem(
            field,
            "Enter a number from 1 to 1,000,000,000,000, or leave it empty for no limit.",
        )
    };
    let value: i64 = compact.parse().map_err(|_| out_of_range())?;
    scope::validate_limit(field, value).map_err(|_| out_of_range())?;
    debug_assert!(value <= MAX_LIMIT);
    Ok(Some(value))
}

/// A money budget as typed: empty is none; otherwise a non-negative amount in USD with
/// at most six decimals (read exactly, never through a float), up to a billion.
pub fn parse_money(text: &str) -> Result<Option<i64>, FieldProblem> {
    let compact: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '_')
        .collect();
    if compact.is_empty() {
        return Ok(None);
    }
    let wrong = || {
        problem(
            "money_limit",
            "Enter an amount in USD such as 50 or 12.50 (at most six decimals), or leave it empty for no budget.",
        )
    };
    let digits_ok = compact.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && compact.matches('.').count() <= 1
        && compact.split('.').nth(1).is_none_or(|f| f.len() <= 6)
        && compact != ".";
    if !digits_ok {
        return Err(wrong());
    }
    let micros = crate::platform::money::micros(&compact, 0).ok_or_else(wrong)?;
    if micros > 1_000_000_000 * 1_000_000 {
        return Err(problem(
            "money_limit",
            "A budget is at most 1,000,000,000 USD.",
        ));
    }
    Ok(Some(micros))
}

/// The labels map, from rows: blank rows skipped, names trimmed, each name once.
pub fn labels_from_rows(rows: &[LabelRow]) -> Result<Labels, FieldProblem> {
    let mut labels = Labels::new();
    for row in rows
        .iter()
        .filter(|r| !r.key.trim().is_empty() || !r.value.is_empty())
    {
        let name = row.key.trim();
        if name.is_empty() {
            return Err(problem("labels", "Every label needs a name."));
        }
        if labels.insert(name.to_owned(), row.value.clone()).is_some() {
            return Err(problem("labels", format!("Label “{name}” is set twice.")));
        }
    }
    scope::validate_labels(labels).map_err(FieldProblem::from)
}

/// The instant `date` starts in `time_zone`, if it is still ahead of `now`.
pub fn expiry_date(
    date: &str,
    time_zone: &str,
    now: DateTime<Utc>,
) -> Result<String, FieldProblem> {
    let date = date.trim();
    if date.is_empty() {
        return Err(problem("expires_at", "Choose the date the key expires."));
    }
    // Strict: 2027-02-31 is no date (it is not rolled over into March).
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| problem("expires_at", "Enter a date like 2027-01-31."))?;
    let zone: chrono_tz::Tz = time_zone.parse().map_err(|_| {
        problem(
            "expires_at",
            format!("“{time_zone}” is not a time zone Keyward knows."),
        )
    })?;
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    // Where the clocks skip midnight (a DST change at 00:00), the day starts an hour later.
    let start = zone
        .from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + Duration::hours(1)))
                .earliest()
        })
        .ok_or_else(|| problem("expires_at", "Enter a date like 2027-01-31."))?
        .with_timezone(&Utc);
    if start <= now {
        return Err(problem(
            "expires_at",
            "The date has passed: choose a later one (the key expires at the start of that day).",
        ));
    }
    Ok(start.to_rfc3339())
}

fn expiry_days(text: &str) -> Result<i64, FieldProblem> {
    let text = text.trim();
    let wrong = || {
        problem(
            "expires_at",
            format!("Enter a whole number of days from 1 to {MAX_EXPIRY_DAYS}."),
        )
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    let days: i64 = text.parse().map_err(|_| wrong())?;
    if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
        return Err(wrong());
    }
    Ok(days)
}

impl KeyDraft {
    /// Checks every field on its own (one mistake never hides another) by the gateway's
    /// rules and the form's own; `creating` asks for an expiry choice.
    pub fn check(&self, creating: bool, now: DateTime<Utc>) -> KeyDraftCheck {
        let mut problems = Vec::new();
        let mut note = |result: Result<(), FieldProblem>| {
            if let Err(p) = result {
                problems.push(p);
            }
        };
        let name = keyward_api::keys::validate_name(Some(&self.name))
            .map(str::to_owned)
            .map_err(FieldProblem::from);
        note(name.as_ref().map(|_| ()).map_err(Clone::clone));
        let description =
            scope::validate_description(&self.description).map_err(FieldProblem::from);
        note(description.as_ref().map(|_| ()).map_err(Clone::clone));
        let money = parse_money(&self.money_limit);
        note(money.as_ref().map(|_| ()).map_err(Clone::clone));
        if matches!(money, Ok(None)) && self.money_reset.is_some() {
            note(Err(problem(
                "money_limit",
                "Enter the budget, or set its reset back to none.",
            )));
        }
        let rpm = parse_limit("rpm", &self.rpm);
        note(rpm.as_ref().map(|_| ()).map_err(Clone::clone));
        let tpm = parse_limit("tpm", &self.tpm);
        note(tpm.as_ref().map(|_| ()).map_err(Clone::clone));
        let budget = parse_limit("token_limit", &self.token_limit);
        note(budget.as_ref().map(|_| ()).map_err(Clone::clone));
        if let Ok(limit) = budget {
            note(match (limit, self.token_limit_period) {
                (Some(_), None) => Err(problem(
                    "token_limit_period",
                    "Choose the period the budget applies to.",
                )),
                (None, Some(_)) => Err(problem(
                    "token_limit",
                    "Enter the token budget, or set the period back to none.",
                )),
                _ => Ok(()),
            });
        }
        let unreadable = |scope: &str| self.unreadable_scopes.iter().any(|s| s == scope);
        match &self.allowed_models {
            // Sent back as the gateway reports an unreadable list: unchanged, closed.
            Some(models) if models.is_empty() && unreadable("allowed_models") => {}
            Some(models) => note(
                scope::validate_models(models.clone())
                    .map(|_| ())
                    .map_err(FieldProblem::from),
            ),
            None => {}
        }
        match &self.workloads {
            WorkloadScope::Only(slugs) if slugs.is_empty() && unreadable("workloads") => {}
            WorkloadScope::Only(slugs) if slugs.is_empty() => note(Err(problem(
                "workloads",
                "Add at least one workload, or choose Whole project.",
            ))),
            scope => note(
                scope::validate_workloads(scope.clone())
                    .map(|_| ())
                    .map_err(FieldProblem::from),
            ),
        }
        let labels = labels_from_rows(&self.labels);
        note(labels.as_ref().map(|_| ()).map_err(Clone::clone));
        let expiry = match &self.expiry {
            ExpiryDraft::Keep if creating => {
                Err(problem("expires_at", "Choose when the new key expires."))
            }
            ExpiryDraft::Keep => Ok(Expiry::Keep),
            ExpiryDraft::Never => Ok(Expiry::Never),
            ExpiryDraft::Date { date, time_zone } => {
                expiry_date(date, time_zone, now).map(|date| Expiry::Date { date })
            }
            ExpiryDraft::InDays { days } => expiry_days(days).map(|days| Expiry::InDays { days }),
        };
        note(expiry.as_ref().map(|_| ()).map_err(Clone::clone));
        let shown = self.max_parallel.is_some() || self.model_limits.is_some();
        let max_parallel = parse_limit("max_parallel", self.max_parallel.as_deref().unwrap_or(""));
        note(max_parallel.as_ref().map(|_| ()).map_err(Clone::clone));
        let typed_limits =
            model_limits_from_rows(self.model_limits.as_deref().unwrap_or(&[]), &mut problems);
        let model_limits: Vec<ModelLimitForm> =
            typed_limits.iter().map(|(_, l)| l.clone()).collect();
        // The shared rules count rows without the blank ones; the dialog counts them all.
        let row_of: Vec<usize> = typed_limits.iter().map(|(row, _)| *row).collect();
        for (field, message) in crate::keys::model_limit_problems(
            max_parallel.clone().ok().flatten(),
            self.allowed_models.as_deref(),
            &model_limits,
        ) {
            let field = match field.strip_prefix("model_limits.") {
                Some(rest) => {
                    let (index, col) = rest.split_once('.').unwrap_or((rest, "model"));
                    let row = index
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| row_of.get(i).copied())
                        .unwrap_or(0);
                    format!("model_limits.{row}.{col}")
                }
                None => field,
            };
            problems.push(problem(&field, message));
        }

        let form = match (name, rpm, tpm, budget, labels, expiry) {
            (Ok(name), Ok(rpm), Ok(tpm), Ok(token_limit), Ok(labels), Ok(expiry))
                if problems.is_empty() =>
            {
                Some(KeyForm {
                    name,
                    description: self.description.trim().to_owned(),
                    rpm,
                    tpm,
                    token_limit,
                    token_limit_period: self.token_limit_period,
                    allowed_models: self.allowed_models.clone(),
                    workloads: self.workloads.clone(),
                    labels,
                    expiry,
                    project: self.project.clone().filter(|p| !p.trim().is_empty()),
                    money_budget: money.ok().flatten().map(|micros| MoneyLimit {
                        micros,
                        reset: self.money_reset,
                    }),
                    traffic_limits: shown.then(|| TrafficLimits {
                        max_parallel: max_parallel.ok().flatten(),
                        per_model: model_limits,
                    }),
                })
            }
            _ => None,
        };
        KeyDraftCheck { problems, form }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A money budget is read exactly in every form people type it, and refused naming
    /// the field in every form it cannot be.
    #[test]
    fn money_budgets_are_read_exactly_or_refused_by_name() {
        for (typed, micros) in [
            ("50", 50_000_000),
            ("12.50", 12_500_000),
            ("$1,000", 1_000_000_000),
            (" 0.000001 ", 1),
            ("0", 0),
            (".5", 500_000),
        ] {
            assert_eq!(parse_money(typed).unwrap(), Some(micros), "{typed}");
        }
        assert_eq!(parse_money("  ").unwrap(), None);
        for bad in [
            "-5",
            "1e3",
            "12.3456789",
            "1.2.3",
            "abc",
            "NaN",
            ".",
            "2000000000",
        ] {
            assert_eq!(parse_money(bad).unwrap_err().field, "money_limit", "{bad}");
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    fn draft() -> KeyDraft {
        KeyDraft {
            name: " payments ".into(),
            description: "".into(),
            rpm: "".into(),
            tpm: "".into(),
            token_limit: "".into(),
            token_limit_period: None,
            allowed_models: None,
            workloads: WorkloadScope::Project,
            labels: vec![LabelRow {
                key: String::new(),
                value: String::new(),
            }],
            expiry: ExpiryDraft::Never,
            unreadable_scopes: Vec::new(),
            project: None,
            money_limit: String::new(),
            money_reset: None,
            max_parallel: None,
            model_limits: None,
        }
    }

    fn fields(check: &KeyDraftCheck) -> Vec<&str> {
        check.problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_clean_draft_becomes_the_form_to_send() {
        let mut d = draft();
        d.rpm = "1,000".into();
        d.tpm = "1 000 000".into();
        d.token_limit = "5_000".into();
        d.token_limit_period = Some(TokenLimitPeriod::Day);
        d.labels.insert(
            0,
            LabelRow {
                key: " team ".into(),
                value: "billing".into(),
            },
        );
        let check = d.check(true, now());
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        let form = check.form.unwrap();
        assert_eq!(form.name, "payments");
        assert_eq!(
            (form.rpm, form.tpm, form.token_limit),
            (Some(1000), Some(1_000_000), Some(5000))
        );
        assert_eq!(form.labels.get("team").map(String::as_str), Some("billing"));
        assert_eq!(form.expiry, Expiry::Never);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let d = KeyDraft {
            name: "  ".into(),
            description: "d".repeat(1001),
            rpm: "ten".into(),
            tpm: "0".into(),
            token_limit: "".into(),
            token_limit_period: Some(TokenLimitPeriod::Month),
            allowed_models: Some(vec!["a".into(), "a".into()]),
            workloads: WorkloadScope::Only(vec!["Not A Slug".into()]),
            labels: vec![LabelRow {
                key: "".into(),
                value: "orphan".into(),
            }],
            expiry: ExpiryDraft::InDays { days: "0".into() },
            unreadable_scopes: Vec::new(),
            project: None,
            money_limit: String::new(),
            money_reset: None,
            max_parallel: None,
            model_limits: None,
        };
        let check = d.check(true, now());
        assert_eq!(
            fields(&check),
            [
                "name",
                "description",
                "rpm",
                "tpm",
                "token_limit",
                "allowed_models",
                "workloads",
                "labels",
                "expires_at"
            ]
        );
        assert!(check.form.is_none());
    }

    /// Parallel and per-model limits (issue #18): not shown = left as the key has them;
    /// shown, the spare blank row is skipped, cells are read like the key's own limits
    /// and budget, and each problem names its row (as the dialog counts rows) and cell.
    #[test]
    fn per_model_limits_are_read_by_row_and_named_by_cell() {
        use crate::platform::capabilities::BudgetPeriod;
        let d = draft();
        assert_eq!(d.check(true, now()).form.unwrap().traffic_limits, None);
        let row = |model: &str, rpm: &str, budget: &str, period| ModelLimitRow {
            model: model.into(),
            rpm: rpm.into(),
            tpm: String::new(),
            budget: budget.into(),
            period,
        };
        let mut d = draft();
        d.max_parallel = Some("8".into());
        d.model_limits = Some(vec![
            row("gpt-4o", "1,000", "12.50", Some(BudgetPeriod::Week)),
            ModelLimitRow::default(),
        ]);
        let check = d.check(true, now());
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        let traffic = check.form.unwrap().traffic_limits.unwrap();
        assert_eq!(traffic.max_parallel, Some(8));
        assert_eq!(traffic.per_model.len(), 1);
        let limit = &traffic.per_model[0];
        assert_eq!(
            (limit.model.as_str(), limit.rpm, limit.tpm),
            ("gpt-4o", Some(1000), None)
        );
        assert_eq!(
            limit.money_budget,
            Some(MoneyLimit {
                micros: 12_500_000,
                reset: Some(BudgetPeriod::Week)
            })
        );

        let mut d = draft();
        d.allowed_models = Some(vec!["gpt-4o".into()]);
        d.max_parallel = Some("0".into());
        d.model_limits = Some(vec![
            ModelLimitRow::default(),
            row("gpt-4o", "ten", "", None),
            row("claude", "5", "", None),
            row("gpt-4o", "5", "1.5", None),
            row("", "", "", Some(BudgetPeriod::Day)),
            row("gpt-4o", "7", "", None),
        ]);
        let check = d.check(true, now());
        assert!(check.form.is_none());
        assert_eq!(
            fields(&check),
            [
                "max_parallel",
                "model_limits.1.rpm",
                "model_limits.4.budget",
                "model_limits.2.model",
                "model_limits.3.period",
                "model_limits.5.model"
            ]
        );
        assert!(check.problems[3]
            .message
            .contains("not among the key's allowed models"));
        assert!(check.problems[5].message.contains("twice"));
    }

    #[test]
    fn limits_are_whole_numbers_in_range_or_empty() {
        assert_eq!(parse_limit("rpm", "  ").unwrap(), None);
        assert_eq!(
            parse_limit("rpm", "1_000_000_000_000").unwrap(),
            Some(MAX_LIMIT)
        );
        for (text, says) in [
            ("1.5", "whole number"),
            ("-3", "whole number"),
            ("0", "from 1 to 1,000,000,000,000"),
            ("1000000000001", "from 1 to"),
            ("99999999999999999999", "from 1 to"),
        ] {
            let p = parse_limit("tpm", text).unwrap_err();
            assert_eq!(p.field, "tpm");
            assert!(p.message.contains(says), "{text}: {}", p.message);
        }
    }

    #[test]
    fn a_budget_goes_with_its_period() {
        let mut d = draft();
        d.token_limit = "100".into();
        assert_eq!(fields(&d.check(true, now())), ["token_limit_period"]);
        d.token_limit = "".into();
        d.token_limit_period = Some(TokenLimitPeriod::Day);
        assert_eq!(fields(&d.check(true, now())), ["token_limit"]);
    }

    #[test]
    fn workloads_need_one_slug_unless_the_stored_list_was_unreadable() {
        let mut d = draft();
        d.workloads = WorkloadScope::Only(Vec::new());
        let check = d.check(false, now());
        assert_eq!(
            check.problems[0].message,
            "Add at least one workload, or choose Whole project."
        );
        d.unreadable_scopes = vec!["workloads".into(), "allowed_models".into()];
        d.allowed_models = Some(Vec::new());
        d.expiry = ExpiryDraft::Keep;
        let check = d.check(false, now());
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        assert_eq!(check.form.unwrap().allowed_models, Some(Vec::new()));
    }

    #[test]
    fn labels_need_a_name_each_once() {
        let row = |k: &str, v: &str| LabelRow {
            key: k.into(),
            value: v.into(),
        };
        assert!(labels_from_rows(&[row("", "")]).unwrap().is_empty());
        assert_eq!(
            labels_from_rows(&[row("", "x")]).unwrap_err().message,
            "Every label needs a name."
        );
        assert_eq!(
            labels_from_rows(&[row("team", "a"), row(" team", "b")])
                .unwrap_err()
                .message,
            "Label “team” is set twice."
        );
        assert!(labels_from_rows(&[row("bad name", "x")]).is_err());
    }

    #[test]
    fn an_expiry_date_is_the_start_of_that_day_in_the_users_zone() {
        // Midnight in Kolkata (+05:30) is 18:30 UTC the day before.
        assert_eq!(
            expiry_date("2026-12-01", "Asia/Kolkata", now()).unwrap(),
            "2026-11-30T18:30:00+00:00"
        );
        assert_eq!(
            expiry_date("2026-12-01", "America/Los_Angeles", now()).unwrap(),
            "2026-12-01T08:00:00+00:00"
        );
        for (date, says) in [
            ("", "Choose the date"),
            ("2027-02-31", "like 2027-01-31"),
            ("31.01.2027", "like 2027-01-31"),
            ("2026-11-22", "has passed"),
        ] {
            let p = expiry_date(date, "UTC", now()).unwrap_err();
            assert!(p.message.contains(says), "{date}: {}", p.message);
        }
        assert!(expiry_date("2027-01-01", "Mars/Olympus", now()).is_err());
    }

    #[test]
    fn expiry_days_and_keep() {
        assert_eq!(expiry_days(" 30 ").unwrap(), 30);
        for bad in ["", "0", "3651", "1.5", "ten"] {
            assert!(expiry_days(bad).is_err(), "{bad}");
        }
        let mut d = draft();
        d.expiry = ExpiryDraft::Keep;
        assert_eq!(fields(&d.check(true, now())), ["expires_at"]);
        assert!(d.check(false, now()).problems.is_empty());
    }
}
