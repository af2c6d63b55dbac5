//! Audit events: what happened, to whom, on whose behalf, with what outcome.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What kind of security decision an event records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
/// material. `details` is for small non-secret facts (scopes, audience, counts);
/// a value that must be matched later without being stored goes in as a keyed
/// hash ([`AuditHashKey`](super::AuditHashKey)).
///
/// The actor is the `agent`, the `user` it acts for and, when the agent acts
/// through others, the `on_behalf_of` chain (RFC 8693 `act` claims, outermost
/// actor first).
///
/// ```
/// use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
///
/// let event = AuditEvent::new(1_700_000_000, AuditAction::AuthorizationDecision, Outcome::Denied)
///     .agent("sales-agent-prod-001")
///     .user("sarah")
///     .target("pricing://executive-discounts")
///     .token_jti("at-123")
///     .request_id("req-9")
///     .reason("fga_denied");
/// let json = serde_json::to_value(&event)?;
/// assert_eq!(json["target"], "pricing://executive-discounts");
/// let back: AuditEvent = serde_json::from_value(json)?;
/// assert_eq!(back, event);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    /// A unique id of the event, set by the emitter or by a shipping sink
    /// before the event leaves the process; the log deduplicates on it, so a
    /// batch sent twice is recorded once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The actors the agent acts through, outermost first (RFC 8693 section
    /// 4.1 `act` chain): empty when the agent acts directly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_behalf_of: Vec<String>,
    /// What was acted on: a resource URI, a tool name, an FGA object, a client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The `jti` of the token presented or issued (an identifier, never the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_jti: Option<String>,
    /// The request this decision belongs to, to follow one action across components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
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
            id: None,
            on_behalf_of: Vec::new(),
            target: None,
            token_jti: None,
            request_id: None,
        }
    }

    /// Gives the event its unique id (see [`AuditEvent::id`](Self::id)).
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Adds an actor to the delegation chain (call outermost first).
    #[must_use]
    pub fn on_behalf_of(mut self, actor: impl Into<String>) -> Self {
        self.on_behalf_of.push(actor.into());
        self
    }

    /// Names what was acted on.
    #[must_use]
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Names the token by its `jti`.
    #[must_use]
    pub fn token_jti(mut self, jti: impl Into<String>) -> Self {
        self.token_jti = Some(jti.into());
        self
    }

    /// Names the request the decision belongs to.
    #[must_use]
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Adds a keyed hash of `value` as a detail (`hmac-sha256:<hex>`), for a
    /// value that must be matched later but never stored (an IP address, an
    /// e-mail, a token fingerprint).
    #[must_use]
    pub fn hashed_detail(
        self,
        key: &super::AuditHashKey,
        name: impl Into<String>,
        value: &[u8],
    ) -> Self {
        let hashed = key.hash(value);
        self.detail(name, hashed)
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
