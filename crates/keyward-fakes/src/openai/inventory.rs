//! Projects, project API keys, service accounts, project limits and admin keys: the
//! organisation's inventory, with OpenAI's cursor paging (`after`, `limit`, `has_more`,
//! `first_id`, `last_id`) and its rule that a service account's key is revoked by
//! deleting the service account.

use super::seed::{redact, KeyOwner, PermissionMode, Seed};
use super::{list_page, ApiError, ServiceAccount, State};
use crate::paging::page_after;
use crate::query::Query;
use axum::extract::{Path, RawQuery};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

type Answer = Result<Response, ApiError>;

fn project_json(p: &super::Project) -> Value {
    json!({
        "id": p.id,
        "object": "organization.project",
        "name": p.name,
        "created_at": p.created_at,
        "archived_at": p.archived_at,
        "status": if p.archived_at.is_some() { "archived" } else { "active" },
        "external_key_id": null,
        "residency": "GLOBAL",
    })
}

fn key_json(seed: &Seed, k: &super::ApiKey) -> Value {
    let owner = match &k.owner {
        KeyOwner::User(id) => {
            let user = seed.users.iter().find(|u| &u.id == id);
            json!({"type": "user", "user": user.map(|u| json!({
                "id": u.id, "email": u.email, "name": u.name,
                "created_at": u.created_at, "role": u.role,
            }))})
        }
        KeyOwner::ServiceAccount(id) => {
            let sa = seed.service_accounts.iter().find(|s| &s.id == id);
            json!({"type": "service_account", "service_account": sa.map(|s| json!({
                "id": s.id, "name": s.name, "created_at": s.created_at, "role": s.role,
            }))})
        }
    };
    json!({
        "object": "organization.project.api_key",
        "id": k.id,
        "name": k.name,
        "redacted_value": k.redacted_value(),
        "created_at": k.created_at,
        "last_used_at": k.last_used_at,
        "owner_project_access": "active",
        "owner": owner,
    })
}

fn service_account_json(s: &ServiceAccount) -> Value {
    json!({
        "object": "organization.project.service_account",
        "id": s.id,
        "name": s.name,
        "role": s.role,
        "created_at": s.created_at,
    })
}

/// The project, or OpenAI's 404 for it.
fn project<'a>(seed: &'a Seed, id: &str) -> Result<&'a super::Project, ApiError> {
    seed.projects
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(format!("No project found with id '{id}'.")))
}

fn bad_cursor(_: crate::paging::UnknownCursor) -> ApiError {
    ApiError::invalid(
        "after",
        "Invalid 'after': no object with this id in the list.",
    )
}

pub(super) async fn list_projects(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let limit = query.limit("limit", 20, 1, 100)?;
    let include_archived = query.bool("include_archived")?.unwrap_or(false);
    let inner = state.inner.lock().unwrap();
    let visible: Vec<_> = inner
        .seed
        .projects
        .iter()
        .filter(|p| include_archived || p.archived_at.is_none())
        .collect();
    let (page, more) =
        page_after(&visible, |p| &p.id, query.get("after"), limit).map_err(bad_cursor)?;
    Ok(list_page(page.iter().map(|p| project_json(p)).collect(), more).into_response())
}

pub(super) async fn get_project(
    state: axum::extract::State<State>,
    Path(id): Path<String>,
) -> Answer {
    let inner = state.inner.lock().unwrap();
    Ok(Json(project_json(project(&inner.seed, &id)?)).into_response())
}

pub(super) async fn list_keys(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let limit = query.limit("limit", 20, 1, 100)?;
    match query.get("owner_project_access") {
        None | Some("active" | "any") => {}
        Some("inactive") => {}
        Some(other) => {
            return Err(ApiError::invalid(
                "owner_project_access",
                format!("Invalid value for 'owner_project_access': '{other}'. Expected one of 'active', 'inactive' or 'any'."),
            ))
        }
    }
    let inner = state.inner.lock().unwrap();
    let seed = &inner.seed;
    project(seed, &project_id)?;
    // Every owner in the fake has access, so `inactive` lists nothing.
    let keys: Vec<_> = if query.get("owner_project_access") == Some("inactive") {
        Vec::new()
    } else {
        seed.keys
            .iter()
            .filter(|k| k.project_id == project_id)
            .collect()
    };
    let (page, more) =
        page_after(&keys, |k| &k.id, query.get("after"), limit).map_err(bad_cursor)?;
    Ok(list_page(page.iter().map(|k| key_json(seed, k)).collect(), more).into_response())
}

fn key_not_found(key_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "No API key found with id '{key_id}' in this project."
    ))
}

pub(super) async fn get_key(
    state: axum::extract::State<State>,
    Path((project_id, key_id)): Path<(String, String)>,
) -> Answer {
    let inner = state.inner.lock().unwrap();
    let seed = &inner.seed;
    project(seed, &project_id)?;
    let key = seed
        .keys
        .iter()
        .find(|k| k.id == key_id && k.project_id == project_id)
        .ok_or_else(|| key_not_found(&key_id))?;
    Ok(Json(key_json(seed, key)).into_response())
}

pub(super) async fn delete_key(
    state: axum::extract::State<State>,
    Path((project_id, key_id)): Path<(String, String)>,
) -> Answer {
    let mut inner = state.inner.lock().unwrap();
    let seed = &mut inner.seed;
    project(seed, &project_id)?;
    let at = seed
        .keys
        .iter()
        .position(|k| k.id == key_id && k.project_id == project_id)
        .ok_or_else(|| key_not_found(&key_id))?;
    if let KeyOwner::ServiceAccount(_) = seed.keys[at].owner {
        return Err(ApiError::invalid(
            "api_key_id",
            "Cannot delete an API key owned by a service account. Delete the service account instead.",
        ));
    }
    seed.keys.remove(at);
    Ok(Json(
        json!({"object": "organization.project.api_key.deleted", "id": key_id, "deleted": true}),
    )
    .into_response())
}

pub(super) async fn list_service_accounts(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let limit = query.limit("limit", 20, 1, 100)?;
    let inner = state.inner.lock().unwrap();
    let seed = &inner.seed;
    project(seed, &project_id)?;
    let accounts: Vec<_> = seed
        .service_accounts
        .iter()
        .filter(|s| s.project_id == project_id)
        .collect();
    let (page, more) =
        page_after(&accounts, |s| &s.id, query.get("after"), limit).map_err(bad_cursor)?;
    Ok(list_page(page.iter().map(|s| service_account_json(s)).collect(), more).into_response())
}

#[derive(Deserialize)]
pub(super) struct NewServiceAccount {
    name: Option<String>,
    #[serde(default)]
    create_service_account_only: Option<bool>,
}

pub(super) async fn create_service_account(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    body: Option<Json<Value>>,
) -> Answer {
    let body = body.map(|Json(v)| v).unwrap_or(Value::Null);
    let request: NewServiceAccount = serde_json::from_value(body).map_err(|e| {
        ApiError::invalid(
            "name",
            format!("Invalid request body: {e}. Expected {{\"name\": string}}."),
        )
    })?;
    let name = match request.name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => {
            return Err(ApiError::invalid(
                "name",
                "Missing required parameter: 'name'.",
            ))
        }
    };
    let mut guard = state.inner.lock().unwrap();
    let inner = &mut *guard;
    let now = inner.seed.now.timestamp();
    let project = project(&inner.seed, &project_id)?;
    if project.archived_at.is_some() {
        return Err(ApiError::invalid(
            "project_id",
            "Cannot create a service account in an archived project.",
        ));
    }
    let account = ServiceAccount {
        id: format!("svc_acct_{}", inner.rng.id(16)),
        project_id: project_id.clone(),
        name: name.clone(),
        role: "member".into(),
        created_at: now,
    };
    let mut answer = service_account_json(&account);
    inner.seed.service_accounts.push(account.clone());
    if request.create_service_account_only == Some(true) {
        answer["api_key"] = Value::Null;
    } else {
        let key = super::ApiKey {
            id: format!("key_{}", inner.rng.id(16)),
            project_id,
            name: "Secret Key".into(),
            secret: format!("sk-svcacct-{}", inner.rng.token(156)),
            created_at: now,
            last_used_at: None,
            owner: KeyOwner::ServiceAccount(account.id),
        };
        answer["api_key"] = json!({
            "object": "organization.project.service_account.api_key",
            "value": key.secret,
            "name": key.name,
            "created_at": key.created_at,
            "id": key.id,
        });
        inner.seed.keys.push(key);
    }
    Ok(Json(answer).into_response())
}

fn service_account_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "No service account found with id '{id}' in this project."
    ))
}

pub(super) async fn get_service_account(
    state: axum::extract::State<State>,
    Path((project_id, id)): Path<(String, String)>,
) -> Answer {
    let inner = state.inner.lock().unwrap();
    project(&inner.seed, &project_id)?;
    let account = inner
        .seed
        .service_accounts
        .iter()
        .find(|s| s.id == id && s.project_id == project_id)
        .ok_or_else(|| service_account_not_found(&id))?;
    Ok(Json(service_account_json(account)).into_response())
}

pub(super) async fn delete_service_account(
    state: axum::extract::State<State>,
    Path((project_id, id)): Path<(String, String)>,
) -> Answer {
    let mut inner = state.inner.lock().unwrap();
    let seed = &mut inner.seed;
    project(seed, &project_id)?;
    let at = seed
        .service_accounts
        .iter()
        .position(|s| s.id == id && s.project_id == project_id)
        .ok_or_else(|| service_account_not_found(&id))?;
    seed.service_accounts.remove(at);
    let owner = KeyOwner::ServiceAccount(id.clone());
    seed.keys.retain(|k| k.owner != owner);
    Ok(Json(json!({"object": "organization.project.service_account.deleted", "id": id, "deleted": true})).into_response())
}

pub(super) async fn list_rate_limits(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let limit = query.limit("limit", 100, 1, 100)?;
    let inner = state.inner.lock().unwrap();
    let limits = &project(&inner.seed, &project_id)?.rate_limits;
    let (page, more) = match query.get("before") {
        Some(before) => {
            crate::paging::page_before(limits, |l| &l.id, before, limit).map_err(|_| {
                ApiError::invalid(
                    "before",
                    "Invalid 'before': no object with this id in the list.",
                )
            })?
        }
        None => page_after(limits, |l| &l.id, query.get("after"), limit).map_err(bad_cursor)?,
    };
    let data = page
        .iter()
        .map(|l| {
            json!({
                "object": "project.rate_limit",
                "id": l.id,
                "model": l.model,
                "max_requests_per_1_minute": l.max_requests_per_1_minute,
                "max_tokens_per_1_minute": l.max_tokens_per_1_minute,
                "max_requests_per_1_day": l.max_requests_per_1_day,
                "batch_1_day_max_input_tokens": l.batch_1_day_max_input_tokens,
            })
        })
        .collect();
    Ok(list_page(data, more).into_response())
}

pub(super) async fn get_model_permissions(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
) -> Answer {
    let inner = state.inner.lock().unwrap();
    let project = project(&inner.seed, &project_id)?;
    let (mode, models) = match &project.model_permissions {
        Some(p) => (p.mode, p.model_ids.clone()),
        None => (PermissionMode::DenyList, Vec::new()),
    };
    Ok(Json(json!({
        "object": "project.model_permissions",
        "mode": if mode == PermissionMode::AllowList { "allow_list" } else { "deny_list" },
        "model_ids": models,
    }))
    .into_response())
}

pub(super) async fn get_spend_limit(
    state: axum::extract::State<State>,
    Path(project_id): Path<String>,
) -> Answer {
    let inner = state.inner.lock().unwrap();
    let project = project(&inner.seed, &project_id)?;
    let limit = project.spend_limit.as_ref().ok_or_else(|| {
        ApiError::not_found(format!("No spend limit is set for project '{project_id}'."))
    })?;
    Ok(Json(json!({
        "object": "project.spend_limit",
        "threshold_amount": limit.threshold_amount,
        "currency": "USD",
        "interval": "month",
        "enforcement": {"status": if limit.enforcing { "enforcing" } else { "inactive" }},
    }))
    .into_response())
}

fn admin_key_json(seed: &Seed) -> Value {
    let key = &seed.admin_key;
    let owner = seed.users.iter().find(|u| u.id == key.owner_user_id);
    json!({
        "object": "organization.admin_api_key",
        "id": key.id,
        "name": key.name,
        "redacted_value": redact(&key.secret),
        "created_at": key.created_at,
        "expires_at": null,
        "last_used_at": key.last_used_at,
        "owner": owner.map(|u| json!({
            "type": "user", "object": "organization.user", "id": u.id,
            "name": u.name, "created_at": u.created_at, "role": u.role,
        })),
    })
}

pub(super) async fn list_admin_keys(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let limit = query.limit("limit", 20, 1, 100)?;
    match query.get("order") {
        None | Some("asc" | "desc") => {}
        Some(other) => {
            return Err(ApiError::invalid(
                "order",
                format!("Invalid value for 'order': '{other}'. Expected 'asc' or 'desc'."),
            ))
        }
    }
    let inner = state.inner.lock().unwrap();
    let keys = [admin_key_json(&inner.seed)];
    let (page, more) = page_after(
        &keys,
        |k| k["id"].as_str().unwrap(),
        query.get("after"),
        limit,
    )
    .map_err(bad_cursor)?;
    Ok(list_page(page.to_vec(), more).into_response())
}

pub(super) async fn get_admin_key(
    state: axum::extract::State<State>,
    Path(key_id): Path<String>,
) -> Answer {
    let inner = state.inner.lock().unwrap();
    if inner.seed.admin_key.id != key_id {
        return Err(ApiError::not_found(format!(
            "No admin API key found with id '{key_id}'."
        )));
    }
    Ok(Json(admin_key_json(&inner.seed)).into_response())
}
