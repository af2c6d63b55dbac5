//! Offboarding an agent: retire its record, then remove every kind of access
//! it has, recording each step's outcome in its tombstone. A step that fails
//! does not stop the others; running the offboarding again runs only the
//! steps not yet settled, so a retry is idempotent.

use super::error::CascadeError;
use super::evidence::{Attempt, Step, StepOutcome, Tombstone};
use super::tombstones;
use crate::governance::audit::{Decision, action};
use crate::governance::{Governance, agents};
use crate::registry::Actor;
use agent_auth::audit::{AuditAction, Outcome};
use std::collections::BTreeMap;

/// What to do with the agent's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Retire {
    /// Lifecycle DELETED.
    #[default]
    Delete,
    /// Lifecycle INACTIVE (the record stays, with no access).
    Deactivate,
}

impl Governance {
    /// Offboards `agent`, by `actor`, for `reason`: retires its record,
    /// retires its OAuth clients (tokens and grants revoked), ends its JIT
    /// grants, removes its FGA tuples, managed connections and scopes, wipes
    /// its vault entries, and cancels its pending CIBA requests. Returns the
    /// tombstone with the evidence; [`Tombstone::is_complete`] says whether
    /// anything is left to retry.
    pub async fn offboard(
        &self,
        agent: &str,
        actor: &Actor,
        reason: &str,
        retire: Retire,
    ) -> Result<Tombstone, CascadeError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(CascadeError::MissingReason);
        }
        let store = self.authority().store().as_ref();
        let tombstone = match tombstones::get(store, agent)? {
            Some(t) => t,
            None => {
                let facts = agents::agent(self, agent)?
                    .ok_or_else(|| CascadeError::UnknownAgent(agent.to_owned()))?;
                tombstones::create(
                    store,
                    Tombstone {
                        agent: agent.to_owned(),
                        reason: reason.to_owned(),
                        deleted: retire == Retire::Delete,
                        clients: facts.clients,
                        entitlements: facts.entitlements.into_iter().map(|(e, _)| e).collect(),
                        attempts: Vec::new(),
                    },
                )?
            }
        };
        let settled = tombstone.state();
        let todo: Vec<Step> = Step::ALL
            .into_iter()
            .filter(|s| !settled.get(s).is_some_and(StepOutcome::is_settled))
            .collect();
        if todo.is_empty() {
            return Ok(tombstone);
        }
        let mut steps = BTreeMap::new();
        for step in todo {
            let outcome = self.run_step(step, &tombstone, actor, reason).await;
            Decision {
                action: AuditAction::AgentLifecycle,
                outcome: match outcome {
                    StepOutcome::Failed { .. } => Outcome::Error,
                    _ => Outcome::Success,
                },
                actor,
                target: agent,
                reason,
            }
            .record(self.authority(), |e| {
                let e = e.detail("offboarding_step", step.as_str());
                match &outcome {
                    StepOutcome::Done { removed, .. } => e.detail("removed", removed.len()),
                    StepOutcome::Failed { error } => e.detail("error", error.clone()),
                    _ => e.detail("configured", false),
                }
            });
            steps.insert(step, outcome);
        }
        let tombstone = tombstones::add_attempt(
            store,
            agent,
            Attempt {
                at: self.authority().now(),
                actor: actor.to_string(),
                steps,
            },
        )?;
        Decision {
            action: action("offboarded"),
            outcome: if tombstone.is_complete() {
                Outcome::Success
            } else {
                Outcome::Error
            },
            actor,
            target: agent,
            reason,
        }
        .record(self.authority(), |e| {
            e.detail(
                "failed",
                tombstone
                    .failed()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>(),
            )
        });
        Ok(tombstone)
    }

    /// The tombstone of an offboarded agent.
    pub fn tombstone(&self, agent: &str) -> Result<Option<Tombstone>, CascadeError> {
        tombstones::get(self.authority().store().as_ref(), agent)
    }
}
