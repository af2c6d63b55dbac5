//! In-memory indexes over the stored agents, so that lookups by client, by
//! sponsor, by owner and by resource cost what they return, not the size of
//! the registry. Rebuilt from the store on first use; kept in step with
//! every write (writes are serialized by the registry's write lock).

use super::attribute_index::AttributeIndex;
use super::entitlement::Resource;
use super::model::{AgentRecord, AgentStatus, Principal};
use super::reach::ClientReach;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The indexes.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Client id -> the agent it is linked to (tombstones included: a
    /// deleted agent's clients stay bound to it).
    pub(crate) by_client: HashMap<String, String>,
    /// Sponsor -> agents they sponsor (deleted agents left out).
    pub(crate) by_sponsor: HashMap<String, BTreeSet<String>>,
    /// Owner -> agents they own (deleted agents left out).
    pub(crate) by_owner: HashMap<Principal, BTreeSet<String>>,
    /// Parent -> child agents.
    pub(crate) children: HashMap<String, BTreeSet<String>>,
    /// Resource -> agent -> the expiries of its grants reaching it
    /// (`None`: until revoked).
    pub(crate) by_resource: HashMap<Resource, BTreeMap<String, Vec<Option<i64>>>>,
    /// What clients reach through the authority's records.
    pub(crate) reach: ClientReach,
    /// Name, external id, owner, activity and last change.
    pub(crate) attributes: AttributeIndex,
}

impl Index {
    /// Adds what `agent` contributes.
    pub(crate) fn insert(&mut self, agent: &AgentRecord) {
        for client in &agent.clients {
            self.by_client.insert(client.clone(), agent.id.clone());
        }
        if let Some(tomb) = &agent.tombstone {
            for client in &tomb.client_ids {
                self.by_client.insert(client.clone(), agent.id.clone());
            }
        }
        if let Some(parent) = &agent.parent {
            self.children
                .entry(parent.clone())
                .or_default()
                .insert(agent.id.clone());
        }
        if agent.status == AgentStatus::Deleted {
            return;
        }
        self.attributes.insert(agent);
        for sponsor in &agent.sponsors {
            self.by_sponsor
                .entry(sponsor.clone())
                .or_default()
                .insert(agent.id.clone());
        }
        for owner in &agent.owners {
            self.by_owner
                .entry(owner.clone())
                .or_default()
                .insert(agent.id.clone());
        }
        for grant in &agent.entitlements {
            self.by_resource
                .entry(grant.entitlement.resource())
                .or_default()
                .entry(agent.id.clone())
                .or_default()
                .push(grant.expires);
        }
    }

    /// Removes what `agent` contributed (the record as it was indexed).
    pub(crate) fn remove(&mut self, agent: &AgentRecord) {
        let linked = agent
            .clients
            .iter()
            .chain(agent.tombstone.iter().flat_map(|t| t.client_ids.iter()));
        for client in linked {
            if self.by_client.get(client) == Some(&agent.id) {
                self.by_client.remove(client);
            }
        }
        if let Some(parent) = &agent.parent {
            remove_from(&mut self.children, parent, &agent.id);
        }
        self.attributes.remove(agent);
        for sponsor in &agent.sponsors {
            remove_from(&mut self.by_sponsor, sponsor, &agent.id);
        }
        for owner in &agent.owners {
            remove_from(&mut self.by_owner, owner, &agent.id);
        }
        for grant in &agent.entitlements {
            let resource = grant.entitlement.resource();
            if let Some(agents) = self.by_resource.get_mut(&resource) {
                agents.remove(&agent.id);
                if agents.is_empty() {
                    self.by_resource.remove(&resource);
                }
            }
        }
    }

    /// Replaces `before` (if any) by `after`.
    pub(crate) fn replace(&mut self, before: Option<&AgentRecord>, after: &AgentRecord) {
        if let Some(before) = before {
            self.remove(before);
        }
        self.insert(after);
    }

    /// The agents with a grant in force at `now` reaching `resource`.
    pub(crate) fn reaching(&self, resource: &Resource, now: i64) -> Vec<String> {
        self.by_resource
            .get(resource)
            .map(|agents| {
                agents
                    .iter()
                    .filter(|(_, expiries)| expiries.iter().any(|e| e.is_none_or(|e| now < e)))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn remove_from<K: std::hash::Hash + Eq>(map: &mut HashMap<K, BTreeSet<String>>, key: &K, id: &str) {
    if let Some(set) = map.get_mut(key) {
        set.remove(id);
        if set.is_empty() {
            map.remove(key);
        }
    }
}
