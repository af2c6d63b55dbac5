//! RFC 8693 token exchange at the reference authority, in process: the nested
//! `act` claim, `may_act`, narrowing of scope and audience, the policy hook,
//! each subject token type, and the error codes of section 2.2.2.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::exchange::{GRANT_TOKEN_EXCHANGE, token_types};
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::{AccessToken, Claims, StaticKeys, Validator};
use reference_authority::*;
use serde_json::json;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const CRM: &str = "https://crm.example/mcp";
const DOCS: &str = "https://docs.example/mcp";
const AGENT_SECRET: &str = "agent-secret-0123456789";
const HELPER_SECRET: &str = "helper-secret-0123456789";
const NOW: i64 = 1_750_000_000;

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
}

fn fixture() -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery")
                .email("sarah@acme.example"),
        )
        .unwrap();
    for (id, secret) in [("sales-agent", AGENT_SECRET), ("helper", HELPER_SECRET)] {
        authority
            .register_client(
                ClientSpec::confidential(id, secret)
                    .grant_types([GRANT_TOKEN_EXCHANGE, grant_types::CLIENT_CREDENTIALS])
                    .scopes(["crm:read", "crm:write", "docs:read"])
                    .resources([CRM, DOCS]),
            )
            .unwrap();
    }
    Fixture {
        authority,
        clock,
        audit,
    }
}

/// Sarah's access token, as the portal got it, for `resource` with `scope`.
fn user_token(f: &Fixture, scope: &[&str], resource: &[&str], extra: serde_json::Value) -> String {
    let facts = GrantFacts {
        client_id: "portal".into(),
        user_id: Some("user-sarah".into()),
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
        resource: resource.iter().map(|s| (*s).to_owned()).collect(),
        auth_time: Some(NOW - 10),
        acr: Some(ACR_PASSWORD.into()),
        amr: vec!["pwd".into()],
        sid: None,
    };
    let access_claims = extra.as_object().cloned().unwrap_or_default();
    f.authority
        .issue(
            &facts,
            IssueOptions {
                access_claims,
                ..IssueOptions::default()
            },
        )
        .unwrap()
        .access_token
        .expose_secret()
        .to_owned()
}

/// An agent's own access token (client_credentials).
async fn agent_token(f: &Fixture, id: &str, secret: &str) -> String {
    let request = TokenRequest::new(Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("scope", "crm:read"),
    ]))
    .basic(id, secret);
    let response = f.authority.token(&request).await.unwrap();
    response.access_token.expose_secret().to_owned()
}

async fn exchange(
    f: &Fixture,
    client: (&str, &str),
    pairs: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let mut params = Params::from_pairs([("grant_type", GRANT_TOKEN_EXCHANGE)]);
    for (k, v) in pairs {
        params = params.with(*k, *v);
    }
    f.authority
        .token(&TokenRequest::new(params).basic(client.0, client.1))
        .await
}

fn claims_of(f: &Fixture, token: &TokenResponse, audience: &str) -> Claims {
    Validator::<AccessToken>::builder_shared(Arc::clone(f.authority.keys()) as _)
        .issuer(ISSUER)
        .audience(audience)
        .clock(Arc::new(f.clock.clone()))
        .build()
        .validate_cached(token.access_token.expose_secret())
        .unwrap()
        .into_claims()
}

const AGENT: (&str, &str) = ("sales-agent", AGENT_SECRET);
const HELPER: (&str, &str) = ("helper", HELPER_SECRET);

#[tokio::test]
async fn delegation_nests_the_current_actor_outermost() {
    let f = fixture();
    let subject = user_token(&f, &["crm:read", "crm:write"], &[CRM], json!({}));
    let agent = agent_token(&f, AGENT.0, AGENT.1).await;
    let first = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("actor_token", &agent),
            ("actor_token_type", token_types::ACCESS_TOKEN),
            ("scope", "crm:read"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        first.issued_token_type.as_deref(),
        Some(token_types::ACCESS_TOKEN)
    );
    assert_eq!(first.token_type, "Bearer");
    assert!(first.refresh_token.is_none());
    let c = claims_of(&f, &first, CRM);
    assert_eq!(c.sub.as_deref(), Some("user-sarah"));
    assert_eq!(c.str("client_id"), Some("sales-agent"));
    assert_eq!(c.str("scope"), Some("crm:read"));
    assert_eq!(c.aud, [CRM]);
    assert_eq!(c.get("act").unwrap(), json!({"sub": "sales-agent"}));

    // The helper acts next, on the token the sales agent received.
    let helper = agent_token(&f, HELPER.0, HELPER.1).await;
    let second = exchange(
        &f,
        HELPER,
        &[
            ("subject_token", first.access_token.expose_secret()),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("actor_token", &helper),
            ("actor_token_type", token_types::ACCESS_TOKEN),
        ],
    )
    .await
    .unwrap();
    let c = claims_of(&f, &second, CRM);
    assert_eq!(c.sub.as_deref(), Some("user-sarah"));
    assert_eq!(c.str("scope"), Some("crm:read"));
    assert_eq!(
        c.get("act").unwrap(),
        json!({"sub": "helper", "act": {"sub": "sales-agent"}})
    );

    let exchanged: Vec<_> = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Success)
        .collect();
    assert_eq!(exchanged.len(), 2);
    assert_eq!(exchanged[0].agent.as_deref(), Some("sales-agent"));
    assert_eq!(exchanged[0].user.as_deref(), Some("user-sarah"));
    assert_eq!(exchanged[1].details["actor"], "helper");
}

#[tokio::test]
async fn may_act_names_who_may_become_the_actor() {
    let f = fixture();
    let subject = user_token(
        &f,
        &["crm:read"],
        &[CRM],
        json!({"may_act": {"sub": "sales-agent"}}),
    );
    let helper = agent_token(&f, HELPER.0, HELPER.1).await;
    let err = exchange(
        &f,
        HELPER,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("actor_token", &helper),
            ("actor_token_type", token_types::ACCESS_TOKEN),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);
    // Without an actor token the client itself would act: also refused.
    let err = exchange(
        &f,
        HELPER,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);

    let agent = agent_token(&f, AGENT.0, AGENT.1).await;
    let ok = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("actor_token", &agent),
            ("actor_token_type", token_types::ACCESS_TOKEN),
        ],
    )
    .await
    .unwrap();
    let c = claims_of(&f, &ok, CRM);
    assert_eq!(c.get("act").unwrap(), json!({"sub": "sales-agent"}));
    assert!(c.get("may_act").is_none());

    // A may_act that names an issuer binds the actor's issuer too.
    let subject = user_token(
        &f,
        &["crm:read"],
        &[CRM],
        json!({"may_act": {"sub": "sales-agent", "iss": "https://other.example"}}),
    );
    let err = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("actor_token", &agent),
            ("actor_token_type", token_types::ACCESS_TOKEN),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn scope_and_audience_only_narrow() {
    let f = fixture();
    let subject = user_token(&f, &["crm:read"], &[CRM], json!({}));
    let base = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", token_types::ACCESS_TOKEN),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    // A scope the subject token does not grant.
    let err = exchange(&f, AGENT, &with(&[("scope", "crm:read crm:write")]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    // An audience the subject token was not issued for.
    let err = exchange(&f, AGENT, &with(&[("audience", DOCS)]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
    // A resource the client may never reach.
    let err = exchange(&f, AGENT, &with(&[("resource", "https://hr.example/api")]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
    // A malformed resource.
    let err = exchange(&f, AGENT, &with(&[("resource", "not a uri")]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
    // Narrower or equal: fine, and the default keeps the subject's grant.
    let ok = exchange(&f, AGENT, &with(&[("resource", CRM)]))
        .await
        .unwrap();
    let c = claims_of(&f, &ok, CRM);
    assert_eq!(
        (c.aud.as_slice(), c.str("scope")),
        ([CRM.to_owned()].as_slice(), Some("crm:read"))
    );
    assert!(c.get("act").is_none());
}

#[tokio::test]
async fn a_resource_server_exchanges_its_token_for_its_upstream() {
    let f = fixture();
    // The sales agent's client is also the server of the CRM MCP endpoint.
    f.authority.register_grant(Arc::new(
        TokenExchangeGrant::new().resource_server("sales-agent", CRM),
    ));
    let subject = user_token(&f, &["crm:read", "docs:read"], &[CRM], json!({}));
    let pairs = |resource: &'static str, scope: &'static str| {
        [
            ("subject_token", subject.as_str()),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("resource", resource),
            ("scope", scope),
        ]
    };
    // The server of the subject token's audience reaches its upstream ...
    let ok = exchange(&f, AGENT, &pairs(DOCS, "docs:read"))
        .await
        .unwrap();
    let c = claims_of(&f, &ok, DOCS);
    assert_eq!(c.aud, [DOCS]);
    assert_eq!(c.sub.as_deref(), Some("user-sarah"));
    assert_eq!(c.str("scope"), Some("docs:read"));
    // ... but only targets it is registered for, and scope still narrows.
    let err = exchange(&f, AGENT, &pairs("https://hr.example/api", "docs:read"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
    let err = exchange(&f, AGENT, &pairs(DOCS, "crm:write"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    // Another client registered for both keeps to the token's audiences.
    let err = exchange(&f, HELPER, &pairs(DOCS, "docs:read"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
}

#[tokio::test]
async fn request_errors_follow_section_2_2_2_and_change_nothing() {
    let f = fixture();
    let subject = user_token(&f, &["crm:read"], &[CRM], json!({}));
    let cases: Vec<(Vec<(&str, &str)>, ErrorCode)> = vec![
        (vec![("subject_token", &subject)], ErrorCode::InvalidRequest),
        (
            vec![("subject_token_type", token_types::ACCESS_TOKEN)],
            ErrorCode::InvalidRequest,
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", token_types::ACCESS_TOKEN),
                ("actor_token_type", token_types::ACCESS_TOKEN),
            ],
            ErrorCode::InvalidRequest,
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", token_types::ACCESS_TOKEN),
                ("actor_token", &subject),
            ],
            ErrorCode::InvalidRequest,
        ),
        (
            vec![
                ("subject_token", "not-a-token"),
                ("subject_token_type", token_types::ACCESS_TOKEN),
            ],
            ErrorCode::InvalidRequest,
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", "urn:example:unknown"),
            ],
            ErrorCode::InvalidRequest,
        ),
        // An access token presented as an ID token fails the ID token profile.
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", token_types::ID_TOKEN),
            ],
            ErrorCode::InvalidRequest,
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", token_types::ACCESS_TOKEN),
                ("requested_token_type", "urn:example:unknown"),
            ],
            ErrorCode::InvalidRequest,
        ),
    ];
    let before = f.audit.events().len();
    for (pairs, code) in cases {
        let err = exchange(&f, AGENT, &pairs).await.unwrap_err();
        assert_eq!(err.code(), &code, "{pairs:?}");
    }
    let events = f.audit.events();
    assert!(
        events[before..]
            .iter()
            .all(|e| e.outcome == Outcome::Denied),
        "a refused exchange issues nothing"
    );

    // An expired subject token.
    f.clock.advance(3600);
    let err = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);
    assert!(err.description().contains("expired"));

    // A client not registered for the grant.
    f.authority
        .register_client(
            ClientSpec::confidential("portal", "portal-secret-0123456789")
                .grant_types([grant_types::CLIENT_CREDENTIALS]),
        )
        .unwrap();
    let err = exchange(
        &f,
        ("portal", "portal-secret-0123456789"),
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::UnauthorizedClient);
}

#[tokio::test]
async fn the_policy_hook_decides_who_may_exchange_for_which_audience() {
    let f = fixture();
    f.authority
        .register_grant(Arc::new(TokenExchangeGrant::new().policy(
            |ctx: &ExchangeContext<'_>| {
                if ctx.client_id == "helper" && ctx.targets.iter().any(|t| t == CRM) {
                    return Err(OAuthError::invalid_target("helper may not reach the CRM"));
                }
                Ok(())
            },
        )));
    let subject = user_token(&f, &["crm:read"], &[CRM], json!({}));
    let pairs = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", token_types::ACCESS_TOKEN),
    ];
    let err = exchange(&f, HELPER, &pairs).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidTarget);
    let denied = f
        .audit
        .events()
        .into_iter()
        .rev()
        .find(|e| e.action == AuditAction::TokenExchanged)
        .unwrap();
    assert_eq!(
        (
            denied.outcome,
            denied.agent.as_deref(),
            denied.user.as_deref()
        ),
        (Outcome::Denied, Some("helper"), Some("user-sarah"))
    );
    assert!(exchange(&f, AGENT, &pairs).await.is_ok());
}

#[tokio::test]
async fn id_token_refresh_token_and_jwt_subjects() {
    let f = fixture();
    // ID token and refresh token of the sales agent (it logged Sarah in).
    let facts = GrantFacts {
        client_id: "sales-agent".into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["openid".into(), "crm:read".into()],
        resource: vec![],
        auth_time: Some(NOW - 5),
        ..GrantFacts::default()
    };
    let tokens = f
        .authority
        .issue(
            &facts,
            IssueOptions {
                id_token: true,
                refresh_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap();
    let id_token = tokens.id_token.unwrap();
    let refresh = tokens.refresh_token.unwrap();

    // The ID token stands for its grant (openid crm:read, this authority
    // only): it is not exchanged for docs:read at the docs server.
    let to_docs = [
        ("subject_token", id_token.expose_secret()),
        ("subject_token_type", token_types::ID_TOKEN),
        ("audience", DOCS),
        ("scope", "docs:read"),
    ];
    let err = exchange(&f, AGENT, &to_docs).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    // Unless a policy grants it explicitly.
    f.authority.register_grant(Arc::new(
        TokenExchangeGrant::new().policy(
            ExplicitGrants::new(grants::AllowNarrowing)
                .grant("sales-agent", ExplicitGrant::new(["docs:read"], [DOCS])),
        ),
    ));
    let ok = exchange(&f, AGENT, &to_docs).await.unwrap();
    let c = claims_of(&f, &ok, DOCS);
    assert_eq!(c.sub.as_deref(), Some("user-sarah"));
    assert_eq!(c.str("scope"), Some("docs:read"));
    assert_eq!(c.get("auth_time").unwrap(), NOW - 5);
    f.authority
        .register_grant(Arc::new(TokenExchangeGrant::new()));

    // The ID token names the sales agent: another client cannot use it.
    let err = exchange(
        &f,
        HELPER,
        &[
            ("subject_token", id_token.expose_secret()),
            ("subject_token_type", token_types::ID_TOKEN),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);

    // A refresh token bounds the scope to its grant, and is not consumed.
    let err = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", refresh.expose_secret()),
            ("subject_token_type", token_types::REFRESH_TOKEN),
            ("scope", "docs:read"),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    for _ in 0..2 {
        let ok = exchange(
            &f,
            AGENT,
            &[
                ("subject_token", refresh.expose_secret()),
                ("subject_token_type", token_types::REFRESH_TOKEN),
            ],
        )
        .await
        .unwrap();
        assert_eq!(claims_of(&f, &ok, ISSUER).str("scope"), Some("crm:read"));
    }
    let err = exchange(
        &f,
        HELPER,
        &[
            ("subject_token", refresh.expose_secret()),
            ("subject_token_type", token_types::REFRESH_TOKEN),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);

    // A plain JWT of a trusted issuer, meant for this authority.
    let partner = SigningKey::generate(Algorithm::Es256).unwrap();
    f.authority
        .register_grant(Arc::new(TokenExchangeGrant::new().trust(
            TrustedIssuer::new(
                "https://partner.example",
                StaticKeys::single(partner.verifying_key().clone()),
            ),
        )));
    let mut jwt = Claims::new().with("scope", "crm:read");
    jwt.iss = Some("https://partner.example".into());
    jwt.sub = Some("partner-user-7".into());
    jwt.aud = vec![ISSUER.into()];
    jwt.iat = Some(NOW);
    jwt.exp = Some(NOW + 60);
    let signed = sign_compact(&partner, Some("JWT"), &jwt).unwrap();
    let ok = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", signed.expose_secret()),
            ("subject_token_type", token_types::JWT),
        ],
    )
    .await
    .unwrap();
    let c = claims_of(&f, &ok, ISSUER);
    assert_eq!(c.sub.as_deref(), Some("partner-user-7"));
    assert_eq!(c.str("scope"), Some("crm:read"));
    // Signed by an unknown key: refused.
    let stranger = SigningKey::generate(Algorithm::Es256).unwrap();
    let forged = sign_compact(&stranger, Some("JWT"), &jwt).unwrap();
    let err = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", forged.expose_secret()),
            ("subject_token_type", token_types::JWT),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);
}

#[test]
fn metadata_lists_the_grant() {
    let f = fixture();
    let doc = f.authority.metadata();
    let grants = doc["grant_types_supported"].as_array().unwrap();
    assert!(grants.iter().any(|g| g == GRANT_TOKEN_EXCHANGE));
    assert!(
        doc.get("identity_chaining_requested_token_types_supported")
            .is_none()
    );
}

#[tokio::test]
async fn scopes_needing_approval_are_granted_only_when_approved() {
    let f = fixture();
    let pricing = "https://pricing.example";
    f.authority.register_grant(Arc::new(
        TokenExchangeGrant::new().connection(
            ManagedConnection::new(pricing)
                .client("sales-agent", "pricing-agent")
                .scope("pricing:read", ScopePolicy::Granted)
                .scope("pricing:quote", ScopePolicy::NeedsApproval)
                .approver(|q: &grants::ApprovalQuery<'_>| {
                    q.user == "user-sarah"
                        && q.client_id == "sales-agent"
                        && q.scope == "pricing:quote"
                }),
        ),
    ));
    let id_token = |user: &str| {
        let facts = GrantFacts {
            client_id: "sales-agent".into(),
            user_id: Some(user.into()),
            scope: vec!["openid".into()],
            ..GrantFacts::default()
        };
        let opts = IssueOptions {
            id_token: true,
            ..IssueOptions::default()
        };
        f.authority.issue(&facts, opts).unwrap().id_token.unwrap()
    };
    let ask = |token: String, scope: &'static str| {
        let f = &f;
        async move {
            exchange(
                f,
                AGENT,
                &[
                    ("subject_token", &token),
                    ("subject_token_type", token_types::ID_TOKEN),
                    ("requested_token_type", token_types::ID_JAG),
                    ("audience", pricing),
                    ("scope", scope),
                ],
            )
            .await
        }
    };
    let sarah = id_token("user-sarah").expose_secret().to_owned();
    let ok = ask(sarah.clone(), "pricing:read pricing:quote")
        .await
        .unwrap();
    assert_eq!(ok.scope.as_deref(), Some("pricing:read pricing:quote"));
    assert_eq!(ok.issued_token_type.as_deref(), Some(token_types::ID_JAG));
    f.authority
        .register_user(
            UserSpec::new("bob")
                .id("user-bob")
                .password("another horse battery"),
        )
        .unwrap();
    let bob = id_token("user-bob").expose_secret().to_owned();
    let err = ask(bob, "pricing:quote").await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    // Without a scope: only the automatically granted ones.
    let ok = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", &sarah),
            ("subject_token_type", token_types::ID_TOKEN),
            ("requested_token_type", token_types::ID_JAG),
            ("audience", pricing),
        ],
    )
    .await
    .unwrap();
    assert_eq!(ok.scope.as_deref(), Some("pricing:read"));
    // An access token is not an acceptable subject for an ID-JAG.
    let at = user_token(&f, &["crm:read"], &[CRM], json!({}));
    let err = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", &at),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("requested_token_type", token_types::ID_JAG),
            ("audience", pricing),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn a_refused_exchange_is_audited_once_with_the_grant_detail() {
    let f = fixture();
    let subject = user_token(&f, &["crm:read"], &[CRM], json!({}));
    let before = f.audit.events().len();
    let err = exchange(
        &f,
        AGENT,
        &[
            ("subject_token", &subject),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("scope", "crm:read crm:write"),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    let events = f.audit.events();
    let refused: Vec<_> = events[before..]
        .iter()
        .filter(|e| e.outcome == Outcome::Denied)
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let only = refused[0];
    assert_eq!(
        (
            only.action.clone(),
            only.reason.as_deref(),
            only.agent.as_deref(),
            only.user.as_deref()
        ),
        (
            AuditAction::TokenExchanged,
            Some("invalid_scope"),
            Some("sales-agent"),
            Some("user-sarah")
        )
    );
}
