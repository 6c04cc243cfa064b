//! What a key may do: every scope the seed platforms offer, and their validation.
//!
//! One definition serves the gateway (authoritative) and the console (to put an error
//! under the right field before any request). Each rule fails with a [`FieldError`]
//! naming the field in the wire's own spelling.

use crate::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_LIST_ITEMS: usize = 128;
pub const MAX_LABELS: usize = 32;
/// Upper bound for rpm, tpm and token budgets: large enough for any real plan, small
/// enough to stay exact in JSON numbers and TypeScript.
pub const MAX_LIMIT: i64 = 1_000_000_000_000;

/// The window a `token_limit` budget applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitPeriod {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

/// By hand rather than derived: a derived enum tells a client that sent `3` only that
/// it "expected ident"; this names the values (in a 400, `field` = the member).
impl<'de> Deserialize<'de> for TokenLimitPeriod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_named(
            deserializer,
            TokenLimitPeriod::parse,
            "one of minute, hour, day, week or month",
        )
    }
}

/// Reads a unit enum from its name with `parse`; anything else fails saying `names`
/// (for a client: "role must be one of owner, admin or viewer, not 3.").
pub(crate) fn deserialize_named<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: fn(&str) -> Option<T>,
    names: &'static str,
) -> Result<T, D::Error> {
    struct Named<T> {
        parse: fn(&str) -> Option<T>,
        names: &'static str,
    }
    impl<T> serde::de::Visitor<'_> for Named<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.names)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            (self.parse)(v).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
        }
    }
    deserializer.deserialize_str(Named { parse, names })
}

impl TokenLimitPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Minute, Self::Hour, Self::Day, Self::Week, Self::Month]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    /// The budget period holding `now`, calendar-aligned in UTC: minute, hour, day,
    /// ISO week from Monday, month. `[start, end)`. The gateway enforces budgets over
    /// exactly this window and the console charts them over it.
    pub fn window(
        self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        use chrono::{Datelike, Duration, DurationRound, TimeZone, Utc};
        let floor = |d: Duration| now.duration_trunc(d).unwrap_or(now);
        match self {
            Self::Minute => (
                floor(Duration::minutes(1)),
                floor(Duration::minutes(1)) + Duration::minutes(1),
            ),
            Self::Hour => (
                floor(Duration::hours(1)),
                floor(Duration::hours(1)) + Duration::hours(1),
            ),
            Self::Day => (
                floor(Duration::days(1)),
                floor(Duration::days(1)) + Duration::days(1),
            ),
            Self::Week => {
                let start = floor(Duration::days(1))
                    - Duration::days(i64::from(now.weekday().num_days_from_monday()));
                (start, start + Duration::weeks(1))
            }
            Self::Month => {
                let month_start = |y: i32, m: u32| {
                    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
                        .single()
                        .unwrap_or(now)
                };
                let (y, m) = if now.month() == 12 {
                    (now.year() + 1, 1)
                } else {
                    (now.year(), now.month() + 1)
                };
                (month_start(now.year(), now.month()), month_start(y, m))
            }
        }
    }
}

/// Which workloads a key may call: the whole project (`"*"`, InferenceKey's
/// `projectSlug/*`) or the listed slugs (Gcore's one key on many deployments).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WorkloadScope {
    #[default]
    Project,
    Only(Vec<String>),
}

impl Serialize for WorkloadScope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WorkloadScope::Project => serializer.serialize_str("*"),
            WorkloadScope::Only(slugs) => slugs.serialize(serializer),
        }
    }
}

/// By hand rather than an untagged enum, whose error ("data did not match any variant")
/// says nothing a person can act on.
impl<'de> Deserialize<'de> for WorkloadScope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Scope;
        impl<'de> serde::de::Visitor<'de> for Scope {
            type Value = WorkloadScope;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"*\" (the whole project) or an array of workload slugs")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "*" {
                    Ok(WorkloadScope::Project)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut slugs = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(slug) = seq.next_element::<String>()? {
                    slugs.push(slug);
                }
                Ok(WorkloadScope::Only(slugs))
            }
        }
        deserializer.deserialize_any(Scope)
    }
}

/// The TypeScript shape of [`WorkloadScope`]: `"*" | string[]`.
#[cfg(feature = "specta")]
#[derive(Serialize, specta::Type)]
#[serde(untagged)]
pub enum WorkloadScopeWire {
    Project(String),
    Only(Vec<String>),
}

/// OpenAPI schema of [`WorkloadScope`]: `"*"` or an array of workload slugs.
#[cfg(feature = "openapi")]
pub fn workload_scope_schema() -> utoipa::openapi::schema::Schema {
    scope_schema(
        1,
        "\"*\" for the whole project, or the workload slugs the key may call",
    )
}

/// The scope as a key reports it: also `[]`, when every workload it named was deleted
/// (such a key may call no workload; it is never widened to the whole project).
#[cfg(feature = "openapi")]
pub fn workload_scope_response_schema() -> utoipa::openapi::schema::Schema {
    scope_schema(0, "\"*\" for the whole project, or the workload slugs the key may call; [] when every workload it named was deleted")
}

#[cfg(feature = "openapi")]
fn scope_schema(min_items: usize, description: &str) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["*"])),
        )
        .item(
            ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some("^[a-z0-9][a-z0-9-]{0,62}$")),
                )
                .min_items(Some(min_items))
                .max_items(Some(MAX_LIST_ITEMS)),
        )
        .description(Some(description))
        .into()
}

/// Free-form `name → value` labels, sorted for stable output.
pub type Labels = BTreeMap<String, String>;

fn fail<T>(field: &'static str, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError {
        field,
        message: message.into(),
    })
}

pub fn validate_description(description: &str) -> Result<String, FieldError> {
    let description = description.trim();
    let chars = description.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return fail(
            "description",
            format!(
                "description must be at most {MAX_DESCRIPTION_CHARS} characters; it has {chars}."
            ),
        );
    }
    Ok(description.to_owned())
}

/// rpm, tpm, token_limit: a whole number from 1 to [`MAX_LIMIT`].
pub fn validate_limit(field: &'static str, value: i64) -> Result<i64, FieldError> {
    if !(1..=MAX_LIMIT).contains(&value) {
        return fail(
            field,
            format!(
                "{field} must be between 1 and {MAX_LIMIT}; leave it out (or null) for no limit."
            ),
        );
    }
    Ok(value)
}

/// Budget and period go together.
pub fn validate_budget(
    token_limit: Option<i64>,
    period: Option<TokenLimitPeriod>,
) -> Result<(), FieldError> {
    match (token_limit, period) {
        (Some(_), None) => fail(
            "token_limit_period",
            "token_limit_period (minute, hour, day, week or month) is required with token_limit.",
        ),
        (None, Some(_)) => fail(
            "token_limit",
            "token_limit is required with token_limit_period.",
        ),
        _ => Ok(()),
    }
}

/// `allowed_models`: absent/null = every model the project serves; otherwise a
/// non-empty list of distinct model names.
pub fn validate_models(models: Vec<String>) -> Result<Vec<String>, FieldError> {
    let field = "allowed_models";
    if models.is_empty() {
        return fail(field, "allowed_models must list at least one model; omit it (or send null) to allow every model of the project.");
    }
    distinct_items(
        field,
        models,
        |m| !m.is_empty() && m.chars().count() <= 200 && !m.chars().any(char::is_control),
        "a model name of 1–200 printable characters",
    )
}

pub fn validate_workloads(scope: WorkloadScope) -> Result<WorkloadScope, FieldError> {
    let field = "workloads";
    match scope {
        WorkloadScope::Project => Ok(WorkloadScope::Project),
        WorkloadScope::Only(slugs) if slugs.is_empty() => fail(
            field,
            "workloads must list at least one workload slug, or be \"*\" for the whole project.",
        ),
        WorkloadScope::Only(slugs) => distinct_items(
            field,
            slugs,
            is_slug,
            "a workload slug (lowercase letters, digits and '-', up to 63 characters)",
        )
        .map(WorkloadScope::Only),
    }
}

pub fn is_slug(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

fn distinct_items(
    field: &'static str,
    items: Vec<String>,
    valid: impl Fn(&str) -> bool,
    what: &str,
) -> Result<Vec<String>, FieldError> {
    if items.len() > MAX_LIST_ITEMS {
        return fail(
            field,
            format!(
                "{field} may list at most {MAX_LIST_ITEMS} entries; it has {}.",
                items.len()
            ),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for item in &items {
        if !valid(item) {
            return fail(field, format!("{field} entry {item:?} is not {what}."));
        }
        if !seen.insert(item.as_str()) {
            return fail(field, format!("{field} lists {item:?} twice."));
        }
    }
    Ok(items)
}

pub fn validate_labels(labels: Labels) -> Result<Labels, FieldError> {
    let field = "labels";
    if labels.len() > MAX_LABELS {
        return fail(
            field,
            format!(
                "labels may hold at most {MAX_LABELS} entries; it has {}.",
                labels.len()
            ),
        );
    }
    for (name, value) in &labels {
        let name_ok = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
        if !name_ok {
            return fail(
                field,
                format!("label name {name:?} must be 1–63 letters, digits, '.', '_', '/' or '-'."),
            );
        }
        if value.chars().count() > 256 || value.chars().any(char::is_control) {
            return fail(
                field,
                format!("label {name:?} must have a value of at most 256 printable characters."),
            );
        }
    }
    Ok(labels)
}

/// `expires_at`: RFC 3339, or a bare date meaning 00:00 UTC of that day; never in the past.
pub fn parse_expires_at(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let field = "expires_at";
    let raw = raw.trim();
    let at = if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        at.with_timezone(&Utc)
    } else if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        date.and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
    } else {
        return fail(field, format!("expires_at {raw:?} is neither an RFC 3339 time (2027-01-31T12:00:00Z) nor a date (2027-01-31)."));
    };
    if at <= now {
        return fail(field, format!("expires_at {} is in the past; choose a later time, or omit it for a key that never expires.", at.to_rfc3339()));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_bare_date_means_midnight_utc_and_the_past_is_refused() {
        assert_eq!(
            parse_expires_at("2027-01-31", now()).unwrap().to_rfc3339(),
            "2027-01-31T00:00:00+00:00"
        );
        assert_eq!(
            parse_expires_at("2027-01-31T12:00:00+02:00", now())
                .unwrap()
                .to_rfc3339(),
            "2027-01-31T10:00:00+00:00"
        );
        assert_eq!(
            parse_expires_at("2026-11-22", now()).unwrap_err().field,
            "expires_at"
        );
        assert_eq!(
            parse_expires_at("tomorrow", now()).unwrap_err().field,
            "expires_at"
        );
    }

    #[test]
    fn workload_scope_is_star_or_a_list() {
        let all: WorkloadScope = serde_json::from_str("\"*\"").unwrap();
        assert_eq!(all, WorkloadScope::Project);
        assert_eq!(serde_json::to_string(&all).unwrap(), "\"*\"");
        let some: WorkloadScope = serde_json::from_str(r#"["llama-70b","embed"]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&some).unwrap(),
            r#"["llama-70b","embed"]"#
        );
        assert!(serde_json::from_str::<WorkloadScope>("\"llama\"").is_err());
        let wrong = serde_json::from_str::<WorkloadScope>("5")
            .unwrap_err()
            .to_string();
        assert!(
            wrong.contains("expected \"*\" (the whole project) or an array"),
            "{wrong}"
        );
        assert!(validate_workloads(WorkloadScope::Only(vec!["Bad Slug".into()])).is_err());
        assert!(validate_workloads(WorkloadScope::Only(vec!["a".into(), "a".into()])).is_err());
        assert!(validate_workloads(WorkloadScope::Only(vec![])).is_err());
    }

    #[test]
    fn limits_budgets_models_and_labels() {
        assert!(validate_limit("rpm", 0).is_err());
        assert!(validate_limit("rpm", MAX_LIMIT + 1).is_err());
        assert_eq!(validate_limit("tpm", 60_000), Ok(60_000));
        assert_eq!(
            validate_budget(Some(1), None).unwrap_err().field,
            "token_limit_period"
        );
        assert_eq!(
            validate_budget(None, Some(TokenLimitPeriod::Day))
                .unwrap_err()
                .field,
            "token_limit"
        );
        assert!(validate_models(vec![]).is_err());
        assert!(validate_models(vec!["gpt-4o".into(), "gpt-4o".into()]).is_err());
        let mut labels = Labels::new();
        labels.insert("team".into(), "payments".into());
        assert!(validate_labels(labels.clone()).is_ok());
        labels.insert("bad name".into(), "x".into());
        assert_eq!(validate_labels(labels).unwrap_err().field, "labels");
    }
}
