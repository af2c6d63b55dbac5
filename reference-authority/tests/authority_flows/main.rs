//! The reference authority in process: code flow with PKCE, refresh rotation,
//! client credentials with private_key_jwt, revocation, introspection, step-up,
//! sessions, logout events, custom grants, and refusals that change nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, base64url, sign_compact};
use agent_auth::validate::{AccessToken, Claims, IdToken, Validator};
use reference_authority::*;
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
                .trusted_first_party()
                .name("Sales portal")
                .redirect_uri(REDIRECT)
                .post_logout_redirect_uri("https://portal.example/bye")
                .resources(["https://crm.example/mcp"]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::public("cli")
                .trusted_first_party()
                .redirect_uri("http://127.0.0.1:9/cb"),
        )
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

mod code_flow;
mod sessions;
mod tokens;
