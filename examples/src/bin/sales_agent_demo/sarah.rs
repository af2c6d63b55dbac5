//! What Sarah does at the login and consent pages (the demo plays her): in
//! process, the authorities' interaction calls; over HTTP, her browser
//! posting the pages' forms. Each returns where the authority finally sends
//! her: the client's redirect URI with the code.

use crate::browser::Page;
use crate::phase2_login::query;
use crate::wiring::Parties;
use crate::world::{SARAH_PASSWORD, World};
use reference_authority::{AuthorizeOutcome, Credentials, Params, paths};
use std::error::Error;

/// Her account at Google.
const AT_GOOGLE: &str = "sarah.chen@gmail.example";
/// Her account at Acme.
const AT_ACME: &str = "sarah.chen";

/// At Acme's login page for `url`, "Continue with Google", then sign-in at
/// Google, which sends her back to Acme.
pub(crate) async fn sign_in_with_google(w: &World, url: &str) -> Result<String, Box<dyn Error>> {
    let Parties::Http(browser) = &w.parties else {
        let params = Params::parse(&query(url)?)?;
        let AuthorizeOutcome::Interaction(page) = w.authority.authorize(&params, None)? else {
            return Err("the authority showed no login page".into());
        };
        let to_google = w
            .authority
            .begin_federated_login(&page.id, None, "google")
            .await?;
        let at_google = w
            .google
            .sign_in(&Credentials::password(AT_GOOGLE, SARAH_PASSWORD))?;
        let google_params = Params::parse(&query(to_google.expose_secret())?)?;
        let AuthorizeOutcome::Redirect(back) =
            w.google.authorize(&google_params, Some(&at_google))?
        else {
            return Err("Google did not send Sarah back".into());
        };
        let callback = Params::parse(&query(back.expose_secret())?)?;
        let done = w
            .authority
            .complete_federated_login(&callback, None)
            .await?;
        return Ok(done.redirect.expose_secret().to_owned());
    };
    let page = browser.get(url).await?;
    let interaction = page
        .hidden("interaction")
        .ok_or("the authority showed no login page")?;
    let to_google = browser
        .post(
            &format!("{}{}", w.issuer, paths::LOGIN),
            &[("interaction", &interaction), ("connection", "google")],
        )
        .await?;
    let at_google = browser
        .get(to_google.redirect("Continue with Google")?)
        .await?;
    let back = sign_in_at_google(w, &at_google).await?;
    let done = browser.get(back.redirect("Google's sign-in")?).await?;
    Ok(done.redirect("Acme's federation callback")?.to_owned())
}

/// Google's login page: her password there; returns Google's answer.
async fn sign_in_at_google(w: &World, page: &Page) -> Result<Page, Box<dyn Error>> {
    let Parties::Http(browser) = &w.parties else {
        return Err("Google's login page is served over HTTP only".into());
    };
    let interaction = page
        .hidden("interaction")
        .ok_or("Google showed no login page")?;
    browser
        .post(
            &format!("{}{}", w.google_url, paths::LOGIN),
            &[
                ("interaction", &interaction),
                ("username", AT_GOOGLE),
                ("password", SARAH_PASSWORD),
            ],
        )
        .await
}

/// At Acme's login page for `url`, which must ask for a second factor: her
/// password and the authenticator's `code`.
pub(crate) async fn sign_in_with_mfa(
    w: &World,
    url: &str,
    code: &str,
) -> Result<String, Box<dyn Error>> {
    let Parties::Http(browser) = &w.parties else {
        let params = Params::parse(&query(url)?)?;
        let AuthorizeOutcome::Interaction(page) = w.authority.authorize(&params, None)? else {
            return Err("the authority asked for no second factor".into());
        };
        if !page.needs_mfa {
            return Err("the authority did not require MFA".into());
        }
        let done = w.authority.complete_login(
            &page.id,
            &Credentials::password(AT_ACME, SARAH_PASSWORD).with_totp(code),
        )?;
        return Ok(done.redirect.expose_secret().to_owned());
    };
    let page = browser.get(url).await?;
    let interaction = page
        .hidden("interaction")
        .ok_or("the authority asked for no second factor")?;
    if !page.body.contains("pattern=\"[0-9]{6}\" required") {
        return Err("the authority did not require MFA".into());
    }
    let done = browser
        .post(
            &format!("{}{}", w.issuer, paths::LOGIN),
            &[
                ("interaction", &interaction),
                ("username", AT_ACME),
                ("password", SARAH_PASSWORD),
                ("totp", code),
            ],
        )
        .await?;
    Ok(done.redirect("the MFA sign-in")?.to_owned())
}

/// At Google for the authorization request `url`: signed in (again, if her
/// session there is gone), consenting when asked.
pub(crate) async fn consent_at_google(w: &World, url: &str) -> Result<String, Box<dyn Error>> {
    let Parties::Http(browser) = &w.parties else {
        let params = Params::parse(&query(url)?)?;
        let at_google = w
            .google
            .sign_in(&Credentials::password(AT_GOOGLE, SARAH_PASSWORD))?;
        let back = match w.google.authorize(&params, Some(&at_google))? {
            AuthorizeOutcome::Redirect(back) => back,
            AuthorizeOutcome::Consent(page) => {
                w.google.decide_consent(&page.id, &at_google, None, true)?
            }
            _ => return Err("Google asked Sarah to sign in again".into()),
        };
        return Ok(back.expose_secret().to_owned());
    };
    let mut page = browser.get(url).await?;
    if page.location.is_none() && page.body.contains("name=\"password\"") {
        page = sign_in_at_google(w, &page).await?;
    }
    if page.location.is_none() {
        let interaction = page
            .hidden("interaction")
            .ok_or("Google showed neither consent nor a redirect")?;
        page = browser
            .post(
                &format!("{}{}", w.google_url, paths::CONSENT),
                &[("interaction", &interaction), ("decision", "approve")],
            )
            .await?;
    }
    Ok(page.redirect("Google's consent")?.to_owned())
}
