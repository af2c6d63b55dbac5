//! Phase 2: Sarah signs in to the sales portal through Acme's authority: the
//! login page sends her to the "Google" connection (federation), then the
//! portal asks for MFA and the authority checks her authenticator code. The
//! `amr` and `acr` shown are those of the ID tokens the portal validated.

use crate::timeline::Timeline;
use crate::world::{SARAH_PASSWORD, SARAH_TOTP, World};
use agent_auth::login::{AuthOptions, LoginClient, LoginSession as Login};
use reference_authority::{ACR_MFA, AuthorizeOutcome, Credentials, Params, totp};
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
    let params = Params::parse(&query(&request.url)?)?;
    let AuthorizeOutcome::Interaction(page) = w.authority.authorize(&params, None)? else {
        return Err("the authority showed no login page".into());
    };
    let to_google = w
        .authority
        .begin_federated_login(&page.id, None, "google")
        .await?;
    // Sarah signs in at Google, which sends her back to Acme's callback.
    let at_google = w.google.sign_in(&Credentials::password(
        "sarah.chen@gmail.example",
        SARAH_PASSWORD,
    ))?;
    let google_params = Params::parse(&query(to_google.expose_secret())?)?;
    let AuthorizeOutcome::Redirect(back) = w.google.authorize(&google_params, Some(&at_google))?
    else {
        return Err("Google did not send Sarah back".into());
    };
    let callback = Params::parse(&query(back.expose_secret())?)?;
    let done = w
        .authority
        .complete_federated_login(&callback, None)
        .await?;
    let federated = portal
        .callback(&request.pending, &query(done.redirect.expose_secret())?)
        .await?;
    t.record(
        2,
        "sign-in through the federated connection `google`",
        "allowed",
        amr(&federated),
    );

    // The portal asks for MFA: the authority's login page wants the code.
    let request = portal.authorization_request(&options(w, Some(ACR_MFA)))?;
    let params = Params::parse(&query(&request.url)?)?;
    let AuthorizeOutcome::Interaction(page) = w.authority.authorize(&params, None)? else {
        return Err("the authority asked for no second factor".into());
    };
    if !page.needs_mfa {
        return Err("the authority did not require MFA".into());
    }
    let code = totp::code_at(SARAH_TOTP, w.clock.now());
    let done = w.authority.complete_login(
        &page.id,
        &Credentials::password("sarah.chen", SARAH_PASSWORD).with_totp(code),
    )?;
    let login = portal
        .callback(&request.pending, &query(done.redirect.expose_secret())?)
        .await?;
    t.record(
        2,
        "step-up to MFA (password and authenticator code)",
        "allowed",
        amr(&login),
    );
    Ok(login)
}
