//! One logout, from the request to the receivers' answers, with its evidence.

use super::report::{KillSwitchError, LogoutReport};
use super::revoke::revoke;
use super::{KillSwitch, LogoutRequest, Target};
use crate::signals::{DeliveryOutcome, DeliveryStatus, Event, EventKind, Queued, StreamStatus};
use agent_auth::audit::{AuditAction, Outcome};
use std::collections::BTreeSet;

impl KillSwitch {
    /// Carries out a logout: checks the target exists (an unknown one changes
    /// nothing), revokes at the authority (in-process events go out as each
    /// thing is revoked), cancels open CIBA requests, queues a CAEP
    /// `session-revoked` SET per subject for every stream that asked for it
    /// and delivers the push ones. Every step is in the audit trail under one
    /// `txn`.
    pub async fn fire(&self, request: &LogoutRequest) -> Result<LogoutReport, KillSwitchError> {
        let a = &self.authority;
        let target = request.target();
        self.check_target(target)?;
        let txn = crate::provider::crypto::random_value().ok_or(KillSwitchError::Unavailable)?;
        a.audit(AuditAction::Logout, Outcome::Success, |e| {
            let e = e
                .reason(request.reason().to_owned())
                .detail("kill_switch", "requested")
                .detail("target", target.label())
                .detail("txn", txn.clone());
            match request.requester() {
                Some(who) => e.detail("requested_by", who.to_owned()),
                None => e,
            }
        });
        let revoked = revoke(a, target)?;
        a.audit(AuditAction::TokenRevoked, Outcome::Success, |e| {
            e.reason(request.reason().to_owned())
                .detail("target", target.label())
                .detail("txn", txn.clone())
                .detail("jtis", revoked.access_tokens.clone())
                .detail("grants", revoked.grants)
                .detail("sessions", revoked.sessions.clone())
        });
        let cancelled = match &self.ciba {
            Some(op) => {
                op.cancel_requests(
                    |client, user| target.covers(client, Some(user)),
                    request.reason(),
                )
                .await
            }
            None => Vec::new(),
        };
        let (signals, deliveries) = self
            .signal(target, request.reason(), &revoked.users, &txn)
            .await?;
        a.audit(AuditAction::Logout, Outcome::Success, |e| {
            e.reason(request.reason().to_owned())
                .detail("kill_switch", "completed")
                .detail("target", target.label())
                .detail("txn", txn.clone())
                .detail("access_tokens", revoked.access_tokens.len())
                .detail("cancelled_approvals", cancelled.len())
                .detail("sets", signals.len())
                .detail(
                    "acknowledged",
                    deliveries
                        .iter()
                        .filter(|d| d.status == DeliveryStatus::Acknowledged)
                        .count(),
                )
        });
        Ok(LogoutReport {
            target: target.clone(),
            txn,
            revoked_access_tokens: revoked.access_tokens,
            revoked_grants: revoked.grants,
            ended_sessions: revoked.sessions,
            cancelled_approvals: cancelled,
            users: revoked.users,
            signals,
            deliveries,
        })
    }

    fn check_target(&self, target: &Target) -> Result<(), KillSwitchError> {
        let a = &self.authority;
        let user = |u: &str| match a.user(u)? {
            Some(_) => Ok(()),
            None => Err(KillSwitchError::UnknownUser),
        };
        let agent = |c: &str| match a.client(c)? {
            Some(_) => Ok(()),
            None => Err(KillSwitchError::UnknownAgent),
        };
        match target {
            Target::User(u) => user(u),
            Target::Agent(c) => agent(c),
            Target::UserAgent { user: u, agent: c } => user(u).and_then(|()| agent(c)),
            Target::Tenant => Ok(()),
        }
    }

    /// Queues the SETs and pushes them at once (signing overlapping the
    /// pushes); returns what was queued and what became of it (poll streams:
    /// awaiting the receiver's poll).
    async fn signal(
        &self,
        target: &Target,
        reason: &str,
        users: &[String],
        txn: &str,
    ) -> Result<(Vec<Queued>, Vec<DeliveryOutcome>), KillSwitchError> {
        let Some(t) = &self.signals else {
            return Ok((Vec::new(), Vec::new()));
        };
        let a = &self.authority;
        let event = Event::new(EventKind::SessionRevoked, a.now()).reason_admin(reason);
        let subjects = target.subjects(a.issuer(), users);
        let (queued, mut outcomes) = t
            .publish(&subjects, &event, txn)
            .await
            .map_err(|_| KillSwitchError::Unavailable)?;
        let ours: BTreeSet<&str> = queued.iter().map(|q| q.jti.as_str()).collect();
        if outcomes.len() < queued.len() {
            // Streams that owed older SETs send them first, then ours.
            outcomes.extend(
                t.flush()
                    .await
                    .into_iter()
                    .filter(|o| ours.contains(o.jti.as_str())),
            );
        }
        let streams = t
            .streams_summary()
            .map_err(|_| KillSwitchError::Unavailable)?;
        for q in &queued {
            if outcomes.iter().any(|o| o.jti == q.jti) {
                continue;
            }
            let Some((owner, push, status)) = streams.get(&q.stream_id) else {
                continue;
            };
            let status = match (push, status) {
                (_, StreamStatus::Paused) => DeliveryStatus::Held,
                (true, _) => DeliveryStatus::Retrying("not delivered in this round".into()),
                (false, _) => DeliveryStatus::AwaitingPoll,
            };
            outcomes.push(DeliveryOutcome {
                stream_id: q.stream_id.clone(),
                receiver: owner.clone(),
                jti: q.jti.clone(),
                status,
            });
        }
        Ok((queued, outcomes))
    }
}
