//! RFC 9449 at the token endpoint: every numbered proof check of section 4.3
//! refuses the request and issues nothing; a good proof binds the access token
//! (`cnf.jkt`, `token_type` `DPoP`), refresh tokens of public clients are bound
//! to the key (section 5), `dpop_bound_access_tokens` clients must prove
//! (section 5.2), nonces are asked for and honoured (section 8), and the
//! metadata names the algorithms (section 5.1).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::dpop::DpopKey;
use agent_auth::jose::{Algorithm, SigningKey, base64url};
use reference_authority::*;
use serde_json::{Value, json};
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const TOKEN_URI: &str = "https://idp.example/token";
const SECRET: &str = "portal-secret-0123456789";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CLI_REDIRECT: &str = "http://127.0.0.1:9/cb";
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
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("agent", SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read"]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("always-dpop", SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read"])
                .dpop_bound_access_tokens(),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::public("cli")
                .trusted_first_party()
                .redirect_uri(CLI_REDIRECT),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("portal", SECRET)
                .trusted_first_party()
                .redirect_uri("https://portal.example/cb"),
        )
        .unwrap();
    Fixture {
        authority,
        clock,
        audit,
    }
}

fn cc(client: &str) -> TokenRequest {
    TokenRequest::new(Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("scope", "crm:read"),
    ]))
    .basic(client, SECRET)
}

fn proof(key: &DpopKey, nonce: Option<&str>) -> String {
    key.proof("POST", TOKEN_URI, None, nonce, NOW)
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64url::decode(payload).unwrap()).unwrap()
}

/// Signs `header.claims` with `key`, whatever they say.
fn forge(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let mut out = base64url::encode(header.to_string());
    out.push('.');
    out.push_str(&base64url::encode(claims.to_string()));
    let sig = key.sign(out.as_bytes()).unwrap();
    out.push('.');
    out.push_str(&base64url::encode(sig));
    out
}

fn good_parts(key: &SigningKey) -> (Value, Value) {
    let mut jwk = serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap();
    jwk.as_object_mut().unwrap().remove("kid");
    (
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}),
        json!({"jti": "j-1", "htm": "POST", "htu": TOKEN_URI, "iat": NOW}),
    )
}

async fn refused(f: &Fixture, proof: &str) -> OAuthError {
    let before = f.audit.events().len();
    let err = f
        .authority
        .token(&cc("agent").with_dpop_proof(proof))
        .await
        .unwrap_err();
    let events = f.audit.events();
    let denied = events
        .iter()
        .skip(before)
        .any(|e| e.action == AuditAction::TokenIssued && e.outcome == Outcome::Denied);
    assert!(denied, "the refusal is audited");
    assert!(
        !events
            .iter()
            .skip(before)
            .any(|e| e.action == AuditAction::TokenIssued && e.outcome == Outcome::Success),
        "nothing was issued"
    );
    err
}

fn is_invalid_proof(e: &OAuthError) -> bool {
    e.code().as_str() == "invalid_dpop_proof"
}

#[tokio::test]
async fn a_good_proof_binds_the_access_token_to_its_key() {
    let f = fixture();
    let key = DpopKey::generate().unwrap();
    let t = f
        .authority
        .token(&cc("agent").with_dpop_proof(proof(&key, None)))
        .await
        .unwrap();
    assert_eq!(t.token_type, "DPoP");
    let c = claims_of(t.access_token.expose_secret());
    assert_eq!(c["cnf"]["jkt"], key.thumbprint());
    let issued = f
        .audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::TokenIssued && e.outcome == Outcome::Success)
        .unwrap();
    assert_eq!(issued.details["dpop_jkt"], key.thumbprint());
    // Without a proof the token is a bearer token.
    let t = f.authority.token(&cc("agent")).await.unwrap();
    assert_eq!(t.token_type, "Bearer");
    assert!(
        claims_of(t.access_token.expose_secret())
            .get("cnf")
            .is_none()
    );
}

#[tokio::test]
async fn check_2_a_proof_that_is_not_a_jwt_is_refused() {
    let f = fixture();
    for bad in ["", "a.b", "not a jwt", "a.b.c.d"] {
        assert!(is_invalid_proof(&refused(&f, bad).await), "{bad}");
    }
}

#[tokio::test]
async fn check_3_a_proof_missing_a_claim_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    for name in ["jti", "htm", "htu", "iat"] {
        let (h, mut c) = good_parts(&key);
        c.as_object_mut().unwrap().remove(name);
        assert!(
            is_invalid_proof(&refused(&f, &forge(&key, &h, &c)).await),
            "{name}"
        );
    }
}

#[tokio::test]
async fn check_4_a_proof_of_another_type_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let (mut h, c) = good_parts(&key);
    h["typ"] = json!("JWT");
    assert!(is_invalid_proof(&refused(&f, &forge(&key, &h, &c)).await));
}

#[tokio::test]
async fn check_5_a_symmetric_or_unknown_algorithm_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    for alg in ["none", "HS256", "ES512"] {
        let (mut h, c) = good_parts(&key);
        h["alg"] = json!(alg);
        assert!(
            is_invalid_proof(&refused(&f, &forge(&key, &h, &c)).await),
            "{alg}"
        );
    }
}

#[tokio::test]
async fn check_6_a_proof_signed_by_another_key_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let other = SigningKey::generate(Algorithm::Es256).unwrap();
    let (h, c) = good_parts(&key);
    assert!(is_invalid_proof(&refused(&f, &forge(&other, &h, &c)).await));
}

#[tokio::test]
async fn check_7_a_proof_carrying_a_private_key_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let (mut h, c) = good_parts(&key);
    h["jwk"]["d"] = json!("c2VjcmV0");
    assert!(is_invalid_proof(&refused(&f, &forge(&key, &h, &c)).await));
}

#[tokio::test]
async fn check_8_a_proof_for_another_method_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let (h, mut c) = good_parts(&key);
    c["htm"] = json!("GET");
    assert!(is_invalid_proof(&refused(&f, &forge(&key, &h, &c)).await));
}

#[tokio::test]
async fn check_9_a_proof_for_another_uri_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    for htu in [
        "https://idp.example/par",
        "https://evil.example/token",
        "/token",
    ] {
        let (h, mut c) = good_parts(&key);
        c["htu"] = json!(htu);
        assert!(
            is_invalid_proof(&refused(&f, &forge(&key, &h, &c)).await),
            "{htu}"
        );
    }
}

#[tokio::test]
async fn check_10_and_section_8_the_server_nonce_is_asked_for_then_accepted() {
    let f = fixture();
    f.authority.require_dpop_nonce(300).unwrap();
    let key = DpopKey::generate().unwrap();
    let err = refused(&f, &proof(&key, None)).await;
    assert_eq!(err.code().as_str(), "use_dpop_nonce");
    let nonce = f.authority.dpop_nonce().unwrap();
    let wrong = refused(&f, &proof(&key, Some("not-the-nonce"))).await;
    assert_eq!(wrong.code().as_str(), "use_dpop_nonce");
    let t = f
        .authority
        .token(&cc("agent").with_dpop_proof(proof(&key, Some(&nonce))))
        .await
        .unwrap();
    assert_eq!(t.token_type, "DPoP");
}

#[tokio::test]
async fn check_11_a_stale_or_future_proof_is_refused() {
    let f = fixture();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    for iat in [NOW - 3600, NOW + 3600] {
        let (h, mut c) = good_parts(&key);
        c["iat"] = json!(iat);
        assert!(
            is_invalid_proof(&refused(&f, &forge(&key, &h, &c)).await),
            "{iat}"
        );
    }
    // The clock moves: a proof made an hour ago is stale now.
    let key = DpopKey::generate().unwrap();
    let old = proof(&key, None);
    f.clock.advance(3600);
    assert!(is_invalid_proof(&refused(&f, &old).await));
}

#[tokio::test]
async fn section_11_1_a_replayed_proof_is_refused() {
    let f = fixture();
    let key = DpopKey::generate().unwrap();
    let p = proof(&key, None);
    f.authority
        .token(&cc("agent").with_dpop_proof(p.clone()))
        .await
        .unwrap();
    assert!(is_invalid_proof(&refused(&f, &p).await));
}

#[tokio::test]
async fn section_5_2_a_dpop_bound_client_must_send_a_proof() {
    let f = fixture();
    let err = f.authority.token(&cc("always-dpop")).await.unwrap_err();
    assert!(is_invalid_proof(&err));
    let key = DpopKey::generate().unwrap();
    let t = f
        .authority
        .token(&cc("always-dpop").with_dpop_proof(proof(&key, None)))
        .await
        .unwrap();
    assert_eq!(t.token_type, "DPoP");
}

/// Code flow for `client` (public `cli` with PKCE, or confidential `portal`).
async fn code_tokens(f: &Fixture, client: &str, key: &DpopKey) -> TokenResponse {
    let redirect = if client == "cli" {
        CLI_REDIRECT
    } else {
        "https://portal.example/cb"
    };
    let session = f
        .authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect),
        ("scope", "openid offline_access"),
        ("state", "st"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let AuthorizeOutcome::Redirect(url) = f.authority.authorize(&params, Some(&session)).unwrap()
    else {
        panic!("expected a redirect");
    };
    let url = url::Url::parse(url.expose_secret()).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let mut request = TokenRequest::new(Params::from_pairs([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", VERIFIER),
        ("client_id", client),
    ]));
    if client == "portal" {
        request = request.basic("portal", SECRET);
    }
    f.authority
        .token(&request.with_dpop_proof(proof(key, None)))
        .await
        .unwrap()
}

fn refresh(client: &str, refresh_token: &str) -> TokenRequest {
    let r = TokenRequest::new(Params::from_pairs([
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client),
    ]));
    if client == "portal" {
        r.basic("portal", SECRET)
    } else {
        r
    }
}

#[tokio::test]
async fn section_5_a_public_clients_refresh_token_is_bound_to_its_key() {
    let f = fixture();
    let key = DpopKey::generate().unwrap();
    let t = code_tokens(&f, "cli", &key).await;
    assert_eq!(t.token_type, "DPoP");
    let rt = t.refresh_token.unwrap();
    // Without a proof: refused, and the refresh token is still good.
    let err = f
        .authority
        .token(&refresh("cli", rt.expose_secret()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
    // A proof by another key: refused, still nothing changed.
    let thief = DpopKey::generate().unwrap();
    let err = f
        .authority
        .token(&refresh("cli", rt.expose_secret()).with_dpop_proof(proof(&thief, None)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidGrant);
    // The right key refreshes, and the new access token is bound to it.
    let t2 = f
        .authority
        .token(&refresh("cli", rt.expose_secret()).with_dpop_proof(proof(&key, None)))
        .await
        .unwrap();
    assert_eq!(
        claims_of(t2.access_token.expose_secret())["cnf"]["jkt"],
        key.thumbprint()
    );
}

#[tokio::test]
async fn section_5_a_confidential_client_may_refresh_with_a_new_key() {
    let f = fixture();
    let key = DpopKey::generate().unwrap();
    let t = code_tokens(&f, "portal", &key).await;
    let rt = t.refresh_token.unwrap();
    let next = DpopKey::generate().unwrap();
    let t2 = f
        .authority
        .token(&refresh("portal", rt.expose_secret()).with_dpop_proof(proof(&next, None)))
        .await
        .unwrap();
    assert_eq!(
        claims_of(t2.access_token.expose_secret())["cnf"]["jkt"],
        next.thumbprint()
    );
}

#[tokio::test]
async fn section_6_2_introspection_returns_the_binding() {
    let f = fixture();
    let key = DpopKey::generate().unwrap();
    let t = f
        .authority
        .token(&cc("agent").with_dpop_proof(proof(&key, None)))
        .await
        .unwrap();
    let answer = f
        .authority
        .introspect(
            &TokenRequest::new(Params::from_pairs([(
                "token",
                t.access_token.expose_secret(),
            )]))
            .basic("agent", SECRET),
        )
        .unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["token_type"], "DPoP");
    assert_eq!(answer["cnf"]["jkt"], key.thumbprint());
}

#[tokio::test]
async fn section_5_1_metadata_names_the_proof_algorithms() {
    let f = fixture();
    let m = f.authority.metadata();
    assert_eq!(
        m["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA", "PS256", "RS256"])
    );
}

#[tokio::test]
async fn check_1_and_section_8_over_http() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let f = fixture();
    f.authority.require_dpop_nonce(300).unwrap();
    let app = reference_authority::http::router(f.authority.clone());
    let key = DpopKey::generate().unwrap();
    let body = "grant_type=client_credentials&scope=crm%3Aread";
    let basic = format!(
        "Basic {}",
        base64_simd::STANDARD.encode_to_string(format!("agent:{SECRET}"))
    );
    let send = |proofs: Vec<String>| {
        let mut r = Request::post("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", basic.clone());
        for p in proofs {
            r = r.header("dpop", p);
        }
        app.clone().oneshot(r.body(Body::from(body)).unwrap())
    };
    // Check 1: two proofs.
    let r = send(vec![proof(&key, None), proof(&key, None)])
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: Value =
        serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap())
            .unwrap();
    assert_eq!(b["error"], "invalid_dpop_proof");
    // Section 8: no nonce, then the one the answer carries.
    let r = send(vec![proof(&key, None)]).await.unwrap();
    assert_eq!(r.status(), 400);
    let nonce = r.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let b: Value =
        serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap())
            .unwrap();
    assert_eq!(b["error"], "use_dpop_nonce");
    let r = send(vec![proof(&key, Some(&nonce))]).await.unwrap();
    assert_eq!(r.status(), 200);
    let b: Value =
        serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap())
            .unwrap();
    assert_eq!(b["token_type"], "DPoP");
}

fn userinfo_proof(key: &DpopKey, method: &str, token: &str) -> String {
    key.proof(
        method,
        "https://idp.example/userinfo",
        Some(token),
        None,
        NOW,
    )
    .unwrap()
    .expose_secret()
    .to_owned()
}

#[tokio::test]
async fn section_7_userinfo_takes_a_bound_token_only_with_its_proof() {
    let f = fixture();
    let key = DpopKey::generate().unwrap();
    let t = code_tokens(&f, "cli", &key).await;
    let token = t.access_token.expose_secret();
    // Section 7.2: not as a bearer token.
    let err = f.authority.userinfo(token).unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidToken);
    // With its proof: the user's claims.
    let answer = f
        .authority
        .userinfo_with_dpop(token, &userinfo_proof(&key, "GET", token), "GET")
        .unwrap();
    assert_eq!(answer["sub"], "user-sarah");
    // Another key's proof, or a proof for another method: refused.
    let thief = DpopKey::generate().unwrap();
    for (proof, method) in [
        (userinfo_proof(&thief, "GET", token), "GET"),
        (userinfo_proof(&key, "POST", token), "GET"),
    ] {
        let err = f
            .authority
            .userinfo_with_dpop(token, &proof, method)
            .unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_dpop_proof");
    }
    // An unbound token with the DPoP scheme: refused.
    let bearer = f.authority.token(&cc("agent")).await.unwrap();
    let unbound = bearer.access_token.expose_secret();
    let err = f
        .authority
        .userinfo_with_dpop(unbound, &userinfo_proof(&key, "GET", unbound), "GET")
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidToken);
}

#[tokio::test]
async fn section_7_1_userinfo_over_http_reads_the_dpop_scheme() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let f = fixture();
    let key = DpopKey::generate().unwrap();
    let t = code_tokens(&f, "cli", &key).await;
    let token = t.access_token.expose_secret().to_owned();
    let app = reference_authority::http::router(f.authority.clone());
    let get = |scheme: &str, proof: Option<String>| {
        let mut r = Request::get("/userinfo").header("authorization", format!("{scheme} {token}"));
        if let Some(p) = proof {
            r = r.header("dpop", p);
        }
        app.clone().oneshot(r.body(Body::empty()).unwrap())
    };
    let ok = get("DPoP", Some(userinfo_proof(&key, "GET", &token)))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let refused = get("Bearer", None).await.unwrap();
    assert_eq!(refused.status(), 401);
    let missing = get("DPoP", None).await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(
        missing.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("DPoP error=\"invalid_dpop_proof\"")
    );
}
