//! The login client against the reference authority through the in-memory
//! backend (no HTTP): login, step-up to MFA, refresh ahead of expiry,
//! userinfo, client_credentials, key rotation and logout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{Clock, ManualClock};
use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::login::*;
use reference_authority::*;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const REDIRECT: &str = "https://portal.example/cb";
const TOTP: &[u8] = b"0123456789abcdefghij";

fn authority(clock: &ManualClock) -> Authority {
    let a = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    a.register_user(
        UserSpec::new("sarah")
            .id("user-sarah")
            .password("correct horse battery")
            .email("sarah@acme.example")
            .totp_secret(TOTP),
    )
    .unwrap();
    a.register_client(
        ClientSpec::confidential("portal", "portal-secret-0123456789")
            .trusted_first_party()
            .redirect_uri(REDIRECT)
            .post_logout_redirect_uri("https://portal.example/bye")
            .grant_types(["authorization_code", "refresh_token", "client_credentials"])
            .scopes(["openid", "profile", "email", "reports:read"]),
    )
    .unwrap();
    a
}

async fn client(a: &Authority, clock: &ManualClock) -> LoginClient {
    let config = LoginConfig::new(ISSUER, "portal", REDIRECT).auth(ClientAuth::SecretBasic(
        agent_auth::secret::SecretString::new("portal-secret-0123456789"),
    ));
    LoginClient::discover(
        Arc::new(InMemoryBackend::new(a.clone())),
        config,
        Arc::new(clock.clone()),
    )
    .await
    .unwrap()
}

/// Plays the browser: the authority's authorization endpoint with a session.
fn browse(a: &Authority, url: &str, session: &SessionHandle) -> String {
    let url = url::Url::parse(url).unwrap();
    let params = Params::parse(url.query().unwrap()).unwrap();
    match a.authorize(&params, Some(session)).unwrap() {
        AuthorizeOutcome::Redirect(to) => url::Url::parse(to.expose_secret())
            .unwrap()
            .query()
            .unwrap()
            .to_owned(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn login_refresh_userinfo_and_logout() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let rp = client(&a, &clock).await;
    let session = a
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let req = rp.authorization_request(&AuthOptions::default()).unwrap();
    let query = browse(&a, &req.url, &session);
    let mut login = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(login.subject, "user-sarah");
    assert_eq!(login.claims.str("email"), Some("sarah@acme.example"));
    assert_eq!(
        rp.userinfo(&login).await.unwrap()["email"],
        "sarah@acme.example"
    );

    // Refresh ahead of expiry, driven by the clock.
    assert!(!rp.ensure_fresh(&mut login).await.unwrap());
    let before = login.tokens.access_token.clone();
    clock.advance(600 - 30);
    assert!(rp.ensure_fresh(&mut login).await.unwrap());
    assert_ne!(before, login.tokens.access_token);
    assert_eq!(login.tokens.expires_at, Some(clock.now() + 600));

    let to = rp
        .logout(&login, Some("https://portal.example/bye"))
        .await
        .unwrap()
        .unwrap();
    let url = url::Url::parse(&to).unwrap();
    let params = Params::parse(url.query().unwrap()).unwrap();
    assert_eq!(
        a.end_session(&params, Some(&session)).unwrap().as_deref(),
        Some("https://portal.example/bye")
    );
    assert!(
        rp.refresh(&login).await.is_err(),
        "refresh token revoked at logout"
    );
    // The same callback cannot be replayed (the code is single use).
    assert!(rp.callback(&req.pending, &query).await.is_err());
}

#[tokio::test]
async fn step_up_with_acr_values_and_max_age() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let rp = client(&a, &clock).await;
    let options = AuthOptions {
        acr_values: vec![ACR_MFA.into()],
        max_age: Some(300),
        ..AuthOptions::default()
    };
    let req = rp.authorization_request(&options).unwrap();
    let url = url::Url::parse(&req.url).unwrap();
    let params = Params::parse(url.query().unwrap()).unwrap();
    let AuthorizeOutcome::Interaction(i) = a.authorize(&params, None).unwrap() else {
        panic!("login page expected");
    };
    assert!(i.needs_mfa);
    let code = totp::code_at(TOTP, clock.now());
    let done = a
        .complete_login(
            &i.id,
            &Credentials::password("sarah", "correct horse battery").with_totp(code),
        )
        .unwrap();
    let query = url::Url::parse(done.redirect.expose_secret())
        .unwrap()
        .query()
        .unwrap()
        .to_owned();
    let login = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(login.claims.str("acr"), Some(ACR_MFA));
}

#[tokio::test]
async fn client_credentials_and_key_rotation() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let rp = client(&a, &clock).await;
    let tokens = rp
        .client_credentials(&["reports:read"], None)
        .await
        .unwrap();
    let info = rp.introspect(&tokens.access_token).await.unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], "portal");
    rp.revoke(&tokens.access_token, Some("access_token"))
        .await
        .unwrap();
    assert_eq!(
        rp.introspect(&tokens.access_token).await.unwrap()["active"],
        false
    );

    a.rotate_keys(SigningKey::generate(Algorithm::Es256).unwrap())
        .unwrap();
    let session = a
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let req = rp.authorization_request(&AuthOptions::default()).unwrap();
    let query = browse(&a, &req.url, &session);
    let login = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(login.subject, "user-sarah");
}

#[tokio::test]
async fn agent_tokens_are_cached_and_renewed_ahead_of_expiry() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let rp = Arc::new(client(&a, &clock).await);
    let tokens = AgentTokens::new(rp, ["reports:read"], None);
    let first = tokens.access_token().await.unwrap();
    // Concurrent callers share the cached token.
    let (b, c) = tokio::join!(tokens.access_token(), tokens.access_token());
    assert_eq!(b.unwrap(), first);
    assert_eq!(c.unwrap(), first);
    clock.advance(600 - 61);
    assert_eq!(
        tokens.access_token().await.unwrap(),
        first,
        "still outside the margin"
    );
    clock.advance(2);
    let renewed = tokens.access_token().await.unwrap();
    assert_ne!(renewed, first, "renewed within the margin");
    tokens.invalidate().await;
    assert_ne!(tokens.access_token().await.unwrap(), renewed);
}
