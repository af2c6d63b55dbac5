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

impl Transmitter {
    /// Delivers every push SET that is due, receivers in parallel, each
    /// stream's SETs in order (a stream stops at its first failure this round,
    /// so later SETs do not overtake an earlier one). Returns what happened to
    /// each.
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
        let rounds = streams.into_iter().filter_map(|s| {
            let due = by_stream.remove(&s.stream_id)?;
            matches!(s.delivery, Delivery::Push { .. }).then(|| self.push_stream(s, due))
        });
        let results = futures::future::join_all(rounds).await;
        let outcomes: Vec<DeliveryOutcome> = results.into_iter().flatten().collect();
        for o in &outcomes {
            self.audit_delivery(o);
        }
        outcomes
    }

    async fn push_stream(
        &self,
        stream: StreamRecord,
        due: Vec<OutboxRecord>,
    ) -> Vec<DeliveryOutcome> {
        let mut out = Vec::new();
        for record in due {
            let status = self.push_one(&stream, &record).await;
            let stop = !matches!(status, DeliveryStatus::Acknowledged);
            out.push(DeliveryOutcome {
                stream_id: stream.stream_id.clone(),
                receiver: stream.owner.clone(),
                jti: record.jti.clone(),
                status,
            });
            if stop {
                break;
            }
        }
        out
    }

    async fn push_one(&self, stream: &StreamRecord, record: &OutboxRecord) -> DeliveryStatus {
        let Delivery::Push {
            endpoint_url,
            authorization_header,
        } = &stream.delivery
        else {
            return DeliveryStatus::AwaitingPoll;
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
        let verdict = match request.send().await {
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
        };
        self.settle(record, verdict)
    }

    /// Records the result of one attempt in the outbox.
    fn settle(&self, record: &OutboxRecord, verdict: Result<(), (bool, String)>) -> DeliveryStatus {
        let now = self.authority.now();
        let cfg = &self.config;
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
        let _ = outbox::update(&self.authority, &record.stream_id, &record.jti, |cur| {
            (cur.state == State::Pending).then(|| OutboxRecord {
                attempts: cur.attempts + 1,
                next_attempt: next,
                state: state.clone(),
                ..cur.clone()
            })
        });
        status
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
