//! Turning an event about a subject into SETs: one per stream that requested
//! the event type and takes the subject, signed for that stream's audience
//! and queued in the outbox.

use super::error::SsfError;
use super::event::Event;
use super::set;
use super::stream::{StreamRecord, StreamStatus};
use super::subject::SubjectId;
use super::{Transmitter, outbox};
use agent_auth::audit::{AuditAction, Outcome};

/// From how many streams an event's SETs are signed on several threads.
const PARALLEL_SIGNING_FROM: usize = 16;

/// A SET queued for one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The stream.
    pub stream_id: String,
    /// The SET's `jti`.
    pub jti: String,
}

impl Transmitter {
    /// Queues `event` about `subject` for every enabled or paused stream that
    /// requested its type and takes the subject (SSF 1.0 sections 8.1.1 and
    /// 8.1.3); disabled streams get nothing. `txn` ties the SETs of one cause
    /// together (SSF 1.0 section 4.1.9). Push deliveries go out on the next
    /// [`flush`](Transmitter::flush).
    pub fn emit(
        &self,
        subject: &SubjectId,
        event: &Event,
        txn: &str,
    ) -> Result<Vec<Queued>, SsfError> {
        let targets = self.targets(event, subject)?;
        let signed = self.sign_all(&targets, subject, event, txn)?;
        let (queued, records): (Vec<Queued>, Vec<outbox::OutboxRecord>) = targets
            .iter()
            .zip(signed)
            .map(|(stream, set)| self.queue_record(stream, set, txn))
            .unzip();
        outbox::put_all(&self.authority, &records)?;
        self.audit_event(subject, event, txn, &queued);
        self.wake();
        Ok(queued)
    }

    /// The streams that take `event` about `subject`: enabled or paused,
    /// requested the type, take the subject (SSF 1.0 sections 8.1.1, 8.1.3).
    pub(crate) fn targets(
        &self,
        event: &Event,
        subject: &SubjectId,
    ) -> Result<Vec<StreamRecord>, SsfError> {
        Ok(self
            .all_streams()?
            .into_iter()
            .filter(|s| s.status != StreamStatus::Disabled && s.wants(event.type_uri(), subject))
            .collect())
    }

    /// The `ssf_event` audit record of one event's SETs.
    pub(crate) fn audit_event(
        &self,
        subject: &SubjectId,
        event: &Event,
        txn: &str,
        queued: &[Queued],
    ) {
        self.authority.audit(
            AuditAction::Other("ssf_event".into()),
            Outcome::Success,
            |e| {
                e.detail("event_type", event.type_uri())
                    .detail("txn", txn.to_owned())
                    .detail("subject_format", subject.format())
                    .detail(
                        "sets",
                        queued
                            .iter()
                            .map(|q| serde_json::json!({"stream_id": q.stream_id, "jti": q.jti}))
                            .collect::<Vec<_>>(),
                    )
            },
        );
    }

    /// Queues a verification or stream-updated event on one stream, whatever
    /// it requested (SSF 1.0 sections 8.1.4 and 8.1.5).
    pub(crate) fn enqueue_control(
        &self,
        stream_id: &str,
        subject: &SubjectId,
        event: &Event,
    ) -> Result<Queued, SsfError> {
        let stream = self
            .all_streams()?
            .into_iter()
            .find(|s| s.stream_id == stream_id)
            .ok_or(SsfError::NotFound)?;
        let txn = crate::provider::crypto::random_value().ok_or(SsfError::Unavailable)?;
        self.enqueue(&stream, subject, event, &txn)
    }

    fn enqueue(
        &self,
        stream: &StreamRecord,
        subject: &SubjectId,
        event: &Event,
        txn: &str,
    ) -> Result<Queued, SsfError> {
        let signed = set::sign(&self.authority, &stream.aud, subject, event, txn)
            .ok_or(SsfError::Unavailable)?;
        let (queued, record) = self.queue_record(stream, signed, txn);
        outbox::put_all(&self.authority, [&record])?;
        Ok(queued)
    }

    /// Signs one SET per stream; many streams are signed on all cores at
    /// once (each SET has its own audience, so each needs its own signature).
    fn sign_all(
        &self,
        streams: &[StreamRecord],
        subject: &SubjectId,
        event: &Event,
        txn: &str,
    ) -> Result<Vec<set::SignedSet>, SsfError> {
        let body = set::SetBody::new(&self.authority, subject, event, txn);
        let key = self.authority.keys().active();
        let sign = |chunk: &[StreamRecord]| -> Option<Vec<set::SignedSet>> {
            chunk.iter().map(|s| body.sign(&key, &s.aud)).collect()
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if streams.len() < PARALLEL_SIGNING_FROM || threads < 2 {
            return sign(streams).ok_or(SsfError::Unavailable);
        }
        let per_thread = streams.len().div_ceil(threads);
        let parts: Vec<Option<Vec<set::SignedSet>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = streams
                .chunks(per_thread)
                .map(|chunk| scope.spawn(move || sign(chunk)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().ok().flatten())
                .collect()
        });
        let mut out = Vec::with_capacity(streams.len());
        for part in parts {
            out.extend(part.ok_or(SsfError::Unavailable)?);
        }
        Ok(out)
    }

    /// A signed SET as queued for its stream and as its outbox record (held
    /// while the stream is paused), for [`outbox::put_all`] to store.
    pub(crate) fn queue_record(
        &self,
        stream: &StreamRecord,
        signed: set::SignedSet,
        txn: &str,
    ) -> (Queued, outbox::OutboxRecord) {
        let held = stream.status == StreamStatus::Paused;
        let record = outbox::new_record(
            &self.authority,
            &stream.stream_id,
            &signed.jti,
            txn,
            signed.compact,
            held,
        );
        let queued = Queued {
            stream_id: stream.stream_id.clone(),
            jti: signed.jti,
        };
        (queued, record)
    }
}
