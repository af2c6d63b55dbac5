//! A rotating set of signing keys: one active key signs; keys it replaced keep
//! verifying until their overlap window ends; the JWKS publishes the public halves.

use super::{Jwks, SigningKey, VerifyingKey};
use crate::clock::SharedClock;
use std::sync::{Arc, PoisonError, RwLock};

#[derive(Debug)]
struct Inner {
    active: Arc<SigningKey>,
    /// Replaced keys and the time until which they still verify.
    retired: Vec<(Arc<SigningKey>, i64)>,
    /// Verification keys of `active` and live `retired`, rebuilt on change.
    verifying: Vec<Arc<VerifyingKey>>,
}

impl Inner {
    fn rebuild(&mut self, now: i64) {
        self.retired.retain(|(_, until)| *until > now);
        self.verifying = std::iter::once(&self.active)
            .chain(self.retired.iter().map(|(k, _)| k))
            .map(|k| Arc::new(k.verifying_key().clone()))
            .collect();
    }
}

/// Signing keys of one issuer, with rotation. Cheap to share (`Arc` inside a lock).
#[derive(Debug)]
pub struct KeySet {
    inner: RwLock<Inner>,
    clock: SharedClock,
}

impl KeySet {
    /// A key set whose active key is `active`.
    pub fn new(active: SigningKey, clock: SharedClock) -> Self {
        let mut inner = Inner {
            active: Arc::new(active),
            retired: Vec::new(),
            verifying: Vec::new(),
        };
        inner.rebuild(clock.now());
        Self {
            inner: RwLock::new(inner),
            clock,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key that signs now.
    pub fn active(&self) -> Arc<SigningKey> {
        Arc::clone(&self.read().active)
    }

    /// Makes `next` the active key. The replaced key keeps verifying for
    /// `overlap_secs` (tokens it signed stay valid until then).
    pub fn rotate(&self, next: SigningKey, overlap_secs: i64) {
        let now = self.clock.now();
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let previous = std::mem::replace(&mut inner.active, Arc::new(next));
        inner
            .retired
            .push((previous, now.saturating_add(overlap_secs)));
        inner.rebuild(now);
    }

    /// Drops retired keys whose overlap window has ended.
    pub fn prune(&self) {
        let now = self.clock.now();
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .rebuild(now);
    }

    /// The public JWK Set: the active key and the retired keys still in their
    /// window. Shared secrets are never published.
    pub fn jwks(&self) -> Jwks {
        let now = self.clock.now();
        let inner = self.read();
        let keys = std::iter::once(&inner.active)
            .chain(
                inner
                    .retired
                    .iter()
                    .filter(|(_, until)| *until > now)
                    .map(|(k, _)| k),
            )
            .filter_map(|k| k.verifying_key().to_jwk().cloned())
            .collect();
        Jwks { keys }
    }
}

impl KeySet {
    /// Calls `f` with the keys that verify now: the active key and retired
    /// keys inside their overlap window (expired ones are pruned first).
    pub(crate) fn with_live_keys<R>(&self, f: impl FnOnce(&[Arc<VerifyingKey>]) -> R) -> R {
        let now = self.clock.now();
        let inner = self.read();
        let expired = inner.retired.iter().any(|(_, until)| *until <= now);
        if !expired {
            return f(&inner.verifying);
        }
        drop(inner);
        self.prune();
        f(&self.read().verifying)
    }
}
