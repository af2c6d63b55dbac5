//! Poll delivery (RFC 8936): the receiver acknowledges what it processed
//! (`ack`), reports SETs it refused (`setErrs`) and receives what is pending
//! (`sets`, at most `maxEvents`), waiting a while when nothing is pending
//! unless `returnImmediately`.

use super::Transmitter;
use super::error::SsfError;
use super::outbox::{self, OutboxRecord, State};
use super::push::{DeliveryOutcome, DeliveryStatus};
use super::stream::Delivery;
use serde_json::{Map, Value, json};

/// Most SETs returned by one poll, whatever `maxEvents` asks.
const MAX_EVENTS: usize = 100;
/// Most acknowledgements or errors read from one poll.
const MAX_ACKS: usize = 1000;

/// A checked poll request.
struct PollRequest {
    max_events: usize,
    return_immediately: bool,
    ack: Vec<String>,
    errors: Vec<(String, String)>,
}

fn parse(body: &Map<String, Value>) -> Result<PollRequest, SsfError> {
    let max_events = match body.get("maxEvents") {
        None => MAX_EVENTS,
        Some(v) => usize::try_from(v.as_u64().ok_or(SsfError::BadRequest(
            "`maxEvents` is not a non-negative integer",
        ))?)
        .unwrap_or(MAX_EVENTS)
        .min(MAX_EVENTS),
    };
    let return_immediately = match body.get("returnImmediately") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(SsfError::BadRequest("`returnImmediately` is not a boolean")),
    };
    let ack = match body.get("ack") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_ACKS => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or(SsfError::BadRequest("`ack` holds a non-string"))?,
        Some(_) => return Err(SsfError::BadRequest("`ack` is not a short array")),
    };
    let errors = match body.get("setErrs") {
        None => Vec::new(),
        Some(Value::Object(m)) if m.len() <= MAX_ACKS => {
            let mut out = Vec::with_capacity(m.len());
            for (jti, e) in m {
                // RFC 8936 section 2.4.4: each value holds `err` and `description`.
                let err = e
                    .get("err")
                    .and_then(Value::as_str)
                    .ok_or(SsfError::BadRequest("a `setErrs` value has no `err`"))?;
                out.push((jti.clone(), err.chars().take(64).collect()));
            }
            out
        }
        Some(_) => return Err(SsfError::BadRequest("`setErrs` is not a short object")),
    };
    Ok(PollRequest {
        max_events,
        return_immediately,
        ack,
        errors,
    })
}

impl Transmitter {
    /// Answers a poll of `stream_id` by its owner (RFC 8936 section 2.4).
    /// Acknowledged and refused SETs are settled first, then pending ones are
    /// returned; unacknowledged SETs come again on later polls.
    pub async fn poll(
        &self,
        owner: &str,
        stream_id: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, SsfError> {
        let request = parse(body)?;
        let stream = self
            .all_streams()?
            .into_iter()
            .find(|s| s.stream_id == stream_id && s.owner == owner)
            .ok_or(SsfError::NotFound)?;
        if stream.delivery != Delivery::Poll {
            return Err(SsfError::BadRequest("the stream is not a poll stream"));
        }
        self.touch(stream_id)?;
        let now = self.authority.now();
        let settle = |jti: &str, state: State, status: DeliveryStatus| {
            let changed = outbox::update(&self.authority, stream_id, jti, |cur| {
                matches!(cur.state, State::Pending).then(|| OutboxRecord {
                    state: state.clone(),
                    ..cur.clone()
                })
            });
            if let Ok(Some(_)) = changed {
                self.audit_delivery(&DeliveryOutcome {
                    stream_id: stream_id.to_owned(),
                    receiver: owner.to_owned(),
                    jti: jti.to_owned(),
                    status,
                });
            }
        };
        for jti in &request.ack {
            settle(
                jti,
                State::Delivered { at: now },
                DeliveryStatus::Acknowledged,
            );
        }
        for (jti, err) in &request.errors {
            settle(
                jti,
                State::Failed {
                    at: now,
                    reason: err.clone(),
                },
                DeliveryStatus::Refused(err.clone()),
            );
        }
        let wait = !request.return_immediately && request.max_events > 0;
        let (sets, more) = self
            .pending_or_wait(stream_id, request.max_events, wait, || {})
            .await?;
        Ok(json!({"sets": sets, "moreAvailable": more}))
    }

    /// The pending SETs of a stream; when there are none and `wait`, waits
    /// up to the long-poll timeout for some (RFC 8936 section 2.4). The waiter
    /// is registered before the outbox is read, so a SET queued between the
    /// read and the wait (`between_check_and_wait` runs there) still wakes it.
    async fn pending_or_wait(
        &self,
        stream_id: &str,
        max: usize,
        wait: bool,
        between_check_and_wait: impl FnOnce(),
    ) -> Result<(Map<String, Value>, bool), SsfError> {
        let woken = self.changed.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let pending = self.pending_sets(stream_id, max)?;
        if !pending.0.is_empty() || !wait {
            return Ok(pending);
        }
        between_check_and_wait();
        let _ = tokio::time::timeout(self.config.long_poll_timeout, woken).await;
        self.pending_sets(stream_id, max)
    }

    fn pending_sets(
        &self,
        stream_id: &str,
        max: usize,
    ) -> Result<(Map<String, Value>, bool), SsfError> {
        let pending: Vec<OutboxRecord> = outbox::of_stream(&self.authority, stream_id)?
            .into_iter()
            .filter(|r| r.state == State::Pending)
            .collect();
        let more = pending.len() > max;
        let sets = pending
            .into_iter()
            .take(max)
            .map(|r| (r.jti, Value::String(r.set)))
            .collect();
        Ok((sets, more))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Event, EventKind, SubjectId, Transmitter, TransmitterConfig};
    use crate::{Authority, AuthorityConfig};
    use std::time::Duration;

    /// A SET queued after the long poll looked at the outbox and before it
    /// started waiting is returned by that poll, not after the timeout.
    #[tokio::test(start_paused = true)]
    async fn long_poll_wakes_for_a_set_queued_between_check_and_wait() {
        let authority = Authority::builder("https://idp.example")
            .config(AuthorityConfig::for_tests())
            .build()
            .unwrap();
        let config = TransmitterConfig::default().long_poll_timeout(Duration::from_secs(3600));
        let t = Transmitter::install_with(&authority, config);
        let body = serde_json::json!({"events_requested": [super::super::types::SESSION_REVOKED]});
        let stream = t
            .create_stream("receiver", body.as_object().unwrap())
            .unwrap();
        let id = stream["stream_id"].as_str().unwrap().to_owned();
        let subject = SubjectId::iss_sub("https://idp.example", "user-sarah");
        let publish = || {
            t.emit(&subject, &Event::new(EventKind::SessionRevoked, 0), "txn")
                .unwrap();
        };
        let started = tokio::time::Instant::now();
        let (sets, _) = t.pending_or_wait(&id, 10, true, publish).await.unwrap();
        assert_eq!(sets.len(), 1, "the poll missed the SET");
        // Paused time only moves when every task waits: a missed wake-up
        // would have run the whole hour.
        assert!(started.elapsed() < Duration::from_secs(3600));
    }
}
