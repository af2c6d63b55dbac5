//! RFC 8693 token exchange never widens: a subject token without `scope`
//! (an ID token, a JWT) does not become every scope and audience the client
//! is registered for.

use super::{NOW, Served, serve};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::exchange::{GRANT_TOKEN_EXCHANGE, token_types};
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::{Claims, StaticKeys};
use reference_authority::*;
use std::sync::Arc;

const DOCS: &str = "https://docs.example/mcp";
const SECRET: &str = "agent-secret-0123456789";

async fn agent_authority() -> Served {
    let s = serve().await;
    s.authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("pw-0123456789"),
        )
        .unwrap();
    s.authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([GRANT_TOKEN_EXCHANGE])
                .scopes(["openid", "crm:read", "crm:write", "docs:read"])
                .resources([DOCS]),
        )
        .unwrap();
    s
}

async fn exchange(s: &Served, pairs: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let mut form = vec![("grant_type", GRANT_TOKEN_EXCHANGE)];
    form.extend_from_slice(pairs);
    let response = s
        .http
        .post(format!("{}{}", s.issuer, paths::TOKEN))
        .basic_auth("sales-agent", Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn an_id_token_of_a_crm_read_grant_is_not_exchanged_for_docs_or_crm_write() {
    let s = agent_authority().await;
    let facts = GrantFacts {
        client_id: "sales-agent".into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["openid".into(), "crm:read".into()],
        ..GrantFacts::default()
    };
    let id_token = s
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
    let subject = [
        ("subject_token", id_token.expose_secret()),
        ("subject_token_type", token_types::ID_TOKEN),
    ];
    let before = s.audited(AuditAction::TokenIssued, Outcome::Success).len();
    for widening in [
        vec![("scope", "docs:read")],
        vec![("scope", "crm:write")],
        vec![("audience", DOCS)],
    ] {
        let mut pairs = subject.to_vec();
        pairs.extend(widening.iter().copied());
        let (status, body) = exchange(&s, &pairs).await;
        assert_eq!(status, 400, "{widening:?}: {body}");
        assert!(
            matches!(
                body["error"].as_str(),
                Some("invalid_scope" | "invalid_target")
            ),
            "{body}"
        );
    }
    assert_eq!(
        s.audited(AuditAction::TokenIssued, Outcome::Success).len(),
        before,
        "a refused exchange issues nothing"
    );
    assert_eq!(
        s.audited(AuditAction::TokenExchanged, Outcome::Denied)
            .len(),
        3
    );
    // Without a scope the exchange keeps the grant's scope, not the client's.
    let (status, body) = exchange(&s, &subject).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "crm:read");
}

#[tokio::test]
async fn a_foreign_jwt_without_scope_gets_nothing_unless_a_policy_grants_it() {
    let s = agent_authority().await;
    let partner = SigningKey::generate(Algorithm::Es256).unwrap();
    let trusted = || {
        TrustedIssuer::new(
            "https://partner.example",
            StaticKeys::single(partner.verifying_key().clone()),
        )
    };
    s.authority
        .register_grant(Arc::new(TokenExchangeGrant::new().trust(trusted())));
    let mut jwt = Claims::new();
    jwt.iss = Some("https://partner.example".into());
    jwt.sub = Some("partner-user-7".into());
    jwt.aud = vec![s.issuer.clone()];
    jwt.iat = Some(NOW);
    jwt.exp = Some(NOW + 60);
    let signed = sign_compact(&partner, Some("JWT"), &jwt).unwrap();
    let subject = [
        ("subject_token", signed.expose_secret()),
        ("subject_token_type", token_types::JWT),
    ];
    let (status, body) = exchange(&s, &subject).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let mut to_docs = subject.to_vec();
    to_docs.extend([("audience", DOCS), ("scope", "docs:read")]);
    let (status, _) = exchange(&s, &to_docs).await;
    assert_eq!(status, 400);

    // A policy that grants docs:read at the docs server explicitly.
    s.authority.register_grant(Arc::new(
        TokenExchangeGrant::new().trust(trusted()).policy(
            ExplicitGrants::new(grants::AllowNarrowing)
                .grant("sales-agent", ExplicitGrant::new(["docs:read"], [DOCS])),
        ),
    ));
    let (status, body) = exchange(&s, &to_docs).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "docs:read");
    let mut too_much = subject.to_vec();
    too_much.extend([("audience", DOCS), ("scope", "crm:write")]);
    let (status, body) = exchange(&s, &too_much).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}
