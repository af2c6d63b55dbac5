//! The login client with a DPoP key (RFC 9449): its code exchange, refresh and
//! client-credentials requests prove the key, retry once on the provider's
//! `use_dpop_nonce`, and the tokens come back bound (`token_type` `DPoP`,
//! `cnf.jkt`), through the in-memory backend and over the HTTP backend alike.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::dpop::DpopKey;
use agent_auth::jose::base64url;
use agent_auth::login::*;
use agent_auth::oauth::{DpopSigner, HttpClient};
use agent_auth::secret::SecretString;
use reference_authority::http::RouterTransport;
use reference_authority::*;
use serde_json::Value;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const REDIRECT: &str = "https://portal.example/cb";

fn authority(clock: &ManualClock) -> Authority {
    let a = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    a.register_user(
        UserSpec::new("sarah")
            .id("user-sarah")
            .password("correct horse battery"),
    )
    .unwrap();
    a.register_client(
        ClientSpec::confidential("portal", "portal-secret-0123456789")
            .trusted_first_party()
            .redirect_uri(REDIRECT)
            .grant_types(["authorization_code", "refresh_token", "client_credentials"])
            .scopes(["openid", "offline_access", "reports:read"]),
    )
    .unwrap();
    a.require_dpop_nonce(300).unwrap();
    a
}

fn config() -> LoginConfig {
    LoginConfig::new(ISSUER, "portal", REDIRECT)
        .auth(ClientAuth::SecretBasic(SecretString::new(
            "portal-secret-0123456789",
        )))
        .scopes(["openid", "offline_access"])
}

fn jkt_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64url::decode(payload).unwrap()).unwrap();
    claims["cnf"]["jkt"].clone()
}

#[tokio::test]
async fn login_and_refresh_prove_the_key_through_the_providers_nonce() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let signer = DpopSigner::new(DpopKey::generate().unwrap());
    let rp = LoginClient::discover(
        Arc::new(InMemoryBackend::new(a.clone())),
        config(),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap()
    .dpop(signer.clone());
    let session = a
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let req = rp.authorization_request(&AuthOptions::default()).unwrap();
    let url = url::Url::parse(&req.url).unwrap();
    let params = Params::parse(url.query().unwrap()).unwrap();
    let AuthorizeOutcome::Redirect(to) = a.authorize(&params, Some(&session)).unwrap() else {
        panic!("expected a redirect");
    };
    let query = url::Url::parse(to.expose_secret())
        .unwrap()
        .query()
        .unwrap()
        .to_owned();
    let mut login = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(login.tokens.token_type, "DPoP");
    assert_eq!(
        jkt_of(login.tokens.access_token.expose_secret()),
        signer.key().thumbprint()
    );
    clock.advance(600 - 30);
    assert!(rp.ensure_fresh(&mut login).await.unwrap());
    assert_eq!(login.tokens.token_type, "DPoP");
    assert_eq!(
        jkt_of(login.tokens.access_token.expose_secret()),
        signer.key().thumbprint()
    );
}

#[tokio::test]
async fn client_credentials_over_the_http_backend_are_bound() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let backend = HttpBackend::with_http(
        HttpClient::with_transport(RouterTransport::new(a.clone()).unwrap()),
        Arc::new(clock.clone()),
    );
    let signer = DpopSigner::new(DpopKey::generate().unwrap());
    let rp = LoginClient::discover(Arc::new(backend), config(), Arc::new(clock.clone()))
        .await
        .unwrap()
        .dpop(signer.clone());
    let tokens = rp
        .client_credentials(&["reports:read"], None)
        .await
        .unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    assert_eq!(
        jkt_of(tokens.access_token.expose_secret()),
        signer.key().thumbprint()
    );
}

/// A login client over the HTTP backend (the authority's router in process),
/// with `signer` when given.
async fn http_client(
    a: &Authority,
    clock: &ManualClock,
    signer: Option<DpopSigner>,
) -> LoginClient {
    let backend = HttpBackend::with_http(
        HttpClient::with_transport(RouterTransport::new(a.clone()).unwrap()),
        Arc::new(clock.clone()),
    );
    let rp = LoginClient::discover(Arc::new(backend), config(), Arc::new(clock.clone()))
        .await
        .unwrap();
    match signer {
        Some(s) => rp.dpop(s),
        None => rp,
    }
}

/// Sarah approves the authorization request `url`; the callback query.
fn approve(a: &Authority, url: &str) -> String {
    let session = a
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let url = url::Url::parse(url).unwrap();
    let params = Params::parse(url.query().unwrap()).unwrap();
    let AuthorizeOutcome::Redirect(to) = a.authorize(&params, Some(&session)).unwrap() else {
        panic!("expected a redirect");
    };
    url::Url::parse(to.expose_secret())
        .unwrap()
        .query()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn rfc9449_10_the_code_is_bound_to_dpop_jkt_and_userinfo_sends_a_proof() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let signer = DpopSigner::new(DpopKey::generate().unwrap());
    let rp = http_client(&a, &clock, Some(signer.clone())).await;
    let req = rp.authorization_request(&AuthOptions::default()).unwrap();
    let sent = url::Url::parse(&req.url).unwrap();
    let jkt = sent
        .query_pairs()
        .find(|(k, _)| k == "dpop_jkt")
        .map(|(_, v)| v.into_owned());
    assert_eq!(jkt.as_deref(), Some(signer.key().thumbprint()));
    let query = approve(&a, &req.url);
    let session = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(session.tokens.token_type, "DPoP");
    // RFC 9449 section 7: UserInfo with `Authorization: DPoP` and a proof
    // (after the authority's nonce challenge).
    let info = rp.userinfo(&session).await.unwrap();
    assert_eq!(info["sub"], "user-sarah");
}

#[tokio::test]
async fn rfc9449_10_a_bound_code_is_refused_with_another_key_and_stays_redeemable() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let signer = DpopSigner::new(DpopKey::generate().unwrap());
    let rp = http_client(&a, &clock, Some(signer)).await;
    let req = rp.authorization_request(&AuthOptions::default()).unwrap();
    let query = approve(&a, &req.url);
    // An attacker holding the code, with another key, then with none.
    let thief = http_client(
        &a,
        &clock,
        Some(DpopSigner::new(DpopKey::generate().unwrap())),
    )
    .await;
    let err = thief.callback(&req.pending, &query).await.unwrap_err();
    assert!(err.to_string().contains("invalid_grant"), "{err}");
    let bearer = http_client(&a, &clock, None).await;
    let err = bearer.callback(&req.pending, &query).await.unwrap_err();
    assert!(err.to_string().contains("invalid_grant"), "{err}");
    // The refusals did not spend the code: its key redeems it.
    let session = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(session.tokens.token_type, "DPoP");
}

#[tokio::test]
async fn rfc9449_10_a_malformed_dpop_jkt_is_refused() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let rp = http_client(&a, &clock, None).await;
    let req = rp.authorization_request(&AuthOptions::default()).unwrap();
    let query = approve(&a, &format!("{}&dpop_jkt=not-a-thumbprint", req.url));
    assert!(query.contains("error=invalid_request"), "{query}");
    assert!(!query.contains("code="), "{query}");
}
