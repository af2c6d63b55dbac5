//! A role template: a named bundle of entitlements, and the agents linked to it.

use crate::registry::Entitlement;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A named bundle of entitlements (scopes, managed connections, vault
/// connections, FGA relations). Agents provisioned from it are linked to it:
/// changing the template changes them all.
///
/// ```
/// use reference_authority::governance::templates::RoleTemplate;
/// use reference_authority::registry::Entitlement;
///
/// let sales = RoleTemplate::new("sales-assistant")
///     .describe("reads the CRM, drafts proposals")
///     .entitlement(Entitlement::scope("crm:read", "https://crm.example"))
///     .entitlement(Entitlement::scope("docs:write", "https://crm.example"));
/// assert_eq!(sales.entitlements().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleTemplate {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) entitlements: Vec<Entitlement>,
}

impl RoleTemplate {
    /// An empty template named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            entitlements: Vec::new(),
        }
    }

    /// What the role is for.
    #[must_use]
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds an entitlement.
    #[must_use]
    pub fn entitlement(mut self, entitlement: Entitlement) -> Self {
        self.entitlements.push(entitlement);
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The entitlements.
    pub fn entitlements(&self) -> &[Entitlement] {
        &self.entitlements
    }
}

/// A stored template with its version and links.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TemplateRecord {
    pub(crate) template: RoleTemplate,
    pub(crate) version: u64,
    pub(crate) agents: BTreeSet<String>,
}

/// What changing a template did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateChange {
    /// The template's new version.
    pub version: u64,
    /// Entitlements added to every linked agent.
    pub added: Vec<Entitlement>,
    /// Entitlements removed from every linked agent.
    pub removed: Vec<Entitlement>,
    /// The linked agents the change reached.
    pub agents: Vec<String>,
    /// Linked agents the registry refused to change, with why.
    pub failures: Vec<(String, String)>,
}
