//! The shared SET receiver, one rule per test: the `secevent+jwt` profile
//! (type, issuer, audience, key, no `exp`), freshness and replay, issuer-scoped
//! subjects, requested events only, verification, and the RFC 8935 push
//! answers. A refused SET reaches no subscriber and changes nothing.
#![cfg(feature = "signals")]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{MemorySink, Outcome};
use agent_auth::clock::{Clock, ManualClock};
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::secret::SecretString;
use agent_auth::signals::{
    PushEndpoint, Refusal, SetError, SetReceiver, Signal, SignalKind, SignalSubscriber, Subject,
    caep, risc, ssf,
};
use agent_auth::validate::{Claims, SecurityEvent, StaticKeys, ValidationError, Validator};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const NOW: i64 = 1_800_000_000;
const TRANSMITTER: &str = "https://ssf.example";
const AUDIENCE: &str = "https://receiver.example";
const IDP: &str = "https://idp.example";

#[derive(Debug, Default)]
struct Heard(Mutex<Vec<Signal>>);

#[agent_auth::async_trait]
impl SignalSubscriber for Heard {
    async fn on_signal(&self, signal: &Signal) {
        self.0.lock().unwrap().push(signal.clone());
    }
}

impl Heard {
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

struct Fixture {
    clock: ManualClock,
    key: SigningKey,
    heard: Arc<Heard>,
    audit: MemorySink,
    receiver: SetReceiver,
}

fn fixture(kinds: &[SignalKind]) -> Fixture {
    let clock = ManualClock::new(NOW);
    let key = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("ssf-1");
    let validator =
        Validator::<SecurityEvent>::builder(StaticKeys::single(key.verifying_key().clone()))
            .issuer(TRANSMITTER)
            .audience(AUDIENCE)
            .clock(Arc::new(clock.clone()))
            .build();
    let heard = Arc::new(Heard::default());
    let audit = MemorySink::new();
    let receiver = SetReceiver::builder(validator)
        .events(kinds)
        .token_issuers(&[IDP])
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .subscriber(heard.clone())
        .build();
    Fixture {
        clock,
        key,
        heard,
        audit,
        receiver,
    }
}

fn sarah() -> Value {
    json!({"format": "iss_sub", "iss": IDP, "sub": "sarah"})
}

impl Fixture {
    fn claims(&self, jti: &str, event_type: &str, event: Value) -> Claims {
        let mut c = Claims::new()
            .with("events", json!({ event_type: event }))
            .with("sub_id", sarah());
        c.iss = Some(TRANSMITTER.into());
        c.aud = vec![AUDIENCE.into()];
        c.iat = Some(self.clock.now());
        c.jti = Some(jti.into());
        c
    }

    fn sign(&self, claims: &Claims, typ: &str) -> String {
        sign_compact(&self.key, Some(typ), claims)
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    fn set(&self, jti: &str) -> String {
        self.sign(
            &self.claims(jti, caep::SESSION_REVOKED, json!({"event_timestamp": NOW})),
            "secevent+jwt",
        )
    }

    fn set_with(&self, jti: &str, edit: impl FnOnce(&mut Claims)) -> String {
        let mut c = self.claims(jti, caep::SESSION_REVOKED, json!({"event_timestamp": NOW}));
        edit(&mut c);
        self.sign(&c, "secevent+jwt")
    }

    /// Refused with `expected`; no subscriber heard anything.
    async fn refused(&self, set: &str) -> SetError {
        let before = self.heard.count();
        let e = self.receiver.receive(set).await.unwrap_err();
        assert_eq!(
            self.heard.count(),
            before,
            "a refused SET reached a subscriber"
        );
        e
    }
}

#[tokio::test]
async fn accepted_set_becomes_a_typed_signal_for_every_subscriber() {
    let f = fixture(&SignalKind::ALL);
    let signals = f.receiver.receive(&f.set("set-1")).await.unwrap();
    assert_eq!(signals.len(), 1);
    let s = &signals[0];
    assert_eq!(s.kind(), SignalKind::SessionRevoked);
    assert_eq!(
        s.subject(),
        &Subject::IssSub {
            iss: IDP.into(),
            sub: "sarah".into()
        }
    );
    assert!(s.ends_access());
    assert!(s.concerns(IDP, "sarah"));
    assert_eq!(s.occurred_at(), NOW);
    assert_eq!(s.transmitter(), TRANSMITTER);
    assert_eq!(f.heard.count(), 1);
}

#[tokio::test]
async fn every_caep_and_risc_event_type_maps_to_its_kind() {
    let f = fixture(&SignalKind::ALL);
    let table = [
        (caep::SESSION_REVOKED, SignalKind::SessionRevoked, true),
        (caep::CREDENTIAL_CHANGE, SignalKind::CredentialChange, false),
        (
            caep::TOKEN_CLAIMS_CHANGE,
            SignalKind::TokenClaimsChange,
            false,
        ),
        (
            caep::ASSURANCE_LEVEL_CHANGE,
            SignalKind::AssuranceLevelChange,
            false,
        ),
        (caep::RISK_LEVEL_CHANGE, SignalKind::RiskLevelChange, false),
        (risc::ACCOUNT_DISABLED, SignalKind::AccountDisabled, true),
        (risc::ACCOUNT_PURGED, SignalKind::AccountPurged, true),
        (
            risc::CREDENTIAL_COMPROMISE,
            SignalKind::CredentialCompromise,
            true,
        ),
    ];
    for (i, (uri, kind, ends)) in table.into_iter().enumerate() {
        let set = f.sign(
            &f.claims(&format!("set-{i}"), uri, json!({})),
            "secevent+jwt",
        );
        let signals = f.receiver.receive(&set).await.unwrap();
        assert_eq!(
            (signals[0].kind(), signals[0].ends_access()),
            (kind, ends),
            "{uri}"
        );
    }
    // A credential revoked (CAEP 1.0 section 3.3 `change_type`) ends access.
    let set = f.sign(
        &f.claims(
            "set-cred",
            caep::CREDENTIAL_CHANGE,
            json!({"change_type": "revoke", "credential_type": "password"}),
        ),
        "secevent+jwt",
    );
    assert!(f.receiver.receive(&set).await.unwrap()[0].ends_access());
}

#[tokio::test]
async fn wrong_typ_is_refused() {
    let f = fixture(&SignalKind::ALL);
    for typ in ["JWT", "at+jwt", "logout+jwt"] {
        let set = f.sign(&f.claims("t", caep::SESSION_REVOKED, json!({})), typ);
        let e = f.refused(&set).await;
        assert!(
            matches!(e, SetError::Token(ValidationError::WrongType { .. })),
            "{typ}: {e:?}"
        );
        assert_eq!(e.code(), "invalid_request");
    }
}

#[tokio::test]
async fn wrong_aud_is_refused() {
    let f = fixture(&SignalKind::ALL);
    let e = f
        .refused(&f.set_with("a", |c| c.aud = vec!["https://other.example".into()]))
        .await;
    assert_eq!(e, SetError::Token(ValidationError::WrongAudience));
    assert_eq!((e.status(), e.code()), (400, "invalid_audience"));
}

#[tokio::test]
async fn wrong_issuer_or_key_is_refused() {
    let f = fixture(&SignalKind::ALL);
    let e = f
        .refused(&f.set_with("i", |c| c.iss = Some("https://evil.example".into())))
        .await;
    assert_eq!(e.code(), "invalid_issuer");
    let forger = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("ssf-1");
    let forged = sign_compact(
        &forger,
        Some("secevent+jwt"),
        &f.claims("k", caep::SESSION_REVOKED, json!({})),
    )
    .unwrap();
    let e = f.refused(forged.expose_secret()).await;
    assert_eq!(e.code(), "invalid_key");
}

#[tokio::test]
async fn set_with_exp_or_sub_is_refused() {
    // RFC 8417 section 2.2 requires no `exp`; SSF 1.0 section 4.1 forbids
    // `exp` and `sub`, which would make a SET pass for another kind of token.
    let f = fixture(&SignalKind::ALL);
    let e = f
        .refused(&f.set_with("e", |c| c.exp = Some(NOW + 60)))
        .await;
    assert!(matches!(
        e,
        SetError::Token(ValidationError::Profile { .. })
    ));
    let e = f
        .refused(&f.set_with("s", |c| c.sub = Some("sarah".into())))
        .await;
    assert!(matches!(
        e,
        SetError::Token(ValidationError::Profile { .. })
    ));
}

#[tokio::test]
async fn replayed_jti_is_refused() {
    let f = fixture(&SignalKind::ALL);
    let set = f.set("once");
    f.receiver.receive(&set).await.unwrap();
    f.clock.advance(10);
    let e = f.refused(&set).await;
    assert_eq!(e, SetError::NotFresh(Refusal::Replayed));
    assert!(e.is_replay());
    assert_eq!(f.heard.count(), 1);
}

#[tokio::test]
async fn stale_iat_is_refused() {
    let f = fixture(&SignalKind::ALL);
    let stale = f.set_with("old", |c| c.iat = Some(NOW - 3600));
    assert_eq!(f.refused(&stale).await, SetError::NotFresh(Refusal::Stale));
    // Without a `jti`, no replay can be detected: refused too.
    let anonymous = f.set_with("x", |c| c.jti = None);
    assert!(matches!(
        f.refused(&anonymous).await,
        SetError::Token(ValidationError::MissingClaim("jti"))
    ));
}

#[tokio::test]
async fn subject_of_an_issuer_the_transmitter_does_not_speak_for_is_refused() {
    let f = fixture(&SignalKind::ALL);
    let other = json!({"format": "iss_sub", "iss": "https://other-idp.example", "sub": "sarah"});
    let e = f
        .refused(&f.set_with("foreign", |c| {
            c.extra.insert("sub_id".into(), other);
        }))
        .await;
    assert_eq!(e, SetError::SubjectOutOfScope);
    assert_eq!((e.status(), e.code()), (403, "access_denied"));
    // An opaque subject is accepted, scoped to the transmitter's issuers only.
    let opaque = f.set_with("opaque", |c| {
        c.extra
            .insert("sub_id".into(), json!({"format": "opaque", "id": "sarah"}));
    });
    let s = &f.receiver.receive(&opaque).await.unwrap()[0];
    assert!(s.concerns(IDP, "sarah"));
    assert!(!s.concerns("https://other-idp.example", "sarah"));
}

#[tokio::test]
async fn missing_or_unsupported_subject_is_refused() {
    let f = fixture(&SignalKind::ALL);
    let none = f.set_with("none", |c| {
        c.extra.remove("sub_id");
    });
    assert_eq!(f.refused(&none).await, SetError::NoSubject);
    let phone = f.set_with("phone", |c| {
        c.extra.insert(
            "sub_id".into(),
            json!({"format": "phone_number", "phone_number": "+15551234"}),
        );
    });
    assert!(matches!(f.refused(&phone).await, SetError::Subject(_)));
}

#[tokio::test]
async fn event_not_requested_is_refused() {
    let f = fixture(&[SignalKind::SessionRevoked]);
    let disabled = f.sign(
        &f.claims("d", risc::ACCOUNT_DISABLED, json!({})),
        "secevent+jwt",
    );
    assert_eq!(f.refused(&disabled).await, SetError::EventNotRequested);
    let unknown = f.sign(
        &f.claims("u", "https://schemas.example/event/unknown", json!({})),
        "secevent+jwt",
    );
    assert_eq!(f.refused(&unknown).await, SetError::EventNotRequested);
    // One event not requested spoils the whole SET: nothing of it applies.
    let mut mixed = f.claims("m", caep::SESSION_REVOKED, json!({}));
    mixed.extra.insert(
        "events".into(),
        json!({caep::SESSION_REVOKED: {}, risc::ACCOUNT_DISABLED: {}}),
    );
    assert_eq!(
        f.refused(&f.sign(&mixed, "secevent+jwt")).await,
        SetError::EventNotRequested
    );
}

#[tokio::test]
async fn future_event_timestamp_is_refused() {
    let f = fixture(&SignalKind::ALL);
    let future = f.sign(
        &f.claims(
            "f",
            caep::SESSION_REVOKED,
            json!({"event_timestamp": NOW + 3600}),
        ),
        "secevent+jwt",
    );
    assert_eq!(f.refused(&future).await, SetError::EventTimestamp);
    let text = f.sign(
        &f.claims(
            "t",
            caep::SESSION_REVOKED,
            json!({"event_timestamp": "yesterday"}),
        ),
        "secevent+jwt",
    );
    assert_eq!(f.refused(&text).await, SetError::EventTimestamp);
}

#[tokio::test]
async fn refused_set_does_not_use_up_its_jti() {
    let f = fixture(&SignalKind::ALL);
    let foreign = f.set_with("same-id", |c| {
        c.extra.insert(
            "sub_id".into(),
            json!({"format": "iss_sub", "iss": "https://other-idp.example", "sub": "x"}),
        );
    });
    f.refused(&foreign).await;
    // The transmitter fixes its mistake and sends the SET again under the same id.
    f.receiver.receive(&f.set("same-id")).await.unwrap();
}

#[tokio::test]
async fn verification_event_confirms_only_a_state_asked_for() {
    let f = fixture(&[SignalKind::SessionRevoked]);
    let state = f.receiver.expect_verification().unwrap();
    assert!(!f.receiver.is_verified(&state));
    let stream = json!({"format": "opaque", "id": "stream-1"});
    let verification = |jti: &str, state: &str| {
        let mut c = f.claims(jti, ssf::VERIFICATION, json!({"state": state}));
        c.extra.insert("sub_id".into(), stream.clone());
        f.sign(&c, "secevent+jwt")
    };
    assert_eq!(
        f.refused(&verification("v0", "not-asked")).await,
        SetError::UnexpectedVerification
    );
    assert!(
        f.receiver
            .receive(&verification("v1", &state))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(f.receiver.is_verified(&state));
    assert_eq!(
        f.heard.count(),
        0,
        "verification is no signal for subscribers"
    );
}

#[tokio::test]
async fn push_answers_202_or_the_rfc8935_error_json() {
    let f = fixture(&SignalKind::ALL);
    let push = PushEndpoint::new(f.receiver.clone())
        .authorization(SecretString::new("Bearer push-secret-0123456789"));
    let ct = Some("application/secevent+jwt");
    let auth = Some("Bearer push-secret-0123456789");
    let set = f.set("p1");
    let a = push.handle(None, ct, set.as_bytes()).await;
    assert_eq!((a.status(), a.err()), (401, Some("authentication_failed")));
    let a = push.handle(Some("Bearer wrong"), ct, set.as_bytes()).await;
    assert_eq!((a.status(), a.err()), (403, Some("access_denied")));
    let a = push
        .handle(auth, Some("application/json"), set.as_bytes())
        .await;
    assert_eq!((a.status(), a.err()), (400, Some("invalid_request")));
    let a = push.handle(auth, ct, &[0xff, 0xfe]).await;
    assert_eq!((a.status(), a.err()), (400, Some("invalid_request")));
    let a = push
        .handle(
            auth,
            Some("application/secevent+jwt; charset=utf-8"),
            set.as_bytes(),
        )
        .await;
    assert_eq!((a.status(), a.body()), (202, None));
    let a = push.handle(auth, ct, set.as_bytes()).await;
    assert_eq!(a.status(), 400);
    let body = a.body().unwrap().as_object().unwrap();
    assert_eq!(body["err"], "invalid_request");
    assert!(body["description"].as_str().unwrap().contains("replayed"));
    assert_eq!(f.heard.count(), 1);
}

#[tokio::test]
async fn every_decision_is_audited_without_token_bytes() {
    let f = fixture(&SignalKind::ALL);
    let good = f.set("a1");
    let bad = f.set_with("a2", |c| c.aud = vec!["https://other.example".into()]);
    f.receiver.receive(&good).await.unwrap();
    f.refused(&bad).await;
    let events = f.audit.events();
    assert_eq!(
        events.iter().map(|e| e.outcome).collect::<Vec<_>>(),
        vec![Outcome::Success, Outcome::Denied]
    );
    assert_eq!(events[0].user.as_deref(), Some("sarah"));
    assert_eq!(events[1].reason.as_deref(), Some("invalid_audience"));
    let text = serde_json::to_string(&events).unwrap();
    for set in [&good, &bad] {
        let signature = set.rsplit('.').next().unwrap();
        assert!(
            !text.contains(signature),
            "a SET leaked into the audit trail"
        );
    }
}
