//! Campaign schedules and the campaigns they open: one item per agent and
//! entitlement, reviewed by the agent's owners.

use super::cadence::Cadence;
use crate::registry::Entitlement;
use serde::{Deserialize, Serialize};

/// What happens to an item nobody decided by the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NonResponse {
    /// The entitlement is revoked (the default: access nobody vouches for goes).
    #[default]
    Revoke,
    /// The entitlement stays, recorded as not reviewed.
    Keep,
}

/// A recurring access review.
///
/// ```
/// use reference_authority::governance::reviews::{Cadence, CampaignSchedule, NonResponse};
///
/// let quarterly = CampaignSchedule::new("agents-quarterly", Cadence::Quarterly, 1_767_225_600)
///     .window(14 * 86_400)
///     .reminders([7 * 86_400, 86_400])
///     .non_response(NonResponse::Revoke);
/// # let _ = quarterly;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSchedule {
    pub(crate) name: String,
    pub(crate) cadence: Cadence,
    pub(crate) first_start: i64,
    pub(crate) window: i64,
    pub(crate) reminders: Vec<i64>,
    pub(crate) non_response: NonResponse,
}

impl CampaignSchedule {
    /// A schedule named `name`, starting at `first_start` and then at every
    /// `cadence`; reviewers get 14 days, a reminder a day before the deadline,
    /// and non-response revokes.
    pub fn new(name: impl Into<String>, cadence: Cadence, first_start: i64) -> Self {
        Self {
            name: name.into(),
            cadence,
            first_start,
            window: 14 * 86_400,
            reminders: vec![86_400],
            non_response: NonResponse::Revoke,
        }
    }

    /// How long reviewers have, in seconds from the campaign's start.
    #[must_use]
    pub fn window(mut self, seconds: i64) -> Self {
        self.window = seconds;
        self
    }

    /// When to remind reviewers with undecided items: seconds before the deadline.
    #[must_use]
    pub fn reminders(mut self, before_deadline: impl IntoIterator<Item = i64>) -> Self {
        self.reminders = before_deadline.into_iter().filter(|s| *s > 0).collect();
        self
    }

    /// What happens to undecided items at the deadline.
    #[must_use]
    pub fn non_response(mut self, policy: NonResponse) -> Self {
        self.non_response = policy;
        self
    }
}

/// A stored schedule and the index of its next start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ScheduleRecord {
    pub(crate) schedule: CampaignSchedule,
    pub(crate) next: u32,
}

/// How an item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemOutcome {
    /// A reviewer vouched for the entitlement.
    Certified,
    /// A reviewer revoked it, or nobody decided and non-response revokes.
    Revoked,
    /// Nobody decided and non-response keeps it.
    Kept,
}

/// A decision on an item: what, by whom, when, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDecision {
    /// The outcome.
    pub outcome: ItemOutcome,
    /// Who decided (`system` for the deadline).
    pub by: String,
    /// When.
    pub at: i64,
    /// Why (for the deadline: `no_response`).
    pub reason: String,
}

/// One agent x entitlement pair to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// The item's id within its campaign.
    pub id: String,
    /// The agent.
    pub agent: String,
    /// The entitlement.
    pub entitlement: Entitlement,
    /// Who may decide: the agent's owners, or the delegate.
    pub reviewers: Vec<String>,
    /// Delegations: from, to, when.
    pub delegations: Vec<(String, String, i64)>,
    /// The decision, once made.
    pub decision: Option<ItemDecision>,
}

/// One run of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// `name@start`.
    pub id: String,
    /// The schedule's name.
    pub schedule: String,
    /// When it opened.
    pub starts: i64,
    /// When undecided items fall to the non-response policy.
    pub deadline: i64,
    /// That policy.
    pub non_response: NonResponse,
    /// Reminder offsets: seconds before the deadline.
    pub reminders: Vec<i64>,
    /// Reminder offsets already sent.
    pub reminders_sent: Vec<i64>,
    /// The items.
    pub items: Vec<ReviewItem>,
    /// Whether the deadline was applied.
    pub closed: bool,
}
