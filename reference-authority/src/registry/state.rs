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

    /// The provider registered (or replaced) a client. Applied only to built
    /// indexes: a later build reads the store.
    pub(crate) fn client_registered(&self, client: &str, resources: &[String]) {
        let mut guard = self.index.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = guard.as_mut() {
            index.reach.set_registered(client, resources);
        }
    }

    /// A user's consent to a client changed (`None`: withdrawn).
    pub(crate) fn consent_changed(&self, user: &str, client: &str, resources: Option<&[String]>) {
        let mut guard = self.index.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = guard.as_mut() {
            index.reach.set_consent(user, client, resources);
        }
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
    for (id, client) in authority
        .tables()
        .scan::<crate::model::ClientRecord>(crate::store::Table::Clients)?
    {
        index.reach.set_registered(&id, &client.resources);
    }
    for (user, client, consent) in authority.consents_to(|_| true)? {
        index
            .reach
            .set_consent(&user, &client, Some(&consent.resource));
    }
    Ok(index)
}
