//! Authorization endpoint and code redemption.

use super::*;

#[tokio::test]
async fn code_flow_with_pkce_issues_validated_tokens() {
    let f = fixture();
    let session = login(&f);
    let q = redirect_query(
        f.authority
            .authorize(&auth_params(), Some(&session))
            .unwrap(),
    );
    assert_eq!(q.get("state"), Some("st-1"));
    assert_eq!(q.get("iss"), Some(ISSUER), "RFC 9207 iss");
    let code = q.get("code").unwrap().to_owned();
    let tokens = f.authority.token(&code_request(&code)).await.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.refresh_token.is_some());

    let id = Validator::<IdToken>::builder_shared(f.authority.keys().clone())
        .issuer(ISSUER)
        .audience("portal")
        .clock(Arc::new(f.clock.clone()))
        .build()
        .validate_cached(tokens.id_token.as_ref().unwrap().expose_secret())
        .unwrap();
    assert_eq!(id.sub.as_deref(), Some("user-sarah"));
    assert_eq!(id.str("nonce"), Some("n-1"));
    assert_eq!(id.str("azp"), Some("portal"));
    assert_eq!(id.str("acr"), Some(ACR_PASSWORD));
    assert_eq!(id.get("auth_time").unwrap(), NOW);
    assert_eq!(id.get("amr").unwrap(), serde_json::json!(["pwd"]));
    assert!(id.str("sid").is_some());
    assert_eq!(id.str("email"), Some("sarah@acme.example"));
    assert_eq!(
        id.str("at_hash").unwrap(),
        half_hash(tokens.access_token.expose_secret())
    );
    assert_eq!(id.str("c_hash").unwrap(), half_hash(&code));

    let at = Validator::<AccessToken>::builder_shared(f.authority.keys().clone())
        .issuer(ISSUER)
        .audience(ISSUER)
        .clock(Arc::new(f.clock.clone()))
        .build()
        .validate_cached(tokens.access_token.expose_secret())
        .unwrap();
    assert_eq!(at.str("client_id"), Some("portal"));
    assert_eq!(at.str("scope"), Some("openid profile email"));

    let info = f
        .authority
        .userinfo(tokens.access_token.expose_secret())
        .unwrap();
    assert_eq!(info["sub"], "user-sarah");
    assert_eq!(info["email"], "sarah@acme.example");

    // The code is single use; reuse revokes what it granted.
    let again = f.authority.token(&code_request(&code)).await.unwrap_err();
    assert_eq!(again.code(), &ErrorCode::InvalidGrant);
    assert!(
        f.authority
            .userinfo(tokens.access_token.expose_secret())
            .is_err()
    );
}

#[tokio::test]
async fn resource_indicator_restricts_the_audience() {
    let f = fixture();
    let params = auth_params().with("resource", "https://crm.example/mcp");
    let tokens = code_flow(&f, &params).await;
    let at = f
        .authority
        .verify_access_token(tokens.access_token.expose_secret())
        .unwrap();
    assert_eq!(at.aud, vec!["https://crm.example/mcp".to_owned()]);
    // Not for userinfo: the token is for the CRM only.
    assert_eq!(
        f.authority
            .userinfo(tokens.access_token.expose_secret())
            .unwrap_err()
            .code(),
        &ErrorCode::InvalidToken
    );
    let bad = auth_params().with("resource", "https://other.example/");
    let q = redirect_query(f.authority.authorize(&bad, Some(&login(&f))).unwrap());
    assert_eq!(q.get("error"), Some("invalid_target"));
}

#[tokio::test]
async fn wrong_pkce_verifier_changes_nothing() {
    let f = fixture();
    let session = login(&f);
    let q = redirect_query(
        f.authority
            .authorize(&auth_params(), Some(&session))
            .unwrap(),
    );
    let code = q.get("code").unwrap();
    let mut wrong = code_request(code);
    wrong.params = wrong.params.with("code_verifier", "x".repeat(43));
    let err = f.authority.token(&wrong).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
    let mut wrong_client = code_request(code);
    wrong_client = wrong_client.basic("portal", "not-the-secret-at-all");
    assert_eq!(
        f.authority.token(&wrong_client).await.unwrap_err().status(),
        401
    );
    // The code still works: the refusals changed no state.
    f.authority.token(&code_request(code)).await.unwrap();
}

#[tokio::test]
async fn unknown_client_or_redirect_mismatch_never_redirects() {
    let f = fixture();
    let session = login(&f);
    let unknown = auth_params().with("client_id", "nobody");
    assert!(f.authority.authorize(&unknown, Some(&session)).is_err());
    let elsewhere = auth_params().with("redirect_uri", "https://evil.example/cb");
    assert!(f.authority.authorize(&elsewhere, Some(&session)).is_err());
    let prefix = auth_params().with("redirect_uri", format!("{REDIRECT}/more"));
    assert!(f.authority.authorize(&prefix, Some(&session)).is_err());
}

#[tokio::test]
async fn request_errors_redirect_with_state_and_iss() {
    let f = fixture();
    let cli = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "cli"),
        ("redirect_uri", "http://127.0.0.1:9/cb"),
        ("scope", "openid"),
        ("state", "s"),
    ]);
    let q = redirect_query(f.authority.authorize(&cli, None).unwrap());
    assert_eq!(
        q.get("error"),
        Some("invalid_request"),
        "public client without PKCE"
    );
    assert_eq!(q.get("iss"), Some(ISSUER));
    let plain = auth_params().with("code_challenge_method", "plain");
    let q = redirect_query(f.authority.authorize(&plain, None).unwrap());
    assert_eq!(q.get("error"), Some("invalid_request"));
    let none = auth_params().with("prompt", "none");
    let q = redirect_query(f.authority.authorize(&none, None).unwrap());
    assert_eq!(q.get("error"), Some("login_required"));
    assert_eq!(q.get("state"), Some("st-1"));
    let token = auth_params().with("response_type", "token");
    let q = redirect_query(f.authority.authorize(&token, None).unwrap());
    assert_eq!(q.get("error"), Some("unsupported_response_type"));
    let scope = auth_params().with("scope", "openid admin");
    let q = redirect_query(f.authority.authorize(&scope, None).unwrap());
    assert_eq!(q.get("error"), Some("invalid_scope"));
}

#[tokio::test]
async fn pushed_authorization_requests() {
    let f = fixture();
    let push = |params: Params| {
        f.authority
            .push_authorization_request(&TokenRequest::new(params).basic("portal", SECRET))
    };
    let body = push(auth_params()).unwrap();
    assert_eq!(body["expires_in"], 60);
    let uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(uri.starts_with(REQUEST_URI_PREFIX));
    let session = login(&f);
    let by_ref = Params::from_pairs([("client_id", "portal"), ("request_uri", uri.as_str())]);
    let q = redirect_query(f.authority.authorize(&by_ref, Some(&session)).unwrap());
    assert_eq!(
        q.get("state"),
        Some("st-1"),
        "the pushed parameters were used"
    );
    f.authority
        .token(&code_request(q.get("code").unwrap()))
        .await
        .unwrap();
    // Another client cannot use the request_uri.
    let stolen = Params::from_pairs([("client_id", "cli"), ("request_uri", uri.as_str())]);
    assert!(f.authority.authorize(&stolen, Some(&session)).is_err());
    // Invalid requests are refused at push time, as JSON errors.
    let bad = push(auth_params().with("scope", "openid admin")).unwrap_err();
    assert_eq!(bad.code(), &ErrorCode::InvalidScope);
    let nested = push(auth_params().with("request_uri", uri.as_str())).unwrap_err();
    assert_eq!(nested.code(), &ErrorCode::InvalidRequest);
    // Pushed requests expire.
    f.clock.advance(61);
    assert!(f.authority.authorize(&by_ref, Some(&session)).is_err());
}
