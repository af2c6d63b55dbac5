//! Dynamic client registration (RFC 7591, RFC 7592 read): what a registration
//! returns, every metadata refusal (and that it stores nothing), the initial
//! access token, secret expiry, registered clients in the code flow at once,
//! the HTTP face, a SQLite restart, and no secret in logs, audit or `Debug`.
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
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::{AccessToken, Claims, Validator};
use reference_authority::*;
use serde_json::{Value, json};
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const NOW: i64 = 1_750_000_000;
const REDIRECT: &str = "http://127.0.0.1:33418/callback";
const RESOURCE: &str = "https://mcp.example/mcp";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PASSWORD: &str = "correct horse battery";
const INITIAL_TOKEN: &str = "initial-access-token-0123456789abcdef";

fn policy() -> RegistrationPolicy {
    RegistrationPolicy::open()
        .scopes(["openid", "mcp:read", "mcp:write"])
        .resources([RESOURCE])
        .grant_types(["authorization_code", "refresh_token", "client_credentials"])
}

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
}

fn build(builder: AuthorityBuilder) -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = builder
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    if authority.user_by_name("sarah").unwrap().is_none() {
        authority
            .register_user(UserSpec::new("sarah").id("user-sarah").password(PASSWORD))
            .unwrap();
    }
    Fixture {
        authority,
        clock,
        audit,
    }
}

fn fixture(policy: RegistrationPolicy) -> Fixture {
    build(Authority::builder(ISSUER).registration(policy))
}

fn register(f: &Fixture, body: &Value) -> Result<Registration, RegistrationError> {
    f.authority
        .register_dynamic(body.to_string().as_bytes(), None)
}

fn client_count(f: &Fixture) -> usize {
    f.authority.store().scan(Table::Clients).unwrap().len()
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

/// Logs Sarah in and runs the authorization request; returns the redirect's query.
fn authorize(f: &Fixture, client_id: &str, pkce: bool) -> Params {
    let session = f
        .authority
        .sign_in(&Credentials::password("sarah", PASSWORD))
        .unwrap();
    let mut params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "mcp:read"),
        ("resource", RESOURCE),
        ("state", "st-1"),
    ]);
    if pkce {
        params = params
            .with("code_challenge", CHALLENGE)
            .with("code_challenge_method", "S256");
    }
    match f.authority.authorize(&params, Some(&session)).unwrap() {
        // A dynamically registered client is never trusted: Sarah is asked,
        // and approves on the consent page.
        AuthorizeOutcome::Consent(c) => {
            assert_eq!(c.scope, ["mcp:read"]);
            let url = f
                .authority
                .decide_consent(&c.id, &session, None, true)
                .unwrap();
            redirect_query(AuthorizeOutcome::Redirect(url))
        }
        other => redirect_query(other),
    }
}

fn code_request(client_id: &str, code: &str) -> TokenRequest {
    TokenRequest::new(Params::from_pairs([
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("resource", RESOURCE),
    ]))
}

fn access_claims(f: &Fixture, token: &str) -> Claims {
    Validator::<AccessToken>::builder_shared(f.authority.keys().clone())
        .issuer(ISSUER)
        .audience(RESOURCE)
        .clock(f.authority.clock().clone())
        .build()
        .validate_cached(token)
        .unwrap()
        .claims()
        .clone()
}

#[tokio::test]
async fn confidential_client_registers_and_uses_its_secret_at_once() {
    let f = fixture(policy());
    let reg = register(
        &f,
        &json!({
            "redirect_uris": [REDIRECT],
            "client_name": "Sales MCP client",
            "scope": "mcp:read",
            "software_id": "4NRB1-0XZABZI9E6-5SM3R",
            "software_version": "2.1",
            "client_uri": "https://client.example",
            "contacts": ["ops@client.example"],
            "unknown_member": {"ignored": true},
        }),
    )
    .unwrap();
    let body = reg.to_json(&f.authority);
    let client_id = body["client_id"].as_str().unwrap().to_owned();
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "a 256-bit secret");
    assert_eq!(body["client_id_issued_at"], NOW);
    assert_eq!(body["client_secret_expires_at"], 0, "0: never expires");
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["grant_types"], json!(["authorization_code"]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["redirect_uris"], json!([REDIRECT]));
    assert_eq!(body["client_name"], "Sales MCP client");
    assert_eq!(body["software_id"], "4NRB1-0XZABZI9E6-5SM3R");
    assert_eq!(body["software_version"], "2.1");
    assert_eq!(body["client_uri"], "https://client.example");
    assert_eq!(body["contacts"], json!(["ops@client.example"]));
    assert_eq!(
        body["scope"], "openid mcp:read mcp:write",
        "the policy's scopes are registered, so the client can step up later"
    );
    assert!(body.get("unknown_member").is_none());
    assert_eq!(
        body["registration_client_uri"],
        format!("{ISSUER}/register/{client_id}")
    );

    // Stored as a digest, never as the secret.
    let stored = f
        .authority
        .store()
        .get(Table::Clients, &client_id)
        .unwrap()
        .unwrap();
    let stored = String::from_utf8(stored).unwrap();
    assert!(!stored.contains(&secret));
    assert!(!stored.contains(reg.registration_access_token.expose_secret()));

    let q = authorize(&f, &client_id, true);
    let tokens = f
        .authority
        .token(&code_request(&client_id, q.get("code").unwrap()).basic(&client_id, &secret))
        .await
        .unwrap();
    let claims = access_claims(&f, tokens.access_token.expose_secret());
    assert_eq!(claims.str("client_id"), Some(client_id.as_str()));
    assert_eq!(claims.sub.as_deref(), Some("user-sarah"));
    assert!(
        tokens.refresh_token.is_none(),
        "refresh_token was not registered"
    );

    // A wrong secret is still refused.
    let q = authorize(&f, &client_id, true);
    let err = f
        .authority
        .token(
            &code_request(&client_id, q.get("code").unwrap())
                .basic(&client_id, "wrong-secret-0123456789"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidClient);
    let registered = f.audit.events().into_iter().any(|e| {
        e.action == AuditAction::AgentLifecycle
            && e.outcome == Outcome::Success
            && e.agent.as_deref() == Some(client_id.as_str())
    });
    assert!(registered, "the registration is audited");
}

#[tokio::test]
async fn public_client_completes_the_code_flow_with_pkce() {
    let f = fixture(policy());
    let reg = register(
        &f,
        &json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }),
    )
    .unwrap();
    let body = reg.to_json(&f.authority);
    assert!(reg.client_secret.is_none());
    assert!(body.get("client_secret").is_none());
    assert!(body.get("client_secret_expires_at").is_none());
    let client_id = reg.client.client_id.clone();

    // RFC 9700 section 2.1.1: no PKCE, no code for a public client.
    let q = authorize(&f, &client_id, false);
    assert_eq!(q.get("error"), Some("invalid_request"));
    assert!(q.get("code").is_none());

    let q = authorize(&f, &client_id, true);
    assert_eq!(q.get("iss"), Some(ISSUER));
    assert_eq!(q.get("state"), Some("st-1"));
    let tokens = f
        .authority
        .token(&code_request(&client_id, q.get("code").unwrap()))
        .await
        .unwrap();
    let claims = access_claims(&f, tokens.access_token.expose_secret());
    assert_eq!(claims.str("scope"), Some("mcp:read"));
    assert!(tokens.refresh_token.is_some());

    // A resource the policy does not offer is refused.
    let session = f
        .authority
        .sign_in(&Credentials::password("sarah", PASSWORD))
        .unwrap();
    let params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("resource", "https://other.example/mcp"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let q = redirect_query(f.authority.authorize(&params, Some(&session)).unwrap());
    assert_eq!(q.get("error"), Some("invalid_target"));
}

#[test]
fn every_metadata_error_is_refused_and_stores_nothing() {
    let f = fixture(policy().auth_methods([
        ClientAuthMethod::None,
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::PrivateKeyJwt,
    ]));
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let public = serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap();
    let mut private = public.clone();
    private["d"] = json!("AAAA");
    let r = json!([REDIRECT]);
    let cases: Vec<(Value, &str)> = vec![
        // Redirect URIs (RFC 7591 section 2, RFC 6749 section 3.1.2, RFC 8252 section 7.3).
        (json!({}), "invalid_redirect_uri"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({"redirect_uris": REDIRECT}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["/cb"]}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["https://app.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["http://app.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://u:p@app.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": [""]}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": [REDIRECT, 7]}),
            "invalid_redirect_uri",
        ),
        // Authentication methods (section 2).
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "client_secret_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "client_secret_post"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": 1}),
            "invalid_client_metadata",
        ),
        // Grant and response types (sections 2 and 2.1).
        (
            json!({"redirect_uris": r, "grant_types": ["implicit"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "grant_types": ["refresh_token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "grant_types": "authorization_code"}),
            "invalid_client_metadata",
        ),
        (
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "response_types": ["code id_token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "response_types": []}),
            "invalid_client_metadata",
        ),
        (
            json!({"grant_types": ["client_credentials"], "response_types": ["code"]}),
            "invalid_client_metadata",
        ),
        // Scope (section 2): only what the policy offers.
        (
            json!({"redirect_uris": r, "scope": "mcp:admin"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "scope": "mcp:read  mcp:write"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "scope": ["mcp:read"]}),
            "invalid_client_metadata",
        ),
        // Keys (section 2).
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://app.example/jwks"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [public]}, "jwks_uri": "https://app.example/jwks"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [private]}}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": []}}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "token_endpoint_auth_method": "private_key_jwt", "jwks": "{}"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "jwks": {"keys": [public]}}),
            "invalid_client_metadata",
        ),
        // Informational members.
        (
            json!({"redirect_uris": r, "client_name": ""}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "client_name": "x".repeat(300)}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "client_name": "line\nbreak"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "client_name": 5}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "client_uri": "javascript:alert(1)"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "logo_uri": "not a url"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "contacts": "ops@client.example"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": r, "post_logout_redirect_uris": ["http://app.example/bye"]}),
            "invalid_client_metadata",
        ),
        // Software statements (section 3.1.1): none is approved here.
        (
            json!({"redirect_uris": r, "software_statement": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}),
            "unapproved_software_statement",
        ),
        // Not an object.
        (json!([1, 2]), "invalid_client_metadata"),
        (json!("text"), "invalid_client_metadata"),
    ];
    let before = client_count(&f);
    for (body, code) in &cases {
        let err = register(&f, body).unwrap_err();
        assert_eq!(err.code(), *code, "{body}: {err}");
        assert_eq!(err.status(), 400);
        assert_eq!(err.to_json()["error"], *code);
    }
    for garbage in [&b"{"[..], b"", b"\xff\xfe", b"null"] {
        let err = f.authority.register_dynamic(garbage, None).unwrap_err();
        assert_eq!(err.code(), "invalid_client_metadata");
    }
    assert_eq!(
        client_count(&f),
        before,
        "a refused registration stores nothing"
    );
    let denied = f
        .audit
        .events()
        .iter()
        .filter(|e| e.action == AuditAction::AgentLifecycle && e.outcome == Outcome::Denied)
        .count();
    assert_eq!(denied, cases.len() + 4);
}

#[tokio::test]
async fn private_key_jwt_client_registers_for_client_credentials() {
    let f = fixture(policy());
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks =
        json!({"keys": [serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap()]});
    let reg = register(
        &f,
        &json!({
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": jwks,
        }),
    )
    .unwrap();
    let body = reg.to_json(&f.authority);
    assert_eq!(body["response_types"], json!([]));
    assert_eq!(body["jwks"], jwks);
    assert!(body.get("client_secret").is_none());
    let id = reg.client.client_id.clone();
    let mut c = Claims::new();
    c.iss = Some(id.clone());
    c.sub = Some(id.clone());
    c.aud = vec![ISSUER.into()];
    c.iat = Some(NOW);
    c.exp = Some(NOW + 60);
    c.jti = Some("a-1".into());
    let assertion = sign_compact(&key, None, &c).unwrap();
    let tokens = f
        .authority
        .token(&TokenRequest::new(Params::from_pairs([
            ("grant_type", "client_credentials"),
            ("scope", "mcp:write"),
            ("resource", RESOURCE),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", assertion.expose_secret()),
        ])))
        .await
        .unwrap();
    assert_eq!(
        access_claims(&f, tokens.access_token.expose_secret()).str("scope"),
        Some("mcp:write")
    );
}

#[test]
fn initial_access_token_gates_registration() {
    let f = fixture(RegistrationPolicy::with_initial_access_token(INITIAL_TOKEN));
    let body =
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}).to_string();
    let before = client_count(&f);
    for bearer in [None, Some("wrong-token"), Some("")] {
        let err = f
            .authority
            .register_dynamic(body.as_bytes(), bearer)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_token");
        assert_eq!(err.status(), 401);
    }
    assert_eq!(client_count(&f), before);
    f.authority
        .register_dynamic(body.as_bytes(), Some(INITIAL_TOKEN))
        .unwrap();
    assert_eq!(client_count(&f), before + 1);

    // Without a policy there is no registration at all.
    let closed = build(Authority::builder(ISSUER));
    let err = closed
        .authority
        .register_dynamic(body.as_bytes(), Some(INITIAL_TOKEN))
        .unwrap_err();
    assert_eq!(err, RegistrationError::Disabled);
    assert!(
        closed
            .authority
            .metadata()
            .get("registration_endpoint")
            .is_none()
    );
    assert_eq!(
        f.authority.metadata()["registration_endpoint"],
        format!("{ISSUER}/register")
    );
}

#[tokio::test]
async fn issued_secrets_expire_when_the_policy_says_so() {
    let f = fixture(policy().secret_ttl(3600));
    let reg = register(
        &f,
        &json!({
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic",
        }),
    )
    .unwrap();
    let body = reg.to_json(&f.authority);
    assert_eq!(body["client_secret_expires_at"], NOW + 3600);
    let id = reg.client.client_id.clone();
    let secret = reg.client_secret.clone().unwrap();
    let request = || {
        TokenRequest::new(Params::from_pairs([
            ("grant_type", "client_credentials"),
            ("scope", "mcp:read"),
        ]))
        .basic(&id, secret.expose_secret())
    };
    f.authority.token(&request()).await.unwrap();
    f.clock.advance(3600);
    let err = f.authority.token(&request()).await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidClient);
    assert_eq!(err.description(), "the client secret expired");
}

#[test]
fn registration_reads_back_with_its_access_token_only() {
    let f = fixture(policy());
    let a = register(
        &f,
        &json!({"redirect_uris": [REDIRECT], "client_name": "A"}),
    )
    .unwrap();
    let b = register(
        &f,
        &json!({"redirect_uris": [REDIRECT], "client_name": "B"}),
    )
    .unwrap();
    let token_a = a.registration_access_token.expose_secret();
    let read = f
        .authority
        .read_registration(&a.client.client_id, Some(token_a))
        .unwrap();
    assert_eq!(read["client_name"], "A");
    assert_eq!(read["registration_access_token"], token_a);
    assert!(
        read.get("client_secret").is_none(),
        "only its digest is kept"
    );
    for (id, token) in [
        (a.client.client_id.as_str(), None),
        (a.client.client_id.as_str(), Some("wrong")),
        (b.client.client_id.as_str(), Some(token_a)),
        ("no-such-client", Some(token_a)),
    ] {
        let err = f.authority.read_registration(id, token).unwrap_err();
        assert_eq!(err.code(), "invalid_token");
    }
}

#[tokio::test]
async fn http_face_registers_reads_back_and_answers_errors() {
    let (listener, issuer) = common::bind().await;
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .registration(RegistrationPolicy::with_initial_access_token(INITIAL_TOKEN))
        .build()
        .unwrap();
    let a = authority.clone();
    tokio::spawn(async move { axum::serve(listener, http::router(a)).await.unwrap() });
    let http = reqwest::Client::new();

    let meta: Value = http
        .get(format!("{issuer}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = meta["registration_endpoint"].as_str().unwrap().to_owned();
    assert_eq!(endpoint, format!("{issuer}/register"));

    let body =
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post"});
    let post = |token: Option<&str>, content_type: &str, body: String| {
        let mut request = http
            .post(&endpoint)
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send()
    };

    let refused = post(None, "application/json", body.to_string())
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let refused = post(Some(INITIAL_TOKEN), "text/plain", body.to_string())
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"], "invalid_client_metadata");
    let refused = post(
        Some(INITIAL_TOKEN),
        "application/json",
        json!({"redirect_uris": ["http://evil.example/cb"]}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"], "invalid_redirect_uri");

    let created = post(
        Some(INITIAL_TOKEN),
        "application/json; charset=utf-8",
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_post");
    let client_id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();

    // The new client authenticates at the token endpoint at once (client_secret_post).
    let introspected = http
        .post(format!("{issuer}/introspect"))
        .form(&[
            ("token", "not-a-token"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(introspected.status(), 200);

    let uri = created["registration_client_uri"].as_str().unwrap();
    let token = created["registration_access_token"].as_str().unwrap();
    let read = http.get(uri).bearer_auth(token).send().await.unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["client_id"], client_id);
    let wrong = http.get(uri).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("www-authenticate"));

    // An authority without a policy has no endpoint.
    let (listener, closed_issuer) = common::bind().await;
    let closed = Authority::builder(&closed_issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, http::router(closed)).await.unwrap() });
    let response = http
        .post(format!("{closed_issuer}/register"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn registered_client_survives_a_restart_on_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "agent-auth-dcr-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("authority.sqlite");
    let open = || {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        build(
            Authority::builder(ISSUER)
                .registration(policy())
                .store(store),
        )
    };
    let (client_id, token) = {
        let first = open();
        let reg = register(
            &first,
            &json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "CLI"}),
        )
        .unwrap();
        (
            reg.client.client_id.clone(),
            reg.registration_access_token.expose_secret().to_owned(),
        )
    };
    let second = open();
    let client = second.authority.client(&client_id).unwrap().unwrap();
    assert_eq!(client.name.as_deref(), Some("CLI"));
    assert_eq!(client.issued_at, Some(NOW));
    let read = second
        .authority
        .read_registration(&client_id, Some(&token))
        .unwrap();
    assert_eq!(read["client_name"], "CLI");
    let q = authorize(&second, &client_id, true);
    second
        .authority
        .token(&code_request(&client_id, q.get("code").unwrap()))
        .await
        .unwrap();
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn no_registration_secret_reaches_logs_debug_or_audit() {
    let capture = log_capture::Capture::default();
    let _guard = capture.install();
    let f = fixture(
        RegistrationPolicy::with_initial_access_token(INITIAL_TOKEN)
            .scopes(["mcp:read"])
            .grant_types(["client_credentials"]),
    );
    let body = json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic", "scope": "mcp:read"});
    let wrong = f
        .authority
        .register_dynamic(
            body.to_string().as_bytes(),
            Some("wrong-initial-token-value"),
        )
        .unwrap_err();
    tracing::info!(?wrong, "refused");
    let reg = f
        .authority
        .register_dynamic(body.to_string().as_bytes(), Some(INITIAL_TOKEN))
        .unwrap();
    tracing::info!(?reg, policy = ?RegistrationPolicy::with_initial_access_token(INITIAL_TOKEN), "registered");
    let secret = reg.client_secret.clone().unwrap();
    let bad = f
        .authority
        .token(
            &TokenRequest::new(Params::from_pairs([("grant_type", "client_credentials")]))
                .basic(&reg.client.client_id, "wrong-secret-value-0123456789"),
        )
        .await
        .unwrap_err();
    tracing::info!(?bad, "refused");
    let audit = format!("{:?}", f.audit.events());
    let logs = capture.text();
    assert!(logs.contains("registered"), "the capture works");
    for value in [
        secret.expose_secret(),
        reg.registration_access_token.expose_secret(),
        INITIAL_TOKEN,
        "wrong-initial-token-value",
        "wrong-secret-value-0123456789",
    ] {
        assert!(!logs.contains(value), "a secret reached the logs");
        assert!(!audit.contains(value), "a secret reached the audit");
        assert!(!wrong.to_string().contains(value));
        assert!(!bad.to_string().contains(value));
    }
}
