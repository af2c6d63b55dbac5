//! The durable outbox: every SET waits here until its receiver acknowledged
//! it (push: a 202, RFC 8935 section 2.2; poll: an `ack`, RFC 8936 section
//! 2.4), so a restarted authority (SQLite store) still delivers what it owed.

use crate::store::{purge_json, put_many_json, update_json, update_many_json};
use crate::{Authority, StoreError, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// The outbox table.
pub(crate) const OUTBOX: Table = Table::Extension("ssf_outbox");
/// How long finished records stay for the evidence, in seconds.
const RETENTION: i64 = 86_400;

/// Where a SET stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub(crate) enum State {
    /// Waiting for (re)delivery or for the receiver's poll.
    Pending,
    /// Kept while the stream is paused (SSF 1.0 section 8.1.2).
    Held,
    /// Acknowledged by the receiver.
    Delivered { at: i64 },
    /// Given up: refused by the receiver or out of attempts.
    Failed { at: i64, reason: String },
}

/// One SET owed to one stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OutboxRecord {
    pub(crate) stream_id: String,
    pub(crate) jti: String,
    pub(crate) txn: String,
    /// The signed SET (it names a subject, never a token value).
    pub(crate) set: String,
    pub(crate) created: i64,
    /// Order of creation within this process (ties of `created`).
    pub(crate) seq: u64,
    pub(crate) attempts: u32,
    pub(crate) next_attempt: i64,
    pub(crate) state: State,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn key(stream_id: &str, jti: &str) -> String {
    format!("{stream_id}/{jti}")
}

/// A record of a SET just signed for a stream, to be queued with
/// [`put_all`].
pub(crate) fn new_record(
    authority: &Authority,
    stream_id: &str,
    jti: &str,
    txn: &str,
    set: String,
    held: bool,
) -> OutboxRecord {
    let now = authority.now();
    OutboxRecord {
        stream_id: stream_id.to_owned(),
        jti: jti.to_owned(),
        txn: txn.to_owned(),
        set,
        created: now,
        seq: SEQ.fetch_add(1, Ordering::Relaxed),
        attempts: 0,
        next_attempt: now,
        state: if held { State::Held } else { State::Pending },
    }
}

/// Queues SETs, in one store write (one transaction, so one commit to disk
/// for a database store, whatever their number).
pub(crate) fn put_all<'a>(
    authority: &Authority,
    records: impl IntoIterator<Item = &'a OutboxRecord>,
) -> Result<(), StoreError> {
    let keyed: Vec<(String, &OutboxRecord)> = records
        .into_iter()
        .map(|r| (key(&r.stream_id, &r.jti), r))
        .collect();
    put_many_json(authority.store().as_ref(), OUTBOX, &keyed)
}

/// The streams that still owe a pending SET (whatever its next attempt),
/// read without decoding the SETs themselves.
pub(crate) fn owing_streams(authority: &Authority) -> Result<BTreeSet<String>, StoreError> {
    #[derive(Deserialize)]
    struct Owing {
        stream_id: String,
        state: StateTag,
    }
    #[derive(Deserialize, PartialEq)]
    #[serde(tag = "state", rename_all = "snake_case")]
    enum StateTag {
        Pending,
        #[serde(other)]
        Other,
    }
    let mut out = BTreeSet::new();
    for (_, bytes) in authority.store().scan(OUTBOX)? {
        let r: Owing =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::Corrupt(OUTBOX.name()))?;
        if r.state == StateTag::Pending {
            out.insert(r.stream_id);
        }
    }
    Ok(out)
}

/// Every record of a stream, oldest first.
pub(crate) fn of_stream(
    authority: &Authority,
    stream_id: &str,
) -> Result<Vec<OutboxRecord>, StoreError> {
    let mut all: Vec<OutboxRecord> = all(authority)?
        .into_iter()
        .filter(|r| r.stream_id == stream_id)
        .collect();
    all.sort_by_key(|r| (r.created, r.seq));
    Ok(all)
}

/// Every record, oldest first.
pub(crate) fn all(authority: &Authority) -> Result<Vec<OutboxRecord>, StoreError> {
    let mut out = Vec::new();
    for (_, bytes) in authority.store().scan(OUTBOX)? {
        let r: OutboxRecord =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::Corrupt(OUTBOX.name()))?;
        out.push(r);
    }
    out.sort_by_key(|r| (r.created, r.seq));
    Ok(out)
}

/// Atomically changes one record with `f` (which returns the new state, or
/// `None` to keep it); returns the record after the change, if it changed.
pub(crate) fn update(
    authority: &Authority,
    stream_id: &str,
    jti: &str,
    f: impl Fn(&OutboxRecord) -> Option<OutboxRecord>,
) -> Result<Option<OutboxRecord>, StoreError> {
    update_json::<OutboxRecord, Option<OutboxRecord>>(
        authority.store().as_ref(),
        OUTBOX,
        &key(stream_id, jti),
        |cur| match cur.as_ref().and_then(&f) {
            Some(next) => (Some(next.clone()), Some(next)),
            None => (None, None),
        },
    )
}

/// The result of one push attempt, to be recorded.
#[derive(Debug)]
pub(crate) struct Attempted {
    pub(crate) stream_id: String,
    pub(crate) jti: String,
    pub(crate) next_attempt: i64,
    pub(crate) state: State,
}

/// Records the attempts of one delivery round: each record still pending
/// counts one more attempt and takes its new state (a record settled
/// meanwhile, by a poll or a deleted stream, is left as it is).
pub(crate) fn record_attempts(
    authority: &Authority,
    attempts: &[Attempted],
) -> Result<(), StoreError> {
    let keys: Vec<String> = attempts.iter().map(|a| key(&a.stream_id, &a.jti)).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    update_many_json::<OutboxRecord>(authority.store().as_ref(), OUTBOX, &keys, |i, cur| {
        let (a, cur) = (attempts.get(i)?, cur?);
        (cur.state == State::Pending).then(|| OutboxRecord {
            attempts: cur.attempts + 1,
            next_attempt: a.next_attempt,
            state: a.state.clone(),
            ..cur
        })
    })
}

/// Removes every record of a stream (the stream was deleted or disabled).
pub(crate) fn drop_stream(authority: &Authority, stream_id: &str) -> Result<usize, StoreError> {
    let owned = stream_id.to_owned();
    purge_json::<OutboxRecord>(authority.store().as_ref(), OUTBOX, move |r| {
        r.stream_id == owned && !matches!(r.state, State::Delivered { .. } | State::Failed { .. })
    })
}

/// Moves the held records of a stream back to pending (it was enabled again).
pub(crate) fn release(authority: &Authority, stream_id: &str) -> Result<(), StoreError> {
    let now = authority.now();
    let held: Vec<String> = of_stream(authority, stream_id)?
        .into_iter()
        .filter(|r| r.state == State::Held)
        .map(|r| key(&r.stream_id, &r.jti))
        .collect();
    let keys: Vec<&str> = held.iter().map(String::as_str).collect();
    update_many_json::<OutboxRecord>(authority.store().as_ref(), OUTBOX, &keys, |_, cur| {
        cur.filter(|c| c.state == State::Held)
            .map(|c| OutboxRecord {
                state: State::Pending,
                next_attempt: now,
                ..c
            })
    })
}

/// The purge registered with the authority: finished records past retention.
pub(crate) fn purge(authority: &Authority) -> Result<usize, StoreError> {
    let horizon = authority.now() - RETENTION;
    purge_json::<OutboxRecord>(authority.store().as_ref(), OUTBOX, |r| match r.state {
        State::Delivered { at } | State::Failed { at, .. } => at <= horizon,
        _ => false,
    })
}
