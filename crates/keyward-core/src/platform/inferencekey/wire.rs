//! InferenceKey's wire shapes, only the members the adapter reads, and its error
//! bodies.
//!
//! A workload is read leniently beyond the SDK's required members (`id, name, slug,
//! model_name, backend, task_type`): the optional ones mirror the POST body and may be
//! absent or null, and a Keyward gateway serving the same routes adds `upstream_url`.
//! Backend and task type stay text here: a name this build does not know is shown as
//! the platform said it, and only what Keyward sends is checked against the lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub struct Workload {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub model_name: String,
    pub backend: String,
    pub task_type: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// A Keyward gateway's own member: the server it forwards to.
    #[serde(default)]
    pub upstream_url: Option<String>,
}

/// The list answers as a bare array or wrapped, both seen from InferenceKey.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum WorkloadList {
    Bare(Vec<Workload>),
    Wrapped { workloads: Vec<Workload> },
}

impl WorkloadList {
    pub fn into_vec(self) -> Vec<Workload> {
        match self {
            Self::Bare(workloads) | Self::Wrapped { workloads } => workloads,
        }
    }
}

/// `POST /api/projects/{p}/workloads`, as the SDK's `ensure` sends it.
#[derive(Debug, Serialize)]
pub struct CreateWorkload<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub model_name: &'a str,
    pub backend: &'a str,
    pub task_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<&'a str>,
}

/// Why InferenceKey refused a credential (HTTP 403), as its SDK names the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    WrongCredentialType,
    ProjectScopeMismatch,
    ScopeInsufficient,
}

impl Refusal {
    const ALL: [(Refusal, &'static str); 3] = [
        (Refusal::WrongCredentialType, "wrong_credential_type"),
        (Refusal::ProjectScopeMismatch, "project_scope_mismatch"),
        (Refusal::ScopeInsufficient, "scope_insufficient"),
    ];

    /// The reason an error body names, wherever it puts it (a `reason` member, or the
    /// front of its message as the gateway does): the SDK, too, looks for the word.
    pub fn named_in(body: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, word)| body.contains(word))
            .map(|(refusal, _)| *refusal)
    }

    /// What the refusal means and what to do, in a person's words.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::WrongCredentialType => "This is a data key (ik_live_…): it calls workloads but cannot provision them; use the project's SDK token (ik_sdk_…) from InferenceKey's dashboard → Project → Tokens",
            Self::ProjectScopeMismatch => "The token belongs to another project than the profile's: use an SDK token of this project, or change the profile's project to the token's",
            Self::ScopeInsufficient => "The token's scope does not allow this: use an SDK token that may provision workloads (InferenceKey's dashboard → Project → Tokens)",
        }
    }
}

/// What an error body says: its message and the field it blames, read from the shapes
/// InferenceKey's routes answer with (`{"detail": …}`, `{"error": {…}}` as the gateway
/// sends, `{"message": …, "field": …}`, a validator's `{"detail": [{"loc": [.., field],
/// "msg": …}]}`), and the 403 reason in words.
pub fn read_error(body: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let text = std::str::from_utf8(body).ok()?;
    let refusal = Refusal::named_in(text);
    let value: Value = serde_json::from_str(text).ok()?;
    let inner = match value.get("error") {
        Some(error @ Value::Object(_)) => error,
        _ => &value,
    };
    let first_problem = inner
        .get("detail")
        .and_then(Value::as_array)
        .and_then(|problems| problems.first());
    let said = ["message", "detail", "error"]
        .iter()
        .find_map(|member| inner.get(*member).and_then(Value::as_str))
        .or_else(|| first_problem?.get("msg")?.as_str())
        .map(str::to_owned);
    let field = inner
        .get("field")
        .and_then(Value::as_str)
        .or_else(|| first_problem?.get("loc")?.as_array()?.last()?.as_str())
        .map(neutral_field)
        .map(str::to_owned);
    let message = match refusal {
        Some(refusal) => Some(refusal.sentence().to_owned()),
        None => said,
    };
    Some((message, field))
}

/// A wire member's name as the neutral workload form names it.
fn neutral_field(wire: &str) -> &str {
    match wire {
        "model_name" => "model",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_read_wherever_the_body_names_it() {
        let gateway = br#"{"error":{"code":"forbidden","message":"wrong_credential_type: this is an inference key"}}"#;
        let (message, _) = read_error(gateway).unwrap();
        assert!(message
            .unwrap()
            .starts_with("This is a data key (ik_live_…)"));
        let reason = br#"{"detail":"forbidden","reason":"project_scope_mismatch"}"#;
        let (message, _) = read_error(reason).unwrap();
        assert!(message.unwrap().contains("another project"));
        let plain = br#"{"detail":"backend must be one of vllm, ollama","field":"backend"}"#;
        assert_eq!(
            read_error(plain).unwrap(),
            (
                Some("backend must be one of vllm, ollama".to_owned()),
                Some("backend".to_owned())
            )
        );
        let gateway_field =
            br#"{"error":{"code":"invalid_input","message":"too long","field":"model_name"}}"#;
        assert_eq!(
            read_error(gateway_field).unwrap().1.as_deref(),
            Some("model")
        );
        let validator =
            br#"{"detail":[{"loc":["body","task_type"],"msg":"unknown task type","type":"value_error"}]}"#;
        assert_eq!(
            read_error(validator).unwrap(),
            (
                Some("unknown task type".to_owned()),
                Some("task_type".to_owned())
            )
        );
        assert!(read_error(b"<html>").is_none());
    }

    #[test]
    fn both_list_shapes_are_read() {
        let one = r#"{"id":"w1","name":"Chat","slug":"chat","model_name":"llama","backend":"vllm","task_type":"text2text","project_id":"p","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}"#;
        let bare: WorkloadList = serde_json::from_str(&format!("[{one}]")).unwrap();
        let wrapped: WorkloadList =
            serde_json::from_str(&format!(r#"{{"workloads":[{one}]}}"#)).unwrap();
        assert_eq!(bare.into_vec()[0].slug, "chat");
        assert_eq!(wrapped.into_vec()[0].model_name, "llama");
        assert!(serde_json::from_str::<WorkloadList>(r#"{"items":[]}"#).is_err());
    }
}
