//! The data plane's forwarding: one authenticated request → its workload's upstream
//! (an OpenAI-compatible server: vLLM, SGLang, llama.cpp, Ollama…) → the client, with
//! every answer metered.
//!
//! Order of checks, each with OpenAI's error shape so SDKs raise their usual
//! exceptions: the key (401, in the extractor), the body (400/413), the workload the
//! request names (404 when the project has none by that slug or model), the key's
//! scopes (403), the upstream (503 when none is configured, 502 when unreachable).
//!
//! Streams pass through chunk by chunk: the response body is the upstream's byte
//! stream, tapped on the way to find the final usage chunk (the gateway asks for it
//! with `stream_options.include_usage`). When a response carries no usage, tokens are
//! estimated from the text of the prompt and of the answer the client received, with a
//! real tokenizer (`tokens`), and the row is marked estimated. A client that goes away
//! mid-stream is metered for what was served, as an error.
//!
//! Requests go out over hyper's HTTP/1.1 connections directly (keep-alive, rustls for
//! https upstreams), pooled by `upstream` and driven in the request's own task, not
//! through reqwest or hyper-util's pooled client: on the proxy benchmark reqwest's
//! per-request URL parsing and layers, then the pooled client's connection tasks and
//! channels, were a visible share of the gateway's time. The gateway's own timeouts
//! bound the rest: a connect timeout, and a read timeout on the answer's head and
//! between two chunks of a stream.

use crate::auth::DataCaller;
use crate::error::ApiError;
use crate::limits::{self, KeyLimits, RateHeaders, Refused, Reservation, Window};
use crate::meter::UsageEvent;
use crate::workloads::Resolved;
use crate::{Gateway, UpstreamOptions};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Limited};
use keyward_api::workloads::Workload;
use keyward_api::ErrorCode;
use request_body::RequestBody;
use std::time::Duration;

mod request_body;
mod tokens;
mod upstream;

pub use upstream::Upstreams;

/// Largest inference request body accepted (long prompts, base64 images).
pub const INFERENCE_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Largest non-streamed upstream answer read into memory.
const RESPONSE_LIMIT: usize = 64 * 1024 * 1024;
/// Longest stream line read for usage and text (one event; a chunk of an answer is far
/// smaller).
const STREAM_LINE_LIMIT: usize = 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an idle pooled connection to an upstream is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const USER_AGENT: &str = concat!("keyward-gateway/", env!("CARGO_PKG_VERSION"));

/// The prober's client (health checks, metrics scrapes).
pub fn upstream_client(options: &UpstreamOptions) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(options.read_timeout)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .user_agent(USER_AGENT);
    for root in &options.extra_roots {
        let root = reqwest::Certificate::from_der(root)
            .expect("checked by UpstreamOptions::trust_pem_file");
        builder = builder.add_root_certificate(root);
    }
    builder.build().expect("static client configuration")
}

/// Which OpenAI operation a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ChatCompletions,
    Completions,
    Embeddings,
    Rerank,
}

impl Operation {
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::ChatCompletions => "/v1/chat/completions",
            Self::Completions => "/v1/completions",
            Self::Embeddings => "/v1/embeddings",
            Self::Rerank => "/v1/rerank",
        }
    }
}

fn openai(status: StatusCode, code: ErrorCode, kind: &str, message: String) -> ApiError {
    ApiError::new(status, code, message).openai_type(kind)
}

fn bad_request(message: impl Into<String>) -> ApiError {
    openai(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidInput,
        "invalid_request_error",
        message.into(),
    )
}

fn malformed(error: request_body::Malformed) -> ApiError {
    let mut response = bad_request(error.message);
    response.body.error.field = error.field.map(str::to_owned);
    response
}

/// Forwards one request. `path_workload` is the slug of `/endpoint/{project}/{slug}/…`
/// routes; on `/v1/…` routes the body's `model` names the workload (by slug or model).
pub async fn forward(
    gateway: &Gateway,
    caller: DataCaller,
    operation: Operation,
    path_workload: Option<&str>,
    body: Bytes,
) -> Response {
    let prepared = match prepare(gateway, &caller, operation, path_workload, &body).await {
        Ok(prepared) => prepared,
        Err(error) => return error.into_response(),
    };
    let estimate = limits::estimate_tokens(body.len(), prepared.output_tokens);
    let key = &caller.key;
    let configured = KeyLimits {
        key_id: &key.id,
        rpm: key.rpm,
        tpm: key.tpm,
        token_limit: key.token_limit,
        token_limit_period: key
            .token_limit_period
            .as_deref()
            .and_then(keyward_api::TokenLimitPeriod::parse),
    };
    let admitted = gateway
        .limits
        .admit(
            gateway.pool(),
            gateway.cluster(),
            &configured,
            estimate,
            caller.at,
        )
        .await;
    let (reservation, headers) = match admitted {
        Ok(admitted) => admitted,
        Err(limits::Denied::Refused(refused)) => return too_many(refused),
        Err(limits::Denied::Unavailable(error)) => {
            return ApiError::from(error)
                .openai_type("server_error")
                .into_response()
        }
        Err(limits::Denied::Database(error)) => {
            return ApiError::from(error)
                .openai_type("server_error")
                .into_response()
        }
    };
    let mut response = send(gateway, caller, operation, prepared, reservation).await;
    apply_rate_headers(response.headers_mut(), &headers);
    response
}

/// [`Window::UNLIMITED`]'s header values.
const UNLIMITED_COUNT: &str = "4294967295";
const UNLIMITED_RESET: &str = "0ms";

/// The `x-ratelimit-*` headers' names, per window: limit, remaining, reset. Made once
/// (a name made from a string is checked character by character).
const RATE_HEADER_NAMES: [[HeaderName; 3]; 2] = [
    [
        HeaderName::from_static("x-ratelimit-limit-requests"),
        HeaderName::from_static("x-ratelimit-remaining-requests"),
        HeaderName::from_static("x-ratelimit-reset-requests"),
    ],
    [
        HeaderName::from_static("x-ratelimit-limit-tokens"),
        HeaderName::from_static("x-ratelimit-remaining-tokens"),
        HeaderName::from_static("x-ratelimit-reset-tokens"),
    ],
];

/// The six `x-ratelimit-*` headers, OpenAI's names and formats.
fn apply_rate_headers(map: &mut axum::http::HeaderMap, headers: &RateHeaders) {
    if *headers == RateHeaders::default() {
        // Most keys have no limits, and their six headers are always the same: copied
        // from a map made once (a copy is two allocations; six insertions hash six
        // names and grow the map), then the answer's own headers added to it.
        static UNLIMITED: std::sync::LazyLock<axum::http::HeaderMap> =
            std::sync::LazyLock::new(|| {
                let mut map = axum::http::HeaderMap::with_capacity(12);
                insert_rate_headers(&mut map, &RateHeaders::default());
                map
            });
        let answer = std::mem::replace(map, UNLIMITED.clone());
        map.extend(answer);
        return;
    }
    map.reserve(6);
    insert_rate_headers(map, headers);
}

fn insert_rate_headers(map: &mut axum::http::HeaderMap, headers: &RateHeaders) {
    for (window, names) in [&headers.requests, &headers.tokens]
        .into_iter()
        .zip(RATE_HEADER_NAMES)
    {
        let values = if *window == Window::UNLIMITED {
            // Most keys have no limits: their values are constants, not formatted (and
            // allocated) for every request.
            [UNLIMITED_COUNT, UNLIMITED_COUNT, UNLIMITED_RESET].map(HeaderValue::from_static)
        } else {
            [
                HeaderValue::from(window.limit),
                HeaderValue::from(window.remaining),
                HeaderValue::try_from(limits::format_reset(window.reset))
                    .expect("digits and unit letters"),
            ]
        };
        for (name, value) in names.into_iter().zip(values) {
            map.insert(name, value);
        }
    }
}

/// 429 in OpenAI's shape, with `Retry-After` and the `x-ratelimit-*` headers.
fn too_many(refused: Refused) -> Response {
    let mut response = openai(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        "rate_limit_error",
        refused.message,
    )
    .into_response();
    let seconds = refused.retry_after.as_secs_f64().ceil().max(1.0) as u64;
    if let Ok(value) = HeaderValue::try_from(seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    apply_rate_headers(response.headers_mut(), &refused.headers);
    response
}

/// A request checked and ready to forward.
struct Prepared {
    workload: Resolved,
    /// What goes to the upstream: the client's body, or a copy with `model` (and
    /// `stream_options`) rewritten.
    body: Bytes,
    streaming: bool,
    /// The client did not ask for the usage chunk the gateway asked for.
    strip_usage_chunk: bool,
    /// The most output tokens the upstream may generate for it (the reservation's
    /// share for the answer).
    output_tokens: u64,
}

async fn prepare(
    gateway: &Gateway,
    caller: &DataCaller,
    operation: Operation,
    path_workload: Option<&str>,
    body: &Bytes,
) -> Result<Prepared, ApiError> {
    if body.len() > INFERENCE_BODY_LIMIT {
        return Err(openai(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "invalid_request_error",
            format!(
                "The request body is {} bytes; the limit is {} MiB.",
                body.len(),
                INFERENCE_BODY_LIMIT >> 20
            ),
        ));
    }
    let request = RequestBody::parse(body).map_err(malformed)?;
    let requested = request.model().map_err(malformed)?;
    // Read before anything else is looked up: a bound the gateway cannot read is the
    // client's error whatever the workload, and is never forwarded.
    let output_tokens = match operation {
        Operation::ChatCompletions | Operation::Completions => request
            .output_bound()
            .map_err(malformed)?
            .worst_case(limits::DEFAULT_MAX_TOKENS),
        Operation::Embeddings | Operation::Rerank => 0,
    };
    let name = match (path_workload, &requested) {
        (Some(slug), _) => slug.to_owned(),
        (None, Some(model)) => model.clone(),
        (None, None) => {
            return Err(bad_request(
                "`model` is required: the model or workload to call.",
            ))
        }
    };
    let workload = gateway
        .workload_cache()
        .resolve(
            gateway.pool(),
            &caller.project_id,
            &name,
            caller.versions.map(|v| v.workloads),
        )
        .await?
        .ok_or_else(|| {
            openai(
                StatusCode::NOT_FOUND,
                ErrorCode::ModelNotFound,
                "invalid_request_error",
                format!("The model `{name}` does not exist or you do not have access to it."),
            )
        })?;
    if !caller.key.allows_workload(&workload.slug) {
        return Err(openai(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "permission_error",
            format!(
                "scope_insufficient: this API key may not call workload `{}`.",
                workload.slug
            ),
        ));
    }
    let model_allowed = caller.key.allows_model(&workload.model_name)
        || requested
            .as_deref()
            .is_some_and(|m| caller.key.allows_model(m));
    if !model_allowed {
        return Err(openai(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "permission_error",
            format!(
                "scope_insufficient: this API key may not call model `{}`.",
                workload.model_name
            ),
        ));
    }
    if workload.upstream_url.is_none() {
        return Err(unavailable(
            &workload,
            "it has no upstream server configured",
        ));
    }
    if let Some(reason) = gateway.prober_state().down_reason(&workload.id) {
        // The prober found it down: fail fast instead of queueing on a dead server.
        let reason = lowercase_first(reason.trim_end_matches('.'));
        return Err(unavailable(&workload, &format!("it is down ({reason})")));
    }
    let streaming = request.streaming();
    // The gateway meters streams from their final usage chunk, so it asks for one; the
    // client gets exactly what it asked for: that chunk only if it asked too.
    let include_usage = streaming
        && matches!(
            operation,
            Operation::ChatCompletions | Operation::Completions
        );
    let strip_usage_chunk = include_usage && !request.asks_for_usage();
    // A key with a token budget reserves the default for an answer whose request sets
    // no bound; the upstream is told that bound, or it could generate up to the model's
    // context and several such requests together would overspend the budget.
    let cap_output = match operation {
        Operation::ChatCompletions | Operation::Completions if caller.key.token_limit.is_some() => {
            Some(limits::DEFAULT_MAX_TOKENS)
        }
        _ => None,
    };
    // The upstream serves the workload's model under its own name.
    let forwarded = match request.rewritten(&workload.model_name, include_usage, cap_output) {
        Some(rewritten) => Bytes::from(rewritten),
        None => body.clone(),
    };
    Ok(Prepared {
        workload,
        body: forwarded,
        streaming,
        strip_usage_chunk,
        output_tokens,
    })
}

/// "The upstream …" → "the upstream …", inside a sentence; "GET", "TLS", "KV" stay.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() || !second.is_alphabetic() => first
            .to_lowercase()
            .chain(text[first.len_utf8()..].chars())
            .collect(),
        _ => text.to_owned(),
    }
}

fn unavailable(workload: &Workload, why: &str) -> ApiError {
    openai(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::WorkloadUnavailable,
        "server_error",
        format!("Workload `{}` is unavailable: {why}.", workload.slug),
    )
}

/// How a forwarded request ended, for metering and the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The whole answer reached the client.
    Served,
    /// Part of an answer was sent, then the stream broke or the client left.
    Broken,
    /// No answer was generated (upstream down, or its error status).
    Failed,
}

/// What is known of a request's usage so far.
struct Tally {
    event: UsageEvent,
    /// The token-budget reservation, settled to the actual usage when metered.
    reservation: Option<Reservation>,
    operation: Operation,
    /// The request as forwarded: its prompt is counted when the upstream reports no
    /// usage (and only then).
    request: Bytes,
    /// The answer's text the client received so far.
    received: tokens::Received,
    reported: bool,
}

impl Tally {
    fn absorb_usage(&mut self, usage: &Usage) {
        let input = usage.prompt_tokens.or(usage.input_tokens);
        let output = usage.completion_tokens.or(usage.output_tokens).unwrap_or(0);
        if let Some(input) = input {
            self.event.input_tokens = input;
            self.event.output_tokens = output;
            self.reported = true;
        }
    }

    /// Meters the request and settles its budget reservation (across replicas, the
    /// settlement to await before answering; see [`limits::Settlement`]).
    fn finish(mut self, meter: &crate::meter::Meter, outcome: Outcome) -> limits::Settlement {
        if !self.reported {
            if outcome == Outcome::Failed {
                // Nothing was generated for the client: nothing to bill.
                self.event.input_tokens = 0;
                self.event.output_tokens = 0;
            } else {
                self.event.input_tokens = tokens::prompt_tokens(self.operation, &self.request);
                self.event.output_tokens = self.received.tokens();
                self.event.estimated = true;
            }
        }
        self.event.error = outcome != Outcome::Served;
        let used = self.event.input_tokens + self.event.output_tokens;
        let settlement = self.reservation.take().map(|r| r.settle(used));
        meter.record(self.event);
        settlement.unwrap_or(limits::Settlement::none())
    }
}

/// Whether an upstream failure was a timeout (connecting, or waiting for the answer).
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// The TLS error behind an upstream failure (an untrusted or mismatched certificate),
/// as rustls words it. The connector wraps it in `io::Error`s, whose `source()` skips
/// the error they carry, so those are opened with `get_ref()`.
pub(crate) fn tls_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        cause = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    None
}

/// Only the part of an upstream answer the meter needs; the rest is skipped unparsed.
#[derive(serde::Deserialize)]
struct Answer {
    usage: Option<Usage>,
}

/// An answer's `usage`, in OpenAI's names or the Responses API's.
#[derive(serde::Deserialize)]
struct Usage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

/// What the meter reads of a stream's event: its usage, its text (for an estimate if
/// no usage comes), and whether it carries nothing else (`"choices": []`, the chunk
/// the gateway asked for on its own).
#[derive(serde::Deserialize)]
struct StreamEvent<'a> {
    usage: Option<Usage>,
    #[serde(borrow)]
    choices: Option<Vec<tokens::ChunkChoice<'a>>>,
}

async fn send(
    gateway: &Gateway,
    caller: DataCaller,
    operation: Operation,
    prepared: Prepared,
    reservation: Reservation,
) -> Response {
    let Prepared {
        workload,
        body,
        streaming,
        strip_usage_chunk,
        ..
    } = prepared;
    let upstream = workload.upstream_url.as_deref().unwrap_or_default();
    let mut tally = Tally {
        event: UsageEvent {
            project_id: caller.project_id,
            key_id: caller.key_id,
            model: workload.model_name.clone(),
            workload: workload.slug.clone(),
            at: caller.at,
            input_tokens: 0,
            output_tokens: 0,
            estimated: false,
            error: false,
        },
        reservation: Some(reservation),
        operation,
        request: body.clone(),
        received: tokens::Received::default(),
        reported: false,
    };
    let bad_gateway = |why: &str| {
        let mut error = unavailable(&workload, why);
        error.status = StatusCode::BAD_GATEWAY;
        error.into_response()
    };
    let read_timeout = gateway.read_timeout();
    let sent = tokio::time::timeout(
        read_timeout,
        gateway.upstreams().post(upstream, operation.path(), body),
    )
    .await;
    let response = match sent {
        Ok(Ok(response)) => response,
        Ok(Err(upstream::Failure::InvalidUrl(why))) => {
            tally
                .finish(gateway.meter(), Outcome::Failed)
                .applied()
                .await;
            return bad_gateway(&format!("its upstream URL cannot be used ({why})"));
        }
        Ok(Err(upstream::Failure::Upstream(error))) => {
            tracing::warn!(workload = %workload.slug, error = ?error, "upstream unreachable");
            tally
                .finish(gateway.meter(), Outcome::Failed)
                .applied()
                .await;
            if let Some(tls) = tls_failure(&*error) {
                return bad_gateway(&format!(
                    "its upstream's TLS connection failed ({tls}); if it uses a private CA, start the gateway with --upstream-ca-file"
                ));
            }
            return bad_gateway(if timed_out(&*error) {
                "its upstream server did not answer in time"
            } else {
                "its upstream server cannot be reached"
            });
        }
        Err(_elapsed) => {
            tracing::warn!(workload = %workload.slug, "upstream did not answer in time");
            tally
                .finish(gateway.meter(), Outcome::Failed)
                .applied()
                .await;
            return bad_gateway("its upstream server did not answer in time");
        }
    };
    let (head, answer) = response.into_parts();
    let status = head.status;
    let content_type = head
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/json"));
    let failed = !status.is_success();

    if streaming && !failed {
        let meter = gateway.meter.clone();
        let stream = MeteredStream::new(
            answer.into_data_stream(),
            tally,
            meter,
            strip_usage_chunk,
            read_timeout,
        );
        return Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from_stream(stream))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }

    let collected =
        tokio::time::timeout(read_timeout, Limited::new(answer, RESPONSE_LIMIT).collect()).await;
    let collected = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            tally
                .finish(gateway.meter(), Outcome::Failed)
                .applied()
                .await;
            return unavailable(&workload, "its upstream answer was too large").into_response();
        }
        broken => {
            let error = match broken {
                Ok(Err(error)) => error.to_string(),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(workload = %workload.slug, %error, "upstream answer broken off");
            tally
                .finish(gateway.meter(), Outcome::Failed)
                .applied()
                .await;
            return bad_gateway("its upstream server broke off the answer");
        }
    };
    if let Ok(Answer { usage: Some(usage) }) = serde_json::from_slice::<Answer>(&collected) {
        tally.absorb_usage(&usage);
    }
    if !tally.reported && !failed {
        tally.received.push_answer(&collected);
    }
    let outcome = if failed {
        Outcome::Failed
    } else {
        Outcome::Served
    };
    tally.finish(gateway.meter(), outcome).applied().await;
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(collected))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The upstream's SSE byte stream, passed through unchanged while its `data:` lines are
/// scanned for usage. Metered once: at the end of the stream, on an upstream error or
/// silence longer than the read timeout, or when the client goes away (the stream is
/// dropped unfinished).
struct MeteredStream<S> {
    inner: S,
    read_timeout: Duration,
    /// Fires when the upstream has sent nothing for `read_timeout`.
    silence: std::pin::Pin<Box<tokio::time::Sleep>>,
    tally: Option<Tally>,
    meter: std::sync::Arc<crate::meter::Meter>,
    line: Vec<u8>,
    /// The client did not ask for usage; the gateway did (to meter), so the usage-only
    /// chunk (`"choices": []`) is taken out of what the client receives.
    strip_usage_chunk: bool,
    /// The next blank line closes an event that was taken out.
    dropping_event: bool,
    /// Nothing more to send (the upstream finished, or went silent).
    ended: bool,
}

impl<S> MeteredStream<S> {
    fn new(
        inner: S,
        tally: Tally,
        meter: std::sync::Arc<crate::meter::Meter>,
        strip_usage_chunk: bool,
        read_timeout: Duration,
    ) -> Self {
        Self {
            inner,
            silence: Box::pin(tokio::time::sleep(read_timeout)),
            read_timeout,
            tally: Some(tally),
            meter,
            line: Vec::new(),
            strip_usage_chunk,
            dropping_event: false,
            ended: false,
        }
    }

    /// Scans a chunk for usage. Returns what to send the client: the chunk itself, or
    /// (when stripping) its complete lines minus the usage-only event.
    fn scan_chunk(&mut self, chunk: Bytes) -> Bytes {
        let strip = self.strip_usage_chunk;
        let mut out = Vec::new();
        let mut rest = &chunk[..];
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let piece = &rest[..end];
            rest = &rest[end + 1..];
            if self.line.is_empty() {
                // The whole line is in this chunk: read it where it is.
                self.scan_line(piece, strip, &mut out);
            } else {
                self.keep_partial(piece, strip);
                let line = std::mem::take(&mut self.line);
                self.scan_line(&line, strip, &mut out);
            }
        }
        self.keep_partial(rest, strip);
        if strip {
            Bytes::from(out)
        } else {
            chunk
        }
    }

    /// Keeps the start of a line that continues in the next chunk. Scanning alone
    /// keeps lines up to a bound: an event longer than that is passed on, but not read.
    fn keep_partial(&mut self, piece: &[u8], strip: bool) {
        let room = match strip {
            true => piece.len(),
            false => STREAM_LINE_LIMIT.saturating_sub(self.line.len()),
        };
        self.line.extend_from_slice(&piece[..piece.len().min(room)]);
    }

    /// Reads one line for usage and text; when stripping, copies it to `out` unless it
    /// belongs to the usage-only event.
    fn scan_line(&mut self, line: &[u8], strip: bool, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.dropping_event) && line.trim_ascii().is_empty() {
            return;
        }
        let mut keep = true;
        if let Some(data) = line.strip_prefix(b"data:") {
            let data = data.trim_ascii();
            if !data.is_empty() && data != b"[DONE]" {
                if let Ok(event) = serde_json::from_slice::<StreamEvent>(data) {
                    if let Some(tally) = self.tally.as_mut() {
                        if let Some(usage) = &event.usage {
                            tally.absorb_usage(usage);
                        }
                        if let Some(choices) = &event.choices {
                            tally.received.push_chunk(choices);
                        }
                    }
                    let usage_only = event.choices.is_some_and(|c| c.is_empty());
                    if strip && usage_only {
                        keep = false;
                        self.dropping_event = true;
                    }
                }
            }
        }
        if strip && keep {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        if let Some(tally) = self.tally.take() {
            // A stream ends inside the body's poll: its settlement is made in the
            // background.
            drop(tally.finish(&self.meter, outcome));
        }
    }
}

impl<S, E> futures_util::Stream for MeteredStream<S>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display + Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.ended {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let deadline = tokio::time::Instant::now() + self.read_timeout;
                self.silence.as_mut().reset(deadline);
                let out = self.scan_chunk(chunk);
                Poll::Ready(Some(Ok(out)))
            }
            Poll::Ready(Some(Err(error))) => {
                tracing::warn!(%error, "upstream stream broke off");
                self.finish(Outcome::Broken);
                Poll::Ready(Some(Err(std::io::Error::other(error))))
            }
            Poll::Ready(None) => {
                self.finish(Outcome::Served);
                self.ended = true;
                if self.strip_usage_chunk && !self.line.is_empty() {
                    // A last line without a newline: pass it on as it came.
                    let rest = std::mem::take(&mut self.line);
                    return Poll::Ready(Some(Ok(Bytes::from(rest))));
                }
                Poll::Ready(None)
            }
            Poll::Pending => {
                if std::future::Future::poll(self.silence.as_mut(), cx).is_pending() {
                    return Poll::Pending;
                }
                tracing::warn!("upstream stream went silent");
                self.finish(Outcome::Broken);
                self.ended = true;
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the upstream sent nothing for too long",
                ))))
            }
        }
    }
}

impl<S> Drop for MeteredStream<S> {
    fn drop(&mut self) {
        // Dropped before the end: the client went away mid-stream.
        self.finish(Outcome::Broken);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unlimited_window_reads_as_if_it_were_formatted() {
        let unlimited = Window::UNLIMITED;
        assert_eq!(UNLIMITED_COUNT, unlimited.limit.to_string());
        assert_eq!(UNLIMITED_COUNT, unlimited.remaining.to_string());
        assert_eq!(UNLIMITED_RESET, limits::format_reset(unlimited.reset));
    }

    fn stream(
        strip: bool,
    ) -> MeteredStream<futures_util::stream::Empty<Result<Bytes, std::io::Error>>> {
        let tally = Tally {
            event: UsageEvent {
                project_id: String::new(),
                key_id: String::new(),
                model: String::new(),
                workload: String::new(),
                at: chrono::Utc::now(),
                input_tokens: 0,
                output_tokens: 0,
                estimated: false,
                error: false,
            },
            reservation: None,
            operation: Operation::ChatCompletions,
            request: Bytes::new(),
            received: tokens::Received::default(),
            reported: false,
        };
        let meter = std::sync::Arc::new(crate::meter::Meter::default());
        MeteredStream::new(
            futures_util::stream::empty(),
            tally,
            meter,
            strip,
            Duration::from_secs(60),
        )
    }

    const EVENTS: &str = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße, \"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"世界 🙂\\n\"}}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4}}\n\n",
        "data: [DONE]\n\n",
    );

    /// Lines split anywhere between chunks (inside a multi-byte character too) are read
    /// whole, and the usage-only event is taken out exactly.
    #[tokio::test]
    async fn events_split_anywhere_across_chunks_are_read_whole() {
        let expected_text = "Grüße, 世界 🙂\n";
        let stripped = EVENTS.replace(
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4}}\n\n",
            "",
        );
        let bytes = EVENTS.as_bytes();
        let mut splits: Vec<Vec<&[u8]>> = (0..=bytes.len())
            .map(|at| vec![&bytes[..at], &bytes[at..]])
            .collect();
        splits.push(bytes.chunks(1).collect());
        for chunks in splits {
            for strip in [false, true] {
                let mut scanned = stream(strip);
                let mut out = Vec::new();
                for chunk in &chunks {
                    out.extend_from_slice(&scanned.scan_chunk(Bytes::copy_from_slice(chunk)));
                }
                let tally = scanned.tally.take().unwrap();
                let expected = if strip { stripped.as_str() } else { EVENTS };
                assert_eq!(String::from_utf8(out).unwrap(), expected, "{chunks:?}");
                assert!(tally.reported);
                assert_eq!(
                    (tally.event.input_tokens, tally.event.output_tokens),
                    (5, 4)
                );
                assert_eq!(
                    tally.received.tokens(),
                    tokens::count(expected_text),
                    "{chunks:?}"
                );
            }
        }
    }
}
