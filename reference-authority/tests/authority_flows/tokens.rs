//! Token endpoint grants, client authentication, revocation, introspection, keys.

use super::*;

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let f = fixture();
    let tokens = code_flow(&f, &auth_params()).await;
    let rt1 = tokens.refresh_token.clone().unwrap();
    let refresh = |rt: &str| {
        TokenRequest::new(Params::from_pairs([
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
        ]))
        .basic("portal", SECRET)
    };
    let mut events = f.authority.subscribe();
    let second = f
        .authority
        .token(&refresh(rt1.expose_secret()))
        .await
        .unwrap();
    let rt2 = second.refresh_token.clone().unwrap();
    assert_ne!(rt1, rt2);
    assert!(second.id_token.is_some());
    // Narrowing the scope on refresh is allowed, widening is not.
    let mut wide = refresh(rt2.expose_secret());
    wide.params = wide.params.with("scope", "openid crm:admin");
    assert_eq!(
        f.authority.token(&wide).await.unwrap_err().code(),
        &ErrorCode::InvalidScope
    );
    // Reuse of the rotated token: the whole family dies, rt2 and access tokens included.
    let err = f
        .authority
        .token(&refresh(rt1.expose_secret()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
    assert!(
        f.authority
            .token(&refresh(rt2.expose_secret()))
            .await
            .is_err()
    );
    assert!(
        f.authority
            .verify_access_token(second.access_token.expose_secret())
            .is_err()
    );
    match events.try_recv().unwrap() {
        AuthorityEvent::GrantRevoked {
            reason,
            access_token_ids,
            ..
        } => {
            assert_eq!(reason, "refresh_token_reuse");
            assert_eq!(access_token_ids.len(), 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        f.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::TokenRevoked
                && e.reason.as_deref() == Some("refresh_token_reuse"))
    );
}

#[tokio::test]
async fn client_credentials_with_private_key_jwt_refuses_replay() {
    let f = fixture();
    let a = assertion(&f, "j-1");
    let tokens = f.authority.token(&cc_request(&a)).await.unwrap();
    let at = f
        .authority
        .verify_access_token(tokens.access_token.expose_secret())
        .unwrap();
    assert_eq!(at.sub.as_deref(), Some("sales-agent"));
    assert_eq!(at.str("scope"), Some("crm:read"));
    assert!(tokens.refresh_token.is_none() && tokens.id_token.is_none());
    let replay = f.authority.token(&cc_request(&a)).await.unwrap_err();
    assert_eq!(replay.code(), &ErrorCode::InvalidClient);
    // A key the client never registered.
    let other = SigningKey::generate(Algorithm::Es256).unwrap();
    let mut c = Claims::new();
    c.iss = Some("sales-agent".into());
    c.sub = Some("sales-agent".into());
    c.aud = vec![ISSUER.into()];
    c.exp = Some(NOW + 60);
    c.jti = Some("j-2".into());
    let forged = sign_compact(&other, None, &c).unwrap();
    assert_eq!(
        f.authority
            .token(&cc_request(forged.expose_secret()))
            .await
            .unwrap_err()
            .code(),
        &ErrorCode::InvalidClient
    );
    // Grant type not allowed for this client.
    let mut code = cc_request(&assertion(&f, "j-3"));
    code.params = code.params.with("grant_type", "authorization_code");
    assert_eq!(
        f.authority.token(&code).await.unwrap_err().code(),
        &ErrorCode::UnauthorizedClient
    );
    assert!(
        f.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::ClientAuthentication && e.outcome == Outcome::Denied)
    );
}

#[tokio::test]
async fn revocation_and_introspection() {
    let f = fixture();
    let tokens = code_flow(&f, &auth_params()).await;
    let basic = |params: Params| TokenRequest::new(params).basic("portal", SECRET);
    let at = tokens.access_token.expose_secret();
    let rt = tokens.refresh_token.as_ref().unwrap().expose_secret();
    let info = f
        .authority
        .introspect(&basic(Params::from_pairs([("token", at)])))
        .unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], "user-sarah");
    assert_eq!(info["client_id"], "portal");
    let info = f
        .authority
        .introspect(&basic(Params::from_pairs([("token", rt)])))
        .unwrap();
    assert_eq!(info["active"], true);
    // RFC 7662 section 2.2: `token_type` names access token types only.
    assert!(info.get("token_type").is_none());
    assert_eq!(info["client_id"], "portal");
    // Unauthenticated introspection is refused.
    assert_eq!(
        f.authority
            .introspect(&TokenRequest::new(Params::from_pairs([("token", at)])))
            .unwrap_err()
            .status(),
        401
    );
    let mut events = f.authority.subscribe();
    f.authority
        .revoke(&basic(Params::from_pairs([
            ("token", at),
            ("token_type_hint", "access_token"),
        ])))
        .unwrap();
    assert!(matches!(
        events.try_recv().unwrap(),
        AuthorityEvent::AccessTokenRevoked { .. }
    ));
    let info = f
        .authority
        .introspect(&basic(Params::from_pairs([("token", at)])))
        .unwrap();
    assert_eq!(info, serde_json::json!({"active": false}));
    f.authority
        .revoke(&basic(Params::from_pairs([("token", rt)])))
        .unwrap();
    let info = f
        .authority
        .introspect(&basic(Params::from_pairs([("token", rt)])))
        .unwrap();
    assert_eq!(info["active"], false);
    // Unknown tokens are fine (RFC 7009 section 2.2).
    f.authority
        .revoke(&basic(Params::from_pairs([("token", "nonsense")])))
        .unwrap();
    // Expired tokens are inactive.
    let fresh = code_flow(&f, &auth_params()).await;
    f.clock.advance(601);
    let info = f
        .authority
        .introspect(&basic(Params::from_pairs([(
            "token",
            fresh.access_token.expose_secret(),
        )])))
        .unwrap();
    assert_eq!(info["active"], false);
}

#[tokio::test]
async fn client_secret_post_and_public_clients() {
    let f = fixture();
    f.authority
        .register_client(
            ClientSpec::confidential("poster", "poster-secret-0123456789")
                .trusted_first_party()
                .auth_method(ClientAuthMethod::ClientSecretPost)
                .redirect_uri(REDIRECT),
        )
        .unwrap();
    let session = login(&f);
    let params = auth_params().with("client_id", "poster");
    let q = redirect_query(f.authority.authorize(&params, Some(&session)).unwrap());
    let form = Params::from_pairs([
        ("grant_type", "authorization_code"),
        ("code", q.get("code").unwrap()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", "poster"),
    ]);
    // Registered for client_secret_post: Basic is refused, the form secret works.
    let basic = TokenRequest::new(form.clone()).basic("poster", "poster-secret-0123456789");
    assert_eq!(
        f.authority.token(&basic).await.unwrap_err().code(),
        &ErrorCode::InvalidClient
    );
    let post = TokenRequest::new(form.with("client_secret", "poster-secret-0123456789"));
    assert!(f.authority.token(&post).await.unwrap().id_token.is_some());

    // A public client: PKCE required, no secret, client_id identifies it.
    let cli = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "cli"),
        ("redirect_uri", "http://127.0.0.1:9/cb"),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let q = redirect_query(f.authority.authorize(&cli, Some(&session)).unwrap());
    let redeem = |verifier: Option<&str>| {
        let mut p = Params::from_pairs([
            ("grant_type", "authorization_code"),
            ("code", q.get("code").unwrap()),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("client_id", "cli"),
        ]);
        if let Some(v) = verifier {
            p = p.with("code_verifier", v);
        }
        TokenRequest::new(p)
    };
    assert_eq!(
        f.authority.token(&redeem(None)).await.unwrap_err().code(),
        &ErrorCode::InvalidGrant
    );
    let tokens = f.authority.token(&redeem(Some(VERIFIER))).await.unwrap();
    assert!(tokens.refresh_token.is_some());
}

#[tokio::test]
async fn extension_grants_plug_into_the_token_endpoint() {
    let f = fixture();
    f.authority
        .register_client(
            ClientSpec::confidential("ext", "ext-secret-0123456789")
                .grant_types(["urn:example:echo"])
                .scopes(["crm:read"]),
        )
        .unwrap();
    let req = |grant: &str| {
        TokenRequest::new(Params::from_pairs([
            ("grant_type", grant),
            ("user", "sarah"),
        ]))
        .basic("ext", "ext-secret-0123456789")
    };
    assert_eq!(
        f.authority
            .token(&req("urn:example:echo"))
            .await
            .unwrap_err()
            .code(),
        &ErrorCode::UnsupportedGrantType
    );
    f.authority.register_grant(Arc::new(EchoGrant));
    assert!(
        f.authority.metadata()["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&"urn:example:echo".into())
    );
    let tokens = f.authority.token(&req("urn:example:echo")).await.unwrap();
    let at = f
        .authority
        .verify_access_token(tokens.access_token.expose_secret())
        .unwrap();
    assert_eq!(at.sub.as_deref(), Some("user-sarah"));
    assert_eq!(at.str("client_id"), Some("ext"));
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_during_overlap() {
    let f = fixture();
    let before = code_flow(&f, &auth_params()).await;
    let mut events = f.authority.subscribe();
    f.authority
        .rotate_keys(SigningKey::generate(Algorithm::Es256).unwrap())
        .unwrap();
    assert!(matches!(
        events.try_recv().unwrap(),
        AuthorityEvent::KeysRotated { .. }
    ));
    assert_eq!(f.authority.keys().jwks().keys.len(), 2);
    assert!(
        f.authority
            .verify_access_token(before.access_token.expose_secret())
            .is_ok()
    );
    let after = code_flow(&f, &auth_params()).await;
    assert!(
        f.authority
            .verify_access_token(after.access_token.expose_secret())
            .is_ok()
    );
}

#[tokio::test]
async fn two_authorities_side_by_side_do_not_trust_each_other() {
    let f = fixture();
    let other = Authority::builder("https://pricing.example")
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    let tokens = code_flow(&f, &auth_params()).await;
    assert!(
        other
            .verify_access_token(tokens.access_token.expose_secret())
            .is_err()
    );
}
