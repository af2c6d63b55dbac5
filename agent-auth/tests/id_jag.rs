//! The seed scenario across two trust domains, over the authorities' real HTTP
//! faces on loopback: the corporate IdP turns Sarah's ID token into an ID-JAG
//! for the pricing authorization server (managed connection: `pricing:read`
//! granted, `pricing:write` and `pricing:admin` denied), which the sales agent
//! redeems there with the jwt-bearer grant. Every refusal of the draft's
//! section 4.4.1 is exercised, and no token value reaches the logs.
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
use agent_auth::exchange::{
    ClientAuth, CrossDomainClient, CrossDomainRequest, ExchangeClient, GRANT_JWT_BEARER,
    GRANT_TOKEN_EXCHANGE, ID_JAG_GRANT_PROFILE, TokenExchangeRequest, token_types,
};
use agent_auth::jose::sign_compact;
use agent_auth::jwks::{RemoteJwks, RemoteJwksConfig};
use agent_auth::secret::Token;
use agent_auth::validate::{Claims, IdJag, StaticKeys, Validator};
use reference_authority::http::router;
use reference_authority::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

const NOW: i64 = 1_750_000_000;
const AGENT: &str = "sales-agent-prod-001";
const AGENT_SECRET: &str = "sales-agent-secret-0123456789";
const REMOTE_AGENT: &str = "pricing-sales-agent";
const REMOTE_SECRET: &str = "pricing-agent-secret-0123456789";
const PRICING_API: &str = "https://pricing.acmecorp.internal/api";

struct World {
    clock: ManualClock,
    idp: Authority,
    pricing: Authority,
    idp_audit: MemorySink,
    pricing_audit: MemorySink,
    idp_url: String,
    pricing_url: String,
    other_url: String,
    id_token: Token,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for World {
    fn drop(&mut self) {
        for s in &self.servers {
            s.abort();
        }
    }
}

fn serve(listener: tokio::net::TcpListener, authority: Authority) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        axum::serve(listener, router(authority)).await.unwrap();
    })
}

fn sarah_id_token(idp: &Authority, amr: &[&str]) -> Token {
    let facts = GrantFacts {
        client_id: AGENT.into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["openid".into(), "email".into()],
        auth_time: Some(NOW - 30),
        acr: Some(ACR_PASSWORD.into()),
        amr: amr.iter().map(|s| (*s).to_owned()).collect(),
        ..GrantFacts::default()
    };
    idp.issue(
        &facts,
        IssueOptions {
            id_token: true,
            ..IssueOptions::default()
        },
    )
    .unwrap()
    .id_token
    .unwrap()
}

/// A resource authorization server trusting the IdP through its JWKS URL.
fn resource_as(issuer: &str, idp_url: &str, clock: &ManualClock, audit: &MemorySink) -> Authority {
    let authority = Authority::builder(issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    let jwks = RemoteJwks::with_config(
        &format!("{idp_url}/jwks"),
        RemoteJwksConfig::default(),
        Arc::new(clock.clone()),
    )
    .unwrap();
    authority.register_grant(Arc::new(
        JwtBearerGrant::new().trust(TrustedIssuer::new(idp_url, jwks)),
    ));
    for (id, secret) in [
        (REMOTE_AGENT, REMOTE_SECRET),
        ("pricing-other-client", "pricing-other-secret-0123456789"),
    ] {
        authority
            .register_client(
                ClientSpec::confidential(id, secret)
                    .grant_types([GRANT_JWT_BEARER])
                    .scopes(["pricing:read", "pricing:write", "pricing:admin"])
                    .resources([PRICING_API]),
            )
            .unwrap();
    }
    authority
}

async fn world() -> World {
    let clock = ManualClock::new(NOW);
    let (idp_listener, idp_url) = common::bind().await;
    let (pricing_listener, pricing_url) = common::bind().await;
    let (other_listener, other_url) = common::bind().await;
    let idp_audit = MemorySink::new();
    let pricing_audit = MemorySink::new();

    let idp = Authority::builder(&idp_url)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(idp_audit.clone()))
        .build()
        .unwrap();
    idp.register_user(
        UserSpec::new("sarah")
            .id("user-sarah")
            .password("correct horse battery")
            .email("sarah@acme.example"),
    )
    .unwrap();
    idp.register_client(
        ClientSpec::confidential(AGENT, AGENT_SECRET)
            .grant_types([GRANT_TOKEN_EXCHANGE, GRANT_JWT_BEARER])
            .scopes(["openid", "email", "offline_access"]),
    )
    .unwrap();
    idp.register_grant(Arc::new(
        TokenExchangeGrant::new()
            .connection(
                ManagedConnection::new(&pricing_url)
                    .client(AGENT, REMOTE_AGENT)
                    .scope("pricing:read", ScopePolicy::Granted)
                    .scope("pricing:write", ScopePolicy::Denied)
                    .scope("pricing:admin", ScopePolicy::Denied)
                    .resources([PRICING_API]),
            )
            .connection(
                ManagedConnection::new("https://hr.acmecorp.internal")
                    .client(AGENT, "hr-agent")
                    .scope("hr:read", ScopePolicy::Granted)
                    .require_mfa(true),
            ),
    ));
    let pricing = resource_as(&pricing_url, &idp_url, &clock, &pricing_audit);
    let other = resource_as(&other_url, &idp_url, &clock, &MemorySink::new());
    let id_token = sarah_id_token(&idp, &["pwd"]);
    let servers = vec![
        serve(idp_listener, idp.clone()),
        serve(pricing_listener, pricing.clone()),
        serve(other_listener, other),
    ];
    World {
        clock,
        idp,
        pricing,
        idp_audit,
        pricing_audit,
        idp_url,
        pricing_url,
        other_url,
        id_token,
        servers,
    }
}

impl World {
    fn idp_client(&self) -> ExchangeClient {
        ExchangeClient::new(
            format!("{}/token", self.idp_url),
            ClientAuth::basic(AGENT, AGENT_SECRET),
        )
        .unwrap()
    }
    fn pricing_client(&self) -> ExchangeClient {
        ExchangeClient::new(
            format!("{}/token", self.pricing_url),
            ClientAuth::basic(REMOTE_AGENT, REMOTE_SECRET),
        )
        .unwrap()
    }
    fn cross(&self) -> CrossDomainClient {
        CrossDomainClient::new(self.idp_client(), self.pricing_client())
            .clock(Arc::new(self.clock.clone()))
    }
    fn read(&self) -> CrossDomainRequest {
        CrossDomainRequest::new(&self.pricing_url, ["pricing:read"]).resource(PRICING_API)
    }
    fn jag_claims(&self, jag: &Token) -> Claims {
        Validator::<IdJag>::builder(StaticKeys::single(
            self.idp.keys().active().verifying_key().clone(),
        ))
        .issuer(&self.idp_url)
        .audience(&self.pricing_url)
        .clock(Arc::new(self.clock.clone()))
        .build()
        .validate_cached(jag.expose_secret())
        .unwrap()
        .into_claims()
    }
}

fn refused(err: &agent_auth::exchange::ExchangeError) -> &str {
    err.oauth_code()
        .unwrap_or_else(|| panic!("expected an OAuth refusal, got {err}"))
}

#[tokio::test]
async fn sarahs_id_token_becomes_a_pricing_read_token_and_is_cached() {
    let w = world().await;
    let cross = w.cross();

    // Step one alone: the ID-JAG and its claims.
    let jag = cross.id_jag(&w.id_token, &w.read()).await.unwrap();
    assert_eq!(jag.token_type, "N_A");
    assert_eq!(jag.issued_token_type.as_deref(), Some(token_types::ID_JAG));
    let c = w.jag_claims(&jag.access_token);
    assert_eq!(c.sub.as_deref(), Some("user-sarah"));
    assert_eq!(c.aud, std::slice::from_ref(&w.pricing_url));
    assert_eq!(c.str("client_id"), Some(REMOTE_AGENT));
    assert_eq!(c.str("scope"), Some("pricing:read"));
    assert_eq!(c.str("resource"), Some(PRICING_API));
    assert_eq!(c.str("email"), Some("sarah@acme.example"));
    assert_eq!(c.get("auth_time").unwrap(), NOW - 30);
    assert_eq!(c.get("amr").unwrap(), serde_json::json!(["pwd"]));
    assert!(c.jti.is_some() && c.exp == Some(NOW + 300) && c.iat == Some(NOW));

    // Both steps: an access token at the pricing AS, pricing:read only, no refresh token.
    let response = cross.exchange(&w.id_token, &w.read()).await.unwrap();
    assert!(response.refresh_token.is_none());
    let at = w
        .pricing
        .verify_access_token(response.access_token.expose_secret())
        .unwrap();
    assert_eq!(at.iss.as_deref(), Some(w.pricing_url.as_str()));
    assert_eq!(at.sub.as_deref(), Some("user-sarah"));
    assert_eq!(at.str("client_id"), Some(REMOTE_AGENT));
    assert_eq!(at.str("scope"), Some("pricing:read"));
    assert_eq!(at.aud, [PRICING_API]);

    // Without a scope, the connection's automatically granted scopes.
    let token = cross
        .access_token(
            &w.id_token,
            &CrossDomainRequest::new(&w.pricing_url, Vec::<String>::new()),
        )
        .await
        .unwrap();
    let at = w
        .pricing
        .verify_access_token(token.expose_secret())
        .unwrap();
    assert_eq!(at.str("scope"), Some("pricing:read"));

    // The cache answers until shortly before expiry.
    let issued = |audit: &MemorySink| {
        audit
            .events()
            .iter()
            .filter(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Success)
            .count()
    };
    let first = cross.access_token(&w.id_token, &w.read()).await.unwrap();
    let before = issued(&w.pricing_audit);
    let again = cross.access_token(&w.id_token, &w.read()).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(issued(&w.pricing_audit), before);
    w.clock.advance(580);
    let renewed = cross.access_token(&w.id_token, &w.read()).await.unwrap();
    assert_ne!(first, renewed);
    assert_eq!(issued(&w.pricing_audit), before + 1);

    // The audit trail names the agent and the user on both sides.
    let idp_event = w
        .idp_audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Success)
        .unwrap();
    assert_eq!(idp_event.agent.as_deref(), Some(AGENT));
    assert_eq!(idp_event.user.as_deref(), Some("user-sarah"));
    assert_eq!(
        idp_event.details["requested_token_type"],
        token_types::ID_JAG
    );
    assert_eq!(idp_event.issuer.as_deref(), Some(w.idp_url.as_str()));
    let pricing_event = w
        .pricing_audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Success)
        .unwrap();
    assert_eq!(pricing_event.agent.as_deref(), Some(REMOTE_AGENT));
    assert_eq!(pricing_event.user.as_deref(), Some("user-sarah"));
    assert_eq!(pricing_event.details["idp"], w.idp_url.as_str());
}

#[tokio::test]
async fn the_managed_connection_denies_write_and_admin() {
    let w = world().await;
    let cross = w.cross();
    for scope in [
        vec!["pricing:write"],
        vec!["pricing:admin"],
        vec!["pricing:read", "pricing:write"],
        vec!["pricing:unknown"],
    ] {
        let err = cross
            .access_token(&w.id_token, &CrossDomainRequest::new(&w.pricing_url, scope))
            .await
            .unwrap_err();
        assert_eq!(refused(&err), "invalid_scope");
    }
    let denied = w
        .idp_audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Denied)
        .collect::<Vec<_>>();
    assert_eq!(denied.len(), 4);
    assert!(
        denied
            .iter()
            .all(|e| e.user.as_deref() == Some("user-sarah") && e.agent.as_deref() == Some(AGENT))
    );
    // No audience, an unknown one, or a resource the connection does not serve.
    let idp = w.idp_client();
    let base = || {
        TokenExchangeRequest::new(w.id_token.clone(), token_types::ID_TOKEN)
            .requested_token_type(token_types::ID_JAG)
    };
    let err = idp.exchange(&base()).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_request");
    let err = idp
        .exchange(&base().audience("https://unknown.example"))
        .await
        .unwrap_err();
    assert_eq!(refused(&err), "invalid_target");
    let err = idp
        .exchange(
            &base()
                .audience(&w.pricing_url)
                .resource("https://elsewhere.example/api"),
        )
        .await
        .unwrap_err();
    assert_eq!(refused(&err), "invalid_target");
    // A client the connection does not list.
    w.idp
        .register_client(
            ClientSpec::confidential("intruder", "intruder-secret-0123456789")
                .auth_method(ClientAuthMethod::ClientSecretPost)
                .grant_types([GRANT_TOKEN_EXCHANGE]),
        )
        .unwrap();
    let intruder_token = {
        let facts = GrantFacts {
            client_id: "intruder".into(),
            user_id: Some("user-sarah".into()),
            scope: vec!["openid".into()],
            ..GrantFacts::default()
        };
        let opts = IssueOptions {
            id_token: true,
            ..IssueOptions::default()
        };
        w.idp.issue(&facts, opts).unwrap().id_token.unwrap()
    };
    let intruder = ExchangeClient::new(
        format!("{}/token", w.idp_url),
        ClientAuth::post("intruder", "intruder-secret-0123456789"),
    )
    .unwrap();
    let err = intruder
        .exchange(
            &TokenExchangeRequest::new(intruder_token, token_types::ID_TOKEN)
                .requested_token_type(token_types::ID_JAG)
                .audience(&w.pricing_url),
        )
        .await
        .unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");
    // The ID token of the sales agent presented by another client.
    let err = intruder
        .exchange(&base().audience(&w.pricing_url))
        .await
        .unwrap_err();
    assert_eq!(refused(&err), "invalid_request");
}

#[tokio::test]
async fn mfa_refresh_tokens_and_authorization_details() {
    let w = world().await;
    let idp = w.idp_client();
    let hr = |token: Token| {
        TokenExchangeRequest::new(token, token_types::ID_TOKEN)
            .requested_token_type(token_types::ID_JAG)
            .audience("https://hr.acmecorp.internal")
    };
    let err = idp.exchange(&hr(w.id_token.clone())).await.unwrap_err();
    assert_eq!(refused(&err), "insufficient_user_authentication");
    let strong = sarah_id_token(&w.idp, &["pwd", "otp"]);
    let ok = idp.exchange(&hr(strong)).await.unwrap();
    assert_eq!(ok.scope.as_deref(), Some(&["hr:read".to_owned()][..]));

    // A refresh token of the IdP as the subject.
    let facts = GrantFacts {
        client_id: AGENT.into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["openid".into(), "offline_access".into()],
        ..GrantFacts::default()
    };
    let refresh = w
        .idp
        .issue(
            &facts,
            IssueOptions {
                refresh_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap()
        .refresh_token
        .unwrap();
    let details = serde_json::json!([{"type": "pricing_quote", "actions": ["read"], "customer": "acme-corp"}]);
    let jag = idp
        .exchange(
            &TokenExchangeRequest::new(refresh, token_types::REFRESH_TOKEN)
                .requested_token_type(token_types::ID_JAG)
                .audience(&w.pricing_url)
                .scope(["pricing:read"])
                .authorization_details(details.clone()),
        )
        .await
        .unwrap();
    let c = w.jag_claims(&jag.access_token);
    assert_eq!(c.get("authorization_details").unwrap(), details);
    assert_eq!(c.sub.as_deref(), Some("user-sarah"));
}

#[tokio::test]
async fn the_resource_as_refuses_every_bad_id_jag() {
    let w = world().await;
    let cross = w.cross();
    let pricing = w.pricing_client();
    let jag = cross
        .id_jag(&w.id_token, &w.read())
        .await
        .unwrap()
        .access_token;

    // Another client of the pricing AS: refused, and nothing is consumed.
    let other_client = ExchangeClient::new(
        format!("{}/token", w.pricing_url),
        ClientAuth::basic("pricing-other-client", "pricing-other-secret-0123456789"),
    )
    .unwrap();
    let err = other_client.jwt_bearer(&jag, &[]).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");
    // A scope beyond the ID-JAG.
    let err = pricing
        .jwt_bearer(&jag, &["pricing:write".to_owned()])
        .await
        .unwrap_err();
    assert_eq!(refused(&err), "invalid_scope");
    // Another authorization server that trusts the same IdP.
    let other_as = ExchangeClient::new(
        format!("{}/token", w.other_url),
        ClientAuth::basic(REMOTE_AGENT, REMOTE_SECRET),
    )
    .unwrap();
    let err = other_as.jwt_bearer(&jag, &[]).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");
    // The IdP never honours its own ID-JAG.
    w.idp
        .register_grant(Arc::new(JwtBearerGrant::new().trust(TrustedIssuer::new(
            &w.idp_url,
            StaticKeys::single(w.idp.keys().active().verifying_key().clone()),
        ))));
    let err = w.idp_client().jwt_bearer(&jag, &[]).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");

    // The rightful client redeems it once; a replay is refused.
    pricing.jwt_bearer(&jag, &[]).await.unwrap();
    let err = pricing.jwt_bearer(&jag, &[]).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");

    // Wrong `typ`: the same claims signed by the IdP as a plain JWT.
    let mut claims = w.jag_claims(&jag);
    claims.jti = Some("fresh-jti-1".into());
    let key = w.idp.keys().active();
    for typ in [Some("JWT"), None, Some("at+jwt")] {
        let forged = sign_compact(&key, typ, &claims).unwrap();
        let err = pricing.jwt_bearer(&forged, &[]).await.unwrap_err();
        assert_eq!(refused(&err), "invalid_grant", "typ {typ:?}");
    }
    // Several audiences, one of them right.
    let mut multi = claims.clone();
    multi.aud = vec![w.pricing_url.clone(), w.other_url.clone()];
    let forged = sign_compact(&key, Some("oauth-id-jag+jwt"), &multi).unwrap();
    let err = pricing.jwt_bearer(&forged, &[]).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");
    // An ID-JAG claiming to live far too long.
    let mut long = claims.clone();
    long.exp = Some(NOW + 3600);
    let forged = sign_compact(&key, Some("oauth-id-jag+jwt"), &long).unwrap();
    let err = pricing.jwt_bearer(&forged, &[]).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");
    // The well-formed one with the fresh jti passes: the refusals consumed nothing.
    let good = sign_compact(&key, Some("oauth-id-jag+jwt"), &claims).unwrap();
    pricing.jwt_bearer(&good, &[]).await.unwrap();

    // Expired.
    let late = cross
        .id_jag(&w.id_token, &w.read())
        .await
        .unwrap()
        .access_token;
    w.clock.advance(300 + 31);
    let err = pricing.jwt_bearer(&late, &[]).await.unwrap_err();
    assert_eq!(refused(&err), "invalid_grant");

    let denied = w
        .pricing_audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Denied)
        .count();
    assert!(denied >= 8);
}

#[tokio::test]
async fn discovery_advertises_both_sides() {
    let w = world().await;
    let get = |url: String| async move {
        reqwest::get(url)
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let idp = get(format!(
        "{}/.well-known/oauth-authorization-server",
        w.idp_url
    ))
    .await;
    assert_eq!(
        idp["identity_chaining_requested_token_types_supported"],
        serde_json::json!([token_types::ID_JAG])
    );
    assert!(
        idp["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == GRANT_TOKEN_EXCHANGE)
    );
    let pricing = get(format!(
        "{}/.well-known/openid-configuration",
        w.pricing_url
    ))
    .await;
    assert_eq!(
        pricing["authorization_grant_profiles_supported"],
        serde_json::json!([ID_JAG_GRANT_PROFILE])
    );
    assert!(
        pricing["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == GRANT_JWT_BEARER)
    );
}

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

/// The whole flow on one thread, every log line captured: no token or secret
/// appears in the logs, in the `Debug` of the values, in errors or in audit events.
#[tokio::test(flavor = "current_thread")]
async fn no_token_reaches_logs_debug_errors_or_audit() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let w = world().await;
    let cross = w.cross();
    let jag = cross.id_jag(&w.id_token, &w.read()).await.unwrap();
    let response = w
        .pricing_client()
        .jwt_bearer(&jag.access_token, &[])
        .await
        .unwrap();
    let replay = w
        .pricing_client()
        .jwt_bearer(&jag.access_token, &[])
        .await
        .unwrap_err();
    let denied = cross
        .access_token(
            &w.id_token,
            &CrossDomainRequest::new(&w.pricing_url, ["pricing:admin"]),
        )
        .await
        .unwrap_err();
    let cached = cross.access_token(&w.id_token, &w.read()).await.unwrap();
    tracing::info!(
        ?jag,
        ?response,
        ?replay,
        ?denied,
        ?cached,
        ?cross,
        "flow values"
    );

    let mut text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    text.push_str(&format!(
        "{replay} {denied} {:?} {:?}",
        w.idp_client(),
        w.pricing_client()
    ));
    for sink in [&w.idp_audit, &w.pricing_audit] {
        text.push_str(&serde_json::to_string(&sink.events()).unwrap());
    }
    assert!(text.contains("flow values"), "the capture works");
    let signature = |t: &Token| t.expose_secret().rsplit('.').next().unwrap().to_owned();
    for (name, secret) in [
        ("id token", w.id_token.expose_secret().to_owned()),
        ("id token signature", signature(&w.id_token)),
        ("ID-JAG", jag.access_token.expose_secret().to_owned()),
        ("ID-JAG signature", signature(&jag.access_token)),
        (
            "access token",
            response.access_token.expose_secret().to_owned(),
        ),
        ("access token signature", signature(&response.access_token)),
        ("cached token signature", signature(&cached)),
        ("agent secret", AGENT_SECRET.to_owned()),
        ("remote agent secret", REMOTE_SECRET.to_owned()),
    ] {
        assert!(!text.contains(&secret), "{name} leaked");
    }
}
