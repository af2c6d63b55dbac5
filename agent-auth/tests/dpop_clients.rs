//! The clients of the OAuth core prove the agent's DPoP key (RFC 9449) at the
//! reference authority, through its HTTP face in process: a token exchange
//! returns a bound token, and a public client's refresh works only with proofs
//! of the key its grant was bound to (section 5).
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{Clock, ManualClock};
use agent_auth::dpop::DpopKey;
use agent_auth::exchange::{ClientAuth, ExchangeClient, TokenExchangeRequest, token_types};
use agent_auth::jose::base64url;
use agent_auth::oauth::{DpopSigner, HttpClient, TokenEndpoint};
use reference_authority::http::RouterTransport;
use reference_authority::*;
use serde_json::Value;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const TOKEN: &str = "https://idp.example/token";
const CRM: &str = "https://crm.example/mcp";
const SECRET: &str = "agent-secret-0123456789";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const NOW: i64 = 1_750_000_000;

fn authority(clock: &ManualClock) -> Authority {
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([agent_auth::exchange::GRANT_TOKEN_EXCHANGE])
                .scopes(["crm:read"])
                .resources([CRM]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::public("cli")
                .trusted_first_party()
                .redirect_uri(REDIRECT),
        )
        .unwrap();
    authority.register_grant(Arc::new(TokenExchangeGrant::new()));
    authority
}

fn endpoint(
    a: &Authority,
    clock: &ManualClock,
    auth: ClientAuth,
    signer: &DpopSigner,
) -> ExchangeClient {
    let http = HttpClient::with_transport(RouterTransport::new(a.clone()).unwrap());
    ExchangeClient::from_endpoint(
        TokenEndpoint::with_http(http, TOKEN, auth)
            .unwrap()
            .clock(Arc::new(clock.clone()))
            .dpop(signer.clone()),
    )
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64url::decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn a_token_exchange_with_a_dpop_signer_returns_a_bound_token() {
    let clock = ManualClock::new(NOW);
    let a = authority(&clock);
    let subject = a
        .issue(
            &GrantFacts {
                client_id: "portal".into(),
                user_id: Some("user-sarah".into()),
                scope: vec!["crm:read".into()],
                resource: vec![CRM.into()],
                ..GrantFacts::default()
            },
            IssueOptions::default(),
        )
        .unwrap()
        .access_token;
    let signer = DpopSigner::new(DpopKey::generate().unwrap());
    let client = endpoint(
        &a,
        &clock,
        ClientAuth::basic("sales-agent", SECRET),
        &signer,
    );
    let response = client
        .exchange(
            &TokenExchangeRequest::new(subject, token_types::ACCESS_TOKEN)
                .scope(["crm:read"])
                .resource(CRM),
        )
        .await
        .unwrap();
    assert_eq!(response.token_type, "DPoP");
    assert_eq!(
        claims_of(response.access_token.expose_secret())["cnf"]["jkt"],
        signer.key().thumbprint()
    );
}

#[tokio::test]
async fn a_public_clients_refresh_needs_proofs_of_the_bound_key() {
    let clock = ManualClock::new(NOW);
    let a = authority(&clock);
    let key = Arc::new(DpopKey::generate().unwrap());
    // The code flow's token request proves the key.
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
    let url = url::Url::parse(url.expose_secret()).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
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
    let refresh = tokens.refresh_token.unwrap();

    // Another key's signer is refused; nothing changes.
    let thief = DpopSigner::new(DpopKey::generate().unwrap());
    let refused = endpoint(&a, &clock, ClientAuth::public("cli"), &thief)
        .refresh(&refresh, &[])
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("invalid_grant"), "{refused}");
    // The agent's own signer refreshes, and the new token is bound again.
    let own = DpopSigner::shared(key.clone());
    let renewed = endpoint(&a, &clock, ClientAuth::public("cli"), &own)
        .refresh(&refresh, &[])
        .await
        .unwrap();
    assert_eq!(renewed.token_type, "DPoP");
    assert_eq!(
        claims_of(renewed.access_token.expose_secret())["cnf"]["jkt"],
        key.thumbprint()
    );
}
