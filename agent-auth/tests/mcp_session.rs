//! `McpAuthSession` over loopback HTTP against our reference authority: the
//! retry rule of one connection (authorize once per request on 401, step up
//! once per request on 403 `insufficient_scope`, nothing else), and a failed
//! step-up keeping the token it had.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::mcp_client::{McpAuthSession, McpAuthorizer, McpGrant, RequestAttempt, Retry};
use agent_auth::secret::SecretString;
use axum::Router;
use axum::routing::get;
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig, ClientSpec, grant_types};
use serde_json::json;

const SECRET: &str = "agent-secret-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_authorizes_once_and_steps_up_once_per_request() {
    let (as_listener, issuer) = common::bind().await;
    let (mcp_listener, base) = common::bind().await;
    let mcp = format!("{base}/mcp");
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("agent", SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read", "crm:write"])
                .resources([mcp.clone()]),
        )
        .unwrap();
    let prm = {
        let (resource, issuer) = (mcp.clone(), issuer.clone());
        Router::new().route(
            "/.well-known/oauth-protected-resource/mcp",
            get(move || {
                let body = json!({"resource": resource, "authorization_servers": [issuer], "scopes_supported": ["crm:read"]});
                async move { axum::Json(body) }
            }),
        )
    };
    let servers = [
        tokio::spawn({
            let authority = authority.clone();
            async move { axum::serve(as_listener, router(authority)).await.unwrap() }
        }),
        tokio::spawn(async move { axum::serve(mcp_listener, prm).await.unwrap() }),
    ];
    let authorizer = McpAuthorizer::new(McpGrant::ClientSecret {
        client_id: "agent".into(),
        secret: SecretString::new(SECRET),
    })
    .unwrap();
    let session = McpAuthSession::new(authorizer, mcp.clone());
    assert!(session.bearer().is_none());
    let metadata =
        format!(r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#);

    // First request: 401, a token (scope from scopes_supported), then the
    // same request refused again stays refused.
    let mut attempt = RequestAttempt::new();
    let retry = session
        .on_rejection(&mut attempt, 401, Some(&metadata))
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);
    let read = session.bearer().unwrap();
    let claims = authority.verify_access_token(read.expose_secret()).unwrap();
    assert_eq!(claims.str("scope"), Some("crm:read"));
    assert_eq!(claims.aud, [mcp.as_str()]);
    assert_eq!(session.scope(), ["crm:read"]);
    let again = session
        .on_rejection(&mut attempt, 401, Some(&metadata))
        .await
        .unwrap();
    assert_eq!(again, Retry::No);

    // A 403 that is not insufficient_scope, and other statuses: no retry.
    let mut attempt = RequestAttempt::new();
    for (status, header) in [
        (403, Some(r#"Bearer error="invalid_token""#)),
        (403, None),
        (500, Some(metadata.as_str())),
        (404, None),
    ] {
        let retry = session
            .on_rejection(&mut attempt, status, header)
            .await
            .unwrap();
        assert_eq!(retry, Retry::No, "{status} {header:?}");
    }

    // Step-up with the challenge's scope, once per request.
    let step_up = format!(
        r#"Bearer error="insufficient_scope", scope="crm:write", resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
    );
    let mut attempt = RequestAttempt::new();
    let retry = session
        .on_rejection(&mut attempt, 403, Some(&step_up))
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);
    let write = session.bearer().unwrap();
    let claims = authority
        .verify_access_token(write.expose_secret())
        .unwrap();
    assert_eq!(claims.str("scope"), Some("crm:write"));
    let again = session
        .on_rejection(&mut attempt, 403, Some(&step_up))
        .await
        .unwrap();
    assert_eq!(again, Retry::No);

    // A step-up the authorization server refuses: an error, the token stays.
    let too_much = step_up.replace("crm:write", "crm:admin");
    let mut attempt = RequestAttempt::new();
    let err = session
        .on_rejection(&mut attempt, 403, Some(&too_much))
        .await
        .unwrap_err();
    assert!(!err.to_string().contains(SECRET));
    assert_eq!(
        session.bearer().unwrap().expose_secret(),
        write.expose_secret()
    );
    assert!(!format!("{session:?}").contains(write.expose_secret()));
    for s in servers {
        s.abort();
    }
}
