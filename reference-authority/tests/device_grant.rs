//! The device authorization grant (RFC 8628) in process: the endpoint, the
//! user's approval, polling with its errors, single use and the throttling of
//! user code guesses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use reference_authority::device::{
    DEVICE_CODE_GRANT, DEVICE_CODE_TTL, DeviceVerifyError, MAX_USER_CODE_FAILURES,
    USER_CODE_LOCKOUT,
};
use reference_authority::*;
use serde_json::Value;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const NOW: i64 = 1_750_000_000;
const SECRET: &str = "tv-secret-0123456789abcdef";

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
}

fn fixture() -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .register_user(
            UserSpec::new("mallory")
                .id("user-mallory")
                .password("mallory password 1"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::public("tv")
                .name("Living room TV")
                .grant_types([DEVICE_CODE_GRANT, "refresh_token"])
                .scopes(["openid", "profile", "offline_access"]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("cli", SECRET)
                .auth_method(ClientAuthMethod::ClientSecretPost)
                .grant_types([DEVICE_CODE_GRANT])
                .scopes(["openid"]),
        )
        .unwrap();
    authority
        .register_client(ClientSpec::public("web").redirect_uri("https://web.example/cb"))
        .unwrap();
    Fixture {
        authority,
        clock,
        audit,
    }
}

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
}

fn start(f: &Fixture, client: &str) -> Value {
    f.authority
        .device_authorization(&TokenRequest::new(params(&[
            ("client_id", client),
            ("scope", "openid profile"),
        ])))
        .unwrap()
}

fn poll(f: &Fixture, client: &str, device_code: &str) -> Result<TokenResponse, OAuthError> {
    futures_lite(f.authority.token(&TokenRequest::new(params(&[
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", client),
        ("device_code", device_code),
    ]))))
}

fn futures_lite<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(fut)
}

fn sign_in(f: &Fixture, user: &str, password: &str) -> SessionHandle {
    f.authority
        .sign_in(&Credentials::password(user, password))
        .unwrap()
}

fn code_of(err: Result<TokenResponse, OAuthError>) -> String {
    err.expect_err("the poll should be refused")
        .code()
        .as_str()
        .to_owned()
}

fn stored_device_codes(f: &Fixture) -> usize {
    f.authority
        .store()
        .scan(Table::Extension("device_codes"))
        .unwrap()
        .len()
}

#[test]
fn device_flow_issues_tokens_after_approval_once() {
    let f = fixture();
    let answer = start(&f, "tv");
    let device_code = answer["device_code"].as_str().unwrap();
    let user_code = answer["user_code"].as_str().unwrap();
    assert_eq!(answer["verification_uri"], format!("{ISSUER}/device"));
    assert_eq!(
        answer["verification_uri_complete"],
        format!("{ISSUER}/device?user_code={user_code}")
    );
    assert_eq!(answer["expires_in"], DEVICE_CODE_TTL);

    assert_eq!(
        code_of(poll(&f, "tv", device_code)),
        "authorization_pending"
    );

    let session = sign_in(&f, "sarah", "correct horse battery");
    let prompt = f
        .authority
        .device_prompt(&session, &user_code.to_lowercase())
        .unwrap();
    assert_eq!(prompt.client_name, "Living room TV");
    assert_eq!(prompt.scope, ["openid", "profile"]);
    f.authority
        .device_decide(&session, user_code, true)
        .unwrap();

    f.clock.advance(5);
    let tokens = poll(&f, "tv", device_code).unwrap();
    assert!(tokens.id_token.is_some());
    assert!(tokens.refresh_token.is_some());
    assert!(
        f.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::ApprovalDecided
                && e.outcome == Outcome::Success
                && e.user.as_deref() == Some("user-sarah"))
    );

    f.clock.advance(5);
    assert_eq!(code_of(poll(&f, "tv", device_code)), "invalid_grant");
}

#[test]
fn polling_faster_than_the_interval_answers_slow_down_and_adds_five_seconds() {
    let f = fixture();
    let answer = start(&f, "tv");
    let device_code = answer["device_code"].as_str().unwrap();
    assert_eq!(answer["interval"], 5);
    assert_eq!(
        code_of(poll(&f, "tv", device_code)),
        "authorization_pending"
    );
    f.clock.advance(2);
    assert_eq!(code_of(poll(&f, "tv", device_code)), "slow_down");
    // The interval is now 10 s: 5 s later is still too fast ...
    f.clock.advance(5);
    assert_eq!(code_of(poll(&f, "tv", device_code)), "slow_down");
    // ... and now 15 s.
    f.clock.advance(15);
    assert_eq!(
        code_of(poll(&f, "tv", device_code)),
        "authorization_pending"
    );
}

#[test]
fn an_expired_device_code_answers_expired_token() {
    let f = fixture();
    let answer = start(&f, "tv");
    let device_code = answer["device_code"].as_str().unwrap();
    let user_code = answer["user_code"].as_str().unwrap();
    f.clock.advance(DEVICE_CODE_TTL);
    assert_eq!(code_of(poll(&f, "tv", device_code)), "expired_token");
    let session = sign_in(&f, "sarah", "correct horse battery");
    assert_eq!(
        f.authority.device_decide(&session, user_code, true),
        Err(DeviceVerifyError::UnknownCode)
    );
}

#[test]
fn a_denied_request_answers_access_denied() {
    let f = fixture();
    let answer = start(&f, "tv");
    let session = sign_in(&f, "sarah", "correct horse battery");
    f.authority
        .device_decide(&session, answer["user_code"].as_str().unwrap(), false)
        .unwrap();
    assert_eq!(
        code_of(poll(&f, "tv", answer["device_code"].as_str().unwrap())),
        "access_denied"
    );
}

#[test]
fn a_user_code_is_decided_only_once() {
    let f = fixture();
    let answer = start(&f, "tv");
    let user_code = answer["user_code"].as_str().unwrap();
    let session = sign_in(&f, "sarah", "correct horse battery");
    f.authority
        .device_decide(&session, user_code, false)
        .unwrap();
    assert_eq!(
        f.authority.device_decide(&session, user_code, true),
        Err(DeviceVerifyError::UnknownCode)
    );
    assert_eq!(
        code_of(poll(&f, "tv", answer["device_code"].as_str().unwrap())),
        "access_denied"
    );
}

#[test]
fn another_clients_device_code_is_invalid_grant() {
    let f = fixture();
    let answer = start(&f, "tv");
    let session = sign_in(&f, "sarah", "correct horse battery");
    f.authority
        .device_decide(&session, answer["user_code"].as_str().unwrap(), true)
        .unwrap();
    let request = TokenRequest::new(params(&[
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", "cli"),
        ("client_secret", SECRET),
        ("device_code", answer["device_code"].as_str().unwrap()),
    ]));
    let stolen = futures_lite(f.authority.token(&request));
    assert_eq!(code_of(stolen), "invalid_grant");
    // The rightful client still gets its tokens.
    assert!(poll(&f, "tv", answer["device_code"].as_str().unwrap()).is_ok());
}

#[test]
fn user_code_guessing_is_throttled_per_user() {
    let f = fixture();
    let answer = start(&f, "tv");
    let user_code = answer["user_code"].as_str().unwrap();
    let session = sign_in(&f, "mallory", "mallory password 1");
    for _ in 0..MAX_USER_CODE_FAILURES {
        assert_eq!(
            f.authority.device_prompt(&session, "BCDF-GHJK"),
            Err(DeviceVerifyError::UnknownCode)
        );
    }
    // Locked: even the right code is not looked at.
    assert_eq!(
        f.authority.device_prompt(&session, user_code),
        Err(DeviceVerifyError::TooManyAttempts)
    );
    assert!(
        f.audit
            .events()
            .iter()
            .any(|e| e.reason.as_deref() == Some("user_code_locked"))
    );
    f.clock.advance(USER_CODE_LOCKOUT);
    assert!(f.authority.device_prompt(&session, user_code).is_ok());
}

#[test]
fn the_verification_needs_a_signed_in_user() {
    let f = fixture();
    let answer = start(&f, "tv");
    assert_eq!(
        f.authority.device_decide(
            &SessionHandle::new("no-such-session"),
            answer["user_code"].as_str().unwrap(),
            true
        ),
        Err(DeviceVerifyError::NotSignedIn)
    );
}

#[test]
fn a_client_without_the_grant_is_refused_and_nothing_is_stored() {
    let f = fixture();
    let err = f
        .authority
        .device_authorization(&TokenRequest::new(params(&[("client_id", "web")])))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "unauthorized_client");
    assert_eq!(stored_device_codes(&f), 0);
}

#[test]
fn a_confidential_client_must_authenticate() {
    let f = fixture();
    let err = f
        .authority
        .device_authorization(&TokenRequest::new(params(&[
            ("client_id", "cli"),
            ("client_secret", "wrong-secret-0123456789"),
        ])))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_client");
    assert_eq!(stored_device_codes(&f), 0);
    assert!(
        f.authority
            .device_authorization(&TokenRequest::new(params(&[
                ("client_id", "cli"),
                ("client_secret", SECRET),
            ])))
            .is_ok()
    );
}

#[test]
fn a_scope_beyond_the_client_is_refused() {
    let f = fixture();
    let err = f
        .authority
        .device_authorization(&TokenRequest::new(params(&[
            ("client_id", "tv"),
            ("scope", "openid admin"),
        ])))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_scope");
    assert_eq!(stored_device_codes(&f), 0);
}

#[test]
fn metadata_announces_the_device_authorization_endpoint() {
    let f = fixture();
    let doc = f.authority.metadata();
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{ISSUER}/device_authorization")
    );
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .is_none_or(|g| g.iter().any(|g| g == DEVICE_CODE_GRANT))
    );
}
