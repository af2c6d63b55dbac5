//! Phase 2: Sarah signs in to the sales portal through Acme's authority: the
//! login page sends her to the "Google" connection (federation), then the
//! portal asks for MFA and the authority checks her authenticator code
//! (with `--http`, her browser on the authorities' login pages). The
//! `amr` and `acr` shown are those of the ID tokens the portal validated.

use crate::timeline::Timeline;
use crate::world::{SARAH_TOTP, World};
use agent_auth::login::{AuthOptions, LoginClient, LoginSession as Login};
use reference_authority::{ACR_MFA, totp};
use std::error::Error;

/// The query of a URL.
pub(crate) fn query(url: &str) -> Result<String, Box<dyn Error>> {
    Ok(url::Url::parse(url)?
        .query()
        .ok_or("a redirect without a query")?
        .to_owned())
}

fn options(w: &World, acr: Option<&str>) -> AuthOptions {
    AuthOptions {
        acr_values: acr.map(|a| vec![a.to_owned()]).unwrap_or_default(),
        resource: vec![w.mcp.clone()],
        extra_scopes: vec!["mcp:crm:read".into(), "mcp:docs:read".into()],
        ..AuthOptions::default()
    }
}

fn amr(login: &Login) -> String {
    let amr = login.claims.get("amr").map(|v| v.to_string());
    let acr = login.claims.str("acr").unwrap_or("none");
    format!(
        "sub {}, amr {}, acr {acr}",
        login.subject,
        amr.as_deref().unwrap_or("none")
    )
}

/// Runs phase 2; returns Sarah's MFA login at the portal.
pub(crate) async fn run(w: &World, t: &mut Timeline) -> Result<Login, Box<dyn Error>> {
    t.phase(2, "Sarah signs in through Google, with MFA");
    let portal: LoginClient = w.portal().await?;

    // The login page, then "Continue with Google".
    let request = portal.authorization_request(&options(w, None))?;
    let done = crate::sarah::sign_in_with_google(w, &request.url).await?;
    let federated = portal.callback(&request.pending, &query(&done)?).await?;
    t.record(
        2,
        "sign-in through the federated connection `google`",
        "allowed",
        amr(&federated),
    );

    // The portal asks for MFA: the authority's login page wants the code.
    let request = portal.authorization_request(&options(w, Some(ACR_MFA)))?;
    let code = totp::code_at(SARAH_TOTP, w.clock.now());
    let done = crate::sarah::sign_in_with_mfa(w, &request.url, &code).await?;
    let login = portal.callback(&request.pending, &query(&done)?).await?;
    t.record(
        2,
        "step-up to MFA (password and authenticator code)",
        "allowed",
        amr(&login),
    );
    Ok(login)
}
