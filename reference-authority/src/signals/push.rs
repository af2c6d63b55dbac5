//! Push delivery (RFC 8935): each due SET is POSTed to its stream's
//! `endpoint_url`; a 202 is the acknowledgement (section 2.2), a 400 with an
//! error object is a refusal never retried (section 2.3), anything else is
//! retried with exponential backoff until the attempts run out.

use super::Transmitter;
use super::outbox::{self, OutboxRecord, State};
use super::stream::{Delivery, StreamRecord};
use agent_auth::audit::{AuditAction, Outcome};
use axum::http::{HeaderValue, header};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What became of one SET in one delivery round.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// The receiver acknowledged it (push: 202; poll: `ack`).
    Acknowledged,
    /// The receiver refused it (RFC 8935 section 2.3 `err` code); not retried.
    Refused(String),
    /// It failed this time and will be tried again after the backoff.
    Retrying(String),
    /// It failed and the attempts ran out.
    GaveUp(String),
    /// It waits for the receiver's poll (RFC 8936).
    AwaitingPoll,
    /// It is held while the stream is paused (SSF 1.0 section 8.1.2).
    Held,
}

/// The fate of one SET for one receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    /// The stream.
    pub stream_id: String,
    /// The receiver (client) owning the stream.
    pub receiver: String,
    /// The SET's `jti`.
    pub jti: String,
    /// What happened.
    pub status: DeliveryStatus,
}

/// Most pushes in flight at once in one delivery round.
pub(super) const MAX_IN_FLIGHT: usize = 256;

/// The answer to one push attempt: acknowledged, or why not and whether the
/// refusal is final (RFC 8935 section 2.3) or worth a retry.
pub(super) type Verdict = Result<(), (bool, String)>;

impl Transmitter {
    /// Delivers every push SET that is due, receivers concurrently (at most
    /// 256 pushes in flight, over one pooled keep-alive client), each
    /// stream's SETs in order (a stream stops at its first failure this round,
    /// so later SETs do not overtake an earlier one). The outbox is settled
    /// once, after the round. Returns what happened to each SET.
    pub async fn flush(&self) -> Vec<DeliveryOutcome> {
        let _one_at_a_time = self.flushing.lock().await;
        let Ok(streams) = self.all_streams() else {
            return Vec::new();
        };
        let Ok(records) = outbox::all(&self.authority) else {
            return Vec::new();
        };
        let now = self.authority.now();
        let mut by_stream: BTreeMap<String, Vec<OutboxRecord>> = BTreeMap::new();
        for r in records {
            if r.state == State::Pending && r.next_attempt <= now {
                by_stream.entry(r.stream_id.clone()).or_default().push(r);
            }
        }
        let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let mut rounds = JoinSet::new();
        for stream in streams {
            let Some(due) = by_stream.remove(&stream.stream_id) else {
                continue;
            };
            if !matches!(stream.delivery, Delivery::Push { .. }) {
                continue;
            }
            let (t, permits) = (self.clone(), Arc::clone(&permits));
            rounds.spawn(async move { t.push_stream(stream, due, permits).await });
        }
        let mut attempts = Vec::new();
        while let Some(done) = rounds.join_next().await {
            if let Ok(mut a) = done {
                attempts.append(&mut a);
            }
        }
        let outcomes = self.settle(attempts);
        for o in &outcomes {
            self.audit_delivery(o);
        }
        outcomes
    }

    /// Pushes one stream's due SETs in order, stopping at the first that is
    /// not acknowledged.
    pub(super) async fn push_stream(
        &self,
        stream: StreamRecord,
        due: Vec<OutboxRecord>,
        permits: Arc<Semaphore>,
    ) -> Vec<(String, OutboxRecord, Verdict)> {
        let mut out = Vec::new();
        for record in due {
            let verdict = match permits.acquire().await {
                Ok(_permit) => self.push_one(&stream, &record).await,
                Err(_) => Err((false, "delivery stopped".to_owned())),
            };
            let stop = verdict.is_err();
            out.push((stream.owner.clone(), record, verdict));
            if stop {
                break;
            }
        }
        out
    }

    async fn push_one(&self, stream: &StreamRecord, record: &OutboxRecord) -> Verdict {
        let Delivery::Push {
            endpoint_url,
            authorization_header,
        } = &stream.delivery
        else {
            return Err((false, "not a push stream".to_owned()));
        };
        let mut request = self
            .http
            .post(endpoint_url)
            .header(header::CONTENT_TYPE, "application/secevent+jwt")
            .header(header::ACCEPT, "application/json")
            .body(record.set.clone());
        if let Some(h) = authorization_header
            && let Ok(v) = HeaderValue::from_str(h)
        {
            request = request.header(header::AUTHORIZATION, v);
        }
        match request.send().await {
            Ok(resp) if resp.status().as_u16() == 202 => Ok(()),
            Ok(resp) if resp.status().as_u16() == 400 => {
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                let err = body
                    .get("err")
                    .and_then(|v| v.as_str())
                    .unwrap_or("invalid_request")
                    .chars()
                    .take(64)
                    .collect::<String>();
                Err((true, err))
            }
            Ok(resp) => Err((false, format!("HTTP {}", resp.status().as_u16()))),
            Err(e) if e.is_timeout() => Err((false, "timeout".to_owned())),
            Err(_) => Err((false, "connection failed".to_owned())),
        }
    }

    /// Records the result of every attempt of a round in the outbox, in one
    /// pass, and says what became of each SET.
    pub(super) fn settle(
        &self,
        attempts: Vec<(String, OutboxRecord, Verdict)>,
    ) -> Vec<DeliveryOutcome> {
        let now = self.authority.now();
        let cfg = &self.config;
        let mut changes = Vec::with_capacity(attempts.len());
        let mut outcomes = Vec::with_capacity(attempts.len());
        for (receiver, record, verdict) in attempts {
            let (state, status, next) = match verdict {
                Ok(()) => (
                    State::Delivered { at: now },
                    DeliveryStatus::Acknowledged,
                    now,
                ),
                Err((true, err)) => (
                    State::Failed {
                        at: now,
                        reason: err.clone(),
                    },
                    DeliveryStatus::Refused(err),
                    now,
                ),
                Err((false, why)) if record.attempts + 1 >= cfg.max_attempts => (
                    State::Failed {
                        at: now,
                        reason: why.clone(),
                    },
                    DeliveryStatus::GaveUp(why),
                    now,
                ),
                Err((false, why)) => {
                    let backoff = cfg
                        .backoff_base
                        .saturating_mul(1_i64 << record.attempts.min(20))
                        .min(cfg.backoff_max);
                    (State::Pending, DeliveryStatus::Retrying(why), now + backoff)
                }
            };
            outcomes.push(DeliveryOutcome {
                stream_id: record.stream_id.clone(),
                receiver,
                jti: record.jti.clone(),
                status,
            });
            changes.push(outbox::Attempted {
                stream_id: record.stream_id,
                jti: record.jti,
                next_attempt: next,
                state,
            });
        }
        let _ = outbox::record_attempts(&self.authority, &changes);
        outcomes
    }

    pub(crate) fn audit_delivery(&self, o: &DeliveryOutcome) {
        let (outcome, reason) = match &o.status {
            DeliveryStatus::Acknowledged => (Outcome::Success, None),
            DeliveryStatus::AwaitingPoll => (Outcome::Success, Some("awaiting_poll".to_owned())),
            DeliveryStatus::Held => (Outcome::Success, Some("held".to_owned())),
            DeliveryStatus::Refused(e) => (Outcome::Denied, Some(e.clone())),
            DeliveryStatus::Retrying(e) | DeliveryStatus::GaveUp(e) => {
                (Outcome::Error, Some(e.clone()))
            }
        };
        self.authority
            .audit(AuditAction::Other("ssf_delivery".into()), outcome, |e| {
                let e = e
                    .agent(o.receiver.clone())
                    .detail("stream_id", o.stream_id.clone())
                    .detail("jti", o.jti.clone())
                    .detail("final", !matches!(o.status, DeliveryStatus::Retrying(_)));
                match reason {
                    Some(r) => e.reason(r),
                    None => e,
                }
            });
    }
}
