//! Typed access to the tables: JSON records over the byte store.

use super::{Store, Table, Update};
use crate::provider::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The store, read and written as JSON records.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    store: Arc<dyn Store>,
}

impl Tables {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub(crate) fn raw(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        table: Table,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        get_json(self.store.as_ref(), table, key)
    }

    pub(crate) fn put<T: Serialize>(
        &self,
        table: Table,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        put_json(self.store.as_ref(), table, key, value)
    }

    pub(crate) fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        self.store.delete(table, key)
    }

    /// Atomically applies `f` to the record; see [`update_json`].
    pub(crate) fn update<T, R>(
        &self,
        table: Table,
        key: &str,
        f: impl FnMut(Option<T>) -> (Option<T>, R),
    ) -> Result<R, StoreError>
    where
        T: Serialize + DeserializeOwned,
    {
        update_json(self.store.as_ref(), table, key, f)
    }

    pub(crate) fn scan<T: DeserializeOwned>(
        &self,
        table: Table,
    ) -> Result<Vec<(String, T)>, StoreError> {
        self.store
            .scan(table)?
            .into_iter()
            .map(|(k, v)| {
                serde_json::from_slice(&v)
                    .map(|t| (k, t))
                    .map_err(|_| StoreError::Corrupt(table.name()))
            })
            .collect()
    }
}

/// Reads one record stored as JSON; a record that does not decode is `Corrupt`.
pub fn get_json<T: DeserializeOwned>(
    store: &dyn Store,
    table: Table,
    key: &str,
) -> Result<Option<T>, StoreError> {
    decode_json(table, store.get(table, key)?)
}

/// Decodes a JSON record read from `table`.
pub(crate) fn decode_json<T: DeserializeOwned>(
    table: Table,
    value: Option<Vec<u8>>,
) -> Result<Option<T>, StoreError> {
    match value {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| StoreError::Corrupt(table.name())),
    }
}

/// Writes one record as JSON.
pub fn put_json<T: Serialize>(
    store: &dyn Store,
    table: Table,
    key: &str,
    value: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).map_err(|_| StoreError::Corrupt(table.name()))?;
    store.put(table, key, &bytes)
}

/// Writes several records of one table as JSON, at once
/// ([`Store::put_many`]: one transaction for a database store).
pub(crate) fn put_many_json<T: Serialize>(
    store: &dyn Store,
    table: Table,
    records: &[(String, T)],
) -> Result<(), StoreError> {
    let encoded = records
        .iter()
        .map(|(key, value)| serde_json::to_vec(value).map(|bytes| (key.as_str(), bytes)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| StoreError::Corrupt(table.name()))?;
    let entries: Vec<(&str, &[u8])> = encoded
        .iter()
        .map(|(key, bytes)| (*key, bytes.as_slice()))
        .collect();
    store.put_many(table, &entries)
}

/// Atomically applies `f` to several JSON records of one table
/// ([`Store::update_many`]): `f` gets the index of the key and its record,
/// and returns the new record or `None` to keep it. A record that does not
/// decode is left unchanged and the call ends `Corrupt`.
pub(crate) fn update_many_json<T>(
    store: &dyn Store,
    table: Table,
    keys: &[&str],
    mut f: impl FnMut(usize, Option<T>) -> Option<T>,
) -> Result<(), StoreError>
where
    T: Serialize + DeserializeOwned,
{
    let mut failure = None;
    store.update_many(table, keys, &mut |i, current| {
        let decoded = match current.map(serde_json::from_slice::<T>) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(_)) => {
                failure = Some(StoreError::Corrupt(table.name()));
                return Update::Keep;
            }
        };
        match f(i, decoded).map(|n| serde_json::to_vec(&n)) {
            None => Update::Keep,
            Some(Ok(bytes)) => Update::Put(bytes),
            Some(Err(_)) => {
                failure = Some(StoreError::Corrupt(table.name()));
                Update::Keep
            }
        }
    })?;
    failure.map_or(Ok(()), Err)
}

/// Deletes the JSON records of `table` that `dead` picks; returns how many
/// were removed. A record that does not decode is `Corrupt`, and nothing after
/// it is looked at.
pub fn purge_json<T: DeserializeOwned>(
    store: &dyn Store,
    table: Table,
    dead: impl Fn(&T) -> bool,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for (key, bytes) in store.scan(table)? {
        let record: T =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::Corrupt(table.name()))?;
        if dead(&record) && store.delete(table, &key)? {
            n += 1;
        }
    }
    Ok(n)
}

/// Atomically applies `f` to a JSON record: `f` returns the new record (or
/// `None` to keep the old one) and a result passed back to the caller. A
/// record that does not decode is `Corrupt` and is left unchanged.
pub fn update_json<T, R>(
    store: &dyn Store,
    table: Table,
    key: &str,
    mut f: impl FnMut(Option<T>) -> (Option<T>, R),
) -> Result<R, StoreError>
where
    T: Serialize + DeserializeOwned,
{
    let mut result = None;
    update_many_json(store, table, &[key], |_, current| {
        let (next, r) = f(current);
        result = Some(r);
        next
    })?;
    result.ok_or(StoreError::Backend("update did not run".into()))
}
