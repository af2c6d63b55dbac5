//! The review clock: [`Governance::run_reviews`] opens campaigns whose start
//! is due, sends due reminders, and applies the non-response policy at each
//! deadline. Call it periodically; tests call it after moving a manual clock.

use super::campaign::{
    Campaign, CampaignSchedule, ItemDecision, ItemOutcome, NonResponse, ReviewItem, ScheduleRecord,
};
use super::error::ReviewError;
use super::records;
use crate::governance::audit::{Decision, action};
use crate::governance::{Governance, agents};
use crate::registry::Actor;
use agent_auth::audit::Outcome;
use std::collections::BTreeSet;

/// The rule named when the authority itself acts on a campaign.
pub(super) const DEADLINE: &str = "review_deadline";

/// What one run of the review clock did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReviewRun {
    /// Campaigns opened.
    pub opened: Vec<String>,
    /// Reminders delivered (one per reviewer and reminder).
    pub reminders: usize,
    /// Notices (openings, reminders) that could not be delivered.
    pub undelivered: usize,
    /// Campaigns closed at their deadline.
    pub closed: Vec<String>,
}

impl Governance {
    /// Schedules a recurring campaign. Refused when the name is taken or
    /// invalid, or the window is not positive.
    pub fn schedule_campaign(
        &self,
        schedule: CampaignSchedule,
        actor: &Actor,
    ) -> Result<(), ReviewError> {
        let name = schedule.name.as_str();
        if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
            return Err(ReviewError::InvalidName);
        }
        if schedule.window < 1 {
            return Err(ReviewError::InvalidWindow);
        }
        records::add_schedule(
            self.authority().store().as_ref(),
            ScheduleRecord {
                schedule: schedule.clone(),
                next: 0,
            },
        )?;
        Decision {
            action: action("review_scheduled"),
            outcome: Outcome::Success,
            actor,
            target: &schedule.name,
            reason: "scheduled",
        }
        .record(self.authority(), |e| e.detail("window", schedule.window));
        Ok(())
    }

    /// Runs the review clock at `now`: opens due campaigns, reminds, closes.
    pub async fn run_reviews(&self, now: i64) -> Result<ReviewRun, ReviewError> {
        let store = self.authority().store().as_ref();
        let mut run = ReviewRun::default();
        for name in records::schedules(store)? {
            if let Some((record, start)) = records::claim_due(store, &name, now)? {
                let campaign = self.open_campaign(&record.schedule, start)?;
                let text = format!(
                    "Access review {} needs your decisions by {}.",
                    campaign.id, campaign.deadline
                );
                run.undelivered += self.tell(&campaign, "review_opened", &text).await;
                run.opened.push(campaign.id);
            }
        }
        for id in records::campaign_ids(store)? {
            let campaign = records::campaign(store, &id)?;
            if campaign.closed {
                continue;
            }
            if now >= campaign.deadline {
                self.close_campaign(&id, now)?;
                run.closed.push(id);
                continue;
            }
            let due = records::modify(store, &id, |c| {
                let due: Vec<i64> = c
                    .reminders
                    .iter()
                    .copied()
                    .filter(|o| now >= c.deadline.saturating_sub(*o))
                    .filter(|o| !c.reminders_sent.contains(o))
                    .collect();
                c.reminders_sent.extend(&due);
                Ok(due)
            })?;
            if due.is_empty() {
                continue;
            }
            let fate = match campaign.non_response {
                NonResponse::Revoke => "revoked",
                NonResponse::Keep => "kept",
            };
            let text = format!(
                "Access review {} closes at {}; undecided items are {fate} then.",
                campaign.id, campaign.deadline
            );
            let reviewers = pending_reviewers(&campaign).len();
            let failed = self.tell(&campaign, "review_reminder", &text).await;
            run.reminders += reviewers - failed;
            run.undelivered += failed;
        }
        Ok(run)
    }

    /// Tells each reviewer with undecided items; returns how many notices failed.
    async fn tell(&self, campaign: &Campaign, topic: &str, text: &str) -> usize {
        let mut failed = 0;
        for reviewer in pending_reviewers(campaign) {
            let sent = agents::notify(self, topic, vec![reviewer], &campaign.id, text.to_owned());
            if sent.await.is_err() {
                failed += 1;
            }
        }
        failed
    }

    /// Opens a campaign: every agent not deleted, every entitlement it holds
    /// (once, whatever its origins), its owners as reviewers.
    fn open_campaign(&self, s: &CampaignSchedule, start: i64) -> Result<Campaign, ReviewError> {
        let mut items = Vec::new();
        for agent in agents::agents(self)? {
            if agent.deleted() {
                continue;
            }
            for (entitlement, _) in agent.entitlements {
                items.push(ReviewItem {
                    id: items.len().to_string(),
                    agent: agent.id.clone(),
                    entitlement,
                    reviewers: agent.owners.clone(),
                    delegations: Vec::new(),
                    decision: None,
                });
            }
        }
        let campaign = Campaign {
            id: format!("{}@{start}", s.name),
            schedule: s.name.clone(),
            starts: start,
            deadline: start.saturating_add(s.window),
            non_response: s.non_response,
            reminders: s.reminders.clone(),
            reminders_sent: Vec::new(),
            items,
            closed: false,
        };
        records::put_campaign(self.authority().store().as_ref(), &campaign)?;
        Decision {
            action: action("review_opened"),
            outcome: Outcome::Success,
            actor: &Actor::system(DEADLINE),
            target: &campaign.id,
            reason: "scheduled",
        }
        .record(self.authority(), |e| {
            e.detail("items", campaign.items.len())
                .detail("deadline", campaign.deadline)
        });
        Ok(campaign)
    }

    /// Applies the non-response policy to every undecided item and closes.
    fn close_campaign(&self, id: &str, now: i64) -> Result<(), ReviewError> {
        let store = self.authority().store().as_ref();
        let system = Actor::system(DEADLINE);
        let (policy, undecided) = records::modify(store, id, |c| {
            if c.closed {
                return Err(ReviewError::Closed);
            }
            c.closed = true;
            let outcome = match c.non_response {
                NonResponse::Revoke => ItemOutcome::Revoked,
                NonResponse::Keep => ItemOutcome::Kept,
            };
            let mut undecided = Vec::new();
            for item in c.items.iter_mut().filter(|i| i.decision.is_none()) {
                item.decision = Some(ItemDecision {
                    outcome,
                    by: system.to_string(),
                    at: now,
                    reason: "no_response".to_owned(),
                });
                undecided.push(item.clone());
            }
            Ok((c.non_response, undecided))
        })?;
        for item in &undecided {
            let effective = match policy {
                // A failed revocation is audited as an error for the operators.
                NonResponse::Revoke => {
                    agents::revoke_all_origins(self, &item.agent, &item.entitlement, &system)
                        .is_ok()
                }
                NonResponse::Keep => true,
            };
            self.audit_item(id, item, &system, "no_response", effective);
        }
        Decision {
            action: action("review_closed"),
            outcome: Outcome::Success,
            actor: &system,
            target: id,
            reason: "deadline",
        }
        .record(self.authority(), |e| e.detail("undecided", undecided.len()));
        Ok(())
    }
}

/// Reviewers with at least one undecided item.
fn pending_reviewers(campaign: &Campaign) -> BTreeSet<String> {
    campaign
        .items
        .iter()
        .filter(|i| i.decision.is_none())
        .flat_map(|i| i.reviewers.iter().cloned())
        .collect()
}
