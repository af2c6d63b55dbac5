//! An rmcp MCP server with the seed's resources and tools, guarded by mcp-guard.
//!
//! ```text
//! guarded-mcp-server --issuer http://127.0.0.1:9000 [--listen 127.0.0.1:8000]
//!                    [--public-handshake] [--unguarded]
//! ```
//! The issuer's metadata (RFC 8414 / OpenID discovery) gives the JWKS. Scopes:
//! `mcp:crm:read`, `mcp:docs:read`, `mcp:calendar:read`. Resources are filtered
//! per user through FGA (Sarah sees the CRM contact and the proposal templates,
//! not the executive discounts). Prints `listening on <url>` when ready.

use examples::seed_mcp::{seed_app, seed_fga, seed_policy};
use mcp_guard::{Guard, HostPolicy, TrustedIssuer};

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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = arg("--listen").unwrap_or_else(|| "127.0.0.1:8000".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    let resource = format!("http://{addr}/mcp");

    let app = seed_app();
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
        let guard = Guard::builder(&resource)?
            .trust(TrustedIssuer::remote_jwks(&issuer, &jwks)?)
            .scopes(seed_policy(flag("--public-handshake")))
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
