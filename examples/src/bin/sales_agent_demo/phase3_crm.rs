//! Phase 3: the agent gets a delegated token for the CRM MCP server (RFC 8693
//! token exchange at the authority's token endpoint: Sarah's token as the
//! subject, the agent's own as the actor), then works through the guarded
//! MCP server (mcp-guard: scopes, FGA on resources with the seed model) and
//! updates the opportunity in Salesforce with the token the vault holds.

use crate::agent::step;
use crate::timeline::Timeline;
use crate::world::World;
use agent_auth::exchange::{GRANT_TOKEN_EXCHANGE, token_types};
use agent_auth::login::LoginSession;
use agent_auth::secret::Token;
use agent_auth::tool::{ToolCall, ToolContext, ToolError, ToolOutput, tool_fn};
use agent_auth::validate::{AccessToken, Validator};
use agent_auth_rig::{GuardedTool, Guards};
use examples::seed_mcp::RESOURCES;
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams};
use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;
use std::error::Error;

/// The agent's session for Sarah.
pub(crate) struct Session {
    /// Who acts, from the delegated token the agent validated.
    pub(crate) context: ToolContext,
    /// The MCP connection (kept open for the session).
    pub(crate) client: RunningService<RoleClient, ()>,
    /// The refresh token of the delegated grant (the agent's, for Sarah).
    pub(crate) refresh: Option<Token>,
    /// The agent's CRM and Salesforce tools.
    pub(crate) tools: Vec<GuardedTool>,
}

/// The agent's own token, then the exchange for Sarah: the access token and
/// the grant's refresh token.
async fn delegated_token(
    w: &World,
    sarah: &LoginSession,
) -> Result<(String, Option<Token>), Box<dyn Error>> {
    let own = w
        .agent_token(&[
            ("grant_type", "client_credentials"),
            ("scope", "mcp:crm:read"),
        ])
        .await?;
    let scope = "mcp:crm:read mcp:docs:read";
    let exchanged = w
        .agent_token(&[
            ("grant_type", GRANT_TOKEN_EXCHANGE),
            ("subject_token", sarah.tokens.access_token.expose_secret()),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("actor_token", own.access_token.expose_secret()),
            ("actor_token_type", token_types::ACCESS_TOKEN),
            ("resource", w.mcp.as_str()),
            ("scope", scope),
        ])
        .await?;
    Ok((
        exchanged.access_token.expose_secret().to_owned(),
        exchanged.refresh_token,
    ))
}

/// The MCP tools: list resources, read one, look an account up. The MCP
/// server's guard decides; a refusal it answers is the tool's refusal.
fn mcp_tools(w: &World, peer: &Peer<RoleClient>, context: &ToolContext) -> Vec<GuardedTool> {
    let guards = Guards::new(w.audit_layer());
    let list = {
        let peer = peer.clone();
        tool_fn(move |_call: ToolCall| {
            let peer = peer.clone();
            async move {
                let resources = peer
                    .list_all_resources()
                    .await
                    .map_err(|e| ToolError::tool(e.to_string()))?;
                let uris: Vec<String> = resources.iter().map(|r| r.uri.clone()).collect();
                Ok(ToolOutput::json(json!({ "resources": uris })))
            }
        })
    };
    let read = {
        let peer = peer.clone();
        tool_fn(move |call: ToolCall| {
            let peer = peer.clone();
            async move {
                let uri = call.arguments()["uri"]
                    .as_str()
                    .ok_or_else(|| ToolError::InvalidArguments("no uri".into()))?
                    .to_owned();
                match peer
                    .read_resource(ReadResourceRequestParams::new(uri))
                    .await
                {
                    Ok(read) => Ok(ToolOutput::json(
                        serde_json::to_value(&read.contents).unwrap_or_default(),
                    )),
                    // The MCP server answered with an error: its guard refused.
                    Err(rmcp::ServiceError::McpError(e)) => Err(ToolError::Unauthorized(format!(
                        "the MCP server refused: {}",
                        e.message
                    ))),
                    Err(e) => Err(ToolError::tool(e.to_string())),
                }
            }
        })
    };
    let lookup = {
        let peer = peer.clone();
        tool_fn(move |_call: ToolCall| {
            let peer = peer.clone();
            async move {
                let result = peer
                    .call_tool(CallToolRequestParams::new("crm_lookup"))
                    .await
                    .map_err(|e| ToolError::tool(e.to_string()))?;
                Ok(ToolOutput::json(
                    serde_json::to_value(&result.content).unwrap_or_default(),
                ))
            }
        })
    };
    let object = json!({"type": "object", "properties": {}});
    let uri =
        json!({"type": "object", "properties": {"uri": {"type": "string"}}, "required": ["uri"]});
    vec![
        GuardedTool::new(
            "crm_resources",
            "List the CRM resources",
            object.clone(),
            guards.wrap(list),
            context.clone(),
        ),
        GuardedTool::new(
            "read_resource",
            "Read a CRM resource",
            uri,
            guards.wrap(read),
            context.clone(),
        ),
        GuardedTool::new(
            "crm_lookup",
            "Look up the account",
            object,
            guards.wrap(lookup),
            context.clone(),
        ),
    ]
}

/// Updates the Salesforce opportunity with the vault's token (never shown).
fn update_opportunity(
    w: &World,
    context: &ToolContext,
    refresh: Option<&Token>,
) -> Result<GuardedTool, Box<dyn Error>> {
    let guards = Guards::new(w.audit_layer()).credential(w.credential_layer(
        refresh,
        "salesforce",
        "api",
    )?);
    let tool = tool_fn(|call: ToolCall| async move {
        let credential = crate::vault_tools::credential(&call)?;
        Ok(ToolOutput::json(json!({
            "updated": "opportunity acme-corp-renewal",
            "salesforce_credential_from": credential.connection(),
        })))
    });
    Ok(GuardedTool::new(
        "update_opportunity",
        "Update the Salesforce opportunity",
        json!({"type": "object", "properties": {"stage": {"type": "string"}}}),
        guards.wrap(tool),
        context.clone(),
    ))
}

/// Runs phase 3.
pub(crate) async fn run(
    w: &World,
    t: &mut Timeline,
    sarah: &LoginSession,
) -> Result<Session, Box<dyn Error>> {
    t.phase(3, "The agent works in the CRM for Sarah, through mcp-guard");
    let (token, refresh) = delegated_token(w, sarah).await?;
    let validated = Validator::<AccessToken>::builder_shared(w.parties.keys_of(&w.authority)?)
        .issuer(w.issuer.clone())
        .audience(w.mcp.clone())
        .clock(w.clock.clone())
        .build()
        .validate(&token)
        .await?;
    let context = ToolContext::from_token(&validated)?;
    t.record(
        3,
        "token exchange: Sarah's token for the CRM MCP server, the agent as actor",
        "issued",
        format!(
            "sub {}, act {}, scope {}",
            context.user().unwrap_or("none"),
            context
                .on_behalf_of()
                .first()
                .map_or("none", |a| a.subject()),
            validated.claims().str("scope").unwrap_or(""),
        ),
    );

    // The CRM server's clock (which phase 8 moves) reads the present.
    w.crm_clock.set(w.clock.now());
    let mut config = StreamableHttpClientTransportConfig::with_uri(w.mcp.as_str());
    config.auth_header = Some(token);
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::default(), config);
    let client = ().serve(transport).await?;
    let mut tools = mcp_tools(w, client.peer(), &context);
    tools.push(update_opportunity(w, &context, refresh.as_ref())?);

    let listed = step(
        &tools,
        &w.tool_audit,
        "What can I use for Acme?",
        "crm_resources",
        json!({}),
    )
    .await?;
    let shown: Vec<String> = listed
        .seen
        .to_string()
        .split('"')
        .filter(|s| s.contains("://"))
        .map(str::to_owned)
        .collect();
    let hidden: Vec<&str> = RESOURCES
        .iter()
        .map(|(u, _, _)| *u)
        .filter(|u| !shown.iter().any(|s| s == u))
        .collect();
    t.record(
        3,
        "resources/list through mcp-guard (FGA, seed model)",
        listed.decision(),
        format!("shown {}; hidden {}", shown.join(", "), hidden.join(", ")),
    );

    let discounts = step(
        &tools,
        &w.tool_audit,
        "Read the executive discounts",
        "read_resource",
        json!({"uri": "pricing://executive-discounts"}),
    )
    .await?;
    t.record(
        3,
        "resources/read pricing://executive-discounts",
        discounts.decision(),
        discounts.reason(),
    );

    let lookup = step(
        &tools,
        &w.tool_audit,
        "Look up Acme",
        "crm_lookup",
        json!({}),
    )
    .await?;
    t.record(
        3,
        "tools/call crm_lookup",
        lookup.decision(),
        lookup.reason(),
    );

    let update = step(
        &tools,
        &w.tool_audit,
        "Move the Acme renewal to proposal",
        "update_opportunity",
        json!({"stage": "proposal"}),
    )
    .await?;
    t.record(
        3,
        "Salesforce update with the vault's token",
        update.decision(),
        update.reason(),
    );
    Ok(Session {
        context,
        client,
        refresh,
        tools,
    })
}
