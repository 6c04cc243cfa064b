//! Project usage for the console's Usage & Spend screen: tokens, requests and errors
//! per bucket and per key, model or workload, from the meter's rollups. Any role may
//! read it (finance works with viewer tokens); the caller's project is checked first.

use crate::auth::ControlCaller;
use crate::error::ApiError;
use crate::usage::{self, UsageError};
use crate::Gateway;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use keyward_api::usage::{UsageQuery, UsageReport};
use keyward_api::ErrorBody;
use std::collections::BTreeMap;

pub fn routes() -> Router<Gateway> {
    Router::new().route("/v1/projects/{project_id}/usage", get(project_usage))
}

#[utoipa::path(get, path = "/v1/projects/{project_id}/usage", tag = "usage", security(("control_token" = [])),
    params(
        ("project_id" = String, Path),
        ("start" = Option<String>, Query, description = "RFC 3339; floored to the bucket. Required, as `start` or `from`"),
        ("end" = Option<String>, Query, description = "RFC 3339, exclusive; ceiled to the bucket; at most 400 days after start. Required, as `end` or `to`"),
        ("from" = Option<String>, Query, description = "Another name for `start`"),
        ("to" = Option<String>, Query, description = "Another name for `end`"),
        ("bucket" = Option<String>, Query, description = "minute (last 48 h only) | hour | day (default) | none (one row per group for the whole range)"),
        ("group_by" = Option<String>, Query, description = "Comma-separated: key, model, workload"),
        ("key_ids" = Option<String>, Query, description = "Comma-separated key ids to include"),
        ("models" = Option<String>, Query, description = "Comma-separated model names to include"),
        ("workloads" = Option<String>, Query, description = "Comma-separated workload slugs to include"),
    ),
    responses((status = 200, description = "Rows per bucket × group, ordered; buckets without traffic are absent. Spend is not reported: it is tokens × a price table. With `Accept: text/csv`, the same rows as CSV: `bucket` (unless `bucket=none`), `key_id` and `key_name`, `model`, `workload` (those grouped by), then `requests`, `errors`, `input_tokens`, `output_tokens`, `estimated_requests`.", content((UsageReport = "application/json"), (String = "text/csv"))), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody), (status = 401, description = "Missing, malformed, unknown control token", body = ErrorBody), (status = 403, description = "Wrong credential type or project", body = ErrorBody)))]
pub(crate) async fn project_usage(
    State(gateway): State<Gateway>,
    caller: ControlCaller,
    Path(project_id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    caller.require_project(&project_id)?;
    let query = UsageQuery::from_params(&params, gateway.now())
        .map_err(|e| ApiError::field(e.field, e.message))?;
    match usage::report(gateway.pool(), &project_id, &query).await {
        Ok(report) if super::wants_csv(&headers) => Ok(super::csv_response(
            report.to_csv(),
            &format!(
                "usage-{project_id}-{}.csv",
                report.start.format("%Y%m%dT%H%MZ")
            ),
        )),
        Ok(report) => Ok(Json(report).into_response()),
        Err(UsageError::TooManyRows) => Err(ApiError::field(
            "group_by",
            UsageError::TooManyRows.to_string(),
        )),
        Err(UsageError::Database(error)) => Err(error.into()),
    }
}
