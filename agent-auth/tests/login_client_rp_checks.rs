//! The relying-party checks of the OpenID conformance suite's client modules,
//! each its own test: a crafted provider (a test double of the backend trait)
//! answers with one defect, and the login client must refuse it.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{ManualClock, SharedClock};
use agent_auth::jose::{Algorithm, SigningKey, base64url, left_half_hash};
use agent_auth::login::*;
use agent_auth::secret::SecretString;
use agent_auth::validate::{KeySource, StaticKeys};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const ISSUER: &str = "https://op.example";
const CLIENT: &str = "rp-client";
const NOW: i64 = 1_750_000_000;
const ACCESS_TOKEN: &str = "access-token-value-123";
const CODE: &str = "authorization-code-123";

#[derive(Debug)]
struct FakeOp {
    discovery_issuer: String,
    keys: Vec<agent_auth::jose::VerifyingKey>,
    token_body: Mutex<Value>,
    userinfo: Mutex<Value>,
}

#[async_trait::async_trait]
impl LoginBackend for FakeOp {
    async fn get_json(
        &self,
        url: &str,
        _bearer: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        let body = if url.ends_with("/.well-known/openid-configuration") {
            json!({
                "issuer": self.discovery_issuer,
                "authorization_endpoint": format!("{ISSUER}/authorize"),
                "token_endpoint": format!("{ISSUER}/token"),
                "jwks_uri": format!("{ISSUER}/jwks"),
                "userinfo_endpoint": format!("{ISSUER}/userinfo"),
                "authorization_response_iss_parameter_supported": true,
            })
        } else {
            self.userinfo.lock().unwrap().clone()
        };
        Ok(BackendResponse { status: 200, body })
    }

    async fn post_form(
        &self,
        _url: &str,
        _form: &[(String, SecretString)],
        _authorization: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        Ok(BackendResponse {
            status: 200,
            body: self.token_body.lock().unwrap().clone(),
        })
    }

    fn key_source(&self, _jwks_uri: &str) -> Result<Arc<dyn KeySource>, ClientError> {
        Ok(Arc::new(StaticKeys::new(self.keys.clone()).unwrap()))
    }
}

struct Setup {
    op: Arc<FakeOp>,
    key: SigningKey,
    config: LoginConfig,
}

fn setup() -> Setup {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let op = Arc::new(FakeOp {
        discovery_issuer: ISSUER.into(),
        keys: vec![key.verifying_key().clone()],
        token_body: Mutex::new(Value::Null),
        userinfo: Mutex::new(Value::Null),
    });
    Setup {
        op,
        key,
        config: LoginConfig::new(ISSUER, CLIENT, "https://rp.example/cb"),
    }
}

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(NOW))
}

/// A compact JWS with exactly this header.
fn jws(header: Value, claims: &Value, key: &SigningKey) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string()),
        base64url::encode(claims.to_string())
    );
    let sig = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", base64url::encode(sig))
}

fn good_claims(nonce: &str, alg: Algorithm) -> Value {
    json!({
        "iss": ISSUER, "sub": "user-1", "aud": CLIENT, "iat": NOW, "exp": NOW + 300,
        "nonce": nonce, "at_hash": left_half_hash(alg, ACCESS_TOKEN),
        "c_hash": left_half_hash(alg, CODE),
    })
}

/// Runs a login whose ID token is made by `make(nonce)`; the callback query is
/// adjusted by `query` (given state and the default query).
async fn login(
    s: &Setup,
    make: impl FnOnce(&str) -> String,
    query: impl FnOnce(&str) -> String,
) -> Result<LoginSession, ClientError> {
    let client = LoginClient::discover(s.op.clone(), s.config.clone(), clock()).await?;
    let req = client.authorization_request(&AuthOptions::default())?;
    let url = url::Url::parse(&req.url).unwrap();
    let nonce = url
        .query_pairs()
        .find(|(k, _)| k == "nonce")
        .unwrap()
        .1
        .into_owned();
    *s.op.token_body.lock().unwrap() = json!({
        "access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 300,
        "id_token": make(&nonce),
    });
    let default = format!(
        "code={CODE}&state={}&iss={}",
        req.pending.state,
        url::form_urlencoded::byte_serialize(ISSUER.as_bytes()).collect::<String>()
    );
    let q = query(&default);
    client.callback(&req.pending, &q).await
}

fn signed(s: &Setup, claims: Value) -> String {
    jws(json!({"alg": "ES256", "kid": s.key.kid()}), &claims, &s.key)
}

async fn refused_with(s: &Setup, make: impl FnOnce(&str) -> String) -> String {
    match login(s, make, str::to_owned).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("the login client accepted a defective ID token"),
    }
}

#[tokio::test]
async fn accepts_a_correct_login() {
    let s = setup();
    let session = login(
        &s,
        |n| signed(&s, good_claims(n, Algorithm::Es256)),
        str::to_owned,
    )
    .await
    .unwrap();
    assert_eq!(session.subject, "user-1");
    assert_eq!(session.tokens.expires_at, Some(NOW + 300));
    assert!(!format!("{session:?}").contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn rejects_invalid_es256_signature() {
    let s = setup();
    let other = SigningKey::generate(Algorithm::Es256).unwrap();
    let e = refused_with(&s, |n| {
        jws(
            json!({"alg": "ES256", "kid": s.key.kid()}),
            &good_claims(n, Algorithm::Es256),
            &other,
        )
    })
    .await;
    assert!(e.contains("invalid signature"), "{e}");
}

#[tokio::test]
async fn rejects_invalid_rs256_signature() {
    let mut s = setup();
    let rsa = SigningKey::generate(Algorithm::Rs256).unwrap();
    let forger = SigningKey::generate(Algorithm::Rs256).unwrap();
    Arc::get_mut(&mut s.op).unwrap().keys = vec![rsa.verifying_key().clone()];
    let e = refused_with(&s, |n| {
        jws(
            json!({"alg": "RS256", "kid": rsa.kid()}),
            &good_claims(n, Algorithm::Rs256),
            &forger,
        )
    })
    .await;
    assert!(e.contains("invalid signature"), "{e}");
}

#[tokio::test]
async fn rejects_hs256_signature() {
    let s = setup();
    let hmac = SigningKey::from_hmac_secret(b"client-secret-used-as-hmac-key-32b").unwrap();
    let e = refused_with(&s, |n| {
        jws(
            json!({"alg": "HS256", "kid": s.key.kid()}),
            &good_claims(n, Algorithm::Hs256),
            &hmac,
        )
    })
    .await;
    assert!(e.contains("not allowed"), "{e}");
}

#[tokio::test]
async fn rejects_alg_none() {
    for (signature, reason) in [("", "signature is empty"), ("c2ln", "alg")] {
        let s = setup();
        let e = refused_with(&s, |n| {
            format!(
                "{}.{}.{signature}",
                base64url::encode(json!({"alg": "none"}).to_string()),
                base64url::encode(good_claims(n, Algorithm::Es256).to_string())
            )
        })
        .await;
        assert!(e.contains(reason), "{e}");
    }
}

fn with(mut claims: Value, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    f(claims.as_object_mut().unwrap());
    claims
}

#[tokio::test]
async fn rejects_wrong_nonce() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.insert("nonce".into(), "another".into());
            }),
        )
    })
    .await;
    assert!(e.contains("nonce"), "{e}");
}

#[tokio::test]
async fn rejects_missing_nonce() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.remove("nonce");
            }),
        )
    })
    .await;
    assert!(e.contains("nonce"), "{e}");
}

#[tokio::test]
async fn rejects_wrong_issuer() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.insert("iss".into(), "https://evil.example".into());
            }),
        )
    })
    .await;
    assert!(e.contains("issuer"), "{e}");
}

#[tokio::test]
async fn rejects_wrong_audience() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.insert("aud".into(), "someone-else".into());
            }),
        )
    })
    .await;
    assert!(e.contains("audience"), "{e}");
}

#[tokio::test]
async fn rejects_missing_audience() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.remove("aud");
            }),
        )
    })
    .await;
    assert!(e.contains("aud"), "{e}");
}

#[tokio::test]
async fn rejects_untrusted_extra_audience_with_or_without_azp() {
    // OpenID Connect Core 3.1.3.7 step 3: an audience the client does not trust
    // spoils the token, even when `azp` names the client.
    for azp in [None, Some(CLIENT)] {
        let s = setup();
        let e = refused_with(&s, |n| {
            signed(
                &s,
                with(good_claims(n, Algorithm::Es256), |c| {
                    c.insert("aud".into(), json!([CLIENT, "untrusted-party"]));
                    if let Some(azp) = azp {
                        c.insert("azp".into(), json!(azp));
                    }
                }),
            )
        })
        .await;
        assert!(e.contains("audience that is not trusted"), "{azp:?}: {e}");
    }
}

#[tokio::test]
async fn rejects_wrong_at_hash() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.insert(
                    "at_hash".into(),
                    left_half_hash(Algorithm::Es256, "other").into(),
                );
            }),
        )
    })
    .await;
    assert!(e.contains("at_hash"), "{e}");
}

#[tokio::test]
async fn rejects_missing_at_hash_when_required() {
    let mut s = setup();
    s.config = s.config.require_at_hash(true);
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.remove("at_hash");
            }),
        )
    })
    .await;
    assert!(e.contains("at_hash"), "{e}");
}

#[tokio::test]
async fn rejects_wrong_c_hash() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.insert(
                    "c_hash".into(),
                    left_half_hash(Algorithm::Es256, "other").into(),
                );
            }),
        )
    })
    .await;
    assert!(e.contains("c_hash"), "{e}");
}

#[tokio::test]
async fn rejects_missing_c_hash_when_required() {
    let mut s = setup();
    s.config = s.config.require_c_hash(true);
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.remove("c_hash");
            }),
        )
    })
    .await;
    assert!(e.contains("c_hash"), "{e}");
}

#[tokio::test]
async fn rejects_missing_kid_with_several_keys() {
    let mut s = setup();
    let second = SigningKey::generate(Algorithm::Es256).unwrap();
    Arc::get_mut(&mut s.op).unwrap().keys = vec![
        s.key.verifying_key().clone(),
        second.verifying_key().clone(),
    ];
    let e = refused_with(&s, |n| {
        jws(
            json!({"alg": "ES256"}),
            &good_claims(n, Algorithm::Es256),
            &s.key,
        )
    })
    .await;
    assert!(e.contains("several keys"), "{e}");
}

#[tokio::test]
async fn rejects_a_key_not_in_the_jwks() {
    // Signing-key rotation the JWKS does not (yet) show: an unknown `kid` is refused.
    let s = setup();
    let rotated = SigningKey::generate(Algorithm::Es256).unwrap();
    let e = refused_with(&s, |n| {
        jws(
            json!({"alg": "ES256", "kid": rotated.kid()}),
            &good_claims(n, Algorithm::Es256),
            &rotated,
        )
    })
    .await;
    assert!(e.contains("no trusted key"), "{e}");
}

#[tokio::test]
async fn rejects_missing_iat() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.remove("iat");
            }),
        )
    })
    .await;
    assert!(e.contains("iat"), "{e}");
}

#[tokio::test]
async fn rejects_missing_sub() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.remove("sub");
            }),
        )
    })
    .await;
    assert!(e.contains("sub"), "{e}");
}

#[tokio::test]
async fn rejects_expired_id_token() {
    let s = setup();
    let e = refused_with(&s, |n| {
        signed(
            &s,
            with(good_claims(n, Algorithm::Es256), |c| {
                c.insert("iat".into(), (NOW - 7200).into());
                c.insert("exp".into(), (NOW - 3600).into());
            }),
        )
    })
    .await;
    assert!(e.contains("expired"), "{e}");
}

#[tokio::test]
async fn rejects_discovery_issuer_mismatch() {
    let mut s = setup();
    Arc::get_mut(&mut s.op).unwrap().discovery_issuer = "https://op.example/other".into();
    let e = LoginClient::discover(s.op.clone(), s.config.clone(), clock())
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Discovery(_)), "{e}");
}

#[tokio::test]
async fn rejects_userinfo_sub_mismatch() {
    let s = setup();
    let client = LoginClient::discover(s.op.clone(), s.config.clone(), clock())
        .await
        .unwrap();
    let session = login(
        &s,
        |n| signed(&s, good_claims(n, Algorithm::Es256)),
        str::to_owned,
    )
    .await
    .unwrap();
    *s.op.userinfo.lock().unwrap() = json!({"sub": "user-2", "email": "x@example"});
    assert_eq!(
        client.userinfo(&session).await.unwrap_err(),
        ClientError::UserInfo("`sub` differs from the ID token")
    );
    *s.op.userinfo.lock().unwrap() = json!({"sub": "user-1"});
    assert!(client.userinfo(&session).await.is_ok());
}

#[tokio::test]
async fn rejects_wrong_iss_in_the_authorization_response() {
    let s = setup();
    let e = login(
        &s,
        |n| signed(&s, good_claims(n, Algorithm::Es256)),
        |q| q.replace("op.example", "evil.example"),
    )
    .await
    .unwrap_err();
    assert_eq!(e, ClientError::Response("`iss` is not the expected issuer"));
}

#[tokio::test]
async fn rejects_missing_iss_in_the_authorization_response() {
    let s = setup();
    let e = login(
        &s,
        |n| signed(&s, good_claims(n, Algorithm::Es256)),
        |q| q.split("&iss=").next().unwrap().to_owned(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        ClientError::Response("`iss` missing from the authorization response")
    );
}

#[tokio::test]
async fn rejects_a_foreign_state() {
    let s = setup();
    let e = login(
        &s,
        |n| signed(&s, good_claims(n, Algorithm::Es256)),
        |q| q.replace("state=", "state=x"),
    )
    .await
    .unwrap_err();
    assert_eq!(e, ClientError::Response("`state` does not match"));
}

#[tokio::test]
async fn rejects_acr_weaker_than_requested_and_stale_auth_time() {
    let s = setup();
    let client = LoginClient::discover(s.op.clone(), s.config.clone(), clock())
        .await
        .unwrap();
    for (options, claim, value) in [
        (
            AuthOptions {
                acr_values: vec!["urn:mfa".into()],
                ..AuthOptions::default()
            },
            "acr",
            json!("urn:pwd"),
        ),
        (
            AuthOptions {
                max_age: Some(60),
                ..AuthOptions::default()
            },
            "auth_time",
            json!(NOW - 3600),
        ),
    ] {
        let req = client.authorization_request(&options).unwrap();
        let url = url::Url::parse(&req.url).unwrap();
        let nonce = url
            .query_pairs()
            .find(|(k, _)| k == "nonce")
            .unwrap()
            .1
            .into_owned();
        let claims = with(good_claims(&nonce, Algorithm::Es256), |c| {
            c.insert(claim.into(), value.clone());
        });
        *s.op.token_body.lock().unwrap() = json!({
            "access_token": ACCESS_TOKEN, "token_type": "Bearer", "id_token": signed(&s, claims),
        });
        let q = format!(
            "code={CODE}&state={}&iss=https%3A%2F%2Fop.example",
            req.pending.state
        );
        let e = client.callback(&req.pending, &q).await.unwrap_err();
        assert!(e.to_string().contains(claim), "{e}");
    }
}
