//! The seed's phases 1 and 8 end to end: a shadow agent is discovered from
//! the audit stream, registered in one call (owner, template, vault, rotation),
//! works normally for a week, then reads 500 CRM records in ten minutes: its
//! risk goes LOW -> HIGH before the 50th record, it is blocked, logged out
//! everywhere, and the security team and Sarah are told.

use super::common::*;
use agent_auth::audit::{AuditAction, AuditSink, FanoutSink, MemorySink};
use agent_auth::clock::ManualClock;
use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner};
use reference_authority::detection::{
    DetectionConfig, Detector, Responder, ResponsePolicy, RiskLevel,
};
use reference_authority::directory::PersonPatch;
use reference_authority::discovery::{Adoption, Discovery};
use reference_authority::governance::Governance;
use reference_authority::governance::templates::RoleTemplate;
use reference_authority::kill_switch::KillSwitch;
use reference_authority::notify::RecordingNotifier;
use reference_authority::registry::{Actor, AgentSource, AgentStatus, Entitlement};
use reference_authority::signals::{Transmitter, types};
use reference_authority::*;
use serde_json::json;
use std::sync::Arc;
use token_vault_client::{
    Credential, CredentialKey, MasterKey, MemoryVaultStore, StaticKeyProvider, Vault,
};

#[tokio::test]
async fn phase_1_and_8_discover_register_normal_use_spike_high_blocked_logged_out_notified() {
    // The control point: the audit log is the authority's sink, and the
    // detector and discovery follow the log.
    let clock = ManualClock::new(DAY0);
    let log = AuditLog::new(
        "authority.example/audit-log",
        NoteSigner::from_seed("authority.example/audit-log", &[3; 32]).unwrap(),
        LogStorage::in_memory().unwrap(),
    )
    .unwrap();
    let trail = MemorySink::new();
    let authority = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(FanoutSink::new(vec![
            Arc::new(log.clone()),
            Arc::new(trail.clone()),
        ])))
        .build()
        .unwrap();
    let detector = Detector::new(DetectionConfig::default());
    let discovery = Discovery::new();
    log.observe(Arc::new(detector.clone()));
    log.observe(Arc::new(discovery.clone()));
    let admin = Actor::user("admin");
    for (id, name) in [("sarah", "Sarah"), ("soc-lead", "SOC lead")] {
        authority.register_user(UserSpec::new(id).id(id)).unwrap();
        authority
            .directory()
            .create_person(id, PersonPatch::new().display_name(name), &admin)
            .unwrap();
    }
    // A service account someone set up for an AI sales assistant, never registered.
    authority
        .register_client(
            ClientSpec::confidential(AGENT, "sales-agent-secret-0123456789")
                .name("Sales assistant (GPT)")
                .grant_types(["client_credentials", "authorization_code"])
                .scopes(["crm:read", "docs:read"]),
        )
        .unwrap();
    let vault = Vault::builder(
        Arc::new(MemoryVaultStore::new()),
        Arc::new(StaticKeyProvider::new(
            MasterKey::new("k1", &[9; 32]).unwrap(),
        )),
    )
    .build();
    let governance = Governance::builder(&authority)
        .vault(vault.clone(), "https://idp.example")
        .build();
    governance
        .define_template(
            RoleTemplate::new("sales-read")
                .entitlement(Entitlement::scope("crm:read", "crm://contacts"))
                .entitlement(Entitlement::VaultConnection {
                    connection: "salesforce".into(),
                }),
            &admin,
        )
        .unwrap();

    // Phase 1: the guard's trail shows it calling CRM tools for Sarah.
    for i in 0..5 {
        log.record(
            &read(
                AGENT,
                "sarah",
                &format!("crm://contacts/acme-{i}"),
                DAY0 + 9 * 3600 + i * 600,
            )
            .detail("tool", "crm_search")
            .detail("method", "tools/call")
            .detail("resource_server", "https://crm-mcp.example"),
        );
    }
    let report = discovery.scan(&authority).unwrap();
    let shadow = report
        .discovered
        .iter()
        .find(|d| d.client_id == AGENT)
        .unwrap();
    assert_eq!(shadow.suggested_owner.as_deref(), Some("sarah"));
    assert!(shadow.evidence.iter().any(|e| e.contains("tool calls")));
    let owner = shadow.suggested_owner.clone().unwrap();
    let adopted = discovery
        .register(
            &governance,
            AGENT,
            Adoption::new("sales-agent", "Sales agent", owner)
                .purpose("Prepares proposals for the sales team")
                .template("sales-read")
                .credential(
                    "salesforce",
                    Credential::ApiKey {
                        key: agent_auth::secret::SecretString::new("sf-key-held-in-config"),
                        scopes: Vec::new(),
                    },
                )
                .rotation_days(90),
            &admin,
        )
        .unwrap();
    assert_eq!(adopted.agent.status, AgentStatus::Active);
    assert_eq!(
        adopted.agent.source,
        AgentSource::Discovered {
            by: "discovery".into()
        }
    );
    assert_eq!(adopted.vaulted, vec!["salesforce"]);
    assert_eq!(adopted.next_rotation, DAY0 + 90 * 86_400);
    assert!(
        vault
            .store()
            .get(&CredentialKey::new(
                "https://idp.example",
                "sales-agent",
                "salesforce"
            ))
            .unwrap()
            .is_some()
    );
    assert!(
        discovery
            .scan(&authority)
            .unwrap()
            .discovered
            .iter()
            .all(|d| d.client_id != AGENT)
    );

    // The responses: security team and owner told, blocked, logged out.
    let transmitter = Transmitter::install(&authority);
    transmitter
        .create_stream(
            "crm-mcp",
            json!({"events_requested": [types::RISK_LEVEL_CHANGE, types::SESSION_REVOKED]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
    let notes = RecordingNotifier::new();
    let responder = Responder::new(
        &authority,
        detector.clone(),
        ResponsePolicy::default().security_team(vec!["soc-lead".into()]),
    )
    .kill_switch(KillSwitch::new(&authority).signals(transmitter.clone()))
    .signals(transmitter)
    .notifier(Arc::new(notes.clone()));

    // Normal use: 10-15 CRM records a day for a week.
    for day in 1..8 {
        for i in 0..(10 + day % 6) {
            log.record(&read(
                AGENT,
                "sarah",
                &format!("crm://contacts/r{day}-{i}"),
                DAY0 + day * 86_400 + 9 * 3600 + i * 1800,
            ));
        }
    }
    assert!(
        responder.process_pending().await.is_empty(),
        "normal use raised an alert"
    );
    assert_eq!(
        detector.agent_level(AGENT, DAY0 + 8 * 86_400),
        RiskLevel::Low
    );

    // Phase 8: a token in hand, then 500 records in ten minutes.
    let spike = DAY0 + 8 * 86_400 + 14 * 3600;
    clock.set(spike);
    let token = authority
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
    let mut high_at = None;
    for i in 0..500 {
        log.record(&read(
            AGENT,
            "sarah",
            &format!("crm://contacts/bulk-{i}"),
            spike + i * 600 / 500,
        ));
        if high_at.is_none() && detector.agent_level(AGENT, spike + i) == RiskLevel::High {
            high_at = Some(i + 1);
            responder.process_pending().await;
        }
    }
    let n = high_at.expect("never HIGH");
    assert!(n < 50, "HIGH only at record {n}");
    responder.process_pending().await;

    // Blocked and logged out everywhere.
    let record = authority.registry().agent("sales-agent").unwrap().unwrap();
    assert_eq!(record.status, AgentStatus::Inactive);
    assert!(
        authority
            .verify_access_token(token.access_token.expose_secret())
            .is_err()
    );
    let events = trail.events();
    assert!(events.iter().any(|e| e.action == AuditAction::Logout
        && e.details.get("kill_switch") == Some(&json!("completed"))));
    let risk = events
        .iter()
        .find(|e| e.action == AuditAction::RiskChanged && e.agent.as_deref() == Some(AGENT))
        .unwrap();
    assert_eq!(
        (risk.details["from"].as_str(), risk.details["to"].as_str()),
        (Some("LOW"), Some("HIGH"))
    );
    assert!(
        events
            .iter()
            .any(|e| e.action == AuditAction::Other("ssf_event".into())
                && e.details["event_type"] == types::RISK_LEVEL_CHANGE)
    );
    // The security team and Sarah were told.
    let told = notes.sent();
    let n = told
        .iter()
        .find(|n| n.topic == "agent_risk_changed")
        .unwrap();
    assert!(n.recipients.contains(&"soc-lead".to_owned()));
    assert!(n.recipients.contains(&"sarah".to_owned()));
    // The evidence is in the tamper-evident log too.
    assert!(log.size() > 600);
}
