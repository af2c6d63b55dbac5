//! The one way an agent record changes: store it, re-index it, audit it and
//! tell the subscribers; and the audit of refusals.

use super::error::RegistryError;
use super::events::RegistryEvent;
use super::model::{Actor, AgentRecord};
use super::{Registry, store};
use agent_auth::audit::{AuditAction, Outcome};

impl Registry<'_> {
    /// Writes `after` (replacing `before`), then indexes, audits and emits.
    /// Call with the write lock held. A failed store write changes nothing.
    pub(crate) fn commit(
        &self,
        before: Option<&AgentRecord>,
        after: &AgentRecord,
        change: &str,
        actor: &Actor,
        event: RegistryEvent,
    ) -> Result<(), RegistryError> {
        store::save(self.authority, after)?;
        if self
            .state()
            .write(self.authority, |i| i.replace(before, after))
            .is_err()
        {
            self.state().invalidate();
        }
        self.authority
            .audit(AuditAction::AgentLifecycle, Outcome::Success, |e| {
                e.agent(after.id.clone())
                    .detail("change", change.to_owned())
                    .detail("actor", actor.to_string())
                    .detail("status", after.status.as_str())
                    .detail("version", after.meta.version)
            });
        self.state().emit(event);
        Ok(())
    }

    /// Audits a refused or failed change to `agent_id`, and passes the result on.
    pub(crate) fn audited<T>(
        &self,
        agent_id: &str,
        change: &str,
        actor: &Actor,
        result: Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        if let Err(error) = &result {
            let outcome = match error {
                RegistryError::Store(_) | RegistryError::Authority(_) => Outcome::Error,
                _ => Outcome::Denied,
            };
            self.authority
                .audit(AuditAction::AgentLifecycle, outcome, |e| {
                    e.agent(agent_id.to_owned())
                        .reason(error.to_string())
                        .detail("change", change.to_owned())
                        .detail("actor", actor.to_string())
                });
        }
        result
    }
}
