//! Our authorities' token exchange and jwt-bearer endpoints driven by an
//! independent client: openid-client 6.8.9's `genericGrantRequest`, with the
//! issued tokens verified by jose 6.2.17 against our JWKS.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::authority::http::router;
use agent_auth::authority::*;
use agent_auth::exchange::{
    GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE, ID_JAG_GRANT_PROFILE, token_types,
};
use agent_auth::validate::StaticKeys;
use std::sync::Arc;

const AGENT: &str = "sales-agent-prod-001";
const AGENT_SECRET: &str = "sales-agent-secret-0123456789";
const REMOTE: &str = "pricing-sales-agent";
const REMOTE_SECRET: &str = "pricing-agent-secret-0123456789";
const PRICING_API: &str = "https://pricing.acmecorp.internal/api";
const CRM: &str = "https://crm.example/mcp";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_drives_token_exchange_and_jwt_bearer() {
    let (idp_listener, idp_url) = common::bind().await;
    let (pricing_listener, pricing_url) = common::bind().await;
    let idp = Authority::builder(&idp_url)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    idp.register_user(
        UserSpec::new("sarah")
            .id("user-sarah")
            .email("sarah@acme.example"),
    )
    .unwrap();
    idp.register_client(
        ClientSpec::confidential(AGENT, AGENT_SECRET)
            .grant_types([GRANT_TOKEN_EXCHANGE, grant_types::CLIENT_CREDENTIALS])
            .scopes(["openid", "email", "crm:read", "crm:write"])
            .resources([CRM]),
    )
    .unwrap();
    idp.register_grant(Arc::new(
        TokenExchangeGrant::new().connection(
            ManagedConnection::new(&pricing_url)
                .client(AGENT, REMOTE)
                .scope("pricing:read", ScopePolicy::Granted)
                .scope("pricing:write", ScopePolicy::Denied)
                .scope("pricing:admin", ScopePolicy::Denied)
                .resources([PRICING_API]),
        ),
    ));
    let pricing = Authority::builder(&pricing_url)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    pricing.register_grant(Arc::new(JwtBearerGrant::new().trust(TrustedIssuer::new(
        &idp_url,
        StaticKeys::single(idp.keys().active().verifying_key().clone()),
    ))));
    pricing
        .register_client(
            ClientSpec::confidential(REMOTE, REMOTE_SECRET)
                .auth_method(ClientAuthMethod::ClientSecretPost)
                .grant_types([GRANT_JWT_BEARER])
                .scopes(["pricing:read", "pricing:write"])
                .resources([PRICING_API]),
        )
        .unwrap();

    let issue = |facts: GrantFacts, id_token: bool| {
        idp.issue(
            &facts,
            IssueOptions {
                id_token,
                ..IssueOptions::default()
            },
        )
        .unwrap()
    };
    let id_token = issue(
        GrantFacts {
            client_id: AGENT.into(),
            user_id: Some("user-sarah".into()),
            scope: vec!["openid".into(), "email".into()],
            ..GrantFacts::default()
        },
        true,
    )
    .id_token
    .unwrap();
    let subject = issue(
        GrantFacts {
            client_id: "portal".into(),
            user_id: Some("user-sarah".into()),
            scope: vec!["crm:read".into(), "crm:write".into()],
            resource: vec![CRM.into()],
            ..GrantFacts::default()
        },
        false,
    )
    .access_token;
    let actor = issue(
        GrantFacts {
            client_id: AGENT.into(),
            scope: vec!["crm:read".into()],
            ..GrantFacts::default()
        },
        false,
    )
    .access_token;

    let servers = [
        tokio::spawn({
            let idp = idp.clone();
            async move { axum::serve(idp_listener, router(idp)).await.unwrap() }
        }),
        tokio::spawn(async move {
            axum::serve(pricing_listener, router(pricing))
                .await
                .unwrap()
        }),
    ];
    let env = [
        ("IDP_ISSUER", idp_url.clone()),
        ("PRICING_ISSUER", pricing_url.clone()),
        ("AGENT_ID", AGENT.into()),
        ("AGENT_SECRET", AGENT_SECRET.into()),
        ("REMOTE_ID", REMOTE.into()),
        ("REMOTE_SECRET", REMOTE_SECRET.into()),
        ("ID_TOKEN", id_token.expose_secret().into()),
        ("SUBJECT_TOKEN", subject.expose_secret().into()),
        ("ACTOR_TOKEN", actor.expose_secret().into()),
        ("RESOURCE", PRICING_API.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let out = common::run_script("exchange-openid-client.mjs", env).await;
    for s in servers {
        s.abort();
    }

    assert_eq!(
        out["idp_chaining"],
        serde_json::json!([token_types::ID_JAG])
    );
    assert_eq!(out["jag_token_type"], "n_a");
    assert_eq!(out["jag_issued_token_type"], token_types::ID_JAG);
    assert_eq!(out["jag_typ"], "oauth-id-jag+jwt");
    assert_eq!(out["jag_client_id"], REMOTE);
    assert_eq!(out["jag_scope"], "pricing:read");
    assert_eq!(out["write_error"], "invalid_scope");
    assert_eq!(
        out["pricing_profiles"],
        serde_json::json!([ID_JAG_GRANT_PROFILE])
    );
    assert_eq!(out["at_token_type"], "bearer");
    assert_eq!(out["at_has_refresh_token"], false);
    assert_eq!(out["at_sub"], "user-sarah");
    assert_eq!(out["at_scope"], "pricing:read");
    assert_eq!(out["at_client_id"], REMOTE);
    assert_eq!(out["replay_error"], "invalid_grant");
    assert_eq!(
        out["delegated_issued_token_type"],
        token_types::ACCESS_TOKEN
    );
    assert_eq!(out["delegated_sub"], "user-sarah");
    assert_eq!(out["delegated_act"], serde_json::json!({"sub": AGENT}));
    assert_eq!(out["delegated_scope"], "crm:read");
    assert_eq!(out["widen_error"], "invalid_scope");
}
