//! With SQLite, a restarted authority keeps its agents, their grants, the
//! directory and the clients' status; the indexes are rebuilt from the store.

use super::*;
use reference_authority::registry::{AgentStatus, Entitlement, NewGrant, Resource};

#[tokio::test]
async fn the_registry_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authority.db");
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        let f = fixture_with(Some(store));
        register_active(&f);
        f.authority
            .registry()
            .grant(
                "sales-agent-prod-001",
                NewGrant::new(Entitlement::VaultConnection {
                    connection: "salesforce".into(),
                }),
                &admin(),
            )
            .unwrap();
        f.authority
            .registry()
            .register(
                AgentSpec::new("staged", "Staged").client("sales-agent-jwt"),
                &admin(),
            )
            .unwrap();
    }
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(agent_auth::clock::ManualClock::new(NOW)))
        .store(store)
        .build()
        .unwrap();
    let registry = authority.registry();
    let agent = registry.agent("sales-agent-prod-001").unwrap().unwrap();
    assert_eq!(agent.status, AgentStatus::Active);
    assert_eq!(agent.entitlements.len(), 1);
    assert_eq!(
        registry.agent_of_client("sales-agent").unwrap().unwrap().id,
        agent.id
    );
    assert_eq!(
        registry
            .agents_reaching(&Resource::VaultConnection("salesforce".into()))
            .unwrap(),
        ["sales-agent-prod-001"]
    );
    assert_eq!(
        registry.sponsored_by("sarah").unwrap(),
        ["sales-agent-prod-001"]
    );
    assert!(authority.client_disabled("sales-agent-jwt"));
    assert!(!authority.client_disabled("sales-agent"));
    let sarah = authority.directory().person("sarah").unwrap().unwrap();
    assert_eq!(sarah.manager.as_deref(), Some("maria"));
    assert_eq!(
        authority.directory().groups_of("tom").unwrap(),
        ["sales-ops"]
    );
}
