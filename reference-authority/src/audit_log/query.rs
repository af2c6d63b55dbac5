//! Searching the log: by agent, user, action, outcome, time range, request id.

use super::store::name_of;
use agent_auth::audit::{AuditAction, Outcome};

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

    /// The conditions as (column, operator, value), in a fixed order; every
    /// backend binds the values as parameters (never interpolated). The
    /// `"user"` column is quoted: `user` is a reserved word in PostgreSQL.
    pub(crate) fn conditions(&self) -> Vec<(&'static str, &'static str, QueryValue)> {
        let text = |column, v: &str| (column, "=", QueryValue::Text(v.to_owned()));
        let mut out = Vec::new();
        if let Some(v) = &self.agent {
            out.push(text("agent", v));
        }
        if let Some(v) = &self.user {
            out.push(text("\"user\"", v));
        }
        if let Some(v) = &self.action {
            out.push(text("action", &name_of(v)));
        }
        if let Some(v) = &self.outcome {
            out.push(text("outcome", &name_of(v)));
        }
        if let Some(v) = self.since {
            out.push(("time", ">=", QueryValue::Integer(v)));
        }
        if let Some(v) = self.until {
            out.push(("time", "<", QueryValue::Integer(v)));
        }
        if let Some(v) = &self.request_id {
            out.push(text("request_id", v));
        }
        out
    }

    /// The `AND column op <placeholder>` clause of [`Self::conditions`], with
    /// `placeholder(n)` naming the n-th parameter (from 1).
    pub(crate) fn clause(&self, placeholder: impl Fn(usize) -> String) -> String {
        self.conditions()
            .iter()
            .enumerate()
            .map(|(n, (column, op, _))| format!(" AND {column} {op} {}", placeholder(n + 1)))
            .collect()
    }
}

/// A value a query condition binds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QueryValue {
    /// A text column.
    Text(String),
    /// An integer column.
    Integer(i64),
}
