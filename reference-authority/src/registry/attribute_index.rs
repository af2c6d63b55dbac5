//! The attribute indexes behind [`Registry::lookup`](super::Registry::lookup):
//! folded name, external id and owner, activity and last change, of the
//! agents that are not deleted.

use super::lookup::{AgentLookup, fold};
use super::model::{AgentRecord, AgentStatus, Principal};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The indexes (each maps a key to agent ids).
#[derive(Debug, Default)]
pub(crate) struct AttributeIndex {
    names: BTreeMap<String, BTreeSet<String>>,
    external_ids: HashMap<String, BTreeSet<String>>,
    owners: HashMap<String, BTreeSet<String>>,
    active: BTreeSet<String>,
    inactive: BTreeSet<String>,
    updated: BTreeMap<i64, BTreeSet<String>>,
}

fn owner_id(owner: &Principal) -> &str {
    match owner {
        Principal::Person(id) | Principal::Group(id) => id,
    }
}

impl AttributeIndex {
    /// Adds `agent` (a tombstone adds nothing).
    pub(crate) fn insert(&mut self, agent: &AgentRecord) {
        if agent.status == AgentStatus::Deleted {
            return;
        }
        let id = || agent.id.clone();
        self.names
            .entry(fold(&agent.name))
            .or_default()
            .insert(id());
        if let Some(x) = &agent.external_id {
            self.external_ids.entry(fold(x)).or_default().insert(id());
        }
        for owner in &agent.owners {
            self.owners
                .entry(fold(owner_id(owner)))
                .or_default()
                .insert(id());
        }
        if agent.status == AgentStatus::Active {
            self.active.insert(id());
        } else {
            self.inactive.insert(id());
        }
        self.updated
            .entry(agent.meta.updated)
            .or_default()
            .insert(id());
    }

    /// Removes what `agent` (the record as it was indexed) added.
    pub(crate) fn remove(&mut self, agent: &AgentRecord) {
        let id = agent.id.as_str();
        remove_from(&mut self.names, fold(&agent.name), id);
        if let Some(x) = &agent.external_id {
            remove_from(&mut self.external_ids, fold(x), id);
        }
        for owner in &agent.owners {
            remove_from(&mut self.owners, fold(owner_id(owner)), id);
        }
        self.active.remove(id);
        self.inactive.remove(id);
        remove_from(&mut self.updated, agent.meta.updated, id);
    }

    /// The ids answering `lookup`, in id order.
    pub(crate) fn find(&self, lookup: &AgentLookup) -> Vec<String> {
        let found: BTreeSet<&String> = match lookup {
            AgentLookup::Name(name) => self.names.get(&fold(name)).into_iter().flatten().collect(),
            AgentLookup::NamePrefix(prefix) => {
                let prefix = fold(prefix);
                self.names
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .flat_map(|(_, ids)| ids)
                    .collect()
            }
            AgentLookup::ExternalId(x) => self
                .external_ids
                .get(&fold(x))
                .into_iter()
                .flatten()
                .collect(),
            AgentLookup::Owner(o) => self.owners.get(&fold(o)).into_iter().flatten().collect(),
            AgentLookup::Active(true) => self.active.iter().collect(),
            AgentLookup::Active(false) => self.inactive.iter().collect(),
            AgentLookup::UpdatedSince(t) => {
                self.updated.range(t..).flat_map(|(_, ids)| ids).collect()
            }
        };
        found.into_iter().cloned().collect()
    }
}

/// Takes `id` out of the set at `key`, dropping the set when it empties.
trait Sets<K> {
    fn set_mut(&mut self, key: &K) -> Option<&mut BTreeSet<String>>;
    fn drop_key(&mut self, key: &K);
}

impl<K: Ord> Sets<K> for BTreeMap<K, BTreeSet<String>> {
    fn set_mut(&mut self, key: &K) -> Option<&mut BTreeSet<String>> {
        self.get_mut(key)
    }
    fn drop_key(&mut self, key: &K) {
        self.remove(key);
    }
}

impl<K: std::hash::Hash + Eq> Sets<K> for HashMap<K, BTreeSet<String>> {
    fn set_mut(&mut self, key: &K) -> Option<&mut BTreeSet<String>> {
        self.get_mut(key)
    }
    fn drop_key(&mut self, key: &K) {
        self.remove(key);
    }
}

fn remove_from<K>(map: &mut impl Sets<K>, key: K, id: &str) {
    if let Some(set) = map.set_mut(&key) {
        set.remove(id);
        if set.is_empty() {
            map.drop_key(&key);
        }
    }
}
