//! Stream inactivity (SSF 1.0 section 8.1.1 `inactivity_timeout`): the
//! timeout is advertised in the stream configuration; a stream whose receiver
//! made no request about it for longer is paused, with a stream-updated
//! event; a receiver that polls or calls the management API keeps its stream.

use crate::support::*;
use axum::http::StatusCode;
use reference_authority::signals::{INACTIVITY_REASON, TransmitterConfig, types};
use reqwest::Method;
use serde_json::{Value, json};

const TIMEOUT: i64 = 600;

async fn poll_stream(f: &Fixture, token: &str) -> String {
    let created = f
        .create_stream(token, json!({"events_requested": [types::SESSION_REVOKED]}))
        .await;
    assert_eq!(created["inactivity_timeout"], TIMEOUT);
    created["stream_id"].as_str().unwrap().to_owned()
}

async fn poll(f: &Fixture, token: &str, id: &str) -> Value {
    let (status, body) = f
        .call(
            Method::POST,
            &format!("/ssf/poll/{id}"),
            Some(token),
            Some(json!({"returnImmediately": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    body
}

#[tokio::test]
async fn an_inactive_stream_is_paused_with_a_stream_updated_event() {
    let f = fixture_with(
        "",
        TransmitterConfig::default().inactivity_timeout(TIMEOUT),
        None,
    )
    .await;
    let token = f.receiver_token().await;
    let idle = poll_stream(&f, &token).await;
    let active = poll_stream(&f, &token).await;
    f.clock.advance(TIMEOUT - 100);
    let token = f.receiver_token().await;
    poll(&f, &token, &active).await;
    assert!(f.transmitter.pause_inactive().unwrap().is_empty());
    f.clock.advance(101);
    assert_eq!(f.transmitter.pause_inactive().unwrap(), vec![idle.clone()]);
    let token = f.receiver_token().await;

    let status = |id: String| {
        let (f, token) = (&f, token.clone());
        async move {
            f.call(
                Method::GET,
                &format!("/ssf/status?stream_id={id}"),
                Some(&token),
                None,
            )
            .await
            .1
        }
    };
    let idle_status = status(idle.clone()).await;
    assert_eq!(idle_status["status"], "paused", "{idle_status}");
    assert_eq!(idle_status["reason"], INACTIVITY_REASON);
    assert_eq!(status(active.clone()).await["status"], "enabled");
    // The receiver learns why at its next poll: a stream-updated event.
    let sets = poll(&f, &token, &idle).await;
    let sets = sets["sets"].as_object().unwrap();
    assert_eq!(sets.len(), 1);
    let set = f
        .validate_set(sets.values().next().unwrap().as_str().unwrap(), RECEIVER)
        .await;
    let updated = event(&set, types::STREAM_UPDATED).unwrap();
    assert_eq!(updated["status"], "paused");
    assert_eq!(updated["reason"], INACTIVITY_REASON);
}

#[tokio::test]
async fn without_an_inactivity_timeout_streams_never_pause() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let created = f
        .create_stream(
            &token,
            json!({"events_requested": [types::SESSION_REVOKED]}),
        )
        .await;
    assert!(created.get("inactivity_timeout").is_none());
    f.clock.advance(365 * 86_400);
    assert!(f.transmitter.pause_inactive().unwrap().is_empty());
}
