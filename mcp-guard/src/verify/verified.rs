//! A bounded cache of verified JWT access tokens, keyed by the token bytes
//! themselves: a hit needs the exact token (a keyed SipHash only picks the
//! bucket), and a key is wiped from memory when its entry goes.
//!
//! Every RFC 9068 / RFC 8725 check (signature, `alg`, `typ`, `iss`, `aud`,
//! times, `cnf`) runs on a miss. The key fixes every input of those checks but
//! the clock, so a hit re-checks only the times: it is served while `nbf` has
//! passed (with the verifier's leeway, as on a miss), `now < exp` (no leeway)
//! and the entry is younger than its max age; otherwise it is a miss and the
//! full verification decides. Revocation is not cached: the verifier consults
//! the revocation list on every request, and entries of revoked tokens are
//! evicted once the list changes.

use crate::principal::Principal;
use crate::revocation::RevocationList;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// Shards used when the cache holds at least [`SHARDED_FROM`] entries.
const SHARDS: usize = 16;
/// Smaller caches use one shard, so the bound stays exact.
const SHARDED_FROM: usize = 1024;

/// A cached token's bytes: compared exactly on every hit, zeroized on drop,
/// never printed.
#[derive(PartialEq, Eq, Hash)]
struct Key(Box<[u8]>);

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut *self.0);
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([redacted])")
    }
}

#[derive(Debug)]
struct Entry {
    principal: Arc<Principal>,
    /// When the entry was stored (the guard's clock).
    stored: i64,
    /// First instant the entry is no longer served: `min(exp, stored + max_age)`.
    until: i64,
}

/// The cache. Cheap reads: one shard read lock per hit.
#[derive(Debug)]
pub(crate) struct VerifiedCache {
    shards: Box<[RwLock<HashMap<Key, Entry>>]>,
    /// Picks a token's shard.
    spread: RandomState,
    per_shard: usize,
    max_age: i64,
    leeway: i64,
    /// The revocation list generation last swept.
    swept: AtomicU64,
}

impl VerifiedCache {
    /// `None` when `max_entries` or `max_age_secs` is zero (cache off).
    pub(crate) fn new(max_entries: usize, max_age_secs: u64, leeway: i64) -> Option<Self> {
        if max_entries == 0 || max_age_secs == 0 {
            return None;
        }
        let shards = if max_entries >= SHARDED_FROM {
            SHARDS
        } else {
            1
        };
        Some(Self {
            shards: (0..shards).map(|_| RwLock::default()).collect(),
            spread: RandomState::new(),
            per_shard: max_entries / shards,
            max_age: i64::try_from(max_age_secs).unwrap_or(i64::MAX),
            leeway: leeway.max(0),
            swept: AtomicU64::new(0),
        })
    }

    fn shard(&self, token: &[u8]) -> Option<&RwLock<HashMap<Key, Entry>>> {
        match self.shards.len() {
            1 => self.shards.first(),
            n => {
                let h = self.spread.hash_one(token);
                self.shards.get(usize::try_from(h % n as u64).unwrap_or(0))
            }
        }
    }

    /// The cached principal, if its times still hold at `now`.
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<Arc<Principal>> {
        let key = token.as_bytes();
        let shard = self.shard(key)?;
        let fresh = {
            let map = shard.read().unwrap_or_else(PoisonError::into_inner);
            let e = map.get(key)?;
            // RFC 7519 section 4.1.5: `nbf`, with the leeway a miss would use.
            let started = e
                .principal
                .claims
                .nbf
                .is_none_or(|nbf| now.saturating_add(self.leeway) >= nbf);
            if e.stored <= now && now < e.until && started {
                return Some(e.principal.clone());
            }
            e.until
        };
        if now >= fresh {
            shard
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(key);
        }
        None
    }

    /// Stores a principal that passed every check at `now`. Tokens without
    /// `exp` or already past it are not stored.
    pub(crate) fn put(&self, token: &str, principal: Arc<Principal>, now: i64) {
        let key = token.as_bytes();
        let Some(exp) = principal.expires_at else {
            return;
        };
        let until = exp.min(now.saturating_add(self.max_age));
        if until <= now {
            return;
        }
        let Some(shard) = self.shard(key) else {
            return;
        };
        let mut map = shard.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.per_shard && !map.contains_key(key) {
            map.retain(|_, e| e.until > now && e.stored <= now);
            while map.len() >= self.per_shard {
                let oldest = map.iter().min_by_key(|(_, e)| e.stored).map(|(k, _)| k);
                let Some(oldest) = oldest.map(|k| zeroize::Zeroizing::new(k.0.to_vec())) else {
                    break;
                };
                map.remove(oldest.as_slice());
            }
        }
        if self.per_shard > 0 {
            map.insert(
                Key(key.into()),
                Entry {
                    principal,
                    stored: now,
                    until,
                },
            );
        }
    }

    /// Evicts a token's entry.
    pub(crate) fn remove(&self, token: &str) {
        if let Some(shard) = self.shard(token.as_bytes()) {
            shard
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(token.as_bytes());
        }
    }

    /// Evicts every entry the revocation list now refuses, once per change of
    /// the list.
    pub(crate) fn sweep(&self, revocations: &RevocationList) {
        let generation = revocations.generation();
        if self.swept.load(Ordering::Acquire) == generation
            || self.swept.swap(generation, Ordering::AcqRel) == generation
        {
            return;
        }
        for shard in self.shards.iter() {
            shard
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|_, e| !revocations.refuses(&e.principal));
        }
    }

    /// Entries held.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}
