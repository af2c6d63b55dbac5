//! Which token claims carry the subject and the agent (COAZ-MCP "The
//! Subject-Identity Claim").

/// The subject-identity claim (`sub` unless an on-behalf-of claim is
/// designated) and the agent claim (`client_id`).
///
/// ```
/// use mcp_guard::authzen::IdentityClaims;
/// let claims = IdentityClaims::default().on_behalf_of("act_for");
/// assert_eq!(claims.subject_claim(), "act_for");
/// assert_eq!(claims.agent_claim(), "client_id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityClaims {
    subject: String,
    agent: String,
}

impl Default for IdentityClaims {
    fn default() -> Self {
        Self {
            subject: "sub".into(),
            agent: "client_id".into(),
        }
    }
}

impl IdentityClaims {
    /// Designates an on-behalf-of claim as the subject-identity claim (agreed
    /// with the token issuer): `subject.id` carries the user, while the agent
    /// stays in `context.agent`.
    #[must_use]
    pub fn on_behalf_of(mut self, claim: impl Into<String>) -> Self {
        self.subject = claim.into();
        self
    }

    /// Names the claim that identifies the agent (default `client_id`).
    #[must_use]
    pub fn agent(mut self, claim: impl Into<String>) -> Self {
        self.agent = claim.into();
        self
    }

    /// The subject-identity claim.
    pub fn subject_claim(&self) -> &str {
        &self.subject
    }

    /// The agent claim.
    pub fn agent_claim(&self) -> &str {
        &self.agent
    }

    /// The only expressions a mapping may give for `subject.id`.
    pub(crate) fn subject_expressions(&self) -> [String; 1] {
        [format!("$token.{}", self.subject)]
    }

    /// The only expressions a mapping may give for `context.agent`.
    pub(crate) fn agent_expressions(&self) -> [String; 2] {
        [
            format!("$token.?{}", self.agent),
            format!("$token.{}", self.agent),
        ]
    }
}
