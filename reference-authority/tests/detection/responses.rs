//! Responses: a rise to HIGH is audited (`RiskChanged`, each response with
//! its detections), sent as a CAEP `risk-level-change` SET, told to the
//! owner, the security team and the user, and blocks and logs the agent out;
//! a rise to MEDIUM gates every action behind an approval.

use super::common::*;
use agent_auth::audit::{AuditAction, MemorySink};
use agent_auth::authzen::EvaluationRequest;
use agent_auth::clock::ManualClock;
use reference_authority::authzen::{DecisionSource, Verdict};
use reference_authority::detection::{
    Action, DetectionConfig, Detector, Responder, ResponsePolicy, RiskLevel,
};
use reference_authority::directory::PersonPatch;
use reference_authority::kill_switch::KillSwitch;
use reference_authority::notify::RecordingNotifier;
use reference_authority::registry::{Actor, AgentSpec, AgentStatus, Principal};
use reference_authority::signals::{Transmitter, types};
use reference_authority::*;
use serde_json::json;
use std::sync::Arc;

pub(crate) struct Setup {
    pub(crate) authority: Authority,
    pub(crate) audit: MemorySink,
    pub(crate) notes: RecordingNotifier,
    pub(crate) transmitter: Transmitter,
    pub(crate) detector: Detector,
    pub(crate) responder: Responder,
}

pub(crate) fn setup(policy: ResponsePolicy) -> Setup {
    let audit = MemorySink::new();
    let authority = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(ManualClock::new(DAY0 + 8 * 86_400 + 10 * 3600)))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    let admin = Actor::user("admin");
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .directory()
        .create_person("sarah", PersonPatch::new().display_name("Sarah"), &admin)
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(AGENT, "agent-secret-0123456789ab")
                .grant_types(["client_credentials", "authorization_code"])
                .scopes(["crm:read"]),
        )
        .unwrap();
    let registry = authority.registry();
    registry
        .register(
            AgentSpec::new("sales-agent", "Sales agent")
                .owner(Principal::Person("sarah".into()))
                .sponsor("sarah")
                .client(AGENT),
            &admin,
        )
        .unwrap();
    registry.activate("sales-agent", &admin).unwrap();
    let transmitter = Transmitter::install(&authority);
    let notes = RecordingNotifier::new();
    let detector = Detector::new(DetectionConfig::default());
    let responder = Responder::new(&authority, detector.clone(), policy)
        .kill_switch(KillSwitch::new(&authority).signals(transmitter.clone()))
        .signals(transmitter.clone())
        .notifier(Arc::new(notes.clone()));
    Setup {
        authority,
        audit,
        notes,
        transmitter,
        detector,
        responder,
    }
}

fn policy() -> ResponsePolicy {
    ResponsePolicy::default().security_team(vec!["soc-team".into()])
}

#[tokio::test]
async fn rise_to_high_is_audited_signalled_notified_blocked_and_logged_out() {
    let s = setup(policy());
    let stream = s
        .transmitter
        .create_stream(
            "receiver-app",
            json!({"events_requested": [types::RISK_LEVEL_CHANGE, types::SESSION_REVOKED]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
    let token = s
        .authority
        .issue(
            &GrantFacts {
                client_id: AGENT.into(),
                user_id: Some("sarah".into()),
                scope: vec!["crm:read".into()],
                ..GrantFacts::default()
            },
            IssueOptions::default(),
        )
        .unwrap();
    history(&s.detector, AGENT, 7);
    for i in 0..30 {
        s.detector.observe(&read(
            AGENT,
            "sarah",
            &format!("crm://contacts/s{i}"),
            DAY0 + 8 * 86_400 + 10 * 3600 + i,
        ));
    }
    let reports = s.responder.process_pending().await;
    let agent_report = reports
        .iter()
        .find(|r| r.change.subject.id() == AGENT)
        .unwrap();
    assert_eq!(agent_report.change.to, RiskLevel::High);
    assert_eq!(agent_report.signals.len(), 1, "one SET for the one stream");
    assert!(stream["stream_id"].is_string());
    let done: Vec<Action> = agent_report
        .actions
        .iter()
        .map(|(a, r)| {
            assert!(r.is_ok(), "{a:?}: {r:?}");
            *a
        })
        .collect();
    assert_eq!(done, vec![Action::Notify, Action::Block, Action::Logout]);
    // Blocked: the registry record is suspended, its token refused.
    let record = s
        .authority
        .registry()
        .agent("sales-agent")
        .unwrap()
        .unwrap();
    assert_eq!(record.status, AgentStatus::Inactive);
    assert!(
        s.authority
            .verify_access_token(token.access_token.expose_secret())
            .is_err()
    );
    // Told: the owner, the security team, the user it acted for.
    let sent = s.notes.sent();
    let to_agent = sent
        .iter()
        .find(|n| n.topic == "agent_risk_changed")
        .unwrap();
    assert!(to_agent.recipients.contains(&"sarah".to_owned()));
    assert!(to_agent.recipients.contains(&"soc-team".to_owned()));
    assert!(to_agent.text.contains("volume_spike"));
    // Audited: the change and each response, with the detections.
    let events = s.audit.events();
    let changed = events
        .iter()
        .find(|e| e.action == AuditAction::RiskChanged && e.agent.as_deref() == Some(AGENT))
        .unwrap();
    assert_eq!(changed.details["to"], "HIGH");
    let responses: Vec<_> = events
        .iter()
        .filter(|e| e.action == AuditAction::Other("detection_response".into()))
        .collect();
    assert_eq!(responses.len(), 3);
    assert!(
        responses
            .iter()
            .all(|e| e.details["detections"][0] == "volume_spike")
    );
    assert!(events.iter().any(
        |e| e.action == AuditAction::Other("anomaly_detected".into())
            && e.details["detector"] == "volume_spike"
    ));
}

#[tokio::test]
async fn rise_to_medium_requires_approval_for_every_action_until_it_decays() {
    let s = setup(policy());
    history(&s.detector, AGENT, 7);
    let t = DAY0 + 8 * 86_400 + 10 * 3600;
    s.detector
        .observe(&read(AGENT, "sarah", "hr://salaries/x", t));
    let reports = s.responder.process_pending().await;
    assert_eq!(reports[0].change.to, RiskLevel::Medium);
    let source = s.responder.risk_source();
    let ask = |approval: Option<&str>| {
        let mut context = json!({"agent": AGENT});
        if let Some(a) = approval {
            context["approval"] = json!(a);
        }
        serde_json::from_value::<EvaluationRequest>(json!({
            "subject": {"type": "user", "id": "sarah"},
            "action": {"name": "read"},
            "resource": {"type": "crm", "id": "contacts"},
            "context": context,
        }))
        .unwrap()
    };
    assert_eq!(
        source.decide(&ask(None), t).await.unwrap(),
        Verdict::Deny("approval_required".into())
    );
    assert_eq!(
        source.decide(&ask(Some("granted")), t).await.unwrap(),
        Verdict::Abstain
    );
    // The agent is not blocked at MEDIUM.
    let record = s
        .authority
        .registry()
        .agent("sales-agent")
        .unwrap()
        .unwrap();
    assert_eq!(record.status, AgentStatus::Active);
    // A day later the risk has decayed: the gate is lifted.
    s.detector.tick(t + 86_400);
    let fall = s.responder.process_pending().await;
    assert_eq!(fall[0].change.to, RiskLevel::Low);
    assert_eq!(
        source.decide(&ask(None), t).await.unwrap(),
        Verdict::Abstain
    );
}

#[tokio::test]
async fn emergency_rotation_by_policy_replaces_the_client_secret() {
    let s = setup(ResponsePolicy::default().on_high(vec![Action::Rotate]));
    let t = DAY0 + 8 * 86_400 + 10 * 3600;
    s.detector.observe(
        &agent_auth::audit::AuditEvent::new(
            t,
            AuditAction::TokenRevoked,
            agent_auth::audit::Outcome::Success,
        )
        .token_jti("at-x"),
    );
    s.detector
        .observe(&read(AGENT, "sarah", "crm://contacts/1", t + 1).token_jti("at-x"));
    let reports = s.responder.process_pending().await;
    let r = reports
        .iter()
        .find(|r| r.change.subject.id() == AGENT)
        .unwrap();
    assert_eq!(r.actions.len(), 1);
    assert!(r.actions[0].1.is_ok());
    assert!(
        s.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::KeyRotated
                && e.details.get("emergency") == Some(&json!(true)))
    );
}
