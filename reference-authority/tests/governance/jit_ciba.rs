//! JIT approval by a named person through the authority's CIBA OP: the
//! approver's device is asked with the elevation in `authorization_details`,
//! their decision on the OP decides the request.

use super::*;
use reference_authority::ciba::{Approval, ChannelDevice, CibaOp};
use reference_authority::governance::jit::{
    Approver, CibaChannel, ELEVATION_DETAILS_TYPE, Elevation, JitError, JitPolicy, Status,
};

const GOVERNANCE_SECRET: &str = "governance-secret-0123456789";

fn with_ciba() -> (Fixture, CibaOp, ChannelDevice) {
    let device = ChannelDevice::new();
    let f = fixture();
    let op = CibaOp::install(&f.authority, Arc::new(device.clone()));
    f.authority
        .register_client(
            ClientSpec::confidential("governance", GOVERNANCE_SECRET)
                .grant_types([ciba_client::GRANT_TYPE])
                .scopes(["openid"]),
        )
        .unwrap();
    op.register_client("governance", ciba_client::DeliveryMode::Poll, None)
        .unwrap();
    let governance = Governance::builder(&f.authority)
        .jit_policy(JitPolicy::default().decision_window(600))
        .approval_channel(Arc::new(CibaChannel::new(
            op.clone(),
            "governance",
            GOVERNANCE_SECRET,
        )))
        .build();
    (Fixture { governance, ..f }, op, device)
}

fn asked_of_bob() -> Elevation {
    Elevation::new(AGENT, scope("crm:write"), 900)
        .reason("fix a broken sync")
        .requested_by("sarah")
        .approver(Approver::Ciba("bob".into()))
}

#[tokio::test]
async fn the_named_approver_approves_on_their_device_and_the_grant_opens() {
    let (f, op, device) = with_ciba();
    let mut inbox = device.take_receiver().unwrap();
    let g = &f.governance;
    let id = g.request_elevation(asked_of_bob()).await.unwrap();
    let ask = inbox.try_recv().unwrap();
    assert_eq!(ask.user_id, "bob");
    assert_eq!(ask.client_id, "governance");
    let details = ask.authorization_details.clone().unwrap();
    assert_eq!(details[0]["type"], ELEVATION_DETAILS_TYPE);
    assert_eq!(details[0]["identifier"], id.as_str());
    assert_eq!(details[0]["agent"], AGENT);
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("JIT scope crm:write @ https://crm.example for sales-agent-prod-001")
    );

    assert!(g.run_jit(NOW).await.unwrap().is_empty(), "still pending");
    assert!(matches!(
        g.approve_elevation(&id, "bob"),
        Err(JitError::DecidedByChannel)
    ));
    f.clock.advance(30);
    op.approve(&ask.approval_id, Approval::all()).await.unwrap();
    let moved = g.run_jit(NOW + 30).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].status, Status::Approved);
    assert_eq!(moved[0].decided_by, ["bob"]);
    assert!(g.holds(AGENT, &scope("crm:write"), NOW + 30 + 899).unwrap());
    assert!(!g.holds(AGENT, &scope("crm:write"), NOW + 30 + 900).unwrap());
}

#[tokio::test]
async fn a_denial_on_the_device_denies_and_an_unanswered_request_expires() {
    let (f, op, device) = with_ciba();
    let mut inbox = device.take_receiver().unwrap();
    let g = &f.governance;
    let denied = g.request_elevation(asked_of_bob()).await.unwrap();
    let ask = inbox.try_recv().unwrap();
    op.deny(&ask.approval_id).await.unwrap();
    let moved = g.run_jit(NOW).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(g.elevation(&denied).unwrap().status, Status::Denied);

    let silent = g.request_elevation(asked_of_bob()).await.unwrap();
    f.clock.set(NOW + 600);
    g.run_jit(NOW + 600).await.unwrap();
    assert_eq!(g.elevation(&silent).unwrap().status, Status::Expired);
    assert!(!g.holds(AGENT, &scope("crm:write"), NOW + 600).unwrap());
}

#[tokio::test]
async fn a_ciba_request_without_a_channel_or_to_the_requester_is_refused() {
    let f = fixture();
    assert!(matches!(
        f.governance.request_elevation(asked_of_bob()).await,
        Err(JitError::NoChannel)
    ));
    let (f, _op, _device) = with_ciba();
    let own = asked_of_bob().approver(Approver::Ciba("sarah".into()));
    assert!(matches!(
        f.governance.request_elevation(own).await,
        Err(JitError::SelfApproval)
    ));
    let unknown = asked_of_bob().approver(Approver::Ciba("nobody".into()));
    assert!(matches!(
        f.governance.request_elevation(unknown).await,
        Err(JitError::Channel(_))
    ));
}

#[tokio::test]
async fn the_auth_req_id_never_reaches_audit_events_or_views() {
    let (f, op, device) = with_ciba();
    let mut inbox = device.take_receiver().unwrap();
    let g = &f.governance;
    let id = g.request_elevation(asked_of_bob()).await.unwrap();
    op.approve(&inbox.try_recv().unwrap().approval_id, Approval::all())
        .await
        .unwrap();
    g.run_jit(NOW).await.unwrap();
    let stored = f
        .authority
        .store()
        .scan(reference_authority::Table::Extension("governance_jit"))
        .unwrap();
    let records: serde_json::Value = serde_json::from_slice(&stored[0].1).unwrap();
    let ticket = records[0]["approval"]["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ticket.len() > 20);
    let audit = serde_json::to_string(&f.audit.events()).unwrap();
    assert!(!audit.contains(&ticket));
    assert!(!format!("{:?}", g.elevation(&id).unwrap()).contains(&ticket));
}
