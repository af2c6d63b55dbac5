//! Interop of token exchange with independent implementations: our
//! authorities' token exchange and jwt-bearer endpoints driven by openid-client
//! 6.8.9's `genericGrantRequest` (tokens verified by jose 6.2.17 against our
//! JWKS), and our token exchange client against oidc-provider 9.13.3 with an
//! RFC 8693 grant registered in its script.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::{Clock, SystemClock};
use agent_auth::exchange::{ClientAuth, ExchangeClient, TokenExchangeRequest};
use agent_auth::exchange::{
    GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE, ID_JAG_GRANT_PROFILE, token_types,
};
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::jwks::RemoteJwks;
use agent_auth::secret::Token;
use agent_auth::validate::{AccessToken, Claims, StaticKeys, Validator};
use reference_authority::http::router;
use reference_authority::*;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
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

/// The oidc-provider process; killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `peers/exchange-oidc-provider.mjs`; returns the process and its issuer.
async fn start_oidc_provider(env: Vec<(&'static str, String)>) -> (Peer, String) {
    let node = common::node();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(node)
            .arg("exchange-oidc-provider.mjs")
            .current_dir(common::peers_dir())
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node");
        let stdout = child.stdout.take().unwrap();
        let peer = Peer(child);
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let started: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("oidc-provider did not start ({e}): {line:?}"));
        (peer, started["issuer"].as_str().unwrap().to_owned())
    })
    .await
    .unwrap()
}

fn corporate_jwt(key: &SigningKey, audience: &str, sub: &str, extra: serde_json::Value) -> Token {
    let now = SystemClock.now();
    let mut claims = Claims::new();
    claims.extra = extra.as_object().cloned().unwrap_or_default();
    claims.iss = Some("https://corp.example".into());
    claims.sub = Some(sub.into());
    claims.aud = vec![audience.into()];
    claims.iat = Some(now);
    claims.exp = Some(now + 300);
    sign_compact(key, Some("JWT"), &claims).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_exchange_client_against_oidc_provider() {
    let corporate = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwk = serde_json::to_string(&corporate.verifying_key().to_jwk().unwrap()).unwrap();
    let (_peer, issuer) = start_oidc_provider(vec![
        ("CLIENT_ID", AGENT.into()),
        ("CLIENT_SECRET", AGENT_SECRET.into()),
        ("SUBJECT_ISSUER", "https://corp.example".into()),
        ("SUBJECT_JWK", jwk),
        ("RESOURCE", CRM.into()),
    ])
    .await;
    let client = ExchangeClient::new(
        format!("{issuer}/token"),
        ClientAuth::basic(AGENT, AGENT_SECRET),
    )
    .unwrap();
    let subject = corporate_jwt(
        &corporate,
        &issuer,
        "user-sarah",
        serde_json::json!({"scope": "crm:read crm:write", "may_act": {"sub": AGENT}}),
    );
    let actor = corporate_jwt(&corporate, &issuer, AGENT, serde_json::json!({}));

    let response = client
        .exchange(
            &TokenExchangeRequest::new(subject.clone(), token_types::JWT)
                .actor_token(actor.clone(), token_types::JWT)
                .resource(CRM)
                .scope(["crm:read"]),
        )
        .await
        .unwrap();
    assert_eq!(
        response.issued_token_type.as_deref(),
        Some(token_types::ACCESS_TOKEN)
    );
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(
        response.scope.as_deref(),
        Some(&["crm:read".to_owned()][..])
    );
    assert!(response.expires_in.is_some_and(|e| e > 0));

    // The issued JWT access token, checked with our validator against its JWKS.
    let keys = RemoteJwks::new(&format!("{issuer}/jwks")).unwrap();
    let claims = Validator::<AccessToken>::builder(keys)
        .issuer(&issuer)
        .audience(CRM)
        .build()
        .validate(response.access_token.expose_secret())
        .await
        .unwrap();
    assert_eq!(claims.sub.as_deref(), Some("user-sarah"));
    assert_eq!(claims.str("client_id"), Some(AGENT));
    assert_eq!(claims.str("scope"), Some("crm:read"));
    assert_eq!(
        claims.get("act").unwrap(),
        serde_json::json!({"sub": AGENT})
    );

    // Refusals come back typed.
    let err = client
        .exchange(
            &TokenExchangeRequest::new(subject.clone(), token_types::JWT).scope(["crm:admin"]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_scope"));
    let intruder = corporate_jwt(&corporate, &issuer, "intruder", serde_json::json!({}));
    let err = client
        .exchange(
            &TokenExchangeRequest::new(subject, token_types::JWT)
                .actor_token(intruder, token_types::JWT),
        )
        .await
        .unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_request"));
    let err = client
        .exchange(&TokenExchangeRequest::new(actor, token_types::ACCESS_TOKEN))
        .await
        .unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_request"));
}
