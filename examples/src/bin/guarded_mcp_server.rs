//! An rmcp MCP server with the seed's resources and tools, guarded by mcp-guard.
//!
//! ```text
//! guarded-mcp-server --issuer http://127.0.0.1:9000 [--listen 127.0.0.1:8000]
//!                    [--public-handshake] [--unguarded]
//! ```
//! The issuer's metadata (RFC 8414 / OpenID discovery) gives the JWKS. Scopes:
//! `mcp:crm:read`, `mcp:docs:read` (both needed by every request), `mcp:calendar:read`. Resources are filtered
//! per user through FGA (Sarah sees the CRM contact and the proposal templates,
//! not the executive discounts). Prints `listening on <url>` when ready.

use fga_core::{EmbeddedBackend, Engine, TupleKey};
use mcp_guard::{
    Guard, HostPolicy, ResourceAccess, ScopePolicy, TrustedIssuer, UriMapping, principal,
};
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

const RESOURCES: [(&str, &str, &str); 3] = [
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

const TOOLS: [(&str, &str, &str); 3] = [
    ("crm_lookup", "Look up a CRM account", "mcp:crm:read"),
    ("docs_search", "Search sales documents", "mcp:docs:read"),
    ("calendar_today", "Today's meetings", "mcp:calendar:read"),
];

#[derive(Debug, Clone)]
struct SeedServer;

/// The guard and the principal the layer put into the HTTP request parts.
fn caller(ctx: &RequestContext<RoleServer>) -> Option<(Guard, Arc<mcp_guard::Principal>)> {
    let parts = ctx.extensions.get::<axum::http::request::Parts>()?;
    let guard = parts.extensions.get::<Guard>()?.clone();
    let p = principal(&parts.extensions)?.clone();
    Some((guard, Arc::new(p)))
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

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn seed_fga() -> Result<ResourceAccess, Box<dyn std::error::Error>> {
    let mut engine = Engine::from_dsl(MODEL)?;
    engine.write(
        &[
            TupleKey::new("team:sales", "member", "user:sarah"),
            // The agent itself, for machine-to-machine (client_credentials) tokens.
            TupleKey::new("team:sales", "member", "user:sales-agent"),
            TupleKey::new(
                "resource:crm-contacts-acme-corp",
                "reader",
                "team:sales#member",
            ),
            TupleKey::new(
                "resource:docs-proposals-templates",
                "reader",
                "team:sales#member",
            ),
            TupleKey::new("resource:pricing-executive-discounts", "reader", "user:cfo"),
        ],
        &[],
    )?;
    Ok(ResourceAccess::new(
        Arc::new(EmbeddedBackend::new(engine)),
        "reader",
        UriMapping::slug("resource"),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = arg("--listen").unwrap_or_else(|| "127.0.0.1:8000".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    let resource = format!("http://{addr}/mcp");

    let mcp = StreamableHttpService::new(
        || Ok(SeedServer),
        LocalSessionManager::default().into(),
        StreamableHttpServerConfig::default(),
    );
    let app = axum::Router::new().nest_service("/mcp", mcp);
    let app = if flag("--unguarded") {
        app
    } else {
        let issuer = arg("--issuer").ok_or("--issuer <authorization server URL> is required")?;
        let jwks = match arg("--jwks") {
            Some(j) => j,
            None => mcp_guard::verify::discover(&issuer)
                .await?
                .jwks_uri
                .ok_or("the authorization server publishes no jwks_uri")?,
        };
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
        if flag("--public-handshake") {
            policy = policy
                .public_method("initialize")
                .public_method("notifications/initialized")
                .public_method("ping");
        }
        let guard = Guard::builder(&resource)?
            .trust(TrustedIssuer::remote_jwks(&issuer, &jwks)?)
            .scopes(policy)
            .hosts(HostPolicy::loopback())
            .resource_name("Acme sales MCP server")
            .resource_access(seed_fga()?)
            .build()?;
        app.layer(guard.layer())
    };
    println!("listening on {resource}");
    axum::serve(listener, app).await?;
    Ok(())
}
