//! Each agent's last activity, kept by following the audit log (an observer
//! of the log, so it costs one map update per event).

use agent_auth::audit::{AuditEvent, AuditSink};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Last event time per agent (client id).
#[derive(Debug, Clone, Default)]
pub(super) struct Activity {
    last: Arc<Mutex<HashMap<String, i64>>>,
}

impl Activity {
    /// When the client `agent` last appeared in the log, if ever.
    pub(super) fn last(&self, agent: &str) -> Option<i64> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(agent)
            .copied()
    }
}

impl AuditSink for Activity {
    fn record(&self, event: &AuditEvent) {
        if let Some(agent) = &event.agent {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let t = last.entry(agent.clone()).or_insert(event.time);
            *t = (*t).max(event.time);
        }
    }
}
