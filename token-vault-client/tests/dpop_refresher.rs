//! The vault's refresher proves the agent's DPoP key (RFC 9449) through the
//! OAuth core: a public client's refresh token bound to that key is renewed
//! with proofs of it, and a refresher holding another key gets the consent-gone
//! answer (`invalid_grant`) while the stored refresh token stays good. The
//! reference authority serves as the provider, its HTTP face in process.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{Clock, ManualClock};
use agent_auth::dpop::DpopKey;
use agent_auth::oauth::{ClientAuth, DpopSigner, HttpClient, TokenEndpoint};
use agent_auth::secret::SecretString;
use reference_authority::http::RouterTransport;
use reference_authority::*;
use std::sync::Arc;
use token_vault_client::oauth::OAuthClient;
use token_vault_client::{RefreshError, TokenRefresher};

const ISSUER: &str = "https://idp.example";
const TOKEN: &str = "https://idp.example/token";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const NOW: i64 = 1_750_000_000;

fn refresher(a: &Authority, clock: &ManualClock, signer: DpopSigner) -> OAuthClient {
    let http = HttpClient::with_transport(RouterTransport::new(a.clone()).unwrap());
    let endpoint = TokenEndpoint::with_http(http, TOKEN, ClientAuth::public("cli"))
        .unwrap()
        .clock(Arc::new(clock.clone()))
        .dpop(signer);
    OAuthClient::from_endpoint(format!("{ISSUER}/authorize"), endpoint, REDIRECT).unwrap()
}

#[tokio::test]
async fn the_vault_refresher_renews_a_dpop_bound_refresh_token_with_its_key_only() {
    let clock = ManualClock::new(NOW);
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
        ClientSpec::public("cli")
            .trusted_first_party()
            .redirect_uri(REDIRECT),
    )
    .unwrap();
    let key = Arc::new(DpopKey::generate().unwrap());
    let session = a
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "cli"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid offline_access"),
        ("state", "st"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let AuthorizeOutcome::Redirect(url) = a.authorize(&params, Some(&session)).unwrap() else {
        panic!("expected a redirect");
    };
    let code = url
        .expose_secret()
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap()
        .to_owned();
    let proof = key.proof("POST", TOKEN, None, None, clock.now()).unwrap();
    let tokens = a
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("client_id", "cli"),
            ]))
            .with_dpop_proof(proof.expose_secret()),
        )
        .await
        .unwrap();
    let refresh = SecretString::new(tokens.refresh_token.unwrap().expose_secret());

    let thief = refresher(&a, &clock, DpopSigner::new(DpopKey::generate().unwrap()));
    assert!(matches!(
        thief.refresh(&refresh, &[]).await,
        Err(RefreshError::ConsentGone(_))
    ));
    let own = refresher(&a, &clock, DpopSigner::shared(key));
    let renewed = own.refresh(&refresh, &[]).await.unwrap();
    assert_eq!(renewed.token_type.as_deref(), Some("DPoP"));
    assert!(renewed.refresh_token.is_some());
}
