//! Granting and revoking entitlements. The agent's record is where grants
//! live; each grant is keyed by its entitlement and its origin, so that the
//! same entitlement granted directly and by a template are two grants.

use super::Registry;
use super::entitlement::{Entitlement, EntitlementGrant, GrantOrigin, NewGrant};
use super::error::RegistryError;
use super::events::{AgentChange, RegistryEvent};
use super::model::{Actor, AgentRecord};

impl Registry<'_> {
    /// Grants an entitlement (replacing a grant of the same entitlement and
    /// origin, so its expiry can be renewed). Not for deleted agents.
    pub fn grant(
        &self,
        id: &str,
        grant: NewGrant,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        let result = (|| {
            let _write = self.state().lock();
            self.check_entitlement(&grant.entitlement)?;
            let before = self.live(id, None)?;
            let now = self.authority.now();
            if grant.expires.is_some_and(|e| e <= now) {
                return Err(RegistryError::Invalid {
                    field: "expires",
                    problem: "in the past",
                });
            }
            let record = EntitlementGrant {
                entitlement: grant.entitlement,
                origin: grant.origin,
                granted: now,
                granted_by: actor.clone(),
                expires: grant.expires,
            };
            let mut after = before.clone();
            after
                .entitlements
                .retain(|g| !(g.entitlement == record.entitlement && g.origin == record.origin));
            after.entitlements.push(record.clone());
            after.meta.touch(now, actor);
            let event = RegistryEvent::AgentUpdated {
                agent_id: id.to_owned(),
                version: after.meta.version,
                change: AgentChange::EntitlementGranted(record),
                actor: actor.clone(),
                time: now,
            };
            self.commit(Some(&before), &after, "entitlement_granted", actor, event)?;
            Ok(after)
        })();
        self.audited(id, "grant", actor, result)
    }

    /// Revokes the grant of `entitlement` from `origin`.
    pub fn revoke(
        &self,
        id: &str,
        entitlement: &Entitlement,
        origin: &GrantOrigin,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        let result = {
            let _write = self.state().lock();
            self.revoke_locked(id, entitlement, origin, actor)
        };
        self.audited(id, "revoke", actor, result)
    }

    /// Revokes every grant from `origin` (a template withdrawn, an elevation
    /// ended), as one change that no other write interleaves with; returns
    /// how many there were.
    pub fn revoke_origin(
        &self,
        id: &str,
        origin: &GrantOrigin,
        actor: &Actor,
    ) -> Result<usize, RegistryError> {
        let result = {
            let _write = self.state().lock();
            (|| {
                let held: Vec<Entitlement> = self
                    .live(id, None)?
                    .entitlements
                    .into_iter()
                    .filter(|g| &g.origin == origin)
                    .map(|g| g.entitlement)
                    .collect();
                for entitlement in &held {
                    self.revoke_locked(id, entitlement, origin, actor)?;
                }
                Ok(held.len())
            })()
        };
        self.audited(id, "revoke_origin", actor, result)
    }

    fn revoke_locked(
        &self,
        id: &str,
        entitlement: &Entitlement,
        origin: &GrantOrigin,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        let before = self.live(id, None)?;
        let Some(revoked) = before
            .entitlements
            .iter()
            .find(|g| &g.entitlement == entitlement && &g.origin == origin)
            .cloned()
        else {
            return Err(RegistryError::UnknownGrant(id.to_owned()));
        };
        let mut after = before.clone();
        after
            .entitlements
            .retain(|g| !(&g.entitlement == entitlement && &g.origin == origin));
        let now = self.authority.now();
        after.meta.touch(now, actor);
        let event = RegistryEvent::AgentUpdated {
            agent_id: id.to_owned(),
            version: after.meta.version,
            change: AgentChange::EntitlementRevoked(revoked),
            actor: actor.clone(),
            time: now,
        };
        self.commit(Some(&before), &after, "entitlement_revoked", actor, event)?;
        Ok(after)
    }

    /// The grants of an agent in force now (expired grants left out; none
    /// for a deleted agent).
    pub fn entitlements(&self, id: &str) -> Result<Vec<EntitlementGrant>, RegistryError> {
        let agent = self
            .agent(id)?
            .ok_or_else(|| RegistryError::UnknownAgent(id.to_owned()))?;
        let now = self.authority.now();
        Ok(agent
            .entitlements
            .into_iter()
            .filter(|g| g.in_force(now))
            .collect())
    }

    fn check_entitlement(&self, entitlement: &Entitlement) -> Result<(), RegistryError> {
        let empty = |s: &str| s.trim().is_empty();
        let bad = match entitlement {
            Entitlement::Scope { scope, resource } => {
                empty(scope) || scope.contains(' ') || resource.as_deref().is_some_and(empty)
            }
            Entitlement::ManagedConnection { audience } => empty(audience),
            Entitlement::VaultConnection { connection } => empty(connection),
            Entitlement::FgaRelation { object, relation } => {
                empty(relation) || !object.contains(':')
            }
            Entitlement::DelegatedUser { user_id } => {
                if self.authority.user(user_id)?.is_none() {
                    return Err(RegistryError::UnknownPerson(user_id.clone()));
                }
                false
            }
        };
        if bad {
            return Err(RegistryError::Invalid {
                field: "entitlement",
                problem: "an empty or malformed part",
            });
        }
        Ok(())
    }
}
