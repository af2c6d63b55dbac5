//! Owners are told over a real HTTP webhook (on loopback): the notification
//! as JSON, with the configured bearer token; a failed delivery is audited.

use super::*;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::oauth::HttpClient;
use axum::http::{HeaderMap, StatusCode};
use reference_authority::notify::WebhookNotifier;
use std::sync::Mutex;

type Received = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

/// A webhook receiver on loopback answering `status`; returns its URL.
async fn receiver(status: StatusCode) -> (String, Received) {
    let received: Received = Arc::default();
    let sink = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hooks/agents",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let sink = Arc::clone(&sink);
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                sink.lock().unwrap().push((auth, json));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hooks/agents"), received)
}

/// An active agent sponsored by maria (no manager) and owned by tom.
fn agent_of_maria(f: &Fixture) {
    active(
        f,
        AgentSpec::new("a1", "Pricing agent")
            .owner(Principal::Person("tom".into()))
            .sponsor("maria")
            .client("sales-agent"),
    );
}

#[tokio::test]
async fn the_webhook_tells_the_owners_of_a_suspended_agent() {
    let f = fixture();
    let (url, received) = receiver(StatusCode::NO_CONTENT).await;
    f.authority.registry().set_notifier(Arc::new(
        WebhookNotifier::new(HttpClient::new().unwrap(), url)
            .unwrap()
            .bearer("hook-token-0123456789"),
    ));
    agent_of_maria(&f);
    f.authority
        .directory()
        .set_active("maria", false, None, &admin())
        .await
        .unwrap();
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (auth, body) = &received[0];
    assert_eq!(auth.as_deref(), Some("Bearer hook-token-0123456789"));
    assert_eq!(body["topic"], "agent_suspended");
    assert_eq!(body["recipients"], serde_json::json!(["tom"]));
    assert_eq!(body["emails"], serde_json::json!(["tom@acme.example"]));
    assert_eq!(body["subject"], "a1");
    assert_eq!(body["details"]["reason"], "no_active_sponsor");
    assert!(
        f.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::Other("notification".into())
                && e.outcome == Outcome::Success)
    );
}

#[tokio::test]
async fn a_refused_delivery_is_audited_and_the_suspension_stands() {
    let f = fixture();
    let (url, _) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    f.authority.registry().set_notifier(Arc::new(
        WebhookNotifier::new(HttpClient::new().unwrap(), url).unwrap(),
    ));
    agent_of_maria(&f);
    f.authority
        .directory()
        .set_active("maria", false, None, &admin())
        .await
        .unwrap();
    let failed = f
        .audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::Other("notification".into()))
        .unwrap();
    assert_eq!(failed.outcome, Outcome::Error);
    assert_eq!(failed.agent.as_deref(), Some("a1"));
    assert_eq!(
        f.authority.registry().agent("a1").unwrap().unwrap().status,
        reference_authority::registry::AgentStatus::Inactive
    );
}

#[test]
fn a_webhook_must_use_https_off_loopback() {
    assert!(WebhookNotifier::new(HttpClient::new().unwrap(), "http://hooks.example/x").is_err());
    assert!(WebhookNotifier::new(HttpClient::new().unwrap(), "https://hooks.example/x").is_ok());
}

/// Every log line of a test, on the current thread.
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

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_of_the_registry_flows_shows_in_the_logs() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let f = fixture();
    let (url, received) = receiver(StatusCode::OK).await;
    f.authority.registry().set_notifier(Arc::new(
        WebhookNotifier::new(HttpClient::new().unwrap(), url)
            .unwrap()
            .bearer("hook-token-0123456789"),
    ));
    agent_of_maria(&f);
    let issued = f.authority.token(&client_credentials()).await.unwrap();
    f.authority
        .directory()
        .set_active("maria", false, None, &admin())
        .await
        .unwrap();
    assert!(f.authority.token(&client_credentials()).await.is_err());
    assert!(
        f.authority
            .verify_access_token(issued.access_token.expose_secret())
            .is_err()
    );
    assert_eq!(received.lock().unwrap().len(), 1);

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("authority decision"),
        "no audit lines:\n{logs}"
    );
    for secret in [
        AGENT_SECRET,
        "hook-token-0123456789",
        issued.access_token.expose_secret(),
    ] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
}
