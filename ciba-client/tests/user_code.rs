//! `user_code` (CIBA Core 1.0 sections 7.1 and 13): required from clients
//! registered for it, checked against the user's code hashed at rest;
//! `missing_user_code` and `invalid_user_code` store and notify nothing.
#![cfg(feature = "reference-op")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::authority::{
    Authority, AuthorityConfig, ClientSpec, OAuthError, Params, Table, TokenRequest, UserSpec,
};
use ciba_client::GRANT_TYPE;
use ciba_client::op::{
    ApprovalRequest, BackchannelResponse, ChannelDevice, CibaOp, ClientSettings,
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
