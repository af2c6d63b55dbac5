//! An in-memory engine kept in step with a durable store's changes feed.

use super::{ChangeOp, ContinuationToken, StoreError, TupleStore};
use crate::{Engine, Error, TupleKey};

/// Changes read per page while following the feed.
const PAGE: usize = 1_000;

/// An [`Engine`] serving a durable [`TupleStore`]: writes go to the store, and
/// [`Replica::sync`] applies the store's changes feed to the engine, so every replica of
/// the store (in this process or another) converges on the same tuples.
#[derive(Debug)]
pub struct Replica<S> {
    engine: Engine,
    store: S,
    position: ContinuationToken,
}

impl<S: TupleStore> Replica<S> {
    /// A replica with an engine (its model; its tuples are expected empty) over a store;
    /// the store's tuples are applied at once.
    pub fn open(engine: Engine, store: S) -> Result<Self, StoreError> {
        let mut replica = Self {
            engine,
            store,
            position: ContinuationToken::default(),
        };
        replica.sync()?;
        Ok(replica)
    }

    /// The engine: the hot path for Check, BatchCheck and ListObjects.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The position in the feed applied so far.
    pub fn position(&self) -> ContinuationToken {
        self.position
    }

    /// Validates the tuples against the model, writes them to the store (atomically;
    /// conflicts are judged by the store, the source of truth) and applies the feed.
    pub fn write(&mut self, writes: &[TupleKey], deletes: &[TupleKey]) -> Result<(), StoreError> {
        self.engine.validate_writes(writes)?;
        self.store.write(writes, deletes)?;
        self.sync()?;
        Ok(())
    }

    /// Applies every change after the current position, in change id order; returns how
    /// many were applied. A change the engine rejects stops the sync before it, and the
    /// position stays on the last change applied.
    pub fn sync(&mut self) -> Result<usize, StoreError> {
        let mut applied = 0;
        loop {
            let page = self.store.read_changes(Some(&self.position), PAGE)?;
            if page.changes.is_empty() {
                return Ok(applied);
            }
            for change in &page.changes {
                let (writes, deletes) = match change.op {
                    ChangeOp::Write => (std::slice::from_ref(&change.tuple), &[][..]),
                    ChangeOp::Delete => (&[][..], std::slice::from_ref(&change.tuple)),
                };
                match self.engine.write(writes, deletes) {
                    // Already in the state the change describes.
                    Ok(()) | Err(Error::WriteConflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                self.position = ContinuationToken(change.id);
                applied += 1;
            }
        }
    }
}
