//! Our client against our reference OP over loopback HTTP: poll, ping, push,
//! denial, a refused ping with a wrong bearer token, resume from SQLite, and
//! no secret in the logs of a whole flow.
#![cfg(feature = "sqlite")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use agent_auth::audit::AuditAction;
use ciba_client::client::{PendingStore, SqlitePendingStore};
use ciba_client::{
    AUTH_REQ_ID_CLAIM, ApprovalOutcome, AuthenticationRequest, AuthorizationDetails, CibaClient,
    ClientAuth, DeliveryMode, Hint,
};
use reference_authority::ciba::Approval;
use std::sync::{Arc, Mutex};

const DETAILS: &str = r#"[{"type":"proposal","identifier":"Acme Corp","actions":["send"],"amount":450000,"currency":"EUR"}]"#;

fn request() -> AuthenticationRequest {
    AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
        .scope(["email:send", "drive:write", "crm:update"])
        .binding_message("Acme Corp - 450,000 EUR")
        .authorization_details(AuthorizationDetails::parse(DETAILS).unwrap())
}

#[tokio::test]
async fn poll_mode_approved_with_exactly_the_granted_scope_and_details() {
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let client = s.client(DeliveryMode::Poll);
    let pending = client.start(request()).await.unwrap();
    assert_eq!(pending.interval(), 1);
    let ask = s.device.recv().await.unwrap();
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450,000 EUR")
    );
    let wait = tokio::spawn({
        let p = pending.clone();
        async move { p.wait().await }
    });
    s.op.approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();
    let outcome = wait.await.unwrap();
    let tokens = outcome.approved().expect("approved");
    assert_eq!(
        tokens.scope,
        ["openid", "email:send", "drive:write", "crm:update"]
    );
    assert_eq!(
        tokens.authorization_details.as_ref().unwrap(),
        &serde_json::from_str::<serde_json::Value>(DETAILS).unwrap()
    );
    assert_eq!(
        tokens.id_token_claims.as_ref().unwrap().sub.as_deref(),
        Some("user-sarah")
    );
    s.server.abort();
}

#[tokio::test]
async fn poll_mode_denied() {
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let client = s.client(DeliveryMode::Poll);
    let pending = client.start(request()).await.unwrap();
    let ask = s.device.recv().await.unwrap();
    s.op.deny(&ask.approval_id).await.unwrap();
    assert!(matches!(pending.wait().await, ApprovalOutcome::Denied));
}

#[tokio::test]
async fn ping_mode_with_a_wrong_bearer_refused() {
    // The client's receiver must exist before the OP registration names it.
    let (listener, base) = common::bind().await;
    let endpoint = format!("{base}/ciba/notify");
    let mut s = common::serve(DeliveryMode::Ping, Some(&endpoint), 5).await;
    let client = s.client(DeliveryMode::Ping);
    let app = client.notification_router("/ciba/notify");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pending = client.start(request()).await.unwrap();
    let ask = s.device.recv().await.unwrap();

    // A forged ping: the bearer is not the client_notification_token.
    let forged = reqwest::Client::new()
        .post(&endpoint)
        .bearer_auth("forged-token")
        .json(&serde_json::json!({"auth_req_id": "whatever"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);

    s.op.approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();
    let outcome = pending.wait().await;
    assert_eq!(outcome.approved().expect("approved").scope.len(), 4);
}

#[tokio::test]
async fn push_mode_id_token_names_the_request_and_hashes_both_tokens() {
    let (listener, base) = common::bind().await;
    let endpoint = format!("{base}/ciba/notify");
    let mut s = common::serve(DeliveryMode::Push, Some(&endpoint), 5).await;
    let client = s.client(DeliveryMode::Push);
    let app = client.notification_router("/ciba/notify");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pending = client
        .start(request().scope(["offline_access"]))
        .await
        .unwrap();
    let ask = s.device.recv().await.unwrap();
    s.op.approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();
    let outcome = pending.wait().await;
    let tokens = outcome.approved().expect("approved");
    let claims = tokens.id_token_claims.as_ref().unwrap();
    assert!(claims.str(AUTH_REQ_ID_CLAIM).is_some());
    assert!(claims.str("at_hash").is_some());
    assert!(claims.str("rt_hash").is_some());
    assert!(tokens.refresh_token.is_some());
}

#[tokio::test]
async fn a_restarted_agent_resumes_from_sqlite() {
    let dir = std::env::temp_dir().join(format!("ciba-resume-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let store: Arc<dyn PendingStore> = Arc::new(SqlitePendingStore::open(&dir).unwrap());
    let first = CibaClient::builder(
        s.endpoints(),
        ClientAuth::secret_basic("sales-agent", common::SECRET),
    )
    .store(Arc::clone(&store))
    .id_token_validator(s.id_tokens())
    .build();
    let _pending = first.start(request()).await.unwrap();
    drop(first);
    let ask = s.device.recv().await.unwrap();
    s.op.approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();

    let store: Arc<dyn PendingStore> = Arc::new(SqlitePendingStore::open(&dir).unwrap());
    let second = CibaClient::builder(
        s.endpoints(),
        ClientAuth::secret_basic("sales-agent", common::SECRET),
    )
    .store(Arc::clone(&store))
    .id_token_validator(s.id_tokens())
    .build();
    let resumed = second.resume().unwrap();
    assert_eq!(resumed.len(), 1);
    assert!(resumed[0].wait().await.approved().is_some());
    assert!(
        store.list().unwrap().is_empty(),
        "a finished request leaves the store"
    );
    let _ = std::fs::remove_file(&dir);
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_logs_debug_or_audit() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (listener, base) = common::bind().await;
    let endpoint = format!("{base}/ciba/notify");
    let mut s = common::serve(DeliveryMode::Ping, Some(&endpoint), 5).await;
    let store = ciba_client::client::MemoryPendingStore::new();
    let client = CibaClient::builder(
        s.endpoints(),
        ClientAuth::secret_basic("sales-agent", common::SECRET),
    )
    .mode(DeliveryMode::Ping)
    .store(Arc::new(store.clone()))
    .id_token_validator(s.id_tokens())
    .build();
    let app = client.notification_router("/ciba/notify");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pending = client
        .start(request().scope(["offline_access"]))
        .await
        .unwrap();
    let record = store.list().unwrap().pop().unwrap();
    let ask = s.device.recv().await.unwrap();
    let _ = reqwest::Client::new()
        .post(&endpoint)
        .bearer_auth("forged")
        .json(&serde_json::json!({"auth_req_id": "x"}))
        .send()
        .await
        .unwrap();
    s.op.approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();
    let outcome = pending.wait().await;
    let tokens = outcome.approved().unwrap().clone();

    let mut secrets = vec![
        tokens.access_token.expose_secret().to_owned(),
        tokens
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned(),
        tokens.id_token.as_ref().unwrap().expose_secret().to_owned(),
        common::SECRET.to_owned(),
    ];
    let pending_dbg = format!("{pending:?}");
    let outcome_dbg = format!("{outcome:?} {client:?}");
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let audit = serde_json::to_string(&s.audit.events()).unwrap();
    assert!(!logs.is_empty(), "the flow logged something");
    assert!(
        s.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::ApprovalDecided)
    );
    // The auth_req_id and the notification token only ever lived in secret types.
    secrets.push(record.auth_req_id.expose_secret().to_owned());
    secrets.push(
        record
            .notification_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned(),
    );
    for secret in &secrets {
        for (name, text) in [
            ("logs", &logs),
            ("debug", &pending_dbg),
            ("debug", &outcome_dbg),
            ("audit", &audit),
        ] {
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached the {name}"
            );
        }
    }
    assert!(pending_dbg.contains("[redacted]"));
}

#[tokio::test]
async fn private_key_jwt_and_secret_post_clients_with_agent_side_audit() {
    use agent_auth::audit::{MemorySink, Outcome};
    use agent_auth::jose::{Algorithm, SigningKey};
    use ciba_client::GRANT_TYPE;
    use reference_authority::{ClientAuthMethod, ClientSpec};

    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [key.verifying_key().to_jwk().unwrap()]});
    s.authority
        .register_client(
            ClientSpec::private_key_jwt("jwt-agent", jwks.to_string())
                .grant_types([GRANT_TYPE])
                .scopes(["openid", "crm:update"]),
        )
        .unwrap();
    s.authority
        .register_client(
            ClientSpec::confidential("post-agent", "post-secret-0123456789")
                .auth_method(ClientAuthMethod::ClientSecretPost)
                .grant_types([GRANT_TYPE])
                .scopes(["openid", "crm:update"]),
        )
        .unwrap();
    for id in ["jwt-agent", "post-agent"] {
        s.op.register_client(id, DeliveryMode::Poll, None).unwrap();
    }
    let id_tokens = |aud: &str| {
        agent_auth::validate::Validator::<agent_auth::validate::IdToken>::builder_shared(
            s.authority.keys().clone(),
        )
        .issuer(s.issuer.clone())
        .audience(aud.to_owned())
        .build()
    };
    let audit = MemorySink::new();
    let clients = [
        CibaClient::builder(s.endpoints(), ClientAuth::private_key_jwt("jwt-agent", key))
            .id_token_validator(id_tokens("jwt-agent"))
            .audit(Arc::new(audit.clone()))
            .build(),
        CibaClient::builder(
            s.endpoints(),
            ClientAuth::secret_post("post-agent", "post-secret-0123456789"),
        )
        .id_token_validator(id_tokens("post-agent"))
        .audit(Arc::new(audit.clone()))
        .build(),
    ];
    for client in clients {
        let request = AuthenticationRequest::new(Hint::IssSub {
            iss: s.issuer.clone(),
            sub: "user-sarah".into(),
        })
        .scope(["crm:update"])
        .binding_message("Update Acme Corp");
        let pending = client.start(request).await.unwrap();
        let ask = s.device.recv().await.unwrap();
        assert_eq!(ask.client_id, client.client_id());
        s.op.approve(&ask.approval_id, Approval::all())
            .await
            .unwrap();
        let outcome = pending.wait().await;
        assert_eq!(
            outcome.approved().expect("approved").scope,
            ["openid", "crm:update"]
        );
    }
    let events = audit.events();
    let requested: Vec<_> = events
        .iter()
        .filter(|e| e.action == AuditAction::ApprovalRequested)
        .collect();
    let decided: Vec<_> = events
        .iter()
        .filter(|e| e.action == AuditAction::ApprovalDecided)
        .collect();
    assert_eq!(requested.len(), 2);
    assert_eq!(decided.len(), 2);
    assert_eq!(requested[0].agent.as_deref(), Some("jwt-agent"));
    assert_eq!(requested[0].user.as_deref(), Some("user-sarah"));
    assert_eq!(requested[0].details["binding_message"], "Update Acme Corp");
    assert_eq!(decided[1].agent.as_deref(), Some("post-agent"));
    assert_eq!(decided[1].user.as_deref(), Some("user-sarah"));
    assert_eq!(decided[1].outcome, Outcome::Success);
}
