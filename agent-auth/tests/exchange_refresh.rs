//! Refresh tokens from RFC 8693 token exchange (section 2.2.1): issued only
//! when the exchange policy allows it for the client and an access token is
//! requested, bound to the exchanged grant (same `act` chain, the narrowed
//! scope and audience), rotating with reuse detection; and the cached
//! `DelegationClient` refreshing over HTTP before it exchanges again.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "support/log_capture.rs"]
mod log_capture;

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::exchange::{
    ClientAuth, DelegationClient, ExchangeClient, GRANT_TOKEN_EXCHANGE, TokenExchangeRequest,
    token_types,
};
use agent_auth::secret::Token;
use agent_auth::validate::{AccessToken, Claims, Validator};
use reference_authority::grants::{AllowNarrowing, RefreshTokensFor};
use reference_authority::http::router;
use reference_authority::*;
use serde_json::json;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const CRM: &str = "https://crm.example/mcp";
const DOCS: &str = "https://docs.example/mcp";
const NOW: i64 = 1_750_000_000;
const AGENT: (&str, &str) = ("sales-agent", "agent-secret-0123456789");
const NO_REFRESH_GRANT: (&str, &str) = ("plain-agent", "plain-secret-0123456789");
const OUTSIDER: (&str, &str) = ("outsider", "outsider-secret-0123456789");

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
}

fn fixture(issuer: &str, policy: impl ExchangePolicy + 'static) -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = Authority::builder(issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    let with_refresh = [
        GRANT_TOKEN_EXCHANGE,
        grant_types::CLIENT_CREDENTIALS,
        grant_types::REFRESH_TOKEN,
    ];
    for ((id, secret), grants) in [
        (AGENT, &with_refresh[..]),
        (OUTSIDER, &with_refresh[..]),
        (NO_REFRESH_GRANT, &with_refresh[..2]),
    ] {
        authority
            .register_client(
                ClientSpec::confidential(id, secret)
                    .grant_types(grants.iter().copied())
                    .scopes(["openid", "crm:read", "crm:write", "docs:read"])
                    .resources([CRM, DOCS]),
            )
            .unwrap();
    }
    authority.register_grant(Arc::new(TokenExchangeGrant::new().policy(policy)));
    Fixture {
        authority,
        clock,
        audit,
    }
}

fn refresh_for_agents() -> RefreshTokensFor<AllowNarrowing> {
    RefreshTokensFor::new(AllowNarrowing, [AGENT.0, NO_REFRESH_GRANT.0])
}

fn facts(scope: &[&str], resource: &[&str]) -> GrantFacts {
    GrantFacts {
        client_id: "portal".into(),
        user_id: Some("user-sarah".into()),
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
        resource: resource.iter().map(|s| (*s).to_owned()).collect(),
        auth_time: Some(NOW - 10),
        ..GrantFacts::default()
    }
}

/// Sarah's access token for CRM and docs, with an earlier actor in `act`.
fn user_token(f: &Fixture) -> String {
    let options = IssueOptions {
        access_claims: json!({"act": {"sub": "portal-helper"}})
            .as_object()
            .cloned()
            .unwrap(),
        ..IssueOptions::default()
    };
    f.authority
        .issue(
            &facts(&["crm:read", "crm:write", "docs:read"], &[CRM, DOCS]),
            options,
        )
        .unwrap()
        .access_token
        .expose_secret()
        .to_owned()
}

async fn agent_token(f: &Fixture) -> String {
    let request = TokenRequest::new(Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("scope", "crm:read"),
    ]))
    .basic(AGENT.0, AGENT.1);
    let response = f.authority.token(&request).await.unwrap();
    response.access_token.expose_secret().to_owned()
}

async fn token(
    f: &Fixture,
    client: (&str, &str),
    pairs: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let mut params = Params::from_pairs([] as [(&str, &str); 0]);
    for (k, v) in pairs {
        params = params.with(*k, *v);
    }
    f.authority
        .token(&TokenRequest::new(params).basic(client.0, client.1))
        .await
}

async fn exchange(f: &Fixture, client: (&str, &str), pairs: &[(&str, &str)]) -> TokenResponse {
    let mut all = vec![("grant_type", GRANT_TOKEN_EXCHANGE)];
    all.extend_from_slice(pairs);
    token(f, client, &all).await.unwrap()
}

async fn refresh(
    f: &Fixture,
    client: (&str, &str),
    refresh_token: &Token,
    extra: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let mut all = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose_secret()),
    ];
    all.extend_from_slice(extra);
    token(f, client, &all).await
}

fn claims(f: &Fixture, access_token: &Token, audience: &str) -> Claims {
    Validator::<AccessToken>::builder_shared(Arc::clone(f.authority.keys()) as _)
        .issuer(f.authority.issuer())
        .audience(audience)
        .clock(Arc::new(f.clock.clone()))
        .build()
        .validate_cached(access_token.expose_secret())
        .unwrap()
        .into_claims()
}

/// The agent's delegated exchange: Sarah's token narrowed to `crm:read` at CRM,
/// with the agent as the current actor.
async fn delegated(f: &Fixture, client: (&str, &str)) -> TokenResponse {
    let subject = user_token(f);
    let actor = agent_token(f).await;
    exchange(
        f,
        client,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("actor_token", &actor),
            ("actor_token_type", token_types::ACCESS_TOKEN),
            ("scope", "crm:read"),
            ("resource", CRM),
        ],
    )
    .await
}

#[tokio::test]
async fn a_refresh_keeps_the_audience_scope_and_act_chain_of_the_exchange() {
    let f = fixture(ISSUER, refresh_for_agents());
    let first = delegated(&f, AGENT).await;
    let rt = first.refresh_token.clone().expect("a refresh token");
    let act = json!({"sub": "sales-agent", "act": {"sub": "portal-helper"}});
    let c = claims(&f, &first.access_token, CRM);
    assert_eq!(c.get("act").unwrap(), act);

    // Well after the subject token expired, the refresh token still works.
    f.clock.advance(3600);
    let second = refresh(&f, AGENT, &rt, &[]).await.unwrap();
    let c = claims(&f, &second.access_token, CRM);
    assert_eq!(c.sub.as_deref(), Some("user-sarah"));
    assert_eq!(c.aud, [CRM]);
    assert_eq!(c.str("scope"), Some("crm:read"));
    assert_eq!(c.get("act").unwrap(), act);
    assert_eq!(second.scope.as_deref(), Some("crm:read"));
    assert!(second.id_token.is_none());
    let rotated = second
        .refresh_token
        .clone()
        .expect("a rotated refresh token");
    assert_ne!(rotated.expose_secret(), rt.expose_secret());

    // Never wider than the exchange: more scope, another audience.
    let err = refresh(&f, AGENT, &rotated, &[("scope", "crm:read crm:write")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    let err = refresh(&f, AGENT, &rotated, &[("resource", DOCS)])
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
    // Another client cannot use it.
    let err = refresh(&f, OUTSIDER, &rotated, &[]).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
    // The refused attempts changed nothing: the token still refreshes.
    let third = refresh(&f, AGENT, &rotated, &[]).await.unwrap();
    assert_eq!(
        claims(&f, &third.access_token, CRM).get("act").unwrap(),
        act
    );

    let exchanged = f
        .audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Success)
        .unwrap();
    assert_eq!(exchanged.details["refresh_token"], true);
}

#[tokio::test]
async fn an_exchange_for_this_authority_alone_never_gains_a_resource_on_refresh() {
    let f = fixture(ISSUER, refresh_for_agents());
    // Sarah's refresh token (no resource) as subject: the new grant is for
    // the authority itself.
    let options = IssueOptions {
        refresh_token: true,
        ..IssueOptions::default()
    };
    let own = GrantFacts {
        client_id: AGENT.0.into(),
        ..facts(&["crm:read"], &[])
    };
    let user_rt = f
        .authority
        .issue(&own, options)
        .unwrap()
        .refresh_token
        .unwrap();
    let exchanged = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", user_rt.expose_secret()),
            ("subject_token_type", token_types::REFRESH_TOKEN),
        ],
    )
    .await;
    let rt = exchanged.refresh_token.unwrap();
    let err = refresh(&f, AGENT, &rt, &[("resource", CRM)])
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
    let ok = refresh(&f, AGENT, &rt, &[]).await.unwrap();
    assert_eq!(claims(&f, &ok.access_token, ISSUER).aud, [ISSUER]);
}

#[tokio::test]
async fn no_refresh_token_unless_the_policy_allows_it_for_an_access_token() {
    // The default policy issues none.
    let f = fixture(ISSUER, AllowNarrowing);
    assert!(delegated(&f, AGENT).await.refresh_token.is_none());

    let f = fixture(ISSUER, refresh_for_agents());
    // A client the policy does not name gets none.
    assert!(delegated(&f, OUTSIDER).await.refresh_token.is_none());
    // Nor does a client not registered for the refresh_token grant.
    assert!(
        delegated(&f, NO_REFRESH_GRANT)
            .await
            .refresh_token
            .is_none()
    );
    // A closure policy issues none.
    let f = fixture(ISSUER, |_: &ExchangeContext<'_>| Ok(()));
    assert!(delegated(&f, AGENT).await.refresh_token.is_none());
}

#[tokio::test]
async fn an_id_jag_never_comes_with_a_refresh_token() {
    let f = fixture(ISSUER, refresh_for_agents());
    f.authority.register_grant(Arc::new(
        TokenExchangeGrant::new()
            .policy(refresh_for_agents())
            .connection(
                ManagedConnection::new("https://pricing.example")
                    .client(AGENT.0, "pricing-agent")
                    .scope("pricing:read", ScopePolicy::Granted),
            ),
    ));
    let facts = GrantFacts {
        client_id: AGENT.0.into(),
        ..facts(&["openid"], &[])
    };
    let id_token = f
        .authority
        .issue(
            &facts,
            IssueOptions {
                id_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap()
        .id_token
        .unwrap();
    let jag = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", id_token.expose_secret()),
            ("subject_token_type", token_types::ID_TOKEN),
            ("requested_token_type", token_types::ID_JAG),
            ("audience", "https://pricing.example"),
        ],
    )
    .await;
    assert_eq!(jag.issued_token_type.as_deref(), Some(token_types::ID_JAG));
    assert!(jag.refresh_token.is_none());
}

#[tokio::test]
async fn a_reused_exchanged_refresh_token_revokes_the_whole_grant() {
    let f = fixture(ISSUER, refresh_for_agents());
    let first = delegated(&f, AGENT).await;
    let rt = first.refresh_token.clone().unwrap();
    let second = refresh(&f, AGENT, &rt, &[]).await.unwrap();
    // RFC 9700 section 4.14.2: the rotated token presented again.
    let err = refresh(&f, AGENT, &rt, &[]).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
    let err = refresh(&f, AGENT, second.refresh_token.as_ref().unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
    for response in [&first, &second] {
        let jti = claims(&f, &response.access_token, CRM).jti.unwrap();
        assert!(f.authority.is_access_token_revoked(&jti));
    }
}

#[tokio::test]
async fn an_exchanged_grant_dies_with_the_refresh_token_it_came_from() {
    let f = fixture(ISSUER, refresh_for_agents());
    let user_facts = GrantFacts {
        client_id: AGENT.0.into(),
        ..facts(&["crm:read"], &[CRM])
    };
    let user_rt = f
        .authority
        .issue(
            &user_facts,
            IssueOptions {
                refresh_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap()
        .refresh_token
        .unwrap();
    let exchanged = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", user_rt.expose_secret()),
            ("subject_token_type", token_types::REFRESH_TOKEN),
        ],
    )
    .await;
    let rt = exchanged.refresh_token.unwrap();
    // The user's grant is revoked (its refresh token reused).
    refresh(&f, AGENT, &user_rt, &[]).await.unwrap();
    refresh(&f, AGENT, &user_rt, &[]).await.unwrap_err();
    let err = refresh(&f, AGENT, &rt, &[]).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
}

/// The binding records of exchanged grants in the store.
fn bindings(f: &Fixture) -> Vec<String> {
    f.authority
        .store()
        .scan(Table::Extension("exchange_bindings"))
        .unwrap()
        .into_iter()
        .map(|(family, _)| family)
        .collect()
}

#[tokio::test]
async fn maintenance_removes_the_binding_of_an_expired_exchanged_grant() {
    let f = fixture(ISSUER, refresh_for_agents());
    let first = delegated(&f, AGENT).await;
    let rt = first.refresh_token.unwrap();
    assert_eq!(bindings(&f).len(), 1);
    // Live (access token expired, refresh token not): kept.
    f.clock.advance(3600);
    f.authority.purge_expired().unwrap();
    assert_eq!(bindings(&f).len(), 1);
    let second = refresh(&f, AGENT, &rt, &[]).await.unwrap();
    let rotated = second.refresh_token.unwrap();
    // Past the rotated refresh token's expiry: binding, family and refresh
    // records are all gone.
    f.clock
        .advance(AuthorityConfig::for_tests().refresh_token_ttl + 1);
    assert!(f.authority.purge_expired().unwrap() >= 3);
    assert!(bindings(&f).is_empty());
    assert!(
        f.authority
            .store()
            .scan(Table::Families)
            .unwrap()
            .is_empty()
    );
    let err = refresh(&f, AGENT, &rotated, &[]).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn maintenance_removes_the_binding_of_a_revoked_exchanged_grant_only() {
    let f = fixture(ISSUER, refresh_for_agents());
    let revoked = delegated(&f, AGENT).await.refresh_token.unwrap();
    let kept = delegated(&f, AGENT).await.refresh_token.unwrap();
    assert_eq!(bindings(&f).len(), 2);
    // RFC 7009: revoking the refresh token revokes its grant.
    f.authority
        .revoke(
            &TokenRequest::new(Params::from_pairs([("token", revoked.expose_secret())]))
                .basic(AGENT.0, AGENT.1),
        )
        .unwrap();
    f.authority.purge_expired().unwrap();
    assert_eq!(bindings(&f).len(), 1);
    // The other grant still refreshes with its `act` chain.
    let ok = refresh(&f, AGENT, &kept, &[]).await.unwrap();
    assert!(claims(&f, &ok.access_token, CRM).get("act").is_some());
    let err = refresh(&f, AGENT, &revoked, &[]).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);

    // Reuse detection revokes the other one: its binding goes too.
    refresh(&f, AGENT, &kept, &[]).await.unwrap_err();
    f.authority.purge_expired().unwrap();
    assert!(bindings(&f).is_empty());
}

#[tokio::test]
async fn maintenance_removes_a_binding_without_family_only_after_a_grace_period() {
    let f = fixture(ISSUER, refresh_for_agents());
    // An exchange that stopped between recording its binding and issuing.
    let table = Table::Extension("exchange_bindings");
    let orphan = json!({"access_claims": {}, "parent_family": null, "created": NOW});
    f.authority
        .store()
        .put(table, "unfinished", orphan.to_string().as_bytes())
        .unwrap();
    f.authority.purge_expired().unwrap();
    assert_eq!(bindings(&f), ["unfinished"]);
    f.clock.advance(300);
    f.authority.purge_expired().unwrap();
    assert!(bindings(&f).is_empty());
}

#[tokio::test]
async fn the_delegation_client_refreshes_before_exchanging_again() {
    let (listener, url) = common::bind().await;
    let f = fixture(&url, refresh_for_agents());
    let server = {
        let authority = f.authority.clone();
        tokio::spawn(async move { axum::serve(listener, router(authority)).await.unwrap() })
    };
    let subject = Token::new(user_token(&f));
    let client = DelegationClient::new(
        ExchangeClient::new(format!("{url}/token"), ClientAuth::basic(AGENT.0, AGENT.1)).unwrap(),
    )
    .clock(Arc::new(f.clock.clone()));
    let request = TokenExchangeRequest::new(subject, token_types::ACCESS_TOKEN)
        .scope(["crm:read"])
        .resource(CRM);

    let first = client.access_token(&request).await.unwrap();
    let again = client.access_token(&request).await.unwrap();
    assert_eq!(first.expose_secret(), again.expose_secret());
    // Past the access token's and the subject token's expiry: a refresh,
    // not an exchange (the subject token could not be exchanged any more).
    f.clock.advance(3600);
    let renewed = client.access_token(&request).await.unwrap();
    assert_ne!(renewed.expose_secret(), first.expose_secret());
    let c = claims(&f, &renewed, CRM);
    assert_eq!(c.str("scope"), Some("crm:read"));
    assert_eq!(c.get("act").unwrap(), json!({"sub": "portal-helper"}));
    // And again, with the rotated refresh token.
    f.clock.advance(3600);
    client.access_token(&request).await.unwrap();

    let events = f.audit.events();
    let count = |action| {
        events
            .iter()
            .filter(|e| e.action == action && e.outcome == Outcome::Success)
            .count()
    };
    assert_eq!(count(AuditAction::TokenExchanged), 1);
    assert_eq!(count(AuditAction::TokenRefreshed), 2);
    assert!(!events.iter().any(|e| e.action == AuditAction::TokenRevoked));
    server.abort();
}

#[tokio::test]
async fn the_refresh_token_never_shows_in_debug_output() {
    let (listener, url) = common::bind().await;
    let f = fixture(&url, refresh_for_agents());
    let server = {
        let authority = f.authority.clone();
        tokio::spawn(async move { axum::serve(listener, router(authority)).await.unwrap() })
    };
    let client =
        ExchangeClient::new(format!("{url}/token"), ClientAuth::basic(AGENT.0, AGENT.1)).unwrap();
    let request = TokenExchangeRequest::new(Token::new(user_token(&f)), token_types::ACCESS_TOKEN)
        .resource(CRM);
    let response = client.exchange(&request).await.unwrap();
    let rt = response.refresh_token.clone().unwrap();
    assert!(!format!("{response:?}").contains(rt.expose_secret()));
    let refreshed = client.refresh(&rt, &[]).await.unwrap();
    let next = refreshed.refresh_token.clone().unwrap();
    assert!(!format!("{refreshed:?}").contains(next.expose_secret()));
    // The old one is now a reused token: refused without echoing it.
    let err = client.refresh(&rt, &[]).await.unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_grant"));
    assert!(!err.to_string().contains(rt.expose_secret()));
    server.abort();
}

#[tokio::test]
async fn spans_of_an_exchange_over_http_carry_no_secret() {
    let capture = log_capture::Capture::default();
    let _guard = capture.install();
    let (listener, url) = common::bind().await;
    let f = fixture(&url, refresh_for_agents());
    let server = {
        let authority = f.authority.clone();
        tokio::spawn(async move { axum::serve(listener, router(authority)).await.unwrap() })
    };
    let subject = user_token(&f);
    let client =
        ExchangeClient::new(format!("{url}/token"), ClientAuth::basic(AGENT.0, AGENT.1)).unwrap();
    let request = TokenExchangeRequest::new(Token::new(subject.clone()), token_types::ACCESS_TOKEN)
        .scope(["crm:read"])
        .resource(CRM);
    let response = client.exchange(&request).await.unwrap();
    let rt = response.refresh_token.clone().unwrap();
    let refreshed = client.refresh(&rt, &[]).await.unwrap();
    claims(&f, &refreshed.access_token, CRM);
    // A refused validation logs its reason, not the token.
    let forged = format!("{}x", refreshed.access_token.expose_secret());
    assert!(
        Validator::<AccessToken>::builder_shared(Arc::clone(f.authority.keys()) as _)
            .issuer(f.authority.issuer())
            .audience(CRM)
            .clock(Arc::new(f.clock.clone()))
            .build()
            .validate_cached(&forged)
            .is_err()
    );
    server.abort();

    let logs = capture.text();
    for span in ["oauth.exchange", "oauth.http", "validate"] {
        assert!(logs.contains(span), "no {span} span in the logs:\n{logs}");
    }
    let secrets = [
        AGENT.1,
        subject.as_str(),
        response.access_token.expose_secret(),
        rt.expose_secret(),
        refreshed.access_token.expose_secret(),
        refreshed.refresh_token.as_ref().unwrap().expose_secret(),
        forged.as_str(),
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    // Not even the token's signature (the part a log line could truncate to).
    let signature = subject.rsplit('.').next().unwrap();
    assert!(
        !logs.contains(signature),
        "a token signature reached the logs"
    );
}
