//! The seed's MCP server: CRM, documents and pricing resources and three
//! tools, as an rmcp handler, and the mcp-guard configuration that protects it
//! (per-tool scopes, per-resource scopes, FGA on resources).

use fga_core::{EmbeddedBackend, Engine, TupleKey};
use mcp_guard::{Guard, ResourceAccess, ScopePolicy, UriMapping, shared_principal};
use rmcp::ErrorData as McpError;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, ResourceContents, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};
use std::sync::Arc;

const MODEL: &str = "model
  schema 1.1

type user

type team
  relations
    define member: [user]

type resource
  relations
    define reader: [user, team#member]
";

/// The resources: URI, name, text.
pub const RESOURCES: [(&str, &str, &str); 3] = [
    (
        "crm://contacts/acme-corp",
        "Acme Corp contacts",
        "Acme Corp: Jane Doe (CTO), jane@acme.example",
    ),
    (
        "docs://proposals/templates",
        "Proposal templates",
        "Template A: enterprise proposal",
    ),
    (
        "pricing://executive-discounts",
        "Executive discounts",
        "Up to 40% for strategic accounts",
    ),
];

/// The tools: name, description, scope needed.
pub const TOOLS: [(&str, &str, &str); 3] = [
    ("crm_lookup", "Look up a CRM account", "mcp:crm:read"),
    ("docs_search", "Search sales documents", "mcp:docs:read"),
    ("calendar_today", "Today's meetings", "mcp:calendar:read"),
];

/// The rmcp handler. Behind the guard it lists only what the caller may use.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeedServer;

/// The guard and the principal the layer put into the HTTP request parts.
fn caller(ctx: &RequestContext<RoleServer>) -> Option<(Guard, Arc<mcp_guard::Principal>)> {
    let parts = ctx.extensions.get::<axum::http::request::Parts>()?;
    let guard = parts.extensions.get::<Guard>()?.clone();
    Some((guard, shared_principal(&parts.extensions)?))
}

impl ServerHandler for SeedServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let schema: serde_json::Map<String, serde_json::Value> =
            serde_json::from_value(serde_json::json!({"type": "object", "properties": {}}))
                .unwrap_or_default();
        let schema = Arc::new(schema);
        let all: Vec<Tool> = TOOLS
            .iter()
            .map(|(name, description, _)| Tool::new(*name, *description, schema.clone()))
            .collect();
        let tools = match caller(&ctx) {
            Some((guard, p)) => guard.visible_tools(&p, all, |t| &t.name),
            None => all,
        };
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let who = caller(&ctx)
            .and_then(|(_, p)| p.subject.clone())
            .unwrap_or_else(|| "anonymous".into());
        let text = match request.name.as_ref() {
            "crm_lookup" => format!("Acme Corp: renewal due in Q3 (asked by {who})"),
            "docs_search" => format!("Found 'Template A' (asked by {who})"),
            "calendar_today" => format!("10:00 Acme Corp call (asked by {who})"),
            other => return Err(McpError::invalid_params(format!("no tool {other}"), None)),
        };
        Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let all: Vec<Resource> = RESOURCES
            .iter()
            .map(|(uri, name, _)| Resource::new(*uri, *name))
            .collect();
        let visible = match caller(&ctx) {
            Some((guard, p)) => guard.visible_resources(&p, all, |r| &r.uri).await,
            None => Vec::new(),
        };
        Ok(ListResourcesResult::with_all_items(visible))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        // The guard already checked scopes and FGA before this runs.
        let Some((uri, _, text)) = RESOURCES.iter().find(|(u, _, _)| *u == request.uri) else {
            return Err(McpError::resource_not_found("no such resource", None));
        };
        Ok(ReadResourceResult::new(vec![ResourceContents::text(*text, *uri)]).into())
    }
}

/// FGA for the resources: Sarah and the sales agent (through the sales team)
/// read the CRM contact and the templates; only the CFO reads the discounts.
pub fn seed_fga() -> Result<ResourceAccess, Box<dyn std::error::Error>> {
    Ok(ResourceAccess::new(
        Arc::new(EmbeddedBackend::new(seed_engine()?)),
        "reader",
        UriMapping::escaped("resource"),
    ))
}

/// The seed's FGA model and tuples, for checks outside the MCP server (the
/// sales agent's own tools check the same relations).
pub fn seed_engine() -> Result<Engine, Box<dyn std::error::Error>> {
    let mut engine = Engine::from_dsl(MODEL)?;
    engine.write(
        &[
            TupleKey::new("team:sales", "member", "user:sarah"),
            // The agent itself, for machine-to-machine (client_credentials) tokens.
            TupleKey::new("team:sales", "member", "user:sales-agent"),
            TupleKey::new(
                "resource:crm+3A//contacts/acme-corp",
                "reader",
                "team:sales#member",
            ),
            TupleKey::new(
                "resource:docs+3A//proposals/templates",
                "reader",
                "team:sales#member",
            ),
            TupleKey::new(
                "resource:pricing+3A//executive-discounts",
                "reader",
                "user:cfo",
            ),
        ],
        &[],
    )?;
    Ok(engine)
}

/// The scope rules: each tool's scope, and the resource URI patterns.
/// `public_handshake` lets `initialize`, `notifications/initialized` and
/// `ping` through without a token.
pub fn seed_policy(public_handshake: bool) -> ScopePolicy {
    // Every request needs the baseline read scopes: the 401 challenge names
    // them, so a client following the MCP scope selection asks for those
    // first (not everything in `scopes_supported`) and steps up later.
    let mut policy = ScopePolicy::new()
        .always(&["mcp:crm:read", "mcp:docs:read"])
        .resource("crm://*", &["mcp:crm:read"])
        .resource("docs://*", &["mcp:docs:read"])
        .resource("pricing://*", &["mcp:crm:read"]);
    for (name, _, scope) in TOOLS {
        policy = policy.tool(name, &[scope]);
    }
    if public_handshake {
        policy = policy
            .public_method("initialize")
            .public_method("notifications/initialized")
            .public_method("ping");
    }
    policy
}

/// The unguarded app: the rmcp streamable HTTP service at `/mcp`.
pub fn seed_app() -> axum::Router {
    let mcp = StreamableHttpService::new(
        || Ok(SeedServer),
        LocalSessionManager::default().into(),
        StreamableHttpServerConfig::default(),
    );
    axum::Router::new().nest_service("/mcp", mcp)
}
