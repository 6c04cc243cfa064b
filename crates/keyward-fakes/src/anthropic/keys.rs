//! The organisation, its API keys and its workspaces. Keys are listed newest first with
//! `after_id`/`before_id` cursors; an update is a POST of `{name?, status?}`, and an
//! archived key is final (the Console's and the API's rule: archiving cannot be undone).

use super::seed::{KeyStatus, Seed};
use super::{ApiError, State};
use crate::paging::{page_after, page_before, UnknownCursor};
use crate::query::Query;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

type Answer = Result<Response, ApiError>;

/// The longest name the fake accepts for a key.
const NAME_MAX: usize = 500;

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn key_json(k: &super::ApiKey) -> Value {
    json!({
        "type": "api_key",
        "id": k.id,
        "name": k.name,
        "status": k.status.as_str(),
        "created_at": rfc3339(k.created_at),
        "expires_at": k.expires_at.map(rfc3339),
        "partial_key_hint": k.partial_key_hint(),
        "created_by": {"id": k.created_by_user_id, "type": "user"},
        "scope": {"type": "workspace", "workspace_id": k.workspace_id},
        "principal": null,
    })
}

fn workspace_json(w: &super::Workspace) -> Value {
    json!({
        "type": "workspace",
        "id": w.id,
        "name": w.name,
        "created_at": rfc3339(w.created_at),
        "archived_at": w.archived_at.map(rfc3339),
        "display_color": w.display_color,
        "compartment_id": format!("cmpt_{}", &w.id[w.id.len().saturating_sub(12)..]),
        "data_residency": {
            "allowed_inference_geos": "unrestricted",
            "default_inference_geo": "global",
            "workspace_geo": "us",
        },
        "external_key_id": null,
        "tags": {},
        "user_profile_id": null,
    })
}

/// Anthropic's list envelope, cut by `limit`/`after_id`/`before_id`.
fn page<T>(
    items: &[T],
    id: impl Fn(&T) -> &str,
    query: &Query,
    render: impl Fn(&T) -> Value,
) -> Answer {
    let limit = query.limit("limit", 20, 1, 1000)?;
    let bad = |name: &'static str| {
        move |_: UnknownCursor| {
            ApiError::invalid(format!("{name}: no object with this id in the list"))
        }
    };
    let (page, more) = match (query.get("after_id"), query.get("before_id")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "Only one of after_id and before_id may be given",
            ))
        }
        (None, Some(before)) => page_before(items, &id, before, limit).map_err(bad("before_id"))?,
        (after, None) => page_after(items, &id, after, limit).map_err(bad("after_id"))?,
    };
    Ok(Json(json!({
        "data": page.iter().map(render).collect::<Vec<_>>(),
        "has_more": more,
        "first_id": page.first().map(&id),
        "last_id": page.last().map(&id),
    }))
    .into_response())
}

pub(super) async fn organization(state: axum::extract::State<State>) -> Answer {
    let seed = state.inner.lock().unwrap();
    Ok(Json(
        json!({"type": "organization", "id": seed.organization.id, "name": seed.organization.name}),
    )
    .into_response())
}

pub(super) async fn list_keys(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let status = match query.get("status") {
        None => None,
        Some(s) => Some(KeyStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "status: Input should be 'active', 'inactive', 'archived' or 'expired', got '{s}'"
            ))
        })?),
    };
    let seed = state.inner.lock().unwrap();
    let mut keys: Vec<&super::ApiKey> = seed
        .keys
        .iter()
        .filter(|k| status.is_none_or(|s| k.status == s))
        .filter(|k| {
            query
                .get("workspace_id")
                .is_none_or(|w| k.workspace_id == w)
        })
        .filter(|k| {
            query
                .get("created_by_user_id")
                .is_none_or(|u| k.created_by_user_id == u)
        })
        .collect();
    keys.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    page(&keys, |k| &k.id, &query, |k| key_json(k))
}

fn find_key<'a>(seed: &'a Seed, id: &str) -> Result<&'a super::ApiKey, ApiError> {
    seed.keys
        .iter()
        .find(|k| k.id == id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("API key not found: {id}")))
}

pub(super) async fn get_key(state: axum::extract::State<State>, Path(id): Path<String>) -> Answer {
    let seed = state.inner.lock().unwrap();
    Ok(Json(key_json(find_key(&seed, &id)?)).into_response())
}

pub(super) async fn update_key(
    state: axum::extract::State<State>,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Answer {
    let body = body.map(|Json(v)| v).unwrap_or(json!({}));
    let Some(fields) = body.as_object() else {
        return Err(ApiError::invalid("Request body must be a JSON object"));
    };
    if let Some(extra) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "status"))
    {
        return Err(ApiError::invalid(format!(
            "{extra}: Extra inputs are not permitted"
        )));
    }
    let name = match fields.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if name.trim().is_empty() => {
            return Err(ApiError::invalid(
                "name: String should have at least 1 character",
            ))
        }
        Some(Value::String(name)) if name.chars().count() > NAME_MAX => {
            return Err(ApiError::invalid(format!(
                "name: String should have at most {NAME_MAX} characters"
            )))
        }
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err(ApiError::invalid("name: Input should be a valid string")),
    };
    let status = match fields.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if matches!(s.as_str(), "active" | "inactive" | "archived") => {
            KeyStatus::parse(s)
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "status: Input should be 'active', 'inactive' or 'archived', got {other}"
            )))
        }
    };
    let mut seed = state.inner.lock().unwrap();
    let current = find_key(&seed, &id)?.status;
    if current == KeyStatus::Archived
        && (status.is_some_and(|s| s != KeyStatus::Archived) || name.is_some())
    {
        return Err(ApiError::invalid(format!(
            "API key {id} is archived and cannot be updated"
        )));
    }
    if current == KeyStatus::Expired && status == Some(KeyStatus::Active) {
        return Err(ApiError::invalid(format!(
            "API key {id} has expired and cannot be reactivated"
        )));
    }
    let key = seed.keys.iter_mut().find(|k| k.id == id).unwrap();
    if let Some(name) = name {
        key.name = name;
    }
    if let Some(status) = status {
        key.status = status;
    }
    Ok(Json(key_json(key)).into_response())
}

pub(super) async fn list_workspaces(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let include_archived = query.bool("include_archived")?.unwrap_or(false);
    let include_default = query.bool("include_default")?.unwrap_or(false);
    let ids = query.list("ids");
    if ids.len() > 100 {
        return Err(ApiError::invalid(
            "ids: at most 100 workspace IDs may be given",
        ));
    }
    let seed = state.inner.lock().unwrap();
    let default = super::Workspace {
        id: seed.default_workspace_id.clone(),
        name: "Default".into(),
        created_at: seed.workspaces.first().map_or(seed.now, |w| w.created_at),
        archived_at: None,
        display_color: "#6C5BB9".into(),
    };
    let workspaces: Vec<&super::Workspace> = include_default
        .then_some(&default)
        .into_iter()
        .chain(seed.workspaces.iter())
        .filter(|w| include_archived || w.archived_at.is_none())
        .filter(|w| ids.is_empty() || ids.contains(&w.id))
        .collect();
    page(&workspaces, |w| &w.id, &query, |w| workspace_json(w))
}

pub(super) async fn get_workspace(
    state: axum::extract::State<State>,
    Path(id): Path<String>,
) -> Answer {
    let seed = state.inner.lock().unwrap();
    let workspace = seed.workspaces.iter().find(|w| w.id == id).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, format!("Workspace not found: {id}"))
    })?;
    Ok(Json(workspace_json(workspace)).into_response())
}
