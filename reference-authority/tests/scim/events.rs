//! Every change is a SCIM provisioning event (RFC 9967) and an audit event.

use super::*;
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::scim::EventKind;

#[tokio::test]
async fn create_patch_deactivate_and_delete_each_emit_their_event() {
    let f = fixture();
    let mut events = f.scim.subscribe();
    let u = f.user("sarah").await;
    f.scim
        .patch(
            &f.caller,
            "Users",
            &id(&u),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "active", "value": false}
            ]}),
            None,
            &Projection::Default,
        )
        .await
        .unwrap();
    f.scim
        .delete(&f.caller, "Users", &id(&u), None)
        .await
        .unwrap();
    let kinds: Vec<EventKind> = std::iter::from_fn(|| events.try_recv().ok())
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Create,
            EventKind::Patch,
            EventKind::Deactivate,
            EventKind::Delete
        ]
    );
}

#[tokio::test]
async fn the_event_names_the_resource_and_the_changed_attributes_only() {
    let f = fixture();
    let mut events = f.scim.subscribe();
    f.create("Users", json!({"schemas": [USER], "userName": "secretive", "externalId": "hr-7", "displayName": "S"})).await;
    let e = events.try_recv().unwrap();
    assert_eq!(e.time, NOW);
    assert_eq!(e.path, format!("/Users/{}", e.id));
    assert_eq!(e.external_id.as_deref(), Some("hr-7"));
    assert_eq!(
        e.attributes,
        ["active", "displayName", "externalId", "userName"]
    );
    assert!(
        !format!("{e:?}").contains("secretive"),
        "an event carries no values"
    );
}

#[tokio::test]
async fn reactivation_emits_activate() {
    let f = fixture();
    let u = f
        .create(
            "Users",
            json!({"schemas": [USER], "userName": "ann", "active": false}),
        )
        .await;
    let mut events = f.scim.subscribe();
    f.scim
        .replace(
            &f.caller,
            "Users",
            &id(&u),
            &json!({"schemas": [USER], "userName": "ann", "active": true}),
            None,
            &Projection::Default,
        )
        .await
        .unwrap();
    let kinds: Vec<EventKind> = std::iter::from_fn(|| events.try_recv().ok())
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [EventKind::Put, EventKind::Activate]);
}

#[tokio::test]
async fn changes_and_refusals_are_audited() {
    let f = fixture();
    let a = f
        .create(
            "Agents",
            json!({"schemas": [AGENT], "name": "sales-agent-prod-001", "agentType": "assistant"}),
        )
        .await;
    let _ = f
        .scim
        .create(
            &f.caller,
            "Agents",
            &json!({"schemas": [AGENT], "name": "sales-agent-prod-001", "agentType": "assistant"}),
            &Projection::Default,
        )
        .await
        .unwrap_err();
    let events = f.audit.events();
    let ok = events
        .iter()
        .find(|e| {
            e.action == AuditAction::AgentLifecycle
                && e.outcome == Outcome::Success
                && e.details.contains_key("event")
        })
        .unwrap();
    assert_eq!(ok.agent.as_deref(), Some("hr-system"));
    assert_eq!(ok.details["id"], a["id"]);
    assert_eq!(
        ok.details["event"],
        "urn:ietf:params:scim:event:prov:create:notice"
    );
    let refused = events
        .iter()
        .find(|e| {
            e.action == AuditAction::AgentLifecycle
                && e.outcome == Outcome::Denied
                && e.details.contains_key("operation")
        })
        .unwrap();
    assert_eq!(refused.reason.as_deref(), Some("uniqueness"));
    assert_eq!(refused.details["operation"], "create");
}

#[tokio::test]
async fn a_scim_create_reaches_a_subscriber_of_the_authority_event_source() {
    use agent_auth::events::{AuthorityEvent, EventSource};
    let f = fixture();
    let source: &dyn EventSource = &f.authority;
    let mut events = source.subscribe();
    let sarah = f.user("sarah").await;
    let mut provisioned = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let AuthorityEvent::Provisioned {
            issuer,
            event,
            resource_type,
            path,
            id,
            attributes,
            ..
        } = event
        {
            provisioned.push((issuer, event, resource_type, path, id, attributes));
        }
    }
    assert_eq!(provisioned.len(), 1, "{provisioned:?}");
    let (issuer, event, resource_type, path, id_, attributes) = &provisioned[0];
    assert_eq!(issuer, ISSUER);
    assert_eq!(*event, "urn:ietf:params:scim:event:prov:create:notice");
    assert_eq!(*resource_type, "User");
    assert_eq!(path, &format!("/Users/{}", id(&sarah)));
    assert_eq!(id_, &id(&sarah));
    assert!(attributes.contains(&"userName".to_owned()));
}
