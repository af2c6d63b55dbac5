//! `user_code` (CIBA Core 1.0 sections 7.1 and 13): required from clients
//! registered for it, checked against the user's code hashed at rest;
//! `missing_user_code` and `invalid_user_code` store and notify nothing;
//! wrong codes are capped by a lock-out that answers like a wrong code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::audit::{AuditAction, MemorySink};
use agent_auth::clock::ManualClock;
use ciba_client::GRANT_TYPE;
use reference_authority::ciba::{
    ApprovalRequest, BackchannelResponse, ChannelDevice, CibaConfig, CibaOp, ClientSettings,
};
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, MemoryStore, OAuthError, Params, SqliteStore, Store,
    Table, TokenRequest, UserSpec,
};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

const SECRET: &str = "agent-secret-0123456789";
const CODE: &str = "4711-blue-heron";

struct Fx {
    authority: Authority,
    op: CibaOp,
    device: UnboundedReceiver<ApprovalRequest>,
}

fn fixture() -> Fx {
    let authority = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    for (name, id) in [("sarah", "user-sarah"), ("bob", "user-bob")] {
        authority.register_user(UserSpec::new(name).id(id)).unwrap();
    }
    for id in ["coded-agent", "plain-agent"] {
        authority
            .register_client(
                ClientSpec::confidential(id, SECRET)
                    .grant_types([GRANT_TYPE])
                    .scopes(["openid"]),
            )
            .unwrap();
    }
    let device = ChannelDevice::new();
    let rx = device.take_receiver().unwrap();
    let op = CibaOp::install(&authority, Arc::new(device));
    op.register("coded-agent", ClientSettings::poll().user_code())
        .unwrap();
    op.register("plain-agent", ClientSettings::poll()).unwrap();
    op.set_user_code("user-sarah", CODE).unwrap();
    Fx {
        authority,
        op,
        device: rx,
    }
}

async fn ask(
    fx: &Fx,
    client: &str,
    user: &str,
    code: Option<&str>,
) -> Result<BackchannelResponse, OAuthError> {
    let mut p = Params::from_pairs([("scope", "openid"), ("login_hint", user)]);
    if let Some(c) = code {
        p = p.with("user_code", c);
    }
    fx.op
        .backchannel_authentication(&TokenRequest::new(p).basic(client, SECRET))
        .await
}

fn stored(fx: &Fx) -> usize {
    fx.authority
        .store()
        .scan(Table::Extension("ciba_requests"))
        .unwrap()
        .len()
}

/// Asks and expects the refusal `expected`, leaving no trace.
async fn refused(fx: &mut Fx, client: &str, user: &str, code: Option<&str>, expected: &str) {
    let before = stored(fx);
    let err = ask(fx, client, user, code)
        .await
        .err()
        .unwrap_or_else(|| panic!("{expected}: accepted"));
    assert_eq!(err.code().as_str(), expected, "{}", err.description());
    assert!(
        !err.description().contains(CODE) && !format!("{err:?}").contains(CODE),
        "the code never appears in an error"
    );
    assert!(fx.device.try_recv().is_err(), "{expected}: no one notified");
    assert_eq!(stored(fx), before, "{expected}: nothing stored");
}

#[tokio::test]
async fn the_user_code_is_required_and_checked() {
    let mut fx = fixture();
    refused(&mut fx, "coded-agent", "sarah", None, "missing_user_code").await;
    refused(
        &mut fx,
        "coded-agent",
        "sarah",
        Some("4711-blue-hero"),
        "invalid_user_code",
    )
    .await;
    let long = "x".repeat(10_000);
    refused(
        &mut fx,
        "coded-agent",
        "sarah",
        Some(&long),
        "invalid_user_code",
    )
    .await;
    // Bob has no code: a client that must send one cannot ask him.
    refused(
        &mut fx,
        "coded-agent",
        "bob",
        Some(CODE),
        "invalid_user_code",
    )
    .await;
    // A client not registered for user codes may not send one.
    refused(
        &mut fx,
        "plain-agent",
        "sarah",
        Some(CODE),
        "invalid_request",
    )
    .await;

    ask(&fx, "coded-agent", "sarah", Some(CODE)).await.unwrap();
    assert_eq!(fx.device.try_recv().unwrap().user_id, "user-sarah");
    ask(&fx, "plain-agent", "bob", None).await.unwrap();
    assert_eq!(fx.device.try_recv().unwrap().user_id, "user-bob");
}

#[tokio::test]
async fn user_codes_are_hashed_at_rest_and_can_change() {
    let mut fx = fixture();
    let stored = fx
        .authority
        .store()
        .get(Table::Extension("ciba_user_codes"), "user-sarah")
        .unwrap()
        .unwrap();
    let stored = String::from_utf8(stored).unwrap();
    assert!(stored.starts_with("\"$argon2id$"), "{stored}");
    assert!(!stored.contains(CODE));

    fx.op.set_user_code("user-sarah", "new-code-2").unwrap();
    refused(
        &mut fx,
        "coded-agent",
        "sarah",
        Some(CODE),
        "invalid_user_code",
    )
    .await;
    ask(&fx, "coded-agent", "sarah", Some("new-code-2"))
        .await
        .unwrap();
    assert!(fx.op.remove_user_code("user-sarah").unwrap());
    fx.device.try_recv().unwrap();
    refused(
        &mut fx,
        "coded-agent",
        "sarah",
        Some("new-code-2"),
        "invalid_user_code",
    )
    .await;

    assert!(fx.op.set_user_code("user-nobody", CODE).is_err());
    assert!(fx.op.set_user_code("user-bob", "").is_err());
}

/// An OP on `store` (fresh when `None`) with `clock`, default lock-out
/// settings unless `config` says otherwise, auditing into `sink`. Users and
/// clients are registered only in a fresh store.
fn lockout_fixture(
    store: Arc<dyn Store>,
    fresh: bool,
    clock: &ManualClock,
    config: CibaConfig,
    sink: &MemorySink,
) -> Fx {
    let authority = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .store(store)
        .audit(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let device = ChannelDevice::new();
    let rx = device.take_receiver().unwrap();
    let op = CibaOp::install_with(&authority, Arc::new(device), config);
    if fresh {
        for (name, id) in [("sarah", "user-sarah"), ("carol", "user-carol")] {
            authority.register_user(UserSpec::new(name).id(id)).unwrap();
        }
        authority
            .register_client(
                ClientSpec::confidential("coded-agent", SECRET)
                    .grant_types([GRANT_TYPE])
                    .scopes(["openid"]),
            )
            .unwrap();
        op.register("coded-agent", ClientSettings::poll().user_code())
            .unwrap();
        op.set_user_code("user-sarah", CODE).unwrap();
        op.set_user_code("user-carol", "carol-code-9").unwrap();
    }
    Fx {
        authority,
        op,
        device: rx,
    }
}

/// The reasons of the user-code audit events, in order.
fn lock_audit(sink: &MemorySink) -> Vec<String> {
    sink.events()
        .into_iter()
        .filter(|e| e.action == AuditAction::Authentication)
        .filter_map(|e| e.reason)
        .collect()
}

/// A wrong code for `user`: refused, and the refusal says nothing more.
async fn wrong(fx: &mut Fx, user: &str) -> OAuthError {
    let err = ask(fx, "coded-agent", user, Some("not-the-code"))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_user_code");
    assert!(fx.device.try_recv().is_err());
    err
}

#[tokio::test]
async fn five_wrong_codes_lock_the_person_for_fifteen_minutes() {
    let clock = ManualClock::new(1_750_000_000);
    let sink = MemorySink::new();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let mut fx = lockout_fixture(store, true, &clock, CibaConfig::default(), &sink);
    let first = wrong(&mut fx, "sarah").await;
    for _ in 0..4 {
        wrong(&mut fx, "sarah").await;
    }
    assert!(!lock_audit(&sink).contains(&"user_code_locked_out".to_owned()));
    assert_eq!(
        lock_audit(&sink).last().map(String::as_str),
        Some("user_code_locked"),
        "the fifth failure locks"
    );

    // Locked: the right code is refused exactly as a wrong one, and audited as a lock-out.
    let locked = ask(&fx, "coded-agent", "sarah", Some(CODE))
        .await
        .unwrap_err();
    assert_eq!(locked.code().as_str(), first.code().as_str());
    assert_eq!(locked.description(), first.description());
    assert_eq!(format!("{locked:?}"), format!("{first:?}"));
    assert!(fx.device.try_recv().is_err(), "locked: no one notified");
    assert_eq!(
        lock_audit(&sink).last().map(String::as_str),
        Some("user_code_locked_out")
    );
    let locked_event = sink.events().into_iter().last().unwrap();
    assert_eq!(
        locked_event.reason.as_deref(),
        Some("invalid_user_code"),
        "the request itself is audited as the client saw it"
    );

    // Another person is not affected.
    ask(&fx, "coded-agent", "carol", Some("carol-code-9"))
        .await
        .unwrap();
    fx.device.try_recv().unwrap();

    // Still locked one second before the end; open at the end, with a fresh count.
    clock.advance(899);
    ask(&fx, "coded-agent", "sarah", Some(CODE))
        .await
        .unwrap_err();
    clock.advance(1);
    ask(&fx, "coded-agent", "sarah", Some(CODE)).await.unwrap();
    fx.device.try_recv().unwrap();
}

#[tokio::test]
async fn a_right_code_clears_the_count_and_old_failures_are_forgotten() {
    let clock = ManualClock::new(1_750_000_000);
    let sink = MemorySink::new();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let config = CibaConfig::default().user_code_lockout(3, 600);
    let mut fx = lockout_fixture(Arc::clone(&store), true, &clock, config, &sink);
    let failures = Table::Extension("ciba_user_code_failures");

    // Two wrong, one right, two wrong, one right: never three in a row.
    for _ in 0..2 {
        wrong(&mut fx, "sarah").await;
        wrong(&mut fx, "sarah").await;
        ask(&fx, "coded-agent", "sarah", Some(CODE)).await.unwrap();
        fx.device.try_recv().unwrap();
    }
    assert!(store.get(failures, "user-sarah").unwrap().is_none());

    // Two wrong, then 600 quiet seconds: forgotten, so two more do not lock.
    wrong(&mut fx, "sarah").await;
    wrong(&mut fx, "sarah").await;
    clock.advance(600);
    wrong(&mut fx, "sarah").await;
    wrong(&mut fx, "sarah").await;
    ask(&fx, "coded-agent", "sarah", Some(CODE)).await.unwrap();
    fx.device.try_recv().unwrap();
    assert!(
        !lock_audit(&sink)
            .iter()
            .any(|r| r.starts_with("user_code_locked"))
    );

    // A lock-out is kept by maintenance until it ends, then removed.
    for _ in 0..3 {
        wrong(&mut fx, "sarah").await;
    }
    clock.advance(599);
    fx.authority.purge_expired().unwrap();
    assert!(store.get(failures, "user-sarah").unwrap().is_some());
    clock.advance(1);
    fx.authority.purge_expired().unwrap();
    assert!(store.get(failures, "user-sarah").unwrap().is_none());
}

#[tokio::test]
async fn concurrent_guesses_cannot_pass_the_cap() {
    let clock = ManualClock::new(1_750_000_000);
    let sink = MemorySink::new();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let config = CibaConfig::default().user_code_lockout(3, 600);
    let fx = lockout_fixture(store, true, &clock, config, &sink);
    let guesses = (0..10).map(|i| {
        let guess = format!("guess-{i}");
        let fx = &fx;
        async move { ask(fx, "coded-agent", "sarah", Some(&guess)).await }
    });
    for result in futures::future::join_all(guesses).await {
        assert_eq!(result.unwrap_err().code().as_str(), "invalid_user_code");
    }
    let checked = lock_audit(&sink)
        .iter()
        .filter(|r| *r == "wrong_user_code")
        .count();
    assert!(checked <= 3, "{checked} codes were checked");
    ask(&fx, "coded-agent", "sarah", Some(CODE))
        .await
        .unwrap_err();
}

#[tokio::test]
async fn a_lockout_survives_a_restart_with_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authority.sqlite");
    let clock = ManualClock::new(1_750_000_000);
    let sink = MemorySink::new();
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        let mut fx = lockout_fixture(store, true, &clock, CibaConfig::default(), &sink);
        for _ in 0..5 {
            wrong(&mut fx, "sarah").await;
        }
    }
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let mut fx = lockout_fixture(store, false, &clock, CibaConfig::default(), &sink);
    let err = ask(&fx, "coded-agent", "sarah", Some(CODE))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_user_code", "still locked");
    assert!(fx.device.try_recv().is_err());
    clock.advance(900);
    ask(&fx, "coded-agent", "sarah", Some(CODE)).await.unwrap();
    assert_eq!(fx.device.try_recv().unwrap().user_id, "user-sarah");
}
