//! The vault's record cache: sealed records by (tenant, user, connection) with
//! what a hot read needs ready: the associated data, the refresh jitter,
//! after the first read the unwrapped data key, and the entry's last read
//! audit events (the read, and the trusted-system marker).
//!
//! - Only ciphertext and the data key are kept, never plaintext. The data key
//!   (an aws-lc-rs `LessSafeKey`) is dropped with its entry, and aws-lc wipes
//!   the key schedule when it frees it.
//! - Bounded: past the capacity an entry is evicted (the store stays the truth).
//! - An entry remembers the key provider's generation it was made under; after
//!   a master-key change (rotation, retirement, reload) it is rebuilt, so a
//!   retired master key no longer opens anything through a cached data key.
//! - Lookups borrow the three names: no allocation on the hot path.

use crate::store::SealedRecord;
use agent_auth::audit::AuditEvent;
use aws_lc_rs::aead::LessSafeKey;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

/// Default number of cached records.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// A cached record.
pub(crate) struct Cached {
    pub(crate) record: SealedRecord,
    /// The record's associated data (bound by both AEAD layers).
    pub(crate) aad: Vec<u8>,
    /// The record's scopes, shared with every credential read from it.
    pub(crate) scopes: Arc<[String]>,
    /// The `details` of this record's read audit events (`op`, `connection`),
    /// cloned per read instead of built and hashed again.
    pub(crate) read_details: serde_json::Map<String, serde_json::Value>,
    /// Refresh jitter of this (credential, version), in seconds.
    pub(crate) jitter: i64,
    /// The key provider's generation when the entry was made.
    pub(crate) generation: u64,
    /// The unwrapped data key (`None`: unwrapping failed, an integrity error).
    pub(crate) data_key: OnceLock<Option<LessSafeKey>>,
    /// The last successful read event of this entry (names only, never a
    /// secret), re-sent with the new time when the same agent reads again.
    pub(crate) last_read: Mutex<Option<AuditEvent>>,
    /// The last trusted-system read marker of this entry, re-sent the same way.
    pub(crate) last_trusted: Mutex<Option<AuditEvent>>,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Cached {
    type Target = SealedRecord;
    fn deref(&self) -> &SealedRecord {
        &self.record
    }
}

/// The three names of a credential, borrowed or owned.
trait KeyParts {
    fn parts(&self) -> (&str, &str, &str);
}

impl KeyParts for (&str, &str, &str) {
    fn parts(&self) -> (&str, &str, &str) {
        *self
    }
}

/// The owned map key.
#[derive(Debug)]
struct OwnedKey(crate::credential::CredentialKey);

impl KeyParts for OwnedKey {
    fn parts(&self) -> (&str, &str, &str) {
        (&self.0.tenant, &self.0.user, &self.0.connection)
    }
}

impl<'a> Borrow<dyn KeyParts + 'a> for OwnedKey {
    fn borrow(&self) -> &(dyn KeyParts + 'a) {
        self
    }
}

impl Hash for dyn KeyParts + '_ {
    /// One `write` of the three names joined by `0xff` (a byte UTF-8 never
    /// has), from a stack buffer when they fit: a third of the hashing work
    /// of three separate writes.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (a, b, c) = self.parts();
        let mut buf = [0u8; 128];
        let n = a.len() + b.len() + c.len() + 2;
        let mut at = 0;
        let mut fits = n <= buf.len();
        for (i, part) in [a, b, c].into_iter().enumerate() {
            if !fits {
                break;
            }
            let end = at + part.len();
            match buf.get_mut(at..end) {
                Some(dst) => dst.copy_from_slice(part.as_bytes()),
                None => fits = false,
            }
            at = end;
            if i < 2 {
                match buf.get_mut(at) {
                    Some(sep) => *sep = 0xff,
                    None => fits = false,
                }
                at += 1;
            }
        }
        match buf.get(..n) {
            Some(joined) if fits => state.write(joined),
            _ => (a, b, c).hash(state),
        }
    }
}

impl PartialEq for dyn KeyParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyParts + '_ {}

impl Hash for OwnedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn KeyParts).hash(state);
    }
}

impl PartialEq for OwnedKey {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for OwnedKey {}

/// The bounded cache.
#[derive(Debug)]
pub(crate) struct RecordCache {
    /// Keyed per map (`foldhash::fast::RandomState`: seeded at random, so
    /// user names cannot be picked to collide).
    map: RwLock<HashMap<OwnedKey, Arc<Cached>, foldhash::fast::RandomState>>,
    capacity: usize,
}

impl RecordCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::default()),
            capacity: capacity.max(1),
        }
    }

    /// The entry of (tenant, user, connection), without allocating.
    pub(crate) fn get(&self, tenant: &str, user: &str, connection: &str) -> Option<Arc<Cached>> {
        let probe = (tenant, user, connection);
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&probe as &dyn KeyParts)
            .cloned()
    }

    /// Caches `record` (replacing the entry of its key).
    pub(crate) fn insert(&self, record: SealedRecord, jitter: i64, generation: u64) -> Arc<Cached> {
        let aad = crate::envelope::record_aad(&record);
        let mut read_details = serde_json::Map::with_capacity(2);
        read_details.insert("op".to_owned(), "read".into());
        read_details.insert(
            "connection".to_owned(),
            record.key.connection.as_str().into(),
        );
        let entry = Arc::new(Cached {
            scopes: record.scopes.as_slice().into(),
            read_details,
            record,
            aad,
            jitter,
            generation,
            data_key: OnceLock::new(),
            last_read: Mutex::new(None),
            last_trusted: Mutex::new(None),
        });
        let key = OwnedKey(entry.record.key.clone());
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.capacity && !map.contains_key(&key) {
            // Any entry will do: a miss only costs a store read and one unwrap.
            let victim = map.keys().next().map(|k| k.0.clone());
            if let Some(victim) = victim {
                map.remove(&OwnedKey(victim));
            }
        }
        map.insert(key, Arc::clone(&entry));
        entry
    }

    pub(crate) fn remove(&self, key: &crate::credential::CredentialKey) {
        let probe = (
            key.tenant.as_str(),
            key.user.as_str(),
            key.connection.as_str(),
        );
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&probe as &dyn KeyParts);
    }

    /// Drops every entry of a user in a tenant.
    pub(crate) fn remove_user(&self, tenant: &str, user: &str) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|k, _| !(k.0.tenant == tenant && k.0.user == user));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::credential::{CredentialKey, CredentialKind};
    use crate::store::Status;

    fn record(user: &str) -> SealedRecord {
        SealedRecord {
            key: CredentialKey::new("t", user, "google"),
            version: 1,
            kind: CredentialKind::OAuth,
            scopes: vec![],
            expires_at: None,
            sealed_at: Some(1),
            master_key_id: "m".into(),
            wrapped_key: vec![],
            nonce: vec![],
            ciphertext: vec![],
            status: Status::Active,
            format: crate::store::RecordFormat::CURRENT,
        }
    }

    #[test]
    fn borrowed_lookups_find_owned_keys_and_the_cache_stays_bounded() {
        let cache = RecordCache::new(3);
        for user in ["a", "b", "c", "d", "e"] {
            cache.insert(record(user), 0, 0);
            assert!(cache.get("t", user, "google").is_some());
            assert!(cache.len() <= 3);
        }
        assert!(cache.get("t", "e", "googl").is_none());
        // Name boundaries matter: ("t", "ab", "c") is not ("t", "a", "bc").
        cache.insert(
            SealedRecord {
                key: CredentialKey::new("t", "ab", "c"),
                ..record("x")
            },
            0,
            0,
        );
        assert!(cache.get("t", "a", "bc").is_none());
        assert!(cache.get("t", "ab", "c").is_some());
        cache.remove(&CredentialKey::new("t", "ab", "c"));
        assert!(cache.get("t", "ab", "c").is_none());
        cache.remove_user("t", "e");
        assert!(cache.get("t", "e", "google").is_none());
    }
}
