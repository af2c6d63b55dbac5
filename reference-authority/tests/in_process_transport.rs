//! The authority's router as the OAuth core's HTTP seam (`RouterTransport`):
//! token exchange, the login client's discovery and client credentials, the
//! remote JWKS and MCP client authorization all run their ordinary HTTP code
//! against an in-process authority. The issuer `https://idp.example` does
//! not resolve, so a request that reached the network would fail; other
//! origins are refused by the transport, bodies are capped, and nothing the
//! flows send shows in errors or logs.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink};
use agent_auth::clock::ManualClock;
use agent_auth::exchange::{ClientAuth, ExchangeClient, TokenExchangeRequest, token_types};
use agent_auth::jwks::{RemoteJwks, RemoteJwksConfig};
use agent_auth::login::{self, HttpBackend, LoginClient, LoginConfig};
use agent_auth::mcp_client::{McpAuthorizer, McpDiscovery, McpGrant};
use agent_auth::oauth::{HttpClient, HttpError, HttpRequest, HttpResponse, HttpTransport};
use agent_auth::secret::{SecretString, Token};
use agent_auth::validate::{AccessToken, Claims, Validator};
use reference_authority::http::RouterTransport;
use reference_authority::*;
use serde_json::json;
use std::error::Error as _;
use std::io::Write;
use std::sync::{Arc, Mutex};

const ISSUER: &str = "https://idp.example";
const CRM: &str = "https://crm.example/mcp";
const CRM_METADATA: &str = "https://crm.example/.well-known/oauth-protected-resource/mcp";
const AGENT: (&str, &str) = ("sales-agent", "agent-secret-0123456789");
const NOW: i64 = 1_750_000_000;

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
    transport: RouterTransport,
    http: HttpClient,
}

fn fixture() -> Fixture {
    fixture_at(ISSUER)
}

fn fixture_at(issuer: &str) -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = Authority::builder(issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(AGENT.0, AGENT.1)
                .grant_types([
                    agent_auth::exchange::GRANT_TOKEN_EXCHANGE,
                    grant_types::CLIENT_CREDENTIALS,
                ])
                .scopes(["crm:read", "crm:write"])
                .resources([CRM]),
        )
        .unwrap();
    authority.register_grant(Arc::new(TokenExchangeGrant::new()));
    let transport = RouterTransport::new(authority.clone()).unwrap();
    let http = HttpClient::with_transport(transport.clone());
    Fixture {
        authority,
        clock,
        audit,
        transport,
        http,
    }
}

/// Sarah's access token for CRM, issued directly by the authority.
fn user_token(f: &Fixture) -> Token {
    let facts = GrantFacts {
        client_id: "portal".into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["crm:read".into(), "crm:write".into()],
        resource: vec![CRM.into()],
        auth_time: Some(NOW - 10),
        ..GrantFacts::default()
    };
    f.authority
        .issue(&facts, IssueOptions::default())
        .unwrap()
        .access_token
}

/// The claims of `token` for CRM, checked with keys fetched through the
/// transport by the remote JWKS.
async fn crm_claims(f: &Fixture, token: &Token) -> Claims {
    let jwks = RemoteJwks::with_http(
        &format!("{ISSUER}/jwks"),
        RemoteJwksConfig::default(),
        Arc::new(f.clock.clone()),
        f.http.clone(),
    )
    .unwrap();
    Validator::<AccessToken>::builder(jwks)
        .issuer(ISSUER)
        .audience(CRM)
        .clock(Arc::new(f.clock.clone()))
        .build()
        .validate(token.expose_secret())
        .await
        .unwrap()
        .into_claims()
}

fn get(url: &str) -> HttpRequest {
    HttpRequest::get(url, "application/json").unwrap()
}

fn connect_refused_for(error: &HttpError, expected_host: &str) -> bool {
    matches!(error, HttpError::Connect { host, .. } if host == expected_host)
}

fn exchange_request(subject: Token) -> TokenExchangeRequest {
    TokenExchangeRequest::new(subject, token_types::ACCESS_TOKEN)
        .scope(["crm:read"])
        .resource(CRM)
}

#[tokio::test]
async fn token_exchange_runs_through_the_router() {
    let f = fixture();
    let client = ExchangeClient::with_http(
        f.http.clone(),
        format!("{ISSUER}/token"),
        ClientAuth::basic(AGENT.0, AGENT.1),
    )
    .unwrap();
    let response = client
        .exchange(&exchange_request(user_token(&f)))
        .await
        .unwrap();
    let claims = crm_claims(&f, &response.access_token).await;
    assert_eq!(claims.sub.as_deref(), Some("user-sarah"));
    assert_eq!(claims.str("scope"), Some("crm:read"));
    assert!(
        f.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::TokenExchanged)
    );
}

#[tokio::test]
async fn the_login_client_discovers_and_gets_client_credentials_through_the_router() {
    let f = fixture();
    let backend = HttpBackend::with_http(f.http.clone(), Arc::new(f.clock.clone()));
    let config = LoginConfig::new(ISSUER, AGENT.0, "https://agent.example/cb")
        .auth(login::ClientAuth::SecretBasic(SecretString::new(AGENT.1)));
    let client = LoginClient::discover(Arc::new(backend), config, Arc::new(f.clock.clone()))
        .await
        .unwrap();
    assert_eq!(
        client.metadata().token_endpoint.as_deref(),
        Some("https://idp.example/token")
    );
    let tokens = client
        .client_credentials(&["crm:read"], Some(CRM))
        .await
        .unwrap();
    let claims = crm_claims(&f, &tokens.access_token).await;
    assert_eq!(claims.sub.as_deref(), Some(AGENT.0));
    assert_eq!(claims.str("scope"), Some("crm:read"));
}

#[tokio::test]
async fn the_remote_jwks_fetches_the_authoritys_keys_through_the_router() {
    let f = fixture();
    let jwks = RemoteJwks::with_http(
        &format!("{ISSUER}/jwks"),
        RemoteJwksConfig::default(),
        Arc::new(f.clock.clone()),
        f.http.clone(),
    )
    .unwrap();
    assert!(jwks.fetch_now().await.unwrap() >= 1);
    assert_eq!(jwks.fetch_count(), 1);
}

#[tokio::test]
async fn mcp_discovery_reads_the_authority_metadata_through_the_router() {
    let f = fixture();
    let metadata = McpDiscovery::with_http(f.http.clone())
        .authorization_server(ISSUER)
        .await
        .unwrap();
    assert_eq!(metadata.issuer, ISSUER);
    assert_eq!(
        metadata.token_endpoint.as_deref(),
        Some("https://idp.example/token")
    );
}

#[tokio::test]
async fn the_mcp_authorizer_gets_a_token_for_the_resource_through_the_router() {
    let f = fixture();
    // The MCP server's own metadata (RFC 9728) is not the authority's to
    // serve: a closure answers for it and hands everything else on.
    let router = f.transport.clone();
    let with_resource_metadata = move |request: HttpRequest| {
        let router = router.clone();
        async move {
            if request.url().as_str() == CRM_METADATA {
                Ok(HttpResponse::json(
                    200,
                    &json!({
                        "resource": CRM,
                        "authorization_servers": [ISSUER],
                        "scopes_supported": ["crm:read"],
                    }),
                ))
            } else {
                router.send(request).await
            }
        }
    };
    let authorizer = McpAuthorizer::with_http(
        McpGrant::ClientSecret {
            client_id: AGENT.0.into(),
            secret: SecretString::new(AGENT.1),
        },
        HttpClient::with_transport(with_resource_metadata),
    );
    let token = authorizer.authorize(CRM, None).await.unwrap();
    assert_eq!(token.scope, ["crm:read"]);
    let claims = crm_claims(&f, &token.access_token).await;
    assert_eq!(claims.sub.as_deref(), Some(AGENT.0));
}

#[tokio::test]
async fn a_request_for_another_origin_is_refused_not_served() {
    let f = fixture();
    for (url, host) in [
        ("https://evil.example/jwks", "evil.example"),
        ("https://idp.example:8443/jwks", "idp.example"),
        ("http://127.0.0.1/jwks", "127.0.0.1"),
    ] {
        let error = f.http.send(get(url)).await.unwrap_err();
        assert!(connect_refused_for(&error, host), "{url}: {error:?}");
        assert_eq!(error.to_string(), format!("connecting to {host} failed"));
    }
}

#[tokio::test]
async fn a_token_request_to_another_origin_never_reaches_the_authority() {
    let f = fixture();
    let client = ExchangeClient::with_http(
        f.http.clone(),
        "https://evil.example/token",
        ClientAuth::basic(AGENT.0, AGENT.1),
    )
    .unwrap();
    let subject = user_token(&f);
    let error = client
        .exchange(&exchange_request(subject.clone()))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(text.contains("evil.example"), "{text}");
    assert!(!text.contains(AGENT.1) && !text.contains(subject.expose_secret()));
    assert!(
        !f.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::TokenExchanged)
    );
}

#[tokio::test]
async fn a_response_over_the_requests_body_cap_is_refused() {
    let f = fixture();
    let whole = f
        .transport
        .send(get(&format!("{ISSUER}/jwks")))
        .await
        .unwrap();
    let size = whole.body().len();
    assert!(size > 1);
    let at_cap = f
        .transport
        .send(get(&format!("{ISSUER}/jwks")).limit_body(size))
        .await
        .unwrap();
    assert_eq!(at_cap.body(), whole.body());
    let error = f
        .transport
        .send(get(&format!("{ISSUER}/jwks")).limit_body(size - 1))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        HttpError::BodyTooLarge {
            host: "idp.example".into(),
            limit: size - 1,
        }
    );
}

#[tokio::test]
async fn the_status_and_headers_of_the_router_come_back() {
    let f = fixture();
    let response = f
        .transport
        .send(get(&format!("{ISSUER}/.well-known/openid-configuration")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .header("Content-Type")
            .is_some_and(|v| v.starts_with("application/json"))
    );
    assert_eq!(response.json_body().unwrap()["issuer"], ISSUER);
    // A refusal is the router's status and OAuth error body, not an error.
    let refused = f
        .http
        .send(
            HttpRequest::post_form(
                &format!("{ISSUER}/token"),
                &agent_auth::oauth::Form::new().with("grant_type", "client_credentials"),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.json_body().unwrap()["error"], "invalid_client");
}

#[tokio::test]
async fn an_issuer_with_a_path_is_served_under_that_path_only() {
    let f = fixture_at("https://idp.example/tenant");
    let discovery = f
        .http
        .send_ok(get(
            "https://idp.example/tenant/.well-known/openid-configuration",
        ))
        .await
        .unwrap();
    assert_eq!(
        discovery.json_body().unwrap()["issuer"],
        "https://idp.example/tenant"
    );
    for outside in [
        "https://idp.example/jwks",
        "https://idp.example/tenantx/jwks",
    ] {
        let response = f.http.send(get(outside)).await.unwrap();
        assert_eq!(response.status(), 404, "{outside}");
    }
}

#[tokio::test]
async fn a_header_that_cannot_be_sent_is_named_never_echoed() {
    let f = fixture();
    let request = get(&format!("{ISSUER}/jwks")).header("x-probe", "line\nbreak-s3cr3t");
    let error = f.transport.send(request).await.unwrap_err();
    assert!(
        matches!(&error, HttpError::Request { host, .. } if host == "idp.example"),
        "{error:?}"
    );
    let mut chain = format!("{error} {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(chain.contains("x-probe"), "{chain}");
    assert!(!chain.contains("s3cr3t"), "{chain}");
}

#[test]
fn an_issuer_outside_the_url_rule_is_refused() {
    // Plain http to a remote host breaks the core's URL rule, which every
    // client request obeys: such an authority cannot be reached in process.
    let authority = Authority::builder("http://idp.example")
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    assert!(matches!(
        RouterTransport::new(authority),
        Err(HttpError::Url(_))
    ));
}

#[test]
fn debug_output_names_the_issuer_only() {
    let f = fixture();
    assert_eq!(
        format!("{:?}", f.transport),
        r#"RouterTransport { issuer: "https://idp.example/", .. }"#
    );
}

/// Every log line of a test, for the current thread.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn no_secret_of_a_flow_through_the_router_shows_in_the_logs() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(
            tracing_subscriber::fmt::format::FmtSpan::NEW
                | tracing_subscriber::fmt::format::FmtSpan::CLOSE,
        )
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let f = fixture();
    let subject = user_token(&f);
    let client = ExchangeClient::with_http(
        f.http.clone(),
        format!("{ISSUER}/token"),
        ClientAuth::basic(AGENT.0, AGENT.1),
    )
    .unwrap();
    let exchanged = client
        .exchange(&exchange_request(subject.clone()))
        .await
        .unwrap();
    let refused = ExchangeClient::with_http(
        f.http.clone(),
        format!("{ISSUER}/token"),
        ClientAuth::basic(AGENT.0, "wrong-secret-0123456789"),
    )
    .unwrap()
    .exchange(&exchange_request(subject.clone()))
    .await
    .unwrap_err();
    assert_eq!(refused.oauth_code(), Some("invalid_client"));

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(logs.contains("oauth.http"), "no request span:\n{logs}");
    for secret in [
        AGENT.1,
        "wrong-secret-0123456789",
        subject.expose_secret(),
        exchanged.access_token.expose_secret(),
    ] {
        assert!(!logs.contains(secret), "a secret is in the logs:\n{logs}");
    }
}
