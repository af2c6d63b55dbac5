//! Logout CSRF against the end-session endpoint: a request naming the victim's
//! session only by `id_token_hint` (no session cookie: a link, an image, or
//! another browser) ends nothing until the user confirms in that browser
//! (OpenID Connect RP-Initiated Logout 1.0, section 2).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod browser;

use agent_auth::audit::AuditAction;
use browser::*;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The victim logs in through their browser; returns their ID token.
async fn victim_logs_in(s: &Server, victim: &mut Browser) -> String {
    let page = victim.get(&s.authorize_url("portal", &[])).await;
    let interaction = field(&page.text().await.unwrap(), "interaction");
    let back = location(&victim.sign_in(&s.issuer, &interaction, "sarah").await);
    let code = query_param(&back, "code").unwrap();
    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/token", s.issuer))
        .basic_auth("portal", Some("portal-secret-0123456789"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["id_token"].as_str().unwrap().to_owned()
}

/// Whether the browser's SSO session is live: a new authorization request
/// redirects with a code instead of showing the login page.
async fn still_signed_in(s: &Server, b: &mut Browser) -> bool {
    b.get(&s.authorize_url("portal", &[])).await.status() == 303
}

fn logout_url(s: &Server, id_token: &str) -> String {
    format!(
        "{}/logout?{}",
        s.issuer,
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", id_token)
            .append_pair("post_logout_redirect_uri", "https://portal.example/bye")
            .finish()
    )
}

async fn server() -> Server {
    Server::start(|a| a.register_client(portal()).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_csrf_with_id_token_hint_and_no_session_cookie_ends_nothing() {
    let s = server().await;
    let mut victim = Browser::new();
    let id_token = victim_logs_in(&s, &mut victim).await;

    // A crafted GET without the victim's cookie gets a confirmation page.
    let mut attacker = Browser::new();
    let page = attacker.get(&logout_url(&s, &id_token)).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Sign out?"));
    assert!(page.contains("Sales portal"));
    assert!(still_signed_in(&s, &mut victim).await);
    assert_eq!(s.denied(AuditAction::Logout), 1);

    // Its confirmation token is good only in the browser that was asked.
    let token = field(&page, "confirm");
    let refused = victim
        .post(&format!("{}/logout", s.issuer), &[("confirm", &token)])
        .await;
    assert_eq!(refused.status(), 403);
    assert!(still_signed_in(&s, &mut victim).await);
    assert_eq!(s.denied(AuditAction::Logout), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_confirmed_by_the_user_ends_the_session_once() {
    let s = server().await;
    let mut user = Browser::new();
    let id_token = victim_logs_in(&s, &mut user).await;
    // The user on another device, without the session cookie, confirms.
    let mut device = Browser::new();
    let page = device.get(&logout_url(&s, &id_token)).await;
    let token = field(&page.text().await.unwrap(), "confirm");
    let done = device
        .post(&format!("{}/logout", s.issuer), &[("confirm", &token)])
        .await;
    assert_eq!(location(&done), "https://portal.example/bye");
    assert!(!still_signed_in(&s, &mut user).await);
    // Single use.
    let again = device
        .post(&format!("{}/logout", s.issuer), &[("confirm", &token)])
        .await;
    assert_eq!(again.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_with_the_session_cookie_needs_no_confirmation() {
    let s = server().await;
    let mut user = Browser::new();
    let id_token = victim_logs_in(&s, &mut user).await;
    let done = user.get(&logout_url(&s, &id_token)).await;
    assert_eq!(location(&done), "https://portal.example/bye");
    assert!(!user.jar.contains_key("agent_auth_session"));
    assert!(!still_signed_in(&s, &mut user).await);
}
