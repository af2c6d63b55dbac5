//! The record cache in front of the store, and when a cached record's access
//! token is due for refresh.

use super::Vault;
use crate::cache::Cached;
use crate::credential::{CredentialKey, CredentialKind};
use crate::error::VaultError;
use crate::store::SealedRecord;
use std::sync::Arc;

/// The three names of a credential, borrowed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Names<'a> {
    pub(super) tenant: &'a str,
    pub(super) user: &'a str,
    pub(super) connection: &'a str,
}

impl<'a> Names<'a> {
    pub(super) fn of(key: &'a CredentialKey) -> Self {
        Self {
            tenant: &key.tenant,
            user: &key.user,
            connection: &key.connection,
        }
    }
}

/// FNV-1a over `parts`, each followed by a separator byte.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Vault {
    /// Caches `record` with its jitter under the key provider's generation.
    pub(crate) fn cache_sealed(&self, record: SealedRecord) -> Arc<Cached> {
        self.due_upsert(&record);
        let jitter = self.jitter(&record);
        self.inner
            .cache
            .insert(record, jitter, self.inner.keys.generation())
    }

    /// Drops the cached record of `key` (and its due times).
    pub(crate) fn cache_remove(&self, key: &CredentialKey) {
        self.due_remove(key);
        self.inner.cache.remove(key);
    }

    /// The cached record of the names, loaded on a miss; rebuilt when master
    /// keys changed since it was cached.
    pub(super) fn load(&self, names: Names<'_>) -> Result<Option<Arc<Cached>>, VaultError> {
        if let Some(r) = self
            .inner
            .cache
            .get(names.tenant, names.user, names.connection)
        {
            if r.generation == self.inner.keys.generation() {
                return Ok(Some(r));
            }
            return Ok(Some(self.cache_sealed(r.record.clone())));
        }
        let key = CredentialKey::new(names.tenant, names.user, names.connection);
        Ok(self.inner.store.get(&key)?.map(|r| self.cache_sealed(r)))
    }

    /// The stored record of `key`, read from the store (the truth) and cached.
    pub(super) fn load_fresh(
        &self,
        key: &CredentialKey,
    ) -> Result<Option<Arc<Cached>>, VaultError> {
        match self.inner.store.get(key)? {
            Some(r) => Ok(Some(self.cache_sealed(r))),
            None => {
                self.cache_remove(key);
                Ok(None)
            }
        }
    }

    /// The stable refresh jitter of a (credential, version), in `[0, jitter]`.
    fn jitter(&self, record: &SealedRecord) -> i64 {
        let j = self.inner.policy.jitter;
        if j <= 0 {
            return 0;
        }
        let h = fnv(&[
            record.key.tenant.as_bytes(),
            record.key.user.as_bytes(),
            record.key.connection.as_bytes(),
            &record.version.to_be_bytes(),
        ]);
        i64::try_from(h % (j as u64 + 1)).unwrap_or(0)
    }

    /// Whether the access token of `record` is due for refresh at `now`.
    pub(super) fn due(&self, record: &SealedRecord, now: i64) -> bool {
        self.due_with(record, self.jitter(record), now)
    }

    /// [`due`](Self::due) with the jitter already known (cached).
    pub(super) fn due_with(&self, record: &SealedRecord, jitter: i64, now: i64) -> bool {
        record.kind == CredentialKind::OAuth
            && record
                .expires_at
                .is_some_and(|e| now >= e - self.inner.policy.margin - jitter)
    }
}
