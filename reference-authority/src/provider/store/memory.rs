//! The in-memory store.

use super::{Store, Table, Update};
use crate::provider::StoreError;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

/// Keeps everything in memory. Clones are independent stores.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<HashMap<Table, BTreeMap<String, Vec<u8>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<Table, BTreeMap<String, Vec<u8>>>) -> R) -> R {
        let mut guard = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

impl Store for MemoryStore {
    fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.with(|t| t.get(&table).and_then(|m| m.get(key)).cloned()))
    }

    fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.with(|t| {
            t.entry(table)
                .or_default()
                .insert(key.to_owned(), value.to_vec())
        });
        Ok(())
    }

    fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        Ok(self.with(|t| t.get_mut(&table).and_then(|m| m.remove(key)).is_some()))
    }

    fn update(
        &self,
        table: Table,
        key: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        self.update_many(table, &[key], &mut |_, current| f(current))
    }

    fn put_many(&self, table: Table, entries: &[(&str, &[u8])]) -> Result<(), StoreError> {
        self.with(|t| {
            let map = t.entry(table).or_default();
            for &(key, value) in entries {
                map.insert(key.to_owned(), value.to_vec());
            }
        });
        Ok(())
    }

    fn update_many(
        &self,
        table: Table,
        keys: &[&str],
        f: &mut dyn FnMut(usize, Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        self.with(|t| {
            let map = t.entry(table).or_default();
            for (i, &key) in keys.iter().enumerate() {
                match f(i, map.get(key).map(Vec::as_slice)) {
                    Update::Keep => {}
                    Update::Put(value) => {
                        map.insert(key.to_owned(), value);
                    }
                    Update::Delete => {
                        map.remove(key);
                    }
                }
            }
        });
        Ok(())
    }

    fn scan(&self, table: Table) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(self.with(|t| {
            t.get(&table)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        }))
    }
}
