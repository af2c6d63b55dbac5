//! Phase 5: the proposal. A discount above 100,000 EUR needs Sarah's
//! approval over CIBA (binding message and RFC 9396 authorization details);
//! the agent waits, Sarah approves on her phone (the demo plays her), the
//! proposal goes out with the Salesforce token from the vault.

use crate::agent::step;
use crate::phase3_crm::Session;
use crate::timeline::Timeline;
use crate::world::{AGENT, World};
use agent_auth::tool::{FgaCheck, FgaLayer, ToolCall, ToolError, ToolOutput, tool_fn};
use agent_auth::validate::{IdToken, Validator};
use agent_auth_rig::{GuardedTool, Guards};
use ciba_client::details::AuthorizationDetails;
use ciba_client::guard::{ApprovalAsk, ApprovalLayer, CibaApprover, Requirement};
use ciba_client::{ApprovedTokens, CibaClient, ClientAuth, Hint};
use reference_authority::ciba::Approval;
use serde_json::json;
use std::error::Error;
use std::sync::Arc;

/// Discounts above this need the user's approval.
const APPROVAL_ABOVE_EUR: u64 = 100_000;

/// What Sarah is asked: the binding message and the details of the action.
fn ask(call: &ToolCall) -> Requirement {
    let amount = call.arguments()["discount_eur"]
        .as_u64()
        .unwrap_or(u64::MAX);
    if amount <= APPROVAL_ABOVE_EUR {
        return Requirement::NotNeeded;
    }
    let ask = ApprovalAsk::new(
        format!("Acme Corp proposal: {amount} EUR discount"),
        ["crm:proposal"],
    );
    match AuthorizationDetails::from_value(json!([{
        "type": "sales_discount", "customer": "acme-corp",
        "amount": amount, "currency": "EUR"
    }])) {
        Ok(details) => Requirement::Approval(ask.details(details)),
        Err(_) => Requirement::Approval(ask),
    }
}

async fn send_proposal(w: &World, session: &Session) -> Result<GuardedTool, Box<dyn Error>> {
    let (endpoints, _) = CibaClient::discover(&w.issuer).await?;
    let id_tokens = Validator::<IdToken>::builder_shared(w.parties.keys_of(&w.authority)?)
        .issuer(w.issuer.clone())
        .audience(AGENT)
        .clock(w.clock.clone())
        .build();
    let client = CibaClient::builder(endpoints, ClientAuth::secret_basic(AGENT, w.agent_secret()))
        .id_token_validator(id_tokens)
        .build();
    let approver = Arc::new(CibaApprover::new(
        client,
        Hint::LoginHint("sarah.chen".into()),
    ));
    let fga = FgaLayer::new(w.fga.clone()).rule("send_proposal", |call: &ToolCall| {
        let customer = call.arguments()["customer"]
            .as_str()
            .ok_or_else(|| ToolError::InvalidArguments("no customer".into()))?;
        Ok(FgaCheck::new(
            format!("resource:crm+3A//contacts/{customer}"),
            "reader",
        ))
    });
    let guards = Guards::new(w.audit_layer())
        .fga(fga)
        .approval(ApprovalLayer::new(ask, approver))
        .credential(w.credential_layer(session.refresh.as_ref(), "salesforce", "api")?);
    let tool = tool_fn(|call: ToolCall| async move {
        let credential = crate::vault_tools::credential(&call)?;
        Ok(ToolOutput::json(json!({
            "proposal": "sent to Acme Corp",
            "discount_eur": call.arguments()["discount_eur"],
            "approved_by_user": call.extensions().get::<ApprovedTokens>().is_some(),
            "salesforce_credential_from": credential.connection(),
        })))
    });
    Ok(GuardedTool::new(
        "send_proposal",
        "Send a discount proposal to a customer",
        json!({"type": "object", "properties": {
            "customer": {"type": "string"}, "discount_eur": {"type": "integer"}}}),
        guards.wrap(tool),
        session.context.clone(),
    ))
}

/// Runs phase 5.
pub(crate) async fn run(
    w: &mut World,
    t: &mut Timeline,
    session: &Session,
) -> Result<(), Box<dyn Error>> {
    t.phase(
        5,
        "The 450,000 EUR discount waits for Sarah's approval (CIBA)",
    );
    let tools = vec![send_proposal(w, session).await?];

    let small = step(
        &tools,
        &w.tool_audit,
        "Offer Acme 20,000 EUR off",
        "send_proposal",
        json!({"customer": "acme-corp", "discount_eur": 20_000}),
    )
    .await?;
    t.record(
        5,
        "20,000 EUR discount proposal",
        small.decision(),
        small.reason(),
    );

    let other = step(
        &tools,
        &w.tool_audit,
        "Offer Globex 20,000 EUR off",
        "send_proposal",
        json!({"customer": "globex", "discount_eur": 20_000}),
    )
    .await?;
    t.record(
        5,
        "proposal for a customer Sarah does not own",
        other.decision(),
        other.reason(),
    );

    let agent = step(
        &tools,
        &w.tool_audit,
        "Offer Acme 450,000 EUR off",
        "send_proposal",
        json!({"customer": "acme-corp", "discount_eur": 450_000}),
    );
    let phone = async {
        let request = w
            .phone
            .recv()
            .await
            .ok_or("no approval request reached Sarah")?;
        w.ciba
            .approve(&request.approval_id, Approval::all())
            .await?;
        Ok::<_, Box<dyn Error>>(request)
    };
    let (big, request) = tokio::join!(agent, phone);
    let request = request?;
    t.record(
        5,
        "CIBA request on Sarah's phone",
        "waiting",
        format!(
            "binding message \"{}\", authorization_details {}",
            request.binding_message.unwrap_or_default(),
            request
                .authorization_details
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
    );
    t.record(
        5,
        "Sarah approves",
        "approved",
        "the approval id answered at the CIBA OP",
    );
    let big = big?;
    t.record(
        5,
        "450,000 EUR discount proposal",
        big.decision(),
        big.reason(),
    );
    Ok(())
}
