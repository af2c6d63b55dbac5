//! agent-auth's device flow client (RFC 8628) against the reference
//! authority, in process: the sleeper advances a manual clock, so nothing
//! sleeps, and it records the intervals the client waited.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::oauth::{
    ClientAuth, DeviceFlow, DeviceFlowError, Form, HttpClient, Sleeper, TokenEndpoint,
};
use reference_authority::device::DEVICE_CODE_GRANT;
use reference_authority::http::RouterTransport;
use reference_authority::*;
use std::sync::{Arc, Mutex};

const ISSUER: &str = "https://idp.example";

/// Advances the clock by what is asked, except once by less (`short_at`),
/// and decides the request at the `decide_at`-th sleep.
#[derive(Debug)]
struct Script {
    clock: ManualClock,
    authority: Authority,
    user_code: Mutex<Option<String>>,
    waits: Mutex<Vec<u64>>,
    short_at: Option<usize>,
    decide_at: usize,
    approve: bool,
}

#[async_trait::async_trait]
impl Sleeper for Script {
    async fn sleep(&self, seconds: u64) {
        let n = {
            let mut waits = self.waits.lock().unwrap();
            waits.push(seconds);
            waits.len()
        };
        let step = if self.short_at == Some(n) { 1 } else { seconds };
        self.clock.advance(i64::try_from(step).unwrap());
        if n == self.decide_at {
            let code = self.user_code.lock().unwrap().clone().unwrap();
            let session = self
                .authority
                .sign_in(&Credentials::password("sarah", "correct horse battery"))
                .unwrap();
            self.authority
                .device_decide(&session, &code, self.approve)
                .unwrap();
        }
    }
}

fn setup(short_at: Option<usize>, decide_at: usize, approve: bool) -> (DeviceFlow, Arc<Script>) {
    let clock = ManualClock::new(1_750_000_000);
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    authority
        .register_user(UserSpec::new("sarah").password("correct horse battery"))
        .unwrap();
    authority
        .register_client(
            ClientSpec::public("cli")
                .grant_types([DEVICE_CODE_GRANT])
                .scopes(["openid"]),
        )
        .unwrap();
    let http = HttpClient::with_transport(RouterTransport::new(authority.clone()).unwrap());
    let token = TokenEndpoint::with_http(
        http,
        authority.endpoint(paths::TOKEN),
        ClientAuth::public("cli"),
    )
    .unwrap()
    .clock(Arc::new(clock.clone()));
    let script = Arc::new(Script {
        clock,
        authority: authority.clone(),
        user_code: Mutex::new(None),
        waits: Mutex::new(Vec::new()),
        short_at,
        decide_at,
        approve,
    });
    let flow = DeviceFlow::new(authority.endpoint(paths::DEVICE_AUTHORIZATION), token)
        .sleeper(script.clone());
    (flow, script)
}

#[tokio::test]
async fn device_client_shows_the_code_polls_and_gets_tokens() {
    let (flow, script) = setup(None, 3, true);
    let mut shown = None;
    let tokens = flow
        .run(Form::new().with("scope", "openid"), |auth| {
            shown = Some(auth.verification_uri_complete.clone().unwrap());
            *script.user_code.lock().unwrap() = Some(auth.user_code.clone());
        })
        .await
        .unwrap();
    assert!(shown.unwrap().contains("user_code="));
    assert!(!tokens.access_token.expose_secret().is_empty());
    // Two pending polls, then the approval before the third.
    assert_eq!(*script.waits.lock().unwrap(), [5, 5, 5]);
}

#[tokio::test]
async fn device_client_adds_five_seconds_after_slow_down() {
    // The first wait is cut short (1 s instead of 5): the server answers
    // slow_down to the second poll, and the client waits 10 s from then on.
    let (flow, script) = setup(Some(2), 4, true);
    flow.run(Form::new(), |auth| {
        *script.user_code.lock().unwrap() = Some(auth.user_code.clone());
    })
    .await
    .unwrap();
    assert_eq!(*script.waits.lock().unwrap(), [5, 5, 10, 10]);
}

#[tokio::test]
async fn device_client_reports_a_denial() {
    let (flow, script) = setup(None, 1, false);
    let err = flow
        .run(Form::new(), |auth| {
            *script.user_code.lock().unwrap() = Some(auth.user_code.clone());
        })
        .await
        .unwrap_err();
    assert_eq!(err, DeviceFlowError::Denied);
}

#[tokio::test]
async fn device_client_stops_when_the_codes_expire() {
    let (flow, _script) = setup(None, usize::MAX, true);
    let err = flow.run(Form::new(), |_| {}).await.unwrap_err();
    assert_eq!(err, DeviceFlowError::Expired);
}
