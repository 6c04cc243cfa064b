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
//!
//! Across replicas (`cluster`), a mutation made on another replica cannot invalidate
//! this cache directly: every lookup reads the key's change counters from Redis (one
//! `MGET`, shared with the workload list's counter) and reloads an entry cached under
//! other counters. A miss reads the row, then the counters, then the row again, so the
//! counters an entry is stored under were read before the row it holds.

use crate::cluster::{Cluster, Versions};
use crate::keys::{self, PresentedKey};
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A cached key and the change counters it was loaded under (`None` on one node).
type Cached = (Arc<PresentedKey>, Option<(Option<i64>, Option<i64>)>);

#[derive(Default)]
pub struct KeyCache {
    entries: DashMap<[u8; 32], Cached, crate::FastHash>,
    epoch: AtomicU64,
}

/// Why a key could not be looked up.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::Unavailable),
}

/// A key found by its secret, and (across replicas) the counters read for the request,
/// which the workload cache checks too.
pub struct Found {
    pub key: Arc<PresentedKey>,
    pub versions: Option<Versions>,
}

impl KeyCache {
    /// The key whose current or previous secret hashes to `hash`.
    pub async fn lookup(
        &self,
        pool: &crate::db::Db,
        cluster: Option<&Cluster>,
        hash: &[u8; 32],
    ) -> Result<Option<Found>, LookupError> {
        let cached = self.entries.get(hash).map(|entry| entry.clone());
        if let Some((key, loaded_under)) = cached {
            let Some(cluster) = cluster else {
                return Ok(Some(Found {
                    key,
                    versions: None,
                }));
            };
            let versions = cluster.versions(&key.id, &key.project_id).await?;
            if loaded_under == Some(versions.of_key()) {
                return Ok(Some(Found {
                    key,
                    versions: Some(versions),
                }));
            }
            // Changed on some replica since it was cached here.
            self.entries.remove(hash);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        // Boxed: a query's future is kilobytes, which every request's future would
        // otherwise carry (and move) for a miss that happens once per key.
        let Some(mut found) = Box::pin(keys::find_by_hash(pool, hash)).await? else {
            return Ok(None);
        };
        let mut versions = None;
        if let Some(cluster) = cluster {
            let read = cluster.versions(&found.id, &found.project_id).await?;
            // The row again, now that the counters are read: what is stored is at
            // least as new as the counters it is stored under.
            let Some(again) = Box::pin(keys::find_by_hash(pool, hash)).await? else {
                return Ok(None);
            };
            found = again;
            versions = Some(read);
        }
        let found = Arc::new(found);
        let stored_under = versions.map(|v| v.of_key());
        // Stored only if no invalidation happened since the read began (checked under
        // the entry's shard lock, which invalidation takes too); an entry cached under
        // older counters is replaced.
        let fresh = (found.clone(), stored_under);
        match self.entries.entry(*hash) {
            Entry::Occupied(mut cached) => {
                if self.epoch.load(Ordering::Acquire) == epoch {
                    cached.insert(fresh);
                }
            }
            Entry::Vacant(slot) => {
                if self.epoch.load(Ordering::Acquire) == epoch {
                    slot.insert(fresh);
                }
            }
        }
        Ok(Some(Found {
            key: found,
            versions,
        }))
    }

    /// Forgets every cached secret of `key_id`; the next request reads the database.
    pub fn invalidate(&self, key_id: &str) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.retain(|_, (key, _)| key.id != key_id);
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
