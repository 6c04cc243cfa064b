//! Data plane, first slice: `GET /v1/models`, authenticated by an inference key.
//!
//! It exists so that revocation is observable end to end from the first day: 200
//! while the key is active, 401 on the first request after it is revoked. The models
//! come from the project's workloads, which arrive with the workloads issue; until
//! then the list is honestly empty.

use crate::auth::DataCaller;
use crate::Gateway;
use axum::routing::get;
use axum::{Json, Router};
use keyward_api::{ErrorBody, ModelList};

pub fn routes() -> Router<Gateway> {
    Router::new().route("/v1/models", get(list_models))
}

#[utoipa::path(get, path = "/v1/models", tag = "inference", security(("inference_key" = []), ("x_api_key" = [])),
    responses((status = 200, description = "Models this key may use", body = ModelList),
        (status = 401, description = "Unknown, revoked, expired or archived key", body = ErrorBody),
        (status = 403, description = "A control token on the data plane", body = ErrorBody)))]
pub(crate) async fn list_models(_caller: DataCaller) -> Json<ModelList> {
    Json(ModelList {
        object: "list".into(),
        data: Vec::new(),
    })
}
