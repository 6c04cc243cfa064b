//! Bulk seeding of a gateway's database for benchmarks and end-to-end set-up: many keys
//! in one transaction, bypassing the audit trail and per-request fsyncs, and months of
//! usage history through the gateway's own meter.
//!
//! It is a crate of its own, not a feature of keyward-gateway, because Cargo unifies
//! features across a workspace build: a feature enabled by the e2e crate would be
//! compiled into the app and the standalone gateway built alongside it. Nothing shipped
//! depends on this crate (`src-tauri/tests/shipped.rs` checks the app's dependency tree).

use chrono::{DateTime, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::Secret;
use keyward_gateway::{on_db, Gateway};

/// Inserts `count` active keys named `service-{i}` (labels `team=t{i % 50}`), the
/// newest created at `now`. Returns every 997th secret, for lookup benchmarks.
pub async fn seed_keys(
    gateway: &Gateway,
    project_id: &str,
    count: usize,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Secret>> {
    let mut probes = Vec::new();
    let mut tx = gateway.pool().begin_write().await?;
    for i in 0..count {
        let secret = token::generate(TokenKind::Data);
        let id = format!("key_seed{i:06}");
        let labels = format!("{{\"team\":\"t{}\"}}", i % 50);
        let created_at = now - chrono::Duration::seconds((count - i) as i64);
        on_db!(&mut tx, |e| {
            sqlx::query(
            "INSERT INTO inference_keys (id, project_id, name, secret_hash, masked, labels, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(project_id)
        .bind(format!("service-{i}"))
        .bind(&token::hash(secret.expose())[..])
        .bind(token::masked(secret.expose()))
        .bind(&labels)
        .bind(created_at)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ())
        })?;
        if i % 997 == 0 {
            probes.push(secret);
        }
    }
    tx.commit().await?;
    analyze(gateway).await?;
    Ok(probes)
}

/// Feeds `days` of sparse usage history for `key_ids` through the gateway's own
/// meter (the proxy's metering path) with past timestamps, flushing as it goes:
/// each key uses 1–3 of `models` models and is active on about 60 % of days, 1–4
/// times a day. Deterministic (a fixed xorshift seed). Returns the events metered.
pub async fn seed_usage(
    gateway: &Gateway,
    project_id: &str,
    key_ids: &[String],
    models: usize,
    days: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    use chrono::{Duration, DurationRound};
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut below = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n.max(1)
    };
    let today = now.duration_trunc(Duration::days(1)).unwrap_or(now);
    let mut events = 0u64;
    for (i, key) in key_ids.iter().enumerate() {
        let used: Vec<u64> = (0..1 + below(3)).map(|_| below(models as u64)).collect();
        for day in 0..days {
            if below(10) >= 6 {
                continue;
            }
            for _ in 0..1 + below(4) {
                let at = today - Duration::days(day) + Duration::minutes(below(24 * 60) as i64);
                if at > now {
                    continue;
                }
                let model = used[below(used.len() as u64) as usize];
                gateway.meter().record(keyward_gateway::meter::UsageEvent {
                    project_id: project_id.to_owned(),
                    key_id: key.clone(),
                    model: format!("model-{model:02}"),
                    workload: format!("workload-{model:02}"),
                    at,
                    input_tokens: 200 + below(4_000),
                    output_tokens: 50 + below(1_000),
                    estimated: false,
                    error: below(100) == 0,
                });
                events += 1;
            }
        }
        if i % 50 == 49 {
            gateway.meter().flush(gateway.pool()).await?;
        }
    }
    gateway.meter().flush(gateway.pool()).await?;
    analyze(gateway).await?;
    if gateway.pool().is_sqlite() {
        // Measure the steady state, not a write-ahead log swollen by the bulk load.
        on_db!(gateway.pool(), |e| sqlx::query(
            "PRAGMA wal_checkpoint(TRUNCATE)"
        )
        .execute(e)
        .await
        .map(|_| ()))?;
    }
    Ok(events)
}

/// Fresh planner statistics after a bulk load, on either engine.
async fn analyze(gateway: &Gateway) -> sqlx::Result<()> {
    on_db!(gateway.pool(), |e| sqlx::query("ANALYZE")
        .execute(e)
        .await
        .map(|_| ()))
}
