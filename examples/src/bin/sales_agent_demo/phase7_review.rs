//! Phase 7, second half: the monthly access review. Governance opens the
//! campaign over every agent x entitlement pair; John, the agent's owner,
//! certifies the sales agent's entitlements (the demo plays him); the
//! campaign report says what was certified and by whom.

use crate::timeline::Timeline;
use crate::world::World;
use reference_authority::governance::reviews::{Cadence, CampaignSchedule, ReviewDecision};
use reference_authority::registry::Actor;
use std::error::Error;

/// The registry id of the sales agent (phase 1).
const AGENT_RECORD: &str = "sales-agent";
/// Its owner, who reviews it.
const JOHN: &str = "john";
/// How long reviewers have.
const WINDOW: i64 = 7 * 86_400;

/// Runs the access review.
pub(crate) async fn run(w: &World, t: &mut Timeline) -> Result<(), Box<dyn Error>> {
    t.phase(7, "The monthly access review: John certifies");
    let now = w.clock.now();
    w.governance.schedule_campaign(
        CampaignSchedule::new("monthly-agent-access", Cadence::Monthly, now).window(WINDOW),
        &Actor::user("security-admin"),
    )?;
    let run = w.governance.run_reviews(now).await?;
    let campaign_id = run.opened.first().ok_or("no review campaign opened")?;
    let campaign = w.governance.campaign(campaign_id)?;
    let items: Vec<_> = campaign
        .items
        .iter()
        .filter(|i| i.agent == AGENT_RECORD)
        .collect();
    t.record(
        7,
        format!("review campaign {campaign_id} opened"),
        "opened",
        format!(
            "{} items for {AGENT_RECORD}, reviewers {}",
            items.len(),
            items
                .first()
                .map(|i| i.reviewers.join(", "))
                .unwrap_or_default()
        ),
    );
    for item in &items {
        w.governance
            .decide_review(
                campaign_id,
                &item.id,
                JOHN,
                ReviewDecision::Certify,
                "still needed to prepare proposals",
            )
            .await?;
    }
    let report = w.governance.campaign_report(campaign_id)?;
    let certified: Vec<String> = report
        .certified
        .iter()
        .filter(|l| l.agent == AGENT_RECORD)
        .map(|l| format!("{} by {}", l.entitlement, l.by.join(", ")))
        .collect();
    t.record(
        7,
        "John certifies the agent's entitlements; the campaign report",
        if certified.len() == items.len() && !items.is_empty() {
            "certified"
        } else {
            "incomplete"
        },
        format!(
            "certified {}; revoked {}, pending {}",
            certified.join("; "),
            report.revoked.len(),
            report.pending.len()
        ),
    );
    Ok(())
}
