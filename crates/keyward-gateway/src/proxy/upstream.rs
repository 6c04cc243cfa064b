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
use axum::http::{header, HeaderValue, Request, Response, Uri};
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

/// Idle connections kept per upstream; a burst beyond it closes the extra ones.
const MAX_IDLE_PER_UPSTREAM: usize = 256;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
type Io = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// One HTTP/1.1 connection to an upstream.
struct Pooled {
    sender: SendRequest<Full<Bytes>>,
    conn: Connection<Io, Full<Bytes>>,
    /// Which pool it goes back to: the upstream's `scheme://authority`.
    origin: Arc<str>,
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

/// Boxed: a connection's state is a kilobyte or more, moved at every checkout.
type Idle = Arc<Mutex<HashMap<Arc<str>, Vec<Box<Pooled>>>>>;

/// The pools, one per upstream origin, and how new connections are made.
pub struct Upstreams {
    connector: HttpsConnector<HttpConnector>,
    idle: Idle,
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
            idle: Idle::default(),
        }
    }

    /// Sends `request` (whose URI is absolute) and waits for the answer's head. The
    /// answer's body keeps driving the connection, and returns it to the pool when read
    /// to the end. The caller bounds the wait (connect, TLS, head) with its own timeout.
    pub async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<UpstreamBody>, Error> {
        let uri = request.uri().clone();
        let origin = origin(&uri).ok_or("the upstream URL has no scheme or host")?;
        if let Some(authority) = uri.authority() {
            request.headers_mut().insert(
                header::HOST,
                HeaderValue::from_str(authority.as_str())
                    .map_err(|_| "the upstream URL's host is not a valid header value")?,
            );
        }
        request
            .headers_mut()
            .insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        // hyper writes the request target as given: the origin form (path and query).
        *request.uri_mut() = uri
            .path_and_query()
            .map(|p| Uri::from(p.clone()))
            .unwrap_or_else(|| Uri::from_static("/"));
        let mut request = request;
        loop {
            let (mut pooled, reused) = match self.checkout(&origin) {
                Some(pooled) => (pooled, true),
                // Boxed: the connect and handshake futures are kilobytes, and every
                // request's future would carry (and move) them inline.
                None => (Box::pin(self.connect(&uri, origin.clone())).await?, false),
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
                        idle: self.idle.clone(),
                    };
                    return Ok(Response::from_parts(head, body));
                }
                Err(mut error) => match error.take_message() {
                    // Closed before the request was written: the upstream has not seen
                    // it, so a new connection may carry it.
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(error.into_error().into()),
                },
            }
        }
    }

    fn checkout(&self, origin: &str) -> Option<Box<Pooled>> {
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let pool = idle.get_mut(origin)?;
        // Most recently used first: the one least likely to have been closed.
        while let Some(mut pooled) = pool.pop() {
            if pooled.usable(now) {
                return Some(pooled);
            }
        }
        None
    }

    async fn connect(&self, uri: &Uri, origin: Arc<str>) -> Result<Box<Pooled>, Error> {
        let io = self.connector.clone().call(uri.clone()).await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(io).await?;
        Ok(Box::new(Pooled {
            sender,
            conn,
            origin,
            idle_since: Instant::now(),
        }))
    }

    /// Closes idle connections that expired or that their upstream closed. The pools
    /// are otherwise only cleaned at checkout, which an unused upstream never sees.
    pub fn sweep(&self) {
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        for pool in idle.values_mut() {
            pool.retain_mut(|pooled| pooled.usable(now));
        }
        idle.retain(|_, pool| !pool.is_empty());
    }

    /// Idle connections across all upstreams (tests).
    pub fn idle_count(&self) -> usize {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.values().map(Vec::len).sum()
    }
}

/// `scheme://authority` of an absolute URI: connections are shared by requests to the
/// same origin, whatever the workload or path.
fn origin(uri: &Uri) -> Option<Arc<str>> {
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    Some(format!("{scheme}://{authority}").into())
}

/// An upstream answer's body. Polling it drives the connection it arrives on; read to
/// the end, it gives the connection back to its pool.
pub struct UpstreamBody {
    body: Incoming,
    conn: Option<Box<Pooled>>,
    idle: Idle,
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
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let pool = idle.entry(pooled.origin.clone()).or_default();
        if pool.len() < MAX_IDLE_PER_UPSTREAM {
            pool.push(pooled);
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
