//! The campaign report: what was certified, revoked or kept, and by whom.

use super::campaign::{ItemOutcome, ReviewItem};
use super::error::ReviewError;
use super::records;
use crate::governance::Governance;

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportLine {
    /// The item.
    pub item: String,
    /// The agent.
    pub agent: String,
    /// The entitlement, as a label.
    pub entitlement: String,
    /// Who decided (`system` at the deadline); the reviewers while pending.
    pub by: Vec<String>,
    /// When, once decided.
    pub at: Option<i64>,
}

/// A campaign's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CampaignReport {
    /// The campaign.
    pub campaign: String,
    /// Whether the deadline was applied.
    pub closed: bool,
    /// Certified items.
    pub certified: Vec<ReportLine>,
    /// Revoked items (by a reviewer, or for non-response).
    pub revoked: Vec<ReportLine>,
    /// Items kept for non-response.
    pub kept: Vec<ReportLine>,
    /// Items still waiting.
    pub pending: Vec<ReportLine>,
}

impl Governance {
    /// The report of campaign `id`.
    pub fn campaign_report(&self, id: &str) -> Result<CampaignReport, ReviewError> {
        let campaign = records::campaign(self.authority().store().as_ref(), id)?;
        let mut report = CampaignReport {
            campaign: campaign.id.clone(),
            closed: campaign.closed,
            certified: Vec::new(),
            revoked: Vec::new(),
            kept: Vec::new(),
            pending: Vec::new(),
        };
        for item in &campaign.items {
            let line = line(item);
            match item.decision.as_ref().map(|d| d.outcome) {
                Some(ItemOutcome::Certified) => report.certified.push(line),
                Some(ItemOutcome::Revoked) => report.revoked.push(line),
                Some(ItemOutcome::Kept) => report.kept.push(line),
                None => report.pending.push(line),
            }
        }
        Ok(report)
    }

    /// Campaign `id` as stored (items, reviewers, decisions).
    pub fn campaign(&self, id: &str) -> Result<super::Campaign, ReviewError> {
        records::campaign(self.authority().store().as_ref(), id)
    }
}

fn line(item: &ReviewItem) -> ReportLine {
    let (by, at) = match &item.decision {
        Some(d) => (vec![d.by.clone()], Some(d.at)),
        None => (item.reviewers.clone(), None),
    };
    ReportLine {
        item: item.id.clone(),
        agent: item.agent.clone(),
        entitlement: crate::governance::agents::label(&item.entitlement),
        by,
        at,
    }
}
