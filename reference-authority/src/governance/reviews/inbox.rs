//! A reviewer's inbox: the undecided items of open campaigns that a person
//! may decide, for a console or a reminder mail.

use super::campaign::ReviewItem;
use super::error::ReviewError;
use super::records;
use crate::governance::Governance;

/// One item waiting for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxItem {
    /// The campaign.
    pub campaign: String,
    /// When undecided items fall to the campaign's non-response policy.
    pub deadline: i64,
    /// The item.
    pub item: ReviewItem,
}

impl Governance {
    /// The items of open campaigns (not closed, before their deadline) that
    /// `reviewer` may decide and nobody has decided yet, earliest deadline
    /// first.
    pub fn review_inbox(&self, reviewer: &str) -> Result<Vec<InboxItem>, ReviewError> {
        let store = self.authority().store().as_ref();
        let now = self.authority().now();
        let mut inbox = Vec::new();
        for id in records::campaign_ids(store)? {
            let campaign = records::campaign(store, &id)?;
            if campaign.closed || now >= campaign.deadline {
                continue;
            }
            inbox.extend(
                campaign
                    .items
                    .into_iter()
                    .filter(|i| i.decision.is_none() && i.reviewers.iter().any(|r| r == reviewer))
                    .map(|item| InboxItem {
                        campaign: campaign.id.clone(),
                        deadline: campaign.deadline,
                        item,
                    }),
            );
        }
        inbox.sort_by(|a, b| {
            (a.deadline, &a.campaign, &a.item.id).cmp(&(b.deadline, &b.campaign, &b.item.id))
        });
        Ok(inbox)
    }
}
