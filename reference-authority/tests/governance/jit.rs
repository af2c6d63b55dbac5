//! Just-in-time elevation with a manual clock: the grant ends exactly at its
//! end, approvals come from owners or N of M, every refusal is typed and
//! changes nothing, and every decision is audited.

use super::*;
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::governance::jit::{Approver, Elevation, JitError, JitPolicy, Status};

fn write_for_an_hour() -> Elevation {
    Elevation::new(AGENT, scope("crm:write"), 3600)
        .reason("quarter-end bulk update, ticket OPS-42")
        .requested_by("sarah")
}

#[tokio::test]
async fn an_approved_grant_is_held_until_exactly_its_end_and_never_after() {
    let f = fixture();
    let g = &f.governance;
    let id = g.request_elevation(write_for_an_hour()).await.unwrap();
    assert!(
        !g.holds(AGENT, &scope("crm:write"), NOW).unwrap(),
        "not before approval"
    );
    f.clock.advance(60);
    let approved = g.approve_elevation(&id, "olivia").unwrap();
    assert_eq!(approved.status, Status::Approved);
    let start = NOW + 60;
    assert_eq!(
        (approved.starts, approved.ends),
        (Some(start), Some(start + 3600))
    );

    assert!(g.holds(AGENT, &scope("crm:write"), start).unwrap());
    assert!(g.holds(AGENT, &scope("crm:write"), start + 3599).unwrap());
    assert!(
        !g.holds(AGENT, &scope("crm:write"), start + 3600).unwrap(),
        "gone at its end"
    );
    assert!(!g.holds(AGENT, &scope("crm:write"), start + 86_400).unwrap());
    // The registry records the grant with the same end, read against the clock.
    f.clock.set(start + 3599);
    assert!(f.held(AGENT).contains(&scope("crm:write")));
    f.clock.set(start + 3600);
    assert!(
        !f.held(AGENT).contains(&scope("crm:write")),
        "no sweeper needed"
    );
    assert!(g.active_grants(AGENT, start + 3600).unwrap().is_empty());
}

#[tokio::test]
async fn a_request_without_reason_or_over_its_cap_is_refused_and_stores_nothing() {
    let f = fixture_with(|b| {
        b.jit_policy(
            JitPolicy::default()
                .max_duration(8 * 3600)
                .cap(scope("crm:write"), 1800),
        )
    });
    let g = &f.governance;
    let no_reason = Elevation::new(AGENT, scope("crm:write"), 600).reason("   ");
    assert!(matches!(
        g.request_elevation(no_reason).await,
        Err(JitError::MissingReason)
    ));
    let too_long = Elevation::new(AGENT, scope("crm:write"), 1801).reason("bulk update");
    assert!(matches!(
        g.request_elevation(too_long).await,
        Err(JitError::DurationOverCap {
            asked: 1801,
            cap: 1800
        })
    ));
    let other = Elevation::new(AGENT, scope("crm:read"), 8 * 3600 + 1).reason("reporting");
    assert!(matches!(
        g.request_elevation(other).await,
        Err(JitError::DurationOverCap { cap: 28_800, .. })
    ));
    let zero = Elevation::new(AGENT, scope("crm:read"), 0).reason("reporting");
    assert!(matches!(
        g.request_elevation(zero).await,
        Err(JitError::InvalidDuration)
    ));
    let control = Elevation::new(AGENT, scope("crm:read"), 60).reason("a\u{7}b");
    assert!(matches!(
        g.request_elevation(control).await,
        Err(JitError::InvalidReason { .. })
    ));
    let ghost = Elevation::new("ghost", scope("crm:read"), 60).reason("r");
    assert!(matches!(
        g.request_elevation(ghost).await,
        Err(JitError::UnknownAgent(_))
    ));
    let refused = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::ApprovalRequested && e.outcome == Outcome::Denied)
        .count();
    assert_eq!(refused, 6, "each refusal is audited");
    assert!(g.active_grants(AGENT, NOW).unwrap().is_empty());
}

#[tokio::test]
async fn a_suspended_agent_cannot_ask_and_loses_what_it_holds() {
    let f = fixture();
    let g = &f.governance;
    let id = g.request_elevation(write_for_an_hour()).await.unwrap();
    g.approve_elevation(&id, "olivia").unwrap();
    assert!(g.holds(AGENT, &scope("crm:write"), NOW).unwrap());
    f.authority
        .registry()
        .suspend(AGENT, Some("incident"), &admin())
        .unwrap();
    assert!(!g.holds(AGENT, &scope("crm:write"), NOW).unwrap());
    assert!(matches!(
        g.request_elevation(write_for_an_hour()).await,
        Err(JitError::AgentNotActive(_))
    ));
}

#[tokio::test]
async fn only_an_owner_approves_and_never_the_requester() {
    let f = fixture();
    let g = &f.governance;
    let id = g.request_elevation(write_for_an_hour()).await.unwrap();
    assert!(matches!(
        g.approve_elevation(&id, "bob"),
        Err(JitError::NotAnApprover(_))
    ));
    assert!(matches!(
        g.approve_elevation(&id, "sarah"),
        Err(JitError::SelfApproval)
    ));
    assert_eq!(
        g.elevation(&id).unwrap().status,
        Status::Pending,
        "refusals change nothing"
    );
    // An owner asking for their own agent cannot approve it either.
    let own = write_for_an_hour().requested_by("olivia");
    let own = g.request_elevation(own).await.unwrap();
    assert!(matches!(
        g.approve_elevation(&own, "olivia"),
        Err(JitError::SelfApproval)
    ));
    // Group owners: carol is in the `platform` group that owns the support agent.
    let support = Elevation::new("support-agent", scope("crm:read"), 600).reason("triage");
    let support = g.request_elevation(support).await.unwrap();
    assert_eq!(
        g.approve_elevation(&support, "carol").unwrap().status,
        Status::Approved
    );
}

#[tokio::test]
async fn an_owner_denial_ends_the_request() {
    let f = fixture();
    let g = &f.governance;
    let id = g.request_elevation(write_for_an_hour()).await.unwrap();
    assert_eq!(
        g.deny_elevation(&id, "olivia").unwrap().status,
        Status::Denied
    );
    assert!(matches!(
        g.approve_elevation(&id, "olivia"),
        Err(JitError::AlreadyDecided(_))
    ));
    assert!(!g.holds(AGENT, &scope("crm:write"), NOW).unwrap());
}

#[tokio::test]
async fn two_of_three_approvers_grant_and_two_denials_refuse() {
    let f = fixture();
    let g = &f.governance;
    let quorum = || Approver::Quorum {
        approvers: vec!["bob".into(), "carol".into(), "dave".into()],
        required: 2,
    };
    let id = g
        .request_elevation(write_for_an_hour().approver(quorum()))
        .await
        .unwrap();
    assert_eq!(
        g.approve_elevation(&id, "bob").unwrap().status,
        Status::Pending
    );
    assert!(
        !g.holds(AGENT, &scope("crm:write"), NOW).unwrap(),
        "one of two is not enough"
    );
    assert!(matches!(
        g.approve_elevation(&id, "bob"),
        Err(JitError::AlreadyVoted(_))
    ));
    assert!(matches!(
        g.approve_elevation(&id, "olivia"),
        Err(JitError::NotAnApprover(_))
    ));
    let done = g.approve_elevation(&id, "dave").unwrap();
    assert_eq!(done.status, Status::Approved);
    assert_eq!(done.decided_by, ["bob", "dave"]);
    assert!(g.holds(AGENT, &scope("crm:write"), NOW).unwrap());

    let refused = g
        .request_elevation(write_for_an_hour().approver(quorum()))
        .await
        .unwrap();
    g.deny_elevation(&refused, "bob").unwrap();
    assert_eq!(
        g.deny_elevation(&refused, "carol").unwrap().status,
        Status::Denied
    );
    assert!(matches!(
        g.approve_elevation(&refused, "dave"),
        Err(JitError::AlreadyDecided(_))
    ));

    let bad = write_for_an_hour().approver(Approver::Quorum {
        approvers: vec!["bob".into(), "bob".into()],
        required: 2,
    });
    assert!(matches!(
        g.request_elevation(bad).await,
        Err(JitError::InvalidQuorum { approvers: 1 })
    ));
}

#[tokio::test]
async fn an_undecided_request_expires_at_its_deadline() {
    let f = fixture_with(|b| b.jit_policy(JitPolicy::default().decision_window(600)));
    let g = &f.governance;
    let id = g.request_elevation(write_for_an_hour()).await.unwrap();
    assert!(g.run_jit(NOW + 599).await.unwrap().is_empty());
    f.clock.set(NOW + 600);
    assert!(matches!(
        g.approve_elevation(&id, "olivia"),
        Err(JitError::Expired)
    ));
    assert_eq!(g.elevation(&id).unwrap().status, Status::Expired);
    assert!(
        g.run_jit(NOW + 600).await.unwrap().is_empty(),
        "expired once"
    );
}

#[tokio::test]
async fn revoking_a_grant_ends_it_at_once_in_both_records() {
    let f = fixture();
    let g = &f.governance;
    let id = g.request_elevation(write_for_an_hour()).await.unwrap();
    g.approve_elevation(&id, "olivia").unwrap();
    f.clock.advance(100);
    g.revoke_elevation(&id, &admin(), "task done").unwrap();
    assert!(!g.holds(AGENT, &scope("crm:write"), NOW + 100).unwrap());
    assert!(!f.held(AGENT).contains(&scope("crm:write")));
    assert_eq!(g.elevation(&id).unwrap().ends, Some(NOW + 100));
    assert!(matches!(
        g.revoke_elevation(&id, &admin(), "again"),
        Err(JitError::NotActive)
    ));
}

#[tokio::test]
async fn every_jit_decision_names_actor_target_and_reason() {
    let f = fixture();
    let g = &f.governance;
    let id = g.request_elevation(write_for_an_hour()).await.unwrap();
    g.approve_elevation(&id, "olivia").unwrap();
    let events = f.governance_events();
    let asked = events
        .iter()
        .find(|e| e.action == AuditAction::ApprovalRequested)
        .unwrap();
    assert_eq!(asked.agent.as_deref(), Some(AGENT));
    assert_eq!(asked.details["actor"], "user:sarah");
    assert_eq!(
        asked.reason.as_deref(),
        Some("quarter-end bulk update, ticket OPS-42")
    );
    let decided = events
        .iter()
        .find(|e| e.action == AuditAction::ApprovalDecided)
        .unwrap();
    assert_eq!(decided.outcome, Outcome::Success);
    assert_eq!(decided.details["actor"], "user:olivia");
    assert_eq!(decided.details["ends"], NOW + 3600);
    assert_eq!(decided.reason.as_deref(), Some("approved"));
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_grant_survives_a_restart_and_still_ends_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authority.db");
    let store = |p: &std::path::Path| -> Arc<dyn reference_authority::Store> {
        Arc::new(reference_authority::SqliteStore::open(p).unwrap())
    };
    let f = fixture_on(Some(store(&path)), |b| b);
    let id = f
        .governance
        .request_elevation(write_for_an_hour())
        .await
        .unwrap();
    f.governance.approve_elevation(&id, "olivia").unwrap();
    drop(f);

    let clock = ManualClock::new(NOW + 1800);
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .store(store(&path))
        .build()
        .unwrap();
    let g = Governance::builder(&authority).build();
    assert!(g.holds(AGENT, &scope("crm:write"), NOW + 3599).unwrap());
    assert!(!g.holds(AGENT, &scope("crm:write"), NOW + 3600).unwrap());
    assert_eq!(g.elevation(&id).unwrap().decided_by, ["olivia"]);
}
