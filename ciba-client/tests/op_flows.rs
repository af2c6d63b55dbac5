//! The reference CIBA OP in process: request, poll, slow_down, approval with
//! exactly the approved scope and details, reuse, denial, expiry, and
//! refusals that store nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::validate::{AccessToken, Validator};
use ciba_client::{AuthorizationDetails, DeliveryMode, GRANT_TYPE};
use reference_authority::ciba::{Approval, ApprovalRequest, ChannelDevice, CibaConfig, CibaOp};
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, OAuthError, Params, TokenRequest, TokenResponse,
    UserSpec,
};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

const ISSUER: &str = "https://idp.example";
const SECRET: &str = "agent-secret-0123456789";
const DETAILS: &str = r#"[{"type":"proposal","identifier":"Acme Corp","actions":["send"],"amount":450000,"currency":"EUR"}]"#;

struct Fx {
    authority: Authority,
    op: CibaOp,
    clock: ManualClock,
    audit: MemorySink,
    device: UnboundedReceiver<ApprovalRequest>,
}

fn fixture() -> Fx {
    let clock = ManualClock::new(1_750_000_000);
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
                .email("sarah@acme.example"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([GRANT_TYPE])
                .scopes([
                    "openid",
                    "email:send",
                    "drive:write",
                    "crm:update",
                    "offline_access",
                ]),
        )
        .unwrap();
    let device = ChannelDevice::new();
    let rx = device.take_receiver().unwrap();
    let op = CibaOp::install_with(
        &authority,
        Arc::new(device),
        CibaConfig::default().interval(5),
    );
    op.register_client("sales-agent", DeliveryMode::Poll, None)
        .unwrap();
    Fx {
        authority,
        op,
        clock,
        audit,
        device: rx,
    }
}

async fn bc(
    fx: &Fx,
    extra: &[(&str, &str)],
) -> Result<reference_authority::ciba::BackchannelResponse, OAuthError> {
    let mut p = Params::from_pairs([
        ("scope", "openid email:send drive:write crm:update"),
        ("login_hint", "sarah"),
    ]);
    for (k, v) in extra {
        p = p.with(*k, *v);
    }
    fx.op
        .backchannel_authentication(&TokenRequest::new(p).basic("sales-agent", SECRET))
        .await
}

async fn poll(fx: &Fx, id: &str) -> Result<TokenResponse, OAuthError> {
    let p = Params::from_pairs([("grant_type", GRANT_TYPE), ("auth_req_id", id)]);
    fx.authority
        .token(&TokenRequest::new(p).basic("sales-agent", SECRET))
        .await
}

#[tokio::test]
async fn poll_slow_down_approve_and_reuse() {
    let mut fx = fixture();
    let r = bc(
        &fx,
        &[
            ("binding_message", "Acme Corp - 450,000 EUR"),
            ("authorization_details", DETAILS),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.interval, Some(5));
    let id = r.auth_req_id.expose_secret().to_owned();
    let ask = fx.device.recv().await.unwrap();
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450,000 EUR")
    );
    assert_eq!(ask.user_id, "user-sarah");
    assert!(
        !format!("{ask:?}").contains(&id),
        "the device never learns the auth_req_id"
    );

    assert_eq!(
        poll(&fx, &id).await.unwrap_err().code().as_str(),
        "authorization_pending"
    );
    // Polling again at once is too fast: slow_down, and the interval grows to 10.
    assert_eq!(
        poll(&fx, &id).await.unwrap_err().code().as_str(),
        "slow_down"
    );
    // Six seconds is enough for the old interval, not the grown one (now 15).
    fx.clock.advance(6);
    assert_eq!(
        poll(&fx, &id).await.unwrap_err().code().as_str(),
        "slow_down"
    );
    fx.clock.advance(15);
    assert_eq!(
        poll(&fx, &id).await.unwrap_err().code().as_str(),
        "authorization_pending"
    );

    fx.op
        .approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();
    fx.clock.advance(15);
    let tokens = poll(&fx, &id).await.unwrap();
    assert_eq!(
        tokens.scope.as_deref(),
        Some("openid email:send drive:write crm:update")
    );
    assert_eq!(
        tokens.extra["authorization_details"],
        serde_json::from_str::<serde_json::Value>(DETAILS).unwrap()
    );
    assert!(tokens.id_token.is_some());
    let at = Validator::<AccessToken>::builder_shared(fx.authority.keys().clone())
        .issuer(ISSUER)
        .audience(ISSUER)
        .clock(Arc::new(fx.clock.clone()))
        .build()
        .validate_cached(tokens.access_token.expose_secret())
        .unwrap();
    assert_eq!(at.sub.as_deref(), Some("user-sarah"));
    assert_eq!(
        at.str("scope"),
        Some("openid email:send drive:write crm:update")
    );
    assert_eq!(at.extra["authorization_details"][0]["amount"], 450000);

    // CIBA Core 1.0 section 11: a spent auth_req_id is invalid_grant.
    assert_eq!(
        poll(&fx, &id).await.unwrap_err().code().as_str(),
        "invalid_grant"
    );

    let events = fx.audit.events();
    let requested = events
        .iter()
        .find(|e| e.action == AuditAction::ApprovalRequested)
        .unwrap();
    assert_eq!(requested.agent.as_deref(), Some("sales-agent"));
    assert_eq!(requested.user.as_deref(), Some("user-sarah"));
    assert_eq!(
        requested.details["binding_message"],
        "Acme Corp - 450,000 EUR"
    );
    let decided = events
        .iter()
        .find(|e| e.action == AuditAction::ApprovalDecided)
        .unwrap();
    assert_eq!(decided.outcome, Outcome::Success);
    assert_eq!(decided.user.as_deref(), Some("user-sarah"));
    assert_eq!(
        decided.details["binding_message"],
        "Acme Corp - 450,000 EUR"
    );
}

#[tokio::test]
async fn narrower_approval_limits_the_token() {
    let mut fx = fixture();
    let r = bc(&fx, &[]).await.unwrap();
    let ask = fx.device.recv().await.unwrap();
    let wider = fx
        .op
        .approve(
            &ask.approval_id,
            Approval::all().scopes(["openid", "crm:delete"]),
        )
        .await;
    assert!(wider.is_err(), "an approval never exceeds the request");
    fx.op
        .approve(
            &ask.approval_id,
            Approval::all().scopes(["openid", "crm:update"]),
        )
        .await
        .unwrap();
    let tokens = poll(&fx, r.auth_req_id.expose_secret()).await.unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("openid crm:update"));
    assert!(
        fx.op
            .approve(&ask.approval_id, Approval::all())
            .await
            .is_err(),
        "decided once"
    );
}

#[tokio::test]
async fn denial_and_expiry() {
    let mut fx = fixture();
    let r = bc(&fx, &[]).await.unwrap();
    let ask = fx.device.recv().await.unwrap();
    fx.op.deny(&ask.approval_id).await.unwrap();
    assert_eq!(
        poll(&fx, r.auth_req_id.expose_secret())
            .await
            .unwrap_err()
            .code()
            .as_str(),
        "access_denied"
    );

    let r = bc(&fx, &[("requested_expiry", "60")]).await.unwrap();
    assert_eq!(r.expires_in, 60, "requested_expiry is honoured");
    let ask = fx.device.recv().await.unwrap();
    fx.clock.advance(61);
    assert_eq!(
        poll(&fx, r.auth_req_id.expose_secret())
            .await
            .unwrap_err()
            .code()
            .as_str(),
        "expired_token"
    );
    assert!(
        fx.op
            .approve(&ask.approval_id, Approval::all())
            .await
            .is_err()
    );
    assert!(fx.audit.events().iter().any(
        |e| e.action == AuditAction::ApprovalDecided && e.reason.as_deref() == Some("expired")
    ));
}

#[tokio::test]
async fn bad_requests_store_nothing() {
    let mut fx = fixture();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("authorization_details", "{\"type\":\"x\"}")],
            "invalid_authorization_details",
        ),
        (
            &[("authorization_details", "[{\"actions\":[\"send\"]}]")],
            "invalid_authorization_details",
        ),
        (
            &[("authorization_details", "not json")],
            "invalid_authorization_details",
        ),
        (
            &[("binding_message", "line\nbreak")],
            "invalid_binding_message",
        ),
        (&[("requested_expiry", "-5")], "invalid_request"),
        (&[("id_token_hint", "a.b.c")], "invalid_request"),
    ];
    for (extra, code) in cases {
        assert_eq!(
            bc(&fx, extra).await.unwrap_err().code().as_str(),
            *code,
            "{extra:?}"
        );
    }
    let p = Params::from_pairs([("scope", "email:send"), ("login_hint", "sarah")]);
    let e = fx
        .op
        .backchannel_authentication(&TokenRequest::new(p).basic("sales-agent", SECRET))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "invalid_request", "openid is mandatory");
    let p = Params::from_pairs([("scope", "openid"), ("login_hint", "nobody")]);
    let e = fx
        .op
        .backchannel_authentication(&TokenRequest::new(p).basic("sales-agent", SECRET))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "unknown_user_id");
    let p = Params::from_pairs([("scope", "openid"), ("login_hint", "sarah")]);
    let e = fx
        .op
        .backchannel_authentication(
            &TokenRequest::new(p).basic("sales-agent", "wrong-secret-0123456789"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "invalid_client");
    assert!(
        fx.authority
            .store()
            .scan(reference_authority::Table::Extension("ciba_requests"))
            .unwrap()
            .is_empty()
    );
    assert!(fx.device.try_recv().is_err(), "no one was notified");

    // The iss_sub form of login_hint names the user by issuer and subject.
    let hint = format!(r#"{{"format":"iss_sub","iss":"{ISSUER}","sub":"user-sarah"}}"#);
    assert!(bc(&fx, &[]).await.is_ok());
    let p = Params::from_pairs([("scope", "openid"), ("login_hint", hint.as_str())]);
    assert!(
        fx.op
            .backchannel_authentication(&TokenRequest::new(p).basic("sales-agent", SECRET))
            .await
            .is_ok()
    );
    let _ = AuthorizationDetails::parse(DETAILS).unwrap();
}

#[tokio::test]
async fn id_token_hint_valid_invalid_and_expired() {
    let fx = fixture();
    let issued = fx
        .authority
        .issue(
            &reference_authority::GrantFacts {
                client_id: "sales-agent".into(),
                user_id: Some("user-sarah".into()),
                scope: vec!["openid".into()],
                ..Default::default()
            },
            reference_authority::IssueOptions {
                id_token: true,
                ..Default::default()
            },
        )
        .unwrap();
    let hint = issued.id_token.unwrap().expose_secret().to_owned();
    let ask = |hint: String| {
        let p = Params::from_pairs([("scope", "openid".to_owned()), ("id_token_hint", hint)]);
        TokenRequest::new(p).basic("sales-agent", SECRET)
    };
    assert!(
        fx.op
            .backchannel_authentication(&ask(hint.clone()))
            .await
            .is_ok()
    );
    // Exactly one hint (CIBA Core 1.0 section 7.1).
    let p = Params::from_pairs([
        ("scope", "openid"),
        ("id_token_hint", hint.as_str()),
        ("login_hint", "sarah"),
    ]);
    let e = fx
        .op
        .backchannel_authentication(&TokenRequest::new(p).basic("sales-agent", SECRET))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "invalid_request");
    let mut tampered = hint.clone();
    tampered.pop();
    tampered.push(if hint.ends_with('A') { 'B' } else { 'A' });
    let e = fx
        .op
        .backchannel_authentication(&ask(tampered))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code().as_str(), e.description()),
        ("invalid_request", "id_token_hint is invalid")
    );
    fx.clock
        .advance(AuthorityConfig::for_tests().id_token_ttl + 3600);
    let e = fx
        .op
        .backchannel_authentication(&ask(hint))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code().as_str(), e.description()),
        ("invalid_request", "id_token_hint has expired")
    );
}

#[tokio::test]
async fn maintenance_removes_requests_an_hour_after_expiry() {
    use reference_authority::ciba::REQUEST_RETENTION_SECS;
    let mut fx = fixture();
    let r = bc(&fx, &[("requested_expiry", "60")]).await.unwrap();
    let ask = fx.device.recv().await.unwrap();
    let id = r.auth_req_id.expose_secret().to_owned();

    fx.clock.advance(60 + REQUEST_RETENTION_SECS - 1);
    fx.authority.purge_expired().unwrap();
    assert_eq!(
        poll(&fx, &id).await.unwrap_err().code().as_str(),
        "expired_token",
        "kept within the retention"
    );
    let pending = bc(&fx, &[]).await.unwrap();
    let pending_ask = fx.device.recv().await.unwrap();

    fx.clock.advance(1);
    fx.authority.purge_expired().unwrap();
    assert_eq!(
        poll(&fx, &id).await.unwrap_err().code().as_str(),
        "invalid_grant",
        "gone once the retention has passed"
    );
    assert!(
        fx.op
            .approve(&ask.approval_id, Approval::all())
            .await
            .is_err()
    );
    // A request still running is untouched.
    fx.op
        .approve(&pending_ask.approval_id, Approval::all())
        .await
        .unwrap();
    poll(&fx, pending.auth_req_id.expose_secret())
        .await
        .unwrap();
}
