//! `mcp-auth-client`: an MCP client (streamable HTTP, JSON-RPC) that
//! authorizes itself with `agent_auth::mcp_client`: on a 401 it reads the
//! challenge, discovers the resource's and the authorization server's
//! metadata, obtains a token and retries; on a 403 `insufficient_scope` it
//! steps up once. It then lists the tools and calls `test-tool` when offered.
//!
//! Usage: `mcp-auth-client [--client-metadata-url URL] [--redirect-uri URI] <server URL>`.
//! Credentials come from the `MCP_CONFORMANCE_CONTEXT` JSON object when set (as
//! the MCP conformance runner passes them): `client_id`, `client_secret`,
//! `private_key_pem` with `signing_algorithm`, or `idp_id_token` with
//! `idp_token_endpoint` and `idp_client_id`. Without credentials the client
//! uses its client ID metadata document URL when the server supports it, else
//! dynamic registration.

use agent_auth::exchange::ClientAuth;
use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::mcp_client::{BearerChallenge, McpAuthorizer, McpGrant, Registration};
use agent_auth::secret::{SecretString, Token};
use serde_json::{Value, json};
use std::process::ExitCode;

const PROTOCOL_VERSION: &str = "2025-11-25";

struct Session {
    http: reqwest::Client,
    url: String,
    authorizer: McpAuthorizer,
    token: Option<Token>,
    session_id: Option<String>,
    next_id: i64,
}

impl Session {
    async fn send(&self, body: &Value) -> Result<reqwest::Response, String> {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL_VERSION)
            .json(body);
        if let Some(id) = &self.session_id {
            request = request.header("mcp-session-id", id);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        request
            .send()
            .await
            .map_err(|e| e.without_url().to_string())
    }

    /// One JSON-RPC exchange, authorizing on 401 and stepping up once on 403.
    async fn call(
        &mut self,
        method: &str,
        params: Value,
        notification: bool,
    ) -> Result<Value, String> {
        let id = self.next_id;
        let body = if notification {
            json!({"jsonrpc": "2.0", "method": method, "params": params})
        } else {
            self.next_id += 1;
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        };
        let (mut authorized, mut stepped_up) = (false, false);
        loop {
            let response = self.send(&body).await?;
            let status = response.status().as_u16();
            let challenge = response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(|h| BearerChallenge::from_header(h).ok().flatten());
            let retry = match status {
                401 if !authorized => {
                    authorized = true;
                    true
                }
                403 if !stepped_up
                    && challenge
                        .as_ref()
                        .is_some_and(BearerChallenge::is_insufficient_scope) =>
                {
                    stepped_up = true;
                    true
                }
                _ => false,
            };
            if retry {
                let token = self
                    .authorizer
                    .authorize(&self.url, challenge.as_ref())
                    .await
                    .map_err(|e| format!("authorization failed: {e}"))?;
                self.token = Some(token.access_token);
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(format!("{method}: HTTP {status}"));
            }
            if let Some(sid) = response
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
            {
                self.session_id = Some(sid.to_owned());
            }
            if notification {
                return Ok(Value::Null);
            }
            let event_stream = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/event-stream"));
            let text = response
                .text()
                .await
                .map_err(|e| e.without_url().to_string())?;
            let message = if event_stream {
                text.lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
                    .find(|m| m.get("id") == Some(&json!(id)))
                    .ok_or_else(|| format!("{method}: no response in the event stream"))?
            } else {
                serde_json::from_str(&text)
                    .map_err(|_| format!("{method}: response is not JSON"))?
            };
            if let Some(error) = message.get("error") {
                return Err(format!("{method}: JSON-RPC error {error}"));
            }
            return Ok(message.get("result").cloned().unwrap_or(Value::Null));
        }
    }
}

fn grant(
    context: &Value,
    metadata_url: Option<String>,
    redirect_uri: String,
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
    Ok(McpGrant::AuthorizationCode {
        redirect_uri,
        registration,
    })
}

async fn run() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .pop()
        .ok_or("usage: mcp-auth-client [options] <server URL>")?;
    let mut metadata_url = None;
    let mut redirect_uri = "http://127.0.0.1:3000/callback".to_owned();
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--client-metadata-url" => metadata_url = it.next(),
            "--redirect-uri" => redirect_uri = it.next().ok_or("--redirect-uri needs a value")?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    let context: Value = match std::env::var("MCP_CONFORMANCE_CONTEXT") {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|_| "MCP_CONFORMANCE_CONTEXT is not JSON")?
        }
        Err(_) => json!({}),
    };
    let authorizer = McpAuthorizer::new(grant(&context, metadata_url, redirect_uri)?)
        .map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut session = Session {
        http,
        url,
        authorizer,
        token: None,
        session_id: None,
        next_id: 1,
    };
    session
        .call(
            "initialize",
            json!({"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "mcp-auth-client", "version": env!("CARGO_PKG_VERSION")}}),
            false,
        )
        .await?;
    session
        .call("notifications/initialized", json!({}), true)
        .await?;
    let tools = session.call("tools/list", json!({}), false).await?;
    let names: Vec<&str> = tools
        .get("tools")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    println!("tools: {}", names.join(", "));
    if names.contains(&"test-tool") {
        let result = session
            .call(
                "tools/call",
                json!({"name": "test-tool", "arguments": {}}),
                false,
            )
            .await?;
        println!(
            "test-tool: {}",
            result.get("content").cloned().unwrap_or(Value::Null)
        );
    }
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
