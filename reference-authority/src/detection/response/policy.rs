//! The response policy: which actions a level triggers, and who is told.

use crate::detection::risk::RiskLevel;

/// One response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Action {
    /// Tell the agent's owners, the security team and the affected users.
    Notify,
    /// Every action of the agent needs a human approval (CIBA step-up): the
    /// [`RiskSource`](crate::detection::RiskSource) denies with an
    /// `approval_required` reason until the level falls.
    RequireApproval,
    /// Block the agent: suspend its registry record (its clients are
    /// disabled), or disable its client when it has no record.
    Block,
    /// Log the agent out everywhere (the kill switch: every token and
    /// grant revoked, CAEP `session-revoked` SETs).
    Logout,
    /// Rotate the agent's client secret at once (emergency rotation).
    Rotate,
}

impl Action {
    /// The snake_case name used in audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Notify => "notify",
            Action::RequireApproval => "require_approval",
            Action::Block => "block",
            Action::Logout => "logout",
            Action::Rotate => "rotate",
        }
    }
}

/// Which actions each level triggers when an agent's risk rises to it.
///
/// ```
/// use reference_authority::detection::{Action, ResponsePolicy, RiskLevel};
///
/// let policy = ResponsePolicy::default().security_team(vec!["soc".into()]);
/// assert_eq!(policy.actions(RiskLevel::Medium), &[Action::Notify, Action::RequireApproval]);
/// assert!(policy.actions(RiskLevel::High).contains(&Action::Logout));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePolicy {
    medium: Vec<Action>,
    high: Vec<Action>,
    security_team: Vec<String>,
}

impl Default for ResponsePolicy {
    /// MEDIUM: notify and require approval; HIGH: notify, block, log out.
    fn default() -> Self {
        Self {
            medium: vec![Action::Notify, Action::RequireApproval],
            high: vec![Action::Notify, Action::Block, Action::Logout],
            security_team: Vec::new(),
        }
    }
}

impl ResponsePolicy {
    /// The actions of `level` (LOW has none: falling to LOW lifts the gates).
    pub fn actions(&self, level: RiskLevel) -> &[Action] {
        match level {
            RiskLevel::Low => &[],
            RiskLevel::Medium => &self.medium,
            RiskLevel::High => &self.high,
        }
    }

    /// Sets the actions of MEDIUM.
    #[must_use]
    pub fn on_medium(mut self, actions: Vec<Action>) -> Self {
        self.medium = actions;
        self
    }

    /// Sets the actions of HIGH.
    #[must_use]
    pub fn on_high(mut self, actions: Vec<Action>) -> Self {
        self.high = actions;
        self
    }

    /// The security team's user ids, told of every rise.
    #[must_use]
    pub fn security_team(mut self, user_ids: Vec<String>) -> Self {
        self.security_team = user_ids;
        self
    }

    /// The security team.
    pub fn team(&self) -> &[String] {
        &self.security_team
    }
}
