//! A deleted agent is a tombstone: evidence and the identifiers of its last
//! credentials, never a secret.

use super::*;
use reference_authority::registry::{AgentStatus, Entitlement, NewGrant, RegistryError, Resource};

fn deleted_agent(f: &Fixture) -> AgentRecord {
    let registry = f.authority.registry();
    registry
        .register(sales_agent().client("sales-agent-jwt"), &admin())
        .unwrap();
    registry.activate("sales-agent-prod-001", &admin()).unwrap();
    registry
        .grant(
            "sales-agent-prod-001",
            NewGrant::new(Entitlement::scope("crm:read", "https://crm.example/mcp")),
            &admin(),
        )
        .unwrap();
    registry
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap();
    f.clock.advance(60);
    registry
        .delete("sales-agent-prod-001", &Actor::user("maria"))
        .unwrap()
}

#[test]
fn the_tombstone_keeps_client_and_key_ids() {
    let f = fixture();
    let agent = deleted_agent(&f);
    assert_eq!(agent.status, AgentStatus::Deleted);
    let tomb = agent.tombstone.clone().unwrap();
    assert_eq!(tomb.client_ids, ["sales-agent", "sales-agent-jwt"]);
    assert_eq!(tomb.key_ids, ["agent-key-1"]);
    assert_eq!(tomb.deleted, NOW + 60);
    assert_eq!(tomb.deleted_by, Actor::user("maria"));
    // The evidence stays: who owned and sponsored it, what it was for.
    assert_eq!(agent.sponsors, ["sarah"]);
    assert_eq!(agent.purpose.as_deref(), Some("Prepares proposals"));
}

#[test]
fn the_tombstone_never_holds_the_secret() {
    let f = fixture();
    let agent = deleted_agent(&f);
    let debug = format!("{agent:?}");
    let json = serde_json::to_string(&agent).unwrap();
    let stored = f
        .authority
        .store()
        .get(Table::Extension("registry_agents"), "sales-agent-prod-001")
        .unwrap()
        .unwrap();
    let digest = f
        .authority
        .client("sales-agent")
        .unwrap()
        .unwrap()
        .secret_digest
        .unwrap();
    for text in [debug, json, String::from_utf8(stored).unwrap()] {
        assert!(!text.contains(AGENT_SECRET));
        assert!(!text.contains(&digest), "the secret's digest leaked");
        assert!(!text.contains("\"d\""), "private key material leaked");
    }
}

#[test]
fn a_deleted_agent_s_entitlements_end_and_it_leaves_the_dependency_map() {
    let f = fixture();
    deleted_agent(&f);
    let registry = f.authority.registry();
    assert!(
        registry
            .entitlements("sales-agent-prod-001")
            .unwrap()
            .is_empty()
    );
    assert!(
        registry
            .agents_reaching(&Resource::Api("https://crm.example/mcp".into()))
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        registry
            .grant(
                "sales-agent-prod-001",
                NewGrant::new(Entitlement::VaultConnection {
                    connection: "google".into()
                }),
                &admin()
            )
            .unwrap_err(),
        RegistryError::Deleted(_)
    ));
}

#[test]
fn a_deleted_agent_s_clients_stay_bound_and_disabled() {
    let f = fixture();
    deleted_agent(&f);
    let registry = f.authority.registry();
    assert!(f.authority.client_disabled("sales-agent"));
    assert!(f.authority.client_disabled("sales-agent-jwt"));
    let err = registry
        .register(
            AgentSpec::new("reborn", "Reborn").client("sales-agent"),
            &admin(),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::ClientTaken { .. }), "{err}");
    assert_eq!(
        registry.agent_of_client("sales-agent").unwrap().unwrap().id,
        "sales-agent-prod-001"
    );
}
