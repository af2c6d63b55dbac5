//! Global Token Revocation (draft-parecki-oauth-global-token-revocation-06)
//! over HTTP: callers, subject formats, the answers of section 3.4, and what
//! a revocation does (section 3.3).

use crate::support::*;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::{KeySource, StaticKeys};
use reference_authority::*;
use serde_json::{Value, json};
use std::sync::Arc;

const IDP: &str = "https://login.acme-idp.example";

async fn post(f: &Fixture, token: Option<&str>, body: &str) -> u16 {
    let mut req = f
        .http
        .post(f.url("/global-token-revocation"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn operator(f: &Fixture) -> String {
    f.client_token(OPERATOR, OPERATOR_SECRET, "global_token_revocation")
        .await
}

#[tokio::test]
async fn the_endpoint_and_its_subject_formats_are_in_the_metadata() {
    let f = fixture().await;
    let meta: Value = f
        .http
        .get(f.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["global_token_revocation_endpoint"],
        f.url("/global-token-revocation")
    );
    assert_eq!(
        meta["global_token_revocation_endpoint_auth_methods_supported"],
        json!(["private_key_jwt", "Bearer"])
    );
    assert!(
        meta["global_token_revocation_subject_formats_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("email"))
    );
}

#[tokio::test]
async fn revocation_by_each_subject_format_revokes_refresh_tokens_sessions_and_access_tokens() {
    let f = fixture().await;
    let token = operator(&f).await;
    let cases = [
        (
            "user-sarah",
            json!({"format": "iss_sub", "iss": f.base, "sub": "user-sarah"}),
        ),
        (
            "user-bob",
            json!({"format": "email", "email": "BOB@acme.example"}),
        ),
        (
            "user-carol",
            json!({"format": "account", "uri": "acct:carol@acme.example"}),
        ),
    ];
    for (user, sub_id) in cases {
        let name = user.trim_start_matches("user-");
        let session = f
            .authority
            .sign_in(&Credentials::password(name, "correct horse battery"))
            .unwrap();
        let (at, rt) = f.user_tokens(AGENT, user);
        assert_eq!(
            post(&f, Some(&token), &json!({"sub_id": sub_id}).to_string()).await,
            204,
            "{user}"
        );
        assert!(f.authority.verify_access_token(&at).is_err());
        assert!(f.authority.refresh_token_grant(&rt, AGENT).is_none());
        // Section 3.3: the user must authenticate again.
        assert!(f.authority.session(&session).is_none());
    }
    // `opaque` and `phone_number`, and the `subject` spelling.
    let (at, _) = f.user_tokens(AGENT, "user-sarah");
    assert_eq!(
        post(
            &f,
            Some(&token),
            &json!({"subject": {"format": "opaque", "id": "user-sarah"}}).to_string()
        )
        .await,
        204
    );
    assert!(f.authority.verify_access_token(&at).is_err());
    let (at, _) = f.user_tokens(AGENT, "user-carol");
    assert_eq!(
        post(
            &f,
            Some(&token),
            &json!({"sub_id": {"format": "phone_number", "phone_number": "+15550000002"}})
                .to_string()
        )
        .await,
        204
    );
    assert!(f.authority.verify_access_token(&at).is_err());
}

#[tokio::test]
async fn refused_requests_answer_the_drafts_status_and_change_nothing() {
    let f = fixture().await;
    let token = operator(&f).await;
    let (at, _) = f.user_tokens(AGENT, "user-sarah");
    let sarah = json!({"sub_id": {"format": "opaque", "id": "user-sarah"}}).to_string();
    // 401: no credential, or a bad one.
    assert_eq!(post(&f, None, &sarah).await, 401);
    assert_eq!(post(&f, Some("garbage"), &sarah).await, 401);
    // 403: a token of the authority without the revocation scope (section 7.1).
    let ssf = f.receiver_token().await;
    assert_eq!(post(&f, Some(&ssf), &sarah).await, 403);
    // 400: malformed, both spellings, unsupported format, not JSON.
    for body in [
        "{".to_owned(),
        json!({"sub_id": {"format": "opaque"}}).to_string(),
        json!({"sub_id": {"format": "opaque", "id": "user-sarah"}, "subject": {"format": "opaque", "id": "user-bob"}}).to_string(),
        json!({"sub_id": {"format": "did", "url": "did:example:123"}}).to_string(),
        json!({"sub_id": {"format": "carrier-pigeon", "id": "x"}}).to_string(),
        json!({}).to_string(),
    ] {
        assert_eq!(post(&f, Some(&token), &body).await, 400, "{body}");
    }
    let form = f
        .http
        .post(f.url("/global-token-revocation"))
        .bearer_auth(&token)
        .form(&[("sub_id", "user-sarah")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400);
    // 404: unknown users, and an iss_sub of another issuer.
    for sub_id in [
        json!({"format": "opaque", "id": "user-nobody"}),
        json!({"format": "email", "email": "nobody@acme.example"}),
        json!({"format": "iss_sub", "iss": "https://elsewhere.example", "sub": "user-sarah"}),
    ] {
        assert_eq!(
            post(&f, Some(&token), &json!({"sub_id": sub_id}).to_string()).await,
            404
        );
    }
    assert!(f.authority.verify_access_token(&at).is_ok());
}

struct Idp {
    key: SigningKey,
    jti: std::cell::Cell<u32>,
}

impl Idp {
    fn new() -> Self {
        Self {
            key: SigningKey::generate(Algorithm::Es256)
                .unwrap()
                .with_kid("idp-1"),
            jti: std::cell::Cell::new(0),
        }
    }

    fn keys(&self) -> Arc<dyn KeySource> {
        let jwks = json!({"keys": [serde_json::to_value(self.key.verifying_key().to_jwk().unwrap()).unwrap()]});
        Arc::new(StaticKeys::from_jwks(jwks.to_string().as_bytes()).unwrap())
    }

    /// A section 3.5 assertion; `edit` changes its claims.
    fn assertion(&self, f: &Fixture, edit: impl Fn(&mut serde_json::Map<String, Value>)) -> String {
        self.jti.set(self.jti.get() + 1);
        let mut claims = json!({
            "iss": IDP,
            "sub": "acme-integration",
            "aud": f.url("/global-token-revocation"),
            "jti": format!("a-{}", self.jti.get()),
            "iat": NOW,
            "exp": NOW + 300,
        })
        .as_object()
        .unwrap()
        .clone();
        edit(&mut claims);
        sign_compact(&self.key, Some("global-token-revocation+jwt"), &claims)
            .unwrap()
            .expose_secret()
            .to_owned()
    }
}

#[tokio::test]
async fn an_identity_provider_revokes_its_own_users_with_a_signed_jwt_once() {
    let f = fixture().await;
    let idp = Idp::new();
    let gtr = f.gtr.clone().trust_idp(IDP, idp.keys(), "acme-idp");
    f.authority
        .link_identity("acme-idp", "idp-sarah", "user-sarah")
        .unwrap();
    let headers = |t: &str| {
        let mut h = axum::http::HeaderMap::new();
        h.insert("authorization", format!("Bearer {t}").parse().unwrap());
        h.insert("content-type", "application/json".parse().unwrap());
        h
    };
    let by_idp_sub =
        json!({"sub_id": {"format": "iss_sub", "iss": IDP, "sub": "idp-sarah"}}).to_string();
    let (at, _) = f.user_tokens(AGENT, "user-sarah");
    let jwt = idp.assertion(&f, |_| {});
    assert_eq!(gtr.revoke(&headers(&jwt), by_idp_sub.as_bytes()).await, 204);
    assert!(f.authority.verify_access_token(&at).is_err());
    // Section 3.5: the same jti is refused.
    assert_eq!(gtr.revoke(&headers(&jwt), by_idp_sub.as_bytes()).await, 401);
    // Bob does not log in through this IdP: not found for it (section 7.2).
    let bob = json!({"sub_id": {"format": "opaque", "id": "user-bob"}}).to_string();
    assert_eq!(
        gtr.revoke(&headers(&idp.assertion(&f, |_| {})), bob.as_bytes())
            .await,
        404
    );
    // Wrong audience, expired, too long-lived, no sub: 401.
    for edit in [
        (|c: &mut serde_json::Map<String, Value>| {
            c.insert(
                "aud".into(),
                "https://other.example/global-token-revocation".into(),
            );
        }) as fn(&mut serde_json::Map<String, Value>),
        |c| {
            c.insert("exp".into(), (NOW - 1).into());
        },
        |c| {
            c.insert("exp".into(), (NOW + 3600).into());
        },
        |c| {
            c.remove("sub");
        },
    ] {
        assert_eq!(
            gtr.revoke(&headers(&idp.assertion(&f, edit)), by_idp_sub.as_bytes())
                .await,
            401
        );
    }
    // Signed by another key: 401.
    let stranger = Idp::new();
    assert_eq!(
        gtr.revoke(
            &headers(&stranger.assertion(&f, |_| {})),
            by_idp_sub.as_bytes()
        )
        .await,
        401
    );
}
