//! Defining, reading and removing templates.

use super::error::TemplateError;
use super::records;
use super::template::{RoleTemplate, TemplateRecord};
use crate::governance::audit::{Decision, action};
use crate::governance::{Governance, agents};
use crate::registry::Actor;
use agent_auth::audit::Outcome;
use std::collections::BTreeSet;

/// Refuses a bad name or a list with no or repeated entitlements.
pub(super) fn check(template: &RoleTemplate) -> Result<(), TemplateError> {
    let name = template.name.as_str();
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(TemplateError::InvalidName);
    }
    check_entitlements(&template.entitlements)
}

pub(super) fn check_entitlements(
    entitlements: &[crate::registry::Entitlement],
) -> Result<(), TemplateError> {
    let unique = entitlements
        .iter()
        .enumerate()
        .all(|(i, e)| !entitlements.iter().take(i).any(|x| x == e));
    if entitlements.is_empty() || !unique {
        return Err(TemplateError::InvalidEntitlements);
    }
    Ok(())
}

impl Governance {
    /// Defines a template. Refused when the name is taken or invalid, or the
    /// entitlements are empty or repeated.
    pub fn define_template(
        &self,
        template: RoleTemplate,
        actor: &Actor,
    ) -> Result<(), TemplateError> {
        check(&template)?;
        let name = template.name.clone();
        let labels: Vec<String> = template.entitlements.iter().map(agents::label).collect();
        records::create(
            self.authority().store().as_ref(),
            TemplateRecord {
                template,
                version: 1,
                agents: BTreeSet::new(),
            },
        )?;
        Decision {
            action: action("template_defined"),
            outcome: Outcome::Success,
            actor,
            target: &name,
            reason: "defined",
        }
        .record(self.authority(), |e| e.detail("entitlements", labels));
        Ok(())
    }

    /// A template and its version.
    pub fn template(&self, name: &str) -> Result<(RoleTemplate, u64), TemplateError> {
        let record = records::get(self.authority().store().as_ref(), name)?;
        Ok((record.template, record.version))
    }

    /// The agents linked to a template.
    pub fn template_agents(&self, name: &str) -> Result<Vec<String>, TemplateError> {
        let record = records::get(self.authority().store().as_ref(), name)?;
        Ok(record.agents.into_iter().collect())
    }

    /// The templates `agent` is linked to.
    pub fn templates_of(&self, agent: &str) -> Result<Vec<String>, TemplateError> {
        Ok(records::all(self.authority().store().as_ref())?
            .into_iter()
            .filter(|r| r.agents.contains(agent))
            .map(|r| r.template.name)
            .collect())
    }

    /// Removes a template no agent is linked to.
    pub fn remove_template(&self, name: &str, actor: &Actor) -> Result<(), TemplateError> {
        let store = self.authority().store().as_ref();
        let linked = records::get(store, name)?.agents.len();
        if linked > 0 {
            return Err(TemplateError::InUse(linked));
        }
        records::delete(store, name)?;
        Decision {
            action: action("template_removed"),
            outcome: Outcome::Success,
            actor,
            target: name,
            reason: "removed",
        }
        .record(self.authority(), |e| e);
        Ok(())
    }
}
