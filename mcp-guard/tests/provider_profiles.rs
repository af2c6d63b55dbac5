//! Access-token profiles per issuer: each preset accepts its provider's
//! documented access-token shape, maps it onto the principal, refuses the same
//! provider's ID token, and keeps every signature, issuer, audience and time
//! check of the strict profile. Token shapes follow each vendor's documented
//! examples (cited at each test).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::ValidationError;
use mcp_guard::{Principal, ResourceUri, TokenProfile, TokenVerifier, TrustedIssuer, VerifyError};
use serde_json::{Value, json};
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;
const RESOURCE: &str = "https://mcp.example/mcp";
const AUTH0: &str = "https://my-domain.auth0.com/";
const OKTA_CUSTOM: &str = "https://dev-123.okta.com/oauth2/default";
const OKTA_ORG: &str = "https://dev-123.okta.com";
const KEYCLOAK: &str = "https://sso.example/realms/acme";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const API_APP_ID: &str = "6e74172b-be56-4843-9ff4-e66a39bb12e3";

struct Setup {
    key: SigningKey,
}

impl Setup {
    fn new() -> Self {
        Self {
            key: SigningKey::generate(Algorithm::Rs256)
                .unwrap()
                .with_kid("k1"),
        }
    }

    fn issuer(&self, iss: &str, profile: TokenProfile) -> TrustedIssuer {
        TrustedIssuer::with_key(iss, self.key.verifying_key().clone()).profile(profile)
    }

    fn verifier(&self, issuer: TrustedIssuer) -> TokenVerifier {
        TokenVerifier::builder(ResourceUri::parse(RESOURCE).unwrap())
            .trust(issuer)
            .clock(Arc::new(ManualClock::new(NOW)))
            .no_verified_cache()
            .build()
            .unwrap()
    }

    fn sign(&self, typ: Option<&str>, claims: &Value) -> String {
        sign_compact(&self.key, typ, claims)
            .unwrap()
            .expose_secret()
            .to_owned()
    }
}

async fn accept(v: &TokenVerifier, token: &str) -> Principal {
    match v.verify(token).await {
        Ok(p) => p,
        Err(e) => panic!("refused: {e}"),
    }
}

fn is_profile_refusal(e: &VerifyError) -> bool {
    matches!(e, VerifyError::Jwt(ValidationError::Profile { .. }))
}

// Auth0 "Access Token Profiles", Auth0 profile sample token
// (auth0.com/docs/secure/tokens/access-tokens/access-token-profiles), with the
// API identifier set to the MCP server's resource URI and the `_authz`
// dialect's `permissions`.
fn auth0_access(extra: &[(&str, Value)]) -> Value {
    let mut c = json!({
        "iss": AUTH0,
        "sub": "auth0|123456",
        "aud": [RESOURCE, "https://my-domain.auth0.com/userinfo"],
        "azp": "my_client_id",
        "exp": NOW + 600,
        "iat": NOW,
        "scope": "openid profile read:patients read:admin",
        "permissions": ["read:patients", "read:admin"],
        "my_custom_claim": "my_custom_value"
    });
    for (k, v) in extra {
        c[*k] = v.clone();
    }
    c
}

#[tokio::test]
async fn auth0_default_dialect_maps_azp_scope_and_permissions() {
    let s = Setup::new();
    let v = s.verifier(s.issuer(AUTH0, TokenProfile::Auth0));
    let p = accept(&v, &s.sign(Some("JWT"), &auth0_access(&[]))).await;
    assert_eq!(p.subject.as_deref(), Some("auth0|123456"));
    assert_eq!(p.client_id.as_deref(), Some("my_client_id"));
    assert!(p.has_scope("read:patients"));
    assert!(p.has_role("read:admin"));
}

// Auth0 "ID Token Structure" sample: `aud` is the application's client ID.
#[tokio::test]
async fn auth0_preset_refuses_an_auth0_id_token() {
    let s = Setup::new();
    let v = s.verifier(s.issuer(AUTH0, TokenProfile::Auth0));
    let id_token = json!({
        "iss": AUTH0, "sub": "auth0|123456", "aud": "my_client_id",
        "exp": NOW + 600, "iat": NOW, "name": "Jane Doe", "nonce": "n-0S6_WzA2Mj"
    });
    assert_eq!(
        v.verify(&s.sign(Some("JWT"), &id_token)).await.err(),
        Some(VerifyError::Jwt(ValidationError::WrongAudience))
    );
    // Even an ID token whose audience were the API is refused: no `azp`, a `nonce`.
    let mut aimed = id_token.clone();
    aimed["aud"] = json!(RESOURCE);
    let e = v.verify(&s.sign(Some("JWT"), &aimed)).await.unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
    // And one with `azp` still carries the ID token's `nonce`.
    aimed["azp"] = json!("my_client_id");
    let e = v.verify(&s.sign(Some("JWT"), &aimed)).await.unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
    // `at_hash` exists only in ID tokens.
    let hashed = auth0_access(&[("at_hash", json!("77QmUPtjPfzWtF2AnpK9RQ"))]);
    let e = v.verify(&s.sign(Some("JWT"), &hashed)).await.unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
}

// Auth0 "Access Token Profiles", RFC 9068 profile sample token.
#[tokio::test]
async fn auth0_rfc9068_dialect_is_the_strict_profile_with_permissions() {
    let s = Setup::new();
    let v = s.verifier(s.issuer(AUTH0, TokenProfile::Auth0Rfc9068));
    let token = json!({
        "iss": AUTH0, "sub": "auth0|123456",
        "aud": [RESOURCE, "https://my-domain.auth0.com/userinfo"],
        "client_id": "my_client_id", "exp": NOW + 600, "iat": NOW,
        "jti": "73WakrfVbNJBaAmhQtEeDv",
        "scope": "openid profile read:patients read:admin",
        "permissions": ["read:patients"]
    });
    let p = accept(&v, &s.sign(Some("at+jwt"), &token)).await;
    assert_eq!(p.client_id.as_deref(), Some("my_client_id"));
    assert!(p.has_role("read:patients"));
    // The default dialect's `typ: JWT` token is not an RFC 9068 token.
    assert!(matches!(
        v.verify(&s.sign(Some("JWT"), &auth0_access(&[]))).await,
        Err(VerifyError::Jwt(ValidationError::WrongType { .. }))
    ));
}

#[tokio::test]
async fn the_default_profile_stays_strict_rfc9068() {
    let s = Setup::new();
    let v = s.verifier(TrustedIssuer::with_key(
        AUTH0,
        s.key.verifying_key().clone(),
    ));
    assert!(matches!(
        v.verify(&s.sign(Some("JWT"), &auth0_access(&[]))).await,
        Err(VerifyError::Jwt(ValidationError::WrongType { .. }))
    ));
}

// Okta "OpenID Connect & OAuth 2.0 API", access token payload
// (developer.okta.com/docs/reference/api/oidc): `ver`, `jti` "AT...", `cid`,
// `uid`, `scp` array; the header has `kid` and `alg` only.
fn okta_access(iss: &str, aud: &str) -> Value {
    json!({
        "ver": 1, "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
        "iss": iss, "aud": aud, "iat": NOW, "exp": NOW + 3600,
        "cid": "0oaoesxtxmPf08QHk0h7", "uid": "00uid4BxXw6I6TV4m0g3",
        "scp": ["openid", "email", "mcp:crm:read"],
        "sub": "john.doe@example.com"
    })
}

#[tokio::test]
async fn okta_custom_authorization_server_maps_cid_uid_and_scp() {
    let s = Setup::new();
    let v = s.verifier(
        s.issuer(OKTA_CUSTOM, TokenProfile::Okta)
            .audiences(["api://default"]),
    );
    let p = accept(
        &v,
        &s.sign(None, &okta_access(OKTA_CUSTOM, "api://default")),
    )
    .await;
    assert_eq!(p.subject.as_deref(), Some("john.doe@example.com"));
    assert_eq!(p.client_id.as_deref(), Some("0oaoesxtxmPf08QHk0h7"));
    assert_eq!(p.scopes, ["openid", "email", "mcp:crm:read"]);
    assert_eq!(p.claim_str("uid"), Some("00uid4BxXw6I6TV4m0g3"));
    // The audience is still checked: a token for another API is refused.
    assert_eq!(
        v.verify(&s.sign(None, &okta_access(OKTA_CUSTOM, "api://other")))
            .await
            .err(),
        Some(VerifyError::Jwt(ValidationError::WrongAudience))
    );
}

#[tokio::test]
async fn okta_org_authorization_server_tokens_are_read_the_same_way() {
    let s = Setup::new();
    let v = s.verifier(s.issuer(OKTA_ORG, TokenProfile::Okta).audiences([OKTA_ORG]));
    let p = accept(&v, &s.sign(None, &okta_access(OKTA_ORG, OKTA_ORG))).await;
    assert_eq!(p.issuer, OKTA_ORG);
    assert!(p.has_scope("openid"));
}

// Okta ID token payload of the same reference: `aud` is the client, `amr`,
// `idp`, `at_hash`, no `cid` or `scp`.
#[tokio::test]
async fn okta_preset_refuses_an_okta_id_token() {
    let s = Setup::new();
    let v = s.verifier(
        s.issuer(OKTA_CUSTOM, TokenProfile::Okta)
            .audiences(["api://default", "0oaoesxtxmPf08QHk0h7"]),
    );
    let mut id_token = json!({
        "sub": "00uid4BxXw6I6TV4m0g3", "name": "John Doe", "ver": 1,
        "iss": OKTA_CUSTOM, "aud": "0oaoesxtxmPf08QHk0h7", "iat": NOW, "exp": NOW + 3600,
        "jti": "ID.4eAWJOCMB3SX8XewDfVR", "amr": ["pwd"], "idp": "00ok1u7AsAkrwdZL3z0g3",
        "preferred_username": "john.doe@example.com", "auth_time": NOW - 10
    });
    let e = v.verify(&s.sign(None, &id_token)).await.unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
    id_token["at_hash"] = json!("preview_at_hash");
    let e = v.verify(&s.sign(None, &id_token)).await.unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
}

// Keycloak access token: `typ` claim `Bearer`, `azp`, `aud` with `account` and
// the audience mapper's value, `realm_access`, `resource_access` (Keycloak
// Server Administration Guide, "Audience support"; roles client scope).
fn keycloak_token(typ: &str, aud: Value) -> Value {
    json!({
        "exp": NOW + 300, "iat": NOW, "jti": "onrtac:2b1e9c1a",
        "iss": KEYCLOAK, "aud": aud, "sub": "f1c4f64e-2c0c-4cda-8c9f-9f3f8f3a2b0e",
        "typ": typ, "azp": "crm-agent", "sid": "4c0a3a8a",
        "acr": "1", "allowed-origins": ["/*"],
        "realm_access": {"roles": ["default-roles-acme", "offline_access", "sales"]},
        "resource_access": {
            "mcp-crm": {"roles": ["reader"]},
            "account": {"roles": ["manage-account", "view-profile"]}
        },
        "scope": "openid email profile mcp:crm:read",
        "email_verified": true, "preferred_username": "sarah"
    })
}

#[tokio::test]
async fn keycloak_preset_maps_azp_scope_realm_and_client_roles() {
    let s = Setup::new();
    let v = s.verifier(s.issuer(
        KEYCLOAK,
        TokenProfile::keycloak_with_client_roles("mcp-crm"),
    ));
    let token = s.sign(
        Some("JWT"),
        &keycloak_token("Bearer", json!([RESOURCE, "account"])),
    );
    let p = accept(&v, &token).await;
    assert_eq!(p.client_id.as_deref(), Some("crm-agent"));
    assert!(p.has_scope("mcp:crm:read"));
    assert!(p.has_role("sales") && p.has_role("reader"));
    assert!(
        !p.has_role("manage-account"),
        "other clients' roles stay out"
    );
    // `account` alone is not this resource.
    let only_account = s.sign(Some("JWT"), &keycloak_token("Bearer", json!("account")));
    assert_eq!(
        v.verify(&only_account).await.err(),
        Some(VerifyError::Jwt(ValidationError::WrongAudience))
    );
}

#[tokio::test]
async fn keycloak_preset_refuses_a_keycloak_id_token_by_its_typ_claim() {
    let s = Setup::new();
    let v = s.verifier(s.issuer(KEYCLOAK, TokenProfile::keycloak()));
    for typ in ["ID", "Refresh", "Logout"] {
        let token = s.sign(Some("JWT"), &keycloak_token(typ, json!([RESOURCE])));
        let e = v.verify(&token).await.unwrap_err();
        assert!(is_profile_refusal(&e), "{typ}: {e}");
    }
}

// Entra ID "Access token claims reference"
// (learn.microsoft.com/entra/identity-platform/access-token-claims-reference):
// v1.0 issuer `https://sts.windows.net/{tid}/`, `appid`, `scp`; v2.0 issuer
// `https://login.microsoftonline.com/{tid}/v2.0`, `azp`, `azpacr`, `roles`.
fn entra_v1(aud: &str) -> Value {
    json!({
        "aud": aud, "iss": format!("https://sts.windows.net/{TENANT}/"),
        "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
        "acr": "1", "aio": "AVQAq/8T", "amr": ["pwd"],
        "appid": "75dbe77f-10a3-4e59-85fd-8c127544f17c", "appidacr": "0",
        "name": "Sarah", "oid": "00000000-0000-0000-0000-000000000001",
        "scp": "crm.read Files.Read", "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
        "tid": TENANT, "unique_name": "sarah@acme.example", "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "1.0"
    })
}

fn entra_v2_app_only() -> Value {
    json!({
        "aud": API_APP_ID, "iss": format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
        "aio": "E2ZgYJh", "azp": "75dbe77f-10a3-4e59-85fd-8c127544f17c", "azpacr": "1",
        "oid": "00000000-0000-0000-0000-000000000002", "rh": "0.AAAA",
        "roles": ["CRM.Read.All"], "sub": "00000000-0000-0000-0000-000000000002",
        "tid": TENANT, "uti": "pZxqUvHFXEm", "ver": "2.0"
    })
}

#[tokio::test]
async fn entra_v1_preset_maps_appid_scp_and_checks_tenant_and_version() {
    let s = Setup::new();
    let profile = TokenProfile::entra_v1(TENANT);
    let iss = profile.entra_issuer().unwrap();
    let v = s.verifier(s.issuer(&iss, profile).audiences(["api://crm-mcp"]));
    let p = accept(&v, &s.sign(Some("JWT"), &entra_v1("api://crm-mcp"))).await;
    assert_eq!(
        p.client_id.as_deref(),
        Some("75dbe77f-10a3-4e59-85fd-8c127544f17c")
    );
    assert_eq!(p.scopes, ["crm.read", "Files.Read"]);
    let mut other_tenant = entra_v1("api://crm-mcp");
    other_tenant["tid"] = json!("00000000-dead-beef-0000-000000000000");
    let e = v
        .verify(&s.sign(Some("JWT"), &other_tenant))
        .await
        .unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
}

#[tokio::test]
async fn entra_v2_preset_accepts_app_id_audience_and_maps_roles() {
    let s = Setup::new();
    let profile = TokenProfile::entra_v2(TENANT);
    let iss = profile.entra_issuer().unwrap();
    let v = s.verifier(
        s.issuer(&iss, profile)
            .audiences([API_APP_ID, "api://crm-mcp"]),
    );
    let p = accept(&v, &s.sign(Some("JWT"), &entra_v2_app_only())).await;
    assert_eq!(
        p.client_id.as_deref(),
        Some("75dbe77f-10a3-4e59-85fd-8c127544f17c")
    );
    assert!(p.has_role("CRM.Read.All"));
    assert!(p.scopes.is_empty());
    // A v1.0 token is not a v2.0 token, even from the right tenant.
    let mut v1_shaped = entra_v1(API_APP_ID);
    v1_shaped["iss"] = json!(iss);
    let e = v
        .verify(&s.sign(Some("JWT"), &v1_shaped))
        .await
        .unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
}

// Entra ID "ID token claims reference": `aud` is the client's application id,
// no `azp`/`appid`, a `nonce`. An API that signs users in itself gets ID
// tokens whose `aud` is its own application id: the preset still refuses them.
#[tokio::test]
async fn entra_v2_preset_refuses_an_entra_id_token_for_the_same_application() {
    let s = Setup::new();
    let profile = TokenProfile::entra_v2(TENANT);
    let iss = profile.entra_issuer().unwrap();
    let v = s.verifier(s.issuer(&iss, profile).audiences([API_APP_ID]));
    let mut id_token = json!({
        "aud": API_APP_ID, "iss": iss, "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
        "aio": "Df2UVXL1ix", "name": "Sarah", "nonce": "123523",
        "oid": "00000000-0000-0000-0000-000000000001",
        "preferred_username": "sarah@acme.example", "rh": "I", "roles": ["CRM.Read.All"],
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": TENANT,
        "uti": "AbC", "ver": "2.0"
    });
    let e = v.verify(&s.sign(Some("JWT"), &id_token)).await.unwrap_err();
    assert!(is_profile_refusal(&e), "{e}");
    id_token.as_object_mut().unwrap().remove("nonce");
    let e = v.verify(&s.sign(Some("JWT"), &id_token)).await.unwrap_err();
    assert!(is_profile_refusal(&e), "no azp: {e}");
}

/// A preset, its issuer, a token's claims, its header `typ` and the audiences.
type Case = (
    TokenProfile,
    String,
    Value,
    Option<&'static str>,
    Vec<&'static str>,
);

/// Every preset keeps the signature, issuer, audience and time checks.
#[tokio::test]
async fn no_preset_loosens_signature_issuer_audience_or_time() {
    let s = Setup::new();
    let stranger = Setup::new();
    let cases: Vec<Case> = vec![
        (
            TokenProfile::Auth0,
            AUTH0.into(),
            auth0_access(&[]),
            Some("JWT"),
            vec![RESOURCE],
        ),
        (
            TokenProfile::Okta,
            OKTA_CUSTOM.into(),
            okta_access(OKTA_CUSTOM, "api://default"),
            None,
            vec!["api://default"],
        ),
        (
            TokenProfile::keycloak(),
            KEYCLOAK.into(),
            keycloak_token("Bearer", json!([RESOURCE, "account"])),
            Some("JWT"),
            vec![RESOURCE],
        ),
        (
            TokenProfile::entra_v1(TENANT),
            format!("https://sts.windows.net/{TENANT}/"),
            entra_v1("api://crm-mcp"),
            Some("JWT"),
            vec!["api://crm-mcp"],
        ),
        (
            TokenProfile::entra_v2(TENANT),
            format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            entra_v2_app_only(),
            Some("JWT"),
            vec![API_APP_ID],
        ),
    ];
    for (profile, iss, claims, typ, audiences) in cases {
        let name = profile.name();
        let v = s.verifier(s.issuer(&iss, profile).audiences(audiences));
        accept(&v, &s.sign(typ, &claims)).await;
        // Signature by a key the issuer never published.
        assert!(
            v.verify(&stranger.sign(typ, &claims)).await.is_err(),
            "{name}: foreign key"
        );
        // Another issuer.
        let mut c = claims.clone();
        c["iss"] = json!("https://evil.example/");
        assert!(v.verify(&s.sign(typ, &c)).await.is_err(), "{name}: issuer");
        // Another audience.
        let mut c = claims.clone();
        c["aud"] = json!("https://other.example/api");
        assert_eq!(
            v.verify(&s.sign(typ, &c)).await.err(),
            Some(VerifyError::Jwt(ValidationError::WrongAudience)),
            "{name}: audience"
        );
        // Expired.
        let mut c = claims.clone();
        c["exp"] = json!(NOW - 1);
        assert_eq!(
            v.verify(&s.sign(typ, &c)).await.err(),
            Some(VerifyError::Jwt(ValidationError::Expired)),
            "{name}: expired"
        );
        // Not yet valid.
        let mut c = claims.clone();
        c["nbf"] = json!(NOW + 120);
        assert_eq!(
            v.verify(&s.sign(typ, &c)).await.err(),
            Some(VerifyError::Jwt(ValidationError::NotYetValid)),
            "{name}: nbf"
        );
        // An `at+jwt` header is not the provider shape.
        assert!(
            v.verify(&s.sign(Some("at+jwt"), &claims)).await.is_err(),
            "{name}: at+jwt under a provider preset"
        );
        // A bound token is never a bearer token.
        let mut c = claims.clone();
        c["cnf"] = json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"});
        assert_eq!(
            v.verify(&s.sign(typ, &c)).await.err(),
            Some(VerifyError::SenderConstrained),
            "{name}: cnf as bearer"
        );
    }
}
