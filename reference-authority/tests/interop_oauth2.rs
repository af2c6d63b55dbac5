//! The reference authority's HTTP face driven by `oauth2` 5, the Rust
//! ecosystem's standard OAuth 2.0 client: client credentials with
//! `client_secret_basic` and `client_secret_post` (RFC 6749 sections 2.3.1 and
//! 4.4), authorization code with PKCE and refresh (sections 4.1 and 6),
//! introspection (RFC 7662) and revocation (RFC 7009). The authority has no
//! device authorization grant, so oauth2's device flow is not exercised.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IntrospectionUrl, PkceCodeChallenge,
    RedirectUrl, RequestTokenError, RevocationUrl, Scope, StandardRevocableToken,
    TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use reference_authority::http::router;
use reference_authority::{
    Authority, AuthorityConfig, AuthorizeOutcome, ClientAuthMethod, ClientSpec, Credentials,
    Params, UserSpec, grant_types, paths,
};

/// Characters that RFC 6749 section 2.3.1 makes the client form-encode before
/// HTTP Basic, so the authority's decoding is exercised too.
const PORTAL_SECRET: &str = "portal+secret/0123:4567%89&=";
const AGENT_SECRET: &str = "agent-secret-0123456789abcdef";
const BATCH_SECRET: &str = "batch-secret-0123456789abcdef";

/// The `AsyncHttpClient` seam of oauth2 5 over reqwest 0.13: one request out,
/// the status, headers and body back; redirects are never followed.
///
/// oauth2 refuses a revocation endpoint that is not https (RFC 7009 section 2),
/// and the loopback test server speaks plain http: the client is given the
/// endpoint as `https://127.0.0.1:<port>/revoke`, and only for loopback this
/// adapter carries the request over http to that same endpoint.
async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let mut request = reqwest::Request::try_from(request)?;
    let url = request.url_mut();
    if url.scheme() == "https" && url.host_str() == Some("127.0.0.1") {
        url.set_scheme("http").unwrap();
    }
    let response = http.execute(request).await?;
    let mut out = HttpResponse::new(Vec::new());
    *out.status_mut() = response.status();
    *out.headers_mut() = response.headers().clone();
    *out.body_mut() = response.bytes().await?.to_vec();
    Ok(out)
}

/// A `BasicClient` with the authorization, token, introspection and revocation
/// endpoints set.
type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointSet, EndpointSet, EndpointSet>;

/// An authority on an ephemeral loopback port, with Sarah, a code-flow client
/// (`portal`, basic) and two client-credentials clients (`sales-agent`, basic;
/// `batch-job`, post). The test keeps a handle to play the user's part in process.
struct Served {
    authority: Authority,
    issuer: String,
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
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
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
            // A first-party client: no consent page between login and code.
            ClientSpec::confidential("portal", PORTAL_SECRET)
                .redirect_uri(format!("{issuer}/cb"))
                .trusted_first_party(),
        )
        .unwrap();
    for (id, secret, method) in [
        (
            "sales-agent",
            AGENT_SECRET,
            ClientAuthMethod::ClientSecretBasic,
        ),
        (
            "batch-job",
            BATCH_SECRET,
            ClientAuthMethod::ClientSecretPost,
        ),
    ] {
        authority
            .register_client(
                ClientSpec::confidential(id, secret)
                    .auth_method(method)
                    .grant_types([grant_types::CLIENT_CREDENTIALS])
                    .scopes(["crm:read", "crm:write"]),
            )
            .unwrap();
    }
    let server_authority = authority.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(server_authority))
            .await
            .unwrap();
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Served {
        authority,
        issuer,
        http,
        server,
    }
}

impl Served {
    fn client(&self, id: &str, secret: &str, auth_type: AuthType) -> Client {
        let endpoint = |path: &str| format!("{}{path}", self.issuer);
        BasicClient::new(ClientId::new(id.into()))
            .set_client_secret(ClientSecret::new(secret.into()))
            .set_auth_type(auth_type)
            .set_auth_uri(AuthUrl::new(endpoint(paths::AUTHORIZE)).unwrap())
            .set_token_uri(TokenUrl::new(endpoint(paths::TOKEN)).unwrap())
            .set_introspection_url(IntrospectionUrl::new(endpoint(paths::INTROSPECT)).unwrap())
            .set_revocation_url(
                RevocationUrl::new(endpoint(paths::REVOKE).replacen("http:", "https:", 1)).unwrap(),
            )
    }

    /// Whether the authority's introspection endpoint calls `token` active,
    /// asked by `client` through oauth2.
    async fn is_active(&self, client: &Client, token: &AccessToken, hint: &str) -> bool {
        let http = |request: HttpRequest| send(self.http.clone(), request);
        client
            .introspect(token)
            .set_token_type_hint(hint)
            .request_async(&http)
            .await
            .unwrap()
            .active()
    }
}

/// Client credentials, introspection, revocation, introspection again: one
/// client, with the authentication method it is registered with.
async fn client_credentials_round_trip(served: &Served, client: &Client, client_id: &str) {
    let http = |request: HttpRequest| send(served.http.clone(), request);
    let tokens = client
        .exchange_client_credentials()
        .add_scope(Scope::new("crm:read".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(
        tokens
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        Some(vec!["crm:read"])
    );
    // RFC 6749 section 4.4.3: no refresh token for client credentials.
    assert!(tokens.refresh_token().is_none());

    let described = client
        .introspect(tokens.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(described.active());
    assert_eq!(described.client_id().map(|c| c.as_str()), Some(client_id));
    assert_eq!(
        described
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        Some(vec!["crm:read"])
    );
    assert_eq!(described.iss(), Some(served.issuer.as_str()));

    client
        .revoke_token(StandardRevocableToken::AccessToken(
            tokens.access_token().clone(),
        ))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert!(
        !served
            .is_active(client, tokens.access_token(), "access_token")
            .await,
        "RFC 7662 section 2.2: a revoked access token is inactive"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_introspection_and_revocation_with_client_secret_basic() {
    let served = serve().await;
    let client = served.client("sales-agent", AGENT_SECRET, AuthType::BasicAuth);
    client_credentials_round_trip(&served, &client, "sales-agent").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_introspection_and_revocation_with_client_secret_post() {
    let served = serve().await;
    let client = served.client("batch-job", BATCH_SECRET, AuthType::RequestBody);
    client_credentials_round_trip(&served, &client, "batch-job").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_authenticating_with_an_unregistered_method_is_refused() {
    // OpenID Connect Core section 9: the registered method is the one allowed.
    let served = serve().await;
    let http = |request: HttpRequest| send(served.http.clone(), request);
    let client = served.client("batch-job", BATCH_SECRET, AuthType::BasicAuth);
    let refused = client
        .exchange_client_credentials()
        .request_async(&http)
        .await;
    match refused {
        Err(RequestTokenError::ServerResponse(e)) => {
            assert_eq!(e.error(), &BasicErrorResponseType::InvalidClient);
        }
        other => panic!("a client_secret_post client using Basic must be refused, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_code_with_pkce_refresh_and_revocation_of_the_refresh_token() {
    let served = serve().await;
    let http = |request: HttpRequest| send(served.http.clone(), request);
    let client = served
        .client("portal", PORTAL_SECRET, AuthType::BasicAuth)
        .set_redirect_uri(RedirectUrl::new(format!("{}/cb", served.issuer)).unwrap());

    // oauth2 builds the authorization request; the user's part (login and
    // the authorization endpoint) is played in process with that request.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let session = served
        .authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let params = Params::parse(authorize_url.query().unwrap()).unwrap();
    let redirect = match served.authority.authorize(&params, Some(&session)).unwrap() {
        AuthorizeOutcome::Redirect(url) => url::Url::parse(url.expose_secret()).unwrap(),
        other => panic!("expected a redirect with a code, got {other:?}"),
    };
    let query = |name: &str| {
        redirect
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(query("state").as_deref(), Some(state.secret().as_str()));
    let code = query("code").expect("an authorization code");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();

    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .request_async(&http)
        .await
        .unwrap();
    let refresh = refreshed.refresh_token().expect("a rotated refresh token");
    assert_ne!(refresh.secret(), first_refresh.secret());

    let refresh_as_token = AccessToken::new(refresh.secret().clone());
    let described = client
        .introspect(&refresh_as_token)
        .set_token_type_hint("refresh_token")
        .request_async(&http)
        .await
        .unwrap();
    assert!(described.active());
    assert_eq!(described.sub(), Some("user-sarah"));
    assert_eq!(described.client_id().map(|c| c.as_str()), Some("portal"));
    assert!(
        served
            .is_active(&client, refreshed.access_token(), "access_token")
            .await
    );

    // RFC 7009 section 2.1: revoking a refresh token revokes its grant, and
    // the access tokens issued with it.
    client
        .revoke_token(StandardRevocableToken::RefreshToken(refresh.clone()))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert!(
        !served
            .is_active(&client, &refresh_as_token, "refresh_token")
            .await
    );
    assert!(
        !served
            .is_active(&client, refreshed.access_token(), "access_token")
            .await
    );
    match client
        .exchange_refresh_token(refresh)
        .request_async(&http)
        .await
    {
        Err(RequestTokenError::ServerResponse(e)) => {
            assert_eq!(e.error(), &BasicErrorResponseType::InvalidGrant);
        }
        other => panic!("a revoked refresh token must not refresh, got {other:?}"),
    }
}
