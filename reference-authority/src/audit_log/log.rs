//! The append-only log: entries in a [`LogStore`], the Merkle tree in memory,
//! a signed checkpoint after every appended batch.
//!
//! Several handles (several authority instances) may share one storage: an
//! append runs under the storage's write lock and first takes in the rows
//! other writers appended, so indexes stay dense and unique; readers asking
//! for the latest state (size, root, checkpoint) or for a part of the tree the
//! handle has not seen take them in too.

use super::checkpoint::Checkpoint;
use super::entry::LogEntry;
use super::error::AuditLogError;
use super::hash::Hash;
use super::note::{NoteSigner, NoteVerifier};
use super::proof::{consistency_proof, inclusion_proof};
use super::query::AuditQuery;
use super::store::{AppendTx, LogStore, NewRow};
use super::tiles::{TILE_WIDTH, TilePath, entry_bundle, hash_tile, requested_width};
use super::tree::Tree;
use agent_auth::audit::{AuditEvent, AuditSink, SharedSink};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

/// The audit log of the authority: append events, read entries, proofs,
/// checkpoints and tiles. Clones share the same log.
///
/// It is also an [`AuditSink`]: in process, components record straight into it.
///
/// ```
/// use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner};
/// use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
///
/// let signer = NoteSigner::from_seed("audit.example/log", &[1; 32])?;
/// let log = AuditLog::new("audit.example/log", signer, LogStorage::in_memory()?)?;
/// let index = log.append(None, &[AuditEvent::new(1_700_000_000, AuditAction::TokenIssued, Outcome::Success)])?;
/// assert_eq!(index, vec![0]);
/// assert_eq!(log.size(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    origin: String,
    signer: NoteSigner,
    state: Mutex<State>,
    /// Told of every newly appended event, after it is durable.
    observers: RwLock<Vec<SharedSink>>,
}

#[derive(Debug)]
struct State {
    storage: Box<dyn LogStore>,
    tree: Tree,
    checkpoint: String,
}

impl AuditLog {
    /// Opens the log in `storage` (a [`LogStorage`](super::LogStorage) or a
    /// `PgLogStorage` (feature `postgres`)), named by its checkpoint `origin`
    /// and signed by `signer`. The tree is rebuilt from the stored leaf hashes.
    pub fn new(
        origin: impl Into<String>,
        signer: NoteSigner,
        storage: impl LogStore + 'static,
    ) -> Result<Self, AuditLogError> {
        Self::from_store(origin, signer, Box::new(storage))
    }

    /// [`Self::new`] on a storage chosen at run time (see
    /// [`open_store`](super::open_store)).
    pub fn from_store(
        origin: impl Into<String>,
        signer: NoteSigner,
        storage: Box<dyn LogStore>,
    ) -> Result<Self, AuditLogError> {
        let origin = origin.into();
        let tree = Tree::from_leaf_hashes(storage.leaf_hashes_from(0)?);
        let checkpoint = sign_tree(&origin, &signer, &tree)?;
        Ok(Self {
            inner: Arc::new(Inner {
                origin,
                signer,
                state: Mutex::new(State {
                    storage,
                    tree,
                    checkpoint,
                }),
                observers: RwLock::new(Vec::new()),
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The state, having taken in what other writers of the storage appended
    /// when the tree has fewer than `size` entries (`u64::MAX`: always look).
    /// When the storage cannot be read, the state this handle has is served:
    /// an older, still valid, signed view of the log.
    fn state_covering(&self, size: u64) -> MutexGuard<'_, State> {
        let mut state = self.state();
        if state.tree.size() < size
            && let Err(error) = self.catch_up(&mut state)
        {
            tracing::warn!(%error, "the audit log could not read newer entries");
        }
        state
    }

    fn catch_up(&self, state: &mut State) -> Result<(), AuditLogError> {
        let newer = state.storage.leaf_hashes_from(state.tree.size())?;
        if newer.is_empty() {
            return Ok(());
        }
        for hash in newer {
            state.tree.push(hash);
        }
        // Ed25519 signatures are deterministic: this is the note the writer stored.
        state.checkpoint = sign_tree(&self.inner.origin, &self.inner.signer, &state.tree)?;
        Ok(())
    }

    /// The checkpoint origin.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The key that verifies this log's checkpoints.
    pub fn verifier(&self) -> NoteVerifier {
        self.inner.signer.verifier()
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.state_covering(u64::MAX).tree.size()
    }

    /// The root hash of the whole log.
    pub fn root(&self) -> Hash {
        self.state_covering(u64::MAX).tree.root()
    }

    /// Appends `events` reported by `reporter` (a client id; `None` in
    /// process) as one durable batch with one signed checkpoint. An event whose
    /// id is already logged is not appended again: its existing index is
    /// returned. Returns the index of every event. On error nothing is appended.
    pub fn append(
        &self,
        reporter: Option<&str>,
        events: &[AuditEvent],
    ) -> Result<Vec<u64>, AuditLogError> {
        let mut guard = self.state();
        let State {
            storage,
            tree,
            checkpoint,
        } = &mut *guard;
        let seen = tree.size();
        let mut indexes = Vec::with_capacity(events.len());
        let mut fresh = Vec::with_capacity(events.len());
        let mut start = None;
        let result = storage.append(&mut |tx| {
            for hash in tx.leaf_hashes_from(tree.size())? {
                tree.push(hash);
            }
            start = Some(tree.size());
            self.append_locked(tx, tree, reporter, events, &mut indexes, &mut fresh)
        });
        if let Err(e) = result {
            if let Some(start) = start {
                tree.truncate(start);
            }
            return Err(e);
        }
        if tree.size() != seen {
            *checkpoint = sign_tree(&self.inner.origin, &self.inner.signer, tree)?;
        }
        drop(guard);
        let observers = self
            .inner
            .observers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for event in &fresh {
            for observer in observers.iter() {
                observer.record(event);
            }
        }
        Ok(indexes)
    }

    /// The body of an append, under the storage's write lock with `tree`
    /// up to date: numbers the events not yet logged, extends the tree and
    /// writes the rows with the checkpoint of the new size. Fills `indexes`
    /// and the `fresh` events.
    fn append_locked<'e>(
        &self,
        tx: &mut dyn AppendTx,
        tree: &mut Tree,
        reporter: Option<&str>,
        events: &'e [AuditEvent],
        indexes: &mut Vec<u64>,
        fresh: &mut Vec<&'e AuditEvent>,
    ) -> Result<(), AuditLogError> {
        let start = tree.size();
        let mut bodies = Vec::with_capacity(events.len());
        let mut batch_ids: Vec<Option<&str>> = Vec::new();
        for event in events {
            if let Some(id) = event.id.as_deref() {
                if let Some(existing) = tx.index_of_event(id)? {
                    indexes.push(existing);
                    continue;
                }
                if let Some(pos) = batch_ids.iter().position(|seen| *seen == Some(id)) {
                    indexes.push(start + pos as u64);
                    continue;
                }
            }
            batch_ids.push(event.id.as_deref());
            let index = start + fresh.len() as u64;
            let body = LogEntry {
                index,
                reporter: reporter.map(str::to_owned),
                event: event.clone(),
            }
            .encode()?;
            indexes.push(index);
            bodies.push(body);
            fresh.push(event);
        }
        if fresh.is_empty() {
            return Ok(());
        }
        let rows: Vec<NewRow<'_>> = fresh
            .iter()
            .zip(&bodies)
            .enumerate()
            .map(|(n, (event, body))| NewRow {
                index: start + n as u64,
                leaf_hash: Hash::leaf(body),
                body,
                event,
            })
            .collect();
        for row in &rows {
            tree.push(row.leaf_hash);
        }
        let note = sign_tree(&self.inner.origin, &self.inner.signer, tree)?;
        tx.write(&rows, tree.size(), &note)
    }

    /// Tells `observer` of every event appended from now on, whether recorded
    /// in process or shipped to the ingestion endpoint, once it is durable
    /// (an event already logged is not told again). Threat detection follows
    /// the stream this way.
    pub fn observe(&self, observer: SharedSink) {
        self.inner
            .observers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(observer);
    }

    /// The latest signed checkpoint note.
    pub fn checkpoint(&self) -> String {
        self.state_covering(u64::MAX).checkpoint.clone()
    }

    /// The bytes of entry `index` (as hashed into the tree).
    pub fn entry_bytes(&self, index: u64) -> Result<Vec<u8>, AuditLogError> {
        let state = self.state();
        let stored = state
            .storage
            .entry(index)?
            .ok_or(AuditLogError::NotFound("entry"))?;
        stored.body.ok_or(AuditLogError::Archived(index))
    }

    /// The decoded entry `index`.
    pub fn entry(&self, index: u64) -> Result<LogEntry, AuditLogError> {
        LogEntry::decode(&self.entry_bytes(index)?)
    }

    /// The leaf hash of entry `index` (kept after archiving).
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.state_covering(index.saturating_add(1))
            .tree
            .leaf(index)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, AuditLogError> {
        inclusion_proof(&self.state_covering(size).tree, index, size)
            .ok_or(AuditLogError::NotFound("size"))
    }

    /// The consistency proof between tree sizes `first` and `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, AuditLogError> {
        consistency_proof(&self.state_covering(second).tree, first, second)
            .ok_or(AuditLogError::NotFound("size"))
    }

    /// The root of the tree of the first `size` entries.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        self.state_covering(size).tree.root_at(size)
    }

    /// Entries matching `query`, oldest first.
    pub fn query(&self, query: &AuditQuery) -> Result<Vec<LogEntry>, AuditLogError> {
        let rows = self.state().storage.query(query)?;
        rows.iter()
            .map(|(_, body)| LogEntry::decode(body))
            .collect()
    }

    /// A tlog-tiles resource: a hash tile or an entry bundle. Tiles the tree
    /// does not have, and bundles with an archived entry, are `NotFound`.
    pub fn tile(&self, path: &TilePath) -> Result<Vec<u8>, AuditLogError> {
        let state = self.state_covering(tile_needs(path));
        match path.level {
            Some(_) => hash_tile(&state.tree, path),
            None => {
                let width = requested_width(state.tree.size(), 0, path)?;
                let start = path.index.saturating_mul(TILE_WIDTH);
                let bodies = state.storage.bodies(start, width)?;
                // An archived entry makes its bundle unavailable (tlog-tiles, Pruning).
                let entries: Option<Vec<Vec<u8>>> = bodies.into_iter().collect();
                entry_bundle(&entries.ok_or(AuditLogError::Archived(start))?)
            }
        }
    }

    /// Runs `f` with the tree and the storage, under the log's lock.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Tree, &mut dyn LogStore) -> T) -> T {
        let mut state = self.state();
        let State { storage, tree, .. } = &mut *state;
        f(tree, storage.as_mut())
    }
}

/// The signed checkpoint note of `tree`.
fn sign_tree(origin: &str, signer: &NoteSigner, tree: &Tree) -> Result<String, AuditLogError> {
    let text = Checkpoint {
        origin: origin.to_owned(),
        size: tree.size(),
        root: tree.root(),
        extensions: Vec::new(),
    }
    .to_text();
    Ok(signer.sign(&text)?)
}

/// The tree size a tile needs: its last hash is at tree level `8 L`.
fn tile_needs(path: &TilePath) -> u64 {
    let width = path.width.map_or(TILE_WIDTH, u64::from);
    let hashes = path.index.saturating_mul(TILE_WIDTH).saturating_add(width);
    let shift = u32::from(path.level.unwrap_or(0)) * 8;
    hashes
        .checked_shl(shift)
        .filter(|n| n >> shift == hashes)
        .unwrap_or(u64::MAX)
}

impl AuditSink for AuditLog {
    fn record(&self, event: &AuditEvent) {
        if let Err(error) = self.append(None, std::slice::from_ref(event)) {
            tracing::error!(%error, "the audit log could not append an event");
        }
    }
}
