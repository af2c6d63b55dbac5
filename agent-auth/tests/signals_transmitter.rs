//! The shared receiver against the reference authority's SSF 1.0 transmitter,
//! over loopback HTTP: configuration discovery with the issuer check, stream
//! creation (poll and push), verification answered through the stream, an
//! RFC 8936 poll round trip with acknowledgements, and an RFC 8935 push round
//! trip to a receiver endpoint, each ending in a typed signal; a complex
//! subject naming only an agent (the kill switch's) becomes a client subject.
#![cfg(all(feature = "signals", feature = "server"))]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::{Clock, ManualClock};
use agent_auth::oauth::HttpClient;
use agent_auth::secret::SecretString;
use agent_auth::signals::{
    Delivery, POLL_DELIVERY, PUSH_DELIVERY, PollClient, PushEndpoint, SetReceiver, Signal,
    SignalKind, SignalSubscriber, StreamClient, StreamError, StreamStatus, Subject,
    TransmitterConfig, caep,
};
use reference_authority::signals::{DeliveryStatus, Event, EventKind, SubjectId, Transmitter};
use reference_authority::{Authority, AuthorityConfig, ClientSpec};
use std::sync::{Arc, Mutex};

const NOW: i64 = 1_750_000_000;
const RECEIVER: &str = "receiver-app";
const SECRET: &str = "receiver-secret-0123456789";

#[derive(Debug, Default)]
struct Heard(Mutex<Vec<Signal>>);

#[agent_auth::async_trait]
impl SignalSubscriber for Heard {
    async fn on_signal(&self, signal: &Signal) {
        self.0.lock().unwrap().push(signal.clone());
    }
}

struct Setup {
    base: String,
    clock: ManualClock,
    transmitter: Transmitter,
    http: HttpClient,
    receiver: SetReceiver,
    heard: Arc<Heard>,
    streams: StreamClient,
    authorization: SecretString,
}

/// The authority and its transmitter on loopback; a receiver configured from
/// the transmitter's discovered configuration, with the receiver client's
/// `ssf` access token.
async fn setup() -> Setup {
    let (listener, base) = common::bind().await;
    let clock = ManualClock::new(NOW);
    let authority = Authority::builder(base.clone())
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(RECEIVER, SECRET)
                .grant_types(["client_credentials"])
                .scopes(["ssf"]),
        )
        .unwrap();
    let transmitter = Transmitter::install(&authority);
    let app = reference_authority::http::router(authority).merge(transmitter.router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let http = HttpClient::new().unwrap();
    let authorization = common::ssf_authorization(&http, &base, RECEIVER, SECRET).await;
    let config = TransmitterConfig::discover(&http, &base).await.unwrap();
    let validator = config
        .validator(http.clone(), RECEIVER, Arc::new(clock.clone()))
        .unwrap();
    let heard = Arc::new(Heard::default());
    let receiver = SetReceiver::builder(validator)
        .token_issuers(&[base.as_str()])
        .clock(Arc::new(clock.clone()))
        .subscriber(heard.clone())
        .build();
    let streams = StreamClient::new(http.clone(), config, authorization.clone());
    Setup {
        base,
        clock,
        transmitter,
        http,
        receiver,
        heard,
        streams,
        authorization,
    }
}

impl Setup {
    fn revoke_session(&self, user: &str, txn: &str) {
        self.transmitter
            .emit(
                &SubjectId::iss_sub(&self.base, user),
                &Event::new(EventKind::SessionRevoked, self.clock.now()),
                txn,
            )
            .unwrap();
    }

    fn heard(&self) -> Vec<Signal> {
        self.heard.0.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_refuses_a_configuration_of_another_issuer() {
    let s = setup().await;
    let other = s.base.replace("127.0.0.1", "localhost");
    let e = TransmitterConfig::discover(&s.http, &other)
        .await
        .unwrap_err();
    assert!(matches!(e, StreamError::Discovery(_)), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_round_trip_verifies_the_stream_and_acknowledges_each_set() {
    let s = setup().await;
    let stream = s
        .streams
        .create_stream(Delivery::Poll, &s.receiver, Some("guard of the CRM"))
        .await
        .unwrap();
    assert_eq!(stream.aud, [RECEIVER]);
    assert!(
        stream
            .events_delivered
            .contains(&agent_auth::signals::caep::SESSION_REVOKED.to_owned())
    );
    let state = s
        .streams
        .request_verification(&stream, &s.receiver)
        .await
        .unwrap();
    s.revoke_session("user-sarah", "txn-poll");
    let poller = PollClient::new(
        s.http.clone(),
        stream.poll_endpoint.clone().unwrap(),
        s.authorization.clone(),
        s.receiver.clone(),
    )
    .max_events(10);
    let first = poller.poll_once().await.unwrap();
    assert_eq!((first.accepted, first.refused), (2, 0));
    assert!(s.receiver.is_verified(&state));
    let heard = s.heard();
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].kind(), SignalKind::SessionRevoked);
    assert!(heard[0].concerns(&s.base, "user-sarah"));
    assert_eq!(
        poller.owed().0.len(),
        2,
        "both SETs are acknowledged next time"
    );
    // The acknowledgements go out with the next poll; the transmitter sends
    // neither SET again.
    let second = poller.poll_once().await.unwrap();
    assert_eq!((second.accepted, second.refused), (0, 0));
    assert!(poller.owed().0.is_empty());
    assert_eq!(s.heard().len(), 1);
}

/// The receiver's push endpoint, served on loopback.
async fn serve_push(endpoint: PushEndpoint) -> String {
    let (listener, url) = common::bind().await;
    let app = endpoint.router("/events");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("{url}/events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_round_trip_delivers_verified_signals_to_the_receiver() {
    let s = setup().await;
    let push_auth = SecretString::new("Bearer push-secret-0123456789abcdef");
    let url =
        serve_push(PushEndpoint::new(s.receiver.clone()).authorization(push_auth.clone())).await;
    let stream = s
        .streams
        .create_stream(
            Delivery::Push {
                endpoint_url: url,
                authorization: push_auth,
            },
            &s.receiver,
            None,
        )
        .await
        .unwrap();
    assert!(stream.poll_endpoint.is_none());
    let state = s
        .streams
        .request_verification(&stream, &s.receiver)
        .await
        .unwrap();
    s.revoke_session("user-bob", "txn-push");
    let outcomes = s.transmitter.flush().await;
    assert_eq!(outcomes.len(), 2);
    assert!(
        outcomes
            .iter()
            .all(|o| o.status == DeliveryStatus::Acknowledged),
        "{outcomes:?}"
    );
    assert!(s.receiver.is_verified(&state));
    let heard = s.heard();
    assert_eq!(heard.len(), 1);
    assert_eq!(
        heard[0].subject(),
        &Subject::IssSub {
            iss: s.base.clone(),
            sub: "user-bob".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_with_a_wrong_authorization_is_never_acknowledged() {
    let s = setup().await;
    let url = serve_push(
        PushEndpoint::new(s.receiver.clone())
            .authorization(SecretString::new("Bearer the-real-push-secret-0123")),
    )
    .await;
    let stream = s
        .streams
        .create_stream(
            Delivery::Push {
                endpoint_url: url,
                authorization: SecretString::new("Bearer a-guessed-secret-0123456"),
            },
            &s.receiver,
            None,
        )
        .await
        .unwrap();
    let _ = stream;
    s.revoke_session("user-carol", "txn-forged");
    let outcomes = s.transmitter.flush().await;
    assert!(
        outcomes
            .iter()
            .all(|o| o.status != DeliveryStatus::Acknowledged),
        "{outcomes:?}"
    );
    assert!(s.heard().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complex_subject_of_an_agent_becomes_a_client_signal() {
    let s = setup().await;
    let stream = s
        .streams
        .create_stream(Delivery::Poll, &s.receiver, None)
        .await
        .unwrap();
    let agent = SubjectId::complex([(
        "application",
        SubjectId::Opaque("sales-agent-prod-001".into()),
    )]);
    s.transmitter
        .emit(
            &agent,
            &Event::new(EventKind::SessionRevoked, s.clock.now()),
            "txn-agent",
        )
        .unwrap();
    let poller = PollClient::new(
        s.http.clone(),
        stream.poll_endpoint.unwrap(),
        s.authorization.clone(),
        s.receiver.clone(),
    );
    assert_eq!(poller.poll_once().await.unwrap().accepted, 1);
    let heard = s.heard();
    assert_eq!(
        heard[0].subject(),
        &Subject::Client("sales-agent-prod-001".into())
    );
    assert_eq!(heard[0].user_at(&s.base), None, "no user is named");
}

/// The receiver manages its stream through the whole SSF 1.0 section 8.1
/// API: read, PATCH (only what is sent changes), PUT (what is left out is
/// removed), status read and change, delete (then the stream is unknown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_read_update_replace_status_and_delete_against_the_transmitter() {
    let s = setup().await;
    let stream = s
        .streams
        .create_stream(Delivery::Poll, &s.receiver, Some("mcp guard"))
        .await
        .unwrap();
    let id = stream.stream_id.clone();
    assert_eq!(s.streams.read_stream(&id).await.unwrap(), stream);

    let only = vec![caep::SESSION_REVOKED.to_owned()];
    let updated = s
        .streams
        .update_stream(&id, Some(&only), None)
        .await
        .unwrap();
    assert_eq!(updated.events_delivered, only);
    assert_eq!(
        updated.delivery_method, POLL_DELIVERY,
        "PATCH kept delivery"
    );

    let push = Delivery::Push {
        endpoint_url: "http://127.0.0.1:9/ssf".into(),
        authorization: SecretString::new("Bearer push-secret-0123456789"),
    };
    let replaced = s
        .streams
        .replace_stream(&id, push, &s.receiver, None)
        .await
        .unwrap();
    assert_eq!(replaced.stream_id, id);
    assert_eq!(replaced.delivery_method, PUSH_DELIVERY);
    assert_eq!(replaced.poll_endpoint, None);
    assert!(
        replaced.events_delivered.len() > only.len(),
        "PUT replaced events"
    );

    let state = s.streams.stream_status(&id).await.unwrap();
    assert_eq!(state.status, StreamStatus::Enabled);
    let paused = s
        .streams
        .set_stream_status(&id, StreamStatus::Paused, Some("maintenance"))
        .await
        .unwrap();
    assert_eq!(paused.status, StreamStatus::Paused);
    assert_eq!(paused.reason.as_deref(), Some("maintenance"));
    assert_eq!(
        s.streams.stream_status(&id).await.unwrap().status,
        StreamStatus::Paused
    );

    s.streams.delete_stream(&id).await.unwrap();
    for gone in [
        s.streams.read_stream(&id).await.unwrap_err(),
        s.streams.stream_status(&id).await.unwrap_err(),
        s.streams.delete_stream(&id).await.unwrap_err(),
    ] {
        assert!(
            matches!(&gone, StreamError::Http(e) if e.status() == Some(404)),
            "{gone:?}"
        );
    }
}

/// Another receiver's stream is not this receiver's to change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_calls_with_an_unknown_stream_id_are_refused() {
    let s = setup().await;
    for e in [
        s.streams.read_stream("nope").await.unwrap_err(),
        s.streams
            .update_stream("nope", None, Some("x"))
            .await
            .unwrap_err(),
        s.streams
            .set_stream_status("nope", StreamStatus::Disabled, None)
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(&e, StreamError::Http(h) if h.status() == Some(404)),
            "{e:?}"
        );
    }
}
