//! OpenRouter's management API wire types — only the members Keyward reads (serde
//! ignores the rest). Shapes from PyPI `openrouter` 1.3.84 and `.speakeasy/in.openapi.yaml`
//! of `OpenRouterTeam/typescript-sdk` (see `/work/shared/reference/platform-apis.md`,
//! section 3). Money arrives as JSON numbers of USD; amounts that are reported as spend
//! are kept as [`serde_json::Number`] so their text, not a float, is read into micros.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `{data: T}`: every answer but create and delete.
#[derive(Debug, Deserialize)]
pub struct Data<T> {
    pub data: T,
}

#[derive(Debug, Deserialize)]
pub struct Key {
    /// SHA-256 of the secret, hex: the key's id.
    pub hash: String,
    pub name: String,
    /// The masked secret (`sk-or-v1-abc...def`).
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    /// USD; `None` = no limit.
    #[serde(default)]
    pub limit: Option<serde_json::Number>,
    /// `daily`, `weekly`, `monthly`; `None` = a lifetime limit.
    #[serde(default)]
    pub limit_reset: Option<String>,
    #[serde(default, deserialize_with = "instant")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "instant")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "instant")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "instant")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub creator_user_id: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// USD spent since the key was made, today (UTC), this week (Monday–Sunday UTC)
    /// and this month; read through their text into exact micros.
    #[serde(default)]
    pub usage: Option<serde_json::Number>,
    #[serde(default)]
    pub usage_daily: Option<serde_json::Number>,
    #[serde(default)]
    pub usage_weekly: Option<serde_json::Number>,
    #[serde(default)]
    pub usage_monthly: Option<serde_json::Number>,
}

/// `GET /guardrails/assignments/keys`: which guardrail each key has.
#[derive(Debug, Deserialize)]
pub struct Assignment {
    pub key_hash: String,
    pub guardrail_id: String,
}

/// A page of a guardrail list: `{data, total_count}`.
#[derive(Debug, Deserialize)]
pub struct Listed<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// `GET /guardrails/{id}`: only what a key's page shows.
#[derive(Debug, Deserialize)]
pub struct Guardrail {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub allowed_models: Option<Vec<String>>,
    #[serde(default)]
    pub limit_usd: Option<serde_json::Number>,
    /// `daily`, `weekly`, `monthly`; `None` = a lifetime budget.
    #[serde(default)]
    pub reset_interval: Option<String>,
}

/// A time as OpenRouter writes it: RFC 3339 (`2025-08-24T10:30:00Z`, with or without
/// fractions and offset), or the same with a space and no zone, which is UTC. A time
/// in another form is `None` ("not said") rather than a failed inventory.
fn instant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    Ok(text.as_deref().and_then(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|at| at.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
                    .map(|at| at.and_utc())
            })
            .ok()
    }))
}

/// `POST /keys` → 201: the key and, once, its secret.
#[derive(Debug, Deserialize)]
pub struct Created {
    pub data: Key,
    pub key: String,
}

/// `GET /key`: the calling key.
#[derive(Debug, Deserialize)]
pub struct CurrentKey {
    pub label: String,
    pub is_management_key: bool,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// One row of `GET /activity`: one UTC day and model.
#[derive(Debug, Deserialize)]
pub struct Activity {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub model: String,
    /// USD spent.
    pub usage: serde_json::Number,
    #[serde(default)]
    pub requests: u64,
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

/// `{error: {code, message}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::Key;

    #[test]
    fn times_are_read_in_every_form_openrouter_writes_them() {
        let key: Key = serde_json::from_value(serde_json::json!({
            "hash": "h", "name": "n",
            "created_at": "2025-02-19T20:52:27.363244+00:00",
            "updated_at": "2025-02-19 20:52:27",
            "expires_at": "next tuesday",
        }))
        .unwrap();
        assert_eq!(
            key.created_at.unwrap().to_rfc3339(),
            "2025-02-19T20:52:27.363244+00:00"
        );
        assert_eq!(
            key.updated_at.unwrap().to_rfc3339(),
            "2025-02-19T20:52:27+00:00"
        );
        assert_eq!(key.expires_at, None);
        assert_eq!(key.last_used_at, None);
    }
}
