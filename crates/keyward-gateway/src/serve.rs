//! Serving a gateway: the router on a listener, the prober alongside it, and the
//! background upkeep every open gateway runs (the usage flusher, the upstream pool
//! sweeper) — each holding the gateway weakly, so dropping the last handle ends them.

use crate::db::Db;
use crate::{connections, meter, prober, routes, Gateway, Shared};
use std::future::Future;
use std::time::Duration;

impl Gateway {
    /// Every route of both planes, with this gateway as their state.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let gateway = self.clone();
        self.while_serving(async move { gateway.serve_connections(listener, shutdown).await })
            .await
    }

    /// Runs `serving` with what goes with it: workloads are probed for as long as it
    /// runs, and when it has finished (in-flight requests included) their usage is
    /// written.
    pub(crate) async fn while_serving(
        &self,
        serving: impl Future<Output = std::io::Result<()>>,
    ) -> std::io::Result<()> {
        let prober = tokio::spawn(prober::run(self.clone()));
        let served = serving.await;
        prober.abort();
        self.final_flush().await;
        served
    }

    /// Accepts and serves connections on `listener` until `shutdown` resolves and the
    /// in-flight requests have finished.
    pub(crate) async fn serve_connections(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        connections::serve(
            listener,
            routes::Dispatch::new(self.clone()),
            &self.connection_timeouts,
            shutdown,
        )
        .await
    }

    /// Everything in-flight has finished: write its usage before going. Tried a few
    /// times: a connection the pool replaced on a worker's runtime (after a database
    /// restart) is dead once that worker stopped, and the pool only notices on use.
    async fn final_flush(&self) {
        for attempt in 1..=FINAL_FLUSH_ATTEMPTS {
            match self.flush_usage().await {
                Ok(_) => return,
                Err(error) if attempt < FINAL_FLUSH_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "final usage flush failed; trying again");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => {
                    tracing::error!(%error, "final usage flush failed; the usage since the last flush is lost")
                }
            }
        }
    }
}

/// One more than the connections a dead one could be among (see `config`).
const FINAL_FLUSH_ATTEMPTS: u32 = crate::config::POSTGRES_CONNECTIONS + 1;

/// Closes idle upstream connections that expired or were closed by their upstream,
/// every 30 s while the gateway exists (busy upstreams are cleaned at checkout).
pub(crate) fn spawn_pool_sweeper(gateway: std::sync::Weak<Shared>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(gateway) = gateway.upgrade() else {
                break;
            };
            gateway.upstreams.sweep();
        }
    });
}

/// Flushes the meter every second while its gateway exists.
pub(crate) fn spawn_flusher(meter: std::sync::Weak<meter::Meter>, pool: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(meter::FLUSH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(meter) = meter.upgrade() else { break };
            if let Err(error) = meter.flush(&pool).await {
                tracing::error!(%error, "usage flush failed; retrying next second");
            }
        }
    });
}
