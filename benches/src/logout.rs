//! The `logout` group.
//!
//! - `logout.fanout_100.vs_plain_posts`: one `session-revoked` event pushed by
//!   the SSF transmitter to 100 receivers on loopback, through the kill
//!   switch's path (`Transmitter::publish`: 100 SETs signed and stored in the
//!   outbox in batches on the blocking pool, each batch POSTed as soon as it
//!   is ready, the outbox settled once after the round) against 100 plain
//!   parallel POSTs of the same body to the same receivers.
//! - `logout.inprocess.vs_revocation_check`: from the kill switch call to the
//!   moment an in-process guard (mcp-guard's revocation list following the
//!   authority) refuses the user's token, against one revocation-list lookup.
//!   The absolute time is printed too.

use crate::measure::report;
use agent_auth::clock::{Clock, ManualClock};
use mcp_guard::revocation::RevocationList;
use mcp_guard::{Principal, TokenSource};
use reference_authority::kill_switch::{KillSwitch, LogoutRequest, Target};
use reference_authority::signals::{Event, EventKind, SubjectId, Transmitter, types};
use reference_authority::{Authority, AuthorityConfig, GrantFacts, IssueOptions, UserSpec};
use std::sync::Arc;
use std::time::Instant;

const RECEIVERS: usize = 100;
const FANOUT_ROUNDS: usize = 31;
const INPROCESS_ROUNDS: usize = 201;
const NOW: i64 = 1_750_000_000;

/// Runs the group and prints its figures.
pub fn run() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("logout: no runtime: {e}");
            return;
        }
    };
    if let Err(e) = rt.block_on(fanout()) {
        eprintln!("logout: fanout setup failed: {e}");
    }
    if let Err(e) = rt.block_on(inprocess()) {
        eprintln!("logout: in-process setup failed: {e}");
    }
}

async fn receiver() -> Result<String, std::io::Error> {
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(|_: String| async { axum::http::StatusCode::ACCEPTED }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/events", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

async fn fanout() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::new(NOW);
    let authority = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()?;
    let transmitter = Transmitter::install(&authority);
    let mut urls = Vec::with_capacity(RECEIVERS);
    for i in 0..RECEIVERS {
        let url = receiver().await?;
        let body = serde_json::json!({
            "delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": url},
            "events_requested": [types::SESSION_REVOKED],
        });
        let body = body.as_object().ok_or("object")?;
        transmitter.create_stream(&format!("receiver-{i}"), body)?;
        urls.push(url);
    }
    let subject = SubjectId::iss_sub("https://idp.example", "user-sarah");
    let plain = reqwest::Client::new();
    // The baseline's body: one of the SETs the transmitter sends, read from a
    // poll stream that then leaves.
    let poll = serde_json::json!({"events_requested": [types::SESSION_REVOKED]});
    let sampler = transmitter.create_stream("sampler", poll.as_object().ok_or("object")?)?;
    let sampler_id = sampler
        .get("stream_id")
        .and_then(|v| v.as_str())
        .ok_or("stream id")?
        .to_owned();
    transmitter.emit(
        &subject,
        &Event::new(EventKind::SessionRevoked, NOW),
        "warm",
    )?;
    transmitter.flush().await;
    let ask = serde_json::json!({"returnImmediately": true});
    let sets = transmitter
        .poll("sampler", &sampler_id, ask.as_object().ok_or("object")?)
        .await?;
    let body = sets
        .get("sets")
        .and_then(|v| v.as_object())
        .and_then(|m| m.values().next())
        .and_then(|v| v.as_str())
        .ok_or("no sample SET")?
        .to_owned();
    transmitter.delete_stream("sampler", &sampler_id)?;
    let (mut ratios, mut ours_t, mut base_t) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..FANOUT_ROUNDS {
        let ours = async {
            let start = Instant::now();
            let event = Event::new(EventKind::SessionRevoked, clock.now());
            let published = transmitter
                .publish(
                    std::slice::from_ref(&subject),
                    &event,
                    &format!("round-{round}"),
                )
                .await;
            let elapsed = start.elapsed();
            let (queued, delivered) = published.map_or((0, 0), |(q, d)| (q.len(), d.len()));
            assert_delivered(queued, delivered);
            elapsed
        };
        let baseline = async {
            let start = Instant::now();
            let posts = urls.iter().map(|u| {
                plain
                    .post(u)
                    .header("content-type", "application/secevent+jwt")
                    .body(body.clone())
                    .send()
            });
            let answers = futures::future::join_all(posts).await;
            let elapsed = start.elapsed();
            let ok = answers
                .iter()
                .filter(|a| a.as_ref().is_ok_and(|r| r.status().as_u16() == 202))
                .count();
            assert_delivered(RECEIVERS, ok);
            elapsed
        };
        let (o, b) = if round % 2 == 0 {
            let o = ours.await;
            (o, baseline.await)
        } else {
            let b = baseline.await;
            (ours.await, b)
        };
        let (o, b) = (o.as_nanos() as f64, b.as_nanos() as f64);
        ratios.push(o / b);
        ours_t.push(o);
        base_t.push(b);
        // Delivered records leave the outbox (outside the timing).
        clock.advance(2 * 86_400);
        authority.purge_expired()?;
    }
    report(
        "logout.fanout_100.vs_plain_posts",
        &mut ratios,
        &mut ours_t,
        &mut base_t,
    );
    Ok(())
}

fn assert_delivered(expected: usize, got: usize) {
    if expected != got {
        eprintln!("logout: {got} of {expected} deliveries acknowledged");
    }
}

async fn inprocess() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::new(NOW);
    let issuer = "https://idp.example";
    let authority = Authority::builder(issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()?;
    authority.register_user(UserSpec::new("sarah").id("user-sarah"))?;
    let kill = KillSwitch::new(&authority);
    let list = RevocationList::new();
    list.follow(&authority);
    let principal = |jti: String, iat: i64| Principal {
        issuer: issuer.to_owned(),
        subject: Some("user-sarah".to_owned()),
        client_id: Some("sales-agent".to_owned()),
        scopes: vec!["crm:read".to_owned()],
        roles: Vec::new(),
        audience: vec![issuer.to_owned()],
        expires_at: Some(iat + 300),
        issued_at: Some(iat),
        token_id: Some(jti),
        source: TokenSource::Jwt,
        claims: agent_auth::validate::Claims::new(),
    };
    let facts = GrantFacts {
        client_id: "sales-agent".into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["crm:read".into()],
        ..GrantFacts::default()
    };
    let other = principal("someone-else".into(), NOW);
    let request = LogoutRequest::new(Target::User("user-sarah".into()), "bench");
    let (mut ratios, mut ours_t, mut base_t) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..INPROCESS_ROUNDS {
        // A fresh token each round, issued after the last logout.
        clock.advance(1);
        let issued = authority.issue(&facts, IssueOptions::default())?;
        let claims = authority.verify_access_token(issued.access_token.expose_secret())?;
        let p = principal(claims.jti.clone().unwrap_or_default(), clock.now());
        if list.is_revoked(&p, clock.now()) {
            return Err("the fresh token is refused before the logout".into());
        }
        clock.advance(1);
        let start = Instant::now();
        kill.fire(&request).await?;
        let refused = list.is_revoked(&p, clock.now());
        let o = start.elapsed().as_nanos() as f64;
        if !refused {
            return Err("the guard did not refuse the token".into());
        }
        const LOOKUPS: u32 = 1000;
        let start = Instant::now();
        for _ in 0..LOOKUPS {
            std::hint::black_box(list.is_revoked(std::hint::black_box(&other), NOW));
        }
        let b = start.elapsed().as_nanos() as f64 / f64::from(LOOKUPS);
        ratios.push(o / b);
        ours_t.push(o);
        base_t.push(b);
    }
    let result = report(
        "logout.inprocess.vs_revocation_check",
        &mut ratios,
        &mut ours_t,
        &mut base_t,
    );
    println!(
        "ABS logout_inprocess_kill_to_refusal_us {:.1}",
        result.ours_ns / 1000.0
    );
    Ok(())
}
