//! Serving on worker threads that share nothing but the gateway's state: each worker
//! is an OS thread with its own single-threaded tokio runtime and its own listening
//! socket on the same address (`SO_REUSEPORT`), so a connection is accepted, read,
//! forwarded and answered on one thread from its first byte to its last — nginx's
//! worker model, and Pingora's "no work stealing" runtimes.
//!
//! Why: on tokio's work-stealing runtime a forwarded request woke a second worker
//! thread (a task scheduled while another worker was parked notifies it, and a worker
//! that finds work notifies the next); on the 2-core benchmark machine those futex
//! wakes and the context switches they cause were most of the latency the gateway
//! added over nginx at p99 (docs/benchmarks.md). The price is balance: the kernel
//! spreads *connections*, not requests, over the workers (by a hash of the
//! connection's addresses), so a few very busy keep-alive connections can load one
//! worker more than another.
//!
//! The state the workers share (key cache, limiters, meter, upstream pools) was
//! already thread-safe; the background tasks (probing, the usage flush, the pool
//! sweep) stay on the runtime that calls [`Gateway::serve_workers`].

use crate::Gateway;
use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

thread_local! {
    /// This thread's worker number: 1, 2 … on the threads of [`Gateway::serve_workers`],
    /// 0 elsewhere (a shared work-stealing runtime, whose threads share one reactor).
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// The worker serving on this thread (0 outside [`Gateway::serve_workers`]): what is
/// tied to a worker's runtime, such as pooled upstream sockets, is kept per worker.
pub(crate) fn current() -> usize {
    WORKER.with(Cell::get)
}

/// Opens `workers` listening sockets on `address`. With more than one, each has
/// `SO_REUSEPORT` and the kernel spreads new connections over them; port 0 is resolved
/// by the first, so all listen on the same port.
pub fn bind(
    address: SocketAddr,
    workers: NonZeroUsize,
) -> std::io::Result<Vec<std::net::TcpListener>> {
    let shared = workers.get() > 1;
    let first = listen(address, shared)?;
    let address = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..workers.get() {
        listeners.push(listen(address, shared)?);
    }
    Ok(listeners)
}

fn listen(address: SocketAddr, reuse_port: bool) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    // As every server on Unix: a restart can bind while old connections are in TIME_WAIT.
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

impl Gateway {
    /// Serves on one worker thread per listener (from [`bind`]) until `shutdown`
    /// resolves, then gives every worker up to `grace` to finish its in-flight
    /// requests (a stream still open then is cut off and metered as broken, as when a
    /// client leaves), and writes their usage. Workloads are probed, and usage flushed,
    /// on the calling runtime.
    pub async fn serve_workers(
        self,
        listeners: Vec<std::net::TcpListener>,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) -> std::io::Result<()> {
        self.while_serving(self.run_workers(listeners, shutdown, grace))
            .await
    }

    async fn run_workers(
        &self,
        listeners: Vec<std::net::TcpListener>,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (force, forced) = tokio::sync::watch::channel(false);
        let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
        let mut threads = Vec::with_capacity(listeners.len());
        for (worker, listener) in (1..).zip(listeners) {
            let gateway = self.clone();
            let mut stopped = stopped.clone();
            let mut forced = forced.clone();
            let done = done.clone();
            let thread = std::thread::Builder::new()
                .name(format!("keyward-worker-{worker}"))
                .spawn(move || {
                    WORKER.with(|current| current.set(worker));
                    let served = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .and_then(|runtime| {
                            runtime.block_on(async move {
                                let listener = tokio::net::TcpListener::from_std(listener)?;
                                let serving = gateway.serve_connections(listener, async move {
                                    let _ = stopped.wait_for(|stop| *stop).await;
                                });
                                let served = tokio::select! {
                                    served = serving => served,
                                    // Past the grace: what is still in flight is dropped
                                    // with this runtime.
                                    _ = forced.wait_for(|force| *force) => Ok(()),
                                };
                                gateway.upstreams().close_idle_of(worker);
                                served
                            })
                        });
                    let _ = done.send(served);
                });
            match thread {
                Ok(thread) => threads.push(thread),
                Err(error) => {
                    let _ = stop.send(true);
                    for thread in threads {
                        let _ = thread.join();
                    }
                    return Err(error);
                }
            }
        }
        drop(done);
        // A worker that ends on its own (its runtime could not start) stops the others.
        let mut remaining = threads.len();
        let mut first_error = None;
        tokio::select! {
            () = shutdown => {}
            Some(served) = finished.recv() => {
                remaining -= 1;
                first_error = served.err();
            }
        }
        let _ = stop.send(true);
        // Each worker answers once its in-flight requests are done (a panicked one
        // drops its sender without answering); past the grace, they are cut off.
        {
            let answers = async {
                while remaining > 0 {
                    match finished.recv().await {
                        Some(Err(error)) => {
                            first_error.get_or_insert(error);
                        }
                        Some(Ok(())) => {}
                        None => break,
                    }
                    remaining -= 1;
                }
            };
            tokio::pin!(answers);
            if tokio::time::timeout(grace, &mut answers).await.is_err() {
                tracing::warn!(
                    ?grace,
                    "requests still in flight after the grace period; cutting them off"
                );
                let _ = force.send(true);
                answers.await;
            }
        }
        for thread in threads {
            let _ = thread.join();
        }
        first_error.map_or(Ok(()), Err)
    }
}
