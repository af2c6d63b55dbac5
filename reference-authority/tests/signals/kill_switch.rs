//! The kill switch: each kind of target, what it leaves alone, CIBA requests
//! cancelled, in-process events, the evidence, and emergency rotation.

use crate::support::*;
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::ciba::{ChannelDevice, CibaOp};
use reference_authority::kill_switch::{CredentialHook, KillSwitchError, LogoutRequest, Target};
use reference_authority::signals::{DeliveryStatus, types};
use reference_authority::*;
use serde_json::{Value, json};
use std::sync::Arc;

fn live(f: &Fixture, token: &str) -> bool {
    f.authority.verify_access_token(token).is_ok()
}

fn refreshable(f: &Fixture, client: &str, rt: &str) -> bool {
    f.authority.refresh_token_grant(rt, client).is_some()
}

#[tokio::test]
async fn agent_kill_revokes_every_token_of_every_user_it_acts_for_and_its_own() {
    let f = fixture().await;
    let per_user: Vec<(String, String)> = USERS.iter().map(|u| f.user_tokens(AGENT, u)).collect();
    let own = f.client_token(AGENT, AGENT_SECRET, "crm:read").await;
    // Another client's token for Sarah stays.
    let (portal_at, portal_rt) = f.user_tokens(RECEIVER, "user-sarah");
    let mut events = f.authority.subscribe();
    let report = f
        .kill
        .fire(&LogoutRequest::new(Target::Agent(AGENT.into()), "anomaly").requested_by("detector"))
        .await
        .unwrap();
    for (at, rt) in &per_user {
        assert!(!live(&f, at));
        assert!(!refreshable(&f, AGENT, rt));
    }
    assert!(!live(&f, &own));
    assert!(live(&f, &portal_at));
    assert!(refreshable(&f, RECEIVER, &portal_rt));
    assert_eq!(report.revoked_access_tokens.len(), 4);
    assert_eq!(report.revoked_grants, 3);
    assert!(report.ended_sessions.is_empty());
    assert_eq!(report.users, vec!["user-bob", "user-carol", "user-sarah"]);
    // Guards following the authority hear of every token before `fire` returns.
    let mut heard = Vec::new();
    while let Ok(e) = events.try_recv() {
        match e {
            AuthorityEvent::AccessTokenRevoked { jti, .. } => heard.push(jti),
            AuthorityEvent::GrantRevoked {
                access_token_ids, ..
            } => heard.extend(access_token_ids),
            _ => {}
        }
    }
    heard.sort();
    let mut expected = report.revoked_access_tokens.clone();
    expected.sort();
    assert_eq!(heard, expected);
}

#[tokio::test]
async fn user_kill_ends_sessions_and_every_client_grant_of_the_user_only() {
    let f = fixture().await;
    let session = f
        .authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let (agent_at, _) = f.user_tokens(AGENT, "user-sarah");
    let (other_at, _) = f.user_tokens(RECEIVER, "user-sarah");
    let (bob_at, _) = f.user_tokens(AGENT, "user-bob");
    let mut events = f.authority.subscribe();
    let report = f
        .kill
        .fire(&LogoutRequest::new(
            Target::User("user-sarah".into()),
            "offboarding",
        ))
        .await
        .unwrap();
    assert!(f.authority.session(&session).is_none());
    assert_eq!(report.ended_sessions.len(), 1);
    assert!(!live(&f, &agent_at) && !live(&f, &other_at));
    assert!(live(&f, &bob_at));
    let mut logged_out = false;
    while let Ok(e) = events.try_recv() {
        logged_out |= matches!(e, AuthorityEvent::UserLoggedOut { ref user_id, .. } if user_id == "user-sarah");
    }
    assert!(logged_out);
}

#[tokio::test]
async fn user_agent_pair_kill_leaves_the_users_session_and_other_agents() {
    let f = fixture().await;
    let session = f
        .authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let (pair_at, pair_rt) = f.user_tokens(AGENT, "user-sarah");
    let (other_at, _) = f.user_tokens(RECEIVER, "user-sarah");
    let (bob_at, _) = f.user_tokens(AGENT, "user-bob");
    let target = Target::UserAgent {
        user: "user-sarah".into(),
        agent: AGENT.into(),
    };
    f.kill
        .fire(&LogoutRequest::new(target, "consent withdrawn"))
        .await
        .unwrap();
    assert!(!live(&f, &pair_at) && !refreshable(&f, AGENT, &pair_rt));
    assert!(live(&f, &other_at) && live(&f, &bob_at));
    assert!(f.authority.session(&session).is_some());
}

#[tokio::test]
async fn tenant_kill_logs_everyone_out() {
    let f = fixture().await;
    let tokens: Vec<String> = USERS.iter().map(|u| f.user_tokens(AGENT, u).0).collect();
    let own = f.client_token(RECEIVER, RECEIVER_SECRET, "ssf").await;
    let report = f
        .kill
        .fire(&LogoutRequest::new(Target::Tenant, "breach"))
        .await
        .unwrap();
    assert!(tokens.iter().all(|t| !live(&f, t)));
    assert!(!live(&f, &own));
    assert_eq!(report.revoked_access_tokens.len(), 4);
}

#[tokio::test]
async fn an_unknown_target_is_refused_and_changes_nothing() {
    let f = fixture().await;
    let (at, _) = f.user_tokens(AGENT, "user-sarah");
    let before = f.audit.events().len();
    let err = f
        .kill
        .fire(&LogoutRequest::new(
            Target::Agent("no-such-agent".into()),
            "typo",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, KillSwitchError::UnknownAgent));
    let err = f
        .kill
        .fire(&LogoutRequest::new(
            Target::UserAgent {
                user: "user-nobody".into(),
                agent: AGENT.into(),
            },
            "typo",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, KillSwitchError::UnknownUser));
    assert!(live(&f, &at));
    assert_eq!(f.audit.events().len(), before);
}

#[tokio::test]
async fn the_logout_request_reason_every_jti_and_every_receiver_answer_are_in_the_audit_trail() {
    let f = fixture().await;
    let ok = Receiver::start(202).await;
    let down = Receiver::start(503).await;
    for r in [&ok, &down] {
        f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    }
    let (at, rt) = f.user_tokens(AGENT, "user-sarah");
    let report = f
        .kill
        .fire(
            &LogoutRequest::new(Target::User("user-sarah".into()), "phishing report 4711")
                .requested_by("soc-analyst-7"),
        )
        .await
        .unwrap();
    assert_eq!(report.deliveries.len(), 2);
    assert!(
        report
            .deliveries
            .iter()
            .any(|d| d.status == DeliveryStatus::Acknowledged)
    );
    assert!(
        report
            .deliveries
            .iter()
            .any(|d| matches!(d.status, DeliveryStatus::Retrying(_)))
    );
    let events = f.audit.events();
    let txn = Value::String(report.txn.clone());
    assert!(events.iter().any(|e| e.action == AuditAction::Logout
        && e.reason.as_deref() == Some("phishing report 4711")
        && e.details.get("requested_by") == Some(&json!("soc-analyst-7"))
        && e.details.get("txn") == Some(&txn)));
    let revoked = events
        .iter()
        .find(|e| e.action == AuditAction::TokenRevoked && e.details.get("txn") == Some(&txn))
        .unwrap();
    assert_eq!(revoked.details["jtis"], json!(report.revoked_access_tokens));
    for d in &report.deliveries {
        let want = if d.status == DeliveryStatus::Acknowledged {
            Outcome::Success
        } else {
            Outcome::Error
        };
        assert!(
            events
                .iter()
                .any(|e| e.action == AuditAction::Other("ssf_delivery".into())
                    && e.outcome == want
                    && e.details.get("jti") == Some(&Value::String(d.jti.clone())))
        );
    }
    // No token value anywhere in the trail: neither the user's tokens nor
    // a SET (a random `jti` may contain any three characters, so the check
    // looks for the values themselves).
    let trail = serde_json::to_string(&events).unwrap();
    let sets: Vec<String> = [&ok, &down]
        .iter()
        .flat_map(|r| r.pushes())
        .map(|p| p.set)
        .collect();
    assert_eq!(sets.len(), 2);
    for secret in sets.iter().chain([&at, &rt]) {
        assert!(!trail.contains(secret.as_str()));
    }
}

/// A second logout of the same agent revokes nothing new and says so, yet
/// its `session-revoked` about the agent goes out again, under a new `txn`:
/// a logout is an instruction, harmless to repeat at a receiver, and the
/// authority cannot know what a receiver missed or started since.
#[tokio::test]
async fn a_second_logout_revokes_nothing_new_but_signals_again() {
    let f = fixture().await;
    let receiver = Receiver::start(202).await;
    f.push_stream(&receiver.url, &[types::SESSION_REVOKED])
        .await;
    f.user_tokens(AGENT, "user-sarah");
    let request = LogoutRequest::new(Target::Agent(AGENT.into()), "anomaly");
    let first = f.kill.fire(&request).await.unwrap();
    let second = f.kill.fire(&request).await.unwrap();
    assert_eq!(first.revoked_access_tokens.len(), 1);
    assert_eq!(first.signals.len(), 2, "the agent and Sarah");
    assert!(second.revoked_access_tokens.is_empty());
    assert_eq!(second.revoked_grants, 0);
    assert!(second.users.is_empty());
    assert_ne!(first.txn, second.txn);
    assert_eq!(second.signals.len(), 1, "the agent only");
    assert_eq!(second.deliveries[0].status, DeliveryStatus::Acknowledged);
    assert_eq!(receiver.pushes().len(), 3);
}

#[tokio::test]
async fn the_subjects_open_ciba_requests_are_cancelled() {
    let f = fixture().await;
    let channel = ChannelDevice::new();
    let mut device = channel.take_receiver().unwrap();
    let op = CibaOp::install(&f.authority, Arc::new(channel));
    f.authority
        .register_client(
            ClientSpec::confidential("ciba-agent", AGENT_SECRET)
                .grant_types([ciba_client::GRANT_TYPE])
                .scopes(["openid"]),
        )
        .unwrap();
    op.register_client("ciba-agent", ciba_client::DeliveryMode::Poll, None)
        .unwrap();
    let ask = |hint: &'static str| {
        let op = op.clone();
        async move {
            let params = Params::from_pairs([
                ("scope", "openid"),
                ("login_hint", hint),
                ("binding_message", "Acme 450k"),
            ]);
            op.backchannel_authentication(
                &TokenRequest::new(params).basic("ciba-agent", AGENT_SECRET),
            )
            .await
            .unwrap()
            .to_json()["auth_req_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let sarah_req = ask("sarah").await;
    let sarah_approval = device.recv().await.unwrap().approval_id;
    let bob_req = ask("bob").await;
    let bob_approval = device.recv().await.unwrap().approval_id;
    let kill = f.kill.clone().ciba(op.clone());
    let report = kill
        .fire(&LogoutRequest::new(
            Target::User("user-sarah".into()),
            "offboarding",
        ))
        .await
        .unwrap();
    assert_eq!(report.cancelled_approvals, vec![sarah_approval.clone()]);
    assert!(op.approval_request(&sarah_approval).is_none());
    assert!(op.approval_request(&bob_approval).is_some());
    let poll = |id: String| {
        let a = f.authority.clone();
        async move {
            let params = Params::from_pairs([
                ("grant_type", ciba_client::GRANT_TYPE),
                ("auth_req_id", id.as_str()),
            ]);
            a.token(&TokenRequest::new(params).basic("ciba-agent", AGENT_SECRET))
                .await
        }
    };
    assert_eq!(
        poll(sarah_req).await.unwrap_err().code().as_str(),
        "access_denied"
    );
    assert_eq!(
        poll(bob_req).await.unwrap_err().code().as_str(),
        "authorization_pending"
    );
}

#[derive(Debug)]
struct Vault(std::sync::Mutex<Vec<String>>);

#[async_trait]
impl CredentialHook for Vault {
    async fn rotate(&self, agent: &str, _reason: &str) -> Result<Vec<String>, String> {
        self.0.lock().unwrap().push(agent.to_owned());
        Ok(vec!["salesforce-api".into()])
    }
}

#[tokio::test]
async fn emergency_rotation_replaces_the_secret_rotates_the_vault_and_signals_credential_change() {
    let f = fixture().await;
    let r = Receiver::start(202).await;
    f.push_stream(&r.url, &[types::CREDENTIAL_CHANGE]).await;
    let vault = Arc::new(Vault(std::sync::Mutex::default()));
    let kill = f.kill.clone().credential_hook(vault.clone());
    let report = kill
        .rotate_agent_secret(AGENT, "secret leaked in a log")
        .await
        .unwrap();
    let new = report.new_secret.unwrap();
    assert!(!format!("{new:?}").contains(new.expose_secret()));
    assert_eq!(report.vault_rotated, vec!["salesforce-api"]);
    assert_eq!(*vault.0.lock().unwrap(), vec![AGENT]);
    // The old secret no longer authenticates; the new one does.
    let cc = |secret: String| {
        let a = f.authority.clone();
        async move {
            let params = Params::from_pairs([("grant_type", "client_credentials")]);
            a.token(&TokenRequest::new(params).basic(AGENT, &secret))
                .await
        }
    };
    assert!(cc(AGENT_SECRET.to_owned()).await.is_err());
    assert!(cc(new.expose_secret().to_owned()).await.is_ok());
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 1);
    let set = f.validate_set(&pushes[0].set, RECEIVER).await;
    let change = event(&set, types::CREDENTIAL_CHANGE).unwrap();
    assert_eq!(change["credential_type"], "client_secret");
    assert_eq!(change["change_type"], "update");
    assert_eq!(
        set.claims().extra["sub_id"],
        json!({"format": "complex", "application": {"format": "opaque", "id": AGENT}})
    );
    assert!(
        f.audit_has(|e| e.action == AuditAction::KeyRotated && e.agent.as_deref() == Some(AGENT))
    );
}

#[tokio::test]
async fn rotating_keys_of_a_secret_client_is_refused_and_changes_nothing() {
    let f = fixture().await;
    let jwks = agent_auth::jose::SigningKey::generate(agent_auth::jose::Algorithm::Es256).unwrap();
    let set =
        json!({"keys": [serde_json::to_value(jwks.verifying_key().to_jwk()).unwrap()]}).to_string();
    let err = f
        .kill
        .rotate_agent_keys(AGENT, &set, "test")
        .await
        .unwrap_err();
    assert!(matches!(err, KillSwitchError::WrongCredentialKind(_)));
    let err = f
        .kill
        .rotate_agent_keys(AGENT, "{not jwks", "test")
        .await
        .unwrap_err();
    assert!(matches!(err, KillSwitchError::InvalidKeys));
    let params = Params::from_pairs([("grant_type", "client_credentials")]);
    assert!(
        f.authority
            .token(&TokenRequest::new(params).basic(AGENT, AGENT_SECRET))
            .await
            .is_ok()
    );
}
