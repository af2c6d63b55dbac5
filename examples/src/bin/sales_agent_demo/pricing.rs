//! The pricing domain for phase 4: Acme's managed connection to the pricing
//! server's authorization server (which scopes the agent may carry there),
//! and the pricing AS itself, a second reference authority on loopback that
//! redeems ID-JAGs (RFC 7523 `jwt-bearer`) signed by Acme's authority.

use crate::traffic::Traffic;
use crate::world::AGENT;
use agent_auth::exchange::{ClientAuth, ExchangeClient, GRANT_JWT_BEARER};
use agent_auth::jwks::RemoteJwks;
use reference_authority::grants::{AllowNarrowing, RefreshTokensFor};
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, JwtBearerGrant, ManagedConnection, ScopePolicy,
    TokenExchangeGrant, TrustedIssuer,
};
use std::error::Error;
use std::sync::Arc;

/// The pricing AS's issuer: the audience of the ID-JAG.
pub(crate) const PRICING: &str = "https://pricing.acmecorp.internal";
/// The pricing API, the resource of the pricing token.
pub(crate) const PRICING_API: &str = "https://pricing.acmecorp.internal/api";
/// The agent's client id at the pricing AS.
const PRICING_CLIENT: &str = "pricing-sales-agent";
const PRICING_SECRET: &str = "pricing-agent-secret-0123456789abcdef";

/// The pricing AS and the agent's client of its token endpoint.
pub(crate) struct Pricing {
    /// The pricing AS (a reference authority standing in for it).
    pub(crate) authority: Authority,
    /// The agent's client of the pricing AS's token endpoint.
    pub(crate) client: ExchangeClient,
}

/// Acme's token-exchange grant: delegated tokens for the CRM (with a refresh
/// token for the agent, so it can ask for ID-JAGs later) and the managed
/// connection to the pricing AS: `pricing:read` granted, `pricing:write` and
/// `pricing:admin` denied.
pub(crate) fn exchange_grant() -> TokenExchangeGrant {
    TokenExchangeGrant::new()
        .policy(RefreshTokensFor::new(AllowNarrowing, [AGENT]))
        .connection(
            ManagedConnection::new(PRICING)
                .client(AGENT, PRICING_CLIENT)
                .scope("pricing:read", ScopePolicy::Granted)
                .scope("pricing:write", ScopePolicy::Denied)
                .scope("pricing:admin", ScopePolicy::Denied)
                .resources([PRICING_API])
                .ttl(300),
        )
}

/// Starts the pricing AS on loopback, trusting Acme's authority (`acme`,
/// whose keys it fetches from its JWKS over HTTP).
pub(crate) async fn start(acme: &str, traffic: &Traffic) -> Result<Pricing, Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let authority = Authority::builder(PRICING)
        .config(AuthorityConfig::for_tests())
        .build()?;
    let acme_keys = RemoteJwks::new(&format!("{acme}/jwks"))?;
    authority.register_grant(Arc::new(
        JwtBearerGrant::new().trust(TrustedIssuer::new(acme, acme_keys)),
    ));
    authority.register_client(
        ClientSpec::confidential(PRICING_CLIENT, PRICING_SECRET)
            .grant_types([GRANT_JWT_BEARER])
            .scopes(["pricing:read", "pricing:write", "pricing:admin"])
            .resources([PRICING_API]),
    )?;
    tokio::spawn(
        axum::serve(
            listener,
            traffic.count(
                "pricing",
                reference_authority::http::router(authority.clone()),
            ),
        )
        .into_future(),
    );
    let client = ExchangeClient::new(
        format!("{url}/token"),
        ClientAuth::basic(PRICING_CLIENT, PRICING_SECRET),
    )?;
    Ok(Pricing { authority, client })
}
