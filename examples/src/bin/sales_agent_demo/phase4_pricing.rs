//! Phase 4: cross-domain access to the pricing server. The agent asks Acme's
//! authority for an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant:
//! RFC 8693 token exchange with Sarah's delegated refresh token as the
//! subject), then redeems it at the pricing AS (RFC 7523 `jwt-bearer`).
//! Acme's managed connection to the pricing AS grants `pricing:read` and
//! refuses `pricing:write` and `pricing:admin`.

use crate::phase3_crm::Session;
use crate::pricing::{PRICING, PRICING_API};
use crate::timeline::Timeline;
use crate::world::{AGENT, World};
use agent_auth::exchange::{
    ClientAuth, ExchangeClient, ExchangeError, TokenExchangeRequest, token_types,
};
use agent_auth::secret::Token;
use std::error::Error;

/// The agent's ID-JAG request for `scope`, with Sarah's delegated grant.
fn id_jag_request(
    session: &Session,
    scope: &[&str],
) -> Result<TokenExchangeRequest, Box<dyn Error>> {
    let subject = session
        .refresh
        .clone()
        .ok_or("the delegated exchange issued no refresh token")?;
    Ok(
        TokenExchangeRequest::new(subject, token_types::REFRESH_TOKEN)
            .requested_token_type(token_types::ID_JAG)
            .audience(PRICING)
            .resource(PRICING_API)
            .scope(scope.iter().copied()),
    )
}

/// A refusal, in the authorization server's words.
fn refusal(e: &ExchangeError) -> String {
    match e.oauth_code() {
        Some(code) => format!("{code}: {e}"),
        None => e.to_string(),
    }
}

/// Both steps for `scope`: the ID-JAG at Acme, then the pricing token.
async fn pricing_token(
    w: &World,
    acme: &ExchangeClient,
    session: &Session,
    scope: &[&str],
) -> Result<Result<(String, Token), ExchangeError>, Box<dyn Error>> {
    let id_jag = match acme.exchange(&id_jag_request(session, scope)?).await {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let kind = id_jag.issued_token_type.unwrap_or_default();
    Ok(w.pricing
        .client
        .jwt_bearer(&id_jag.access_token, &[])
        .await
        .map(|r| (kind, r.access_token)))
}

/// Runs phase 4.
pub(crate) async fn run(
    w: &World,
    t: &mut Timeline,
    session: &Session,
) -> Result<(), Box<dyn Error>> {
    t.phase(4, "Cross-domain: an ID-JAG for the pricing server");
    let acme = ExchangeClient::new(
        format!("{}/token", w.issuer),
        ClientAuth::basic(AGENT, w.agent_secret()),
    )?;
    let (id_jag, token) = pricing_token(w, &acme, session, &["pricing:read"])
        .await?
        .map_err(|e| format!("pricing:read refused: {}", refusal(&e)))?;
    let claims = w
        .pricing
        .authority
        .verify_access_token(token.expose_secret())?;
    t.record(
        4,
        "ID-JAG for pricing:read, redeemed at the pricing AS",
        "granted",
        format!(
            "issued {id_jag} for audience {PRICING}; pricing token: sub {}, client_id {}, scope {}",
            claims.sub.as_deref().unwrap_or("none"),
            claims.str("client_id").unwrap_or("none"),
            claims.str("scope").unwrap_or(""),
        ),
    );
    // One request for both scopes: the managed connection refuses it whole.
    let reason = match pricing_token(w, &acme, session, &["pricing:write", "pricing:admin"]).await?
    {
        Ok(_) => "granted".to_owned(),
        Err(e) => refusal(&e),
    };
    t.record(
        4,
        "ID-JAG for pricing:write and pricing:admin",
        if reason == "granted" {
            "granted"
        } else {
            "denied"
        },
        reason,
    );
    Ok(())
}
