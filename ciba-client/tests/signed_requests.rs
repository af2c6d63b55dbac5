//! Signed authentication requests at the reference OP (CIBA Core 1.0 section
//! 7.1.1): accepted when every check passes, refused with
//! `invalid_request_object` (or `invalid_request` for the form around it) by
//! each check alone, a refusal storing and notifying nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::Claims;
use ciba_client::{GRANT_TYPE, REQUEST_OBJECT_TYP};
use reference_authority::ciba::{
    ApprovalRequest, BackchannelResponse, ChannelDevice, CibaOp, ClientSettings,
};
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, OAuthError, Params, Table, TokenRequest, UserSpec,
};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

const ISSUER: &str = "https://idp.example";
const SECRET: &str = "agent-secret-0123456789";
const NOW: i64 = 1_750_000_000;

struct Fx {
    authority: Authority,
    op: CibaOp,
    device: UnboundedReceiver<ApprovalRequest>,
    /// The key of `sales-agent` (client_secret_basic, request objects verified
    /// with its CIBA-registered JWK Set).
    key: SigningKey,
    /// The key of `jwt-agent` (private_key_jwt: its client keys verify).
    jwt_key: SigningKey,
    clock: ManualClock,
}

fn jwks(key: &SigningKey) -> String {
    json!({"keys": [key.verifying_key().to_jwk().unwrap()]}).to_string()
}

fn fixture() -> Fx {
    let clock = ManualClock::new(NOW);
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    authority
        .register_user(UserSpec::new("sarah").id("user-sarah"))
        .unwrap();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwt_key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([GRANT_TYPE])
                .scopes(["openid", "email:send"]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::private_key_jwt("jwt-agent", jwks(&jwt_key))
                .grant_types([GRANT_TYPE])
                .scopes(["openid", "email:send"]),
        )
        .unwrap();
    let device = ChannelDevice::new();
    let rx = device.take_receiver().unwrap();
    let op = CibaOp::install(&authority, Arc::new(device));
    op.register(
        "sales-agent",
        ClientSettings::poll()
            .request_signing_alg(Algorithm::Es256)
            .request_jwks(jwks(&key)),
    )
    .unwrap();
    op.register("jwt-agent", ClientSettings::poll()).unwrap();
    Fx {
        authority,
        op,
        device: rx,
        key,
        jwt_key,
        clock,
    }
}

/// Valid request-object claims for `sales-agent`.
fn claims() -> Claims {
    let mut c = Claims::new()
        .with("scope", "openid email:send")
        .with("login_hint", "sarah")
        .with("binding_message", "Acme Corp - 450,000 EUR")
        .with("requested_expiry", 120)
        .with(
            "authorization_details",
            json!([{"type": "sales_proposal", "identifier": "Acme Corp"}]),
        );
    c.iss = Some("sales-agent".into());
    c.aud = vec![ISSUER.into()];
    c.iat = Some(NOW);
    c.nbf = Some(NOW);
    c.exp = Some(NOW + 300);
    c.jti = Some("jti-1".into());
    c
}

fn sign(key: &SigningKey, claims: &Claims) -> String {
    sign_compact(key, Some(REQUEST_OBJECT_TYP), claims)
        .unwrap()
        .expose_secret()
        .to_owned()
}

async fn send(fx: &Fx, form: &[(&str, &str)]) -> Result<BackchannelResponse, OAuthError> {
    let p = Params::from_pairs(form.iter().copied());
    fx.op
        .backchannel_authentication(&TokenRequest::new(p).basic("sales-agent", SECRET))
        .await
}

async fn send_object(fx: &Fx, jwt: &str) -> Result<BackchannelResponse, OAuthError> {
    send(fx, &[("request", jwt)]).await
}

/// The request was refused with `code` and left no trace.
fn refused(fx: &mut Fx, result: Result<BackchannelResponse, OAuthError>, code: &str, why: &str) {
    let err = result.err().unwrap_or_else(|| panic!("{why}: accepted"));
    assert_eq!(err.code().as_str(), code, "{why}: {}", err.description());
    assert!(fx.device.try_recv().is_err(), "{why}: no one was notified");
    let stored = fx
        .authority
        .store()
        .scan(Table::Extension("ciba_requests"))
        .unwrap();
    assert!(stored.is_empty(), "{why}: nothing stored");
}

#[tokio::test]
async fn a_signed_request_is_accepted_with_its_parameters_from_the_object() {
    let mut fx = fixture();
    let r = send_object(&fx, &sign(&fx.key, &claims())).await.unwrap();
    assert_eq!(r.expires_in, 120, "requested_expiry as a JSON number");
    let ask = fx.device.try_recv().unwrap();
    assert_eq!(ask.user_id, "user-sarah");
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450,000 EUR")
    );
    assert_eq!(ask.scope, ["openid", "email:send"]);
    assert_eq!(
        ask.authorization_details.unwrap()[0]["identifier"],
        "Acme Corp"
    );

    // A private_key_jwt client's registered keys verify its request objects.
    let mut c = claims();
    c.iss = Some("jwt-agent".into());
    let assertion = {
        let mut a = Claims::new();
        a.iss = Some("jwt-agent".into());
        a.sub = Some("jwt-agent".into());
        a.aud = vec![ISSUER.into()];
        a.iat = Some(NOW);
        a.exp = Some(NOW + 60);
        a.jti = Some("assertion-1".into());
        sign_compact(&fx.jwt_key, Some("JWT"), &a).unwrap()
    };
    let p = Params::from_pairs([
        ("request", sign(&fx.jwt_key, &c).as_str()),
        ("client_id", "jwt-agent"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.expose_secret()),
    ]);
    fx.op
        .backchannel_authentication(&TokenRequest::new(p))
        .await
        .unwrap();
    assert_eq!(fx.device.try_recv().unwrap().client_id, "jwt-agent");

    // The metadata announces signed requests (asymmetric algorithms only) and user codes.
    let meta = fx.authority.metadata();
    let algs = meta["backchannel_authentication_request_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.contains(&json!("ES256")));
    assert!(!algs.contains(&json!("HS256")) && !algs.contains(&json!("none")));
    assert_eq!(meta["backchannel_user_code_parameter_supported"], true);
}

#[tokio::test]
async fn the_form_around_a_request_object() {
    let mut fx = fixture();
    let jwt = sign(&fx.key, &claims());
    let r = send(&fx, &[("login_hint", "sarah"), ("scope", "openid")]).await;
    refused(
        &mut fx,
        r,
        "invalid_request",
        "unsigned while signing is required",
    );
    let r = send(&fx, &[("request", &jwt), ("login_hint", "sarah")]).await;
    refused(
        &mut fx,
        r,
        "invalid_request",
        "a parameter outside the object",
    );
    let r = send(&fx, &[("request", &jwt), ("binding_message", "x")]).await;
    refused(&mut fx, r, "invalid_request", "binding message outside");
    let r = send(&fx, &[("request_uri", "urn:example:1")]).await;
    refused(&mut fx, r, "invalid_request", "request_uri");
    // None of these spent the object's jti.
    send_object(&fx, &jwt).await.unwrap();
}

#[tokio::test]
async fn each_check_of_section_7_1_1_refuses_alone() {
    let mut fx = fixture();
    let other = SigningKey::generate(Algorithm::Es256).unwrap();
    let ed = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let hmac = SigningKey::from_hmac_secret(&[7u8; 32]).unwrap();
    type Edit = Box<dyn Fn(&mut Claims)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "aud without the issuer",
            Box::new(|c| c.aud = vec!["https://other.example".into()]),
        ),
        ("aud missing", Box::new(|c| c.aud = vec![])),
        (
            "iss not the client",
            Box::new(|c| c.iss = Some("jwt-agent".into())),
        ),
        ("iss missing", Box::new(|c| c.iss = None)),
        ("exp missing", Box::new(|c| c.exp = None)),
        ("iat missing", Box::new(|c| c.iat = None)),
        ("nbf missing", Box::new(|c| c.nbf = None)),
        ("jti missing", Box::new(|c| c.jti = None)),
        ("expired", Box::new(|c| c.exp = Some(NOW - 120))),
        ("not yet valid", Box::new(|c| c.nbf = Some(NOW + 600))),
        (
            "issued in the future",
            Box::new(|c| c.iat = Some(NOW + 600)),
        ),
        (
            "nbf older than 60 minutes",
            Box::new(|c| {
                c.nbf = Some(NOW - 3601);
                c.exp = Some(NOW - 1);
            }),
        ),
        (
            "exp more than 60 minutes after nbf",
            Box::new(|c| c.exp = Some(NOW + 3601)),
        ),
        ("exp before nbf", Box::new(|c| c.exp = Some(NOW - 10))),
        (
            "a nested request",
            Box::new(|c| {
                c.extra.insert("request".into(), json!("eyJ"));
            }),
        ),
        (
            "another client_id",
            Box::new(|c| {
                c.extra.insert("client_id".into(), json!("jwt-agent"));
            }),
        ),
        (
            "a parameter of the wrong type",
            Box::new(|c| {
                c.extra.insert("login_hint".into(), json!(true));
            }),
        ),
    ];
    for (why, edit) in &cases {
        let mut c = claims();
        c.jti = c.jti.map(|j| format!("{j}-{why}"));
        edit(&mut c);
        let r = send_object(&fx, &sign(&fx.key, &c)).await;
        refused(&mut fx, r, "invalid_request_object", why);
    }

    let c = claims();
    let signed_by = |key: &SigningKey, typ: Option<&str>| {
        sign_compact(key, typ, &c)
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    for (why, jwt) in [
        (
            "signed by another key",
            signed_by(&other, Some(REQUEST_OBJECT_TYP)),
        ),
        (
            "not the registered algorithm",
            signed_by(&ed, Some(REQUEST_OBJECT_TYP)),
        ),
        (
            "a shared-secret signature",
            signed_by(&hmac, Some(REQUEST_OBJECT_TYP)),
        ),
        ("typ JWT", signed_by(&fx.key, Some("JWT"))),
        ("typ absent", signed_by(&fx.key, None)),
        ("not a JWT", "not.a.jwt".to_owned()),
    ] {
        let r = send_object(&fx, &jwt).await;
        refused(&mut fx, r, "invalid_request_object", why);
    }
    // A tampered signature.
    let good = sign(&fx.key, &c);
    let mut bytes = good.into_bytes();
    let mid = bytes.len() - 20;
    bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
    let r = send_object(&fx, &String::from_utf8(bytes).unwrap()).await;
    refused(&mut fx, r, "invalid_request_object", "tampered");
}

#[tokio::test]
async fn a_jti_is_spent_only_by_an_accepted_request() {
    let mut fx = fixture();
    // Refused for its content (unknown user): the jti stays unspent.
    let mut c = claims();
    c.extra.insert("login_hint".into(), json!("nobody"));
    let r = send_object(&fx, &sign(&fx.key, &c)).await;
    refused(&mut fx, r, "unknown_user_id", "unknown user");
    let jwt = sign(&fx.key, &claims());
    send_object(&fx, &jwt).await.unwrap();
    fx.device.try_recv().unwrap();
    // Replayed: the same object, then another object with the same jti.
    let r = send_object(&fx, &jwt).await;
    assert_eq!(
        r.err().unwrap().code().as_str(),
        "invalid_request_object",
        "replay"
    );
    let mut c = claims();
    c.extra
        .insert("binding_message".into(), json!("Another message"));
    let r = send_object(&fx, &sign(&fx.key, &c)).await;
    assert_eq!(
        r.err().unwrap().code().as_str(),
        "invalid_request_object",
        "same jti"
    );
    assert!(fx.device.try_recv().is_err());
}

#[tokio::test]
async fn maintenance_removes_spent_jtis_once_their_objects_expired() {
    let mut fx = fixture();
    let jtis = Table::Extension("ciba_request_jtis");
    let jwt = sign(&fx.key, &claims());
    send_object(&fx, &jwt).await.unwrap();
    fx.device.try_recv().unwrap();
    assert_eq!(fx.authority.store().scan(jtis).unwrap().len(), 1);

    // Until exp plus the clock leeway the object would still validate: the
    // spent jti is kept, and refuses the replay.
    let exp = claims().exp.unwrap();
    let leeway = agent_auth::validate::DEFAULT_LEEWAY;
    fx.clock.set(exp + leeway - 1);
    fx.authority.purge_expired().unwrap();
    assert_eq!(fx.authority.store().scan(jtis).unwrap().len(), 1);
    let err = send_object(&fx, &jwt).await.unwrap_err();
    assert_eq!(err.description(), "the request object was already used");

    // Then it goes, and the replay is still refused, for its exp.
    fx.clock.set(exp + leeway);
    assert!(fx.authority.purge_expired().unwrap() >= 1);
    assert!(fx.authority.store().scan(jtis).unwrap().is_empty());
    let err = send_object(&fx, &jwt).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_request_object");
    assert_eq!(err.description(), "the request object has expired");
    assert!(fx.device.try_recv().is_err(), "no one was notified");
    assert!(fx.authority.store().scan(jtis).unwrap().is_empty());
}

#[tokio::test]
async fn request_objects_and_other_jwts_are_never_taken_for_each_other() {
    let mut fx = fixture();
    // An ID token the OP issued to the client is no request object either.
    let mut id = claims();
    id.iss = Some(ISSUER.into());
    id.sub = Some("user-sarah".into());
    let id_token = sign_compact(&fx.authority.keys().active(), Some("JWT"), &id).unwrap();
    let r = send_object(&fx, id_token.expose_secret()).await;
    refused(&mut fx, r, "invalid_request_object", "an ID token");

    // A request object of jwt-agent is no client assertion: the token
    // endpoint's private_key_jwt check refuses it.
    let mut c = claims();
    c.iss = Some("jwt-agent".into());
    let object = sign(&fx.jwt_key, &c);
    let p = Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("client_id", "jwt-agent"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", object.as_str()),
    ]);
    let err = fx.authority.token(&TokenRequest::new(p)).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_client");
}
