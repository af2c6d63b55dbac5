//! `McpAuthSession` with the authorization code grant against our reference
//! authority on loopback: the refresh token renews an expired token (on use,
//! and after a 401 `invalid_token`) without a new authorization request,
//! rotated tokens are kept, concurrent renewals present a refresh token once,
//! and a refresh refused as `invalid_grant` leads to a new authorization.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::mcp_client::{
    McpAuthSession, McpAuthorizer, McpGrant, Registration, RequestAttempt, Retry,
};
use agent_auth::secret::SecretString;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::routing::get;
use reference_authority::http::router;
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, Credentials, UserSpec, grant_types,
};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const SECRET: &str = "mcp-agent-secret-0123456789";
const REDIRECT: &str = "http://127.0.0.1/callback";
const NOW: i64 = 1_750_000_000;
/// Access tokens live 600 seconds (the default), refresh tokens this long.
const REFRESH_TTL: i64 = 1500;

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
    /// Authorization requests the authority received.
    authorizations: Arc<AtomicUsize>,
    /// The `resource` of each refresh request it received.
    refresh_resources: Arc<Mutex<Vec<Option<String>>>>,
    mcp: String,
    metadata_url: String,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for s in &self.servers {
            s.abort();
        }
    }
}

impl Fixture {
    fn count(&self, action: AuditAction) -> usize {
        self.audit
            .events()
            .iter()
            .filter(|e| e.action == action && e.outcome == Outcome::Success)
            .count()
    }

    fn authorizations(&self) -> usize {
        self.authorizations.load(Ordering::SeqCst)
    }

    fn session(&self) -> McpAuthSession {
        let authorizer = McpAuthorizer::new(McpGrant::AuthorizationCode {
            redirect_uri: REDIRECT.into(),
            registration: Registration::Preregistered {
                client_id: "mcp-agent".into(),
                secret: Some(SecretString::new(SECRET)),
            },
        })
        .unwrap();
        McpAuthSession::new(authorizer, self.mcp.clone()).clock(Arc::new(self.clock.clone()))
    }

    fn challenge(&self, error: Option<&str>) -> String {
        match error {
            Some(e) => format!(
                r#"Bearer error="{e}", resource_metadata="{}""#,
                self.metadata_url
            ),
            None => format!(r#"Bearer resource_metadata="{}""#, self.metadata_url),
        }
    }

    /// The scope and audience of an access token of the session.
    fn check(&self, session: &McpAuthSession) {
        let token = session.bearer().unwrap();
        let claims = self
            .authority
            .verify_access_token(token.expose_secret())
            .unwrap();
        assert_eq!(claims.aud, [self.mcp.as_str()]);
        assert_eq!(claims.str("scope"), Some("crm:read"));
        assert_eq!(claims.sub.as_deref(), Some("user-sarah"));
    }
}

/// Our authority, where Sarah is signed in (her browser's session cookie is
/// added to every request, so the authorization request is answered with a
/// code at once), and an MCP server's protected resource metadata.
async fn fixture() -> Fixture {
    let (as_listener, issuer) = common::bind().await;
    let (mcp_listener, base) = common::bind().await;
    let mcp = format!("{base}/mcp");
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let mut config = AuthorityConfig::for_tests();
    config.refresh_token_ttl = REFRESH_TTL;
    config.session_idle_ttl = 24 * 3600;
    config.session_absolute_ttl = 24 * 3600;
    let authority = Authority::builder(&issuer)
        .config(config)
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
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
            ClientSpec::confidential("mcp-agent", SECRET)
                .trusted_first_party()
                .redirect_uri(REDIRECT)
                .grant_types([grant_types::AUTHORIZATION_CODE, grant_types::REFRESH_TOKEN])
                .scopes(["crm:read"])
                .resources([mcp.clone()]),
        )
        .unwrap();
    let handle = authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let cookie =
        HeaderValue::from_str(&format!("agent_auth_session={}", handle.expose_secret())).unwrap();
    let authorizations = Arc::new(AtomicUsize::new(0));
    let refresh_resources = Arc::new(Mutex::new(Vec::new()));
    let browser = {
        let authorizations = Arc::clone(&authorizations);
        let refresh_resources = Arc::clone(&refresh_resources);
        move |request: Request, next: Next| {
            let cookie = cookie.clone();
            let authorizations = Arc::clone(&authorizations);
            let refresh_resources = Arc::clone(&refresh_resources);
            async move {
                let (mut parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 64 * 1024).await.unwrap();
                if parts.uri.path() == "/authorize" {
                    authorizations.fetch_add(1, Ordering::SeqCst);
                }
                let form: Vec<(String, String)> =
                    url::form_urlencoded::parse(&body).into_owned().collect();
                let param =
                    |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                if param("grant_type").as_deref() == Some("refresh_token") {
                    refresh_resources.lock().unwrap().push(param("resource"));
                }
                parts.headers.insert(axum::http::header::COOKIE, cookie);
                next.run(Request::from_parts(parts, body.into())).await
            }
        }
    };
    let as_app = router(authority.clone()).layer(middleware::from_fn(browser));
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
    let servers = vec![
        tokio::spawn(async move { axum::serve(as_listener, as_app).await.unwrap() }),
        tokio::spawn(async move { axum::serve(mcp_listener, prm).await.unwrap() }),
    ];
    Fixture {
        authority,
        clock,
        audit,
        authorizations,
        refresh_resources,
        metadata_url: format!("{base}/.well-known/oauth-protected-resource/mcp"),
        mcp,
        servers,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_without_a_new_authorization_request() {
    let f = fixture().await;
    let session = f.session();
    let retry = session
        .on_rejection(&mut RequestAttempt::new(), 401, Some(&f.challenge(None)))
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);
    assert_eq!(f.authorizations(), 1);
    assert!(session.has_refresh_token());
    let first = session.bearer().unwrap();
    // Still valid: no refresh.
    let same = session.valid_bearer().await.unwrap();
    assert_eq!(same.expose_secret(), first.expose_secret());
    assert_eq!(f.count(AuditAction::TokenRefreshed), 0);

    // Expired: refreshed on use, twice (the second time with the rotated
    // refresh token; the first one again would revoke the grant).
    let mut previous = first;
    for refreshed in 1..=2 {
        f.clock.advance(600);
        let next = session.valid_bearer().await.unwrap();
        assert_ne!(next.expose_secret(), previous.expose_secret());
        f.check(&session);
        assert_eq!(f.count(AuditAction::TokenRefreshed), refreshed);
        previous = next;
    }

    // Two requests finding it expired at once: one refresh, one token.
    f.clock.advance(600);
    let (a, b) = tokio::join!(session.valid_bearer(), session.valid_bearer());
    assert_eq!(a.unwrap().expose_secret(), b.unwrap().expose_secret());
    assert_eq!(f.count(AuditAction::TokenRefreshed), 3);

    // A 401 invalid_token (say, the server lost its state): refresh first.
    let mut attempt = RequestAttempt::new();
    let retry = session
        .on_rejection(&mut attempt, 401, Some(&f.challenge(Some("invalid_token"))))
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);
    assert_eq!(f.count(AuditAction::TokenRefreshed), 4);
    f.check(&session);

    assert_eq!(f.authorizations(), 1);
    assert_eq!(f.count(AuditAction::TokenRevoked), 0);
    // RFC 8707 section 2.2: every refresh named the MCP server.
    let resources = f.refresh_resources.lock().unwrap().clone();
    assert_eq!(resources, vec![Some(f.mcp.clone()); 4]);
    assert!(!format!("{session:?}").contains(session.bearer().unwrap().expose_secret()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_rotates_and_keeps_the_resource() {
    let f = fixture().await;
    let authorizer = McpAuthorizer::new(McpGrant::AuthorizationCode {
        redirect_uri: REDIRECT.into(),
        registration: Registration::Preregistered {
            client_id: "mcp-agent".into(),
            secret: Some(SecretString::new(SECRET)),
        },
    })
    .unwrap();
    let token = authorizer.authorize(&f.mcp, None).await.unwrap();
    let rt = token.refresh_token().unwrap().clone();
    assert!(!format!("{token:?}").contains(rt.expose_secret()));
    assert!(!format!("{authorizer:?}").contains(rt.expose_secret()));

    let renewed = authorizer.refresh(&f.mcp, &token).await.unwrap();
    let next = renewed.refresh_token().unwrap();
    assert_ne!(next.expose_secret(), rt.expose_secret());
    assert!(!format!("{renewed:?}").contains(next.expose_secret()));
    let claims = f
        .authority
        .verify_access_token(renewed.access_token.expose_secret())
        .unwrap();
    assert_eq!(claims.aud, [f.mcp.as_str()]);
    assert_eq!(renewed.scope, ["crm:read"]);

    // The first refresh token is spent: presented again, the grant is
    // revoked (RFC 9700 section 4.14.2), refused as invalid_grant, and the
    // error does not quote it.
    let err = authorizer.refresh(&f.mcp, &token).await.unwrap_err();
    assert!(err.is_invalid_grant());
    assert!(!err.to_string().contains(rt.expose_secret()));
    let err = authorizer.refresh(&f.mcp, &renewed).await.unwrap_err();
    assert!(err.is_invalid_grant());
    assert_eq!(f.authorizations(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_refused_as_invalid_grant_leads_to_a_new_authorization() {
    let f = fixture().await;
    let session = f.session();
    session
        .on_rejection(&mut RequestAttempt::new(), 401, Some(&f.challenge(None)))
        .await
        .unwrap();
    assert_eq!(f.authorizations(), 1);

    // Past the refresh token's lifetime: the refresh on use is refused, the
    // request goes without a token, and its 401 authorizes again.
    f.clock.advance(REFRESH_TTL + 1);
    assert!(session.valid_bearer().await.is_none());
    assert!(!session.has_refresh_token());
    assert_eq!(f.authorizations(), 1);
    let mut attempt = RequestAttempt::new();
    let retry = session
        .on_rejection(&mut attempt, 401, Some(&f.challenge(None)))
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);
    assert_eq!(f.authorizations(), 2);
    assert!(session.has_refresh_token());
    f.check(&session);

    // Past it again, the server's 401 invalid_token: the refresh is refused,
    // then one new authorization; the same request refused again gives up.
    f.clock.advance(REFRESH_TTL + 1);
    let mut attempt = RequestAttempt::new();
    let retry = session
        .on_rejection(&mut attempt, 401, Some(&f.challenge(Some("invalid_token"))))
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);
    assert_eq!(f.authorizations(), 3);
    f.check(&session);
    let again = session
        .on_rejection(&mut attempt, 401, Some(&f.challenge(Some("invalid_token"))))
        .await
        .unwrap();
    assert_eq!(again, Retry::No);
    assert_eq!(f.authorizations(), 3);
    assert_eq!(f.count(AuditAction::TokenRefreshed), 0);
}
