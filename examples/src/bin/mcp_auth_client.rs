//! `mcp-auth-client`: an MCP client built on rmcp (streamable HTTP transport
//! over reqwest) that authorizes itself with `agent_auth::mcp_client`: an
//! [`McpAuthSession`] puts its bearer token on every request (refreshed with
//! its refresh token once expired); on a 401 it first tries that refresh, then reads
//! the challenge, discovers the resource's and the authorization server's
//! metadata, obtains a token and the request is sent again; on a 403
//! `insufficient_scope` it steps up once. The client then lists the tools and
//! calls `test-tool` when offered.
//!
//! Usage: `mcp-auth-client [--client-metadata-url URL] [--redirect-uri URI]
//! [--interactive] [--token-store FILE] <server URL>`.
//!
//! `--interactive` logs the user in in their browser (RFC 8252): the
//! authorization URL is printed, the response comes back to a loopback
//! listener on an ephemeral port. `--token-store FILE` keeps the tokens in an
//! encrypted file (key: the base64url text in `MCP_TOKEN_STORE_KEY`, or the
//! key file named by `MCP_TOKEN_STORE_KEY_FILE`), so the next run reuses and
//! refreshes them instead of logging in again.
//! Credentials come from the `MCP_CONFORMANCE_CONTEXT` JSON object when set (as
//! the MCP conformance runner passes them): `client_id`, `client_secret`,
//! `private_key_pem` with `signing_algorithm`, or `idp_id_token` with
//! `idp_token_endpoint` and `idp_client_id`. Without credentials the client
//! uses its client ID metadata document URL when the server supports it, else
//! dynamic registration.

#[path = "mcp_auth_client/transport.rs"]
mod transport;

use agent_auth::exchange::ClientAuth;
use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::mcp_client::{
    FileTokenStore, InteractiveLogin, McpAuthSession, McpAuthorizer, McpGrant, Registration,
    StoreKey,
};
use agent_auth::secret::{SecretString, Token};
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::Arc;
use transport::AuthorizedHttp;

fn grant(
    context: &Value,
    metadata_url: Option<String>,
    redirect_uri: String,
    interactive: bool,
) -> Result<McpGrant, String> {
    let s = |name: &str| context.get(name).and_then(Value::as_str).map(str::to_owned);
    if let (Some(id_token), Some(endpoint), Some(idp_client)) = (
        s("idp_id_token"),
        s("idp_token_endpoint"),
        s("idp_client_id"),
    ) {
        let client_id = s("client_id").ok_or("client_id missing")?;
        let secret = s("client_secret").ok_or("client_secret missing")?;
        return Ok(McpGrant::IdJag {
            idp_token_endpoint: endpoint,
            idp_client: ClientAuth::public(idp_client),
            id_token: Token::new(id_token),
            client: ClientAuth::basic(client_id, secret),
        });
    }
    if let Some(pem) = s("private_key_pem") {
        let alg = s("signing_algorithm")
            .and_then(|a| Algorithm::from_name(&a))
            .unwrap_or(Algorithm::Es256);
        let key = SigningKey::from_pem(alg, &pem).map_err(|e| format!("private key: {e}"))?;
        return Ok(McpGrant::PrivateKeyJwt {
            client_id: s("client_id").ok_or("client_id missing")?,
            key: Box::new(key),
        });
    }
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    if let (Some(client_id), Some(secret)) = (s("client_id"), s("client_secret"))
        && scenario.contains("client-credentials")
    {
        return Ok(McpGrant::ClientSecret {
            client_id,
            secret: SecretString::new(secret),
        });
    }
    let registration = match (s("client_id"), metadata_url) {
        (Some(client_id), _) => Registration::Preregistered {
            client_id,
            secret: s("client_secret").map(SecretString::new),
        },
        (None, Some(url)) => Registration::MetadataDocument {
            url,
            client_name: "mcp-auth-client".into(),
        },
        (None, None) => Registration::Dynamic {
            client_name: "mcp-auth-client".into(),
        },
    };
    if interactive {
        return Ok(McpGrant::Interactive(InteractiveLogin::new(registration)));
    }
    Ok(McpGrant::AuthorizationCode {
        redirect_uri,
        registration,
    })
}

/// The key of the token store: `MCP_TOKEN_STORE_KEY` (base64url), else the
/// key file named by `MCP_TOKEN_STORE_KEY_FILE`.
fn store_key() -> Result<StoreKey, String> {
    if let Ok(text) = std::env::var("MCP_TOKEN_STORE_KEY") {
        return StoreKey::from_base64url(&text).map_err(|e| format!("MCP_TOKEN_STORE_KEY: {e}"));
    }
    let path = std::env::var("MCP_TOKEN_STORE_KEY_FILE")
        .map_err(|_| "--token-store needs MCP_TOKEN_STORE_KEY or MCP_TOKEN_STORE_KEY_FILE")?;
    StoreKey::from_file(std::path::Path::new(&path))
        .map_err(|e| format!("MCP_TOKEN_STORE_KEY_FILE: {e}"))
}

async fn run() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .pop()
        .ok_or("usage: mcp-auth-client [options] <server URL>")?;
    let mut metadata_url = None;
    let mut interactive = false;
    let mut token_store = None;
    let mut redirect_uri = "http://127.0.0.1:3000/callback".to_owned();
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--client-metadata-url" => metadata_url = it.next(),
            "--redirect-uri" => redirect_uri = it.next().ok_or("--redirect-uri needs a value")?,
            "--interactive" => interactive = true,
            "--token-store" => token_store = Some(it.next().ok_or("--token-store needs a file")?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let context: Value = match std::env::var("MCP_CONFORMANCE_CONTEXT") {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|_| "MCP_CONFORMANCE_CONTEXT is not JSON")?
        }
        Err(_) => json!({}),
    };
    let authorizer = McpAuthorizer::new(grant(&context, metadata_url, redirect_uri, interactive)?)
        .map_err(|e| e.to_string())?;
    let mut session = McpAuthSession::new(authorizer, url.clone());
    if let Some(path) = token_store {
        session = session.token_store(Arc::new(FileTokenStore::new(path, store_key()?)));
    }
    let session = Arc::new(session);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let transport = StreamableHttpClientTransport::with_client(
        AuthorizedHttp::new(http, session),
        StreamableHttpClientTransportConfig::with_uri(url),
    );
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("mcp-auth-client", env!("CARGO_PKG_VERSION")),
    )
    .with_protocol_version(ProtocolVersion::V_2025_11_25);
    let client = info
        .serve(transport)
        .await
        .map_err(|e| format!("initialize: {e}"))?;
    let tools = client
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list: {e}"))?;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    println!("tools: {}", names.join(", "));
    if names.contains(&"test-tool") {
        let result = client
            .call_tool(CallToolRequestParams::new("test-tool"))
            .await
            .map_err(|e| format!("tools/call: {e}"))?;
        println!(
            "test-tool: {}",
            serde_json::to_string(&result.content).unwrap_or_default()
        );
    }
    client
        .cancel()
        .await
        .map_err(|e| format!("closing the session: {e}"))?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcp-auth-client: {e}");
            ExitCode::FAILURE
        }
    }
}
