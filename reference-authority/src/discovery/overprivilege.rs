//! Over-privilege: what each registered agent holds but did not use within
//! a window (granted minus used), as input to access reviews.

use super::Discovery;
use crate::Authority;
use crate::registry::{AgentStatus, Entitlement, RegistryError};
use serde::Serialize;

/// An agent's entitlements unused since the start of the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OverPrivilege {
    /// The agent.
    pub agent_id: String,
    /// Granted and in force, but not used by any of its clients since `since`.
    pub unused: Vec<Entitlement>,
    /// How many entitlements it holds in all.
    pub granted: usize,
}

impl Discovery {
    /// For every registered agent that is not deleted: its entitlements in
    /// force at the authority's time and never used by its clients since
    /// `since` (scopes from tokens issued, resources and FGA objects from
    /// guard decisions, vault connections from vault reads, managed
    /// connections from exchanges, users from on-behalf-of activity).
    /// Agents using everything they hold are left out.
    pub fn over_privilege(
        &self,
        authority: &Authority,
        since: i64,
    ) -> Result<Vec<OverPrivilege>, RegistryError> {
        let now = authority.now();
        let evidence = self.evidence();
        let mut out = Vec::new();
        for agent in authority.registry().agents()? {
            if agent.status == AgentStatus::Deleted {
                continue;
            }
            let held: Vec<&Entitlement> = agent
                .entitlements
                .iter()
                .filter(|g| g.in_force(now))
                .map(|g| &g.entitlement)
                .collect();
            let used = |key: &str| {
                agent
                    .clients
                    .iter()
                    .filter_map(|c| evidence.get(c))
                    .any(|ev| ev.used_since(key, since))
            };
            let mut unused: Vec<Entitlement> = held
                .iter()
                .filter(|e| !keys(e).iter().any(|k| used(k)))
                .map(|e| (*e).clone())
                .collect();
            unused.dedup();
            if !unused.is_empty() {
                out.push(OverPrivilege {
                    agent_id: agent.id.clone(),
                    unused,
                    granted: held.len(),
                });
            }
        }
        Ok(out)
    }
}

/// The evidence keys that show an entitlement in use.
fn keys(e: &Entitlement) -> Vec<String> {
    match e {
        Entitlement::Scope { scope, .. } => vec![format!("scope:{scope}")],
        Entitlement::ManagedConnection { audience } => vec![format!("audience:{audience}")],
        Entitlement::VaultConnection { connection } => vec![format!("vault:{connection}")],
        Entitlement::FgaRelation { object, .. } => {
            vec![format!("fga:{object}"), format!("resource:{object}")]
        }
        Entitlement::DelegatedUser { user_id } => vec![format!("user:{user_id}")],
    }
}
