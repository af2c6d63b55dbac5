//! Every change reaches the registry's subscribers, in order.

use super::*;
use reference_authority::registry::{AgentChange, AgentStatus, RegistryEvent};

fn drain(rx: &mut tokio::sync::broadcast::Receiver<RegistryEvent>) -> Vec<RegistryEvent> {
    let mut out = Vec::new();
    while let Ok(event) = rx.try_recv() {
        out.push(event);
    }
    out
}

#[tokio::test]
async fn lifecycle_changes_are_published_with_versions_and_actors() {
    let f = fixture();
    let mut rx = f.authority.registry().subscribe();
    register_active(&f);
    f.authority
        .directory()
        .set_active("sarah", false, None, &admin())
        .await
        .unwrap();
    let events = drain(&mut rx);
    let system = |e: &RegistryEvent| match e {
        RegistryEvent::AgentStatusChanged { actor, .. } => actor.clone(),
        _ => admin(),
    };
    assert!(matches!(
        &events[0],
        RegistryEvent::AgentCreated { agent_id, version: 1, time: NOW, .. } if agent_id == "sales-agent-prod-001"
    ));
    assert!(matches!(
        &events[1],
        RegistryEvent::AgentStatusChanged {
            from: AgentStatus::Staged,
            to: AgentStatus::Active,
            version: 2,
            ..
        }
    ));
    assert!(matches!(
        &events[2],
        RegistryEvent::PersonStatusChanged { user_id, active: false, .. } if user_id == "sarah"
    ));
    assert!(matches!(
        &events[3],
        RegistryEvent::AgentUpdated { change: AgentChange::SponsorMoved { from, to }, version: 3, .. }
            if from == "sarah" && to == "maria"
    ));
    assert!(matches!(
        &events[4],
        RegistryEvent::AgentStatusChanged { from: AgentStatus::Active, to: AgentStatus::Inactive, reason: Some(r), .. }
            if r == "no_active_owner"
    ));
    assert_eq!(system(&events[4]), admin());
    assert_eq!(events[4].subject(), "agent:sales-agent-prod-001");
    assert_eq!(events.len(), 5);
}

#[test]
fn a_refused_change_publishes_nothing() {
    let f = fixture();
    let mut rx = f.authority.registry().subscribe();
    let _ = f
        .authority
        .registry()
        .register(AgentSpec::new("a1", "A").client("no-client"), &admin());
    assert!(drain(&mut rx).is_empty());
}
