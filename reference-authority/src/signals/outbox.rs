//! The durable outbox: every SET waits here until its receiver acknowledged
//! it (push: a 202, RFC 8935 section 2.2; poll: an `ack`, RFC 8936 section
//! 2.4), so a restarted authority (SQLite store) still delivers what it owed.

use crate::store::{purge_json, put_json, update_json};
use crate::{Authority, StoreError, Table};
use serde::{Deserialize, Serialize};
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

/// Queues a SET for a stream.
pub(crate) fn put(
    authority: &Authority,
    stream_id: &str,
    jti: &str,
    txn: &str,
    set: String,
    held: bool,
) -> Result<OutboxRecord, StoreError> {
    let now = authority.now();
    let record = OutboxRecord {
        stream_id: stream_id.to_owned(),
        jti: jti.to_owned(),
        txn: txn.to_owned(),
        set,
        created: now,
        seq: SEQ.fetch_add(1, Ordering::Relaxed),
        attempts: 0,
        next_attempt: now,
        state: if held { State::Held } else { State::Pending },
    };
    put_json(
        authority.store().as_ref(),
        OUTBOX,
        &key(stream_id, jti),
        &record,
    )?;
    Ok(record)
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
    for a in attempts {
        update(authority, &a.stream_id, &a.jti, |cur| {
            (cur.state == State::Pending).then(|| OutboxRecord {
                attempts: cur.attempts + 1,
                next_attempt: a.next_attempt,
                state: a.state.clone(),
                ..cur.clone()
            })
        })?;
    }
    Ok(())
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
    for r in of_stream(authority, stream_id)? {
        if r.state == State::Held {
            update(authority, stream_id, &r.jti, |cur| {
                (cur.state == State::Held).then(|| OutboxRecord {
                    state: State::Pending,
                    next_attempt: now,
                    ..cur.clone()
                })
            })?;
        }
    }
    Ok(())
}

/// The purge registered with the authority: finished records past retention.
pub(crate) fn purge(authority: &Authority) -> Result<usize, StoreError> {
    let horizon = authority.now() - RETENTION;
    purge_json::<OutboxRecord>(authority.store().as_ref(), OUTBOX, |r| match r.state {
        State::Delivered { at } | State::Failed { at, .. } => at <= horizon,
        _ => false,
    })
}
