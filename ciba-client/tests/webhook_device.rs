//! The webhook device end to end: the OP POSTs each approval request to a
//! webhook on loopback, the person approves through the OP's approval page,
//! and our client receives the token. Every wait is bounded, so a failure
//! fails fast instead of hanging.
//!
//! The backchannel authentication response waits for the webhook's answer:
//! a webhook that waits for the decision before answering deadlocks with a
//! test (or person) that waits for the client's request to return first. The
//! device's timeout bounds that wait; the webhook must answer at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use ciba_client::{AuthenticationRequest, CibaError, DeliveryMode, Hint};
use reference_authority::ciba::{Approval, CibaOp, WebhookDevice};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// Fails the test after `seconds` instead of hanging.
async fn bounded<T>(seconds: u64, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

fn request() -> AuthenticationRequest {
    AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
        .scope(["email:send"])
        .binding_message("Acme Corp - 450,000 EUR")
}

/// Serves `app` (a webhook at `/hook`) on loopback; returns the webhook URL.
async fn webhook(app: axum::Router) -> String {
    let (listener, base) = common::bind().await;
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("{base}/hook")
}

fn stored(s: &common::Served) -> usize {
    s.authority
        .store()
        .scan(reference_authority::Table::Extension("ciba_requests"))
        .unwrap()
        .len()
}

#[tokio::test]
async fn webhook_records_the_request_and_the_person_approves_on_the_page() {
    // The webhook records what it receives and answers at once.
    let (tx, mut rx) = mpsc::unbounded_channel::<serde_json::Value>();
    let url = webhook(
        axum::Router::new()
            .route(
                "/hook",
                post(
                    |State(tx): State<mpsc::UnboundedSender<serde_json::Value>>,
                     Json(ask): Json<serde_json::Value>| async move {
                        tx.send(ask).unwrap();
                        StatusCode::NO_CONTENT
                    },
                ),
            )
            .with_state(tx),
    )
    .await;
    let device = WebhookDevice::with_timeout(url, Duration::from_secs(5));
    let s = common::serve_with(DeliveryMode::Poll, None, 1, Some(Arc::new(device))).await;
    let client = s.client(DeliveryMode::Poll);

    let pending = bounded(10, "backchannel request", client.start(request()))
        .await
        .unwrap();
    let ask = bounded(5, "webhook call", rx.recv()).await.unwrap();
    assert_eq!(ask["user_id"], "user-sarah");
    assert_eq!(ask["client_id"], "sales-agent");
    assert_eq!(ask["binding_message"], "Acme Corp - 450,000 EUR");
    assert!(
        ask.get("auth_req_id").is_none(),
        "the device never learns it"
    );
    let page = ask["approval_url"].as_str().unwrap().to_owned();
    assert!(page.starts_with(&format!("{}/ciba/approve/", s.issuer)));

    // The person opens the page, signs in (the link alone shows nothing)
    // and approves.
    let http = reqwest::Client::new();
    let shown = bounded(5, "approval page", http.get(&page).send())
        .await
        .unwrap();
    assert_eq!(shown.status(), 401);
    let signed_in = bounded(
        5,
        "sign-in",
        http.post(&page)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username=sarah&password={}", common::PASSWORD))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        signed_in
            .text()
            .await
            .unwrap()
            .contains("Acme Corp - 450,000 EUR")
    );
    let decided = bounded(
        5,
        "decision",
        http.post(&page)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie)
            .body("decision=approve")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(decided.status(), 200);

    let outcome = bounded(10, "token", pending.wait()).await;
    let tokens = outcome.approved().expect("approved");
    assert_eq!(tokens.scope, ["openid", "email:send"]);
    assert_eq!(
        tokens.id_token_claims.as_ref().unwrap().sub.as_deref(),
        Some("user-sarah")
    );
}

#[tokio::test]
async fn a_webhook_may_decide_before_it_answers() {
    // The OP holds no lock while it calls the device: a webhook that approves
    // through the OP's decision API before answering does not deadlock.
    let op: Arc<OnceLock<CibaOp>> = Arc::default();
    let url = webhook(
        axum::Router::new()
            .route(
                "/hook",
                post(
                    |State(op): State<Arc<OnceLock<CibaOp>>>,
                     Json(ask): Json<ApprovalRequestIn>| async move {
                        let op = op.get().unwrap();
                        op.approve(&ask.approval_id, Approval::all()).await.unwrap();
                        StatusCode::NO_CONTENT
                    },
                ),
            )
            .with_state(Arc::clone(&op)),
    )
    .await;
    let device = WebhookDevice::with_timeout(url, Duration::from_secs(5));
    let s = common::serve_with(DeliveryMode::Poll, None, 1, Some(Arc::new(device))).await;
    op.set(s.op.clone()).unwrap();
    let client = s.client(DeliveryMode::Poll);
    let pending = bounded(10, "backchannel request", client.start(request()))
        .await
        .unwrap();
    let outcome = bounded(10, "token", pending.wait()).await;
    assert!(outcome.approved().is_some(), "{outcome:?}");
}

/// The part of the webhook body the deciding webhook reads.
#[derive(serde::Deserialize)]
struct ApprovalRequestIn {
    approval_id: String,
}

#[tokio::test]
async fn an_unreachable_or_silent_webhook_fails_the_request_fast() {
    // A webhook that never answers: the device's timeout ends the wait.
    let silent = webhook(axum::Router::new().route(
        "/hook",
        post(|| async {
            std::future::pending::<()>().await;
            StatusCode::NO_CONTENT
        }),
    ))
    .await;
    // A webhook that refuses.
    let refusing = webhook(axum::Router::new().route(
        "/hook",
        post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
    ))
    .await;
    // Nothing listens here any more.
    let closed = {
        let (listener, base) = common::bind().await;
        drop(listener);
        format!("{base}/hook")
    };
    for url in [silent, refusing, closed] {
        let device = WebhookDevice::with_timeout(url.clone(), Duration::from_millis(300));
        let s = common::serve_with(DeliveryMode::Poll, None, 1, Some(Arc::new(device))).await;
        let err = bounded(
            10,
            "backchannel request",
            s.client(DeliveryMode::Poll).start(request()),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, CibaError::Refused { code, .. } if code == "server_error"),
            "{url}: {err:?}"
        );
        assert_eq!(stored(&s), 0, "{url}: the refused request left nothing");
    }
}
