//! A signal that ends a user's access cancels the approvals that user was
//! asked for: the waiting agent stops with `Cancelled`, the store forgets the
//! request, and a later approval is never used. Requests of other users wait on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::audit::{MemorySink, Outcome};
use agent_auth::oauth::{HttpClient, HttpRequest, HttpResponse};
use agent_auth::signals::{Signal, SignalKind, SignalSubscriber, Subject};
use ciba_client::client::{MemoryPendingStore, PendingStore};
use ciba_client::{
    ApprovalOutcome, AuthenticationRequest, CibaClient, CibaSignals, ClientAuth, Endpoints, Hint,
};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const ISSUER: &str = "https://op.example";

/// An OP that starts every request and keeps each one pending.
fn op() -> HttpClient {
    let n = Arc::new(AtomicUsize::new(0));
    HttpClient::with_transport(move |req: HttpRequest| {
        let answer = if req.url().path() == "/bc" {
            let i = n.fetch_add(1, Ordering::SeqCst);
            HttpResponse::json(
                200,
                &json!({"auth_req_id": format!("req-{i}"), "expires_in": 600, "interval": 1}),
            )
        } else {
            HttpResponse::json(400, &json!({"error": "authorization_pending"}))
        };
        async move { Ok(answer) }
    })
}

#[tokio::test]
async fn account_disabled_signal_cancels_the_users_pending_approvals() {
    let store = Arc::new(MemoryPendingStore::new());
    let audit = MemorySink::new();
    let client = CibaClient::builder(
        Endpoints {
            issuer: ISSUER.into(),
            backchannel: format!("{ISSUER}/bc"),
            token: format!("{ISSUER}/token"),
        },
        ClientAuth::secret_basic("agent", "s3cret"),
    )
    .with_http(op())
    .store(store.clone())
    .audit(Arc::new(audit.clone()))
    .build();
    let ask = |user: &str| {
        AuthenticationRequest::new(Hint::LoginHint(user.into())).binding_message("Acme 450k")
    };
    let sarah = client.start(ask("sarah")).await.unwrap();
    let bob = client.start(ask("bob")).await.unwrap();
    assert_eq!(store.list().unwrap().len(), 2);

    let signal = Signal::local(
        SignalKind::AccountDisabled,
        Subject::IssSub {
            iss: ISSUER.into(),
            sub: "sarah".into(),
        },
        &[ISSUER],
        1_000,
    );
    CibaSignals::new(client.clone()).on_signal(&signal).await;

    assert!(matches!(sarah.wait().await, ApprovalOutcome::Cancelled));
    let left = store.list().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user.as_deref(), Some("bob"));
    assert!(
        audit
            .events()
            .iter()
            .any(|e| e.outcome == Outcome::Denied && e.reason.as_deref() == Some("cancelled"))
    );
    // Bob's request is untouched: still in the store, its handle still waiting.
    assert!(bob.expires_at() > 0);
    assert_eq!(client.resume().unwrap().len(), 1);
}

#[tokio::test]
async fn signal_about_another_issuers_user_cancels_nothing() {
    let client = CibaClient::builder(
        Endpoints {
            issuer: ISSUER.into(),
            backchannel: format!("{ISSUER}/bc"),
            token: format!("{ISSUER}/token"),
        },
        ClientAuth::secret_basic("agent", "s3cret"),
    )
    .with_http(op())
    .build();
    client
        .start(AuthenticationRequest::new(Hint::LoginHint("sarah".into())))
        .await
        .unwrap();
    let elsewhere = Signal::local(
        SignalKind::SessionRevoked,
        Subject::Opaque("sarah".into()),
        &["https://other-op.example"],
        1_000,
    );
    CibaSignals::new(client.clone()).on_signal(&elsewhere).await;
    assert_eq!(client.resume().unwrap().len(), 1);
    let risk = Signal::local(
        SignalKind::RiskLevelChange,
        Subject::Opaque("sarah".into()),
        &[ISSUER],
        1_000,
    );
    CibaSignals::new(client.clone()).on_signal(&risk).await;
    assert_eq!(
        client.resume().unwrap().len(),
        1,
        "a risk change alone cancels nothing"
    );
}
