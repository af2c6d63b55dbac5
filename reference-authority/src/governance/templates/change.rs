//! Changing a template: the new bundle reaches every linked agent at once
//! (entitlements added are granted, entitlements dropped are revoked where
//! the template was their origin), each change audited.

use super::define::check_entitlements;
use super::error::TemplateError;
use super::link::origin;
use super::records;
use super::template::TemplateChange;
use crate::governance::audit::{Decision, action};
use crate::governance::{Governance, agents};
use crate::registry::{Actor, Entitlement};
use agent_auth::audit::Outcome;

impl Governance {
    /// Replaces the entitlements of template `name` and propagates the
    /// difference to every linked agent.
    pub fn update_template(
        &self,
        name: &str,
        entitlements: Vec<Entitlement>,
        actor: &Actor,
        reason: &str,
    ) -> Result<TemplateChange, TemplateError> {
        check_entitlements(&entitlements)?;
        let store = self.authority().store().as_ref();
        let (old, version, agents) = records::modify(store, name, |r| {
            let old = std::mem::replace(&mut r.template.entitlements, entitlements.clone());
            r.version = r.version.saturating_add(1);
            Ok((old, r.version, r.agents.clone()))
        })?;
        let added: Vec<Entitlement> = entitlements
            .iter()
            .filter(|e| !old.contains(e))
            .cloned()
            .collect();
        let removed: Vec<Entitlement> = old
            .iter()
            .filter(|e| !entitlements.contains(e))
            .cloned()
            .collect();
        Decision {
            action: action("template_changed"),
            outcome: Outcome::Success,
            actor,
            target: name,
            reason,
        }
        .record(self.authority(), |e| {
            e.detail("version", version)
                .detail("added", added.iter().map(agents::label).collect::<Vec<_>>())
                .detail(
                    "removed",
                    removed.iter().map(agents::label).collect::<Vec<_>>(),
                )
                .detail("agents", agents.len())
        });
        let mut change = TemplateChange {
            version,
            added: added.clone(),
            removed: removed.clone(),
            agents: Vec::new(),
            failures: Vec::new(),
        };
        for agent in agents {
            let result = added
                .iter()
                .try_for_each(|e| agents::grant(self, &agent, e, origin(name), None, actor))
                .and_then(|()| {
                    removed.iter().try_for_each(|e| {
                        agents::revoke(self, &agent, e, &origin(name), actor).map(|_| ())
                    })
                });
            let outcome = if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Error
            };
            Decision {
                action: action("template_propagated"),
                outcome,
                actor,
                target: &agent,
                reason,
            }
            .record(self.authority(), |e| {
                e.detail("template", name.to_owned())
                    .detail("version", version)
            });
            match result {
                Ok(()) => change.agents.push(agent),
                Err(e) => change.failures.push((agent, e.to_string())),
            }
        }
        Ok(change)
    }
}
