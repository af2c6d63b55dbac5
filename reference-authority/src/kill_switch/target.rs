//! Whom a logout is for, and the request that names it.

use crate::signals::SubjectId;

/// Whom to log out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A user: every session, grant and token of theirs, whatever the client.
    User(String),
    /// An agent (an OAuth client): every grant and token of the client, for
    /// every user it acts for and for itself.
    Agent(String),
    /// One user as served by one agent: that client's grants and tokens for
    /// that user (the user's SSO sessions stay).
    UserAgent {
        /// The user.
        user: String,
        /// The agent's client id.
        agent: String,
    },
    /// Everyone: every session, grant and token of the authority.
    Tenant,
}

impl Target {
    /// Whether a token or grant of `client_id` for `user` falls under the logout.
    pub(crate) fn covers(&self, client_id: &str, user: Option<&str>) -> bool {
        match self {
            Target::User(u) => user == Some(u.as_str()),
            Target::Agent(a) => client_id == a,
            Target::UserAgent { user: u, agent } => client_id == agent && user == Some(u.as_str()),
            Target::Tenant => true,
        }
    }

    /// Whether the user's SSO sessions end too.
    pub(crate) fn ends_sessions_of(&self, user: &str) -> bool {
        match self {
            Target::User(u) => u == user,
            Target::Tenant => true,
            Target::Agent(_) | Target::UserAgent { .. } => false,
        }
    }

    /// A short label for the audit trail.
    pub(crate) fn label(&self) -> String {
        match self {
            Target::User(u) => format!("user:{u}"),
            Target::Agent(a) => format!("agent:{a}"),
            Target::UserAgent { user, agent } => format!("user:{user} agent:{agent}"),
            Target::Tenant => "tenant".into(),
        }
    }

    /// The subjects the SETs of this logout name (SSF 1.0 sections 3.2 and
    /// 3.3): a user as `iss_sub`; an agent as a complex subject with its
    /// client id as `application`, with the `user` it acted for when there
    /// is one; the tenant as a complex subject with the issuer as `tenant`.
    pub(crate) fn subjects(&self, issuer: &str, users_touched: &[String]) -> Vec<SubjectId> {
        let user = |u: &str| SubjectId::iss_sub(issuer, u);
        let app = |a: &str| SubjectId::Opaque(a.to_owned());
        match self {
            Target::User(u) => vec![user(u)],
            Target::UserAgent { user: u, agent } => {
                vec![SubjectId::complex([
                    ("user", user(u)),
                    ("application", app(agent)),
                ])]
            }
            Target::Agent(a) => {
                let mut out = vec![SubjectId::complex([("application", app(a))])];
                out.extend(
                    users_touched
                        .iter()
                        .map(|u| SubjectId::complex([("user", user(u)), ("application", app(a))])),
                );
                out
            }
            Target::Tenant => {
                let mut out = vec![SubjectId::complex([(
                    "tenant",
                    SubjectId::Opaque(issuer.to_owned()),
                )])];
                out.extend(users_touched.iter().map(|u| user(u)));
                out
            }
        }
    }
}

/// A logout to carry out: whom, why, and who asked.
///
/// ```
/// use reference_authority::kill_switch::{LogoutRequest, Target};
///
/// let request = LogoutRequest::new(Target::Agent("sales-agent-prod-001".into()), "anomaly: 500 records in 10 minutes")
///     .requested_by("soc-analyst-7");
/// assert_eq!(request.target(), &Target::Agent("sales-agent-prod-001".into()));
/// ```
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    target: Target,
    reason: String,
    requested_by: Option<String>,
}

impl LogoutRequest {
    /// Logs `target` out for `reason` (kept in the audit trail and the SETs'
    /// `reason_admin`: no secrets).
    pub fn new(target: Target, reason: impl Into<String>) -> Self {
        Self {
            target,
            reason: reason.into(),
            requested_by: None,
        }
    }

    /// Who asked (an operator, a detector, a Global Token Revocation caller).
    #[must_use]
    pub fn requested_by(mut self, who: impl Into<String>) -> Self {
        self.requested_by = Some(who.into());
        self
    }

    /// Whom.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Who asked, if known.
    pub fn requester(&self) -> Option<&str> {
        self.requested_by.as_deref()
    }
}
