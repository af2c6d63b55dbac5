//! Audit events: what happened, to whom, on whose behalf, with what outcome.

use serde::Serialize;
use serde_json::{Map, Value};

/// What kind of security decision an event records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditAction {
    /// A user or agent proved who it is (password, federation, assertion).
    Authentication,
    /// A second factor was checked.
    MultiFactor,
    /// A client failed to authenticate at an endpoint.
    ClientAuthentication,
    /// A token was issued.
    TokenIssued,
    /// A token was refreshed.
    TokenRefreshed,
    /// A token was exchanged for another (RFC 8693, ID-JAG).
    TokenExchanged,
    /// A token was revoked.
    TokenRevoked,
    /// A token was presented and validated (or refused).
    TokenValidated,
    /// A credential was read from, written to or refreshed in the vault.
    VaultAccess,
    /// An authorization decision on protected data.
    AuthorizationDecision,
    /// A human approval was requested.
    ApprovalRequested,
    /// A human approval was granted, denied or expired.
    ApprovalDecided,
    /// A session ended, or every session of a subject ended (universal logout).
    Logout,
    /// An agent was registered, changed or retired.
    AgentLifecycle,
    /// Risk of an agent changed.
    RiskChanged,
    /// Signing keys were rotated.
    KeyRotated,
    /// An action defined by an extension (the name is its own).
    Other(String),
}

/// How a decision ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Allowed, or done.
    Success,
    /// Refused by policy or by a failed check.
    Denied,
    /// Could not be decided (an error on the way).
    Error,
}

/// One security decision.
///
/// The fields hold identifiers and reasons only: never a token, a secret or key
/// material. `details` is for small non-secret facts (scopes, audience, counts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// Seconds since the Unix epoch, from the component's clock.
    pub time: i64,
    /// What was decided.
    pub action: AuditAction,
    /// How it ended.
    pub outcome: Outcome,
    /// The agent that acted (client id or registered agent id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The user the agent acted for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The issuer (trust domain) that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Why, for refusals and errors: a short machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Further non-secret facts.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl AuditEvent {
    /// A new event at `time`.
    pub fn new(time: i64, action: AuditAction, outcome: Outcome) -> Self {
        Self {
            time,
            action,
            outcome,
            agent: None,
            user: None,
            issuer: None,
            reason: None,
            details: Map::new(),
        }
    }

    /// Names the acting agent.
    #[must_use]
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = Some(agent.into());
        self
    }

    /// Names the user the agent acts for.
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Names the deciding issuer.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Gives the reason of a refusal or error.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Adds a non-secret detail.
    #[must_use]
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}
