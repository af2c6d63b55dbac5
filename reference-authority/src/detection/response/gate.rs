//! The gates the responder sets on agents, which the PDP source reads.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

/// What an agent may do while its risk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Gate {
    /// Every action needs a human approval.
    Approval,
    /// Nothing is allowed.
    Blocked,
}

/// The gates, by agent client id. Clones share them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gates(Arc<RwLock<HashMap<String, Gate>>>);

impl Gates {
    pub(crate) fn get(&self, agent: &str) -> Option<Gate> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(agent)
            .copied()
    }

    /// Raises the gate of `agent` to at least `gate`.
    pub(crate) fn raise(&self, agent: &str, gate: Gate) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let entry = map.entry(agent.to_owned()).or_insert(gate);
        *entry = (*entry).max(gate);
    }

    pub(crate) fn lift(&self, agent: &str) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(agent);
    }
}
