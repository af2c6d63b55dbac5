//! Approval of ID-JAG scopes marked
//! [`ScopePolicy::NeedsApproval`](super::ScopePolicy::NeedsApproval) by a
//! managed connection: an asynchronous
//! [`ScopeApprover`] may wait for a person (a CIBA request to the user or an
//! administrator), within a bounded time; what happens to a scope that is
//! denied or not decided in time is the connection's [`UnapprovedScope`]
//! policy. Every request and decision is audited.

use crate::provider::{Authority, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use std::time::Duration;

/// One request for a scope that needs approval.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalQuery<'a> {
    /// The user the ID-JAG is about.
    pub user: &'a str,
    /// The client asking.
    pub client_id: &'a str,
    /// The resource authorization server.
    pub audience: &'a str,
    /// The scope.
    pub scope: &'a str,
}

/// The answer of a [`ScopeApprover`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApprovalDecision {
    /// The scope may be granted.
    Approved,
    /// The scope is refused.
    Denied,
}

impl From<bool> for ApprovalDecision {
    fn from(approved: bool) -> Self {
        if approved {
            Self::Approved
        } else {
            Self::Denied
        }
    }
}

/// Decides scopes marked `NeedsApproval`: from a recorded approval, or by
/// asking a person and awaiting the answer (for instance a CIBA request).
/// The authority bounds the wait with the connection's
/// [`approval_timeout`](super::ManagedConnection::approval_timeout); a
/// dropped future must leave nothing pending that could grant later.
///
/// A synchronous closure `Fn(&ApprovalQuery) -> bool` is an approver.
#[async_trait::async_trait]
pub trait ScopeApprover: Send + Sync {
    /// Whether the scope is approved.
    async fn decide(&self, query: &ApprovalQuery<'_>) -> ApprovalDecision;
}

#[async_trait::async_trait]
impl<F> ScopeApprover for F
where
    F: Fn(&ApprovalQuery<'_>) -> bool + Send + Sync,
{
    async fn decide(&self, query: &ApprovalQuery<'_>) -> ApprovalDecision {
        self(query).into()
    }
}

/// What a managed connection does with a requested scope that was denied or
/// not decided in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnapprovedScope {
    /// The whole request is refused with `invalid_scope` (RFC 6749 section
    /// 5.2, as for any scope the connection does not grant).
    #[default]
    Refuse,
    /// The scope is left out of the ID-JAG; the granted `scope` of the
    /// response tells the client (RFC 6749 section 3.3). A request left with
    /// no scope at all is refused with `invalid_scope`.
    Drop,
}

/// How one approval ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Approved,
    Denied,
    TimedOut,
}

impl Verdict {
    fn reason(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::TimedOut => "timed_out",
        }
    }
}

/// Asks `approver` (none: denied) about one scope, waiting at most `timeout`,
/// and audits the request and the decision.
pub(super) async fn ask(
    authority: &Authority,
    approver: Option<&dyn ScopeApprover>,
    query: &ApprovalQuery<'_>,
    timeout: Duration,
) -> Verdict {
    let event = |e: agent_auth::audit::AuditEvent| {
        e.agent(query.client_id.to_owned())
            .user(query.user.to_owned())
            .detail("aud", query.audience.to_owned())
            .detail("scope", query.scope.to_owned())
    };
    let Some(approver) = approver else {
        authority.audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
            event(e).reason("no_approver")
        });
        return Verdict::Denied;
    };
    authority.audit(AuditAction::ApprovalRequested, Outcome::Success, event);
    let verdict = match tokio::time::timeout(timeout, approver.decide(query)).await {
        Ok(ApprovalDecision::Approved) => Verdict::Approved,
        Ok(ApprovalDecision::Denied) => Verdict::Denied,
        Err(_) => Verdict::TimedOut,
    };
    let outcome = if verdict == Verdict::Approved {
        Outcome::Success
    } else {
        Outcome::Denied
    };
    authority.audit(AuditAction::ApprovalDecided, outcome, |e| {
        event(e).reason(verdict.reason())
    });
    verdict
}

/// The refusal of a request whose scope was not approved.
pub(super) fn refusal(verdict: Verdict) -> OAuthError {
    OAuthError::invalid_scope(match verdict {
        Verdict::TimedOut => "the approval of a requested scope timed out",
        _ => "a requested scope is not granted by the managed connection",
    })
}
