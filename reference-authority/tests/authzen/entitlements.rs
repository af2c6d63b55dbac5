//! Decisions from the agent registry: managed connections, vault
//! connections and just-in-time grants of the calling agent.

use crate::{NOW, harness};
use agent_auth::authzen::{Action, EvaluationRequest, Resource, Subject};
use reference_authority::authzen::sources::EntitlementSource;
use reference_authority::directory::PersonPatch;
use reference_authority::registry::{
    Actor, AgentSpec, Entitlement, GrantOrigin, NewGrant, Principal,
};
use reference_authority::{Authority, ClientSpec, UserSpec};

const CRM_AS: &str = "https://crm-as.example";

/// `sarah` sponsors and owns the ACTIVE agent `sales-agent-001` of client `sales-agent`.
fn register_agent(authority: &Authority) {
    let admin = Actor::user("admin");
    authority
        .register_user(UserSpec::new("sarah").id("sarah"))
        .unwrap();
    authority
        .directory()
        .create_person("sarah", PersonPatch::new().display_name("Sarah"), &admin)
        .unwrap();
    authority
        .register_client(ClientSpec::confidential(
            "sales-agent",
            "sales-agent-secret-0123",
        ))
        .unwrap();
    let registry = authority.registry();
    registry
        .register(
            AgentSpec::new("sales-agent-001", "Sales agent")
                .owner(Principal::Person("sarah".into()))
                .sponsor("sarah")
                .client("sales-agent"),
            &admin,
        )
        .unwrap();
    registry.activate("sales-agent-001", &admin).unwrap();
}

fn use_connection(agent: &str, kind: &str, id: &str) -> EvaluationRequest {
    EvaluationRequest::new(
        Subject::new("identity", "sarah"),
        Action::new("use"),
        Resource::new(kind, id),
    )
    .with_context("agent", agent)
}

#[tokio::test]
async fn a_managed_connection_entitlement_permits_its_agent_only() {
    let h = harness(|b| b);
    register_agent(&h.authority);
    let grant = NewGrant::new(Entitlement::ManagedConnection {
        audience: CRM_AS.into(),
    });
    h.authority
        .registry()
        .grant("sales-agent-001", grant, &Actor::user("admin"))
        .unwrap();
    let pdp = reference_authority::authzen::Pdp::builder("https://idp.example")
        .clock(h.authority.clock().clone())
        .source(EntitlementSource::new(h.authority.clone()))
        .build();
    let yes = pdp
        .evaluate(&use_connection("sales-agent", "managed_connection", CRM_AS))
        .await;
    assert!(yes.decision, "{yes:?}");
    assert!(
        yes.reason()
            .unwrap()
            .contains("sales-agent-001 holds it (direct)")
    );
    // Another connection, another (unregistered) agent, no agent at all.
    assert!(
        !pdp.evaluate(&use_connection(
            "sales-agent",
            "managed_connection",
            "https://hr.example"
        ))
        .await
        .decision
    );
    assert!(
        !pdp.evaluate(&use_connection("other-agent", "managed_connection", CRM_AS))
            .await
            .decision
    );
    let mut anonymous = use_connection("sales-agent", "managed_connection", CRM_AS);
    anonymous.context.clear();
    assert!(!pdp.evaluate(&anonymous).await.decision);
}

#[tokio::test]
async fn a_just_in_time_grant_permits_until_it_expires() {
    let h = harness(|b| b);
    register_agent(&h.authority);
    let grant = NewGrant::new(Entitlement::VaultConnection {
        connection: "salesforce".into(),
    })
    .origin(GrantOrigin::JustInTime("req-7".into()))
    .expires(NOW + 900);
    h.authority
        .registry()
        .grant("sales-agent-001", grant, &Actor::user("admin"))
        .unwrap();
    let pdp = reference_authority::authzen::Pdp::builder("https://idp.example")
        .clock(h.authority.clock().clone())
        .source(EntitlementSource::new(h.authority.clone()))
        .build();
    let question = use_connection("sales-agent", "vault_connection", "salesforce");
    let d = pdp.evaluate(&question).await;
    assert!(d.decision);
    assert!(d.reason().unwrap().contains("just-in-time req-7"));
    h.clock.advance(900);
    assert!(
        !pdp.evaluate(&question).await.decision,
        "the elevation has expired"
    );
}

#[tokio::test]
async fn a_suspended_agent_is_denied_whatever_it_holds() {
    let h = harness(|b| b);
    register_agent(&h.authority);
    let admin = Actor::user("admin");
    let grant = NewGrant::new(Entitlement::ManagedConnection {
        audience: CRM_AS.into(),
    });
    h.authority
        .registry()
        .grant("sales-agent-001", grant, &admin)
        .unwrap();
    h.authority
        .registry()
        .suspend("sales-agent-001", Some("incident"), &admin)
        .unwrap();
    let pdp = reference_authority::authzen::Pdp::builder("https://idp.example")
        .clock(h.authority.clock().clone())
        .source(EntitlementSource::new(h.authority.clone()))
        .build();
    let d = pdp
        .evaluate(&use_connection("sales-agent", "managed_connection", CRM_AS))
        .await;
    assert!(!d.decision);
    assert_eq!(
        d.reason(),
        Some("entitlements: agent sales-agent-001 is INACTIVE")
    );
}
