//! The due-time index of the rotation job: for each stored credential, when
//! it next needs the job (its seal time, by connection, for scheduled
//! rotation; its expiry, for just-in-time credentials), ordered by time, so
//! a pass visits only what is due instead of listing the store.
//!
//! The index is filled from one listing of the store at the first pass and
//! then kept by this vault's own writes and deletions;
//! [`Vault::reload_due_index`] lists again (for a store other processes
//! write too).

use super::Vault;
use crate::credential::{CredentialKey, CredentialKind};
use crate::error::VaultError;
use crate::store::SealedRecord;
use std::collections::{BTreeSet, HashMap};
use std::sync::PoisonError;

/// The times of one credential version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Times {
    version: u64,
    /// Seal time (`i64::MIN` for a record written before times were kept:
    /// always due).
    sealed_at: i64,
    /// Expiry of a just-in-time credential (OAuth token sets are refreshed,
    /// never expired by the job).
    expires_at: Option<i64>,
}

impl Times {
    fn of(record: &SealedRecord) -> Self {
        Self {
            version: record.version,
            sealed_at: record.sealed_at.unwrap_or(i64::MIN),
            expires_at: record
                .expires_at
                .filter(|_| record.kind != CredentialKind::OAuth),
        }
    }
}

/// The index.
#[derive(Debug, Default)]
pub(crate) struct DueIndex {
    loaded: bool,
    times: HashMap<CredentialKey, Times>,
    /// (seal time, key) by connection.
    sealed: HashMap<String, BTreeSet<(i64, CredentialKey)>>,
    /// (expiry, key).
    expiring: BTreeSet<(i64, CredentialKey)>,
}

impl DueIndex {
    /// Records `record`'s times, unless a newer version is indexed already.
    fn upsert(&mut self, record: &SealedRecord) {
        let times = Times::of(record);
        if let Some(old) = self.times.get(&record.key).copied() {
            if old.version > times.version {
                return;
            }
            self.unindex(&record.key, old);
        }
        self.sealed
            .entry(record.key.connection.clone())
            .or_default()
            .insert((times.sealed_at, record.key.clone()));
        if let Some(at) = times.expires_at {
            self.expiring.insert((at, record.key.clone()));
        }
        self.times.insert(record.key.clone(), times);
    }

    fn unindex(&mut self, key: &CredentialKey, old: Times) {
        if let Some(set) = self.sealed.get_mut(&key.connection) {
            set.remove(&(old.sealed_at, key.clone()));
        }
        if let Some(at) = old.expires_at {
            self.expiring.remove(&(at, key.clone()));
        }
    }

    fn remove(&mut self, key: &CredentialKey) {
        if let Some(old) = self.times.remove(key) {
            self.unindex(key, old);
        }
    }

    fn remove_user(&mut self, tenant: &str, user: &str) {
        let keys: Vec<CredentialKey> = self
            .times
            .keys()
            .filter(|k| k.tenant == tenant && k.user == user)
            .cloned()
            .collect();
        for key in keys {
            self.remove(&key);
        }
    }

    /// Keys of just-in-time credentials expired at `now`, soonest first.
    fn expired(&self, now: i64) -> Vec<CredentialKey> {
        self.expiring
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, key)| key.clone())
            .collect()
    }

    /// Keys of `connection` sealed at or before `before`, oldest first.
    fn sealed_by(&self, connection: &str, before: i64) -> Vec<CredentialKey> {
        self.sealed
            .get(connection)
            .into_iter()
            .flatten()
            .take_while(|(at, _)| *at <= before)
            .map(|(_, key)| key.clone())
            .collect()
    }
}

impl Vault {
    fn due_index(&self) -> std::sync::MutexGuard<'_, DueIndex> {
        self.inner
            .due
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Indexes a record this vault wrote or read.
    pub(crate) fn due_upsert(&self, record: &SealedRecord) {
        self.due_index().upsert(record);
    }

    /// Forgets a deleted credential.
    pub(crate) fn due_remove(&self, key: &CredentialKey) {
        self.due_index().remove(key);
    }

    /// Forgets every credential of a user.
    pub(super) fn due_remove_user(&self, tenant: &str, user: &str) {
        self.due_index().remove_user(tenant, user);
    }

    /// Fills the index from one listing of the store, the first time.
    pub(crate) fn load_due_index(&self) -> Result<(), VaultError> {
        if self.due_index().loaded {
            return Ok(());
        }
        self.reload_due_index()
    }

    /// Lists the store and indexes every record again (for a store that
    /// other processes write too; the rotation job does it once by itself).
    pub fn reload_due_index(&self) -> Result<(), VaultError> {
        let records = self.inner.store.list()?;
        let mut index = self.due_index();
        for record in &records {
            index.upsert(record);
        }
        index.loaded = true;
        Ok(())
    }

    /// Keys of just-in-time credentials expired at `now`.
    pub(crate) fn due_expired(&self, now: i64) -> Vec<CredentialKey> {
        self.due_index().expired(now)
    }

    /// Keys of `connection` sealed at or before `before`.
    pub(crate) fn due_sealed(&self, connection: &str, before: i64) -> Vec<CredentialKey> {
        self.due_index().sealed_by(connection, before)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::{RecordFormat, Status};

    fn record(user: &str, version: u64, sealed_at: i64, expires_at: Option<i64>) -> SealedRecord {
        SealedRecord {
            key: CredentialKey::new("t", user, "db"),
            version,
            kind: CredentialKind::Database,
            scopes: vec![],
            expires_at,
            sealed_at: Some(sealed_at),
            master_key_id: "m".into(),
            wrapped_key: vec![],
            nonce: vec![],
            ciphertext: vec![],
            status: Status::Active,
            format: RecordFormat::CURRENT,
        }
    }

    #[test]
    fn the_index_orders_by_time_and_keeps_the_newest_version() {
        let mut index = DueIndex::default();
        index.upsert(&record("b", 1, 20, Some(200)));
        index.upsert(&record("a", 1, 10, Some(100)));
        assert_eq!(index.sealed_by("db", 15).len(), 1);
        assert_eq!(index.sealed_by("db", 20).len(), 2);
        assert_eq!(index.expired(150).len(), 1);
        // A rotation moves "a" to its new seal time; an older version read
        // later changes nothing.
        index.upsert(&record("a", 2, 30, None));
        index.upsert(&record("a", 1, 10, Some(100)));
        assert_eq!(index.sealed_by("db", 25).len(), 1);
        assert!(index.expired(150).is_empty());
        index.remove_user("t", "b");
        assert!(index.sealed_by("db", 25).is_empty());
        assert!(index.expired(1_000).is_empty());
        assert!(index.sealed_by("other", i64::MAX).is_empty());
    }
}
