//! The registry's in-process state, carried by the [`Authority`]: the write
//! lock that serializes changes to agents and the directory, the indexes,
//! the event channel and the notifier.

use super::error::RegistryError;
use super::events::RegistryEvent;
use super::index::Index;
use super::store;
use crate::Authority;
use crate::notify::Notifier;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use tokio::sync::broadcast;

/// Held by the authority (one per issuer).
#[derive(Debug)]
pub(crate) struct RegistryState {
    write: Mutex<()>,
    index: RwLock<Option<Index>>,
    events: broadcast::Sender<RegistryEvent>,
    notifier: RwLock<Option<Arc<dyn Notifier>>>,
}

impl RegistryState {
    pub(crate) fn new() -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            write: Mutex::new(()),
            index: RwLock::new(None),
            events,
            notifier: RwLock::new(None),
        }
    }

    /// Serializes writes to agents and to the directory.
    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the indexes, building them from the store on first use.
    pub(crate) fn read<R>(
        &self,
        authority: &Authority,
        f: impl FnOnce(&Index) -> R,
    ) -> Result<R, RegistryError> {
        {
            let guard = self.index.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(index) = guard.as_ref() {
                return Ok(f(index));
            }
        }
        let mut guard = self.index.write().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(build(authority)?);
        }
        let index = guard.get_or_insert_with(Index::default);
        Ok(f(index))
    }

    /// Changes the indexes (after a write to the store).
    pub(crate) fn write(
        &self,
        authority: &Authority,
        f: impl FnOnce(&mut Index),
    ) -> Result<(), RegistryError> {
        let mut guard = self.index.write().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(build(authority)?);
        }
        f(guard.get_or_insert_with(Index::default));
        Ok(())
    }

    /// Forgets the indexes so the next read rebuilds them from the store
    /// (after a failed write left the two possibly apart).
    pub(crate) fn invalidate(&self) {
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub(crate) fn emit(&self, event: RegistryEvent) {
        let _ = self.events.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<RegistryEvent> {
        self.events.subscribe()
    }

    pub(crate) fn notifier(&self) -> Option<Arc<dyn Notifier>> {
        self.notifier
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_notifier(&self, notifier: Arc<dyn Notifier>) {
        *self
            .notifier
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(notifier);
    }
}

fn build(authority: &Authority) -> Result<Index, RegistryError> {
    let mut index = Index::default();
    for agent in store::all(authority)? {
        index.insert(&agent);
    }
    Ok(index)
}
