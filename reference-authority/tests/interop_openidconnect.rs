//! The reference authority's HTTP face driven by `openidconnect` 4, the Rust
//! ecosystem's standard OpenID Connect relying party: discovery, authorization
//! code with PKCE S256, the library's own ID token verification (signature with
//! the JWKS it fetched, issuer, audience, nonce, `at_hash`), userinfo and
//! refresh. The refusals prove that the peer really verifies what it is given.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::jose::{Algorithm, base64url};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec};

const CLIENT_ID: &str = "portal";
const CLIENT_SECRET: &str = "portal-secret-0123456789";
const USERNAME: &str = "sarah";
const PASSWORD: &str = "correct horse battery";

/// The `AsyncHttpClient` seam of oauth2 5 / openidconnect 4 over reqwest 0.13:
/// one request out, the status, headers and body back. Redirects are never
/// followed (the client is built with `redirect::Policy::none()`).
async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let response = http.execute(reqwest::Request::try_from(request)?).await?;
    let mut out = HttpResponse::new(Vec::new());
    *out.status_mut() = response.status();
    *out.headers_mut() = response.headers().clone();
    *out.body_mut() = response.bytes().await?.to_vec();
    Ok(out)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The client `from_provider_metadata` builds: every endpoint but the
/// authorization endpoint may be missing from the metadata.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// An authority served on an ephemeral loopback port, with Sarah and the
/// confidential `portal` client registered.
struct Served {
    issuer: String,
    redirect_uri: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(alg: Algorithm) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .algorithm(alg)
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new(USERNAME)
                .id("user-sarah")
                .password(PASSWORD)
                .email("sarah@acme.example")
                .claim("name", "Sarah Connor"),
        )
        .unwrap();
    let redirect_uri = format!("{issuer}/cb");
    authority
        .register_client(
            // A first-party client: the login goes straight back with a code.
            ClientSpec::confidential(CLIENT_ID, CLIENT_SECRET)
                .redirect_uri(&redirect_uri)
                .trusted_first_party(),
        )
        .unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(authority)).await.unwrap();
    });
    Served {
        issuer,
        redirect_uri,
        server,
    }
}

/// Plays the user's browser: GET the authorization URL (the login page), post
/// the login form, and return the query of the redirect to `redirect_uri`.
async fn browser_login(
    browser: &reqwest::Client,
    authorize_url: &str,
    redirect_uri: &str,
) -> url::Url {
    let page = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(
        page.status(),
        200,
        "the authorization endpoint shows the login page"
    );
    // The cookies the page set (the browser binding of the login interaction)
    // go back with the form, as a browser sends them.
    let cookies = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ");
    let html = page.text().await.unwrap();
    let attribute = |marker: &str| {
        let start = html
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker} in the login page"));
        let rest = &html[start + marker.len()..];
        rest[..rest.find('"').unwrap()].replace("&amp;", "&")
    };
    let action = attribute("<form method=\"post\" action=\"");
    let interaction = attribute("name=\"interaction\" value=\"");
    let response = browser
        .post(action)
        .header("cookie", cookies)
        .form(&[
            ("interaction", interaction.as_str()),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "a successful login redirects");
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{redirect_uri}?")),
        "the login redirects to the client, not to {location}"
    );
    url::Url::parse(location).unwrap()
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// What a completed login leaves the relying party with.
struct LoggedIn {
    client: DiscoveredClient,
    tokens: openidconnect::core::CoreTokenResponse,
    nonce: Nonce,
}

/// Discovery, then authorization code + PKCE S256 through the login page, then
/// the code exchange; the redirect's `state` and `iss` are checked here
/// (openidconnect leaves both to the application).
async fn log_in(served: &Served) -> LoggedIn {
    let http_client = no_redirects();
    let http = |request: HttpRequest| send(http_client.clone(), request);
    let issuer = IssuerUrl::new(served.issuer.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap();
    assert_eq!(metadata.issuer().as_str(), served.issuer);
    assert!(
        !metadata.jwks().keys().is_empty(),
        "discovery fetched the JWKS"
    );
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT_ID.into()),
        Some(ClientSecret::new(CLIENT_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(served.redirect_uri.clone()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = browser_login(
        &no_redirects(),
        authorize_url.as_str(),
        &served.redirect_uri,
    )
    .await;
    assert_eq!(
        query(&callback, "state").as_deref(),
        Some(state.secret().as_str())
    );
    // RFC 9207 section 2.4: the client compares `iss` with the issuer it talks to.
    assert_eq!(
        query(&callback, "iss").as_deref(),
        Some(served.issuer.as_str())
    );
    let code = query(&callback, "code").expect("an authorization code");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    LoggedIn {
        client,
        tokens,
        nonce,
    }
}

/// The whole relying-party flow against an authority signing with `alg`.
async fn login_userinfo_and_refresh(alg: Algorithm) {
    let served = serve(alg).await;
    let LoggedIn {
        client,
        tokens,
        nonce,
    } = log_in(&served).await;
    let http_client = no_redirects();
    let http = |request: HttpRequest| send(http_client.clone(), request);

    // The library's own ID token verification: signature with the discovered
    // JWKS, iss, aud, exp, iat, nonce.
    let verifier = client.id_token_verifier();
    let id_token = tokens.id_token().expect("an ID token");
    assert_eq!(
        serde_json::to_value(id_token.signing_alg().unwrap()).unwrap(),
        alg.name(),
        "the ID token is signed with the authority's algorithm"
    );
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.subject().as_str(), "user-sarah");
    assert_eq!(claims.issuer().as_str(), served.issuer);
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("sarah@acme.example")
    );
    // OpenID Connect Core section 3.1.3.8: at_hash binds the access token.
    let expected_hash = claims.access_token_hash().expect("an at_hash claim");
    let actual_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual_hash, expected_hash);

    let userinfo: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(userinfo.subject().as_str(), "user-sarah");
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("sarah@acme.example")
    );

    let refresh_token = tokens.refresh_token().expect("a refresh token");
    let refreshed = client
        .exchange_refresh_token(refresh_token)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let rotated = refreshed.refresh_token().expect("a rotated refresh token");
    assert_ne!(rotated.secret(), refresh_token.secret());
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    // OpenID Connect Core section 12.2: a refreshed ID token names the same
    // user for the same client; a nonce, if present, is the original one.
    let original = nonce.secret().clone();
    let refreshed_claims = refreshed
        .id_token()
        .expect("an ID token on refresh")
        .claims(&verifier, |n: Option<&Nonce>| match n {
            Some(n) if n.secret() != &original => Err("another nonce".to_owned()),
            _ => Ok(()),
        })
        .unwrap();
    assert_eq!(refreshed_claims.subject().as_str(), "user-sarah");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_logs_a_user_in_with_code_pkce_userinfo_and_refresh_es256() {
    login_userinfo_and_refresh(Algorithm::Es256).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_logs_a_user_in_with_code_pkce_userinfo_and_refresh_rs256() {
    login_userinfo_and_refresh(Algorithm::Rs256).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_logs_a_user_in_with_code_pkce_userinfo_and_refresh_ps256() {
    login_userinfo_and_refresh(Algorithm::Ps256).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_logs_a_user_in_with_code_pkce_userinfo_and_refresh_eddsa() {
    login_userinfo_and_refresh(Algorithm::EdDsa).await;
}

/// The ID token's payload re-encoded with another `sub`, signature kept.
fn with_other_subject(token: &CoreIdToken) -> CoreIdToken {
    let compact = token.to_string();
    let parts: Vec<&str> = compact.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&base64url::decode(parts[1]).unwrap()).unwrap();
    payload["sub"] = "user-mallory".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64url::encode(serde_json::to_vec(&payload).unwrap()),
        parts[2]
    );
    forged.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_refuses_an_id_token_whose_payload_was_tampered_with() {
    let served = serve(Algorithm::Es256).await;
    let logged_in = log_in(&served).await;
    let verifier = logged_in.client.id_token_verifier();
    let genuine = logged_in.tokens.id_token().expect("an ID token");
    assert!(genuine.claims(&verifier, &logged_in.nonce).is_ok());

    let forged = with_other_subject(genuine);
    match forged.claims(&verifier, &logged_in.nonce) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::CryptoError(_),
        )) => {}
        other => panic!("a tampered ID token must fail its signature check, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_refuses_an_id_token_issued_for_another_nonce() {
    let served = serve(Algorithm::Es256).await;
    let logged_in = log_in(&served).await;
    let verifier = logged_in.client.id_token_verifier();
    let id_token = logged_in.tokens.id_token().expect("an ID token");

    // OpenID Connect Core section 3.1.3.7 item 11: the nonce must be the one
    // the client sent (replay protection).
    let other = Nonce::new("a-nonce-of-another-login".into());
    match id_token.claims(&verifier, &other) {
        Err(ClaimsVerificationError::InvalidNonce(_)) => {}
        other => panic!("an ID token for another nonce must be refused, got {other:?}"),
    }
}
