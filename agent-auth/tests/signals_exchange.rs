//! The exchange clients as subscribers of security signals: a signal that
//! ends a user's access drops the tokens cached for that user (the next call
//! exchanges again), and only those.
#![cfg(all(feature = "signals", feature = "http"))]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::exchange::{
    ClientAuth, CrossDomainClient, CrossDomainRequest, DelegationClient, ExchangeClient,
    TokenExchangeRequest, token_types,
};
use agent_auth::jose::base64url;
use agent_auth::oauth::{HttpClient, HttpRequest, HttpResponse};
use agent_auth::secret::Token;
use agent_auth::signals::{Signal, SignalKind, SignalSubscriber, Subject};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const IDP: &str = "https://idp.example";

/// A user's token as the agent holds it (only its `iss` and `sub` matter here).
fn user_token(sub: &str) -> Token {
    let part = |v: serde_json::Value| base64url::encode(v.to_string());
    Token::new(format!(
        "{}.{}.c2ln",
        part(json!({"alg": "ES256"})),
        part(json!({"iss": IDP, "sub": sub}))
    ))
}

/// A token endpoint issuing a new token per request (ID-JAGs for ID-JAG
/// requests), counting requests.
fn endpoint(calls: Arc<AtomicUsize>) -> HttpClient {
    HttpClient::with_transport(move |req: HttpRequest| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let body = String::from_utf8_lossy(req.body()).into_owned();
        let issued = if body.contains("id-jag") {
            token_types::ID_JAG
        } else {
            token_types::ACCESS_TOKEN
        };
        let answer = HttpResponse::json(
            200,
            &json!({"access_token": format!("t-{n}"), "token_type": "N_A",
                    "issued_token_type": issued, "expires_in": 600}),
        );
        async move { Ok(answer) }
    })
}

fn client(http: HttpClient, url: &str) -> ExchangeClient {
    ExchangeClient::with_http(http, url, ClientAuth::basic("agent", "agent-secret")).unwrap()
}

fn ended(user: &str) -> Signal {
    Signal::local(
        SignalKind::AccountDisabled,
        Subject::IssSub {
            iss: IDP.into(),
            sub: user.into(),
        },
        &[IDP],
        1_000,
    )
}

#[tokio::test]
async fn delegation_cache_drops_the_tokens_of_the_user_whose_access_ended() {
    let calls = Arc::new(AtomicUsize::new(0));
    let delegation =
        DelegationClient::new(client(endpoint(calls.clone()), "https://as.example/token"));
    let request = |user: &str| {
        TokenExchangeRequest::new(user_token(user), token_types::ACCESS_TOKEN)
            .audience("https://crm.example")
    };
    for user in ["sarah", "bob", "sarah", "bob"] {
        delegation.access_token(&request(user)).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "cached per user");
    delegation.on_signal(&ended("sarah")).await;
    delegation.access_token(&request("bob")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "Bob's token stays cached");
    delegation.access_token(&request("sarah")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3, "Sarah's token was dropped");
}

#[tokio::test]
async fn cross_domain_cache_drops_the_tokens_of_the_user_whose_access_ended() {
    let calls = Arc::new(AtomicUsize::new(0));
    let http = endpoint(calls.clone());
    let cross = CrossDomainClient::new(
        client(http.clone(), "https://idp.example/token"),
        client(http, "https://pricing-as.example/token"),
    );
    let request = CrossDomainRequest::new("https://pricing-as.example", ["pricing:read"]);
    cross
        .access_token(&user_token("sarah"), &request)
        .await
        .unwrap();
    cross
        .access_token(&user_token("sarah"), &request)
        .await
        .unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one ID-JAG, one token, then cached"
    );
    // A signal about another issuer's Sarah changes nothing.
    let elsewhere = Signal::local(
        SignalKind::AccountDisabled,
        Subject::Opaque("sarah".into()),
        &["https://other-idp.example"],
        1_000,
    );
    cross.on_signal(&elsewhere).await;
    cross
        .access_token(&user_token("sarah"), &request)
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    cross.on_signal(&ended("sarah")).await;
    cross
        .access_token(&user_token("sarah"), &request)
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4, "both steps run again");
}
