//! Silent authorization codes: with open dynamic registration anyone can
//! register a client with their own redirect URI; without consent, any
//! logged-in user who follows its authorization link would hand it a code.
//! The user is now asked (per user, client, scopes and resources) before a
//! client that is not a trusted first party gets anything.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod browser;

use agent_auth::audit::AuditAction;
use browser::*;
use reference_authority::{
    Authority, AuthorityConfig, AuthorizeOutcome, ClientSpec, Credentials, Params,
    RegistrationPolicy, SqliteStore, Store, TokenRequest, UserSpec,
};
use std::sync::Arc;

const EVIL: &str = "https://evil.example/cb";

/// An authority with open registration; Sarah signed in through the trusted
/// portal; a client registered by the attacker. Returns the client id.
async fn setup() -> (Server, Browser, String) {
    let s = Server::start_with(
        |b| b.registration(RegistrationPolicy::open()),
        |a| a.register_client(portal()).unwrap(),
    )
    .await;
    let registered: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/register", s.issuer))
        .json(&serde_json::json!({
            "redirect_uris": [EVIL],
            "token_endpoint_auth_method": "none",
            "client_name": "Totally legit",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();

    let mut victim = Browser::new();
    let page = victim.get(&s.authorize_url("portal", &[])).await;
    let interaction = field(&page.text().await.unwrap(), "interaction");
    let back = location(&victim.sign_in(&s.issuer, &interaction, "sarah").await);
    assert!(
        back.starts_with(REDIRECT),
        "the trusted portal asks no consent"
    );
    (s, victim, client_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_code_for_a_dynamically_registered_client_is_refused_until_consent() {
    let (s, mut victim, evil) = setup().await;
    let link = s.authorize_url_to(&evil, EVIL, "openid profile", &[]);
    let page = victim.get(&link).await;
    assert_eq!(page.status(), 200, "a consent page, not a code");
    let page = page.text().await.unwrap();
    assert!(page.contains("Totally legit"));
    assert!(page.contains("profile"));

    // Deny: access_denied to the redirect URI, and nothing is remembered.
    let interaction = field(&page, "interaction");
    let denied = location(
        &victim
            .post(
                &format!("{}/consent", s.issuer),
                &[("interaction", &interaction), ("decision", "deny")],
            )
            .await,
    );
    assert!(denied.starts_with(EVIL));
    assert_eq!(
        query_param(&denied, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&denied, "state").as_deref(), Some("xyz"));
    assert!(query_param(&denied, "code").is_none());
    assert_eq!(s.denied(AuditAction::ApprovalDecided), 1);
    assert!(s.authority.consent("user-sarah", &evil).unwrap().is_none());
    assert_eq!(victim.get(&link).await.status(), 200, "asked again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_is_asked_once_again_for_new_scopes_and_whenever_prompt_asks() {
    let (s, mut victim, evil) = setup().await;
    let link = s.authorize_url_to(&evil, EVIL, "openid profile", &[]);
    let page = victim.get(&link).await.text().await.unwrap();
    let approved = location(
        &victim
            .post(
                &format!("{}/consent", s.issuer),
                &[
                    ("interaction", &field(&page, "interaction")),
                    ("decision", "approve"),
                ],
            )
            .await,
    );
    assert!(approved.starts_with(EVIL));
    assert!(query_param(&approved, "code").is_some());

    // Same scopes: no question.
    assert!(location(&victim.get(&link).await).starts_with(EVIL));
    // A new scope: asked again, listing it.
    let more = s.authorize_url_to(&evil, EVIL, "openid profile email", &[]);
    let page = victim.get(&more).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("email"));
    // prompt=consent always asks.
    let forced = s.authorize_url_to(&evil, EVIL, "openid profile", &[("prompt", "consent")]);
    assert_eq!(victim.get(&forced).await.status(), 200);
    // prompt=none cannot ask: consent_required (OpenID Connect Core 3.1.2.6).
    let silent = s.authorize_url_to(&evil, EVIL, "openid profile email", &[("prompt", "none")]);
    let answer = location(&victim.get(&silent).await);
    assert_eq!(
        query_param(&answer, "error").as_deref(),
        Some("consent_required")
    );
    assert!(query_param(&answer, "code").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_posted_from_another_browser_is_refused() {
    let (s, mut victim, evil) = setup().await;
    let link = s.authorize_url_to(&evil, EVIL, "openid profile", &[]);
    let page = victim.get(&link).await.text().await.unwrap();
    let interaction = field(&page, "interaction");

    // The attacker, signed in as themselves, posts the victim's consent form.
    let mut attacker = Browser::new();
    let login = attacker.get(&s.authorize_url("portal", &[])).await;
    let own = field(&login.text().await.unwrap(), "interaction");
    let _ = location(&attacker.sign_in(&s.issuer, &own, "mallory").await);
    let refused = attacker
        .post(
            &format!("{}/consent", s.issuer),
            &[("interaction", &interaction), ("decision", "approve")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(s.authority.consent("user-sarah", &evil).unwrap().is_none());
    assert!(
        s.authority
            .consent("user-mallory", &evil)
            .unwrap()
            .is_none()
    );

    // Nothing changed: the victim's own answer still counts.
    let done = victim
        .post(
            &format!("{}/consent", s.issuer),
            &[("interaction", &interaction), ("decision", "deny")],
        )
        .await;
    assert_eq!(
        query_param(&location(&done), "error").as_deref(),
        Some("access_denied")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_for_an_untrusted_client_goes_on_to_the_consent_page() {
    let (s, _, evil) = setup().await;
    let mut user = Browser::new();
    let link = s.authorize_url_to(&evil, EVIL, "openid profile", &[]);
    let page = user.get(&link).await.text().await.unwrap();
    let interaction = field(&page, "interaction");
    let to_consent = location(&user.sign_in(&s.issuer, &interaction, "sarah").await);
    assert!(to_consent.starts_with(&format!("{}/consent?", s.issuer)));
    let page = user.get(&to_consent).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Totally legit"));
    // Another browser cannot even see it.
    assert_eq!(Browser::new().get(&to_consent).await.status(), 403);
    let back = location(
        &user
            .post(
                &format!("{}/consent", s.issuer),
                &[
                    ("interaction", &field(&page, "interaction")),
                    ("decision", "approve"),
                ],
            )
            .await,
    );
    assert!(back.starts_with(EVIL));
    assert!(query_param(&back, "code").is_some());
}

fn in_process(store: Option<Arc<dyn Store>>) -> Authority {
    let mut builder =
        Authority::builder("https://idp.example").config(AuthorityConfig::for_tests());
    if let Some(store) = store {
        builder = builder.store(store);
    }
    builder.build().unwrap()
}

fn seed(a: &Authority) {
    a.register_user(UserSpec::new("sarah").id("user-sarah").password(PASSWORD))
        .unwrap();
    a.register_client(
        ClientSpec::confidential("partner", "partner-secret-0123456789")
            .name("Partner app")
            .redirect_uri(REDIRECT),
    )
    .unwrap();
}

fn request() -> Params {
    Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "partner"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
}

#[tokio::test]
async fn in_process_authorize_never_grants_silently_and_revoking_consent_revokes_grants() {
    let a = in_process(None);
    seed(&a);
    let session = a
        .sign_in(&Credentials::password("sarah", PASSWORD))
        .unwrap();
    let AuthorizeOutcome::Consent(c) = a.authorize(&request(), Some(&session)).unwrap() else {
        panic!("a client that is not a trusted first party needs consent");
    };
    assert_eq!(c.client_name, "Partner app");
    let url = a.decide_consent(&c.id, &session, None, true).unwrap();
    let code = query_param(url.expose_secret(), "code").unwrap();
    let tokens = a
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ]))
            .basic("partner", "partner-secret-0123456789"),
        )
        .await
        .unwrap();
    let refresh = tokens.refresh_token.unwrap();

    assert!(a.revoke_consent("user-sarah", "partner").unwrap());
    let refused = a
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose_secret()),
            ]))
            .basic("partner", "partner-secret-0123456789"),
        )
        .await;
    assert!(refused.is_err(), "the grant died with the consent");
    assert!(matches!(
        a.authorize(&request(), Some(&session)).unwrap(),
        AuthorizeOutcome::Consent(_)
    ));
}

#[tokio::test]
async fn consent_survives_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authority.sqlite");
    let first = in_process(Some(Arc::new(SqliteStore::open(&path).unwrap())));
    seed(&first);
    let session = first
        .sign_in(&Credentials::password("sarah", PASSWORD))
        .unwrap();
    let AuthorizeOutcome::Consent(c) = first.authorize(&request(), Some(&session)).unwrap() else {
        panic!("consent expected");
    };
    first.decide_consent(&c.id, &session, None, true).unwrap();
    drop(first);

    let second = in_process(Some(Arc::new(SqliteStore::open(&path).unwrap())));
    let kept = second.consent("user-sarah", "partner").unwrap().unwrap();
    assert!(kept.covers(&["openid".into(), "offline_access".into()], &[]));
    let session = second
        .sign_in(&Credentials::password("sarah", PASSWORD))
        .unwrap();
    assert!(matches!(
        second.authorize(&request(), Some(&session)).unwrap(),
        AuthorizeOutcome::Redirect(_)
    ));
}
