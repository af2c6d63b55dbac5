//! The seed scenario: the agent wants to send a 450,000 EUR proposal; policy
//! requires approval above 100,000 EUR; Sarah sees "Acme Corp - 450,000 EUR"
//! on the approval page, approves, and the tool runs with a token limited to
//! `email:send drive:write crm:update`. Below the threshold no one is asked;
//! a denial or an expiry never runs the tool; guards nest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use agent_auth::audit::AuditAction;
use agent_auth::validate::{AccessToken, Validator};
use ciba_client::guard::{
    ApprovalAsk, Approver, CibaApprover, GuardError, Guarded, Requirement, Tool, ToolContext,
    tool_fn,
};
use ciba_client::{AuthorizationDetails, DeliveryMode, Hint};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone)]
struct Proposal {
    customer: String,
    amount: u64,
    currency: String,
    recipients: Vec<String>,
    products: Vec<String>,
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Company policy: a person approves proposals above 100,000 EUR.
fn policy(p: &Proposal) -> Requirement {
    if p.amount <= 100_000 {
        return Requirement::NotNeeded;
    }
    let details = AuthorizationDetails::from_value(json!([{
        "type": "sales_proposal",
        "identifier": p.customer,
        "actions": ["send"],
        "amount": p.amount,
        "currency": p.currency,
        "recipients": p.recipients,
        "products": p.products,
    }]))
    .unwrap();
    Requirement::Approval(
        ApprovalAsk::new(
            format!("{} - {} {}", p.customer, thousands(p.amount), p.currency),
            ["email:send", "drive:write", "crm:update"],
        )
        .details(details),
    )
}

fn proposal(amount: u64) -> Proposal {
    Proposal {
        customer: "Acme Corp".into(),
        amount,
        currency: "EUR".into(),
        recipients: vec!["cfo@acme.example".into()],
        products: vec!["Enterprise licence".into(), "Support 24/7".into()],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sarah_approves_the_450k_proposal_on_the_approval_page() {
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let approver: Arc<dyn Approver> = Arc::new(CibaApprover::new(
        s.client(DeliveryMode::Poll),
        Hint::LoginHint("sarah".into()),
    ));
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let send_proposal = tool_fn(move |p: Proposal, ctx: ToolContext| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let token = ctx
                .approval()
                .map(|t| t.access_token.expose_secret().to_owned());
            Ok::<_, GuardError>((p.customer, token))
        }
    });
    let guarded = Guarded::new(send_proposal, policy, Arc::clone(&approver));

    // Below the threshold: no one is asked, no approval token.
    let (_, token) = guarded
        .call(proposal(50_000), ToolContext::new())
        .await
        .unwrap();
    assert!(token.is_none());
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Sarah's phone: she opens the approval page, signs in, reads it,
    // presses Approve.
    let device = tokio::spawn(async move {
        let ask = s.device.recv().await.unwrap();
        let url = ask.approval_url.clone().unwrap();
        let http = reqwest::Client::new();
        let signed_in = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username=sarah&password={}", common::PASSWORD))
            .send()
            .await
            .unwrap();
        let cookie = signed_in.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let page = signed_in.text().await.unwrap();
        let answer = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie)
            .body("decision=approve")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        (ask, page, s)
    });
    let (customer, token) = guarded
        .call(proposal(450_000), ToolContext::new())
        .await
        .unwrap();
    let (ask, page, s) = device.await.unwrap();
    assert_eq!(customer, "Acme Corp");
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450,000 EUR")
    );
    assert!(page.contains("Acme Corp - 450,000 EUR"));
    assert!(page.contains("cfo@acme.example") && page.contains("Enterprise licence"));
    assert!(page.contains("Approve") && page.contains("Deny"));

    let at = Validator::<AccessToken>::builder_shared(s.authority.keys().clone())
        .issuer(s.issuer.clone())
        .audience(s.issuer.clone())
        .build()
        .validate_cached(&token.expect("the tool ran with the approved token"))
        .unwrap();
    let scopes: Vec<&str> = at.scopes().filter(|s| *s != "openid").collect();
    assert_eq!(scopes, ["email:send", "drive:write", "crm:update"]);
    assert_eq!(at.extra["authorization_details"][0]["amount"], 450_000);
    assert_eq!(at.sub.as_deref(), Some("user-sarah"));
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    let decided = s
        .audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::ApprovalDecided)
        .unwrap();
    assert_eq!(decided.agent.as_deref(), Some("sales-agent"));
    assert_eq!(decided.user.as_deref(), Some("user-sarah"));
    assert_eq!(
        decided.details["binding_message"],
        "Acme Corp - 450,000 EUR"
    );
}

#[tokio::test]
async fn denial_or_expiry_never_runs_the_tool_and_guards_nest() {
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let approver: Arc<dyn Approver> = Arc::new(
        CibaApprover::new(
            s.client(DeliveryMode::Poll),
            Hint::LoginHint("sarah".into()),
        )
        .requested_expiry(2),
    );
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let tool = tool_fn(move |_: Proposal, _ctx: ToolContext| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, GuardError>(())
        }
    });
    // An inner guard for external recipients, an outer one for the amount.
    let external = |p: &Proposal| {
        if p.recipients.iter().any(|r| !r.ends_with("@acme.example")) {
            Requirement::Approval(ApprovalAsk::new("External recipient", ["email:send"]))
        } else {
            Requirement::NotNeeded
        }
    };
    let nested = Guarded::new(
        Guarded::new(tool, external, Arc::clone(&approver)),
        policy,
        Arc::clone(&approver),
    );

    let op = s.op.clone();
    let deny = tokio::spawn(async move {
        let ask = s.device.recv().await.unwrap();
        op.deny(&ask.approval_id).await.unwrap();
        s
    });
    let err = nested
        .call(proposal(450_000), ToolContext::new())
        .await
        .unwrap_err();
    assert!(matches!(err, GuardError::Denied), "{err:?}");
    let _s = deny.await.unwrap();
    // Nobody answers: the request expires (requested_expiry 2 s).
    let err = nested
        .call(proposal(450_000), ToolContext::new())
        .await
        .unwrap_err();
    assert!(matches!(err, GuardError::Expired), "{err:?}");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "denied or expired: the tool never ran"
    );
    nested
        .call(proposal(10_000), ToolContext::new())
        .await
        .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}
