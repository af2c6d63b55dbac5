//! Provisioning an agent from a template (the link is kept) and unlinking it.

use super::error::TemplateError;
use super::records;
use crate::governance::audit::{Decision, action};
use crate::governance::{Governance, agents};
use crate::registry::{Actor, Entitlement, GrantOrigin};
use agent_auth::audit::{AuditAction, Outcome};

impl Governance {
    /// Provisions `agent` from template `name`: links it and grants exactly
    /// the template's entitlements (origin: the template). Linking again is
    /// harmless. Returns what the agent now holds from the template.
    pub fn provision_from_template(
        &self,
        agent: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<Vec<Entitlement>, TemplateError> {
        let facts = agents::agent(self, agent)
            .map_err(|e| TemplateError::Registry(e.to_string()))?
            .ok_or_else(|| TemplateError::UnknownAgent(agent.to_owned()))?;
        if facts.deleted() {
            return Err(TemplateError::AgentDeleted(agent.to_owned()));
        }
        let store = self.authority().store().as_ref();
        let template = records::modify(store, name, |r| {
            r.agents.insert(agent.to_owned());
            Ok(r.template.clone())
        })?;
        for e in &template.entitlements {
            if let Err(err) = agents::grant(self, agent, e, origin(name), None, actor) {
                // Undo: nothing of a refused provisioning stays.
                for granted in &template.entitlements {
                    let _ = agents::revoke(self, agent, granted, &origin(name), actor);
                }
                let _ = records::modify(store, name, |r| {
                    r.agents.remove(agent);
                    Ok(())
                });
                return Err(TemplateError::Registry(err.to_string()));
            }
        }
        Decision {
            action: AuditAction::AgentLifecycle,
            outcome: Outcome::Success,
            actor,
            target: agent,
            reason: "provisioned from template",
        }
        .record(self.authority(), |e| {
            e.detail("template", name.to_owned()).detail(
                "entitlements",
                template
                    .entitlements
                    .iter()
                    .map(agents::label)
                    .collect::<Vec<_>>(),
            )
        });
        Ok(template.entitlements)
    }

    /// Unlinks `agent` from template `name` and removes what it held from it.
    pub fn unlink_template(
        &self,
        agent: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<(), TemplateError> {
        let store = self.authority().store().as_ref();
        let template = records::modify(store, name, |r| {
            if !r.agents.remove(agent) {
                return Err(TemplateError::NotLinked(agent.to_owned()));
            }
            Ok(r.template.clone())
        })?;
        for e in &template.entitlements {
            agents::revoke(self, agent, e, &origin(name), actor)
                .map_err(|err| TemplateError::Registry(err.to_string()))?;
        }
        Decision {
            action: action("template_unlinked"),
            outcome: Outcome::Success,
            actor,
            target: agent,
            reason: "unlinked",
        }
        .record(self.authority(), |e| e.detail("template", name.to_owned()));
        Ok(())
    }
}

/// The registry origin of a template's grants.
pub(super) fn origin(template: &str) -> GrantOrigin {
    GrantOrigin::Template(template.to_owned())
}
