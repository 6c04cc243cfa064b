//! The data plane's connections to upstreams: HTTP/1.1 keep-alive pools whose
//! connections are driven by the request that uses them.
//!
//! Why not hyper-util's pooled client: it runs every connection in a task of its own and
//! hands each request to it, and each answer back, over channels, so a forwarded request
//! woke three tasks (often on both cores) instead of one. Here a checked-out connection
//! is polled inside the request's own task — first for the answer's head, then by the
//! answer's body ([`UpstreamBody`]) — and goes back to its pool when the body has been
//! read to the end. A body dropped early (client gone mid-stream) closes its connection:
//! what is left unread of an answer must never reach the next request.
//!
//! Idle connections are not polled, so one the upstream closed is found at checkout (its
//! end of file is read then) and dropped; connections idle longer than
//! [`POOL_IDLE_TIMEOUT`] are dropped too, and [`Upstreams::sweep`] closes both kinds for
//! upstreams that get no more traffic. A request that found its reused connection
//! closed before it was written is sent again on a new connection (never one that was
//! written: the upstream may have started on it).

use super::{CONNECT_TIMEOUT, POOL_IDLE_TIMEOUT, USER_AGENT};
use crate::UpstreamOptions;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use tower_service::Service;

/// Idle connections kept per upstream and worker; a burst beyond it closes the extra ones.
const MAX_IDLE_PER_UPSTREAM: usize = 256;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
type Io = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// One HTTP/1.1 connection to an upstream.
struct Pooled {
    sender: SendRequest<Full<Bytes>>,
    conn: Connection<Io, Full<Bytes>>,
    /// Which pool it goes back to: the upstream's base URL.
    base: Arc<str>,
    /// And which of its idle lists: the worker whose runtime's reactor the socket is
    /// registered with ([`crate::workers::current`]).
    worker: usize,
    idle_since: Instant,
}

impl Pooled {
    /// Whether a connection taken from the pool can carry a request: it is polled
    /// once (reading an end of file or error the upstream sent while it was idle,
    /// and returning to the state that accepts the next request).
    fn usable(&mut self, now: Instant) -> bool {
        if now.duration_since(self.idle_since) > POOL_IDLE_TIMEOUT {
            return false;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if Pin::new(&mut self.conn).poll(&mut cx).is_ready() {
            return false;
        }
        matches!(self.sender.poll_ready(&mut cx), Poll::Ready(Ok(())))
    }
}

/// An upstream base URL, parsed once: where to connect, the `Host` header, and the
/// path its operations are under.
struct Target {
    /// `scheme://authority`, what the connector dials.
    origin: Uri,
    /// The base URL's path without its trailing `/` (usually empty).
    prefix: String,
    /// Every request's headers (`Host`, `Content-Type`, `User-Agent`), made once and
    /// copied: cheaper than hashing three names into a new map per request.
    headers: HeaderMap,
}

impl Target {
    fn parse(base: &str) -> Result<Self, &'static str> {
        let uri = Uri::try_from(base).map_err(|_| "not a valid URL")?;
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err("it has no scheme or host");
        };
        let origin = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|_| "not a valid URL")?;
        let host = HeaderValue::from_str(authority.as_str()).map_err(|_| "not a valid host")?;
        let mut headers = HeaderMap::with_capacity(4);
        headers.insert(header::HOST, host);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        Ok(Target {
            origin,
            prefix: uri.path().trim_end_matches('/').to_owned(),
            headers,
        })
    }

    /// The request target (origin form) of `path` under this base URL.
    fn request_uri(&self, path: &'static str) -> Result<Uri, &'static str> {
        if self.prefix.is_empty() {
            return Ok(Uri::from_static(path));
        }
        Uri::try_from(format!("{}{path}", self.prefix)).map_err(|_| "not a valid URL")
    }
}

/// One upstream base URL: its parsed target and its idle connections.
struct Pool {
    base: Arc<str>,
    target: Target,
    /// Idle connections per worker (index: [`crate::workers::current`]). A worker
    /// only reuses its own: a socket's readiness comes from the reactor it was
    /// registered with, and another worker's would wake that one's thread for every
    /// read. Boxed: a connection's state is a kilobyte or more, moved at every
    /// checkout and into the answer's body.
    #[allow(clippy::vec_box)]
    idle: Vec<Vec<Box<Pooled>>>,
    last_used: Instant,
}

impl Pool {
    #[allow(clippy::vec_box)]
    fn idle_of(&mut self, worker: usize) -> &mut Vec<Box<Pooled>> {
        if self.idle.len() <= worker {
            self.idle.resize_with(worker + 1, Vec::new);
        }
        &mut self.idle[worker]
    }

    fn holds_none(&self) -> bool {
        self.idle.iter().all(Vec::is_empty)
    }
}

type Pools = Arc<Mutex<HashMap<Arc<str>, Pool, crate::FastHash>>>;

/// Why a request could not be sent.
#[derive(Debug)]
pub enum Failure {
    /// The workload's upstream URL cannot be used (the reason, in a few words).
    InvalidUrl(&'static str),
    /// Connecting, TLS, writing the request or reading the answer's head failed.
    Upstream(Error),
}

/// The pools, one per upstream base URL, and how new connections are made.
pub struct Upstreams {
    connector: HttpsConnector<HttpConnector>,
    pools: Pools,
}

impl Upstreams {
    pub fn new(options: &UpstreamOptions) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        // Small requests and answers: send each at once rather than waiting for an ACK.
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let (added, _) = roots.add_parsable_certificates(options.extra_roots.iter().cloned());
        debug_assert_eq!(added, options.extra_roots.len(), "checked when loaded");
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Self {
            connector,
            pools: Pools::default(),
        }
    }

    /// POSTs `body` (JSON) to `path` under the upstream `base` URL and waits for the
    /// answer's head. The answer's body keeps driving the connection, and returns it to
    /// the pool when read to the end. The caller bounds the wait (connect, TLS, head)
    /// with its own timeout.
    pub async fn post(
        &self,
        base: &str,
        path: &'static str,
        body: Bytes,
    ) -> Result<Response<UpstreamBody>, Failure> {
        let worker = crate::workers::current();
        let (mut request, key, origin, mut reused) = {
            let now = Instant::now();
            let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
            if !pools.contains_key(base) {
                let base: Arc<str> = base.into();
                let pool = Pool {
                    base: base.clone(),
                    target: Target::parse(&base).map_err(Failure::InvalidUrl)?,
                    idle: Vec::new(),
                    last_used: now,
                };
                pools.insert(base, pool);
            }
            let pool = pools.get_mut(base).expect("inserted above");
            pool.last_used = now;
            let mut request = Request::new(Full::new(body));
            *request.method_mut() = Method::POST;
            *request.uri_mut() = pool.target.request_uri(path).map_err(Failure::InvalidUrl)?;
            *request.headers_mut() = pool.target.headers.clone();
            // Most recently used first: the one least likely to have been closed.
            let mut reused = None;
            while let Some(mut pooled) = pool.idle_of(worker).pop() {
                if pooled.usable(now) {
                    reused = Some(pooled);
                    break;
                }
            }
            let origin = pool.target.origin.clone();
            (request, pool.base.clone(), origin, reused)
        };
        loop {
            let was_reused = reused.is_some();
            let mut pooled = match reused.take() {
                Some(pooled) => pooled,
                // Boxed: the connect and handshake futures are kilobytes, and every
                // request's future would carry (and move) them inline.
                None => Box::pin(self.connect(origin.clone(), key.clone(), worker))
                    .await
                    .map_err(Failure::Upstream)?,
            };
            let sent = pooled.sender.try_send_request(request);
            let mut sent = std::pin::pin!(sent);
            let mut conn = Some(pooled);
            let answer = std::future::poll_fn(|cx| {
                // The connection writes the request and reads the answer into `sent`. If
                // it ends first, dropping it answers `sent` with the reason.
                drive(&mut conn, cx);
                sent.as_mut().poll(cx)
            })
            .await;
            match answer {
                Ok(answer) => {
                    let (head, body) = answer.into_parts();
                    let body = UpstreamBody {
                        body,
                        conn,
                        pools: self.pools.clone(),
                    };
                    return Ok(Response::from_parts(head, body));
                }
                Err(mut error) => match error.take_message() {
                    // Closed before the request was written: the upstream has not seen
                    // it, so a new connection may carry it.
                    Some(unsent) if was_reused => request = unsent,
                    _ => return Err(Failure::Upstream(error.into_error().into())),
                },
            }
        }
    }

    async fn connect(
        &self,
        origin: Uri,
        base: Arc<str>,
        worker: usize,
    ) -> Result<Box<Pooled>, Error> {
        let io = self.connector.clone().call(origin).await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(io).await?;
        Ok(Box::new(Pooled {
            sender,
            conn,
            base,
            worker,
            idle_since: Instant::now(),
        }))
    }

    /// Closes idle connections that expired or that their upstream closed. The pools
    /// are otherwise only cleaned at checkout, which an unused upstream never sees.
    pub fn sweep(&self) {
        let now = Instant::now();
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        for pool in pools.values_mut() {
            for idle in &mut pool.idle {
                idle.retain_mut(|pooled| pooled.usable(now));
            }
        }
        // A base URL no longer used (its workload changed or went) is forgotten.
        pools.retain(|_, pool| {
            !pool.holds_none() || now.duration_since(pool.last_used) < POOL_IDLE_TIMEOUT
        });
    }

    /// Closes a worker's idle connections: it is stopping, and its runtime's reactor,
    /// which their sockets are registered with, goes with it.
    pub fn close_idle_of(&self, worker: usize) {
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        for pool in pools.values_mut() {
            if let Some(idle) = pool.idle.get_mut(worker) {
                idle.clear();
            }
        }
    }

    /// Idle connections across all upstreams, per worker (index 0: a shared
    /// runtime's; 1, 2 …: the worker threads'), for tests.
    pub fn idle_per_worker(&self) -> Vec<usize> {
        let pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        let mut counts = Vec::new();
        for pool in pools.values() {
            counts.resize(counts.len().max(pool.idle.len()), 0);
            for (worker, idle) in pool.idle.iter().enumerate() {
                counts[worker] += idle.len();
            }
        }
        counts
    }

    /// Idle connections across all upstreams (tests).
    pub fn idle_count(&self) -> usize {
        self.idle_per_worker().iter().sum()
    }
}

/// An upstream answer's body. Polling it drives the connection it arrives on; read to
/// the end, it gives the connection back to its pool.
pub struct UpstreamBody {
    body: Incoming,
    conn: Option<Box<Pooled>>,
    pools: Pools,
}

/// Polls a connection in use; one that ended (closed, or failed) is dropped.
fn drive(conn: &mut Option<Box<Pooled>>, cx: &mut Context<'_>) {
    if let Some(pooled) = conn.as_mut() {
        if let Poll::Ready(result) = Pin::new(&mut pooled.conn).poll(cx) {
            if let Err(error) = result {
                tracing::debug!(%error, "upstream connection ended");
            }
            *conn = None;
        }
    }
}

impl UpstreamBody {
    fn release(&mut self) {
        let Some(mut pooled) = self.conn.take() else {
            return;
        };
        pooled.idle_since = Instant::now();
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        // A pool swept while this answer was read: the connection is simply closed.
        if let Some(pool) = pools.get_mut(&pooled.base) {
            let idle = pool.idle_of(pooled.worker);
            if idle.len() < MAX_IDLE_PER_UPSTREAM {
                idle.push(pooled);
            }
        }
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        // The body first (it may already hold the data), then the connection (which
        // reads more into it), then the body again.
        for attempt in 0..2 {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(None) => {
                    this.release();
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if this.body.is_end_stream() {
                        this.release();
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
                Poll::Ready(Some(Err(error))) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(error.into())));
                }
                Poll::Pending if attempt == 0 => drive(&mut this.conn, cx),
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn a_base_url_is_split_into_origin_host_and_path_prefix() {
        for (base, origin, host, path) in [
            (
                "http://127.0.0.1:8000",
                "http://127.0.0.1:8000/",
                "127.0.0.1:8000",
                "/v1/chat/completions",
            ),
            (
                "http://vllm:8000/",
                "http://vllm:8000/",
                "vllm:8000",
                "/v1/chat/completions",
            ),
            (
                "https://api.example.com/openai/",
                "https://api.example.com/",
                "api.example.com",
                "/openai/v1/chat/completions",
            ),
            (
                "https://h/a/b",
                "https://h/",
                "h",
                "/a/b/v1/chat/completions",
            ),
        ] {
            let target = Target::parse(base).unwrap();
            assert_eq!(target.origin.to_string(), origin, "{base}");
            assert_eq!(target.headers[axum::http::header::HOST], host, "{base}");
            let uri = target.request_uri("/v1/chat/completions").unwrap();
            assert_eq!(uri.to_string(), path, "{base}");
        }
    }

    #[test]
    fn a_base_url_without_scheme_or_host_is_refused() {
        for base in ["127.0.0.1:8000", "/v1", "", "http://"] {
            assert!(Target::parse(base).is_err(), "{base}");
        }
    }
}
