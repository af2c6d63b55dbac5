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
        let mut pending = self.pending_sets(stream_id, request.max_events)?;
        if pending.0.is_empty() && !request.return_immediately && request.max_events > 0 {
            let wait = self.changed.notified();
            let _ = tokio::time::timeout(self.config.long_poll_timeout, wait).await;
            pending = self.pending_sets(stream_id, request.max_events)?;
        }
        let (sets, more) = pending;
        Ok(json!({"sets": sets, "moreAvailable": more}))
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
