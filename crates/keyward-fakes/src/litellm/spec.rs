//! The proxy's own OpenAPI document (`spec/litellm-openapi.json`, captured from
//! `litellm` 1.108.7 — see `spec/README.md`) as a checker: a request's query and body,
//! and an answer's body, validated against the operation's schemas, `$ref`s resolved to
//! `components/schemas`.
//!
//! Two rules go beyond plain JSON Schema, because the proxy's pydantic models accept
//! extra fields silently (their schemas do not forbid them): every query parameter and
//! every top-level body field sent must be one the operation declares, so a misspelt
//! `rpm_limt` fails here instead of being dropped by the proxy. And where the proxy
//! leaves an answer untyped (`{}` — `/key/update`, `/key/info`, `/key/delete`,
//! `/key/unblock`, `/model/info`, `/health`, `/v1/models`), the answer is checked
//! against the shape the handler returns in LiteLLM's source
//! (`key_management_endpoints.py`, `model_management_endpoints.py`,
//! `health_endpoints/_health_endpoints.py`, `proxy_server.py`), written out in
//! [`untyped_answer`] with the line it comes from.

use crate::RecordedRequest;
use serde_json::{json, Value};

/// The captured document.
pub const DOCUMENT: &str = include_str!("../../spec/litellm-openapi.json");

pub struct Spec {
    doc: Value,
}

impl Default for Spec {
    fn default() -> Self {
        Self::load()
    }
}

impl Spec {
    pub fn load() -> Spec {
        Spec {
            doc: serde_json::from_str(DOCUMENT).expect("the committed OpenAPI document is JSON"),
        }
    }

    /// The operation `method path` (a concrete path; `{key}` templates match any segment)
    /// and its template.
    fn operation(&self, method: &str, path: &str) -> Result<(String, &Value), String> {
        let method = method.to_lowercase();
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        for (template, item) in self.doc["paths"].as_object().into_iter().flatten() {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && t.ends_with('}')) || t == s);
            if fits {
                if let Some(op) = item.get(&method) {
                    return Ok((template.clone(), op));
                }
            }
        }
        Err(format!(
            "{} {path} is not an operation of the proxy's OpenAPI document",
            method.to_uppercase()
        ))
    }

    /// `schema` checked against `instance` with the document's components in scope.
    fn validate(&self, schema: &Value, instance: &Value, what: &str) -> Vec<String> {
        let mut root = json!({"components": self.doc["components"]});
        if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
            for (k, v) in schema {
                root.insert(k.clone(), v.clone());
            }
        }
        let validator = match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
        {
            Ok(v) => v,
            Err(e) => return vec![format!("{what}: the schema does not compile: {e}")],
        };
        validator
            .iter_errors(instance)
            .map(|e| format!("{what}: {e} at {}", e.instance_path()))
            .collect()
    }

    /// The properties a schema (after one `$ref` and `anyOf` with null) declares.
    fn declared_properties(&self, schema: &Value) -> Option<Vec<String>> {
        let mut schema = schema;
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            schema = options
                .iter()
                .find(|o| o.get("type") != Some(&json!("null")))?;
        }
        if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
            let name = name.rsplit('/').next()?;
            schema = &self.doc["components"]["schemas"][name];
        }
        Some(
            schema
                .get("properties")?
                .as_object()?
                .keys()
                .cloned()
                .collect(),
        )
    }

    /// A request as sent: `query` raw (percent-encoded), `body` when it has one.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: Option<&Value>,
    ) -> Result<(), Vec<String>> {
        let (template, op) = self.operation(method, path).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let Some(parameter) = parameters
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == name.as_ref())
            else {
                errors.push(format!(
                    "{method} {template}: query parameter `{name}` is not declared"
                ));
                continue;
            };
            // Query values are text; FastAPI coerces them to the declared type first.
            let typed = serde_json::from_str::<Value>(&value)
                .ok()
                .filter(|v| v.is_number() || v.is_boolean())
                .unwrap_or_else(|| Value::String(value.clone().into_owned()));
            let as_text = Value::String(value.into_owned());
            let e1 = self.validate(
                &parameter["schema"],
                &typed,
                &format!("{method} {template} ?{name}"),
            );
            if !e1.is_empty() && !self.validate(&parameter["schema"], &as_text, "").is_empty() {
                errors.extend(e1);
            }
        }
        for parameter in parameters
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
        {
            let name = parameter["name"].as_str().unwrap_or_default();
            if !form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == name) {
                errors.push(format!(
                    "{method} {template}: required query parameter `{name}` missing"
                ));
            }
        }
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        match (body, schema.is_null()) {
            (Some(body), false) => {
                errors.extend(self.validate(schema, body, &format!("{method} {template} body")));
                if let (Some(declared), Some(sent)) =
                    (self.declared_properties(schema), body.as_object())
                {
                    for field in sent.keys().filter(|f| !declared.contains(f)) {
                        errors.push(format!("{method} {template} body: field `{field}` is not declared by the proxy"));
                    }
                }
            }
            (Some(_), true) => errors.push(format!("{method} {template} takes no body")),
            (None, false) if op["requestBody"]["required"] == true => {
                errors.push(format!("{method} {template} requires a body"))
            }
            (None, _) => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// An answer: typed answers against their schema, untyped ones against the
    /// handler's shape in LiteLLM's source, errors against the proxy's error shapes.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<String>> {
        let (template, op) = self.operation(method, path).map_err(|e| vec![e])?;
        let what = format!("{method} {template} → {status}");
        let declared =
            &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
        let errors = if (200..300).contains(&status) {
            let schema = if declared.is_object() && !declared.as_object().unwrap().is_empty() {
                declared.clone()
            } else {
                untyped_answer(method, &template).ok_or_else(|| {
                    vec![format!("{what}: untyped and no shape known from source")]
                })?
            };
            self.validate(&schema, body, &what)
        } else if status == 422 {
            self.validate(declared, body, &what)
        } else {
            self.validate(&proxy_exception(status), body, &what)
        };
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// [`Self::check_request`] of a request the fake recorded.
    pub fn check_recorded(&self, request: &RecordedRequest) -> Result<(), Vec<String>> {
        let body = if request.body.is_empty() {
            None
        } else {
            Some(serde_json::from_str::<Value>(&request.body).map_err(|e| {
                vec![format!(
                    "{} {}: body is not JSON: {e}",
                    request.method, request.path
                )]
            })?)
        };
        self.check_request(
            &request.method,
            &request.path,
            &request.query,
            body.as_ref(),
        )
    }
}

const TOKEN: &str = "#/components/schemas/LiteLLM_VerificationToken";

/// The answers the proxy leaves untyped, from the handlers' `return` in 1.108.7.
fn untyped_answer(method: &str, template: &str) -> Option<Value> {
    Some(match (method.to_uppercase().as_str(), template) {
        // update_key_fn: `return {"key": key, **response["data"]}` — the updated row.
        ("POST", "/key/update") => json!({"allOf": [{"$ref": TOKEN}], "required": ["key"],
            "properties": {"key": {"type": "string"}}}),
        // info_key_fn: `{"key": key, "info": key_info_dict}`, the row minus `token`, plus
        // `status` from `_derive_key_status`.
        ("GET", "/key/info") => json!({"type": "object", "required": ["key", "info"],
            "properties": {"key": {"type": "string"},
                "info": {"allOf": [{"$ref": TOKEN}], "required": ["status"], "not": {"required": ["token"]},
                    "properties": {"status": {"enum": ["active", "expired", "revoked", "deleted"]}}}}}),
        // delete_key_fn: `{"deleted_keys": deleted_keys}` — the keys or aliases passed in.
        ("POST", "/key/delete") => json!({"type": "object", "required": ["deleted_keys"],
            "properties": {"deleted_keys": {"type": "array", "items": {"type": "string"}}}}),
        // unblock_key: the updated `LiteLLM_VerificationToken` row, as /key/block declares.
        ("POST", "/key/unblock") => json!({"$ref": TOKEN}),
        // model_info_v1: `{"data": all_models}`, each a router deployment.
        ("GET", "/model/info") => json!({"type": "object", "required": ["data"],
            "properties": {"data": {"type": "array", "items": {"type": "object",
                "required": ["model_name", "litellm_params", "model_info"],
                "properties": {"model_name": {"type": "string"},
                    "litellm_params": {"type": "object", "required": ["model"],
                        "properties": {"model": {"type": "string"}, "api_base": {"type": ["string", "null"]}}},
                    "model_info": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}}}}),
        // health_endpoint: counts and the endpoints' cleaned litellm_params.
        ("GET", "/health") => json!({"type": "object",
            "required": ["healthy_endpoints", "unhealthy_endpoints", "healthy_count", "unhealthy_count"],
            "properties": {
                "healthy_endpoints": {"type": "array", "items": {"type": "object", "required": ["model"]}},
                "unhealthy_endpoints": {"type": "array", "items": {"type": "object", "required": ["model"]}},
                "healthy_count": {"type": "integer", "minimum": 0},
                "unhealthy_count": {"type": "integer", "minimum": 0}}}),
        ("GET", "/health/liveliness") => json!({"const": "I'm alive!"}),
        // model_list: OpenAI's list shape.
        ("GET", "/v1/models") => json!({"type": "object", "required": ["data", "object"],
            "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {"type": "object",
                "required": ["id", "object"], "properties": {"id": {"type": "string"}, "object": {"const": "model"}}}}}}),
        _ => return None,
    })
}

/// `ProxyException.to_dict()` as the proxy sends it (observed without a database:
/// `{"error":{"message":…,"type":"internal_server_error","param":"None","code":"500"}}`).
fn proxy_exception(status: u16) -> Value {
    json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
        "required": ["message", "type", "param", "code"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"},
            "param": {"type": ["string", "null"]}, "code": {"const": status.to_string()}}}}})
}
