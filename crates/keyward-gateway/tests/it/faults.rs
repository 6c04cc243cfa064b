//! A TCP proxy on 127.0.0.1 (a random port) that a test puts between the gateway and a
//! server it depends on (PostgreSQL, Redis), to make the network fail on cue:
//!
//! * pass through (the default);
//! * [`FaultProxy::cut_after`]: the next client→server chunk holding a byte pattern (a
//!   `COMMIT`) is delivered, the server's answer is awaited and dropped, and both sides
//!   are closed: the client sees its connection die with no answer although the server
//!   did the work — what a cut cable or a timeout looks like just after a request;
//! * [`FaultProxy::pause`] / [`FaultProxy::resume`]: no byte moves either way, on open
//!   connections or new ones, until resumed — a network pause, not a refusal.
//!
//! Why a proxy and not a stopped server: the faults that matter here are the ones where
//! the client cannot tell what the server did. Each connection is two tasks, one per
//! direction, so one side's backlog never blocks the other's.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

/// How long a cut connection waits for the server's answer to the delivered chunk before
/// closing anyway (the answer is dropped either way; waiting makes sure the server acted).
const ANSWER_WAIT: Duration = Duration::from_secs(5);

pub struct FaultProxy {
    addr: SocketAddr,
    faults: Arc<Faults>,
    accepting: tokio::task::JoinHandle<()>,
}

/// What the proxy's connections consult on every chunk.
struct Faults {
    upstream: SocketAddr,
    /// The pattern of an armed cut, disarmed by the connection that meets it.
    cut_after: Mutex<Option<Vec<u8>>>,
    cuts: AtomicUsize,
    paused: watch::Sender<bool>,
    /// Chunks and new connections waiting for a resume.
    held: AtomicUsize,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 and relays every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Faults {
            upstream,
            cut_after: Mutex::new(None),
            cuts: AtomicUsize::new(0),
            paused: watch::channel(false).0,
            held: AtomicUsize::new(0),
        });
        let accepting = tokio::spawn(accept(listener, faults.clone()));
        FaultProxy {
            addr,
            faults,
            accepting,
        }
    }

    /// The address clients connect to instead of the server's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Arms a cut: the next client→server chunk (on any connection) containing `pattern`
    /// reaches the server, whose answer is then dropped and the connection closed both
    /// ways. One cut per call; a pattern split across two chunks is not seen.
    pub fn cut_after(&self, pattern: &[u8]) {
        *self.faults.cut_after.lock().unwrap() = Some(pattern.to_vec());
    }

    /// Connections cut so far.
    pub fn cuts(&self) -> usize {
        self.faults.cuts.load(Ordering::SeqCst)
    }

    /// Holds all traffic, both ways, on open and new connections, until [`Self::resume`].
    pub fn pause(&self) {
        self.faults.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.faults.paused.send_replace(false);
    }

    /// Chunks (either way) and new connections held by a pause right now: a test waits
    /// for traffic to be held before it checks what a pause does.
    pub fn held(&self) -> usize {
        self.faults.held.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    /// Stops listening and closes every connection (the accept task owns them).
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl Faults {
    /// Whether `chunk` fires the armed cut (disarming it).
    fn cuts_at(&self, chunk: &[u8]) -> bool {
        let mut armed = self.cut_after.lock().unwrap();
        let hit = armed.as_deref().is_some_and(|pattern| {
            !pattern.is_empty() && chunk.windows(pattern.len()).any(|w| w == pattern)
        });
        if hit {
            *armed = None;
            self.cuts.fetch_add(1, Ordering::SeqCst);
        }
        hit
    }

    /// Returns once traffic is not paused.
    async fn running(&self) {
        let mut paused = self.paused.subscribe();
        if !*paused.borrow() {
            return;
        }
        let _held = Held::count(&self.held);
        // The sender lives as long as `self`.
        let _ = paused.wait_for(|paused| !*paused).await;
    }
}

/// One chunk or connection in [`Faults::held`], for as long as it waits (also when its
/// task is aborted meanwhile).
struct Held<'a>(&'a AtomicUsize);

impl<'a> Held<'a> {
    fn count(held: &'a AtomicUsize) -> Self {
        held.fetch_add(1, Ordering::SeqCst);
        Held(held)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn accept(listener: TcpListener, faults: Arc<Faults>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                connections.spawn(relay(client, faults.clone()));
            }
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One cut in progress on a connection: the upstream task has delivered the chunk; the
/// downstream task drops what comes back and says so.
#[derive(Default)]
struct Cut {
    delivered: AtomicBool,
    answered: Notify,
}

async fn relay(client: TcpStream, faults: Arc<Faults>) {
    faults.running().await;
    let Ok(server) = TcpStream::connect(faults.upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let cut = Arc::new(Cut::default());
    let mut directions = JoinSet::new();
    directions.spawn(upstream(
        client_read,
        server_write,
        faults.clone(),
        cut.clone(),
    ));
    directions.spawn(downstream(server_read, client_write, faults, cut));
    // Either direction ending ends the connection: the other task is aborted and every
    // half dropped, which closes both sockets.
    directions.join_next().await;
    directions.shutdown().await;
}

async fn upstream(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    faults: Arc<Faults>,
    cut: Arc<Cut>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        faults.running().await;
        let chunk = &buffer[..n];
        let cutting = faults.cuts_at(chunk);
        if cutting {
            cut.delivered.store(true, Ordering::SeqCst);
        }
        if to.write_all(chunk).await.is_err() {
            return;
        }
        if cutting {
            // A notification sent before this wait is kept for it (`notify_one`).
            let _ = tokio::time::timeout(ANSWER_WAIT, cut.answered.notified()).await;
            return;
        }
    }
}

async fn downstream(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    faults: Arc<Faults>,
    cut: Arc<Cut>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        faults.running().await;
        if cut.delivered.load(Ordering::SeqCst) {
            // The answer to the cut chunk: never passed on.
            cut.answered.notify_one();
            // Stay until the upstream task closes the connection, so the client sees the
            // close and not a half-open socket.
            std::future::pending::<()>().await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

// The proxy's own behaviour, with the test as the server: what it holds and what it cuts
// is seen on both sockets, not inferred from a client library's error.

/// A proxy in front of a listener the test accepts on, and one connection through it.
async fn connected() -> (FaultProxy, TcpListener, TcpStream, TcpStream) {
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = FaultProxy::start(server.local_addr().unwrap()).await;
    let client = TcpStream::connect(proxy.addr()).await.unwrap();
    let (served, _) = server.accept().await.unwrap();
    (proxy, server, client, served)
}

async fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    stream.read_exact(&mut bytes).await.unwrap();
    bytes
}

async fn wait_held(proxy: &FaultProxy, n: usize) {
    crate::util::wait_until(Duration::from_secs(10), "traffic held", || async {
        proxy.held() == n
    })
    .await;
}

#[tokio::test]
async fn a_pause_holds_traffic_both_ways_and_new_connections_until_resumed() {
    let (proxy, listener, mut client, mut served) = connected().await;
    client.write_all(b"hello").await.unwrap();
    assert_eq!(read_exactly(&mut served, 5).await, b"hello");

    proxy.pause();
    served.write_all(b"down").await.unwrap();
    client.write_all(b"up").await.unwrap();
    let mut late = TcpStream::connect(proxy.addr()).await.unwrap();
    late.write_all(b"late").await.unwrap();
    // Each chunk is in the proxy's hands, not passed on, and the new connection has
    // not reached the server.
    wait_held(&proxy, 3).await;

    proxy.resume();
    assert_eq!(read_exactly(&mut client, 4).await, b"down");
    assert_eq!(read_exactly(&mut served, 2).await, b"up");
    let (mut late_served, _) = listener.accept().await.unwrap();
    assert_eq!(read_exactly(&mut late_served, 4).await, b"late");
    assert_eq!(proxy.held(), 0);
}

#[tokio::test]
async fn a_cut_delivers_the_chunk_drops_the_answer_and_closes_both_sides_once() {
    let (proxy, listener, mut client, mut served) = connected().await;
    proxy.cut_after(b"COMMIT");
    client.write_all(b"SELECT 1").await.unwrap();
    assert_eq!(read_exactly(&mut served, 8).await, b"SELECT 1");
    served.write_all(b"one").await.unwrap();
    assert_eq!(read_exactly(&mut client, 3).await, b"one");

    client.write_all(b"xCOMMITy").await.unwrap();
    assert_eq!(read_exactly(&mut served, 8).await, b"xCOMMITy");
    served.write_all(b"committed").await.unwrap();
    let mut rest = Vec::new();
    // Closed without the answer: end of stream, or a reset.
    let _ = client.read_to_end(&mut rest).await;
    assert_eq!(rest, b"", "the answer was passed on");
    assert!(matches!(served.read(&mut [0u8; 1]).await, Ok(0) | Err(_)));
    assert_eq!(proxy.cuts(), 1);

    // One cut per arming: the next connection passes everything.
    let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
    let (mut served, _) = listener.accept().await.unwrap();
    again.write_all(b"COMMIT").await.unwrap();
    assert_eq!(read_exactly(&mut served, 6).await, b"COMMIT");
    served.write_all(b"ok").await.unwrap();
    assert_eq!(read_exactly(&mut again, 2).await, b"ok");
    assert_eq!(proxy.cuts(), 1);
}
