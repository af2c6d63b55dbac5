//! Searching the log: by agent, user, action, outcome, time range, request id.

use super::storage::name_of;
use agent_auth::audit::{AuditAction, Outcome};
use rusqlite::types::Value;

/// The default and the largest number of results of one query.
const DEFAULT_LIMIT: u32 = 1000;

/// A filter over logged events; every set field must match.
///
/// ```
/// use reference_authority::audit_log::AuditQuery;
/// use agent_auth::audit::Outcome;
/// let q = AuditQuery::new().agent("sales-agent-prod-001").outcome(Outcome::Denied).since(1_700_000_000);
/// # let _ = q;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    agent: Option<String>,
    user: Option<String>,
    action: Option<AuditAction>,
    outcome: Option<Outcome>,
    since: Option<i64>,
    until: Option<i64>,
    request_id: Option<String>,
    limit: Option<u32>,
}

impl AuditQuery {
    /// Matches everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events of this agent.
    #[must_use]
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = Some(agent.into());
        self
    }

    /// Events for this user.
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Events of this action.
    #[must_use]
    pub fn action(mut self, action: AuditAction) -> Self {
        self.action = Some(action);
        self
    }

    /// Events with this outcome.
    #[must_use]
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    /// Events at or after `time` (seconds since the epoch).
    #[must_use]
    pub fn since(mut self, time: i64) -> Self {
        self.since = Some(time);
        self
    }

    /// Events before `time` (exclusive).
    #[must_use]
    pub fn until(mut self, time: i64) -> Self {
        self.until = Some(time);
        self
    }

    /// Events of one request.
    #[must_use]
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// At most `limit` results (capped at 1000).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    pub(crate) fn limit_or_default(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).min(DEFAULT_LIMIT)
    }

    /// The `AND ...` clause and its bound values (never interpolated).
    pub(crate) fn to_sql(&self) -> (String, Vec<Value>) {
        let mut clause = String::new();
        let mut values = Vec::new();
        let mut add = |column: &str, op: &str, value: Value| {
            clause.push_str(&format!(" AND {column} {op} ?"));
            values.push(value);
        };
        if let Some(v) = &self.agent {
            add("agent", "=", Value::Text(v.clone()));
        }
        if let Some(v) = &self.user {
            add("user", "=", Value::Text(v.clone()));
        }
        if let Some(v) = &self.action {
            add("action", "=", Value::Text(name_of(v)));
        }
        if let Some(v) = &self.outcome {
            add("outcome", "=", Value::Text(name_of(v)));
        }
        if let Some(v) = self.since {
            add("time", ">=", Value::Integer(v));
        }
        if let Some(v) = self.until {
            add("time", "<", Value::Integer(v));
        }
        if let Some(v) = &self.request_id {
            add("request_id", "=", Value::Text(v.clone()));
        }
        (clause, values)
    }
}
