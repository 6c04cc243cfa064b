//! Bulk seeding for benchmarks only (feature `bench-seed`): many keys in one
//! transaction, bypassing the audit trail and per-request fsyncs. Never compiled into
//! the shipped gateway.

use crate::Gateway;
use chrono::{DateTime, Utc};
use keyward_api::token::{self, TokenKind};
use keyward_api::Secret;

impl Gateway {
    /// Inserts `count` active keys named `service-{i}` (labels `team=t{i % 50}`), the
    /// newest created at `now`. Returns every 997th secret, for lookup benchmarks.
    pub async fn seed_keys(
        &self,
        project_id: &str,
        count: usize,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<Secret>> {
        let mut probes = Vec::new();
        let mut tx = self.pool().begin_with(crate::WRITE_TX).await?;
        for i in 0..count {
            let secret = token::generate(TokenKind::Data);
            sqlx::query(
                "INSERT INTO inference_keys (id, project_id, name, secret_hash, masked, labels, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(format!("key_seed{i:06}"))
            .bind(project_id)
            .bind(format!("service-{i}"))
            .bind(&token::hash(secret.expose())[..])
            .bind(token::masked(secret.expose()))
            .bind(format!("{{\"team\":\"t{}\"}}", i % 50))
            .bind(now - chrono::Duration::seconds((count - i) as i64))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if i % 997 == 0 {
                probes.push(secret);
            }
        }
        tx.commit().await?;
        sqlx::query("ANALYZE").execute(self.pool()).await?;
        Ok(probes)
    }
}
