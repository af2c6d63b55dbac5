//! Access lost outside the kill switch goes out as SETs too: a user's
//! universal logout as CAEP `session-revoked`, a disabled user as RISC
//! `account-disabled` about the user, an agent suspended through the
//! registry's client status gate as RISC `account-disabled` about the agent.

use crate::support::*;
use reference_authority::registry::Actor;
use reference_authority::signals::types;
use serde_json::{Value, json};

/// A push stream asking for every event these changes send; returns the
/// receiver.
async fn listening(f: &Fixture) -> Receiver {
    push_receiver(f, &[types::SESSION_REVOKED, types::ACCOUNT_DISABLED]).await
}

/// The one event type and subject of every SET the receiver got.
async fn received(f: &Fixture, receiver: &Receiver) -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    for push in receiver.pushes() {
        let set = f.validate_set(&push.set, RECEIVER).await;
        let events = set.claims().extra["events"].as_object().unwrap().clone();
        assert_eq!(events.len(), 1);
        let (kind, body) = events.into_iter().next().unwrap();
        out.push((kind, body, set.claims().extra["sub_id"].clone()));
    }
    out
}

fn user(f: &Fixture, id: &str) -> Value {
    json!({"format": "iss_sub", "iss": f.base, "sub": id})
}

#[tokio::test]
async fn logout_user_sends_session_revoked_about_the_user() {
    let f = fixture().await;
    let receiver = listening(&f).await;
    f.authority.logout_user("user-sarah").unwrap();
    f.transmitter.flush().await;
    let got = received(&f, &receiver).await;
    assert_eq!(got.len(), 1);
    let (kind, body, subject) = &got[0];
    assert_eq!(kind, types::SESSION_REVOKED);
    assert_eq!(subject, &user(&f, "user-sarah"));
    assert_eq!(body["reason_admin"]["en"], "universal logout");
}

#[tokio::test]
async fn disable_user_sends_account_disabled_about_the_user() {
    let f = fixture().await;
    let receiver = listening(&f).await;
    f.authority.disable_user("user-bob").unwrap();
    f.transmitter.flush().await;
    let got = received(&f, &receiver).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, types::ACCOUNT_DISABLED);
    assert_eq!(got[0].2, user(&f, "user-bob"));
    // Enabling the user again is not a loss of access: nothing more goes out.
    f.authority.enable_user("user-bob").unwrap();
    f.transmitter.flush().await;
    assert_eq!(receiver.pushes().len(), 1);
}

#[tokio::test]
async fn an_agent_suspended_by_the_registry_sends_account_disabled_about_the_agent() {
    let f = fixture().await;
    let admin = Actor::user("admin");
    f.register_sales_agent();
    let registry = f.authority.registry();
    registry.activate("sales-agent-prod-001", &admin).unwrap();
    let receiver = listening(&f).await;
    registry
        .suspend("sales-agent-prod-001", Some("anomaly"), &admin)
        .unwrap();
    f.transmitter.flush().await;
    let got = received(&f, &receiver).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, types::ACCOUNT_DISABLED);
    assert_eq!(
        got[0].2,
        json!({"format": "complex", "application": {"format": "opaque", "id": AGENT}})
    );
    // A second gate on the already disabled client sends nothing new.
    f.authority.disable_client(AGENT).unwrap();
    f.transmitter.flush().await;
    assert_eq!(receiver.pushes().len(), 1);
}

/// How many audit records of `action` about `who` (user or agent) there are.
fn audited(f: &Fixture, action: &str, who: &str) -> usize {
    f.audit
        .events()
        .iter()
        .filter(|e| {
            e.action == agent_auth::audit::AuditAction::Other(action.into())
                && (e.user.as_deref() == Some(who) || e.agent.as_deref() == Some(who))
        })
        .count()
}

#[tokio::test]
async fn disabling_a_disabled_user_sends_nothing_and_audits_nothing_new() {
    let f = fixture().await;
    let receiver = listening(&f).await;
    f.authority.disable_user("user-bob").unwrap();
    f.authority.disable_user("user-bob").unwrap();
    f.transmitter.flush().await;
    let got = received(&f, &receiver).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, types::ACCOUNT_DISABLED);
    assert_eq!(audited(&f, "user_disabled", "user-bob"), 1);
    // Enabling twice is one change too; disabling after it is a new one.
    f.authority.enable_user("user-bob").unwrap();
    f.authority.enable_user("user-bob").unwrap();
    assert_eq!(audited(&f, "user_enabled", "user-bob"), 1);
    f.authority.disable_user("user-bob").unwrap();
    f.transmitter.flush().await;
    assert_eq!(receiver.pushes().len(), 2);
    assert_eq!(audited(&f, "user_disabled", "user-bob"), 2);
}

#[tokio::test]
async fn disabling_a_disabled_agent_sends_nothing_and_audits_nothing_new() {
    let f = fixture().await;
    let receiver = listening(&f).await;
    f.authority.disable_client(AGENT).unwrap();
    f.authority.disable_client(AGENT).unwrap();
    f.transmitter.flush().await;
    let got = received(&f, &receiver).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, types::ACCOUNT_DISABLED);
    assert_eq!(audited(&f, "client_disabled", AGENT), 1);
    f.authority.enable_client(AGENT).unwrap();
    f.authority.enable_client(AGENT).unwrap();
    assert_eq!(audited(&f, "client_enabled", AGENT), 1);
    assert!(!f.authority.client_disabled(AGENT));
}

/// A logout is a request, not a state: each one is told again (SSF 1.0
/// section 4.1.9, a new `txn`), so a receiver that missed the first, or
/// started a session since, ends it.
#[tokio::test]
async fn logging_out_a_logged_out_user_sends_session_revoked_again() {
    let f = fixture().await;
    let receiver = listening(&f).await;
    f.authority.logout_user("user-sarah").unwrap();
    f.authority.logout_user("user-sarah").unwrap();
    f.transmitter.flush().await;
    let got = received(&f, &receiver).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter()
            .all(|(kind, _, subject)| kind == types::SESSION_REVOKED
                && subject == &user(&f, "user-sarah"))
    );
}
