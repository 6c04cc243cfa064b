//! The gateway's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types' schemas, so the contract cannot drift from the
//! code. Served at `GET /openapi.json`; `docs/openapi.json` is a copy kept current by
//! a test.

use super::{control, data, projects, usage, workloads};
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward-gateway",
        description = "Control plane and data plane for inference API keys. Control routes take a control token (`kw_ctl_…`); data routes take an inference key (`kw_live_…`). Every error is `{\"error\":{\"code\",\"message\",\"field\"?}}`.",
        license(name = "Apache-2.0"),
    ),
    paths(
        control::create_key, control::list_keys, control::get_key, control::update_key,
        control::revoke_key, control::archive_key, control::unarchive_key, control::rotate_key,
        control::identify_key, control::key_usage,
        projects::whoami, projects::list_projects, projects::create_project, projects::get_project,
        projects::rename_project, projects::list_tokens, projects::create_token,
        projects::revoke_token, projects::rotate_token, projects::list_audit,
        usage::project_usage,
        workloads::list_workloads, workloads::create_workload, workloads::get_workload,
        workloads::update_workload, workloads::delete_workload, workloads::readiness_events,
        workloads::workload_health, workloads::project_health,
        data::list_models, data::chat_completions, data::completions, data::embeddings,
        data::endpoint_chat, data::endpoint_embeddings, data::endpoint_rerank,
    ),
    modifiers(&Credentials),
    tags(
        (name = "keys", description = "Inference keys: create, scope, rotate, revoke, archive, identify"),
        (name = "projects", description = "Projects, and who a token is"),
        (name = "control tokens", description = "Control-plane tokens (owner only)"),
        (name = "audit", description = "The audit trail of every mutation"),
        (name = "usage", description = "Metered tokens, requests and errors per bucket, key, model and workload"),
        (name = "workloads", description = "Workloads in InferenceKey's shape, plus their upstream server and metrics endpoints"),
        (name = "inference", description = "OpenAI-compatible data plane"),
    )
)]
pub struct ApiDoc;

struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(what.to_owned()))
                    .build(),
            )
        };
        components.add_security_scheme("control_token", bearer("A control token, kw_ctl_…"));
        components.add_security_scheme("inference_key", bearer("An inference key, kw_live_…"));
        components.add_security_scheme(
            "x_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}

/// The document as served and as committed under `docs/`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The committed copy's text: [`document`] as pretty JSON, members sorted (a stable
/// diff), with a final newline.
pub fn committed_text() -> String {
    let sorted = serde_json::to_value(document()).expect("the document serializes");
    serde_json::to_string_pretty(&sorted).expect("a JSON value serializes") + "\n"
}

/// Where the committed copy lives: `docs/openapi.json` of the repository.
pub fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

pub(crate) async fn serve_document() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
