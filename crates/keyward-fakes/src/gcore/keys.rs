//! Inference API keys, addressed by name within a project. A key's secret is in the
//! create answer only; the key's `deployment_names` are read from the deployments'
//! `api_keys` on every answer, so attaching or detaching through a deployment shows on
//! the key at once. Deleting a key still attached to any deployment answers 409, which
//! is why revoking on Gcore is "detach everywhere, then delete".

use super::seed::{new_secret, ApiKey};
use super::{
    body_object, page, project, refuse_unknown, rfc3339, window, Answer, ApiError, State, World,
};
use crate::query::Query;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{json, Value};

/// The create schema's name rule: 4–63 characters of DNS labels joined by dots.
pub const NAME_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// The path parameter's rule (no dots: a dotted name can be created but not addressed).
pub const PATH_NAME_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
pub const DESCRIPTION_MAX: usize = 300;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`: one DNS label.
pub(crate) fn is_label(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty() && s.starts_with(ok) && s.ends_with(ok) && s.chars().all(|c| ok(c) || c == '-')
}

fn key_json(world: &World, k: &ApiKey) -> Value {
    let deployment_names: Vec<&str> = world
        .seed
        .deployments
        .iter()
        .filter(|d| d.project_id == k.project_id && d.api_keys.contains(&k.name))
        .map(|d| d.name.as_str())
        .collect();
    json!({
        "name": k.name,
        "description": k.description,
        "created_at": rfc3339(k.created_at),
        "expires_at": k.expires_at.map(rfc3339),
        "deployment_names": deployment_names,
    })
}

/// The `api_key_name` path parameter, checked as the path schema checks it.
fn path_name(name: &str) -> Result<(), ApiError> {
    if name.chars().count() < 4 {
        return Err(ApiError::invalid(
            "api_key_name",
            "String should have at least 4 characters",
        ));
    }
    if !is_label(name) {
        return Err(ApiError::invalid(
            "api_key_name",
            format!("String should match pattern '{PATH_NAME_PATTERN}'"),
        ));
    }
    Ok(())
}

fn find<'a>(world: &'a World, project_id: i64, name: &str) -> Result<&'a ApiKey, ApiError> {
    path_name(name)?;
    world
        .seed
        .keys
        .iter()
        .find(|k| k.project_id == project_id && k.name == name)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "API key '{name}' not found in project {project_id}."
            ))
        })
}

fn name_field(value: Option<&Value>) -> Result<String, ApiError> {
    let name = match value {
        None => return Err(ApiError::invalid("name", "Field required")),
        Some(Value::String(name)) => name,
        Some(_) => return Err(ApiError::invalid("name", "Input should be a valid string")),
    };
    let length = name.chars().count();
    if length < 4 {
        return Err(ApiError::invalid(
            "name",
            "String should have at least 4 characters",
        ));
    }
    if length > 63 {
        return Err(ApiError::invalid(
            "name",
            "String should have at most 63 characters",
        ));
    }
    if !name.split('.').all(is_label) {
        return Err(ApiError::invalid(
            "name",
            format!("String should match pattern '{NAME_PATTERN}'"),
        ));
    }
    Ok(name.clone())
}

fn description_field(value: Option<&Value>) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.chars().count() > DESCRIPTION_MAX => {
            Err(ApiError::invalid(
                "description",
                format!("String should have at most {DESCRIPTION_MAX} characters"),
            ))
        }
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::invalid(
            "description",
            "Input should be a valid string",
        )),
    }
}

/// `expires_at`: an ISO 8601 date (00:00 UTC of that day) or date-time (UTC when it
/// names no offset); absent or null for a key that never expires.
pub(crate) fn expiry_field(value: Option<&Value>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text.trim(),
        Some(_) => {
            return Err(ApiError::invalid(
                "expires_at",
                "Input should be a valid string",
            ))
        }
    };
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Some(day.and_hms_opt(0, 0, 0).unwrap().and_utc()));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(at.and_utc()));
        }
    }
    Err(ApiError::invalid(
        "expires_at",
        format!("Input should be a valid ISO 8601 date or date-time, got '{text}'"),
    ))
}

pub(super) async fn list_keys(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let (offset, limit) = window(&Query::parse(raw.as_deref()), 100)?;
    let mut keys: Vec<&ApiKey> = world
        .seed
        .keys
        .iter()
        .filter(|k| k.project_id == project_id)
        .collect();
    keys.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.name.cmp(&b.name))
    });
    let items = keys.iter().map(|k| key_json(&world, k)).collect();
    Ok(page(items, offset, limit))
}

pub(super) async fn get_key(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
) -> Answer {
    let world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let key = find(&world, project_id, &name)?;
    Ok(Json(key_json(&world, key)).into_response())
}

pub(super) async fn create_key(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    body: Bytes,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    let fields = body_object(&body)?;
    refuse_unknown(&fields, &["name", "description", "expires_at"])?;
    let name = name_field(fields.get("name"))?;
    let description = description_field(fields.get("description"))?;
    let expires_at = expiry_field(fields.get("expires_at"))?;
    if world
        .seed
        .keys
        .iter()
        .any(|k| k.project_id == project_id && k.name == name)
    {
        return Err(ApiError::conflict(format!(
            "API key '{name}' already exists in project {project_id}."
        )));
    }
    let secret = new_secret(&mut world.rng);
    let key = ApiKey {
        project_id,
        name,
        secret: secret.clone(),
        description,
        created_at: world.seed.now,
        expires_at,
    };
    let mut answer = key_json(&world, &key);
    answer["secret"] = json!(secret);
    world.seed.keys.push(key);
    Ok(Json(answer).into_response())
}

/// `PATCH`: only the description can change (a name or expiry is fixed at creation).
pub(super) async fn update_key(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    find(&world, project_id, &name)?;
    let fields = body_object(&body)?;
    refuse_unknown(&fields, &["description"])?;
    let description = description_field(fields.get("description"))?;
    let key = world
        .seed
        .keys
        .iter_mut()
        .find(|k| k.project_id == project_id && k.name == name)
        .unwrap();
    if fields.contains_key("description") {
        key.description = description;
    }
    let key = key.clone();
    Ok(Json(key_json(&world, &key)).into_response())
}

pub(super) async fn delete_key(
    state: axum::extract::State<State>,
    Path((project_id, name)): Path<(String, String)>,
) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let project_id = project(&world, &project_id)?;
    find(&world, project_id, &name)?;
    let attached: Vec<&str> = world
        .seed
        .deployments
        .iter()
        .filter(|d| d.project_id == project_id && d.api_keys.contains(&name))
        .map(|d| d.name.as_str())
        .collect();
    if !attached.is_empty() {
        return Err(ApiError::conflict(format!(
            "API key '{name}' is attached to inference deployments: {}. Detach it before deleting it.",
            attached.join(", ")
        )));
    }
    world
        .seed
        .keys
        .retain(|k| !(k.project_id == project_id && k.name == name));
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::{expiry_field, is_label};
    use serde_json::json;

    #[test]
    fn labels_are_lower_case_alphanumerics_with_inner_hyphens() {
        assert!(is_label("ci-runner") && is_label("a1") && is_label("0"));
        assert!(!is_label("-ci") && !is_label("ci-") && !is_label("CI") && !is_label("a_b"));
        assert!(!is_label(""));
    }

    #[test]
    fn a_bare_date_expires_at_midnight_utc() {
        let at = expiry_field(Some(&json!("2027-01-01"))).unwrap().unwrap();
        assert_eq!(at.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        let at = expiry_field(Some(&json!("2027-01-01T12:00:00+02:00")))
            .unwrap()
            .unwrap();
        assert_eq!(at.to_rfc3339(), "2027-01-01T10:00:00+00:00");
        assert!(expiry_field(Some(&json!("next year"))).is_err());
        assert_eq!(expiry_field(None).unwrap(), None);
    }
}
