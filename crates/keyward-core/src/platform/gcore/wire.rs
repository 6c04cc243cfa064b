//! Gcore's cloud API wire types — only the members Keyward reads (serde ignores the
//! rest). Shapes from the official `gcore` 0.59.0 SDK (`types/cloud/inference/*`,
//! `types/cloud/task.py`, `types/cloud/project.py`; see
//! `/work/shared/reference/platform-apis.md`, section 1). Probes and a container's
//! scale are kept as JSON values: an edit sends them back with only the members the
//! console changes, so triggers and probe timings set elsewhere survive.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One page of an offset-paged list: `{count, results}`, `count` before paging.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub count: u64,
    pub results: Vec<T>,
}

/// `GET /cloud/v1/projects`: a project the token can see.
#[derive(Debug, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub client_id: Option<i64>,
}

/// An inference API key (`InferenceAPIKey`); the create answer adds `secret`.
#[derive(Debug, Deserialize)]
pub struct ApiKey {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "instant")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "instant")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub deployment_names: Vec<String>,
}

/// `POST …/api_keys` → the key and, once, its secret.
#[derive(Debug, Deserialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

/// An inference deployment (`InferenceDeployment`).
#[derive(Debug, Deserialize)]
pub struct Deployment {
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub auth_enabled: bool,
    #[serde(default)]
    pub api_keys: Option<Vec<String>>,
    pub image: String,
    pub flavor_name: String,
    pub listening_port: u16,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub envs: Option<BTreeMap<String, String>>,
    /// The command as one space-joined string (it is sent as a list).
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub probes: Option<Value>,
    #[serde(default, deserialize_with = "instant")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub containers: Vec<Container>,
}

/// One region's containers of a deployment.
#[derive(Debug, Deserialize)]
pub struct Container {
    pub region_id: i64,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    pub deploy_status: DeployStatus,
    /// `{min, max, cooldown_period, polling_interval, triggers}`.
    pub scale: Value,
}

#[derive(Debug, Deserialize)]
pub struct DeployStatus {
    pub ready: u32,
    pub total: u32,
}

/// What a create, edit or delete of a deployment answers: the tasks doing it.
#[derive(Debug, Deserialize)]
pub struct Tasks {
    pub tasks: Vec<String>,
}

/// `GET /cloud/v1/tasks/{id}`.
#[derive(Debug, Deserialize)]
pub struct Task {
    pub id: String,
    /// `NEW`, `RUNNING`, `FINISHED` or `ERROR`.
    pub state: String,
    #[serde(default)]
    pub error: Option<String>,
}

/// One line of `GET …/deployments/{name}/logs`.
#[derive(Debug, Deserialize)]
pub struct LogLine {
    #[serde(default, deserialize_with = "instant")]
    pub time: Option<DateTime<Utc>>,
    pub region_id: i64,
    #[serde(default)]
    pub pod: Option<String>,
    pub message: String,
}

/// `{code, message}`, the spec's `HttpErrorResponseSchema`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub message: String,
}

/// A time as Gcore writes it (RFC 3339, or the same without a zone, which is UTC); a
/// time in another form is `None` ("not said") rather than a failed list.
fn instant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    Ok(text.as_deref().and_then(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|at| at.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                    .map(|at| at.and_utc())
            })
            .ok()
    }))
}

#[cfg(test)]
mod tests {
    use super::ApiKey;

    #[test]
    fn times_with_and_without_a_zone_are_utc_and_others_are_unsaid() {
        let key: ApiKey = serde_json::from_value(serde_json::json!({
            "name": "ci-runner",
            "created_at": "2026-08-01T10:00:00+02:00",
            "expires_at": "2027-01-01T00:00:00",
            "deployment_names": ["llama-chat"],
        }))
        .unwrap();
        assert_eq!(
            key.created_at.unwrap().to_rfc3339(),
            "2026-08-01T08:00:00+00:00"
        );
        assert_eq!(
            key.expires_at.unwrap().to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        let key: ApiKey =
            serde_json::from_value(serde_json::json!({"name": "x", "created_at": "soon"})).unwrap();
        assert_eq!((key.created_at, key.deployment_names.len()), (None, 0));
    }
}
