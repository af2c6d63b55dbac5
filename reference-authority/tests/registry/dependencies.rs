//! The dependency map, derived from grants and the authority's records, in
//! both directions.

use super::*;
use reference_authority::registry::{Entitlement, GrantOrigin, NewGrant, Resource};

fn grant(f: &Fixture, agent: &str, e: Entitlement) {
    f.authority
        .registry()
        .grant(agent, NewGrant::new(e), &admin())
        .unwrap();
}

fn two_agents(f: &Fixture) {
    register_active(f);
    f.authority
        .registry()
        .register(AgentSpec::new("mailer", "Mailer"), &admin())
        .unwrap();
    let a = "sales-agent-prod-001";
    grant(
        f,
        a,
        Entitlement::scope("pricing:read", "https://pricing.acme.example"),
    );
    grant(
        f,
        a,
        Entitlement::ManagedConnection {
            audience: "https://pricing.acmecorp.internal".into(),
        },
    );
    grant(
        f,
        a,
        Entitlement::VaultConnection {
            connection: "salesforce".into(),
        },
    );
    grant(
        f,
        a,
        Entitlement::FgaRelation {
            object: "document:proposals".into(),
            relation: "viewer".into(),
        },
    );
    grant(
        f,
        a,
        Entitlement::DelegatedUser {
            user_id: "sarah".into(),
        },
    );
    grant(
        f,
        "mailer",
        Entitlement::VaultConnection {
            connection: "salesforce".into(),
        },
    );
    grant(
        f,
        "mailer",
        Entitlement::VaultConnection {
            connection: "google".into(),
        },
    );
}

#[test]
fn an_agent_s_dependencies_come_from_grants_and_its_client_registrations() {
    let f = fixture();
    two_agents(&f);
    let map = f
        .authority
        .registry()
        .dependencies("sales-agent-prod-001")
        .unwrap();
    let set = |items: &[&str]| -> std::collections::BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    };
    assert_eq!(map.agent_id, "sales-agent-prod-001");
    assert_eq!(
        map.resources,
        set(&["https://crm.example/mcp", "https://pricing.acme.example"])
    );
    assert!(map.scopes.is_empty());
    assert_eq!(
        map.managed_connections,
        set(&["https://pricing.acmecorp.internal"])
    );
    assert_eq!(map.vault_connections, set(&["salesforce"]));
    assert_eq!(
        map.fga_relations,
        [("document:proposals".to_owned(), "viewer".to_owned())]
            .into_iter()
            .collect()
    );
    assert_eq!(map.delegated_users, set(&["sarah"]));
}

#[test]
fn each_resource_knows_the_agents_that_reach_it() {
    let f = fixture();
    two_agents(&f);
    let registry = f.authority.registry();
    let reach = |r: Resource| registry.agents_reaching(&r).unwrap();
    assert_eq!(
        reach(Resource::VaultConnection("salesforce".into())),
        ["mailer", "sales-agent-prod-001"]
    );
    assert_eq!(
        reach(Resource::VaultConnection("google".into())),
        ["mailer"]
    );
    // Through the client's registered resources, not a grant.
    assert_eq!(
        reach(Resource::Api("https://crm.example/mcp".into())),
        ["sales-agent-prod-001"]
    );
    assert_eq!(
        reach(Resource::FgaObject("document:proposals".into())),
        ["sales-agent-prod-001"]
    );
    assert!(reach(Resource::VaultConnection("slack".into())).is_empty());
}

#[test]
fn a_user_s_consent_to_the_agent_s_client_makes_them_a_delegated_user() {
    let f = fixture();
    register_active(&f);
    f.authority
        .grant_consent(
            "alice",
            "sales-agent",
            &["crm:read".to_owned()],
            &["https://docs.example/mcp".to_owned()],
        )
        .unwrap();
    let registry = f.authority.registry();
    let map = registry.dependencies("sales-agent-prod-001").unwrap();
    assert!(map.delegated_users.contains("alice"));
    assert!(map.resources.contains("https://docs.example/mcp"));
    assert_eq!(
        registry
            .agents_reaching(&Resource::User("alice".into()))
            .unwrap(),
        ["sales-agent-prod-001"]
    );
    assert_eq!(
        registry
            .agents_reaching(&Resource::Api("https://docs.example/mcp".into()))
            .unwrap(),
        ["sales-agent-prod-001"]
    );
}

#[test]
fn a_revoked_or_expired_grant_leaves_the_map() {
    let f = fixture();
    register_active(&f);
    let registry = f.authority.registry();
    let a = "sales-agent-prod-001";
    let vault = Entitlement::VaultConnection {
        connection: "google".into(),
    };
    registry
        .grant(
            a,
            NewGrant::new(vault.clone())
                .origin(GrantOrigin::JustInTime("req-1".into()))
                .expires(NOW + 3600),
            &admin(),
        )
        .unwrap();
    let google = Resource::VaultConnection("google".into());
    assert_eq!(registry.agents_reaching(&google).unwrap(), [a]);
    f.clock.advance(3600);
    assert!(registry.agents_reaching(&google).unwrap().is_empty());
    assert!(
        registry
            .dependencies(a)
            .unwrap()
            .vault_connections
            .is_empty()
    );
    assert!(registry.entitlements(a).unwrap().is_empty());

    // The same entitlement from two origins: withdrawing one keeps the other.
    registry
        .grant(a, NewGrant::new(vault.clone()), &admin())
        .unwrap();
    registry
        .grant(
            a,
            NewGrant::new(vault.clone()).origin(GrantOrigin::Template("sales".into())),
            &admin(),
        )
        .unwrap();
    assert_eq!(
        registry
            .revoke_origin(a, &GrantOrigin::Template("sales".into()), &admin())
            .unwrap(),
        1
    );
    assert_eq!(registry.agents_reaching(&google).unwrap(), [a]);
    registry
        .revoke(a, &vault, &GrantOrigin::Direct, &admin())
        .unwrap();
    assert!(registry.agents_reaching(&google).unwrap().is_empty());
}

#[test]
fn malformed_entitlements_are_refused() {
    let f = fixture();
    register_active(&f);
    let registry = f.authority.registry();
    let before = registry.agent("sales-agent-prod-001").unwrap();
    for bad in [
        Entitlement::Scope {
            scope: "".into(),
            resource: None,
        },
        Entitlement::Scope {
            scope: "a b".into(),
            resource: None,
        },
        Entitlement::FgaRelation {
            object: "no-type".into(),
            relation: "viewer".into(),
        },
        Entitlement::DelegatedUser {
            user_id: "nobody".into(),
        },
        Entitlement::VaultConnection {
            connection: " ".into(),
        },
    ] {
        assert!(
            registry
                .grant("sales-agent-prod-001", NewGrant::new(bad), &admin())
                .is_err()
        );
    }
    assert!(
        registry
            .grant(
                "sales-agent-prod-001",
                NewGrant::new(Entitlement::VaultConnection {
                    connection: "g".into()
                })
                .expires(NOW),
                &admin()
            )
            .is_err()
    );
    assert_eq!(registry.agent("sales-agent-prod-001").unwrap(), before);
}
