//! Serving HTTP/1.1 connections, with a header-read and an idle timeout.
//!
//! `axum::serve` keeps a connection for as long as its client likes: one that sends
//! its request head a byte per second (slowloris), or opens connections and sends
//! nothing, holds a socket and a task each, and enough of them exhaust the process's
//! file descriptors. hyper's own `header_read_timeout` cannot tell the two apart — its
//! clock starts whenever the connection waits for a head, so an idle keep-alive
//! connection and a slow head share one limit. Here each connection has a small clock
//! fed by its socket reads and by its requests' start and end:
//!
//! - **idle**: no request in flight and not a byte of the next one for
//!   [`ConnectionTimeouts::idle`] (a fresh connection or a kept-alive one) → closed;
//! - **header read**: the first byte of a request head arrived, but the head was not
//!   complete within [`ConnectionTimeouts::header_read`] → closed.
//!
//! A request in flight (from its complete head to the end of its answer, a long
//! stream included) is never cut by either; the upstream read timeout governs that.
//! Closing is dropping the connection, as nginx does: a client mid-head gets no answer.

use crate::routes::Dispatch;
use axum::body::Body;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// How long a client may take over a request head, and stay silent between requests.
/// Read at each new connection, so a change applies to connections opened after it.
#[derive(Debug)]
pub struct ConnectionTimeouts {
    header_read_ms: AtomicU64,
    idle_ms: AtomicU64,
}

/// `--header-read-timeout-secs`'s default: ample for any real client's head (a few
/// hundred bytes), short enough that a slowloris holds a socket for seconds, not hours.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// `--idle-timeout-secs`'s default: nginx's `keepalive_timeout` is 75 s; SDK pools
/// (httpx: 5 s, Node: 4–5 s) give up on an idle connection well before.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for ConnectionTimeouts {
    fn default() -> Self {
        Self {
            header_read_ms: AtomicU64::new(DEFAULT_HEADER_READ_TIMEOUT.as_millis() as u64),
            idle_ms: AtomicU64::new(DEFAULT_IDLE_TIMEOUT.as_millis() as u64),
        }
    }
}

impl ConnectionTimeouts {
    pub fn header_read(&self) -> Duration {
        Duration::from_millis(self.header_read_ms.load(Ordering::Relaxed))
    }

    pub fn idle(&self) -> Duration {
        Duration::from_millis(self.idle_ms.load(Ordering::Relaxed))
    }

    pub fn set_header_read(&self, timeout: Duration) {
        self.header_read_ms
            .store(timeout.as_millis().max(1) as u64, Ordering::Relaxed);
    }

    pub fn set_idle(&self, timeout: Duration) {
        self.idle_ms
            .store(timeout.as_millis().max(1) as u64, Ordering::Relaxed);
    }
}

/// Accepts and serves connections until `shutdown` resolves, then lets each finish
/// its request in flight (idle ones close at once) and returns when all have.
pub(crate) async fn serve(
    listener: TcpListener,
    dispatch: Dispatch,
    timeouts: &ConnectionTimeouts,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    // Every connection holds a receiver; the sender's `closed` is "all have ended".
    let (all_done, done) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Responses are often written in two parts (head, then a proxied body):
        // without TCP_NODELAY the second can wait for the client's delayed ACK.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set on an accepted connection");
        }
        let limits = Limits {
            header_read: timeouts.header_read(),
            idle: timeouts.idle(),
        };
        tokio::spawn(serve_one(
            tcp,
            dispatch.clone(),
            limits,
            stopping.clone(),
            done.clone(),
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    drop(done);
    all_done.closed().await;
    Ok(())
}

/// A connection reset before it was accepted is the client's business; anything else
/// (EMFILE: out of file descriptors) is logged and retried after a pause, so that a
/// full table does not spin the accept loop.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read: Duration,
    idle: Duration,
}

async fn serve_one(
    tcp: TcpStream,
    dispatch: Dispatch,
    limits: Limits,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    _done: tokio::sync::watch::Receiver<()>,
) {
    let clock = Arc::new(Clock::new());
    let io = TokioIo::new(Watched {
        io: tcp,
        clock: clock.clone(),
    });
    let service = {
        let clock = clock.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            clock.request_started();
            let answer = dispatch.call(request);
            let clock = clock.clone();
            async move {
                let response = answer.await;
                Ok::<_, Infallible>(response.map(|body| Answer {
                    body,
                    clock: Some(clock),
                }))
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(connection);
    let mut graceful = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(error) = served {
                    tracing::trace!(%error, "connection ended with an error");
                }
                return;
            }
            _ = stopping.wait_for(|stop| *stop), if !graceful => {
                graceful = true;
                connection.as_mut().graceful_shutdown();
            }
            why = clock.expired(limits) => {
                tracing::debug!(why, "closing a connection");
                return;
            }
        }
    }
}

const NO_HEAD: u64 = u64::MAX;

/// What one connection is doing, in milliseconds since it was accepted.
struct Clock {
    origin: Instant,
    /// Requests from their complete head to the end of their answer.
    busy: AtomicU32,
    /// When the connection last became idle (accepted, or an answer ended).
    idle_since: AtomicU64,
    /// When the first byte of the next request head arrived, or [`NO_HEAD`].
    head_since: AtomicU64,
}

impl Clock {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            busy: AtomicU32::new(0),
            idle_since: AtomicU64::new(0),
            head_since: AtomicU64::new(NO_HEAD),
        }
    }

    fn now_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }

    /// Bytes arrived: when idle, they start the next request's head.
    fn bytes_read(&self) {
        if self.busy.load(Ordering::Acquire) == 0
            && self.head_since.load(Ordering::Relaxed) == NO_HEAD
        {
            self.head_since.store(self.now_ms(), Ordering::Relaxed);
        }
    }

    fn request_started(&self) {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.head_since.store(NO_HEAD, Ordering::Relaxed);
    }

    fn request_finished(&self) {
        self.idle_since.store(self.now_ms(), Ordering::Relaxed);
        self.head_since.store(NO_HEAD, Ordering::Relaxed);
        self.busy.fetch_sub(1, Ordering::AcqRel);
    }

    /// Resolves when a limit is passed, saying which. Nothing on the request path
    /// wakes it (no notification per request): it looks at least every
    /// `min(header_read, idle)`, so a head that starts between two looks is still cut
    /// on time (its deadline is at least one look away), at the cost of one timer per
    /// period for a connection that is idle or busy.
    async fn expired(&self, limits: Limits) -> &'static str {
        let look_every = limits.header_read.min(limits.idle).as_millis() as u64;
        loop {
            let now = self.now_ms();
            let wake = if self.busy.load(Ordering::Acquire) > 0 {
                now + look_every
            } else {
                let head = self.head_since.load(Ordering::Relaxed);
                let (deadline, why) = if head == NO_HEAD {
                    let since = self.idle_since.load(Ordering::Relaxed);
                    (since + limits.idle.as_millis() as u64, "idle timeout")
                } else {
                    let limit = limits.header_read.as_millis() as u64;
                    (head + limit, "header read timeout")
                };
                if now >= deadline {
                    return why;
                }
                deadline.min(now + look_every)
            };
            tokio::time::sleep_until(self.origin + Duration::from_millis(wake)).await;
        }
    }
}

/// The socket, telling the clock when bytes arrive.
struct Watched {
    io: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.bytes_read();
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A response body that tells the clock when the answer has ended (its last frame, or
/// dropped: written whole, or cut off).
struct Answer {
    body: Body,
    clock: Option<Arc<Clock>>,
}

impl Answer {
    fn finish(&mut self) {
        if let Some(clock) = self.clock.take() {
            clock.request_finished();
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.finish();
    }
}

impl http_body::Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) {
            this.finish();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
