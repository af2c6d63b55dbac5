//! The RFC 8936 poll client against malformed and hostile poll answers: a
//! response that is not a poll response is an error and acknowledges nothing;
//! a SET that is not a string, is delivered under another `jti`, or fails
//! validation is reported in `setErrs` of the next poll, never applied; what
//! is owed survives a failed poll.
#![cfg(all(feature = "signals", feature = "http"))]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::oauth::{HttpClient, HttpRequest, HttpResponse};
use agent_auth::secret::SecretString;
use agent_auth::signals::{PollClient, PollError, SetReceiver, caep};
use agent_auth::validate::{Claims, SecurityEvent, StaticKeys, Validator};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

const NOW: i64 = 1_800_000_000;

type Sent = Arc<Mutex<Vec<Value>>>;

/// A poll endpoint answering with `answers` in turn and keeping the request bodies.
fn transmitter(answers: Vec<HttpResponse>) -> (HttpClient, Sent) {
    let sent: Sent = Arc::default();
    let keep = Arc::clone(&sent);
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let http = HttpClient::with_transport(move |req: HttpRequest| {
        keep.lock()
            .unwrap()
            .push(serde_json::from_slice(req.body()).unwrap());
        let answer = answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| HttpResponse::json(200, &json!({"sets": {}})));
        async move { Ok(answer) }
    });
    (http, sent)
}

fn key() -> SigningKey {
    SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("k")
}

/// A poll client of a transmitter signing with `key` and answering `answers`.
fn setup(key: &SigningKey, answers: Vec<HttpResponse>) -> (PollClient, Sent) {
    let clock = Arc::new(ManualClock::new(NOW));
    let validator =
        Validator::<SecurityEvent>::builder(StaticKeys::single(key.verifying_key().clone()))
            .issuer("https://ssf.example")
            .audience("receiver")
            .clock(clock.clone())
            .build();
    let receiver = SetReceiver::builder(validator)
        .token_issuers(&["https://idp.example"])
        .clock(clock)
        .build();
    let (http, sent) = transmitter(answers);
    let poller = PollClient::new(
        http,
        "https://ssf.example/poll/1",
        SecretString::new("Bearer t"),
        receiver,
    );
    (poller, sent)
}

fn set(key: &SigningKey, jti: &str) -> String {
    let mut c = Claims::new()
        .with("events", json!({caep::SESSION_REVOKED: {}}))
        .with("sub_id", json!({"format": "opaque", "id": "sarah"}));
    c.iss = Some("https://ssf.example".into());
    c.aud = vec!["receiver".into()];
    c.iat = Some(NOW);
    c.jti = Some(jti.into());
    sign_compact(key, Some("secevent+jwt"), &c)
        .unwrap()
        .expose_secret()
        .to_owned()
}

#[tokio::test]
async fn malformed_poll_responses_are_errors() {
    for body in [
        json!([]),
        json!({"sets": []}),
        json!({"sets": {}, "moreAvailable": "yes"}),
    ] {
        let (poller, _) = setup(&key(), vec![HttpResponse::json(200, &body)]);
        assert!(matches!(
            poller.poll_once().await,
            Err(PollError::InvalidResponse(_))
        ));
    }
    let (poller, _) = setup(&key(), vec![HttpResponse::new(200).with_body("not json")]);
    assert!(matches!(
        poller.poll_once().await,
        Err(PollError::InvalidResponse(_))
    ));
    let (poller, _) = setup(
        &key(),
        vec![HttpResponse::json(
            401,
            &json!({"err": "authentication_failed"}),
        )],
    );
    assert!(matches!(poller.poll_once().await, Err(PollError::Http(_))));
}

#[tokio::test]
async fn refused_sets_are_reported_in_set_errs_and_good_ones_acknowledged() {
    let key = key();
    let sets = json!({"sets": {
        "good": set(&key, "good"),
        "claimed-id": set(&key, "real-id"),
        "forged": set(&self::key(), "forged"),
        "number": 42
    }});
    let (poller, sent) = setup(&key, vec![HttpResponse::json(200, &sets)]);
    let report = poller.poll_once().await.unwrap();
    assert_eq!((report.accepted, report.refused), (1, 3));
    let (ack, errs) = poller.owed();
    assert_eq!(ack, ["good"]);
    assert_eq!(errs["forged"]["err"], "invalid_key");
    assert_eq!(errs["claimed-id"]["err"], "invalid_request");
    assert_eq!(errs["number"]["err"], "invalid_request");
    // The next poll carries them, with maxEvents and returnImmediately.
    poller.poll_once().await.unwrap();
    let second = &sent.lock().unwrap()[1];
    assert_eq!(second["ack"], json!(["good"]));
    assert_eq!(second["setErrs"]["forged"]["err"], "invalid_key");
    assert_eq!(second["maxEvents"], 100);
    assert_eq!(second["returnImmediately"], true);
    assert!(poller.owed().0.is_empty());
}

#[tokio::test]
async fn what_is_owed_survives_a_failed_poll() {
    let key = key();
    let (poller, sent) = setup(
        &key,
        vec![
            HttpResponse::json(200, &json!({"sets": {"a": set(&key, "a")}})),
            HttpResponse::json(503, &json!({})),
        ],
    );
    poller.poll_once().await.unwrap();
    assert!(poller.poll_once().await.is_err());
    assert_eq!(poller.owed().0, ["a"], "not lost with the failed poll");
    poller.poll_once().await.unwrap();
    assert_eq!(sent.lock().unwrap()[2]["ack"], json!(["a"]));
    assert!(poller.owed().0.is_empty());
}

#[tokio::test]
async fn drain_polls_while_more_is_available_with_the_settings_asked_for() {
    let key = key();
    let (poller, sent) = setup(
        &key,
        vec![
            HttpResponse::json(
                200,
                &json!({"sets": {"a": set(&key, "a")}, "moreAvailable": true}),
            ),
            HttpResponse::json(
                200,
                &json!({"sets": {"b": set(&key, "b")}, "moreAvailable": false}),
            ),
        ],
    );
    let poller = poller.max_events(1).return_immediately(false);
    let total = poller.drain().await.unwrap();
    assert_eq!((total.accepted, total.refused), (2, 0));
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["maxEvents"], 1);
    assert_eq!(sent[0]["returnImmediately"], false);
    assert_eq!(sent[1]["ack"], json!(["a"]));
    assert_eq!(poller.owed().0, ["b"], "acknowledged with the next poll");
}
