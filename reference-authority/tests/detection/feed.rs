//! The same events give the same decisions whether the audit log is fed in
//! process or through its HTTP ingestion endpoint: the detector follows the
//! log, not the transport.

use super::common::*;
use agent_auth::audit::{AuditAction, AuditEvent, AuditSink, Outcome};
use reference_authority::audit_log::{self, AuditLog, LogStorage, NoteSigner};
use reference_authority::detection::{DetectionConfig, Detector, DetectorKind};
use reference_authority::{Authority, AuthorityConfig, ClientSpec};
use std::sync::Arc;

const ORIGIN: &str = "authority.example/audit-log";
const SECRET: &str = "shipper-secret-0123456789";

fn watched_log() -> (AuditLog, Detector) {
    let signer = NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap();
    let log = AuditLog::new(ORIGIN, signer, LogStorage::in_memory().unwrap()).unwrap();
    let detector = Detector::new(DetectionConfig::default());
    log.observe(Arc::new(detector.clone()));
    (log, detector)
}

/// A week of normal work, then a spike, a replayed token and a revoked one.
fn stream() -> Vec<AuditEvent> {
    let mut events = Vec::new();
    for day in 0..7 {
        for i in 0..12 {
            let t = DAY0 + day * 86_400 + 9 * 3600 + i * 2400;
            events.push(read(
                AGENT,
                "sarah",
                &format!("crm://contacts/c{day}-{i}"),
                t,
            ));
        }
    }
    let t = DAY0 + 8 * 86_400 + 10 * 3600;
    for i in 0..60 {
        events.push(read(AGENT, "sarah", &format!("crm://contacts/s{i}"), t + i));
    }
    events.push(
        AuditEvent::new(t + 100, AuditAction::TokenRevoked, Outcome::Success).token_jti("at-r"),
    );
    events.push(read("other-agent", "tom", "crm://contacts/c1", t + 200).token_jti("at-r"));
    for (i, e) in events.iter_mut().enumerate() {
        e.id = Some(format!("evt-{i}"));
    }
    events
}

#[tokio::test]
async fn http_ingestion_and_in_process_recording_give_the_same_decisions() {
    let events = stream();
    // In process: components record straight into the log.
    let (local_log, local) = watched_log();
    for e in &events {
        local_log.record(e);
    }
    // Over HTTP: a component ships the same events in batches.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("mcp-guard-crm", SECRET)
                .grant_types(vec!["client_credentials"])
                .scopes(vec!["audit:write"]),
        )
        .unwrap();
    let (remote_log, remote) = watched_log();
    let app = reference_authority::http::router(authority.clone())
        .merge(audit_log::router(remote_log.clone(), authority));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{issuer}/token"))
        .basic_auth("mcp-guard-crm", Some(SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "audit:write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    for batch in events.chunks(25) {
        let r = http
            .post(format!("{issuer}/audit-log/events"))
            .bearer_auth(token)
            .json(batch)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    // A batch shipped twice is logged, and scored, once.
    let again = http
        .post(format!("{issuer}/audit-log/events"))
        .bearer_auth(token)
        .json(&events[..25])
        .send()
        .await
        .unwrap();
    assert!(again.status().is_success());
    server.abort();

    let a = local.take_pending();
    let b = remote.take_pending();
    assert_eq!(a, b);
    let kinds = fired(&a);
    assert!(kinds.contains(&DetectorKind::VolumeSpike), "{kinds:?}");
    assert!(
        kinds.contains(&DetectorKind::UseAfterRevocation),
        "{kinds:?}"
    );
    assert_eq!(local_log.size(), remote_log.size());
}
