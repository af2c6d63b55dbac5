//! rmcp's own client authorization (`AuthorizationManager`, `AuthorizationSession`,
//! `AuthClient`) against the seed MCP server guarded by mcp-guard and our
//! reference authority, both served in process on 127.0.0.1: discovery from the
//! guard's 401 challenge (RFC 9728 metadata, then RFC 8414), a pre-registered
//! public client with authorization code + PKCE, the login done as a browser
//! would, then `tools/list` and `tools/call` through the guard. A token issued
//! for another resource is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use examples::seed_mcp::{seed_app, seed_fga, seed_policy};
use mcp_guard::{Guard, HostPolicy, TrustedIssuer};
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec, grant_types};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{
    AuthClient, AuthorizationManager, AuthorizationMetadataSource, AuthorizationRequest,
    AuthorizationSession,
};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

const CLIENT_ID: &str = "sales-agent-cli";
/// Registered, never served: the test reads the authority's redirect to it.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";
const BATCH_SECRET: &str = "batch-secret-0123456789abcdef";
const OTHER_API: &str = "https://reports.acme.example/api";

struct Servers {
    issuer: String,
    mcp: String,
}

/// The authority and the guarded seed server, each on an ephemeral loopback port.
async fn start() -> Servers {
    let as_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", as_listener.local_addr().unwrap());
    let mcp_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mcp = format!("http://{}/mcp", mcp_listener.local_addr().unwrap());

    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_user(UserSpec::new("sarah").id("user-sarah").password(PASSWORD))
        .unwrap();
    authority
        .register_client(
            ClientSpec::public(CLIENT_ID)
                .trusted_first_party()
                .redirect_uri(REDIRECT)
                .grant_types([grant_types::AUTHORIZATION_CODE, grant_types::REFRESH_TOKEN])
                .scopes([
                    "mcp:crm:read",
                    "mcp:docs:read",
                    "mcp:calendar:read",
                    "offline_access",
                ])
                .resources([mcp.clone()]),
        )
        .unwrap();
    // A machine client whose tokens are for another API.
    authority
        .register_client(
            ClientSpec::confidential("batch-agent", BATCH_SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["mcp:crm:read"])
                .resources([OTHER_API]),
        )
        .unwrap();
    tokio::spawn(axum::serve(as_listener, router(authority)).into_future());

    let guard = Guard::builder(&mcp)
        .unwrap()
        .trust(TrustedIssuer::remote_jwks(&issuer, &format!("{issuer}/jwks")).unwrap())
        .scopes(seed_policy(false))
        .hosts(HostPolicy::loopback())
        .resource_name("Acme sales MCP server")
        .resource_access(seed_fga().unwrap())
        .build()
        .unwrap();
    let app = seed_app().layer(guard.layer());
    tokio::spawn(axum::serve(mcp_listener, app).into_future());
    Servers { issuer, mcp }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// An unauthenticated `initialize`: the guard's 401 and its challenge.
async fn challenge_of(mcp: &str, token: Option<&str>) -> (u16, String) {
    let mut request = no_redirects()
        .post(mcp)
        .header("accept", "application/json, text/event-stream")
        .json(&serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "probe", "version": "1"}}
        }));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge)
}

/// Plays Sarah's browser: the authorization URL shows the login page; the
/// form post answers with the redirect back to the client, returned whole.
async fn log_in(issuer: &str, authorization_url: &str) -> String {
    let http = no_redirects();
    let page = http.get(authorization_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "the login page");
    // The cookie that binds the login to this browser.
    let browser = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let interaction = html
        .split("name=\"interaction\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an interaction id in the login form")
        .to_owned();
    let done = http
        .post(format!("{issuer}/login"))
        .header("cookie", browser)
        .form(&[
            ("interaction", interaction.as_str()),
            ("username", "sarah"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(done.status().is_redirection(), "login: {}", done.status());
    let location = done.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    location
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_client_authorizes_and_calls_tools_through_the_guard() {
    let s = start().await;

    // The guard's challenge names its RFC 9728 metadata document.
    let (status, challenge) = challenge_of(&s.mcp, None).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("resource_metadata="), "{challenge}");

    // rmcp discovers the resource metadata, then the authority's metadata.
    let mut manager = AuthorizationManager::new(s.mcp.as_str()).await.unwrap();
    let resolution = manager
        .resolve_metadata_from_challenge(Some(&challenge))
        .await
        .unwrap();
    assert_eq!(
        resolution.source,
        AuthorizationMetadataSource::ProtectedResourceMetadata
    );
    assert_eq!(
        resolution.metadata.issuer.as_deref(),
        Some(s.issuer.as_str())
    );
    assert_eq!(
        resolution.metadata.token_endpoint,
        format!("{}/token", s.issuer)
    );
    manager.set_metadata(resolution.metadata);

    // A pre-registered public client: authorization code with PKCE (S256),
    // the resource indicator naming the MCP endpoint.
    let session = AuthorizationSession::new(
        manager,
        AuthorizationRequest::new(REDIRECT)
            .with_preregistered_client(CLIENT_ID)
            .with_scopes(["mcp:crm:read", "mcp:docs:read"]),
    )
    .await
    .map_err(|(_, e)| e)
    .unwrap();
    let auth_url = url::Url::parse(session.get_authorization_url()).unwrap();
    let query: std::collections::HashMap<String, String> =
        auth_url.query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["resource"], s.mcp);
    assert_eq!(query["client_id"], CLIENT_ID);

    let callback = log_in(&s.issuer, auth_url.as_str()).await;
    // RFC 9207: the authority names itself in the response; rmcp checks it.
    assert!(callback.contains("iss="), "{callback}");
    session.handle_callback_url(&callback).await.unwrap();
    let manager = session.auth_manager;
    let token = manager.get_access_token().await.unwrap();

    // Through the guard with rmcp's authorized transport.
    let transport = StreamableHttpClientTransport::with_client(
        AuthClient::new(reqwest::Client::default(), manager),
        StreamableHttpClientTransportConfig::with_uri(s.mcp.as_str()),
    );
    let client = ().serve(transport).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    // calendar_today needs a scope the token was not granted.
    assert_eq!(names, ["crm_lookup", "docs_search"]);
    let result = client
        .call_tool(CallToolRequestParams::new("crm_lookup"))
        .await
        .unwrap();
    let text = serde_json::to_string(&result.content).unwrap();
    assert!(text.contains("renewal due in Q3"), "{text}");
    assert!(text.contains("asked by user-sarah"), "{text}");
    client.cancel().await.unwrap();

    // The same token, sent by hand, gets past the challenge.
    let (status, _) = challenge_of(&s.mcp, Some(&token)).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_resource_is_refused() {
    let s = start().await;
    // A valid token of the same authority, for another API.
    let response: serde_json::Value = no_redirects()
        .post(format!("{}/token", s.issuer))
        .basic_auth("batch-agent", Some(BATCH_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "mcp:crm:read"),
            ("resource", OTHER_API),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = response["access_token"].as_str().unwrap().to_owned();

    let (status, challenge) = challenge_of(&s.mcp, Some(&token)).await;
    assert_eq!(status, 401);
    let parsed = agent_auth::oauth::parse_www_authenticate(&challenge).unwrap();
    assert_eq!(parsed[0].param("error"), Some("invalid_token"));
    assert!(
        parsed[0]
            .param("error_description")
            .unwrap()
            .contains("aud"),
        "{challenge}"
    );

    // rmcp's transport with that token cannot even initialize.
    let mut config = StreamableHttpClientTransportConfig::with_uri(s.mcp.as_str());
    config.auth_header = Some(token);
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::default(), config);
    assert!(().serve(transport).await.is_err());
}
