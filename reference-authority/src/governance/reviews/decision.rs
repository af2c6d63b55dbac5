//! A reviewer's decision on one item: certify, revoke (at once), or delegate
//! to someone else. Each is audited.

use super::campaign::{ItemDecision, ItemOutcome, ReviewItem};
use super::error::ReviewError;
use super::records;
use crate::governance::audit::{Decision, action};
use crate::governance::{Governance, agents};
use crate::registry::Actor;
use agent_auth::audit::Outcome;

/// What a reviewer decides about an item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReviewDecision {
    /// The entitlement is still needed.
    Certify,
    /// The entitlement goes, now.
    Revoke,
    /// Someone else decides (they replace the reviewer on this item).
    Delegate(String),
}

impl Governance {
    /// `reviewer` decides `item` of campaign `campaign`. Refused when the
    /// campaign is closed or past its deadline, the item decided, or the
    /// reviewer not among the item's reviewers.
    pub async fn decide_review(
        &self,
        campaign: &str,
        item: &str,
        reviewer: &str,
        decision: ReviewDecision,
        reason: &str,
    ) -> Result<ReviewItem, ReviewError> {
        let store = self.authority().store().as_ref();
        let now = self.authority().now();
        let actor = Actor::user(reviewer);
        let decided = records::modify(store, campaign, |c| {
            if c.closed || now >= c.deadline {
                return Err(ReviewError::Closed);
            }
            let it = c
                .items
                .iter_mut()
                .find(|i| i.id == item)
                .ok_or_else(|| ReviewError::UnknownItem(item.to_owned()))?;
            if it.decision.is_some() {
                return Err(ReviewError::AlreadyDecided);
            }
            if !it.reviewers.iter().any(|r| r == reviewer) {
                return Err(ReviewError::NotAReviewer(reviewer.to_owned()));
            }
            let outcome = match &decision {
                ReviewDecision::Certify => ItemOutcome::Certified,
                ReviewDecision::Revoke => ItemOutcome::Revoked,
                ReviewDecision::Delegate(to) => {
                    if to.trim().is_empty() || to == reviewer {
                        return Err(ReviewError::InvalidDelegate);
                    }
                    it.reviewers = vec![to.clone()];
                    it.delegations.push((reviewer.to_owned(), to.clone(), now));
                    return Ok(it.clone());
                }
            };
            it.decision = Some(ItemDecision {
                outcome,
                by: actor.to_string(),
                at: now,
                reason: reason.to_owned(),
            });
            Ok(it.clone())
        });
        let it = match decided {
            Ok(it) => it,
            Err(e) => {
                Decision {
                    action: action("review_decision"),
                    outcome: Outcome::Denied,
                    actor: &actor,
                    target: campaign,
                    reason: &e.to_string(),
                }
                .record(self.authority(), |ev| ev.detail("item", item.to_owned()));
                return Err(e);
            }
        };
        match &decision {
            ReviewDecision::Revoke => {
                if let Err(e) = agents::revoke_all_origins(self, &it.agent, &it.entitlement, &actor)
                {
                    // Put the item back: the decision did not take effect.
                    let _ = records::modify(store, campaign, |c| {
                        if let Some(back) = c.items.iter_mut().find(|i| i.id == item) {
                            back.decision = None;
                        }
                        Ok(())
                    });
                    self.audit_item(campaign, &it, &actor, reason, false);
                    return Err(ReviewError::Revocation(e.to_string()));
                }
                self.audit_item(campaign, &it, &actor, reason, true);
            }
            ReviewDecision::Delegate(to) => {
                self.audit_item(campaign, &it, &actor, reason, true);
                // Not delivered is not fatal: reminders follow.
                let _ = agents::notify(
                    self,
                    "review_delegated",
                    vec![to.clone()],
                    campaign,
                    format!("{reviewer} asks you to review an item of access review {campaign}."),
                )
                .await;
            }
            _ => self.audit_item(campaign, &it, &actor, reason, true),
        }
        Ok(it)
    }

    pub(super) fn audit_item(
        &self,
        campaign: &str,
        item: &ReviewItem,
        actor: &Actor,
        reason: &str,
        effective: bool,
    ) {
        let decision = match item.decision.as_ref().map(|d| d.outcome) {
            Some(ItemOutcome::Certified) => "certified",
            Some(ItemOutcome::Revoked) => "revoked",
            Some(ItemOutcome::Kept) => "kept",
            None => "delegated",
        };
        Decision {
            action: action("review_decision"),
            outcome: if effective {
                Outcome::Success
            } else {
                Outcome::Error
            },
            actor,
            target: &item.agent,
            reason,
        }
        .record(self.authority(), |e| {
            e.detail("campaign", campaign.to_owned())
                .detail("item", item.id.clone())
                .detail("decision", decision)
                .detail("entitlement", agents::label(&item.entitlement))
        });
    }
}
