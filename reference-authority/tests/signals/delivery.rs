//! Delivery rules: what a stream gets (requested types, subjects, status),
//! retries with backoff, refusals, and the outbox surviving a restart.

use crate::support::*;
use reference_authority::signals::{
    DeliveryStatus, Event, EventKind, StreamStatus, SubjectId, TransmitterConfig, types,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

fn sarah(f: &Fixture) -> SubjectId {
    SubjectId::iss_sub(f.base.clone(), "user-sarah")
}

fn revoked() -> Event {
    Event::new(EventKind::SessionRevoked, NOW)
}

#[tokio::test]
async fn only_requested_event_types_are_delivered() {
    let f = fixture().await;
    let r = Receiver::start(202).await;
    f.push_stream(&r.url, &[types::CREDENTIAL_CHANGE]).await;
    let queued = f.transmitter.emit(&sarah(&f), &revoked(), "t1").unwrap();
    assert!(queued.is_empty());
    let change = Event::new(
        EventKind::CredentialChange {
            credential_type: "password".into(),
            change_type: reference_authority::signals::ChangeType::Update,
        },
        NOW,
    );
    assert_eq!(
        f.transmitter.emit(&sarah(&f), &change, "t2").unwrap().len(),
        1
    );
    f.transmitter.flush().await;
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 1);
    let set = f.validate_set(&pushes[0].set, RECEIVER).await;
    let body = event(&set, types::CREDENTIAL_CHANGE).unwrap();
    assert_eq!(body["credential_type"], "password");
    assert_eq!(body["change_type"], "update");
    assert!(event(&set, types::SESSION_REVOKED).is_none());
}

#[tokio::test]
async fn removed_subjects_are_filtered_out_and_added_ones_come_back() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let r = Receiver::start(202).await;
    let id = f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    let remove = json!({"stream_id": id, "subject": sarah(&f).to_json()});
    f.call(
        Method::POST,
        "/ssf/subjects:remove",
        Some(&token),
        Some(remove.clone()),
    )
    .await;
    assert!(
        f.transmitter
            .emit(&sarah(&f), &revoked(), "t")
            .unwrap()
            .is_empty()
    );
    // A complex subject naming the removed user is filtered out too.
    let pair = SubjectId::complex([
        ("user", sarah(&f)),
        ("application", SubjectId::Opaque(AGENT.into())),
    ]);
    assert!(
        f.transmitter
            .emit(&pair, &revoked(), "t")
            .unwrap()
            .is_empty()
    );
    // Other subjects still go.
    let bob = SubjectId::iss_sub(f.base.clone(), "user-bob");
    assert_eq!(f.transmitter.emit(&bob, &revoked(), "t").unwrap().len(), 1);
    f.call(
        Method::POST,
        "/ssf/subjects:add",
        Some(&token),
        Some(remove),
    )
    .await;
    assert_eq!(
        f.transmitter
            .emit(&sarah(&f), &revoked(), "t")
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn default_subjects_none_sends_only_added_subjects() {
    let f = fixture_with(
        "",
        TransmitterConfig::default().subjects_none_by_default(),
        None,
    )
    .await;
    let token = f.receiver_token().await;
    let r = Receiver::start(202).await;
    let id = f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    assert!(
        f.transmitter
            .emit(&sarah(&f), &revoked(), "t")
            .unwrap()
            .is_empty()
    );
    // SSF 1.0 section 8.1.3.1: a complex subject with fewer members matches.
    let tenant_wide = json!({"format": "complex", "user": sarah(&f).to_json()});
    f.call(
        Method::POST,
        "/ssf/subjects:add",
        Some(&token),
        Some(json!({"stream_id": id, "subject": tenant_wide})),
    )
    .await;
    let pair = SubjectId::complex([
        ("user", sarah(&f)),
        ("application", SubjectId::Opaque(AGENT.into())),
    ]);
    assert_eq!(f.transmitter.emit(&pair, &revoked(), "t").unwrap().len(), 1);
    let other_pair = SubjectId::complex([
        ("user", SubjectId::iss_sub(f.base.clone(), "user-bob")),
        ("application", SubjectId::Opaque(AGENT.into())),
    ]);
    assert!(
        f.transmitter
            .emit(&other_pair, &revoked(), "t")
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn paused_streams_hold_events_and_disabled_streams_drop_them() {
    let f = fixture().await;
    let r = Receiver::start(202).await;
    let id = f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    let token = f.receiver_token().await;
    let set_status = |s: &'static str| {
        let (f, token, id) = (&f, &token, &id);
        async move {
            f.call(
                Method::POST,
                "/ssf/status",
                Some(token),
                Some(json!({"stream_id": id, "status": s})),
            )
            .await
        }
    };
    set_status("paused").await;
    f.transmitter.emit(&sarah(&f), &revoked(), "held").unwrap();
    f.transmitter.flush().await;
    assert!(r.pushes().is_empty());
    set_status("enabled").await;
    f.transmitter.flush().await;
    assert_eq!(r.pushes().len(), 1);
    set_status("disabled").await;
    assert!(
        f.transmitter
            .emit(&sarah(&f), &revoked(), "dropped")
            .unwrap()
            .is_empty()
    );
    set_status("enabled").await;
    f.transmitter.flush().await;
    assert_eq!(r.pushes().len(), 1);
}

#[tokio::test]
async fn transmitter_initiated_pause_sends_stream_updated_first() {
    let f = fixture().await;
    let r = Receiver::start(202).await;
    let id = f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    f.transmitter
        .change_status(&id, StreamStatus::Paused, Some("maintenance"))
        .unwrap();
    f.transmitter.flush().await;
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 1);
    let set = f.validate_set(&pushes[0].set, RECEIVER).await;
    assert_eq!(
        event(&set, types::STREAM_UPDATED).unwrap()["status"],
        "paused"
    );
    assert_eq!(
        set.claims().extra["sub_id"],
        json!({"format": "opaque", "id": id})
    );
}

#[tokio::test]
async fn failed_pushes_are_retried_with_exponential_backoff() {
    let f = fixture_with("", TransmitterConfig::default().retries(3, 10, 1000), None).await;
    let r = Receiver::start(503).await;
    f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    f.transmitter.emit(&sarah(&f), &revoked(), "t").unwrap();
    let first = f.transmitter.flush().await;
    assert!(matches!(first[0].status, DeliveryStatus::Retrying(_)));
    // Not due before the backoff (10 s) has passed.
    f.clock.advance(9);
    assert!(f.transmitter.flush().await.is_empty());
    f.clock.advance(1);
    assert!(matches!(
        f.transmitter.flush().await[0].status,
        DeliveryStatus::Retrying(_)
    ));
    // The second delay doubles (20 s).
    f.clock.advance(19);
    assert!(f.transmitter.flush().await.is_empty());
    f.clock.advance(1);
    let last = f.transmitter.flush().await;
    assert!(
        matches!(last[0].status, DeliveryStatus::GaveUp(_)),
        "{last:?}"
    );
    assert_eq!(r.pushes().len(), 3);
    f.clock.advance(10_000);
    assert!(f.transmitter.flush().await.is_empty());
}

#[tokio::test]
async fn a_receiver_refusal_is_not_retried_and_is_audited() {
    let f = fixture().await;
    let r = Receiver::start(400).await;
    f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    f.transmitter.emit(&sarah(&f), &revoked(), "t").unwrap();
    let out = f.transmitter.flush().await;
    assert_eq!(
        out[0].status,
        DeliveryStatus::Refused("invalid_audience".into())
    );
    f.clock.advance(3600);
    assert!(f.transmitter.flush().await.is_empty());
    assert!(
        f.audit_has(|e| e.reason.as_deref() == Some("invalid_audience")
            && e.details.get("jti") == Some(&Value::String(out[0].jti.clone())))
    );
}

#[tokio::test]
async fn push_to_a_receiver_requiring_authorization_is_refused_without_it_and_retried() {
    let f = fixture().await;
    let r = Receiver::start(401).await;
    f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    f.transmitter.emit(&sarah(&f), &revoked(), "t").unwrap();
    let out = f.transmitter.flush().await;
    assert_eq!(out[0].status, DeliveryStatus::Retrying("HTTP 401".into()));
    assert!(r.pushes()[0].authorization.is_none());
}

#[tokio::test]
async fn the_outbox_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authority.sqlite");
    let r = Receiver::start(503).await;
    let jti = {
        let store = Arc::new(reference_authority::SqliteStore::open(&path).unwrap())
            as Arc<dyn reference_authority::Store>;
        let f = fixture_with("", TransmitterConfig::default(), Some(store)).await;
        f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
        let q = f.transmitter.emit(&sarah(&f), &revoked(), "t").unwrap();
        assert!(matches!(
            f.transmitter.flush().await[0].status,
            DeliveryStatus::Retrying(_)
        ));
        q[0].jti.clone()
    };
    // A new authority on the same file: the SET is still owed and goes out.
    r.answer(202);
    let store = Arc::new(reference_authority::SqliteStore::open(&path).unwrap())
        as Arc<dyn reference_authority::Store>;
    let f = fixture_with("", TransmitterConfig::default(), Some(store)).await;
    f.clock.advance(3600);
    let out = f.transmitter.flush().await;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].jti, jti);
    assert_eq!(out[0].status, DeliveryStatus::Acknowledged);
}

#[tokio::test]
async fn poll_requests_are_checked_and_scoped_to_the_owner() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let poll = f
        .create_stream(
            &token,
            json!({"events_requested": [types::SESSION_REVOKED]}),
        )
        .await;
    let path = poll["delivery"]["endpoint_url"]
        .as_str()
        .unwrap()
        .trim_start_matches(&f.base)
        .to_owned();
    for body in [
        json!({"maxEvents": -1}),
        json!({"ack": "x"}),
        json!({"returnImmediately": "yes"}),
        json!({"setErrs": {"j": {}}}),
    ] {
        let (s, _) = f
            .call(Method::POST, &path, Some(&token), Some(body.clone()))
            .await;
        assert_eq!(s, 400, "{body}");
    }
    let other = f
        .client_token("other-receiver", RECEIVER_SECRET, "ssf")
        .await;
    let (s, _) = f
        .call(
            Method::POST,
            &path,
            Some(&other),
            Some(json!({"returnImmediately": true})),
        )
        .await;
    assert_eq!(s, 404);
    // maxEvents bounds the answer; setErrs settles a SET for good.
    for _ in 0..3 {
        f.transmitter.emit(&sarah(&f), &revoked(), "t").unwrap();
    }
    let (_, got) = f
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"maxEvents": 2, "returnImmediately": true})),
        )
        .await;
    assert_eq!(got["sets"].as_object().unwrap().len(), 2);
    assert_eq!(got["moreAvailable"], true);
    let jti = got["sets"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let errs = json!({"setErrs": {jti.clone(): {"err": "invalid_key", "description": "unknown kid"}}, "returnImmediately": true});
    let (_, got) = f.call(Method::POST, &path, Some(&token), Some(errs)).await;
    assert_eq!(got["sets"].as_object().unwrap().len(), 2);
    assert!(!got["sets"].as_object().unwrap().contains_key(&jti));
    assert!(f.audit_has(|e| e.reason.as_deref() == Some("invalid_key")));
}

#[tokio::test]
async fn each_of_many_streams_gets_a_set_for_its_own_audience() {
    let f = fixture().await;
    let poll = json!({"events_requested": [types::SESSION_REVOKED]});
    let mut streams = Vec::new();
    for i in 0..24 {
        let owner = format!("receiver-{i}");
        let c = f
            .transmitter
            .create_stream(&owner, poll.as_object().unwrap())
            .unwrap();
        streams.push((owner, c["stream_id"].as_str().unwrap().to_owned()));
    }
    // Enough streams for the SETs to be signed on several threads.
    let queued = f.transmitter.emit(&sarah(&f), &revoked(), "many").unwrap();
    assert_eq!(queued.len(), 24);
    let ask = json!({"returnImmediately": true});
    for (owner, id) in &streams {
        let got = f
            .transmitter
            .poll(owner, id, ask.as_object().unwrap())
            .await
            .unwrap();
        let sets = got["sets"].as_object().unwrap();
        assert_eq!(sets.len(), 1);
        let set = sets.values().next().unwrap().as_str().unwrap();
        let v = f.validate_set(set, owner).await;
        assert_eq!(v.claims().aud, vec![owner.clone()]);
        assert!(
            queued
                .iter()
                .any(|q| &q.stream_id == id && sets.contains_key(&q.jti))
        );
    }
}

/// `publish` pushes at once, but never past a SET the stream still owes: the
/// newer one waits and the next round delivers both, oldest first.
#[tokio::test]
async fn publish_pushes_at_once_but_never_overtakes_an_older_set() {
    let f = fixture().await;
    let r = Receiver::start(503).await;
    f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    let older = f.transmitter.emit(&sarah(&f), &revoked(), "t1").unwrap();
    let first = f.transmitter.flush().await;
    assert!(matches!(first[0].status, DeliveryStatus::Retrying(_)));
    r.answer(202);
    let (newer, pushed) = f
        .transmitter
        .publish(&[sarah(&f)], &revoked(), "t2")
        .await
        .unwrap();
    assert_eq!(newer.len(), 1);
    assert!(pushed.is_empty(), "the newer SET overtook the older one");
    f.clock.advance(3600);
    let round = f.transmitter.flush().await;
    let order: Vec<&str> = round.iter().map(|o| o.jti.as_str()).collect();
    assert_eq!(order, [older[0].jti.as_str(), newer[0].jti.as_str()]);
    assert!(
        round
            .iter()
            .all(|o| o.status == DeliveryStatus::Acknowledged)
    );
    // With nothing owed, publish delivers in the same call.
    let (queued, pushed) = f
        .transmitter
        .publish(&[sarah(&f)], &revoked(), "t3")
        .await
        .unwrap();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].jti, queued[0].jti);
    assert_eq!(pushed[0].status, DeliveryStatus::Acknowledged);
}
