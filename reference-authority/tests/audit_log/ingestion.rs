//! The ingestion endpoint and the tiles over HTTP: a component ships events
//! with a client-credentials token carrying `audit:write`; anything else is
//! refused with an RFC 6750 challenge and an audit event, and changes nothing.

use super::common::{ORIGIN, event, signer};
use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use reference_authority::audit_log::{self, AuditLog, Checkpoint, LogStorage};
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec};
use std::sync::Arc;

const SECRET: &str = "shipper-secret-0123456789";

struct Served {
    issuer: String,
    log: AuditLog,
    audit: MemorySink,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve() -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let audit = MemorySink::new();
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("mcp-guard-crm", SECRET)
                .grant_types(vec!["client_credentials"])
                .scopes(vec!["audit:write", "crm:read"]),
        )
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    let log = AuditLog::new(ORIGIN, signer(), LogStorage::in_memory().unwrap()).unwrap();
    let app = reference_authority::http::router(authority.clone())
        .merge(audit_log::router(log.clone(), authority));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Served {
        issuer,
        log,
        audit,
        http: reqwest::Client::new(),
        server,
    }
}

async fn token(s: &Served, scope: &str) -> String {
    let response: serde_json::Value = s
        .http
        .post(format!("{}/token", s.issuer))
        .basic_auth("mcp-guard-crm", Some(SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"].as_str().unwrap().to_owned()
}

async fn ship(s: &Served, token: Option<&str>, body: &serde_json::Value) -> reqwest::Response {
    let mut request = s
        .http
        .post(format!("{}/audit-log/events", s.issuer))
        .json(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn shipped_batch_is_appended_once_with_its_reporter() {
    let s = serve().await;
    let token = token(&s, "audit:write").await;
    let batch = serde_json::to_value(vec![event(1), event(2)]).unwrap();
    let first: serde_json::Value = ship(&s, Some(&token), &batch).await.json().await.unwrap();
    assert_eq!(first["indexes"], serde_json::json!([0, 1]));
    // The same batch again (a retry after a lost response): deduplicated by event id.
    let again: serde_json::Value = ship(&s, Some(&token), &batch).await.json().await.unwrap();
    assert_eq!(again["indexes"], serde_json::json!([0, 1]));
    assert_eq!(s.log.size(), 2);
    let entry = s.log.entry(1).unwrap();
    assert_eq!(entry.reporter.as_deref(), Some("mcp-guard-crm"));
    assert_eq!(entry.event, event(2));
}

#[tokio::test]
async fn ingestion_without_audit_write_scope_is_refused_and_audited() {
    let s = serve().await;
    let token = token(&s, "crm:read").await;
    let response = ship(
        &s,
        Some(&token),
        &serde_json::to_value(vec![event(1)]).unwrap(),
    )
    .await;
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("insufficient_scope") && challenge.contains("audit:write"));
    assert_eq!(s.log.size(), 0);
    let refused = s
        .audit
        .events()
        .into_iter()
        .rev()
        .find(|e| e.action == AuditAction::TokenValidated)
        .unwrap();
    assert_eq!(refused.outcome, Outcome::Denied);
    assert_eq!(refused.reason.as_deref(), Some("insufficient_scope"));
}

#[tokio::test]
async fn ingestion_without_a_valid_token_is_refused() {
    let s = serve().await;
    let body = serde_json::to_value(vec![event(1)]).unwrap();
    let none = ship(&s, None, &body).await;
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let forged = ship(&s, Some("eyJhbGciOiJub25lIn0.e30."), &body).await;
    assert_eq!(forged.status(), 401);
    assert!(
        forged.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(s.log.size(), 0);
}

#[tokio::test]
async fn malformed_or_oversized_batches_change_nothing() {
    let s = serve().await;
    let token = token(&s, "audit:write").await;
    let bad = ship(&s, Some(&token), &serde_json::json!({"not": "a batch"})).await;
    assert_eq!(bad.status(), 400);
    let huge = event(1).detail("blob", "x".repeat(70_000));
    let too_large = ship(
        &s,
        Some(&token),
        &serde_json::to_value(vec![event(2), huge]).unwrap(),
    )
    .await;
    assert_eq!(too_large.status(), 413);
    assert_eq!(s.log.size(), 0);
}

#[tokio::test]
async fn checkpoint_and_tiles_are_served_in_the_tlog_tiles_layout() {
    let s = serve().await;
    let token = token(&s, "audit:write").await;
    let batch: Vec<_> = (0..300).map(event).collect();
    ship(&s, Some(&token), &serde_json::to_value(batch).unwrap()).await;
    let response = s
        .http
        .get(format!("{}/audit-log/checkpoint", s.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let note = response.text().await.unwrap();
    let checkpoint = Checkpoint::open(&note, &s.log.verifier(), ORIGIN).unwrap();
    assert_eq!(checkpoint.size, 300);
    let full = s
        .http
        .get(format!("{}/audit-log/tile/0/000", s.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(full.headers()["content-type"], "application/octet-stream");
    assert_eq!(full.bytes().await.unwrap().len(), 8192);
    let partial = s
        .http
        .get(format!("{}/audit-log/tile/0/001.p/44", s.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(partial.bytes().await.unwrap().len(), 44 * 32);
    let bundle = s
        .http
        .get(format!("{}/audit-log/tile/entries/001.p/44", s.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    for missing in [
        "tile/0/001",
        "tile/0/001.p/45",
        "tile/1/000",
        "tile/0/01",
        "tile/x/000",
    ] {
        let r = s
            .http
            .get(format!("{}/audit-log/{missing}", s.issuer))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{missing}");
    }
}
