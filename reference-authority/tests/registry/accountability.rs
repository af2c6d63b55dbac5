//! No ACTIVE agent without an active owner and sponsor: sponsorship moves to
//! the manager of a deactivated sponsor; with no active manager the agent is
//! suspended and its owners are told.

use super::*;
use reference_authority::registry::{AgentStatus, RegistryError};

#[tokio::test]
async fn a_deactivated_sponsor_s_agents_move_to_their_manager() {
    let f = fixture();
    register_active(&f);
    f.authority
        .directory()
        .set_active("sarah", false, None, &admin())
        .await
        .unwrap();
    let agent = f
        .authority
        .registry()
        .agent("sales-agent-prod-001")
        .unwrap()
        .unwrap();
    assert_eq!(agent.sponsors, ["maria"]);
    // Sarah was also the owner: with no other active owner the agent is suspended.
    assert_eq!(agent.status, AgentStatus::Inactive);
    assert_eq!(
        f.authority.registry().sponsored_by("maria").unwrap(),
        ["sales-agent-prod-001"]
    );
    assert!(
        f.authority
            .registry()
            .sponsored_by("sarah")
            .unwrap()
            .is_empty()
    );
}

/// How a sponsor leaves.
#[derive(Debug, Clone, Copy)]
enum Leaving {
    Deactivated,
    Deleted,
}

#[tokio::test]
async fn sponsorship_moves_and_the_agent_stays_active_when_it_still_has_an_owner() {
    for leaving in [Leaving::Deactivated, Leaving::Deleted] {
        let f = fixture();
        let registry = f.authority.registry();
        registry
            .register(
                sales_agent().owner(Principal::Group("sales-ops".into())),
                &admin(),
            )
            .unwrap();
        registry.activate("sales-agent-prod-001", &admin()).unwrap();
        let directory = f.authority.directory();
        match leaving {
            Leaving::Deactivated => directory
                .set_active("sarah", false, None, &admin())
                .await
                .map(drop),
            Leaving::Deleted => directory.delete_person("sarah", &admin()).await,
        }
        .unwrap();
        let agent = registry.agent("sales-agent-prod-001").unwrap().unwrap();
        assert_eq!(agent.status, AgentStatus::Active, "{leaving:?}");
        assert_eq!(agent.sponsors, ["maria"], "{leaving:?}");
        assert!(!f.authority.client_disabled("sales-agent"), "{leaving:?}");
        assert!(f.authority.user("sarah").unwrap().unwrap().disabled);
        match leaving {
            Leaving::Deactivated => assert!(f.notes.sent().is_empty()),
            // A deleted person leaves the directory and their groups.
            Leaving::Deleted => assert!(directory.person("sarah").unwrap().is_none()),
        }
    }
}

#[tokio::test]
async fn without_an_active_manager_the_agent_is_suspended_and_its_owners_are_notified() {
    let f = fixture();
    let registry = f.authority.registry();
    active(&f, a1(Principal::Group("sales-ops".into()), "maria"));
    // Maria has no manager.
    f.authority
        .directory()
        .set_active("maria", false, None, &admin())
        .await
        .unwrap();
    let agent = registry.agent("a1").unwrap().unwrap();
    assert_eq!(agent.status, AgentStatus::Inactive);
    assert!(f.authority.client_disabled("sales-agent"));
    let sent = f.notes.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic, "agent_suspended");
    assert_eq!(sent[0].recipients, ["tom"]);
    assert_eq!(sent[0].emails, ["tom@acme.example"]);
    assert_eq!(sent[0].subject.as_deref(), Some("a1"));
    assert_eq!(sent[0].details["reason"], "no_active_sponsor");
    // It stays suspended: activation needs an active sponsor first.
    assert!(matches!(
        registry.activate("a1", &admin()).unwrap_err(),
        RegistryError::NoActiveSponsor(_)
    ));
}

#[tokio::test]
async fn deactivating_a_person_disables_their_authority_user() {
    let f = fixture();
    f.authority
        .directory()
        .set_active("alice", false, None, &admin())
        .await
        .unwrap();
    assert!(f.authority.user("alice").unwrap().unwrap().disabled);
    assert!(
        f.authority
            .sign_in(&Credentials::password("alice", "correct horse battery"))
            .is_err()
    );
    f.authority
        .directory()
        .set_active("alice", true, None, &admin())
        .await
        .unwrap();
    assert!(!f.authority.user("alice").unwrap().unwrap().disabled);
}

#[tokio::test]
async fn a_group_owner_without_active_members_suspends_the_agent_and_tells_the_sponsor() {
    let f = fixture();
    let registry = f.authority.registry();
    active(&f, a1(Principal::Group("sales-ops".into()), "maria"));
    f.authority
        .directory()
        .replace_group(
            GroupSpec::new("sales-ops", "Sales operations"),
            None,
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(
        registry.agent("a1").unwrap().unwrap().status,
        AgentStatus::Inactive
    );
    let sent = f.notes.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipients, ["maria"]);
    assert_eq!(sent[0].details["reason"], "no_active_owner");
}

#[tokio::test]
async fn a_deactivated_owner_suspends_an_agent_with_no_other_owner() {
    let f = fixture();
    let registry = f.authority.registry();
    active(&f, a1(Principal::Person("tom".into()), "maria"));
    f.authority
        .directory()
        .set_active("tom", false, None, &admin())
        .await
        .unwrap();
    assert_eq!(
        registry.agent("a1").unwrap().unwrap().status,
        AgentStatus::Inactive
    );
    // No active owner left: the sponsor hears of it.
    assert_eq!(f.notes.take()[0].recipients, ["maria"]);
}

#[tokio::test]
async fn reactivating_a_person_does_not_reactivate_their_agents() {
    let f = fixture();
    let registry = f.authority.registry();
    active(&f, a1(Principal::Person("tom".into()), "maria"));
    let directory = f.authority.directory();
    directory
        .set_active("tom", false, None, &admin())
        .await
        .unwrap();
    directory
        .set_active("tom", true, None, &admin())
        .await
        .unwrap();
    assert_eq!(
        registry.agent("a1").unwrap().unwrap().status,
        AgentStatus::Inactive
    );
    assert!(f.authority.client_disabled("sales-agent"));
}
