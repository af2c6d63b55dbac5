//! What governance reads and writes in the agent registry: the agent's
//! status, owners (groups expanded to their members), clients and
//! entitlements in force; grants and revocations by origin; retirement;
//! notices through the registry's notifier.

use super::Governance;
use crate::notify::{Notification, NotifyError};
use crate::registry::{
    Actor, AgentRecord, AgentStatus, Entitlement, GrantOrigin, NewGrant, Principal, RegistryError,
};
use std::collections::BTreeSet;

/// An agent as governance sees it.
#[derive(Debug, Clone)]
pub(crate) struct AgentFacts {
    pub(crate) id: String,
    pub(crate) status: AgentStatus,
    /// People who answer for it: person owners and the members of group owners.
    pub(crate) owners: Vec<String>,
    pub(crate) clients: Vec<String>,
    /// Entitlements in force now, each once, with the origins granting it.
    pub(crate) entitlements: Vec<(Entitlement, Vec<GrantOrigin>)>,
}

impl AgentFacts {
    pub(crate) fn active(&self) -> bool {
        self.status == AgentStatus::Active
    }

    pub(crate) fn deleted(&self) -> bool {
        self.status == AgentStatus::Deleted
    }
}

fn facts(gov: &Governance, record: AgentRecord) -> Result<AgentFacts, RegistryError> {
    let mut owners = BTreeSet::new();
    for owner in &record.owners {
        match owner {
            Principal::Person(id) => {
                owners.insert(id.clone());
            }
            Principal::Group(id) => {
                let group =
                    gov.authority()
                        .directory()
                        .group(id)
                        .map_err(|_| RegistryError::Invalid {
                            field: "owners",
                            problem: "a group could not be read",
                        })?;
                owners.extend(group.into_iter().flat_map(|g| g.members));
            }
            #[allow(unreachable_patterns, reason = "the principal kinds may grow")]
            _ => {}
        }
    }
    let now = gov.authority().now();
    let mut entitlements: Vec<(Entitlement, Vec<GrantOrigin>)> = Vec::new();
    for grant in record.entitlements.into_iter().filter(|g| g.in_force(now)) {
        match entitlements
            .iter_mut()
            .find(|(e, _)| *e == grant.entitlement)
        {
            Some((_, origins)) => origins.push(grant.origin),
            None => entitlements.push((grant.entitlement, vec![grant.origin])),
        }
    }
    Ok(AgentFacts {
        id: record.id,
        status: record.status,
        owners: owners.into_iter().collect(),
        clients: record.clients,
        entitlements,
    })
}

/// One agent, if registered.
pub(crate) fn agent(gov: &Governance, id: &str) -> Result<Option<AgentFacts>, RegistryError> {
    match gov.authority().registry().agent(id)? {
        Some(record) => Ok(Some(facts(gov, record)?)),
        None => Ok(None),
    }
}

/// Every agent, tombstones included.
pub(crate) fn agents(gov: &Governance) -> Result<Vec<AgentFacts>, RegistryError> {
    gov.authority()
        .registry()
        .agents()?
        .into_iter()
        .map(|r| facts(gov, r))
        .collect()
}

/// A short, stable, non-secret label of an entitlement for audit events,
/// notices and reports.
pub(crate) fn label(e: &Entitlement) -> String {
    match e {
        Entitlement::Scope {
            scope,
            resource: Some(r),
        } => format!("scope {scope} @ {r}"),
        Entitlement::Scope { scope, .. } => format!("scope {scope}"),
        Entitlement::ManagedConnection { audience } => format!("managed connection {audience}"),
        Entitlement::VaultConnection { connection } => format!("vault connection {connection}"),
        Entitlement::FgaRelation { object, relation } => format!("{relation} on {object}"),
        Entitlement::DelegatedUser { user_id } => format!("acting for {user_id}"),
        #[allow(unreachable_patterns, reason = "the entitlement kinds may grow")]
        other => format!("{other:?}"),
    }
}

/// Grants `entitlement` to `agent` from `origin`, until `expires` if set.
pub(crate) fn grant(
    gov: &Governance,
    agent: &str,
    entitlement: &Entitlement,
    origin: GrantOrigin,
    expires: Option<i64>,
    actor: &Actor,
) -> Result<(), RegistryError> {
    let mut grant = NewGrant::new(entitlement.clone()).origin(origin);
    if let Some(at) = expires {
        grant = grant.expires(at);
    }
    gov.authority().registry().grant(agent, grant, actor)?;
    Ok(())
}

/// Revokes the grant of `entitlement` from `origin`; `false` when there was none.
pub(crate) fn revoke(
    gov: &Governance,
    agent: &str,
    entitlement: &Entitlement,
    origin: &GrantOrigin,
    actor: &Actor,
) -> Result<bool, RegistryError> {
    match gov
        .authority()
        .registry()
        .revoke(agent, entitlement, origin, actor)
    {
        Ok(_) => Ok(true),
        Err(RegistryError::UnknownGrant(_) | RegistryError::Deleted(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Revokes every grant of `entitlement`, whatever its origin; returns how many.
pub(crate) fn revoke_all_origins(
    gov: &Governance,
    agent: &str,
    entitlement: &Entitlement,
    actor: &Actor,
) -> Result<usize, RegistryError> {
    let origins = self::agent(gov, agent)?
        .and_then(|a| {
            a.entitlements
                .into_iter()
                .find(|(e, _)| e == entitlement)
                .map(|(_, o)| o)
        })
        .unwrap_or_default();
    let mut n = 0;
    for origin in &origins {
        if revoke(gov, agent, entitlement, origin, actor)? {
            n += 1;
        }
    }
    Ok(n)
}

/// Retires the agent: INACTIVE, then DELETED when `delete`. Returns whether
/// anything changed (a retry finds it done).
pub(crate) fn retire(
    gov: &Governance,
    agent: &str,
    delete: bool,
    actor: &Actor,
    reason: &str,
) -> Result<bool, RegistryError> {
    let registry = gov.authority().registry();
    let Some(record) = registry.agent(agent)? else {
        return Err(RegistryError::UnknownAgent(agent.to_owned()));
    };
    let mut changed = false;
    let mut status = record.status;
    if status == AgentStatus::Active {
        status = registry.suspend(agent, Some(reason), actor)?.status;
        changed = true;
    }
    if delete && status != AgentStatus::Deleted {
        // The registry's lifecycle decides (a STAGED agent is refused).
        registry.delete(agent, actor)?;
        changed = true;
    }
    Ok(changed)
}

/// Sends a notice to `recipients` through the configured notifier (the
/// registry's by default).
pub(crate) async fn notify(
    gov: &Governance,
    topic: &str,
    recipients: Vec<String>,
    subject: &str,
    text: String,
) -> Result<(), NotifyError> {
    let Some(notifier) = gov.notifier() else {
        return Err(NotifyError::Delivery("no notifier configured".into()));
    };
    let note = Notification::new(topic, recipients, text, gov.authority().now()).subject(subject);
    notifier.notify(&note).await
}

/// How the agent appears as a user in relationship tuples.
pub(crate) fn fga_subject(agent: &str) -> String {
    format!("agent:{agent}")
}

/// The tuple an FGA-relation entitlement stands for.
pub(crate) fn fga_tuple(agent: &str, e: &Entitlement) -> Option<fga_core::TupleKey> {
    match e {
        Entitlement::FgaRelation { object, relation } => Some(fga_core::TupleKey::new(
            object.clone(),
            relation.clone(),
            fga_subject(agent),
        )),
        _ => None,
    }
}
