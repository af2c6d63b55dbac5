//! Discovery: unregistered clients acting like agents, unknown clients at
//! guarded resources, over-privilege, and registration from discovery.

use super::common::*;
use agent_auth::audit::{AuditAction, AuditEvent, AuditSink, Outcome};
use reference_authority::detection::RiskLevel;
use reference_authority::directory::PersonPatch;
use reference_authority::discovery::{Adoption, Discovery, DiscoveryError};
use reference_authority::governance::Governance;
use reference_authority::registry::{Actor, AgentSpec, Entitlement, NewGrant, Principal};
use reference_authority::*;

fn authority() -> Authority {
    let a = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    a.register_user(UserSpec::new("sarah").id("sarah")).unwrap();
    a.directory()
        .create_person(
            "sarah",
            PersonPatch::new().display_name("Sarah"),
            &Actor::user("admin"),
        )
        .unwrap();
    a.register_client(
        ClientSpec::confidential("crm-sync-bot", "crm-sync-secret-0123456789")
            .name("CRM sync bot")
            .grant_types(["client_credentials"])
            .scopes(["crm:read", "crm:write"]),
    )
    .unwrap();
    a.register_client(
        ClientSpec::confidential("payroll-batch", "payroll-secret-0123456789")
            .grant_types(["client_credentials"])
            .scopes(["payroll:read"]),
    )
    .unwrap();
    a
}

fn tool_call(client: &str, user: Option<&str>, t: i64) -> AuditEvent {
    let e = AuditEvent::new(t, AuditAction::AuthorizationDecision, Outcome::Success)
        .agent(client)
        .target("crm://contacts/acme-corp")
        .detail("tool", "crm_search")
        .detail("method", "tools/call")
        .detail("resource_server", "https://crm-mcp.example");
    match user {
        Some(u) => e.user(u),
        None => e,
    }
}

#[test]
fn unregistered_client_making_tool_calls_is_discovered_with_evidence_and_owner() {
    let a = authority();
    let d = Discovery::new();
    d.record(
        &AuditEvent::new(DAY0, AuditAction::TokenIssued, Outcome::Success)
            .agent("crm-sync-bot")
            .detail("scope", "crm:read"),
    );
    for i in 0..3 {
        d.record(&tool_call("crm-sync-bot", Some("sarah"), DAY0 + i));
    }
    d.record(&tool_call("crm-sync-bot", Some("tom"), DAY0 + 9));
    // A batch job that only gets tokens and has no agent-like trait is not an agent.
    d.record(
        &AuditEvent::new(DAY0, AuditAction::TokenIssued, Outcome::Success).agent("payroll-batch"),
    );
    let report = d.scan(&a).unwrap();
    assert_eq!(report.discovered.len(), 1);
    let found = &report.discovered[0];
    assert_eq!(found.client_id, "crm-sync-bot");
    assert_eq!(found.suggested_owner.as_deref(), Some("sarah"));
    assert!(
        found
            .evidence
            .iter()
            .any(|e| e.contains("tool calls through MCP"))
    );
    assert!(found.evidence.iter().any(|e| e.contains("machine grant")));
    assert!(
        found
            .evidence
            .iter()
            .any(|e| e.contains("privileged scope crm:write"))
    );
    assert_eq!(found.risk, RiskLevel::High);
}

#[test]
fn registered_agents_are_not_discovered() {
    let a = authority();
    a.registry()
        .register(
            AgentSpec::new("crm-sync", "CRM sync")
                .owner(Principal::Person("sarah".into()))
                .sponsor("sarah")
                .client("crm-sync-bot"),
            &Actor::user("admin"),
        )
        .unwrap();
    let d = Discovery::new();
    d.record(&tool_call("crm-sync-bot", Some("sarah"), DAY0));
    assert!(d.scan(&a).unwrap().discovered.is_empty());
}

#[test]
fn tokens_of_unknown_clients_at_guarded_resources_are_listed() {
    let a = authority();
    let d = Discovery::new();
    for i in 0..4 {
        d.record(&tool_call("ghost-agent", None, DAY0 + i));
    }
    let report = d.scan(&a).unwrap();
    assert_eq!(report.unknown_clients.len(), 1);
    assert_eq!(report.unknown_clients[0].client_id, "ghost-agent");
    assert_eq!(report.unknown_clients[0].presentations, 4);
    assert_eq!(
        report.unknown_clients[0].resource_servers,
        vec![("https://crm-mcp.example".to_owned(), 4)]
    );
}

#[test]
fn over_privilege_is_granted_minus_used_within_the_window() {
    let a = authority();
    let admin = Actor::user("admin");
    let r = a.registry();
    r.register(
        AgentSpec::new("crm-sync", "CRM sync")
            .owner(Principal::Person("sarah".into()))
            .sponsor("sarah")
            .client("crm-sync-bot"),
        &admin,
    )
    .unwrap();
    for scope in ["crm:read", "crm:write"] {
        r.grant(
            "crm-sync",
            NewGrant::new(Entitlement::Scope {
                scope: scope.into(),
                resource: None,
            }),
            &admin,
        )
        .unwrap();
    }
    let d = Discovery::new();
    // crm:write was used, but before the window.
    d.record(
        &AuditEvent::new(DAY0, AuditAction::TokenIssued, Outcome::Success)
            .agent("crm-sync-bot")
            .detail("scope", "crm:write"),
    );
    d.record(
        &AuditEvent::new(
            DAY0 + 40 * 86_400,
            AuditAction::TokenIssued,
            Outcome::Success,
        )
        .agent("crm-sync-bot")
        .detail("scope", "crm:read"),
    );
    let over = d.over_privilege(&a, DAY0 + 10 * 86_400).unwrap();
    assert_eq!(over.len(), 1);
    assert_eq!(over[0].agent_id, "crm-sync");
    assert_eq!(over[0].granted, 2);
    assert_eq!(
        over[0].unused,
        vec![Entitlement::Scope {
            scope: "crm:write".into(),
            resource: None
        }]
    );
}

#[test]
fn registration_from_discovery_refuses_bad_input_and_changes_nothing() {
    let a = authority();
    let g = Governance::builder(&a).build();
    let d = Discovery::new();
    let admin = Actor::user("admin");
    let err = d
        .register(
            &g,
            "no-such-client",
            Adoption::new("x", "X", "sarah"),
            &admin,
        )
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::UnknownClient(_)));
    let err = d
        .register(
            &g,
            "crm-sync-bot",
            Adoption::new("crm-sync", "CRM sync", "sarah").template("missing"),
            &admin,
        )
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::UnknownTemplate(_)));
    let err = d
        .register(
            &g,
            "crm-sync-bot",
            Adoption::new("crm-sync", "CRM sync", "sarah").credential(
                "salesforce",
                token_vault_client::Credential::ApiKey {
                    key: agent_auth::secret::SecretString::new("k-123"),
                    scopes: Vec::new(),
                },
            ),
            &admin,
        )
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::NoVault));
    let err = d
        .register(
            &g,
            "crm-sync-bot",
            Adoption::new("crm-sync", "CRM sync", "sarah").rotation_days(0),
            &admin,
        )
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::InvalidRotation));
    assert!(a.registry().agents().unwrap().is_empty());
}
