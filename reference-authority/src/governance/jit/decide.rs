//! Deciding a JIT request: an owner's or a quorum member's vote, the CIBA
//! channel's answer, or the approval deadline. Approval opens the grant at
//! once, for exactly the asked duration, and records it in the registry
//! (origin: the request, expiring at the grant's end).

use super::channel::Answer;
use super::error::JitError;
use super::quorum::Tally;
use super::records;
use super::request::{Approval, RequestRecord, RequestView, Status};
use crate::governance::audit::Decision;
use crate::governance::{Governance, agents};
use crate::registry::{Actor, GrantOrigin};
use agent_auth::audit::{AuditAction, Outcome};

/// What a decision did to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moved {
    Approved,
    Denied,
    Expired,
    Open,
}

/// The rule named when the authority itself expires a request.
const DEADLINE: &str = "jit_deadline";

impl Governance {
    /// `approver` (a user id) approves request `id`: owner approval, or one
    /// vote of a quorum.
    pub fn approve_elevation(&self, id: &str, approver: &str) -> Result<RequestView, JitError> {
        self.vote(id, approver, true)
    }

    /// `approver` denies request `id` (a quorum request is denied once its
    /// quorum can no longer be reached).
    pub fn deny_elevation(&self, id: &str, approver: &str) -> Result<RequestView, JitError> {
        self.vote(id, approver, false)
    }

    /// A request as it stands.
    pub fn elevation(&self, id: &str) -> Result<RequestView, JitError> {
        let store = self.authority().store().as_ref();
        let agent = records::agent_of(store, id)?;
        records::of_agent(store, &agent)?
            .iter()
            .find(|r| r.id == id)
            .map(RequestView::from)
            .ok_or_else(|| JitError::UnknownRequest(id.to_owned()))
    }

    fn vote(&self, id: &str, approver: &str, approve: bool) -> Result<RequestView, JitError> {
        let store = self.authority().store().as_ref();
        let agent = records::agent_of(store, id)?;
        // The owners at decision time, read before the atomic update.
        let owners = agents::agent(self, &agent)?
            .map(|a| a.owners)
            .unwrap_or_default();
        let now = self.authority().now();
        let actor = Actor::user(approver);
        let result = records::modify(store, &agent, id, |r| {
            open(r, now)?;
            if approver == r.requester {
                return Err(JitError::SelfApproval);
            }
            let moved = match &mut r.approval {
                Approval::Owner => {
                    if !owners.iter().any(|o| o == approver) {
                        return Err(JitError::NotAnApprover(approver.to_owned()));
                    }
                    if approve {
                        Moved::Approved
                    } else {
                        Moved::Denied
                    }
                }
                Approval::Quorum(q) => {
                    if !q.is_approver(approver) {
                        return Err(JitError::NotAnApprover(approver.to_owned()));
                    }
                    if q.has_voted(approver) {
                        return Err(JitError::AlreadyVoted(approver.to_owned()));
                    }
                    q.vote(approver, approve);
                    match q.tally() {
                        Tally::Approved => Moved::Approved,
                        Tally::Denied => Moved::Denied,
                        Tally::Open => Moved::Open,
                    }
                }
                Approval::Ciba { .. } => return Err(JitError::DecidedByChannel),
            };
            apply(r, moved, approver, now);
            Ok((moved, r.clone()))
        });
        let (moved, record) = match result {
            Ok(done) => done,
            Err(JitError::Expired) => {
                self.expire(&agent, id)?;
                return Err(JitError::Expired);
            }
            Err(e) => {
                Decision {
                    action: AuditAction::ApprovalDecided,
                    outcome: Outcome::Denied,
                    actor: &actor,
                    target: &agent,
                    reason: &e.to_string(),
                }
                .record(self.authority(), |ev| {
                    ev.detail("kind", "jit").detail("request", id.to_owned())
                });
                return Err(e);
            }
        };
        self.settled(
            record,
            moved,
            &actor,
            if approve { "approved" } else { "denied" },
        )
    }

    /// Collects the answers of CIBA approvers and expires requests whose
    /// deadline passed at `now`; returns the requests that moved.
    pub async fn run_jit(&self, now: i64) -> Result<Vec<RequestView>, JitError> {
        let store = self.authority().store().as_ref();
        let mut moved = Vec::new();
        for agent in records::agents(store)? {
            for record in records::of_agent(store, &agent)? {
                if record.status != Status::Pending {
                    continue;
                }
                if let Some(view) = self.settle(&record, now).await? {
                    moved.push(view);
                }
            }
        }
        Ok(moved)
    }

    async fn settle(
        &self,
        record: &RequestRecord,
        now: i64,
    ) -> Result<Option<RequestView>, JitError> {
        if now >= record.decide_by {
            return self.expire(&record.agent, &record.id);
        }
        let Approval::Ciba { approver, ticket } = &record.approval else {
            return Ok(None);
        };
        let channel = self.channel().ok_or(JitError::NoChannel)?;
        let (moved, by) = match channel.answer(ticket).await? {
            Answer::Pending => return Ok(None),
            // The channel authenticated the person; it must be the one named.
            Answer::Approved { by } if by == *approver => (Moved::Approved, by),
            Answer::Approved { by } => (Moved::Denied, by),
            Answer::Denied => (Moved::Denied, approver.clone()),
            Answer::Expired => return self.expire(&record.agent, &record.id),
        };
        let store = self.authority().store().as_ref();
        let updated = records::modify(store, &record.agent, &record.id, |r| {
            open(r, now)?;
            apply(r, moved, &by, now);
            Ok(r.clone())
        });
        let why = if moved == Moved::Approved {
            "approved"
        } else {
            "denied"
        };
        match updated {
            Ok(r) => self.settled(r, moved, &Actor::user(by), why).map(Some),
            Err(JitError::AlreadyDecided(_)) => Ok(None),
            Err(JitError::Expired) => self.expire(&record.agent, &record.id),
            Err(e) => Err(e),
        }
    }

    /// After a decision: an approval is recorded in the registry (if the
    /// registry refuses, the grant is ended at once), and the move audited.
    fn settled(
        &self,
        record: RequestRecord,
        moved: Moved,
        actor: &Actor,
        reason: &str,
    ) -> Result<RequestView, JitError> {
        if moved == Moved::Approved {
            let granted = agents::grant(
                self,
                &record.agent,
                &record.entitlement,
                GrantOrigin::JustInTime(record.id.clone()),
                record.ends,
                actor,
            );
            if let Err(e) = granted {
                let store = self.authority().store().as_ref();
                let now = self.authority().now();
                let _ = records::modify(store, &record.agent, &record.id, |r| {
                    super::grants::end(r, now);
                    Ok(())
                });
                self.audit_move(
                    &record,
                    Moved::Denied,
                    actor,
                    "the registry refused the grant",
                );
                return Err(JitError::Registry(e));
            }
        }
        self.audit_move(&record, moved, actor, reason);
        Ok(RequestView::from(&record))
    }

    fn expire(&self, agent: &str, id: &str) -> Result<Option<RequestView>, JitError> {
        let store = self.authority().store().as_ref();
        let expired = records::modify(store, agent, id, |r| {
            if r.status != Status::Pending {
                return Err(JitError::AlreadyDecided(r.status.as_str()));
            }
            r.status = Status::Expired;
            Ok(r.clone())
        });
        match expired {
            Ok(r) => {
                let actor = Actor::system(DEADLINE);
                self.audit_move(&r, Moved::Expired, &actor, "not decided in time");
                Ok(Some(RequestView::from(&r)))
            }
            Err(JitError::AlreadyDecided(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn audit_move(&self, r: &RequestRecord, moved: Moved, actor: &Actor, reason: &str) {
        let outcome = match moved {
            Moved::Approved | Moved::Open => Outcome::Success,
            Moved::Denied | Moved::Expired => Outcome::Denied,
        };
        Decision {
            action: AuditAction::ApprovalDecided,
            outcome,
            actor,
            target: &r.agent,
            reason,
        }
        .record(self.authority(), |e| {
            let e = e
                .detail("kind", "jit")
                .detail("request", r.id.clone())
                .detail("status", r.status.as_str())
                .detail("entitlement", agents::label(&r.entitlement));
            match (r.starts, r.ends) {
                (Some(s), Some(end)) => e.detail("starts", s).detail("ends", end),
                _ => e,
            }
        });
    }
}

/// Refuses a decision on a request that is not pending, or past its deadline.
fn open(r: &RequestRecord, now: i64) -> Result<(), JitError> {
    if r.status != Status::Pending {
        return Err(JitError::AlreadyDecided(r.status.as_str()));
    }
    if now >= r.decide_by {
        return Err(JitError::Expired);
    }
    Ok(())
}

/// Records the decision; an approval opens the grant `[now, now + duration)`.
fn apply(r: &mut RequestRecord, moved: Moved, by: &str, now: i64) {
    match moved {
        Moved::Approved => {
            r.status = Status::Approved;
            r.decided_by.push(by.to_owned());
            r.starts = Some(now);
            r.ends = Some(now.saturating_add(r.duration));
        }
        Moved::Denied => {
            r.status = Status::Denied;
            r.decided_by.push(by.to_owned());
        }
        Moved::Expired => r.status = Status::Expired,
        Moved::Open => r.decided_by.push(by.to_owned()),
    }
}
