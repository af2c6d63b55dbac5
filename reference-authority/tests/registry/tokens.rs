//! A suspended or deleted agent gets no token, and every token it holds is
//! refused at once, without revocation.

use super::*;
use agent_auth::validate::ValidationError;

fn authorize_params() -> Params {
    Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "sales-agent"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid offline_access crm:read"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
}

/// Alice delegates to the agent through the code flow: access and refresh token.
async fn delegated_tokens(f: &Fixture) -> TokenResponse {
    let session = f
        .authority
        .sign_in(&Credentials::password("alice", "correct horse battery"))
        .unwrap();
    let outcome = f
        .authority
        .authorize(&authorize_params(), Some(&session))
        .unwrap();
    let AuthorizeOutcome::Redirect(url) = outcome else {
        panic!("expected a redirect, got {outcome:?}");
    };
    let url = url::Url::parse(url.expose_secret()).unwrap();
    let query = Params::parse(url.query().unwrap()).unwrap();
    f.authority
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "authorization_code"),
                ("code", query.get("code").unwrap()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ]))
            .basic("sales-agent", AGENT_SECRET),
        )
        .await
        .unwrap()
}

fn refresh(token: &str) -> TokenRequest {
    TokenRequest::new(Params::from_pairs([
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
    ]))
    .basic("sales-agent", AGENT_SECRET)
}

fn refused_as_disabled(err: ValidationError) {
    assert!(
        matches!(
            err,
            ValidationError::Profile {
                rule: "the client is disabled",
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_suspended_agent_s_access_token_is_refused_at_once() {
    let f = fixture();
    register_active(&f);
    let issued = f.authority.token(&client_credentials()).await.unwrap();
    let token = issued.access_token.expose_secret().to_owned();
    assert!(f.authority.verify_access_token(&token).is_ok());

    f.authority
        .registry()
        .suspend("sales-agent-prod-001", Some("incident"), &admin())
        .unwrap();
    refused_as_disabled(f.authority.verify_access_token(&token).unwrap_err());
    // The resource server introspects with its own credentials.
    let answer = f
        .authority
        .introspect(
            &TokenRequest::new(Params::from_pairs([("token", token.as_str())]))
                .basic("portal", PORTAL_SECRET),
        )
        .unwrap();
    assert_eq!(answer, serde_json::json!({"active": false}));
}

#[tokio::test]
async fn a_suspended_agent_gets_no_client_credentials_token() {
    let f = fixture();
    register_active(&f);
    f.authority
        .registry()
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap();
    let err = f.authority.token(&client_credentials()).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidClient);
    assert_eq!(err.description(), "the client is disabled");
}

#[tokio::test]
async fn a_suspended_agent_cannot_refresh_and_its_delegated_tokens_die() {
    let f = fixture();
    register_active(&f);
    let tokens = delegated_tokens(&f).await;
    let refresh_token = tokens.refresh_token.clone().unwrap();
    f.authority
        .registry()
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap();
    let err = f
        .authority
        .token(&refresh(refresh_token.expose_secret()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidClient);
    refused_as_disabled(
        f.authority
            .verify_access_token(tokens.access_token.expose_secret())
            .unwrap_err(),
    );
    assert!(
        f.authority
            .refresh_token_grant(refresh_token.expose_secret(), "sales-agent")
            .is_none()
    );
}

#[tokio::test]
async fn a_suspended_agent_cannot_exchange_tokens_nor_start_authorization() {
    let f = fixture();
    register_active(&f);
    let tokens = delegated_tokens(&f).await;
    f.authority
        .registry()
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap();
    let exchange = TokenRequest::new(Params::from_pairs([
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", tokens.access_token.expose_secret()),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
    ]))
    .basic("sales-agent", AGENT_SECRET);
    assert_eq!(
        f.authority.token(&exchange).await.unwrap_err().code(),
        &ErrorCode::InvalidClient
    );
    let session = f
        .authority
        .sign_in(&Credentials::password("alice", "correct horse battery"))
        .unwrap();
    let err = f
        .authority
        .authorize(&authorize_params(), Some(&session))
        .unwrap_err();
    assert_eq!(err.description(), "the client is disabled");
}

#[tokio::test]
async fn a_private_key_jwt_client_of_a_staged_agent_gets_no_token() {
    let f = fixture();
    f.authority
        .registry()
        .register(
            AgentSpec::new("jwt-agent", "JWT agent").client("sales-agent-jwt"),
            &admin(),
        )
        .unwrap();
    let now = f.authority.now();
    let assertion = agent_auth::jose::sign_compact(
        &f.agent_key,
        None,
        &serde_json::json!({
            "iss": "sales-agent-jwt", "sub": "sales-agent-jwt", "aud": ISSUER,
            "exp": now + 60, "iat": now, "jti": "j-1",
        }),
    )
    .unwrap();
    let request = TokenRequest::new(Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER_ASSERTION),
        ("client_assertion", assertion.expose_secret()),
    ]));
    let err = f.authority.token(&request).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidClient);
}

#[tokio::test]
async fn reactivation_lets_the_agent_work_again() {
    let f = fixture();
    register_active(&f);
    let registry = f.authority.registry();
    registry
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap();
    assert!(f.authority.token(&client_credentials()).await.is_err());
    registry.activate("sales-agent-prod-001", &admin()).unwrap();
    let issued = f.authority.token(&client_credentials()).await.unwrap();
    assert!(
        f.authority
            .verify_access_token(issued.access_token.expose_secret())
            .is_ok()
    );
}

#[tokio::test]
async fn a_deleted_agent_gets_no_token_ever_again() {
    let f = fixture();
    register_active(&f);
    let registry = f.authority.registry();
    let issued = f.authority.token(&client_credentials()).await.unwrap();
    registry
        .suspend("sales-agent-prod-001", None, &admin())
        .unwrap();
    registry.delete("sales-agent-prod-001", &admin()).unwrap();
    // Registering the client again does not bring it back.
    f.authority
        .register_client(
            ClientSpec::confidential("sales-agent", AGENT_SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS]),
        )
        .unwrap();
    assert_eq!(
        f.authority
            .token(&client_credentials())
            .await
            .unwrap_err()
            .code(),
        &ErrorCode::InvalidClient
    );
    refused_as_disabled(
        f.authority
            .verify_access_token(issued.access_token.expose_secret())
            .unwrap_err(),
    );
}
