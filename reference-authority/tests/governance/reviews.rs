//! Access reviews with a manual clock: campaigns open on schedule over every
//! agent x entitlement pair, owners certify, revoke (at once) or delegate,
//! reminders go out once, non-response revokes at the deadline, and the
//! report says what happened and who decided.

use super::*;
use agent_auth::audit::AuditAction;
use reference_authority::governance::reviews::{
    Cadence, CampaignSchedule, ItemOutcome, NonResponse, ReviewDecision, ReviewError,
};

const DAY: i64 = 86_400;

/// The sales agent holds crm:read and crm:write; the support agent crm:read.
fn reviewed() -> Fixture {
    let f = fixture();
    f.grant_direct(AGENT, scope("crm:read"));
    f.grant_direct(AGENT, scope("crm:write"));
    f.grant_direct("support-agent", scope("crm:read"));
    f
}

fn quarterly(policy: NonResponse) -> CampaignSchedule {
    CampaignSchedule::new("agents", Cadence::Quarterly, NOW)
        .window(14 * DAY)
        .reminders([7 * DAY, DAY])
        .non_response(policy)
}

async fn open(f: &Fixture, policy: NonResponse) -> String {
    f.governance
        .schedule_campaign(quarterly(policy), &admin())
        .unwrap();
    let run = f.governance.run_reviews(NOW).await.unwrap();
    assert_eq!(run.opened.len(), 1);
    run.opened[0].clone()
}

fn item_of(f: &Fixture, campaign: &str, agent: &str, e: &Entitlement) -> String {
    f.governance
        .campaign(campaign)
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.agent == agent && i.entitlement == *e)
        .unwrap()
        .id
}

#[tokio::test]
async fn a_campaign_covers_every_agent_and_entitlement_with_the_owners_as_reviewers() {
    let f = reviewed();
    let id = open(&f, NonResponse::Revoke).await;
    let campaign = f.governance.campaign(&id).unwrap();
    assert_eq!(campaign.deadline, NOW + 14 * DAY);
    let mut pairs: Vec<(String, Entitlement, Vec<String>)> = campaign
        .items
        .iter()
        .map(|i| (i.agent.clone(), i.entitlement.clone(), i.reviewers.clone()))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            (
                AGENT.to_owned(),
                scope("crm:read"),
                vec!["olivia".to_owned()]
            ),
            (
                AGENT.to_owned(),
                scope("crm:write"),
                vec!["olivia".to_owned()]
            ),
            (
                "support-agent".to_owned(),
                scope("crm:read"),
                vec!["carol".to_owned()]
            ),
        ]
    );
    let opened: Vec<_> = f
        .notes
        .take()
        .into_iter()
        .filter(|n| n.topic == "review_opened")
        .map(|n| n.recipients)
        .collect();
    assert_eq!(
        opened,
        [vec!["carol".to_owned()], vec!["olivia".to_owned()]]
    );
    // The next quarter opens on 2026-04-01, not before.
    let run = f.governance.run_reviews(NOW + 89 * DAY).await.unwrap();
    assert!(run.opened.is_empty());
    let run = f.governance.run_reviews(NOW + 90 * DAY).await.unwrap();
    assert_eq!(run.opened, [format!("agents@{}", NOW + 90 * DAY)]);
}

#[tokio::test]
async fn a_revocation_takes_effect_at_once_and_a_certification_keeps_access() {
    let f = reviewed();
    let id = open(&f, NonResponse::Revoke).await;
    let g = &f.governance;
    let write = item_of(&f, &id, AGENT, &scope("crm:write"));
    let read = item_of(&f, &id, AGENT, &scope("crm:read"));
    g.decide_review(&id, &write, "olivia", ReviewDecision::Revoke, "not needed")
        .await
        .unwrap();
    assert!(
        !f.held(AGENT).contains(&scope("crm:write")),
        "revoked at once"
    );
    g.decide_review(&id, &read, "olivia", ReviewDecision::Certify, "daily use")
        .await
        .unwrap();
    assert!(f.held(AGENT).contains(&scope("crm:read")));
    assert!(matches!(
        g.decide_review(
            &id,
            &read,
            "olivia",
            ReviewDecision::Revoke,
            "changed my mind"
        )
        .await,
        Err(ReviewError::AlreadyDecided)
    ));
    let audited = f
        .governance_events()
        .into_iter()
        .filter(|e| e.action == AuditAction::Other("governance.review_decision".into()))
        .filter(|e| e.details.contains_key("decision"))
        .map(|e| {
            (
                e.details["decision"].clone(),
                e.details["actor"].clone(),
                e.reason.clone(),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        audited.len(),
        2,
        "the refused third decision is audited apart"
    );
    assert_eq!(audited[0].0, "revoked");
    assert_eq!(audited[0].1, "user:olivia");
    assert_eq!(audited[0].2.as_deref(), Some("not needed"));
}

#[tokio::test]
async fn only_reviewers_decide_and_a_delegate_replaces_the_reviewer() {
    let f = reviewed();
    let id = open(&f, NonResponse::Revoke).await;
    let g = &f.governance;
    let item = item_of(&f, &id, AGENT, &scope("crm:write"));
    assert!(matches!(
        g.decide_review(&id, &item, "bob", ReviewDecision::Certify, "")
            .await,
        Err(ReviewError::NotAReviewer(_))
    ));
    assert!(matches!(
        g.decide_review(
            &id,
            &item,
            "olivia",
            ReviewDecision::Delegate("olivia".into()),
            ""
        )
        .await,
        Err(ReviewError::InvalidDelegate)
    ));
    f.notes.take();
    g.decide_review(
        &id,
        &item,
        "olivia",
        ReviewDecision::Delegate("bob".into()),
        "bob runs it",
    )
    .await
    .unwrap();
    assert_eq!(f.notes.take()[0].recipients, ["bob"]);
    assert!(matches!(
        g.decide_review(&id, &item, "olivia", ReviewDecision::Certify, "")
            .await,
        Err(ReviewError::NotAReviewer(_))
    ));
    g.decide_review(&id, &item, "bob", ReviewDecision::Certify, "still used")
        .await
        .unwrap();
    let report = g.campaign_report(&id).unwrap();
    assert_eq!(report.certified.len(), 1);
    assert_eq!(report.certified[0].by, ["user:bob"]);
}

#[tokio::test]
async fn reminders_go_out_once_each_and_non_response_revokes_at_the_deadline() {
    let f = reviewed();
    let id = open(&f, NonResponse::Revoke).await;
    let g = &f.governance;
    let read = item_of(&f, &id, AGENT, &scope("crm:read"));
    f.clock.advance(DAY);
    g.decide_review(&id, &read, "olivia", ReviewDecision::Certify, "used")
        .await
        .unwrap();
    f.notes.take();

    let run = g.run_reviews(NOW + 7 * DAY - 1).await.unwrap();
    assert_eq!(run.reminders, 0);
    let run = g.run_reviews(NOW + 7 * DAY).await.unwrap();
    assert_eq!(run.reminders, 2, "olivia and carol still have items");
    assert_eq!(
        g.run_reviews(NOW + 8 * DAY).await.unwrap().reminders,
        0,
        "sent once"
    );
    assert_eq!(
        g.run_reviews(NOW + 13 * DAY).await.unwrap().reminders,
        2,
        "the last-day reminder"
    );
    assert!(f.notes.take().iter().all(|n| n.topic == "review_reminder"));

    // One second before the deadline nothing is revoked; at the deadline it is.
    assert!(
        g.run_reviews(NOW + 14 * DAY - 1)
            .await
            .unwrap()
            .closed
            .is_empty()
    );
    assert!(f.held(AGENT).contains(&scope("crm:write")));
    let run = g.run_reviews(NOW + 14 * DAY).await.unwrap();
    assert_eq!(run.closed, std::slice::from_ref(&id));
    assert!(!f.held(AGENT).contains(&scope("crm:write")));
    assert!(!f.held("support-agent").contains(&scope("crm:read")));
    assert!(
        f.held(AGENT).contains(&scope("crm:read")),
        "the certified item stays"
    );

    let report = g.campaign_report(&id).unwrap();
    assert!(report.closed);
    assert_eq!(report.certified.len(), 1);
    assert_eq!(report.revoked.len(), 2);
    assert!(
        report
            .revoked
            .iter()
            .all(|l| l.by == ["system:review_deadline"])
    );
    assert!(report.pending.is_empty());
    f.clock.set(NOW + 14 * DAY);
    assert!(matches!(
        g.decide_review(&id, &read, "olivia", ReviewDecision::Revoke, "late")
            .await,
        Err(ReviewError::Closed)
    ));
}

#[tokio::test]
async fn a_keep_policy_keeps_unreviewed_access_and_says_so() {
    let f = reviewed();
    let id = open(&f, NonResponse::Keep).await;
    f.governance.run_reviews(NOW + 14 * DAY).await.unwrap();
    let report = f.governance.campaign_report(&id).unwrap();
    assert_eq!(report.kept.len(), 3);
    assert!(f.held(AGENT).contains(&scope("crm:write")));
    let campaign = f.governance.campaign(&id).unwrap();
    assert!(
        campaign
            .items
            .iter()
            .all(|i| i.decision.as_ref().unwrap().outcome == ItemOutcome::Kept)
    );
}

#[tokio::test]
async fn a_bad_schedule_is_refused_and_a_monthly_one_follows_the_calendar() {
    let f = reviewed();
    let g = &f.governance;
    assert!(matches!(
        g.schedule_campaign(quarterly(NonResponse::Revoke).window(0), &admin()),
        Err(ReviewError::InvalidWindow)
    ));
    assert!(matches!(
        g.schedule_campaign(CampaignSchedule::new("", Cadence::Monthly, NOW), &admin()),
        Err(ReviewError::InvalidName)
    ));
    g.schedule_campaign(
        CampaignSchedule::new("monthly", Cadence::Monthly, NOW),
        &admin(),
    )
    .unwrap();
    assert!(matches!(
        g.schedule_campaign(
            CampaignSchedule::new("monthly", Cadence::Monthly, NOW),
            &admin()
        ),
        Err(ReviewError::DuplicateSchedule(_))
    ));
    assert_eq!(g.run_reviews(NOW).await.unwrap().opened.len(), 1);
    // 2026-02-01T00:00:00Z is 31 days after 2026-01-01.
    assert!(
        g.run_reviews(NOW + 31 * DAY - 1)
            .await
            .unwrap()
            .opened
            .is_empty()
    );
    assert_eq!(
        g.run_reviews(NOW + 31 * DAY).await.unwrap().opened,
        [format!("monthly@{}", NOW + 31 * DAY)]
    );
}
