//! The reference authority in process: code flow with PKCE, refresh rotation,
//! client credentials with private_key_jwt, revocation, introspection, step-up,
//! sessions, logout events, custom grants, and refusals that change nothing.
#![cfg(feature = "authority")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::authority::*;
use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, base64url, sign_compact};
use agent_auth::validate::{AccessToken, Claims, IdToken, Validator};
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const REDIRECT: &str = "https://portal.example/callback";
const SECRET: &str = "portal-secret-0123456789";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const TOTP_SECRET: &[u8] = b"0123456789abcdefghij";
const NOW: i64 = 1_750_000_000;

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
    agent_key: SigningKey,
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
                .email("sarah@acme.example")
                .claim("name", "Sarah Connor")
                .totp_secret(TOTP_SECRET),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("portal", SECRET)
                .name("Sales portal")
                .redirect_uri(REDIRECT)
                .post_logout_redirect_uri("https://portal.example/bye")
                .resources(["https://crm.example/mcp"]),
        )
        .unwrap();
    authority
        .register_client(ClientSpec::public("cli").redirect_uri("http://127.0.0.1:9/cb"))
        .unwrap();
    let agent_key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [agent_key.verifying_key().to_jwk().unwrap()]});
    authority
        .register_client(
            ClientSpec::private_key_jwt("sales-agent", jwks.to_string())
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read", "crm:write"])
                .resources(["https://crm.example/mcp"]),
        )
        .unwrap();
    Fixture {
        authority,
        clock,
        audit,
        agent_key,
    }
}

fn auth_params() -> Params {
    Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "portal"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
}

fn redirect_query(outcome: AuthorizeOutcome) -> Params {
    match outcome {
        AuthorizeOutcome::Redirect(url) => {
            let url = url::Url::parse(url.expose_secret()).unwrap();
            Params::parse(url.query().unwrap_or_default()).unwrap()
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn code_request(code: &str) -> TokenRequest {
    TokenRequest::new(Params::from_pairs([
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]))
    .basic("portal", SECRET)
}

fn login(f: &Fixture) -> SessionHandle {
    f.authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap()
}

async fn code_flow(f: &Fixture, params: &Params) -> TokenResponse {
    let session = login(f);
    let q = redirect_query(f.authority.authorize(params, Some(&session)).unwrap());
    f.authority
        .token(&code_request(q.get("code").unwrap()))
        .await
        .unwrap()
}

fn half_hash(value: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    base64url::encode(&d.as_ref()[..16])
}

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

fn assertion(f: &Fixture, jti: &str) -> String {
    let mut c = Claims::new();
    c.iss = Some("sales-agent".into());
    c.sub = Some("sales-agent".into());
    c.aud = vec![ISSUER.into()];
    c.iat = Some(NOW);
    c.exp = Some(NOW + 60);
    c.jti = Some(jti.into());
    sign_compact(&f.agent_key, None, &c)
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn cc_request(assertion: &str) -> TokenRequest {
    TokenRequest::new(Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("scope", "crm:read"),
        ("resource", "https://crm.example/mcp"),
        ("client_assertion_type", JWT_BEARER_ASSERTION),
        ("client_assertion", assertion),
    ]))
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
async fn acr_values_step_up_to_mfa() {
    let f = fixture();
    let session = login(&f);
    let params = auth_params().with("acr_values", ACR_MFA);
    let AuthorizeOutcome::Interaction(i) = f.authority.authorize(&params, Some(&session)).unwrap()
    else {
        panic!("step-up expected");
    };
    assert!(i.needs_mfa);
    let pw = Credentials::password("sarah", "correct horse battery");
    assert_eq!(
        f.authority.complete_login(&i.id, &pw).unwrap_err(),
        LoginError::MfaRequired
    );
    assert_eq!(
        f.authority
            .complete_login(&i.id, &pw.clone().with_totp("000000"))
            .unwrap_err(),
        LoginError::InvalidCredentials
    );
    let code = totp::code_at(TOTP_SECRET, f.authority.now());
    let done = f
        .authority
        .complete_login(&i.id, &pw.clone().with_totp(code.clone()))
        .unwrap();
    let q = redirect_query(AuthorizeOutcome::Redirect(done.redirect));
    let tokens = f
        .authority
        .token(&code_request(q.get("code").unwrap()))
        .await
        .unwrap();
    let id = id_claims(&f, &tokens);
    assert_eq!(id["acr"], ACR_MFA);
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    // The same one-time code is not accepted twice (RFC 6238 section 5.2).
    assert_eq!(
        f.authority.sign_in(&pw.with_totp(code)).unwrap_err(),
        LoginError::InvalidCredentials
    );
    // The interaction was single use.
    assert!(f.authority.interaction(&i.id).is_none());
}

fn id_claims(f: &Fixture, tokens: &TokenResponse) -> serde_json::Value {
    let id = Validator::<IdToken>::builder_shared(f.authority.keys().clone())
        .issuer(ISSUER)
        .audience("portal")
        .clock(f.authority.clock().clone())
        .build()
        .validate_cached(tokens.id_token.as_ref().unwrap().expose_secret())
        .unwrap();
    serde_json::Value::Object(id.extra.clone())
}

#[tokio::test]
async fn sessions_expire_when_idle_or_too_old() {
    let f = fixture();
    let session = login(&f);
    f.clock.advance(29 * 60);
    assert!(
        f.authority.session(&session).is_some(),
        "activity resets idle timer"
    );
    f.clock.advance(29 * 60);
    assert!(f.authority.session(&session).is_some());
    f.clock.advance(31 * 60);
    assert!(f.authority.session(&session).is_none(), "idle timeout");
    let session = login(&f);
    for _ in 0..25 {
        f.clock.advance(29 * 60);
        if f.authority.session(&session).is_none() {
            break;
        }
    }
    assert!(f.authority.session(&session).is_none(), "absolute timeout");
    // An expired session means the login page again.
    assert!(matches!(
        f.authority
            .authorize(&auth_params(), Some(&session))
            .unwrap(),
        AuthorizeOutcome::Interaction(_)
    ));
}

#[tokio::test]
async fn max_age_and_prompt_login_force_reauthentication() {
    let f = fixture();
    let session = login(&f);
    f.clock.advance(120);
    let params = auth_params().with("max_age", "60");
    let AuthorizeOutcome::Interaction(i) = f.authority.authorize(&params, Some(&session)).unwrap()
    else {
        panic!("max_age exceeded must ask to log in");
    };
    let done = f
        .authority
        .complete_login(
            &i.id,
            &Credentials::password("sarah", "correct horse battery"),
        )
        .unwrap();
    assert!(matches!(
        f.authority.authorize(&params, Some(&done.session)).unwrap(),
        AuthorizeOutcome::Redirect(_)
    ));
    let login_again = auth_params().with("prompt", "login");
    assert!(matches!(
        f.authority
            .authorize(&login_again, Some(&done.session))
            .unwrap(),
        AuthorizeOutcome::Interaction(_)
    ));
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
    assert_eq!(info["token_type"], "refresh_token");
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
async fn rp_initiated_logout_ends_the_session_and_its_grants() {
    let f = fixture();
    let session = login(&f);
    let q = redirect_query(
        f.authority
            .authorize(&auth_params(), Some(&session))
            .unwrap(),
    );
    let tokens = f
        .authority
        .token(&code_request(q.get("code").unwrap()))
        .await
        .unwrap();
    let mut events = f.authority.subscribe();
    let bad = Params::from_pairs([
        (
            "id_token_hint",
            tokens.id_token.as_ref().unwrap().expose_secret(),
        ),
        ("post_logout_redirect_uri", "https://evil.example/"),
    ]);
    assert!(f.authority.end_session(&bad, Some(&session)).is_err());
    assert!(
        f.authority.session(&session).is_some(),
        "refused logout changes nothing"
    );
    let params = Params::from_pairs([
        (
            "id_token_hint",
            tokens.id_token.as_ref().unwrap().expose_secret(),
        ),
        ("post_logout_redirect_uri", "https://portal.example/bye"),
        ("state", "bye-1"),
    ]);
    let to = f.authority.end_session(&params, Some(&session)).unwrap();
    assert_eq!(
        to.as_deref(),
        Some("https://portal.example/bye?state=bye-1")
    );
    assert!(f.authority.session(&session).is_none());
    assert!(matches!(
        events.try_recv().unwrap(),
        AuthorityEvent::SessionEnded { .. }
    ));
    assert!(matches!(
        events.try_recv().unwrap(),
        AuthorityEvent::GrantRevoked {
            reason: "logout",
            ..
        }
    ));
    assert!(
        f.authority
            .verify_access_token(tokens.access_token.expose_secret())
            .is_err()
    );
}

#[derive(Debug)]
struct EchoGrant;

#[async_trait::async_trait]
impl GrantHandler for EchoGrant {
    fn grant_type(&self) -> &str {
        "urn:example:echo"
    }
    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let user = params.require("user")?;
        let record = authority
            .user_by_name(user)
            .map_err(|_| OAuthError::server_error("store"))?
            .ok_or_else(|| OAuthError::invalid_grant("unknown user"))?;
        let facts = GrantFacts {
            client_id: client.id().to_owned(),
            user_id: Some(record.id),
            scope: vec!["crm:read".into()],
            ..GrantFacts::default()
        };
        authority.issue(&facts, IssueOptions::default())
    }
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

#[tokio::test]
async fn purge_removes_only_what_expired() {
    let f = fixture();
    let tokens = code_flow(&f, &auth_params()).await;
    let session = login(&f);
    assert_eq!(
        f.authority.purge_expired().unwrap(),
        0,
        "nothing expired yet"
    );
    f.clock.advance(3600);
    // The code (60 s) and the idle sessions (30 min) are gone; the refresh
    // token (14 days) and its family stay.
    assert!(f.authority.purge_expired().unwrap() >= 2);
    assert!(f.authority.session(&session).is_none());
    let refresh = TokenRequest::new(Params::from_pairs([
        ("grant_type", "refresh_token"),
        (
            "refresh_token",
            tokens.refresh_token.as_ref().unwrap().expose_secret(),
        ),
    ]))
    .basic("portal", SECRET);
    f.authority.token(&refresh).await.unwrap();
}

fn base32_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut out) = (0u32, 0, Vec::new());
    for c in text.bytes() {
        buffer = (buffer << 5) | alphabet.iter().position(|a| *a == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

#[tokio::test]
async fn totp_enrollment_gives_a_working_authenticator_secret() {
    let f = fixture();
    let id = f
        .authority
        .register_user(UserSpec::new("bob").password("bob-password-123"))
        .unwrap();
    let enrollment = f.authority.enroll_totp(&id).unwrap();
    assert!(
        enrollment
            .uri
            .expose_secret()
            .starts_with("otpauth://totp/")
    );
    assert!(!format!("{enrollment:?}").contains(enrollment.secret_base32.expose_secret()));
    let secret = base32_decode(enrollment.secret_base32.expose_secret());
    assert_eq!(secret.len(), 20);
    let code = totp::code_at(&secret, f.authority.now());
    f.authority
        .sign_in(&Credentials::password("bob", "bob-password-123").with_totp(code))
        .unwrap();
}

#[tokio::test]
async fn client_secret_post_and_public_clients() {
    let f = fixture();
    f.authority
        .register_client(
            ClientSpec::confidential("poster", "poster-secret-0123456789")
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
