//! mcp-guard reading the caller's risk level: the seed MCP server behind the
//! guard on loopback, the reference authority (token issuer, CIBA OP, SSF
//! transmitter, audit log with detection) on another port, and rmcp's client
//! calling tools. The guard keeps the latest level per subject from the
//! authority's CAEP `risk-level-change` SETs (pushed, RFC 8935) and decides
//! each `tools/call` with `RiskHook`:
//!
//! - a SET raising the agent to HIGH makes its next call refused;
//! - at MEDIUM the call waits for Sarah's CIBA approval: approved, it runs;
//!   denied, it is refused;
//! - end to end: the guard ships its audit events to the authority's
//!   ingestion endpoint, the detector scores them, a burst of reads raises
//!   the agent to HIGH, the responder publishes the SET, and the guard
//!   refuses. Counts are scaled down (a learning-mode limit of 10 reads in
//!   ten minutes) and the clock is injected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::audit::shipping::{AUDIT_WRITE_SCOPE, Shipper, ShippingSink};
use agent_auth::audit::{AuditAction, MemorySink, Outcome, SharedSink};
use agent_auth::clock::{Clock, ManualClock};
use agent_auth::oauth::{ClientAuth as OAuthClientAuth, TokenEndpoint};
use agent_auth::risk::{RiskLevel, RiskLevels};
use agent_auth::tool::ToolCall;
use agent_auth::validate::{IdToken, SecurityEvent, Validator};
use ciba_client::guard::{ApprovalAsk, ApprovalLayer, CibaApprover, Requirement};
use ciba_client::{CibaClient, ClientAuth, DeliveryMode, GRANT_TYPE, Hint};
use examples::seed_mcp::{seed_app, seed_policy};
use mcp_guard::revocation::ssf::SsfReceiver;
use mcp_guard::risk::{RISK_DECISION, RiskHook, RiskPolicy};
use mcp_guard::{Guard, HostPolicy, ToolStackHook, TrustedIssuer};
use reference_authority::audit_log::{self, AuditLog, LogStorage, NoteSigner};
use reference_authority::ciba::{Approval, ApprovalRequest, ChannelDevice, CibaConfig, CibaOp};
use reference_authority::detection::{DetectionConfig, Detector, Responder, ResponsePolicy};
use reference_authority::signals::{
    DeliveryStatus, Event, EventKind, RiskLevel as CaepLevel, SubjectId, Transmitter, types,
};
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, GrantFacts, IssueOptions, UserSpec,
};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

const AGENT: &str = "sales-agent";
/// The guard's own client at the authority: CIBA, audit shipping, SSF audience.
const GUARD: &str = "crm-mcp";
const GUARD_SECRET: &str = "crm-mcp-secret-0123456789abcdef";
/// 10:00 UTC on a Monday.
const START: i64 = 1_750_032_000 + 10 * 3600;

struct World {
    clock: ManualClock,
    authority: Authority,
    mcp: String,
    transmitter: Transmitter,
    detector: Detector,
    op: CibaOp,
    phone: UnboundedReceiver<ApprovalRequest>,
}

/// The authority and the guarded seed server; the guard (and its risk hook)
/// record into `audit`.
async fn world(audit: impl FnOnce(&str) -> SharedSink) -> World {
    let clock = ManualClock::new(START);
    let as_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", as_listener.local_addr().unwrap());
    let mcp_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", mcp_listener.local_addr().unwrap());
    let mcp = format!("{origin}/mcp");

    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    authority
        .register_user(UserSpec::new("sarah").id("user-sarah"))
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(GUARD, GUARD_SECRET)
                .grant_types([GRANT_TYPE, "client_credentials"])
                .scopes(["openid", AUDIT_WRITE_SCOPE]),
        )
        .unwrap();
    let device = ChannelDevice::new();
    let phone = device.take_receiver().unwrap();
    let op = CibaOp::install_with(
        &authority,
        Arc::new(device),
        CibaConfig::default().interval(1),
    );
    op.register_client(GUARD, DeliveryMode::Poll, None).unwrap();
    let transmitter = Transmitter::install(&authority);
    // The control point: the detector follows the audit log, which the
    // ingestion endpoint feeds.
    let log = AuditLog::new(
        "authority.example/audit-log",
        NoteSigner::from_seed("authority.example/audit-log", &[5; 32]).unwrap(),
        LogStorage::in_memory().unwrap(),
    )
    .unwrap();
    let mut config = DetectionConfig::default();
    config.learning_volume_floor = 10;
    let detector = Detector::new(config);
    log.observe(Arc::new(detector.clone()));
    let app = reference_authority::http::router(authority.clone())
        .merge(op.router())
        .merge(audit_log::router(log, authority.clone()));
    tokio::spawn(async move { axum::serve(as_listener, app).await });

    // The guard's step-up: Sarah approves the call over CIBA.
    let (endpoints, _) = CibaClient::discover(&issuer).await.unwrap();
    let id_tokens = Validator::<IdToken>::builder_shared(authority.keys().clone())
        .issuer(issuer.clone())
        .audience(GUARD)
        .clock(Arc::new(clock.clone()))
        .build();
    let ciba = CibaClient::builder(endpoints, ClientAuth::secret_basic(GUARD, GUARD_SECRET))
        .id_token_validator(id_tokens)
        .build();
    let approver = Arc::new(CibaApprover::new(ciba, Hint::LoginHint("sarah".into())));
    let step_up = ToolStackHook::new(ApprovalLayer::new(
        |call: &ToolCall| {
            Requirement::Approval(ApprovalAsk::new(
                format!("Allow {} while the agent's risk is raised?", call.name()),
                Vec::<String>::new(),
            ))
        },
        approver,
    ));
    // The authority starts every subject at LOW and signals each change:
    // a subject never signalled is LOW.
    let levels = RiskLevels::new();
    let sink = audit(&issuer);
    let risk = RiskHook::new(Arc::new(levels.clone()))
        .policy(RiskPolicy::default().unknown_as(RiskLevel::Low))
        .step_up(Arc::new(step_up))
        .audit(sink.clone())
        .clock(Arc::new(clock.clone()));
    let guard = Guard::builder(&mcp)
        .unwrap()
        .trust(TrustedIssuer::with_key(
            &issuer,
            authority.keys().active().verifying_key().clone(),
        ))
        .scopes(seed_policy(false))
        .hosts(HostPolicy::loopback())
        .clock(Arc::new(clock.clone()))
        .tool_hook(Arc::new(risk))
        .audit(sink)
        .build()
        .unwrap();
    let sets = Validator::<SecurityEvent>::builder_shared(authority.keys().clone())
        .issuer(issuer.clone())
        .audience(GUARD)
        .clock(Arc::new(clock.clone()))
        .build();
    let receiver = SsfReceiver::new(guard.revocations().clone(), sets)
        .clock(Arc::new(clock.clone()))
        .subscriber(Arc::new(levels))
        .router("/ssf");
    let app = seed_app().layer(guard.layer()).merge(receiver);
    tokio::spawn(async move { axum::serve(mcp_listener, app).await });
    transmitter
        .create_stream(
            GUARD,
            json!({
                "delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": format!("{origin}/ssf")},
                "events_requested": [types::RISK_LEVEL_CHANGE],
            })
            .as_object()
            .unwrap(),
        )
        .unwrap();
    World {
        clock,
        authority,
        mcp,
        transmitter,
        detector,
        op,
        phone,
    }
}

impl World {
    /// rmcp's client, with a token of the agent acting for Sarah.
    async fn agent(&self) -> RunningService<RoleClient, ()> {
        let token = self
            .authority
            .issue(
                &GrantFacts {
                    client_id: AGENT.into(),
                    user_id: Some("user-sarah".into()),
                    scope: vec!["mcp:crm:read".into(), "mcp:docs:read".into()],
                    resource: vec![self.mcp.clone()],
                    ..GrantFacts::default()
                },
                IssueOptions {
                    access_token_ttl: Some(3600),
                    ..IssueOptions::default()
                },
            )
            .unwrap();
        let mut config = StreamableHttpClientTransportConfig::with_uri(self.mcp.as_str());
        config.auth_header = Some(token.access_token.expose_secret().to_owned());
        let transport =
            StreamableHttpClientTransport::with_client(reqwest::Client::default(), config);
        ().serve(transport).await.unwrap()
    }

    /// The authority publishes the agent's new level; the guard acknowledges.
    async fn publish(&self, level: CaepLevel) {
        let subject = SubjectId::complex([("application", SubjectId::Opaque(AGENT.into()))]);
        let event = Event::new(
            EventKind::RiskLevelChange {
                principal: "USER".into(),
                current_level: level,
                previous_level: None,
                risk_reason: Some("volume_spike".into()),
            },
            self.clock.now(),
        );
        let queued = self
            .transmitter
            .emit(&subject, &event, &format!("txn-{}", self.clock.now()))
            .unwrap();
        assert_eq!(queued.len(), 1);
        let delivered = self.transmitter.flush().await;
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].status, DeliveryStatus::Acknowledged);
    }

    /// Sarah answers the next approval request on her phone.
    async fn sarah(&mut self, approve: bool) {
        let ask = self.phone.recv().await.unwrap();
        assert!(
            ask.binding_message
                .as_deref()
                .unwrap_or_default()
                .contains("crm_lookup"),
            "{ask:?}"
        );
        if approve {
            self.op
                .approve(&ask.approval_id, Approval::all())
                .await
                .unwrap();
        } else {
            self.op.deny(&ask.approval_id).await.unwrap();
        }
    }
}

/// Calls `crm_lookup`: `Ok` with the answer's text, or `Err` with the error.
async fn lookup(client: &RunningService<RoleClient, ()>) -> Result<String, String> {
    client
        .call_tool(CallToolRequestParams::new("crm_lookup"))
        .await
        .map(|r| serde_json::to_string(&r.content).unwrap())
        .map_err(|e| format!("{e:?}"))
}

fn risk_decisions(sink: &MemorySink) -> Vec<String> {
    sink.events()
        .iter()
        .filter(|e| e.action == AuditAction::Other(RISK_DECISION.into()))
        .map(|e| e.reason.clone().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_risk_level_change_set_raising_the_agent_to_high_refuses_its_next_tool_call() {
    let audit = MemorySink::new();
    let w = world(|_| Arc::new(audit.clone())).await;
    let client = w.agent().await;
    let text = lookup(&client).await.unwrap();
    assert!(text.contains("renewal due in Q3"), "{text}");

    w.clock.advance(60);
    w.publish(CaepLevel::High).await;
    let refused = lookup(&client).await.unwrap_err();
    assert!(refused.contains("risk_too_high"), "{refused}");
    assert!(refused.contains("-32001"), "{refused}");
    assert_eq!(risk_decisions(&audit), ["risk_admitted", "risk_too_high"]);
    // The guard's own decision event carries the reason too.
    let denied = audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::AuthorizationDecision && e.outcome == Outcome::Denied)
        .unwrap();
    assert!(
        denied
            .reason
            .as_deref()
            .unwrap()
            .starts_with("risk_too_high"),
        "{denied:?}"
    );
    assert_eq!(denied.agent.as_deref(), Some(AGENT));

    // The authority lowers it again: the agent works again.
    w.clock.advance(60);
    w.publish(CaepLevel::Low).await;
    assert!(lookup(&client).await.is_ok());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_medium_level_runs_the_call_only_after_sarahs_ciba_approval() {
    let audit = MemorySink::new();
    let mut w = world(|_| Arc::new(audit.clone())).await;
    let client = w.agent().await;
    w.publish(CaepLevel::Medium).await;

    let (approved, ()) = tokio::join!(lookup(&client), w.sarah(true));
    let text = approved.unwrap();
    assert!(text.contains("asked by user-sarah"), "{text}");

    let (denied, ()) = tokio::join!(lookup(&client), w.sarah(false));
    let denied = denied.unwrap_err();
    assert!(denied.contains("risk_step_up_refused"), "{denied}");
    assert_eq!(
        risk_decisions(&audit),
        ["risk_step_up_approved", "risk_step_up_refused"]
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_events_shipped_to_the_authority_raise_the_agent_to_high_and_the_guard_refuses() {
    let journal = tempfile::tempdir().unwrap();
    let mut shipper = None;
    let w = world(|issuer| {
        let token = TokenEndpoint::new(
            format!("{issuer}/token"),
            OAuthClientAuth::basic(GUARD, GUARD_SECRET),
        )
        .unwrap();
        let (sink, s) = ShippingSink::open(
            journal.path(),
            Shipper::builder(format!("{issuer}/audit-log/events"), token),
        )
        .unwrap();
        shipper = Some(s);
        Arc::new(sink)
    })
    .await;
    let shipper = shipper.unwrap();
    let responder = Responder::new(
        &w.authority,
        w.detector.clone(),
        // No block or logout: the refusal below comes from the level alone.
        ResponsePolicy::default().on_high(Vec::new()),
    )
    .signals(w.transmitter.clone());
    let client = w.agent().await;

    // Normal use: a lookup every quarter of an hour.
    for _ in 0..3 {
        assert!(lookup(&client).await.is_ok());
        w.clock.advance(900);
    }
    shipper.drain().await.unwrap();
    assert!(responder.process_pending().await.is_empty());

    // The spike: a lookup every five seconds, each batch shipped and scored.
    let mut refused_at = None;
    for i in 1..=30 {
        w.clock.advance(5);
        match lookup(&client).await {
            Ok(_) => {}
            Err(e) => {
                assert!(e.contains("risk_too_high"), "{e}");
                refused_at = Some(i);
                break;
            }
        }
        shipper.drain().await.unwrap();
        for report in responder.process_pending().await {
            assert_eq!(report.change.to.as_str(), "HIGH");
            assert_eq!(report.signals.len(), 1, "one risk-level-change SET");
        }
    }
    let n = refused_at.expect("the guard never refused");
    assert!(n <= 12, "refused only at lookup {n}");
    assert_eq!(
        w.detector.agent_level(AGENT, w.clock.now()).as_str(),
        "HIGH"
    );
    client.cancel().await.unwrap();
}
