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
use keyward_api::ModelList;

pub fn routes() -> Router<Gateway> {
    Router::new().route("/v1/models", get(list_models))
}

async fn list_models(_caller: DataCaller) -> Json<ModelList> {
    Json(ModelList {
        object: "list".into(),
        data: Vec::new(),
    })
}
