//! The create and update bodies of a deployment, read the way Gcore's request schemas
//! read them (`InferenceInstanceInSerializerV3` and its update twin in the SDK's
//! embedded OpenAPI document): each member's type and limits, with pydantic's messages
//! naming the member's path (`containers.0.scale.max: …`), and the schema's defaults
//! filled in, so what the fake serves back is what Gcore would. References to the rest
//! of the project (regions, key names) are checked here too, answering 400.

use super::seed::{default_triggers, ContainerSpec, Deployment};
use super::{refuse_unknown, ApiError, World};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

/// The create schema's name rule: 4–30 characters, one DNS label.
pub const NAME_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
pub(super) const CREATE_FIELDS: &[&str] = &[
    "name",
    "image",
    "listening_port",
    "flavor_name",
    "containers",
    "api_keys",
    "auth_enabled",
    "envs",
    "command",
    "credentials_name",
    "description",
    "probes",
    "logging",
    "ingress_opts",
    "timeout",
];

/// Reading the field `name` of a request body, with the messages pydantic gives.
pub(super) struct Fields<'a> {
    pub(super) fields: &'a Map<String, Value>,
}

impl Fields<'_> {
    /// The member, `None` when absent or null.
    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    pub(super) fn required(&self, name: &str) -> Result<&Value, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid(name, "Field required"))
    }
}

fn string(at: &str, value: &Value) -> Result<String, ApiError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid string"))
}

fn integer(at: &str, value: &Value, min: Option<i64>, max: Option<i64>) -> Result<i64, ApiError> {
    let n = value
        .as_i64()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid integer"))?;
    if let Some(min) = min.filter(|m| n < *m) {
        return Err(ApiError::invalid(
            at,
            format!("Input should be greater than or equal to {min}"),
        ));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        return Err(ApiError::invalid(
            at,
            format!("Input should be less than or equal to {max}"),
        ));
    }
    Ok(n)
}

fn boolean(at: &str, value: &Value) -> Result<bool, ApiError> {
    value
        .as_bool()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid boolean"))
}

fn object<'a>(at: &str, value: &'a Value) -> Result<&'a Map<String, Value>, ApiError> {
    value
        .as_object()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid dictionary"))
}

fn strings(at: &str, value: &Value) -> Result<Vec<String>, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid(at, "Input should be a valid list"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| string(&format!("{at}.{i}"), v))
        .collect()
}

pub(super) fn deployment_name(value: &Value) -> Result<String, ApiError> {
    let name = string("name", value)?;
    let length = name.chars().count();
    if length < 4 {
        return Err(ApiError::invalid(
            "name",
            "String should have at least 4 characters",
        ));
    }
    if length > 30 {
        return Err(ApiError::invalid(
            "name",
            "String should have at most 30 characters",
        ));
    }
    if !super::keys::is_label(&name) {
        return Err(ApiError::invalid(
            "name",
            format!("String should match pattern '{NAME_PATTERN}'"),
        ));
    }
    Ok(name)
}

/// `name[:tag]`, the image schema's pattern: lower-case path components separated by
/// `/`, each alphanumerics joined by single `.`, `_` or `-`; a tag of up to 128
/// characters.
fn image(value: &Value) -> Result<String, ApiError> {
    let image = string("image", value)?;
    let (path, tag) = match image.split_once(':') {
        Some((path, tag)) => (path, Some(tag)),
        None => (image.as_str(), None),
    };
    let component_ok = |c: &str| {
        let alnum = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit();
        !c.is_empty()
            && c.starts_with(alnum)
            && c.ends_with(alnum)
            && c.chars()
                .all(|ch| alnum(ch) || matches!(ch, '.' | '_' | '-'))
            && !c
                .as_bytes()
                .windows(2)
                .any(|w| !alnum(w[0] as char) && !alnum(w[1] as char))
    };
    let tag_ok = |t: &str| {
        (1..=128).contains(&t.len())
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-'))
    };
    if !path.split('/').all(component_ok) || !tag.is_none_or(tag_ok) {
        return Err(ApiError::invalid(
            "image",
            "String should match pattern '^(?:(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$'",
        ));
    }
    Ok(image)
}

fn containers(world: &World, value: &Value) -> Result<Vec<ContainerSpec>, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid("containers", "Input should be a valid list"))?;
    if items.is_empty() {
        return Err(ApiError::invalid(
            "containers",
            "List should have at least 1 item after validation, not 0",
        ));
    }
    let mut specs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("containers.{i}");
        let fields = object(&at, item)?;
        refuse_unknown(fields, &["region_id", "scale"])
            .map_err(|e| ApiError::invalid(&at, e.message))?;
        let region_at = format!("{at}.region_id");
        let region_id = integer(
            &region_at,
            fields
                .get("region_id")
                .ok_or_else(|| ApiError::invalid(&region_at, "Field required"))?,
            None,
            None,
        )?;
        match world.seed.regions.iter().find(|r| r.id == region_id) {
            None => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("Region {region_id} does not exist."),
                ))
            }
            Some(r) if !r.has_ai => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "Region {region_id} ({}) does not offer Everywhere Inference.",
                        r.display_name
                    ),
                ))
            }
            Some(_) => {}
        }
        let scale_at = format!("{at}.scale");
        let scale = object(
            &scale_at,
            fields
                .get("scale")
                .ok_or_else(|| ApiError::invalid(&scale_at, "Field required"))?,
        )?;
        refuse_unknown(
            scale,
            &[
                "min",
                "max",
                "cooldown_period",
                "polling_interval",
                "triggers",
            ],
        )
        .map_err(|e| ApiError::invalid(&scale_at, e.message))?;
        let member = |name: &str| scale.get(name).filter(|v| !v.is_null());
        let min_at = format!("{scale_at}.min");
        let max_at = format!("{scale_at}.max");
        let min = integer(
            &min_at,
            member("min").ok_or_else(|| ApiError::invalid(&min_at, "Field required"))?,
            Some(0),
            None,
        )?;
        let max = integer(
            &max_at,
            member("max").ok_or_else(|| ApiError::invalid(&max_at, "Field required"))?,
            None,
            Some(300),
        )?;
        if min > max {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("{scale_at}: min ({min}) must not be greater than max ({max})."),
            ));
        }
        let cooldown_period = match member("cooldown_period") {
            None if scale.contains_key("cooldown_period") => None,
            None => Some(60),
            Some(v) => Some(integer(
                &format!("{scale_at}.cooldown_period"),
                v,
                Some(1),
                Some(3600),
            )?),
        };
        let polling_interval = match member("polling_interval") {
            None if scale.contains_key("polling_interval") => None,
            None => Some(30),
            Some(v) => Some(integer(
                &format!("{scale_at}.polling_interval"),
                v,
                Some(5),
                Some(3600),
            )?),
        };
        let triggers = match member("triggers") {
            None => default_triggers(),
            Some(v) => {
                let given = object(&format!("{scale_at}.triggers"), v)?;
                let mut all = Map::new();
                for name in [
                    "cpu",
                    "gpu_memory",
                    "gpu_utilization",
                    "http",
                    "memory",
                    "sqs",
                ] {
                    all.insert(name.into(), given.get(name).cloned().unwrap_or(Value::Null));
                }
                refuse_unknown(
                    given,
                    &[
                        "cpu",
                        "gpu_memory",
                        "gpu_utilization",
                        "http",
                        "memory",
                        "sqs",
                    ],
                )
                .map_err(|e| ApiError::invalid(&format!("{scale_at}.triggers"), e.message))?;
                Value::Object(all)
            }
        };
        specs.push(ContainerSpec {
            region_id,
            min,
            max,
            cooldown_period,
            polling_interval,
            triggers,
        });
    }
    Ok(specs)
}

/// Key names that must all exist in the project.
fn api_keys(world: &World, project_id: i64, value: &Value) -> Result<Vec<String>, ApiError> {
    let names = strings("api_keys", value)?;
    for name in &names {
        if !world
            .seed
            .keys
            .iter()
            .any(|k| k.project_id == project_id && &k.name == name)
        {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("API key '{name}' not found in project {project_id}."),
            ));
        }
    }
    let mut unique = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    Ok(unique)
}

fn envs(value: &Value) -> Result<Map<String, Value>, ApiError> {
    let map = object("envs", value)?;
    for (name, v) in map {
        string(&format!("envs.{name}"), v)?;
    }
    Ok(map.clone())
}

/// One probe configuration with the schema's defaults filled in, as it is served.
fn probe_config(at: &str, value: &Value) -> Result<Value, ApiError> {
    let config = object(at, value)?;
    refuse_unknown(config, &["enabled", "probe"]).map_err(|e| ApiError::invalid(at, e.message))?;
    let enabled = boolean(
        &format!("{at}.enabled"),
        config
            .get("enabled")
            .ok_or_else(|| ApiError::invalid(&format!("{at}.enabled"), "Field required"))?,
    )?;
    let Some(probe) = config.get("probe").filter(|p| !p.is_null()) else {
        return Ok(json!({"enabled": enabled, "probe": null}));
    };
    let probe_at = format!("{at}.probe");
    let probe = object(&probe_at, probe)?;
    let known = [
        "exec",
        "failure_threshold",
        "http_get",
        "initial_delay_seconds",
        "period_seconds",
        "success_threshold",
        "tcp_socket",
        "timeout_seconds",
    ];
    refuse_unknown(probe, &known).map_err(|e| ApiError::invalid(&probe_at, e.message))?;
    let number = |name: &str, default: i64, min: i64| -> Result<i64, ApiError> {
        match probe.get(name).filter(|v| !v.is_null()) {
            None => Ok(default),
            Some(v) => integer(&format!("{probe_at}.{name}"), v, Some(min), None),
        }
    };
    let port = |at: &str, v: &Map<String, Value>| -> Result<i64, ApiError> {
        let port_at = format!("{at}.port");
        integer(
            &port_at,
            v.get("port")
                .ok_or_else(|| ApiError::invalid(&port_at, "Field required"))?,
            Some(1),
            Some(65535),
        )
    };
    let exec = match probe.get("exec").filter(|v| !v.is_null()) {
        None => Value::Null,
        Some(v) => {
            let at = format!("{probe_at}.exec");
            let exec = object(&at, v)?;
            let command = exec
                .get("command")
                .ok_or_else(|| ApiError::invalid(&format!("{at}.command"), "Field required"))?;
            json!({"command": strings(&format!("{at}.command"), command)?})
        }
    };
    let http_get = match probe.get("http_get").filter(|v| !v.is_null()) {
        None => Value::Null,
        Some(v) => {
            let at = format!("{probe_at}.http_get");
            let http = object(&at, v)?;
            let schema = match http.get("schema") {
                None => "HTTP".to_owned(),
                Some(s) => string(&format!("{at}.schema"), s)?,
            };
            if schema != "HTTP" && schema != "HTTPS" {
                return Err(ApiError::invalid(
                    &format!("{at}.schema"),
                    "String should match pattern '^(HTTP|HTTPS)$'",
                ));
            }
            json!({
                "port": port(&at, http)?,
                "path": http.get("path").and_then(Value::as_str).unwrap_or("/"),
                "host": http.get("host").cloned().unwrap_or(Value::Null),
                "headers": http.get("headers").cloned().unwrap_or_else(|| json!({})),
                "schema": schema,
            })
        }
    };
    let tcp_socket = match probe.get("tcp_socket").filter(|v| !v.is_null()) {
        None => Value::Null,
        Some(v) => {
            let at = format!("{probe_at}.tcp_socket");
            json!({"port": port(&at, object(&at, v)?)?})
        }
    };
    Ok(json!({
        "enabled": enabled,
        "probe": {
            "exec": exec,
            "http_get": http_get,
            "tcp_socket": tcp_socket,
            "failure_threshold": number("failure_threshold", 3, 1)?,
            "initial_delay_seconds": number("initial_delay_seconds", 0, 0)?,
            "period_seconds": number("period_seconds", 10, 1)?,
            "success_threshold": number("success_threshold", 1, 1)?,
            "timeout_seconds": number("timeout_seconds", 3, 1)?,
        },
    }))
}

fn probes(value: &Value) -> Result<Value, ApiError> {
    let given = object("probes", value)?;
    let kinds = ["liveness_probe", "readiness_probe", "startup_probe"];
    refuse_unknown(given, &kinds).map_err(|e| ApiError::invalid("probes", e.message))?;
    let mut served = Map::new();
    for kind in kinds {
        let config = match given.get(kind).filter(|v| !v.is_null()) {
            None => Value::Null,
            Some(v) => probe_config(&format!("probes.{kind}"), v)?,
        };
        served.insert(kind.into(), config);
    }
    Ok(Value::Object(served))
}

fn logging(value: &Value) -> Result<Value, ApiError> {
    let given = object("logging", value)?;
    refuse_unknown(
        given,
        &[
            "enabled",
            "destination_region_id",
            "topic_name",
            "retention_policy",
        ],
    )
    .map_err(|e| ApiError::invalid("logging", e.message))?;
    let enabled = match given.get("enabled") {
        None => false,
        Some(v) => boolean("logging.enabled", v)?,
    };
    Ok(json!({
        "enabled": enabled,
        "destination_region_id": given.get("destination_region_id").cloned().unwrap_or(Value::Null),
        "topic_name": given.get("topic_name").cloned().unwrap_or(Value::Null),
        "retention_policy": given.get("retention_policy").cloned().unwrap_or(Value::Null),
    }))
}

fn ingress_opts(value: &Value) -> Result<Value, ApiError> {
    let given = object("ingress_opts", value)?;
    refuse_unknown(given, &["disable_response_buffering"])
        .map_err(|e| ApiError::invalid("ingress_opts", e.message))?;
    let disable = match given.get("disable_response_buffering") {
        None => false,
        Some(v) => boolean("ingress_opts.disable_response_buffering", v)?,
    };
    Ok(json!({"disable_response_buffering": disable}))
}

/// Applies the optional members of a create or update body to `d`.
pub(super) fn apply(world: &World, d: &mut Deployment, body: &Fields) -> Result<(), ApiError> {
    if let Some(v) = body.get("image") {
        d.image = image(v)?;
    }
    if let Some(v) = body.get("flavor_name") {
        d.flavor_name = string("flavor_name", v)?;
        if d.flavor_name.is_empty() {
            return Err(ApiError::invalid(
                "flavor_name",
                "String should have at least 1 character",
            ));
        }
    }
    if let Some(v) = body.get("listening_port") {
        d.listening_port = integer("listening_port", v, Some(1), Some(65535))?;
    }
    if let Some(v) = body.get("containers") {
        d.containers = containers(world, v)?;
    }
    if let Some(v) = body.get("api_keys") {
        d.api_keys = api_keys(world, d.project_id, v)?;
    } else if body.fields.contains_key("api_keys") {
        d.api_keys.clear();
    }
    if let Some(v) = body.get("auth_enabled") {
        d.auth_enabled = boolean("auth_enabled", v)?;
    }
    if let Some(v) = body.get("envs") {
        d.envs = envs(v)?;
    }
    if body.fields.contains_key("command") {
        d.command = body
            .get("command")
            .map(|v| strings("command", v))
            .transpose()?;
    }
    if let Some(v) = body.get("credentials_name") {
        d.credentials_name = string("credentials_name", v)?;
    }
    if let Some(v) = body.get("description") {
        d.description = string("description", v)?;
    }
    if body.fields.contains_key("probes") {
        d.probes = body.get("probes").map(probes).transpose()?;
    }
    if body.fields.contains_key("logging") {
        d.logging = body.get("logging").map(logging).transpose()?;
    }
    if body.fields.contains_key("ingress_opts") {
        d.ingress_opts = body.get("ingress_opts").map(ingress_opts).transpose()?;
    }
    if body.fields.contains_key("timeout") {
        d.timeout = body
            .get("timeout")
            .map(|v| integer("timeout", v, Some(0), None))
            .transpose()?;
    }
    Ok(())
}
