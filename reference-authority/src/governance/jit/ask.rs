//! Asking for an elevation: every check runs before anything is stored or
//! anyone is asked.

use super::channel::ElevationAsk;
use super::error::JitError;
use super::quorum::Quorum;
use super::records;
use super::request::{Approval, Approver, Elevation, RequestRecord, Status};
use crate::governance::audit::Decision;
use crate::governance::{Governance, agents};
use crate::registry::Actor;
use agent_auth::audit::{AuditAction, Outcome};
use std::collections::BTreeSet;

impl Governance {
    /// Files a JIT request; returns its id. Refused (and nothing stored) when
    /// the reason is missing, the duration is over its cap, the agent is not
    /// active, or the approvers cannot decide. A CIBA approver is asked at once.
    pub async fn request_elevation(&self, asked: Elevation) -> Result<String, JitError> {
        let result = self.checked_request(&asked).await;
        if let Err(e) = &result {
            Decision {
                action: AuditAction::ApprovalRequested,
                outcome: Outcome::Denied,
                actor: &requester_actor(&asked),
                target: &asked.agent,
                reason: &e.to_string(),
            }
            .record(self.authority(), |e| {
                e.detail("kind", "jit")
                    .detail("entitlement", agents::label(&asked.entitlement))
            });
        }
        result
    }

    async fn checked_request(&self, asked: &Elevation) -> Result<String, JitError> {
        let policy = self.jit_policy();
        let reason = asked.reason.trim();
        if reason.is_empty() {
            return Err(JitError::MissingReason);
        }
        if reason.chars().count() > policy.reason_chars() || reason.chars().any(char::is_control) {
            return Err(JitError::InvalidReason {
                max: policy.reason_chars(),
            });
        }
        if asked.duration < 1 {
            return Err(JitError::InvalidDuration);
        }
        let cap = policy.cap_of(&asked.entitlement);
        if asked.duration > cap {
            return Err(JitError::DurationOverCap {
                asked: asked.duration,
                cap,
            });
        }
        let agent = agents::agent(self, &asked.agent)?
            .ok_or_else(|| JitError::UnknownAgent(asked.agent.clone()))?;
        if !agent.active() {
            return Err(JitError::AgentNotActive(asked.agent.clone()));
        }
        let id = crate::provider::crypto::random_value().ok_or(JitError::Store(
            crate::StoreError::Backend("randomness unavailable".into()),
        ))?;
        let now = self.authority().now();
        let requester = asked
            .requester
            .clone()
            .unwrap_or_else(|| asked.agent.clone());
        let approval = match &asked.approver {
            Approver::Owner => {
                if agent.owners.is_empty() {
                    return Err(JitError::NoOwner(asked.agent.clone()));
                }
                Approval::Owner
            }
            Approver::Quorum {
                approvers,
                required,
            } => {
                let set: BTreeSet<String> = approvers.iter().cloned().collect();
                let count = set.len();
                Approval::Quorum(
                    Quorum::new(set, *required)
                        .ok_or(JitError::InvalidQuorum { approvers: count })?,
                )
            }
            Approver::Ciba(approver) => {
                if *approver == requester {
                    return Err(JitError::SelfApproval);
                }
                let channel = self.channel().ok_or(JitError::NoChannel)?;
                let label = agents::label(&asked.entitlement);
                let ticket = channel
                    .ask(
                        approver,
                        &ElevationAsk {
                            request_id: &id,
                            agent: &asked.agent,
                            entitlement: &label,
                            reason,
                            duration: asked.duration,
                            expires_in: policy.window(),
                        },
                    )
                    .await?;
                Approval::Ciba {
                    approver: approver.clone(),
                    ticket,
                }
            }
        };
        let record = RequestRecord {
            id: id.clone(),
            agent: asked.agent.clone(),
            entitlement: asked.entitlement.clone(),
            duration: asked.duration,
            reason: reason.to_owned(),
            requester: requester.clone(),
            approval,
            created: now,
            decide_by: now.saturating_add(policy.window()),
            status: Status::Pending,
            decided_by: Vec::new(),
            starts: None,
            ends: None,
        };
        records::insert(self.authority().store().as_ref(), record)?;
        Decision {
            action: AuditAction::ApprovalRequested,
            outcome: Outcome::Success,
            actor: &requester_actor(asked),
            target: &asked.agent,
            reason,
        }
        .record(self.authority(), |e| {
            e.detail("kind", "jit")
                .detail("request", id.clone())
                .detail("entitlement", agents::label(&asked.entitlement))
                .detail("duration", asked.duration)
        });
        Ok(id)
    }
}

/// The requester as an actor: the user asking for the agent, or the agent
/// (its id) asking for itself.
fn requester_actor(asked: &Elevation) -> Actor {
    match &asked.requester {
        Some(user) => Actor::user(user.clone()),
        None => Actor::client(asked.agent.clone()),
    }
}
