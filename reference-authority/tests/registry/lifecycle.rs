//! STAGED -> ACTIVE <-> INACTIVE -> DELETED, and every refusal changes nothing.

use super::*;
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::registry::{AgentPatch, AgentStatus, RegistryError};

#[test]
fn registration_stages_the_agent_with_metadata_from_the_clock() {
    let f = fixture();
    let agent = f
        .authority
        .registry()
        .register(sales_agent(), &admin())
        .unwrap();
    assert_eq!(agent.status, AgentStatus::Staged);
    assert_eq!(agent.meta.version, 1);
    assert_eq!(agent.meta.created, NOW);
    assert_eq!(agent.meta.created_by, admin());
    assert_eq!(agent.clients, ["sales-agent"]);
    assert_eq!(
        f.authority
            .registry()
            .agent("sales-agent-prod-001")
            .unwrap(),
        Some(agent)
    );
}

#[test]
fn a_staged_agent_s_client_is_disabled_until_activation() {
    let f = fixture();
    f.authority
        .registry()
        .register(sales_agent(), &admin())
        .unwrap();
    assert!(f.authority.client_disabled("sales-agent"));
    f.authority
        .registry()
        .activate("sales-agent-prod-001", &admin())
        .unwrap();
    assert!(!f.authority.client_disabled("sales-agent"));
}

/// Whether a refusal is the one a case expects.
type Expected = fn(&RegistryError) -> bool;

#[test]
fn activation_needs_an_owner_a_sponsor_and_a_credential() {
    let owner = || Principal::Person("tom".into());
    // (case, spec, whether the spec links the client, the refusal)
    let cases: [(&str, AgentSpec, bool, Expected); 3] = [
        (
            "no owner",
            AgentSpec::new("a1", "A")
                .sponsor("sarah")
                .client("sales-agent"),
            true,
            |e| matches!(e, RegistryError::NoActiveOwner(id) if id == "a1"),
        ),
        (
            "no sponsor",
            AgentSpec::new("a1", "A")
                .owner(owner())
                .client("sales-agent"),
            true,
            |e| matches!(e, RegistryError::NoActiveSponsor(id) if id == "a1"),
        ),
        (
            "no credential",
            AgentSpec::new("a1", "A").owner(owner()).sponsor("sarah"),
            false,
            |e| matches!(e, RegistryError::NoCredential(id) if id == "a1"),
        ),
    ];
    for (case, spec, linked, expected) in cases {
        let f = fixture();
        let registry = f.authority.registry();
        staged(&f, spec);
        let err = registry.activate("a1", &admin()).unwrap_err();
        assert!(expected(&err), "{case}: {err}");
        let agent = registry.agent("a1").unwrap().unwrap();
        assert_eq!(
            (agent.status, agent.meta.version),
            (AgentStatus::Staged, 1),
            "{case}: the refusal changes nothing"
        );
        assert_eq!(f.authority.client_disabled("sales-agent"), linked, "{case}");
    }
}

#[tokio::test]
async fn activation_needs_the_sponsor_to_be_active() {
    let f = fixture();
    f.authority
        .directory()
        .set_active("alice", false, None, &admin())
        .await
        .unwrap();
    let registry = f.authority.registry();
    staged(&f, a1(Principal::Person("tom".into()), "alice"));
    let err = registry.activate("a1", &admin()).unwrap_err();
    assert!(matches!(err, RegistryError::NoActiveSponsor(_)), "{err}");
}

#[test]
fn a_group_with_an_active_member_is_a_valid_owner() {
    let f = fixture();
    let registry = f.authority.registry();
    staged(&f, a1(Principal::Group("sales-ops".into()), "sarah"));
    assert_eq!(
        registry.activate("a1", &admin()).unwrap().status,
        AgentStatus::Active
    );
}

#[test]
fn suspend_and_reactivate() {
    let f = fixture();
    register_active(&f);
    let registry = f.authority.registry();
    let suspended = registry
        .suspend("sales-agent-prod-001", Some("incident"), &admin())
        .unwrap();
    assert_eq!(suspended.status, AgentStatus::Inactive);
    assert!(f.authority.client_disabled("sales-agent"));
    let again = registry.activate("sales-agent-prod-001", &admin()).unwrap();
    assert_eq!(again.status, AgentStatus::Active);
    assert!(!f.authority.client_disabled("sales-agent"));
    assert_eq!(again.meta.version, 4);
}

#[test]
fn illegal_transitions_are_typed_errors_that_change_nothing() {
    let f = fixture();
    let registry = f.authority.registry();
    registry.register(sales_agent(), &admin()).unwrap();
    // STAGED cannot be suspended or deleted.
    let err = registry
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap_err();
    assert!(matches!(
        err,
        RegistryError::IllegalTransition {
            from: AgentStatus::Staged,
            to: AgentStatus::Inactive
        }
    ));
    assert!(matches!(
        registry
            .delete("sales-agent-prod-001", &admin())
            .unwrap_err(),
        RegistryError::IllegalTransition {
            from: AgentStatus::Staged,
            to: AgentStatus::Deleted
        }
    ));
    let before = registry.agent("sales-agent-prod-001").unwrap();
    registry.activate("sales-agent-prod-001", &admin()).unwrap();
    // ACTIVE cannot be activated again or deleted.
    let active = registry.agent("sales-agent-prod-001").unwrap();
    assert!(matches!(
        registry
            .activate("sales-agent-prod-001", &admin())
            .unwrap_err(),
        RegistryError::IllegalTransition { .. }
    ));
    assert!(matches!(
        registry
            .delete("sales-agent-prod-001", &admin())
            .unwrap_err(),
        RegistryError::IllegalTransition {
            from: AgentStatus::Active,
            to: AgentStatus::Deleted
        }
    ));
    assert_eq!(registry.agent("sales-agent-prod-001").unwrap(), active);
    assert_ne!(before, active);
}

#[test]
fn deletion_only_from_inactive_and_a_tombstone_never_changes() {
    let f = fixture();
    register_active(&f);
    let registry = f.authority.registry();
    registry
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap();
    let deleted = registry.delete("sales-agent-prod-001", &admin()).unwrap();
    assert_eq!(deleted.status, AgentStatus::Deleted);
    for err in [
        registry
            .activate("sales-agent-prod-001", &admin())
            .unwrap_err(),
        registry
            .suspend("sales-agent-prod-001", None, &admin())
            .unwrap_err(),
        registry
            .delete("sales-agent-prod-001", &admin())
            .unwrap_err(),
        registry
            .update(
                "sales-agent-prod-001",
                AgentPatch::new().name("B"),
                None,
                &admin(),
            )
            .unwrap_err(),
    ] {
        assert!(matches!(err, RegistryError::Deleted(_)), "{err}");
    }
    assert_eq!(
        registry.agent("sales-agent-prod-001").unwrap().unwrap(),
        deleted
    );
}

#[test]
fn an_update_that_would_leave_an_active_agent_without_owner_is_refused() {
    let f = fixture();
    let active = register_active(&f);
    let registry = f.authority.registry();
    let err = registry
        .update(
            "sales-agent-prod-001",
            AgentPatch::new().owners(vec![]),
            None,
            &admin(),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::NoActiveOwner(_)), "{err}");
    let err = registry
        .update(
            "sales-agent-prod-001",
            AgentPatch::new().sponsors(vec![]),
            None,
            &admin(),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::NoActiveSponsor(_)), "{err}");
    assert_eq!(
        registry.agent("sales-agent-prod-001").unwrap().unwrap(),
        active
    );
}

#[test]
fn a_stale_version_is_refused_and_changes_nothing() {
    let f = fixture();
    let registry = f.authority.registry();
    registry.register(sales_agent(), &admin()).unwrap();
    let updated = registry
        .update(
            "sales-agent-prod-001",
            AgentPatch::new().purpose(Some("Renewals".into())),
            Some(1),
            &admin(),
        )
        .unwrap();
    assert_eq!(updated.meta.version, 2);
    assert_eq!(updated.meta.etag(), "W/\"2\"");
    let err = registry
        .update(
            "sales-agent-prod-001",
            AgentPatch::new().purpose(Some("Other".into())),
            Some(1),
            &admin(),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        RegistryError::VersionMismatch {
            expected: 1,
            current: 2
        }
    ));
    assert_eq!(
        registry.agent("sales-agent-prod-001").unwrap().unwrap(),
        updated
    );
}

#[test]
fn registration_refuses_bad_references_and_stores_nothing() {
    let f = fixture();
    let registry = f.authority.registry();
    let cases = [
        (
            AgentSpec::new("a1", "A").owner(Principal::Person("nobody".into())),
            "no person `nobody`",
        ),
        (
            AgentSpec::new("a1", "A").owner(Principal::Group("nogroup".into())),
            "no group `nogroup`",
        ),
        (
            AgentSpec::new("a1", "A").sponsor("nobody"),
            "no person `nobody`",
        ),
        (
            AgentSpec::new("a1", "A").client("no-client"),
            "no OAuth client `no-client`",
        ),
        (
            AgentSpec::new("a1", "A").parent("no-agent"),
            "no agent `no-agent`",
        ),
        (AgentSpec::new("a1", " "), "invalid name: empty"),
        (AgentSpec::new("a/1", "A"), "invalid id"),
        (AgentSpec::new("", "A"), "invalid id: empty"),
    ];
    for (spec, message) in cases {
        let err = registry.register(spec, &admin()).unwrap_err();
        assert!(err.to_string().starts_with(message), "{err}");
    }
    assert!(registry.agents().unwrap().is_empty());
    assert!(!f.authority.client_disabled("sales-agent"));
}

#[test]
fn a_client_belongs_to_one_agent() {
    let f = fixture();
    let registry = f.authority.registry();
    registry.register(sales_agent(), &admin()).unwrap();
    let err = registry
        .register(
            AgentSpec::new("other", "Other").client("sales-agent"),
            &admin(),
        )
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::ClientTaken { ref agent_id, .. } if agent_id == "sales-agent-prod-001")
    );
    assert!(registry.agent("other").unwrap().is_none());
    assert!(matches!(
        registry.register(sales_agent(), &admin()).unwrap_err(),
        RegistryError::AgentExists(_)
    ));
}

#[test]
fn parents_never_loop() {
    let f = fixture();
    let registry = f.authority.registry();
    registry
        .register(AgentSpec::new("root", "Root"), &admin())
        .unwrap();
    registry
        .register(AgentSpec::new("child", "Child").parent("root"), &admin())
        .unwrap();
    assert_eq!(registry.children("root").unwrap(), ["child"]);
    let err = registry
        .update(
            "root",
            AgentPatch::new().parent(Some("child".into())),
            None,
            &admin(),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::ParentCycle(_)), "{err}");
}

#[test]
fn the_last_client_of_an_active_agent_cannot_be_unlinked() {
    let f = fixture();
    register_active(&f);
    let registry = f.authority.registry();
    let err = registry
        .unlink_client("sales-agent-prod-001", "sales-agent", &admin())
        .unwrap_err();
    assert!(matches!(err, RegistryError::NoCredential(_)));
    registry
        .link_client("sales-agent-prod-001", "sales-agent-jwt", &admin())
        .unwrap();
    // Linked to an ACTIVE agent: the new client works.
    assert!(!f.authority.client_disabled("sales-agent-jwt"));
    let after = registry
        .unlink_client("sales-agent-prod-001", "sales-agent", &admin())
        .unwrap();
    assert_eq!(after.clients, ["sales-agent-jwt"]);
    assert!(registry.agent_of_client("sales-agent").unwrap().is_none());
}

#[test]
fn every_change_and_every_refusal_is_audited_with_the_actor() {
    let f = fixture();
    register_active(&f);
    let _ = f
        .authority
        .registry()
        .delete("sales-agent-prod-001", &Actor::client("scim"));
    let events: Vec<_> = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::AgentLifecycle)
        .collect();
    let changes: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.details["change"].as_str().unwrap().to_owned(),
                e.outcome,
                e.details["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "registered".to_owned(),
                Outcome::Success,
                "user:admin".to_owned()
            ),
            (
                "activated".to_owned(),
                Outcome::Success,
                "user:admin".to_owned()
            ),
            (
                "delete".to_owned(),
                Outcome::Denied,
                "client:scim".to_owned()
            ),
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.agent.as_deref() == Some("sales-agent-prod-001"))
    );
    assert_eq!(
        events[2].reason.as_deref(),
        Some("an agent cannot go from ACTIVE to DELETED")
    );
}
