//! A request for a time-boxed entitlement and how it is approved.

use super::channel::Ticket;
use super::quorum::Quorum;
use crate::registry::Entitlement;
use serde::{Deserialize, Serialize};

/// Who approves an elevation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Approver {
    /// Any one owner of the agent (as the registry names them).
    Owner,
    /// The named person, asked through the approval channel (CIBA).
    Ciba(String),
    /// `required` of the named approvers (N of M).
    Quorum {
        /// The approvers (M; duplicates count once).
        approvers: Vec<String>,
        /// How many must approve (N).
        required: usize,
    },
}

/// An agent's (or its user's) request for an entitlement for a while.
///
/// ```
/// use reference_authority::governance::jit::{Approver, Elevation};
/// use reference_authority::registry::Entitlement;
///
/// let asked = Elevation::new("sales-agent", Entitlement::scope("crm:write", "https://crm.example"), 3600)
///     .reason("quarter-end bulk update, ticket OPS-42")
///     .requested_by("sarah")
///     .approver(Approver::Owner);
/// # let _ = asked;
/// ```
#[derive(Debug, Clone)]
pub struct Elevation {
    pub(crate) agent: String,
    pub(crate) entitlement: Entitlement,
    pub(crate) duration: i64,
    pub(crate) reason: String,
    pub(crate) requester: Option<String>,
    pub(crate) approver: Approver,
}

impl Elevation {
    /// `agent` asks for `entitlement` for `duration` seconds; the agent itself
    /// is the requester and its owners approve, until told otherwise.
    pub fn new(agent: impl Into<String>, entitlement: Entitlement, duration: i64) -> Self {
        Self {
            agent: agent.into(),
            entitlement,
            duration,
            reason: String::new(),
            requester: None,
            approver: Approver::Owner,
        }
    }

    /// Why (required).
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    /// The person asking on the agent's behalf (its user); by default the
    /// agent asks for itself.
    #[must_use]
    pub fn requested_by(mut self, requester: impl Into<String>) -> Self {
        self.requester = Some(requester.into());
        self
    }

    /// Who approves.
    #[must_use]
    pub fn approver(mut self, approver: Approver) -> Self {
        self.approver = approver;
        self
    }
}

/// How a stored request is being approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum Approval {
    /// One of the agent's owners at decision time.
    Owner,
    /// The named person through the channel; the ticket to ask for the answer.
    Ciba { approver: String, ticket: Ticket },
    /// N of M.
    Quorum(Quorum),
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Waiting for approval.
    Pending,
    /// Approved: the grant runs from `starts` to `ends`.
    Approved,
    /// Refused by the approvers.
    Denied,
    /// Not decided before the approval deadline.
    Expired,
    /// Ended early.
    Revoked,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
        }
    }
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RequestRecord {
    pub(crate) id: String,
    pub(crate) agent: String,
    pub(crate) entitlement: Entitlement,
    pub(crate) duration: i64,
    pub(crate) reason: String,
    pub(crate) requester: String,
    pub(crate) approval: Approval,
    pub(crate) created: i64,
    /// Undecided at this time, the request expires.
    pub(crate) decide_by: i64,
    pub(crate) status: Status,
    /// Who approved or denied.
    pub(crate) decided_by: Vec<String>,
    /// Set when approved: the grant's window, `starts <= t < ends`.
    pub(crate) starts: Option<i64>,
    pub(crate) ends: Option<i64>,
}

/// A JIT request as its requester and approvers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestView {
    /// The request's id.
    pub id: String,
    /// The agent to elevate.
    pub agent: String,
    /// What it asks for.
    pub entitlement: Entitlement,
    /// For how long, in seconds.
    pub duration: i64,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub requester: String,
    /// Where it stands.
    pub status: Status,
    /// Who approved or denied it.
    pub decided_by: Vec<String>,
    /// When the grant starts, once approved.
    pub starts: Option<i64>,
    /// When the grant ends (exclusive), once approved.
    pub ends: Option<i64>,
}

impl From<&RequestRecord> for RequestView {
    fn from(r: &RequestRecord) -> Self {
        Self {
            id: r.id.clone(),
            agent: r.agent.clone(),
            entitlement: r.entitlement.clone(),
            duration: r.duration,
            reason: r.reason.clone(),
            requester: r.requester.clone(),
            status: r.status,
            decided_by: r.decided_by.clone(),
            starts: r.starts,
            ends: r.ends,
        }
    }
}
