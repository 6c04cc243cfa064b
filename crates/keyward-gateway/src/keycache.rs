//! The data plane's view of inference keys: an in-memory cache by secret hash, so a
//! request is authenticated without a database read, and revocation still takes effect
//! on the very next request.
//!
//! Every key mutation (update, revoke, archive, rotate) goes through `keys::*`
//! wrappers that invalidate the key here after their transaction commits and before
//! the control-plane response is sent. A request that missed the cache and read the
//! database concurrently must not write its (possibly pre-revoke) row back: loads
//! remember the cache epoch before reading and insert only if no invalidation happened
//! since, checked under the entry's shard lock, which invalidation also takes.
//! Time-dependent state (expiry, the end of a rotation grace period) is evaluated per
//! request from the cached timestamps, so it needs no invalidation.
//!
//! Unknown hashes are not cached (a flood of made-up keys is stopped by the checksum
//! before it gets here). The cache holds one small entry per secret in use.

use crate::keys::{self, PresentedKey};
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Default)]
pub struct KeyCache {
    entries: DashMap<[u8; 32], Arc<PresentedKey>, crate::FastHash>,
    epoch: AtomicU64,
}

impl KeyCache {
    /// The key whose current or previous secret hashes to `hash`.
    pub async fn lookup(
        &self,
        pool: &crate::db::Db,
        hash: &[u8; 32],
    ) -> sqlx::Result<Option<Arc<PresentedKey>>> {
        if let Some(found) = self.entries.get(hash) {
            return Ok(Some(found.clone()));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        // Boxed: a query's future is kilobytes, which every request's future would
        // otherwise carry (and move) for a miss that happens once per key.
        let Some(found) = Box::pin(keys::find_by_hash(pool, hash)).await? else {
            return Ok(None);
        };
        let found = Arc::new(found);
        match self.entries.entry(*hash) {
            Entry::Occupied(cached) => Ok(Some(cached.get().clone())),
            Entry::Vacant(slot) => {
                if self.epoch.load(Ordering::Acquire) == epoch {
                    slot.insert(found.clone());
                }
                Ok(Some(found))
            }
        }
    }

    /// Forgets every cached secret of `key_id`; the next request reads the database.
    pub fn invalidate(&self, key_id: &str) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.retain(|_, key| key.id != key_id);
    }

    /// Forgets everything (a change that touches many keys' scopes at once).
    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
