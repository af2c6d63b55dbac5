//! Login, MFA step-up, SSO sessions, logout and housekeeping.

use super::*;

#[tokio::test]
async fn acr_values_step_up_to_mfa() {
    let f = fixture();
    let session = login(&f);
    let params = auth_params().with("acr_values", ACR_MFA);
    let AuthorizeOutcome::Interaction(i) = f.authority.authorize(&params, Some(&session)).unwrap()
    else {
        panic!("step-up expected");
    };
    assert!(i.needs_mfa);
    let pw = Credentials::password("sarah", "correct horse battery");
    assert_eq!(
        f.authority.complete_login(&i.id, &pw).unwrap_err(),
        LoginError::MfaRequired
    );
    assert_eq!(
        f.authority
            .complete_login(&i.id, &pw.clone().with_totp("000000"))
            .unwrap_err(),
        LoginError::InvalidCredentials
    );
    let code = totp::code_at(TOTP_SECRET, f.authority.now());
    let done = f
        .authority
        .complete_login(&i.id, &pw.clone().with_totp(code.clone()))
        .unwrap();
    let q = redirect_query(AuthorizeOutcome::Redirect(done.redirect));
    let tokens = f
        .authority
        .token(&code_request(q.get("code").unwrap()))
        .await
        .unwrap();
    let id = id_claims(&f, &tokens);
    assert_eq!(id["acr"], ACR_MFA);
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    // The same one-time code is not accepted twice (RFC 6238 section 5.2).
    assert_eq!(
        f.authority.sign_in(&pw.with_totp(code)).unwrap_err(),
        LoginError::InvalidCredentials
    );
    // The interaction was single use.
    assert!(f.authority.interaction(&i.id).is_none());
}

#[tokio::test]
async fn sessions_expire_when_idle_or_too_old() {
    let f = fixture();
    let session = login(&f);
    f.clock.advance(29 * 60);
    assert!(
        f.authority.session(&session).is_some(),
        "activity resets idle timer"
    );
    f.clock.advance(29 * 60);
    assert!(f.authority.session(&session).is_some());
    f.clock.advance(31 * 60);
    assert!(f.authority.session(&session).is_none(), "idle timeout");
    let session = login(&f);
    for _ in 0..25 {
        f.clock.advance(29 * 60);
        if f.authority.session(&session).is_none() {
            break;
        }
    }
    assert!(f.authority.session(&session).is_none(), "absolute timeout");
    // An expired session means the login page again.
    assert!(matches!(
        f.authority
            .authorize(&auth_params(), Some(&session))
            .unwrap(),
        AuthorizeOutcome::Interaction(_)
    ));
}

#[tokio::test]
async fn max_age_and_prompt_login_force_reauthentication() {
    let f = fixture();
    let session = login(&f);
    f.clock.advance(120);
    let params = auth_params().with("max_age", "60");
    let AuthorizeOutcome::Interaction(i) = f.authority.authorize(&params, Some(&session)).unwrap()
    else {
        panic!("max_age exceeded must ask to log in");
    };
    let done = f
        .authority
        .complete_login(
            &i.id,
            &Credentials::password("sarah", "correct horse battery"),
        )
        .unwrap();
    assert!(matches!(
        f.authority.authorize(&params, Some(&done.session)).unwrap(),
        AuthorizeOutcome::Redirect(_)
    ));
    let login_again = auth_params().with("prompt", "login");
    assert!(matches!(
        f.authority
            .authorize(&login_again, Some(&done.session))
            .unwrap(),
        AuthorizeOutcome::Interaction(_)
    ));
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_session_and_its_grants() {
    let f = fixture();
    let session = login(&f);
    let q = redirect_query(
        f.authority
            .authorize(&auth_params(), Some(&session))
            .unwrap(),
    );
    let tokens = f
        .authority
        .token(&code_request(q.get("code").unwrap()))
        .await
        .unwrap();
    let mut events = f.authority.subscribe();
    let bad = Params::from_pairs([
        (
            "id_token_hint",
            tokens.id_token.as_ref().unwrap().expose_secret(),
        ),
        ("post_logout_redirect_uri", "https://evil.example/"),
    ]);
    assert!(f.authority.end_session(&bad, Some(&session)).is_err());
    assert!(
        f.authority.session(&session).is_some(),
        "refused logout changes nothing"
    );
    let params = Params::from_pairs([
        (
            "id_token_hint",
            tokens.id_token.as_ref().unwrap().expose_secret(),
        ),
        ("post_logout_redirect_uri", "https://portal.example/bye"),
        ("state", "bye-1"),
    ]);
    let to = f.authority.end_session(&params, Some(&session)).unwrap();
    assert_eq!(
        to.as_deref(),
        Some("https://portal.example/bye?state=bye-1")
    );
    assert!(f.authority.session(&session).is_none());
    assert!(matches!(
        events.try_recv().unwrap(),
        AuthorityEvent::SessionEnded { .. }
    ));
    assert!(matches!(
        events.try_recv().unwrap(),
        AuthorityEvent::GrantRevoked {
            reason: "logout",
            ..
        }
    ));
    assert!(
        f.authority
            .verify_access_token(tokens.access_token.expose_secret())
            .is_err()
    );
}

#[tokio::test]
async fn totp_enrollment_gives_a_working_authenticator_secret() {
    let f = fixture();
    let id = f
        .authority
        .register_user(UserSpec::new("bob").password("bob-password-123"))
        .unwrap();
    let enrollment = f.authority.enroll_totp(&id).unwrap();
    assert!(
        enrollment
            .uri
            .expose_secret()
            .starts_with("otpauth://totp/")
    );
    assert!(!format!("{enrollment:?}").contains(enrollment.secret_base32.expose_secret()));
    let secret = base32_decode(enrollment.secret_base32.expose_secret());
    assert_eq!(secret.len(), 20);
    let code = totp::code_at(&secret, f.authority.now());
    f.authority
        .sign_in(&Credentials::password("bob", "bob-password-123").with_totp(code))
        .unwrap();
}

#[tokio::test]
async fn purge_removes_only_what_expired() {
    let f = fixture();
    let tokens = code_flow(&f, &auth_params()).await;
    let session = login(&f);
    assert_eq!(
        f.authority.purge_expired().unwrap(),
        0,
        "nothing expired yet"
    );
    f.clock.advance(3600);
    // The code (60 s) and the idle sessions (30 min) are gone; the refresh
    // token (14 days) and its family stay.
    assert!(f.authority.purge_expired().unwrap() >= 2);
    assert!(f.authority.session(&session).is_none());
    let refresh = TokenRequest::new(Params::from_pairs([
        ("grant_type", "refresh_token"),
        (
            "refresh_token",
            tokens.refresh_token.as_ref().unwrap().expose_secret(),
        ),
    ]))
    .basic("portal", SECRET);
    f.authority.token(&refresh).await.unwrap();
}
