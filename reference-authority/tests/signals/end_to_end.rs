//! The seed scenario's phase 8, as far as the authority goes, over HTTP: the
//! sales agent holds tokens of three users; the anomaly detector fires the
//! kill switch; introspection, verification and refresh refuse every token;
//! a push receiver on loopback gets verified `session-revoked` SETs; the
//! evidence is in the audit sink.

use crate::support::*;
use agent_auth::audit::AuditAction;
use reference_authority::kill_switch::{LogoutRequest, Target};
use reference_authority::signals::{DeliveryStatus, types};
use serde_json::{Value, json};

#[tokio::test]
async fn phase_8_universal_logout_of_the_sales_agent() {
    let f = fixture().await;
    // A resource server's guard subscribes to the authority's SSF stream.
    let receiver = Receiver::start(202).await;
    let stream_id = f
        .push_stream(&receiver.url, &[types::SESSION_REVOKED])
        .await;
    // The agent is active for Sarah, Bob and Carol.
    let tokens: Vec<(String, String)> = USERS.iter().map(|u| f.user_tokens(AGENT, u)).collect();
    let introspect = |t: String| {
        let f = &f;
        async move {
            let v: Value = f
                .http
                .post(f.url("/introspect"))
                .basic_auth(RECEIVER, Some(RECEIVER_SECRET))
                .form(&[("token", t.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["active"].as_bool().unwrap()
        }
    };
    for (at, _) in &tokens {
        assert!(introspect(at.clone()).await);
    }
    // Day 45: risk HIGH, universal logout of the agent.
    let report = f
        .kill
        .fire(
            &LogoutRequest::new(
                Target::Agent(AGENT.into()),
                "risk HIGH: 500 records in 10 minutes",
            )
            .requested_by("anomaly-detector"),
        )
        .await
        .unwrap();
    for (at, rt) in &tokens {
        assert!(!introspect(at.clone()).await);
        assert!(f.authority.verify_access_token(at).is_err());
        let refresh = f
            .http
            .post(f.url("/token"))
            .basic_auth(AGENT, Some(AGENT_SECRET))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refresh.status(), 400);
        let body: Value = refresh.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
    }
    // The receiver got one verified SET per subject: the agent, and each user it served.
    let pushes = receiver.pushes();
    assert_eq!(pushes.len(), 4);
    assert!(
        report
            .deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::Acknowledged && d.stream_id == stream_id)
    );
    let mut users = Vec::new();
    for p in &pushes {
        let set = f.validate_set(&p.set, RECEIVER).await;
        let revoked = event(&set, types::SESSION_REVOKED).unwrap();
        assert_eq!(
            revoked["reason_admin"]["en"],
            "risk HIGH: 500 records in 10 minutes"
        );
        assert_eq!(set.claims().extra["txn"], json!(report.txn));
        let sub_id = &set.claims().extra["sub_id"];
        assert_eq!(sub_id["format"], "complex");
        assert_eq!(
            sub_id["application"],
            json!({"format": "opaque", "id": AGENT})
        );
        if let Some(user) = sub_id.get("user") {
            assert_eq!(user["iss"], f.base);
            users.push(user["sub"].as_str().unwrap().to_owned());
        }
    }
    users.sort();
    assert_eq!(users, vec!["user-bob", "user-carol", "user-sarah"]);
    // The evidence: request and reason, every jti, every acknowledgement.
    let events = f.audit.events();
    assert!(events.iter().any(|e| e.action == AuditAction::Logout
        && e.details.get("requested_by") == Some(&json!("anomaly-detector"))));
    let revoked = events
        .iter()
        .find(|e| {
            e.action == AuditAction::TokenRevoked
                && e.details.get("txn") == Some(&json!(report.txn))
        })
        .unwrap();
    assert_eq!(revoked.details["jtis"].as_array().unwrap().len(), 3);
    let acks = events
        .iter()
        .filter(|e| e.action == AuditAction::Other("ssf_delivery".into()))
        .count();
    assert_eq!(acks, 4);
}
