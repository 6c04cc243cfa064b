//! The projects and regions a token can see: what a Gcore profile's Test connection
//! lists, and the region ids a deployment's containers name.

use super::seed::{Project, Region};
use super::{page, rfc3339, window, Answer, ApiError, State, World};
use crate::query::Query;
use axum::extract::{Path, RawQuery};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

fn project_json(world: &World, p: &Project) -> Value {
    json!({
        "id": p.id,
        "client_id": world.seed.client_id,
        "name": p.name,
        "description": p.description,
        "is_default": p.is_default,
        "state": "ACTIVE",
        "created_at": rfc3339(p.created_at),
        "deleted_at": null,
        "task_id": null,
    })
}

fn region_json(world: &World, r: &Region) -> Value {
    let created = rfc3339(world.seed.now - chrono::TimeDelta::days(900));
    json!({
        "id": r.id,
        "display_name": r.display_name,
        "slug": r.slug,
        "country": r.country,
        "zone": r.zone,
        "state": "ACTIVE",
        "access_level": "core",
        "endpoint_type": "public",
        "created_at": created,
        "created_on": created,
        "has_ai": r.has_ai,
        "has_ai_gpu": r.has_ai,
        "has_baremetal": true,
        "has_basic_vm": true,
        "has_dbaas": false,
        "has_ddos": true,
        "has_k8s": true,
        "has_kvm": true,
        "has_sfs": false,
        "keystone_id": r.id,
        "keystone_name": r.slug,
        "vlan_physical_network": "physnet1",
        "available_volume_types": ["standard", "ssd_hiiops"],
        "coordinates": null,
        "external_network_id": null,
        "file_share_types": null,
        "metrics_database_id": null,
        "task_id": null,
        "ddos_endpoint_id": null,
    })
}

fn integer_path(name: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::invalid(
            name,
            format!(
                "Input should be a valid integer, unable to parse string as an integer: '{raw}'"
            ),
        )
    })
}

/// `GET /cloud/v1/projects`: `name` filters, `order_by` sorts (`name.asc` …), paged by
/// `limit` and `offset`.
pub(super) async fn list_projects(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let (offset, limit) = window(&query, 1000)?;
    let world = state.inner.lock().unwrap();
    let mut projects: Vec<&Project> = world
        .seed
        .projects
        .iter()
        .filter(|p| query.get("name").is_none_or(|n| p.name == n))
        .collect();
    match query.get("order_by").unwrap_or("created_at.asc") {
        "created_at.asc" => projects.sort_by_key(|p| p.created_at),
        "created_at.desc" => projects.sort_by_key(|p| std::cmp::Reverse(p.created_at)),
        "name.asc" => projects.sort_by(|a, b| a.name.cmp(&b.name)),
        "name.desc" => projects.sort_by(|a, b| b.name.cmp(&a.name)),
        other => {
            return Err(ApiError::invalid(
                "order_by",
                format!("Input should be 'created_at.asc', 'created_at.desc', 'name.asc' or 'name.desc', got '{other}'"),
            ))
        }
    }
    let items = projects.iter().map(|p| project_json(&world, p)).collect();
    Ok(page(items, offset, limit))
}

pub(super) async fn get_project(
    state: axum::extract::State<State>,
    Path(raw): Path<String>,
) -> Answer {
    let world = state.inner.lock().unwrap();
    let id = super::project(&world, &raw)?;
    let project = world.seed.projects.iter().find(|p| p.id == id).unwrap();
    Ok(Json(project_json(&world, project)).into_response())
}

pub(super) async fn list_regions(
    state: axum::extract::State<State>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let query = Query::parse(raw.as_deref());
    let (offset, limit) = window(&query, 1000)?;
    let world = state.inner.lock().unwrap();
    let items = world
        .seed
        .regions
        .iter()
        .map(|r| region_json(&world, r))
        .collect();
    Ok(page(items, offset, limit))
}

pub(super) async fn get_region(
    state: axum::extract::State<State>,
    Path(raw): Path<String>,
) -> Answer {
    let id = integer_path("region_id", &raw)?;
    let world = state.inner.lock().unwrap();
    let region = world
        .seed
        .regions
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found(format!("Region {id} not found.")))?;
    Ok(Json(region_json(&world, region)).into_response())
}
