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
//! estimated (≈ 4 bytes a token) and the row is marked estimated. A client that goes
//! away mid-stream is metered for what was served, as an error.
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
use crate::limits::{self, KeyLimits, RateHeaders, Refused, Reservation};
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
mod upstream;

pub use upstream::Upstreams;

/// Largest inference request body accepted (long prompts, base64 images).
pub const INFERENCE_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Largest non-streamed upstream answer read into memory.
const RESPONSE_LIMIT: usize = 64 * 1024 * 1024;
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
    fn path(self) -> &'static str {
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
    let max_tokens = match operation {
        Operation::Embeddings | Operation::Rerank => Some(0),
        _ => prepared.max_tokens,
    };
    let estimate = limits::estimate_tokens(body.len(), max_tokens);
    let key = &caller.key;
    let configured = KeyLimits {
        key_id: &key.id,
        rpm: key.rpm,
        tpm: key.tpm,
        token_limit: key.token_limit,
        token_limit_period: key.token_limit_period.as_deref(),
    };
    let admitted = gateway
        .limits
        .admit(gateway.pool(), &configured, estimate, chrono::Utc::now())
        .await;
    let (reservation, headers) = match admitted {
        Ok(admitted) => admitted,
        Err(refused) => return too_many(refused),
    };
    let mut response = send(gateway, caller, operation, prepared, reservation).await;
    apply_rate_headers(response.headers_mut(), &headers);
    response
}

fn apply_rate_headers(map: &mut axum::http::HeaderMap, headers: &RateHeaders) {
    let kinds = [
        (
            &headers.requests,
            [
                "x-ratelimit-limit-requests",
                "x-ratelimit-remaining-requests",
                "x-ratelimit-reset-requests",
            ],
        ),
        (
            &headers.tokens,
            [
                "x-ratelimit-limit-tokens",
                "x-ratelimit-remaining-tokens",
                "x-ratelimit-reset-tokens",
            ],
        ),
    ];
    for (limit, [limit_name, remaining_name, reset_name]) in kinds {
        if let Some((limit, remaining, reset)) = limit {
            map.insert(
                HeaderName::from_static(limit_name),
                HeaderValue::from(*limit),
            );
            map.insert(
                HeaderName::from_static(remaining_name),
                HeaderValue::from(*remaining),
            );
            if let Ok(reset) = HeaderValue::try_from(limits::format_reset(*reset)) {
                map.insert(HeaderName::from_static(reset_name), reset);
            }
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
    max_tokens: Option<u64>,
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
    let request = RequestBody::parse(body).map_err(|e| bad_request(e.0))?;
    let requested = request.model().map_err(|e| bad_request(e.0))?;
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
        .resolve(gateway.pool(), &caller.project_id, &name)
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
    // The upstream serves the workload's model under its own name.
    let forwarded = match request.rewritten(&workload.model_name, include_usage) {
        Some(rewritten) => Bytes::from(rewritten),
        None => body.clone(),
    };
    let max_tokens = request.max_tokens();
    Ok(Prepared {
        workload,
        body: forwarded,
        streaming,
        strip_usage_chunk,
        max_tokens,
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
    /// Bytes of the request (for the estimate when the upstream reports nothing).
    request_bytes: usize,
    response_bytes: usize,
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

    /// Meters the request and settles its budget reservation.
    fn finish(mut self, meter: &crate::meter::Meter, outcome: Outcome) {
        if !self.reported {
            if outcome == Outcome::Failed {
                // Nothing was generated for the client: nothing to bill.
                self.event.input_tokens = 0;
                self.event.output_tokens = 0;
            } else {
                self.event.input_tokens = (self.request_bytes as u64).div_ceil(4);
                self.event.output_tokens = (self.response_bytes as u64).div_ceil(4);
                self.event.estimated = true;
            }
        }
        self.event.error = outcome != Outcome::Served;
        if let Some(reservation) = self.reservation.take() {
            reservation.settle(self.event.input_tokens + self.event.output_tokens);
        }
        meter.record(self.event);
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

/// What the meter reads of a stream's event: its usage, and whether it carries
/// nothing else (`"choices": []`, the chunk the gateway asked for on its own).
#[derive(serde::Deserialize)]
struct StreamEvent {
    usage: Option<Usage>,
    choices: Option<Vec<serde::de::IgnoredAny>>,
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
            at: chrono::Utc::now(),
            input_tokens: 0,
            output_tokens: 0,
            estimated: false,
            error: false,
        },
        reservation: Some(reservation),
        request_bytes: body.len(),
        response_bytes: 0,
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
            tally.finish(gateway.meter(), Outcome::Failed);
            return bad_gateway(&format!("its upstream URL cannot be used ({why})"));
        }
        Ok(Err(upstream::Failure::Upstream(error))) => {
            tracing::warn!(workload = %workload.slug, error = ?error, "upstream unreachable");
            tally.finish(gateway.meter(), Outcome::Failed);
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
            tally.finish(gateway.meter(), Outcome::Failed);
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
            tally.finish(gateway.meter(), Outcome::Failed);
            return unavailable(&workload, "its upstream answer was too large").into_response();
        }
        broken => {
            let error = match broken {
                Ok(Err(error)) => error.to_string(),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(workload = %workload.slug, %error, "upstream answer broken off");
            tally.finish(gateway.meter(), Outcome::Failed);
            return bad_gateway("its upstream server broke off the answer");
        }
    };
    tally.response_bytes = collected.len();
    if let Ok(Answer { usage: Some(usage) }) = serde_json::from_slice::<Answer>(&collected) {
        tally.absorb_usage(&usage);
    }
    let outcome = if failed {
        Outcome::Failed
    } else {
        Outcome::Served
    };
    tally.finish(gateway.meter(), outcome);
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
        if let Some(tally) = self.tally.as_mut() {
            tally.response_bytes += chunk.len();
        }
        let mut out = Vec::new();
        for &byte in chunk.iter() {
            if byte != b'\n' {
                // Scanning alone needs only small lines (a usage chunk is small).
                if strip || self.line.len() < 64 * 1024 {
                    self.line.push(byte);
                }
                continue;
            }
            let line = std::mem::take(&mut self.line);
            if std::mem::take(&mut self.dropping_event) && line.trim_ascii().is_empty() {
                continue;
            }
            let mut keep = true;
            if let Some(data) = line.strip_prefix(b"data:") {
                let data = data.trim_ascii();
                if !data.is_empty() && data != b"[DONE]" && contains(data, b"\"usage\"") {
                    if let Ok(event) = serde_json::from_slice::<StreamEvent>(data) {
                        if let (Some(usage), Some(tally)) = (&event.usage, self.tally.as_mut()) {
                            tally.absorb_usage(usage);
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
                out.extend_from_slice(&line);
                out.push(b'\n');
            }
        }
        if strip {
            Bytes::from(out)
        } else {
            chunk
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        if let Some(tally) = self.tally.take() {
            tally.finish(&self.meter, outcome);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
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
