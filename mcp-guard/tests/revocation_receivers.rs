//! The revocation receivers against replay, stale messages, cross-issuer
//! subjects, unauthorized subjects and forged callers: SSF/CAEP pushes (RFC
//! 8935) and Global Token Revocation with Okta's signed-JWT caller assertion.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::Clock;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::secret::SecretString;
use agent_auth::validate::{Claims, SecurityEvent, StaticKeys, Validator};
use axum::body::Body;
use axum::http::Request;
use common::*;
use mcp_guard::Guard;
use mcp_guard::revocation::gtr::{
    BearerSecret, CALLER_JWT_TYP, Caller, GlobalTokenRevocation, SignedJwt,
};
use mcp_guard::revocation::ssf::{SESSION_REVOKED, SsfReceiver};
use serde_json::{Value, json};
use std::sync::Arc;

const TRANSMITTER: &str = "https://ssf.example";
const GTR_URL: &str = "https://mcp.example/gtr";
const OKTA: &str = "https://okta.example";

fn key(kid: &str) -> SigningKey {
    SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid(kid)
}

/// Whether a token is still accepted by the guarded app.
async fn works(app: &axum::Router, token: &str) -> bool {
    let (s, _, _) = send(app, post(Some(token), rpc("tools/list", json!({})))).await;
    s == 200
}

fn sarah_token(f: &Fixture, iss: &str) -> String {
    let mut c = f.claims(iss, "mcp:crm:read");
    c.jti = Some(format!("{iss}-{}", f.clock.now()));
    f.sign(&c)
}

struct Ssf {
    transmitter: SigningKey,
    receiver: axum::Router,
    app: axum::Router,
}

impl Ssf {
    fn new(f: &Fixture, token_issuers: &[&str]) -> (Self, Guard) {
        let transmitter = key("ssf-1");
        let guard = f.builder().build().unwrap();
        let validator = Validator::<SecurityEvent>::builder(StaticKeys::single(
            transmitter.verifying_key().clone(),
        ))
        .issuer(TRANSMITTER)
        .audience(RESOURCE)
        .clock(f.shared_clock())
        .build();
        let receiver = SsfReceiver::new(guard.revocations().clone(), validator)
            .token_issuers(token_issuers)
            .clock(f.shared_clock())
            .router("/ssf");
        let app = app(&guard);
        (
            Self {
                transmitter,
                receiver,
                app,
            },
            guard,
        )
    }

    fn set(&self, jti: &str, iat: i64, event_time: i64, sub_id: Value) -> String {
        self.event(
            jti,
            iat,
            SESSION_REVOKED,
            json!({"event_timestamp": event_time}),
            sub_id,
        )
    }

    fn event(&self, jti: &str, iat: i64, event_type: &str, event: Value, sub_id: Value) -> String {
        let mut c = Claims::new()
            .with("events", json!({ event_type: event }))
            .with("sub_id", sub_id);
        c.iss = Some(TRANSMITTER.into());
        c.aud = vec![RESOURCE.into()];
        c.iat = Some(iat);
        c.jti = Some(jti.into());
        sign_compact(&self.transmitter, Some("secevent+jwt"), &c)
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    async fn push(&self, set: String) -> (u16, String) {
        let request = Request::post("/ssf")
            .header("content-type", "application/secevent+jwt")
            .body(Body::from(set))
            .unwrap();
        let (s, _, body) = send(&self.receiver, request).await;
        let err: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        (s, err["err"].as_str().unwrap_or_default().to_owned())
    }
}

fn iss_sub(iss: &str) -> Value {
    json!({"format": "iss_sub", "iss": iss, "sub": "sarah"})
}

#[tokio::test]
async fn ssf_replayed_set_is_refused_and_spares_newer_tokens() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let set = ssf.set("set-1", NOW, NOW, iss_sub(ISS_A));
    let old_token = sarah_token(&f, ISS_A);
    assert_eq!(ssf.push(set.clone()).await.0, 202);
    assert!(!works(&ssf.app, &old_token).await);
    // Sarah logs in again; an attacker replays the captured SET.
    f.clock.advance(20);
    let new_token = sarah_token(&f, ISS_A);
    assert_eq!(ssf.push(set).await, (400, "invalid_request".into()));
    assert!(works(&ssf.app, &new_token).await);
}

#[tokio::test]
async fn ssf_stale_set_is_refused() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let token = sarah_token(&f, ISS_A);
    let stale = ssf.set("set-old", NOW - 3600, NOW - 3600, iss_sub(ISS_A));
    assert_eq!(ssf.push(stale).await, (400, "invalid_request".into()));
    assert!(works(&ssf.app, &token).await);
}

#[tokio::test]
async fn ssf_revokes_tokens_issued_before_the_event_not_before_delivery() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let before = sarah_token(&f, ISS_A);
    f.clock.advance(30);
    let after = sarah_token(&f, ISS_A);
    f.clock.advance(30);
    // The event happened at NOW; it is delivered a minute later.
    let set = ssf.set("set-late", f.clock.now(), NOW, iss_sub(ISS_A));
    assert_eq!(ssf.push(set).await.0, 202);
    assert!(!works(&ssf.app, &before).await);
    assert!(works(&ssf.app, &after).await);
    // A future event time is refused, not clamped into "now".
    let future = ssf.set(
        "set-future",
        f.clock.now(),
        f.clock.now() + 3600,
        iss_sub(ISS_A),
    );
    assert_eq!(ssf.push(future).await, (400, "invalid_request".into()));
    assert!(works(&ssf.app, &after).await);
}

#[tokio::test]
async fn ssf_older_event_never_undoes_a_newer_revocation() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    f.clock.advance(50);
    let token = sarah_token(&f, ISS_A);
    f.clock.advance(50);
    let newer = ssf.set("set-newer", f.clock.now(), NOW + 100, iss_sub(ISS_A));
    let older = ssf.set("set-older", f.clock.now(), NOW, iss_sub(ISS_A));
    assert_eq!(ssf.push(newer).await.0, 202);
    assert_eq!(ssf.push(older).await.0, 202);
    assert!(!works(&ssf.app, &token).await);
}

#[tokio::test]
async fn ssf_opaque_subject_does_not_cross_issuers() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let sarah_a = sarah_token(&f, ISS_A);
    let sarah_b = sarah_token(&f, ISS_B);
    for (jti, sub_id) in [
        ("set-opaque", json!({"format": "opaque", "id": "sarah"})),
        ("set-email", json!({"format": "email", "email": "sarah"})),
    ] {
        assert_eq!(ssf.push(ssf.set(jti, NOW, NOW, sub_id)).await.0, 202);
    }
    assert!(!works(&ssf.app, &sarah_a).await);
    assert!(works(&ssf.app, &sarah_b).await);
}

#[tokio::test]
async fn ssf_subject_of_an_issuer_the_transmitter_does_not_speak_for_is_refused() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let sarah_b = sarah_token(&f, ISS_B);
    let set = ssf.set("set-b", NOW, NOW, iss_sub(ISS_B));
    assert_eq!(ssf.push(set).await, (403, "access_denied".into()));
    assert!(works(&ssf.app, &sarah_b).await);
}

struct Gtr {
    okta: SigningKey,
    endpoint: axum::Router,
    app: axum::Router,
}

impl Gtr {
    fn new(f: &Fixture) -> Self {
        let okta = key("okta-1");
        let guard = f.builder().build().unwrap();
        let auth = SignedJwt::new(GTR_URL, f.shared_clock()).caller(
            OKTA,
            StaticKeys::single(okta.verifying_key().clone()),
            &[ISS_A],
        );
        let endpoint = GlobalTokenRevocation::new(guard.revocations().clone(), Arc::new(auth))
            .clock(f.shared_clock())
            .router("/gtr");
        Self {
            okta,
            endpoint,
            app: app(&guard),
        }
    }

    fn assertion(&self, f: &Fixture, jti: &str, edit: impl FnOnce(&mut Claims)) -> String {
        let mut c = Claims::new();
        c.iss = Some(OKTA.into());
        c.aud = vec![GTR_URL.into()];
        c.iat = Some(f.clock.now());
        c.exp = Some(f.clock.now() + 60);
        c.jti = Some(jti.into());
        edit(&mut c);
        sign_compact(&self.okta, Some(CALLER_JWT_TYP), &c)
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    async fn revoke(&self, auth: &str, sub_id: Value) -> u16 {
        let request = Request::post("/gtr")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {auth}"))
            .body(Body::from(json!({"sub_id": sub_id}).to_string()))
            .unwrap();
        send(&self.endpoint, request).await.0
    }
}

#[tokio::test]
async fn gtr_signed_caller_jwt_revokes() {
    let f = Fixture::new();
    let gtr = Gtr::new(&f);
    let token = sarah_token(&f, ISS_A);
    assert!(works(&gtr.app, &token).await);
    let jwt = gtr.assertion(&f, "a-1", |_| {});
    assert_eq!(gtr.revoke(&jwt, iss_sub(ISS_A)).await, 204);
    assert!(!works(&gtr.app, &token).await);
}

#[tokio::test]
async fn gtr_forged_caller_jwt_is_refused() {
    let f = Fixture::new();
    let gtr = Gtr::new(&f);
    let token = sarah_token(&f, ISS_A);
    let mut forged = Vec::new();
    // Signed by a key that is not the caller's.
    let mut c = Claims::new();
    c.iss = Some(OKTA.into());
    c.aud = vec![GTR_URL.into()];
    c.iat = Some(NOW);
    c.exp = Some(NOW + 60);
    c.jti = Some("forged-key".into());
    forged.push(
        sign_compact(&key("okta-1"), Some(CALLER_JWT_TYP), &c)
            .unwrap()
            .expose_secret()
            .to_owned(),
    );
    // For another endpoint, from another issuer, without `jti`, of another `typ`.
    forged.push(gtr.assertion(&f, "aud", |c| c.aud = vec!["https://other/gtr".into()]));
    forged.push(gtr.assertion(&f, "iss", |c| c.iss = Some("https://evil.example".into())));
    forged.push(gtr.assertion(&f, "jti", |c| c.jti = None));
    forged.push(
        sign_compact(&gtr.okta, Some("JWT"), &c)
            .unwrap()
            .expose_secret()
            .to_owned(),
    );
    // The access token of a trusted issuer is no caller assertion.
    forged.push(token.clone());
    for jwt in forged {
        assert_eq!(gtr.revoke(&jwt, iss_sub(ISS_A)).await, 401);
    }
    assert!(works(&gtr.app, &token).await);
}

#[tokio::test]
async fn gtr_replayed_caller_jwt_is_refused() {
    let f = Fixture::new();
    let gtr = Gtr::new(&f);
    let jwt = gtr.assertion(&f, "once", |_| {});
    assert_eq!(gtr.revoke(&jwt, iss_sub(ISS_A)).await, 204);
    f.clock.advance(10);
    let token = sarah_token(&f, ISS_A);
    assert_eq!(gtr.revoke(&jwt, iss_sub(ISS_A)).await, 401);
    assert!(works(&gtr.app, &token).await);
}

#[tokio::test]
async fn gtr_stale_or_long_lived_caller_jwt_is_refused() {
    let f = Fixture::new();
    let gtr = Gtr::new(&f);
    let token = sarah_token(&f, ISS_A);
    let stale = gtr.assertion(&f, "stale", |c| c.iat = Some(NOW - 3600));
    let long = gtr.assertion(&f, "long", |c| c.exp = Some(NOW + 86_400));
    assert_eq!(gtr.revoke(&stale, iss_sub(ISS_A)).await, 401);
    assert_eq!(gtr.revoke(&long, iss_sub(ISS_A)).await, 401);
    assert!(works(&gtr.app, &token).await);
}

#[tokio::test]
async fn gtr_unauthorized_subject_is_forbidden() {
    let f = Fixture::new();
    let gtr = Gtr::new(&f);
    let sarah_b = sarah_token(&f, ISS_B);
    let jwt = gtr.assertion(&f, "b", |_| {});
    assert_eq!(gtr.revoke(&jwt, iss_sub(ISS_B)).await, 403);
    assert!(works(&gtr.app, &sarah_b).await);
}

#[tokio::test]
async fn gtr_opaque_subject_does_not_cross_issuers() {
    let f = Fixture::new();
    let gtr = Gtr::new(&f);
    let sarah_a = sarah_token(&f, ISS_A);
    let sarah_b = sarah_token(&f, ISS_B);
    let jwt = gtr.assertion(&f, "opaque", |_| {});
    let opaque = json!({"format": "opaque", "id": "sarah"});
    assert_eq!(gtr.revoke(&jwt, opaque).await, 204);
    assert!(!works(&gtr.app, &sarah_a).await);
    assert!(works(&gtr.app, &sarah_b).await);
}

#[tokio::test]
async fn gtr_shared_secret_caller_is_limited_to_its_issuers() {
    let f = Fixture::new();
    let guard = f.builder().build().unwrap();
    let app = app(&guard);
    let secret = "gtr-secret-0123456789";
    let endpoint = GlobalTokenRevocation::new(
        guard.revocations().clone(),
        Arc::new(BearerSecret::new(
            Caller::new("idp-a", &[ISS_A]),
            SecretString::new(secret),
        )),
    )
    .clock(f.shared_clock())
    .router("/gtr");
    let sarah_b = sarah_token(&f, ISS_B);
    let request = |sub_id: Value| {
        Request::post("/gtr")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {secret}"))
            .body(Body::from(json!({"sub_id": sub_id}).to_string()))
            .unwrap()
    };
    assert_eq!(send(&endpoint, request(iss_sub(ISS_B))).await.0, 403);
    let email = json!({"format": "email", "email": "sarah"});
    assert_eq!(send(&endpoint, request(email)).await.0, 204);
    assert!(works(&app, &sarah_b).await);
}

#[tokio::test]
async fn ssf_risc_account_disabled_refuses_the_subjects_tokens_at_once() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let token = sarah_token(&f, ISS_A);
    let disabled = ssf.event(
        "set-disabled",
        NOW,
        agent_auth::signals::risc::ACCOUNT_DISABLED,
        json!({}),
        iss_sub(ISS_A),
    );
    assert_eq!(ssf.push(disabled).await.0, 202);
    assert!(!works(&ssf.app, &token).await);
}

#[tokio::test]
async fn ssf_claims_change_alone_refuses_nothing() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let token = sarah_token(&f, ISS_A);
    let change = ssf.event(
        "set-claims",
        NOW,
        agent_auth::signals::caep::TOKEN_CLAIMS_CHANGE,
        json!({"claims": {"role": "viewer"}}),
        iss_sub(ISS_A),
    );
    assert_eq!(ssf.push(change).await.0, 202);
    assert!(works(&ssf.app, &token).await);
}

#[tokio::test]
async fn ssf_agent_subject_refuses_that_clients_tokens() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let token = sarah_token(&f, ISS_A);
    let agent = json!({
        "format": "complex",
        "application": {"format": "opaque", "id": "sales-agent"}
    });
    assert_eq!(ssf.push(ssf.set("set-agent", NOW, NOW, agent)).await.0, 202);
    assert!(!works(&ssf.app, &token).await);
}

#[derive(Debug, Default)]
struct Heard(std::sync::Mutex<Vec<agent_auth::signals::Signal>>);

#[agent_auth::async_trait]
impl agent_auth::signals::SignalSubscriber for Heard {
    async fn on_signal(&self, signal: &agent_auth::signals::Signal) {
        self.0.lock().unwrap().push(signal.clone());
    }
}

#[tokio::test]
async fn gtr_fans_out_to_other_subscribers() {
    let f = Fixture::new();
    let okta = key("okta-1");
    let guard = f.builder().build().unwrap();
    let heard = Arc::new(Heard::default());
    let auth = SignedJwt::new(GTR_URL, f.shared_clock()).caller(
        OKTA,
        StaticKeys::single(okta.verifying_key().clone()),
        &[ISS_A],
    );
    let endpoint = GlobalTokenRevocation::new(guard.revocations().clone(), Arc::new(auth))
        .clock(f.shared_clock())
        .subscriber(heard.clone())
        .router("/gtr");
    let gtr = Gtr {
        okta,
        endpoint,
        app: app(&guard),
    };
    let jwt = gtr.assertion(&f, "fan-out", |_| {});
    assert_eq!(gtr.revoke(&jwt, iss_sub(ISS_A)).await, 204);
    let heard = heard.0.lock().unwrap();
    assert_eq!(heard.len(), 1);
    assert_eq!(
        heard[0].kind(),
        agent_auth::signals::SignalKind::GlobalTokenRevocation
    );
    assert!(heard[0].concerns(ISS_A, "sarah"));
}

#[tokio::test]
async fn ssf_tenant_subject_refuses_every_token_of_that_issuer_only() {
    let f = Fixture::new();
    let (ssf, _) = Ssf::new(&f, &[ISS_A, ISS_B]);
    let sarah_a = sarah_token(&f, ISS_A);
    let sarah_b = sarah_token(&f, ISS_B);
    let tenant = json!({"format": "complex", "tenant": {"format": "opaque", "id": ISS_A}});
    assert_eq!(
        ssf.push(ssf.set("set-tenant", NOW, NOW, tenant)).await.0,
        202
    );
    assert!(!works(&ssf.app, &sarah_a).await);
    assert!(works(&ssf.app, &sarah_b).await);
    // A tenant the transmitter does not speak for is refused.
    let (ssf, _) = Ssf::new(&f, &[ISS_A]);
    let foreign = json!({"format": "complex", "tenant": {"format": "opaque", "id": ISS_B}});
    assert_eq!(
        ssf.push(ssf.set("set-foreign", NOW, NOW, foreign)).await,
        (403, "access_denied".into())
    );
}
