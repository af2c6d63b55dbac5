//! Emitting and delivering in one go, for a logout that must reach its
//! receivers now. The streams are taken in batches: a batch's SETs are
//! signed and stored in the outbox in one write on the blocking pool (one
//! lane per core), and pushed from the async workers as soon as the batch is
//! ready, while the lanes sign the next batches; so signing and the store's
//! writes overlap the network round trips, and the outbox is written once
//! per batch rather than once per SET.

use super::error::SsfError;
use super::event::Event;
use super::outbox;
use super::push::{MAX_IN_FLIGHT, Verdict};
use super::set;
use super::stream::{Delivery, StreamRecord, StreamStatus};
use super::subject::SubjectId;
use super::{DeliveryOutcome, Queued, Transmitter};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Streams per batch: signed and stored together, then pushed.
const BATCH: usize = 8;

/// Streams signed and stored together: each with the indexes of the
/// subjects it takes and whether its SETs are pushed now.
type Batch = Vec<(StreamRecord, Vec<usize>, bool)>;

/// A batch signed and stored: its queued SETs (with the index of their
/// subject) and the SETs to push now, by stream.
type Signed = (
    Vec<(usize, Queued)>,
    Vec<(StreamRecord, Vec<outbox::OutboxRecord>)>,
);

impl Transmitter {
    /// Queues `event` about each of `subjects` (in order) for every stream
    /// that takes it, exactly as [`emit`](Self::emit) does, and pushes the
    /// push streams' SETs at once, streams concurrently, each stream's in
    /// order. A stream that still owes older SETs, a paused stream and a
    /// poll stream keep theirs in the outbox for [`flush`](Self::flush) or
    /// the receiver's poll. Returns what was queued and what the receivers
    /// answered to the pushes made.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use reference_authority::{Authority, AuthorityConfig};
    /// use reference_authority::signals::{Event, EventKind, SubjectId, Transmitter, types};
    ///
    /// let authority = Authority::builder("https://idp.example")
    ///     .config(AuthorityConfig::for_tests())
    ///     .build()?;
    /// let transmitter = Transmitter::install(&authority);
    /// let poll = serde_json::json!({"events_requested": [types::SESSION_REVOKED]});
    /// transmitter.create_stream("receiver-app", poll.as_object().ok_or("object")?)?;
    /// let sarah = SubjectId::iss_sub("https://idp.example", "user-sarah");
    /// let event = Event::new(EventKind::SessionRevoked, authority.now());
    /// let (queued, pushed) = transmitter.publish(&[sarah], &event, "txn-1").await?;
    /// assert_eq!((queued.len(), pushed.len()), (1, 0)); // a poll stream: it waits for the poll
    /// # Ok(()) }
    /// ```
    pub async fn publish(
        &self,
        subjects: &[SubjectId],
        event: &Event,
        txn: &str,
    ) -> Result<(Vec<Queued>, Vec<DeliveryOutcome>), SsfError> {
        let _one_at_a_time = self.flushing.lock().await;
        let owing = outbox::owing_streams(&self.authority)?;
        let mut streams: Vec<(StreamRecord, Vec<usize>, bool)> = Vec::new();
        for stream in self.all_streams()? {
            let wanted: Vec<usize> = (0..subjects.len())
                .filter(|i| {
                    stream.status != StreamStatus::Disabled
                        && subjects
                            .get(*i)
                            .is_some_and(|s| stream.wants(event.type_uri(), s))
                })
                .collect();
            if !wanted.is_empty() {
                let push_now = matches!(stream.delivery, Delivery::Push { .. })
                    && stream.status == StreamStatus::Enabled
                    && !owing.contains(&stream.stream_id);
                streams.push((stream, wanted, push_now));
            }
        }
        let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let bodies: Vec<set::SetBody> = subjects
            .iter()
            .map(|s| set::SetBody::new(&self.authority, s, event, txn))
            .collect();
        let shared = Arc::new((bodies, txn.to_owned()));
        // Batches dealt to signer lanes on the blocking pool; each batch
        // comes back signed and stored, and its pushes start at once on the
        // async workers while the lanes sign the next batches.
        let lanes_wanted = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut lanes: Vec<Vec<Batch>> = Vec::new();
        let mut streams = streams.into_iter().peekable();
        let mut dealt = 0_usize;
        while streams.peek().is_some() {
            let batch: Batch = streams.by_ref().take(BATCH).collect();
            match lanes.get_mut(dealt % lanes_wanted) {
                Some(lane) => lane.push(batch),
                None => lanes.push(vec![batch]),
            }
            dealt += 1;
        }
        let (sent, mut ready) = tokio::sync::mpsc::unbounded_channel();
        for lane in lanes {
            let (t, shared, sent) = (self.clone(), Arc::clone(&shared), sent.clone());
            tokio::task::spawn_blocking(move || {
                for batch in lane {
                    let signed = t.sign_and_store(batch, &shared);
                    let failed = signed.is_err();
                    if sent.send(signed).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(sent);
        let mut queued = Vec::new();
        let mut failed = None;
        let mut rounds = JoinSet::new();
        while let Some(signed) = ready.recv().await {
            match signed {
                Ok((mut q, to_push)) => {
                    queued.append(&mut q);
                    let (t, permits) = (self.clone(), Arc::clone(&permits));
                    rounds.spawn(async move { t.push_batch(to_push, permits).await });
                }
                Err(e) => failed = Some(e),
            }
        }
        let mut attempts = Vec::new();
        while let Some(done) = rounds.join_next().await {
            match done {
                Ok(mut a) => attempts.append(&mut a),
                Err(_) => failed = Some(SsfError::Unavailable),
            }
        }
        let outcomes = self.settle(attempts);
        queued.sort_by(|a, b| (a.0, &a.1.stream_id).cmp(&(b.0, &b.1.stream_id)));
        for (i, s) in subjects.iter().enumerate() {
            let about: Vec<Queued> = queued
                .iter()
                .filter(|(j, _)| *j == i)
                .map(|(_, q)| q.clone())
                .collect();
            self.audit_event(s, event, txn, &about);
        }
        for o in &outcomes {
            self.audit_delivery(o);
        }
        self.wake();
        match failed {
            Some(e) => Err(e),
            None => Ok((queued.into_iter().map(|(_, q)| q).collect(), outcomes)),
        }
    }

    /// Signs a batch of streams' SETs (for each stream, the SET of
    /// `bodies[i]` for each `i` it wants) and stores them in the outbox in
    /// one write (blocking: run on the blocking pool). Returns the SETs as
    /// queued and those of the streams to push now.
    fn sign_and_store(
        &self,
        batch: Batch,
        (bodies, txn): &(Vec<set::SetBody>, String),
    ) -> Result<Signed, SsfError> {
        let key = self.authority.keys().active();
        let mut queued = Vec::new();
        let mut signed = Vec::with_capacity(batch.len());
        for (stream, wanted, push_now) in batch {
            let mut records = Vec::with_capacity(wanted.len());
            for i in wanted {
                let body = bodies.get(i).ok_or(SsfError::Unavailable)?;
                let set = body.sign(&key, &stream.aud).ok_or(SsfError::Unavailable)?;
                let (q, record) = self.queue_record(&stream, set, txn);
                queued.push((i, q));
                records.push(record);
            }
            signed.push((stream, records, push_now));
        }
        outbox::put_all(&self.authority, signed.iter().flat_map(|(_, r, _)| r))?;
        let to_push = signed
            .into_iter()
            .filter(|(_, _, push_now)| *push_now)
            .map(|(stream, records, _)| (stream, records))
            .collect();
        Ok((queued, to_push))
    }

    /// Pushes a signed batch: streams concurrently, each stream's SETs in
    /// order.
    async fn push_batch(
        &self,
        to_push: Vec<(StreamRecord, Vec<outbox::OutboxRecord>)>,
        permits: Arc<Semaphore>,
    ) -> Vec<(String, outbox::OutboxRecord, Verdict)> {
        let pushes = to_push
            .into_iter()
            .map(|(stream, records)| self.push_stream(stream, records, Arc::clone(&permits)));
        futures::future::join_all(pushes)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}
