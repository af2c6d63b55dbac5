//! A [`ResourceStore`] of JSON records in one table of the authority's store,
//! with atomic version checks.

use crate::provider::store::{Store, Table, get_json, update_json};
use crate::scim::store::{ResourceStore, Stored};
use crate::scim::{Caller, ScimError, new_id};
use agent_auth::clock::SharedClock;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Resources kept as JSON records in `table`.
#[derive(Debug, Clone)]
pub struct JsonStore {
    store: Arc<dyn Store>,
    table: Table,
    clock: SharedClock,
}

impl JsonStore {
    /// A store over `table` of `store`.
    pub fn new(store: Arc<dyn Store>, table: Table, clock: SharedClock) -> Self {
        Self {
            store,
            table,
            clock,
        }
    }
}

enum Outcome {
    Done(Stored),
    Missing,
    Stale,
}

#[async_trait::async_trait]
impl ResourceStore for JsonStore {
    fn get(&self, id: &str) -> Result<Option<Stored>, ScimError> {
        Ok(get_json(self.store.as_ref(), self.table, id)?)
    }

    fn list(&self) -> Result<Vec<Stored>, ScimError> {
        let mut all: Vec<Stored> = self
            .store
            .scan(self.table)?
            .into_iter()
            .filter_map(|(_, bytes)| serde_json::from_slice(&bytes).ok())
            .collect();
        all.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(all)
    }

    async fn create(
        &self,
        _caller: &Caller,
        attributes: Map<String, Value>,
    ) -> Result<Stored, ScimError> {
        let now = self.clock.now();
        let stored = Stored {
            id: new_id()?,
            version: 1,
            created: now,
            last_modified: now,
            attributes,
        };
        crate::provider::store::put_json(self.store.as_ref(), self.table, &stored.id, &stored)?;
        Ok(stored)
    }

    async fn replace(
        &self,
        _caller: &Caller,
        id: &str,
        attributes: Map<String, Value>,
        expected: Option<u64>,
    ) -> Result<Stored, ScimError> {
        let now = self.clock.now();
        let outcome = update_json(
            self.store.as_ref(),
            self.table,
            id,
            |current: Option<Stored>| match current {
                None => (None, Outcome::Missing),
                Some(c) if expected.is_some_and(|v| v != c.version) => (None, Outcome::Stale),
                Some(c) => {
                    let next = Stored {
                        id: c.id,
                        version: c.version + 1,
                        created: c.created,
                        last_modified: now,
                        attributes: attributes.clone(),
                    };
                    (Some(next.clone()), Outcome::Done(next))
                }
            },
        )?;
        match outcome {
            Outcome::Done(s) => Ok(s),
            Outcome::Missing => Err(ScimError::not_found("the resource does not exist")),
            Outcome::Stale => Err(ScimError::precondition_failed()),
        }
    }

    async fn delete(
        &self,
        _caller: &Caller,
        id: &str,
        expected: Option<u64>,
    ) -> Result<(), ScimError> {
        let mut outcome = Outcome::Missing;
        self.store.update(self.table, id, &mut |current| {
            let Some(bytes) = current else {
                outcome = Outcome::Missing;
                return crate::provider::store::Update::Keep;
            };
            match serde_json::from_slice::<Stored>(bytes) {
                Ok(c) if expected.is_some_and(|v| v != c.version) => {
                    outcome = Outcome::Stale;
                    crate::provider::store::Update::Keep
                }
                Ok(c) => {
                    outcome = Outcome::Done(c);
                    crate::provider::store::Update::Delete
                }
                Err(_) => crate::provider::store::Update::Keep,
            }
        })?;
        match outcome {
            Outcome::Done(_) => Ok(()),
            Outcome::Missing => Err(ScimError::not_found("the resource does not exist")),
            Outcome::Stale => Err(ScimError::precondition_failed()),
        }
    }
}
