//! The `jti` replay cache of DPoP proofs (RFC 9449 section 11.1): a proof is
//! accepted once within its acceptance window.

use super::DpopError;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// Default number of `jti` values remembered.
pub const DEFAULT_REPLAY_ENTRIES: usize = 100_000;
/// Longest `jti` accepted, in bytes.
const MAX_JTI_BYTES: usize = 256;

type Digest = [u8; 32];

/// Remembers the `jti` of every accepted proof until the proof could no longer
/// pass the `iat` window, keyed by the SHA-256 of the `jti` (so memory per
/// entry is fixed). Bounded: when full, the oldest entry is forgotten and
/// every proof issued no later than it is refused from then on, so a forgotten
/// `jti` can never be replayed. Share one cache between the verifiers of one
/// server.
#[derive(Debug)]
pub struct JtiCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashMap<Digest, i64>,
    /// Entries in insertion order with the instant they may go and the
    /// proof's `iat`.
    order: VecDeque<(Digest, i64, i64)>,
    /// Proofs with `iat` at or before this are refused (the cache forgot
    /// entries of that age to stay within its bound).
    floor: Option<i64>,
}

impl Default for JtiCache {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_ENTRIES)
    }
}

impl JtiCache {
    /// A cache of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `jti` of a proof with `iat`, accepted at `now` by a verifier
    /// whose window is `max_age` into the past and `leeway` into the future.
    /// Refuses a `jti` already held, and any proof older than what the cache
    /// had to forget.
    pub(super) fn record(
        &self,
        jti: &str,
        iat: i64,
        now: i64,
        max_age: i64,
        leeway: i64,
    ) -> Result<(), DpopError> {
        if jti.is_empty() || jti.len() > MAX_JTI_BYTES {
            return Err(DpopError::Claim("jti"));
        }
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, jti.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        let mut inner = self.lock();
        while let Some(&(old, until, _)) = inner.order.front() {
            if until > now {
                break;
            }
            inner.order.pop_front();
            inner.seen.remove(&old);
        }
        if inner.floor.is_some_and(|floor| iat <= floor) {
            return Err(DpopError::Stale);
        }
        if inner.seen.contains_key(&key) {
            return Err(DpopError::Replayed);
        }
        while inner.seen.len() >= self.capacity {
            let Some((old, _, forgotten)) = inner.order.pop_front() else {
                break;
            };
            inner.seen.remove(&old);
            // A replay of the forgotten proof carries its `iat`.
            inner.floor = Some(inner.floor.map_or(forgotten, |f| f.max(forgotten)));
        }
        // A proof accepted now has `iat <= now + leeway` and is stale once
        // `iat + max_age < now`, so it cannot pass again after this instant.
        let until = now.saturating_add(max_age).saturating_add(leeway);
        inner.seen.insert(key, until);
        inner.order.push_back((key, until, iat));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_accepted_once_within_the_window() {
        let cache = JtiCache::new(10);
        assert_eq!(cache.record("a", 100, 100, 60, 5), Ok(()));
        assert_eq!(cache.record("a", 100, 110, 60, 5), Err(DpopError::Replayed));
        assert_eq!(cache.record("b", 100, 110, 60, 5), Ok(()));
        // Past the window the entry goes; the verifier's `iat` check refuses
        // the old proof by then.
        assert_eq!(cache.record("c", 200, 200, 60, 5), Ok(()));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_full_cache_refuses_proofs_as_old_as_what_it_forgot() {
        let cache = JtiCache::new(2);
        assert_eq!(cache.record("a", 100, 100, 60, 5), Ok(()));
        assert_eq!(cache.record("b", 101, 101, 60, 5), Ok(()));
        assert_eq!(cache.record("c", 102, 102, 60, 5), Ok(()));
        assert_eq!(cache.len(), 2);
        // "a" was forgotten: a proof as old as it can no longer pass.
        assert_eq!(cache.record("a", 100, 103, 60, 5), Err(DpopError::Stale));
        assert_eq!(cache.record("d", 103, 103, 60, 5), Ok(()));
    }

    #[test]
    fn oversized_or_empty_jti_is_refused() {
        let cache = JtiCache::new(2);
        assert_eq!(cache.record("", 1, 1, 60, 5), Err(DpopError::Claim("jti")));
        let long = "x".repeat(MAX_JTI_BYTES + 1);
        assert_eq!(
            cache.record(&long, 1, 1, 60, 5),
            Err(DpopError::Claim("jti"))
        );
        assert!(cache.is_empty());
    }
}
