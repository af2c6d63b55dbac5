//! The MCP client of agent-auth with a DPoP key, over loopback HTTP: it
//! discovers the guard's authorization server, obtains a DPoP-bound token from
//! the reference authority, sends it with the `DPoP` scheme and a proof,
//! answers the guard's `use_dpop_nonce` once with the nonce it was given, and
//! gets through.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::dpop::{DpopKey, NonceSource};
use agent_auth::mcp_client::{McpAuthSession, McpAuthorizer, McpGrant, RequestAttempt, Retry};
use agent_auth::oauth::DpopSigner;
use agent_auth::secret::SecretString;
use mcp_guard::{DpopPolicy, Guard, ScopePolicy, TrustedIssuer};
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig, ClientSpec, grant_types};

const SECRET: &str = "agent-secret-0123456789";
const BODY: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#;

async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, format!("http://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mcp_client_uses_a_dpop_bound_token_through_both_nonces() {
    let (as_listener, issuer) = bind().await;
    let (mcp_listener, base) = bind().await;
    let mcp = format!("{base}/mcp");
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("agent", SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["mcp:crm:read"])
                .resources([mcp.clone()])
                .dpop_bound_access_tokens(),
        )
        .unwrap();
    authority.require_dpop_nonce(300).unwrap();
    let guard = Guard::builder(&mcp)
        .unwrap()
        .trust(TrustedIssuer::with_key(
            &issuer,
            authority.keys().active().verifying_key().clone(),
        ))
        .scopes(ScopePolicy::new().method("tools/list", &["mcp:crm:read"]))
        .dpop(DpopPolicy::new().require_nonce(NonceSource::new(300).unwrap()))
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route("/mcp", axum::routing::post(|| async { "tools" }))
        .layer(guard.layer());
    let _servers = [
        tokio::spawn({
            let authority = authority.clone();
            async move { axum::serve(as_listener, router(authority)).await.unwrap() }
        }),
        tokio::spawn(async move { axum::serve(mcp_listener, app).await.unwrap() }),
    ];

    let authorizer = McpAuthorizer::new(McpGrant::ClientSecret {
        client_id: "agent".into(),
        secret: SecretString::new(SECRET),
    })
    .unwrap()
    .dpop(DpopSigner::new(DpopKey::generate().unwrap()));
    let session = McpAuthSession::new(authorizer, mcp.clone());
    let http = reqwest::Client::new();
    let send = |credentials: Option<(String, Option<agent_auth::secret::Token>)>| {
        let mut r = http
            .post(&mcp)
            .header("content-type", "application/json")
            .body(BODY);
        if let Some((authorization, proof)) = credentials {
            r = r.header("authorization", authorization);
            if let Some(p) = proof {
                r = r.header("dpop", p.expose_secret().to_owned());
            }
        }
        r.send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // No token yet: 401, then an authorization (the authority's nonce is
    // asked for and sent on the retry inside the token client).
    let first = send(None).await.unwrap();
    assert_eq!(first.status(), 401);
    let mut attempt = RequestAttempt::new();
    let retry = session
        .on_rejection(
            &mut attempt,
            401,
            header(&first, "www-authenticate").as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);

    // The token is bound: DPoP scheme and a proof. The guard asks for its nonce.
    let credentials = session.request_credentials("POST", &mcp).await.unwrap();
    assert!(credentials.as_ref().unwrap().0.starts_with("DPoP "));
    let second = send(credentials).await.unwrap();
    assert_eq!(second.status(), 401);
    assert!(session.on_dpop_answer(
        header(&second, "www-authenticate").as_deref(),
        header(&second, "dpop-nonce").as_deref(),
    ));
    let third = send(session.request_credentials("POST", &mcp).await.unwrap())
        .await
        .unwrap();
    assert_eq!(third.status(), 200);
    assert_eq!(third.text().await.unwrap(), "tools");
}
