//! The PostgreSQL store's cache of read-mostly records (client registrations
//! and their disabled status, read by every token request), kept true by the
//! database's notifications of every write to them, from any instance.
//!
//! A read that misses fills the cache only when no notification arrived while
//! it was under way (a generation number), so a value read before another
//! instance's commit and returned after its notification is not kept. While
//! the listening connection is down nothing is cached and every read goes to
//! the database; when it listens again the cache starts empty.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The cached tables: client registrations and their disabled status.
pub(super) const CACHED_TABLES: [&str; 2] = ["clients", "disabled_clients"];

/// A record read from the database: (table, key) and its value.
pub(super) type Read<'a> = ((&'a str, &'a str), Option<Vec<u8>>);

/// Most records held; a full cache starts over.
const CAPACITY: usize = 10_000;

/// The separator of table and key in a notification (`chr(31)`).
const SEPARATOR: char = '\u{1f}';

#[derive(Debug, Default)]
struct State {
    /// Whether notifications are heard (else nothing is cached).
    live: bool,
    /// Moves at every invalidation.
    generation: u64,
    /// `table SEPARATOR key` to its value (`None`: no such record).
    entries: HashMap<String, Option<Vec<u8>>>,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub(super) struct ReadCache {
    state: Mutex<State>,
}

fn entry_key(table: &str, key: &str) -> String {
    format!("{table}{SEPARATOR}{key}")
}

impl ReadCache {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `table` is cached.
    pub(super) fn covers(table: &str) -> bool {
        CACHED_TABLES.contains(&table)
    }

    /// The cached values of `keys` if every one is cached; else the generation
    /// to pass to [`fill`](Self::fill) after reading them (`None`: do not fill).
    pub(super) fn lookup(
        &self,
        keys: &[(&str, &str)],
    ) -> Result<Vec<Option<Vec<u8>>>, Option<u64>> {
        let state = self.state();
        if !state.live || !keys.iter().all(|(t, _)| Self::covers(t)) {
            return Err(None);
        }
        keys.iter()
            .map(|(t, k)| state.entries.get(&entry_key(t, k)).cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or(Some(state.generation))
    }

    /// Keeps values read from the database, unless something was invalidated
    /// since `generation` was taken.
    pub(super) fn fill(&self, generation: u64, read: &[Read<'_>]) {
        let mut state = self.state();
        if !state.live || state.generation != generation {
            return;
        }
        if state.entries.len() + read.len() > CAPACITY {
            state.entries.clear();
        }
        for ((t, k), value) in read {
            state.entries.insert(entry_key(t, k), value.clone());
        }
    }

    /// Forgets one record (this instance writes it).
    pub(super) fn invalidate(&self, table: &str, key: &str) {
        if Self::covers(table) {
            let mut state = self.state();
            state.generation = state.generation.wrapping_add(1);
            state.entries.remove(&entry_key(table, key));
        }
    }

    fn reset(&self, live: bool) {
        let mut state = self.state();
        state.live = live;
        state.generation = state.generation.wrapping_add(1);
        state.entries.clear();
    }
}

impl pg_store::Listener for ReadCache {
    fn listening(&self) {
        self.reset(true);
    }

    /// The payload is `table SEPARATOR key`; an empty one (a key too long for a
    /// notification) forgets everything.
    fn notified(&self, payload: &str) {
        let mut state = self.state();
        state.generation = state.generation.wrapping_add(1);
        if payload.is_empty() {
            state.entries.clear();
        } else {
            state.entries.remove(payload);
        }
    }

    fn lost(&self) {
        self.reset(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pg_store::Listener;

    fn value(cache: &ReadCache, key: &str) -> Option<Option<Vec<u8>>> {
        cache.lookup(&[("clients", key)]).ok()?.pop()
    }

    #[test]
    fn nothing_is_cached_until_it_listens() {
        let cache = ReadCache::default();
        assert_eq!(cache.lookup(&[("clients", "a")]), Err(None));
        cache.listening();
        let Err(Some(generation)) = cache.lookup(&[("clients", "a")]) else {
            panic!("a live cache misses with a generation");
        };
        cache.fill(generation, &[(("clients", "a"), Some(b"A".to_vec()))]);
        assert_eq!(value(&cache, "a"), Some(Some(b"A".to_vec())));
        cache.lost();
        assert_eq!(cache.lookup(&[("clients", "a")]), Err(None));
    }

    #[test]
    fn a_notification_during_a_read_keeps_the_read_out() {
        let cache = ReadCache::default();
        cache.listening();
        let Err(Some(generation)) = cache.lookup(&[("clients", "a")]) else {
            panic!("a live cache misses with a generation");
        };
        cache.notified("clients\u{1f}a");
        cache.fill(generation, &[(("clients", "a"), Some(b"old".to_vec()))]);
        assert_eq!(value(&cache, "a"), None);
    }

    #[test]
    fn notifications_and_own_writes_forget_records() {
        let cache = ReadCache::default();
        cache.listening();
        let Err(Some(generation)) = cache.lookup(&[("clients", "a"), ("disabled_clients", "a")])
        else {
            panic!("a live cache misses with a generation");
        };
        cache.fill(
            generation,
            &[
                (("clients", "a"), Some(b"A".to_vec())),
                (("disabled_clients", "a"), None),
            ],
        );
        assert_eq!(
            cache.lookup(&[("clients", "a"), ("disabled_clients", "a")]),
            Ok(vec![Some(b"A".to_vec()), None])
        );
        cache.notified("disabled_clients\u{1f}a");
        assert!(
            cache
                .lookup(&[("clients", "a"), ("disabled_clients", "a")])
                .is_err()
        );
        cache.invalidate("clients", "a");
        assert_eq!(value(&cache, "a"), None);
        cache.notified("");
        assert_eq!(cache.lookup(&[("codes", "a")]), Err(None));
    }
}
