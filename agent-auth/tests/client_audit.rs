//! The clients' own audit events: a sign-in, each token request (code,
//! refresh, token exchange) and each refusal reach the sink in the one event
//! model, and none of them carries a code, a token or a secret.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, AuditEvent, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::exchange::{ExchangeClient, TokenExchangeRequest, token_types};
use agent_auth::login::*;
use agent_auth::oauth::HttpClient;
use agent_auth::secret::{SecretString, Token};
use reference_authority::http::RouterTransport;
use reference_authority::*;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const REDIRECT: &str = "https://portal.example/cb";
const PORTAL_SECRET: &str = "portal-secret-0123456789";
const AGENT_SECRET: &str = "agent-secret-0123456789";
const PASSWORD: &str = "correct horse battery";
const CRM: &str = "https://crm.example/mcp";

fn authority(clock: &ManualClock) -> Authority {
    let a = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    a.register_user(UserSpec::new("sarah").id("user-sarah").password(PASSWORD))
        .unwrap();
    a.register_client(
        ClientSpec::confidential("portal", PORTAL_SECRET)
            .trusted_first_party()
            .redirect_uri(REDIRECT)
            .grant_types(["authorization_code", "refresh_token"])
            .scopes(["openid", "profile", "email"]),
    )
    .unwrap();
    a.register_client(
        ClientSpec::confidential("sales-agent", AGENT_SECRET)
            .grant_types([agent_auth::exchange::GRANT_TOKEN_EXCHANGE])
            .scopes(["crm:read"])
            .resources([CRM]),
    )
    .unwrap();
    a.register_grant(Arc::new(TokenExchangeGrant::new()));
    a
}

async fn login_client(a: &Authority, clock: &ManualClock, sink: &MemorySink) -> LoginClient {
    let config = LoginConfig::new(ISSUER, "portal", REDIRECT)
        .auth(ClientAuth::SecretBasic(SecretString::new(PORTAL_SECRET)));
    LoginClient::discover(
        Arc::new(InMemoryBackend::new(a.clone())),
        config,
        Arc::new(clock.clone()),
    )
    .await
    .unwrap()
    .audit(Arc::new(sink.clone()))
}

/// Plays the browser: the authorization endpoint with Sarah's session, and
/// the query of the redirect back.
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

/// A login client with an audit sink, and Sarah's authorization response
/// to one of its requests, not yet redeemed.
struct Flow {
    sink: MemorySink,
    rp: LoginClient,
    req: AuthorizationRequest,
    query: String,
}

async fn authorized() -> Flow {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let sink = MemorySink::new();
    let rp = login_client(&a, &clock, &sink).await;
    let session = a
        .sign_in(&Credentials::password("sarah", PASSWORD))
        .unwrap();
    let req = rp.authorization_request(&AuthOptions::default()).unwrap();
    let query = browse(&a, &req.url, &session);
    Flow {
        sink,
        rp,
        req,
        query,
    }
}

fn of(events: &[AuditEvent], action: AuditAction) -> Vec<&AuditEvent> {
    events.iter().filter(|e| e.action == action).collect()
}

fn assert_no_secret(events: &[AuditEvent], secrets: &[&str]) {
    let json = serde_json::to_string(events).unwrap();
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!json.contains(secret), "a secret reached the audit trail");
    }
}

#[tokio::test]
async fn sign_in_code_redemption_and_refresh_are_audited_without_secrets() {
    let Flow {
        sink,
        rp,
        req,
        query,
    } = authorized().await;
    let login = rp.callback(&req.pending, &query).await.unwrap();
    let refreshed = rp.refresh(&login).await.unwrap();

    let events = sink.events();
    let sign_ins = of(&events, AuditAction::Authentication);
    assert_eq!(sign_ins.len(), 1);
    assert_eq!(sign_ins[0].outcome, Outcome::Success);
    assert_eq!(sign_ins[0].user.as_deref(), Some("user-sarah"));
    assert_eq!(sign_ins[0].agent.as_deref(), Some("portal"));
    assert_eq!(sign_ins[0].issuer.as_deref(), Some(ISSUER));
    assert!(sign_ins[0].details.contains_key("amr"), "{:?}", sign_ins[0]);

    let issued = of(&events, AuditAction::TokenIssued);
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].outcome, Outcome::Success);
    assert_eq!(issued[0].details["grant_type"], "authorization_code");
    assert_eq!(issued[0].details["token_type"], "Bearer");
    let refreshes = of(&events, AuditAction::TokenRefreshed);
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].outcome, Outcome::Success);

    let code = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let mut secrets = vec![
        PORTAL_SECRET.to_owned(),
        PASSWORD.to_owned(),
        code,
        login.tokens.access_token.expose_secret().to_owned(),
        login.id_token.expose_secret().to_owned(),
        refreshed.tokens.access_token.expose_secret().to_owned(),
    ];
    for set in [&login.tokens, &refreshed.tokens] {
        if let Some(r) = &set.refresh_token {
            secrets.push(r.expose_secret().to_owned());
        }
    }
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&events, &secrets);
}

#[tokio::test]
async fn a_refused_callback_is_audited_with_the_failed_check() {
    let Flow {
        sink,
        rp,
        req,
        query,
    } = authorized().await;
    let other = rp.authorization_request(&AuthOptions::default()).unwrap();

    // The callback of one request checked against another's `state`.
    assert!(rp.callback(&other.pending, &query).await.is_err());
    // A replayed code: the provider refuses it with `invalid_grant`.
    rp.callback(&req.pending, &query).await.unwrap();
    assert!(rp.callback(&req.pending, &query).await.is_err());

    let events = sink.events();
    let sign_ins = of(&events, AuditAction::Authentication);
    assert_eq!(sign_ins.len(), 3);
    assert_eq!(sign_ins[0].outcome, Outcome::Denied);
    assert_eq!(
        sign_ins[0].details["failed_check"],
        "authorization_response"
    );
    assert!(sign_ins[0].user.is_none());
    assert_eq!(sign_ins[1].outcome, Outcome::Success);
    assert_eq!(sign_ins[2].outcome, Outcome::Denied);
    assert_eq!(sign_ins[2].details["failed_check"], "provider_error");
    let redemptions = of(&events, AuditAction::TokenIssued);
    assert_eq!(
        redemptions.len(),
        2,
        "the state check stops before the code is sent"
    );
    assert_eq!(redemptions[1].outcome, Outcome::Denied);
    assert_eq!(redemptions[1].reason.as_deref(), Some("invalid_grant"));
}

#[tokio::test]
async fn token_exchanges_are_audited_with_target_scope_and_refusal_code() {
    let clock = ManualClock::new(1_750_000_000);
    let a = authority(&clock);
    let sink = MemorySink::new();
    let http = HttpClient::with_transport(RouterTransport::new(a.clone()).unwrap());
    let exchange = ExchangeClient::with_http(
        http,
        format!("{ISSUER}/token"),
        agent_auth::exchange::ClientAuth::basic("sales-agent", AGENT_SECRET),
    )
    .unwrap()
    .audit(Arc::new(sink.clone()));
    let facts = GrantFacts {
        client_id: "portal".into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["crm:read".into()],
        resource: vec![CRM.into()],
        ..GrantFacts::default()
    };
    let subject: Token = a
        .issue(&facts, IssueOptions::default())
        .unwrap()
        .access_token;

    let granted = exchange
        .exchange(
            &TokenExchangeRequest::new(subject.clone(), token_types::ACCESS_TOKEN)
                .resource(CRM)
                .scope(["crm:read"]),
        )
        .await
        .unwrap();
    let refused = exchange
        .exchange(
            &TokenExchangeRequest::new(subject.clone(), token_types::ACCESS_TOKEN)
                .resource("https://payroll.example")
                .scope(["crm:read"]),
        )
        .await;
    assert!(refused.is_err());

    let events = sink.events();
    let exchanges = of(&events, AuditAction::TokenExchanged);
    assert_eq!(exchanges.len(), 2);
    assert_eq!(exchanges[0].outcome, Outcome::Success);
    assert_eq!(exchanges[0].agent.as_deref(), Some("sales-agent"));
    assert_eq!(exchanges[0].target.as_deref(), Some(CRM));
    assert_eq!(exchanges[0].details["granted_scope"], "crm:read");
    assert_eq!(exchanges[1].outcome, Outcome::Denied);
    assert_eq!(
        exchanges[1].target.as_deref(),
        Some("https://payroll.example")
    );
    assert!(exchanges[1].reason.is_some());
    assert_no_secret(
        &events,
        &[
            AGENT_SECRET,
            subject.expose_secret(),
            granted.access_token.expose_secret(),
        ],
    );
}
