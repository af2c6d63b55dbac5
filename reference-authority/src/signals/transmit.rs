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
        let mut queued = Vec::new();
        for stream in self.all_streams()? {
            if stream.status == StreamStatus::Disabled || !stream.wants(event.type_uri(), subject) {
                continue;
            }
            queued.push(self.enqueue(&stream, subject, event, txn)?);
        }
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
        self.wake();
        Ok(queued)
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
        let held = stream.status == StreamStatus::Paused;
        outbox::put(
            &self.authority,
            &stream.stream_id,
            &signed.jti,
            txn,
            signed.compact,
            held,
        )?;
        Ok(Queued {
            stream_id: stream.stream_id.clone(),
            jti: signed.jti,
        })
    }
}
