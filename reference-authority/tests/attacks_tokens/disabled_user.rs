//! Disabling a user cuts their access everywhere at once: sessions,
//! authorization, refresh, introspection and in-process verification.

use super::{Served, serve};
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::*;

const SECRET: &str = "portal-secret-0123456789";
const REDIRECT: &str = "https://portal.example/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn sarah_with_tokens() -> (Served, SessionHandle, TokenResponse, TokenResponse) {
    let s = serve().await;
    s.authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    s.authority
        .register_client(
            ClientSpec::confidential("portal", SECRET)
                .redirect_uri(REDIRECT)
                .grant_types(["authorization_code", "refresh_token"])
                .scopes(["openid", "offline_access", "crm:read"])
                // A first-party client: a live session authorizes silently.
                .trusted_first_party(),
        )
        .unwrap();
    let session = s
        .authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let facts = GrantFacts {
        client_id: "portal".into(),
        user_id: Some("user-sarah".into()),
        scope: vec!["openid".into(), "crm:read".into()],
        ..GrantFacts::default()
    };
    let with_refresh = s
        .authority
        .issue(
            &facts,
            IssueOptions {
                refresh_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap();
    // An access token of no grant family (as token exchange issues them).
    let lone = s.authority.issue(&facts, IssueOptions::default()).unwrap();
    (s, session, with_refresh, lone)
}

async fn authorize_with(s: &Served, session: &SessionHandle) -> reqwest::Response {
    let mut url = url::Url::parse(&s.authority.endpoint(paths::AUTHORIZE)).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "portal"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid crm:read"),
        ("state", "st-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    s.http
        .get(url)
        .header(
            "cookie",
            format!("agent_auth_session={}", session.expose_secret()),
        )
        .send()
        .await
        .unwrap()
}

async fn introspect(s: &Served, token: &str) -> serde_json::Value {
    let response = s
        .http
        .post(format!("{}{}", s.issuer, paths::INTROSPECT))
        .basic_auth("portal", Some(SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_disabled_user_keeps_no_session_no_refresh_and_no_live_token() {
    let (s, session, tokens, lone) = sarah_with_tokens().await;
    let mut events = s.authority.subscribe();
    // Before: the session authorizes silently.
    let response = authorize_with(&s, &session).await;
    assert_eq!(response.status(), 303);

    s.authority.disable_user("user-sarah").unwrap();

    // The session no longer authorizes: the login page instead of a code.
    let response = authorize_with(&s, &session).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    assert!(s.authority.session(&session).is_none());
    // The refresh grant refuses.
    let rt = tokens.refresh_token.as_ref().unwrap().expose_secret();
    let response = s
        .http
        .post(format!("{}{}", s.issuer, paths::TOKEN))
        .basic_auth("portal", Some(SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // Introspection says inactive, for every token of hers.
    for token in [
        tokens.access_token.expose_secret(),
        rt,
        lone.access_token.expose_secret(),
    ] {
        assert_eq!(
            introspect(&s, token).await,
            serde_json::json!({"active": false})
        );
    }
    // In-process guards refuse too, also the token of no grant family.
    assert!(
        s.authority
            .verify_access_token(lone.access_token.expose_secret())
            .is_err()
    );
    // Followers were told.
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert!(seen.iter().any(
        |e| matches!(e, AuthorityEvent::SessionEnded { user_id, .. } if user_id == "user-sarah")
    ));
    assert!(seen.iter().any(|e| matches!(
        e,
        AuthorityEvent::GrantRevoked {
            reason: "user_disabled",
            ..
        }
    )));
    assert!(seen.iter().any(
        |e| matches!(e, AuthorityEvent::UserLoggedOut { user_id, .. } if user_id == "user-sarah")
    ));
    assert!(
        s.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::Other("user_disabled".into())
                && e.outcome == Outcome::Success)
    );
}

#[tokio::test]
async fn an_enabled_user_logs_in_again_but_revoked_grants_stay_revoked() {
    let (s, _, tokens, _) = sarah_with_tokens().await;
    s.authority.disable_user("user-sarah").unwrap();
    assert!(
        s.authority
            .sign_in(&Credentials::password("sarah", "correct horse battery"))
            .is_err()
    );
    s.authority.enable_user("user-sarah").unwrap();
    assert!(
        s.authority
            .sign_in(&Credentials::password("sarah", "correct horse battery"))
            .is_ok()
    );
    let rt = tokens.refresh_token.as_ref().unwrap().expose_secret();
    assert_eq!(introspect(&s, rt).await["active"], false);
    assert!(s.authority.disable_user("nobody").is_err());
}
