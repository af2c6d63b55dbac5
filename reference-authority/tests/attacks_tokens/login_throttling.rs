//! Guessing passwords and one-time codes: failures are counted per account
//! and per client address, lockouts double, the clock decides, and a client's
//! own `X-Forwarded-For` does not choose the address it is counted under.

use super::{Served, serve, serve_with};
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::*;

const REDIRECT: &str = "https://portal.example/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const TOTP_SECRET: &[u8] = b"0123456789abcdefghij";

fn with_sarah(s: &Served) {
    s.authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery")
                .totp_secret(TOTP_SECRET),
        )
        .unwrap();
    s.authority
        .register_client(ClientSpec::public("cli").redirect_uri(REDIRECT))
        .unwrap();
}

/// A fresh login page; returns its interaction id and the cookies it set
/// (the browser binding the form must come back with).
async fn login_page(s: &Served) -> (String, String) {
    let mut url = url::Url::parse(&s.authority.endpoint(paths::AUTHORIZE)).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "cli"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let page = s.http.get(url).send().await.unwrap();
    let cookies = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ");
    let html = page.text().await.unwrap();
    let marker = "name=\"interaction\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let end = start + html[start..].find('"').unwrap();
    (html[start..end].to_owned(), cookies)
}

/// Posts the login form; returns the status and the page.
async fn post_login(
    s: &Served,
    user: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, String) {
    let (interaction, cookies) = login_page(s).await;
    let mut request = s
        .http
        .post(format!("{}{}", s.issuer, paths::LOGIN))
        .header("cookie", cookies)
        .form(&[
            ("interaction", interaction.as_str()),
            ("username", user),
            ("password", password),
        ]);
    if let Some(xff) = forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn password_guessing_locks_the_account_out_for_doubling_times() {
    let s = serve().await;
    with_sarah(&s);
    for _ in 0..5 {
        assert_eq!(post_login(&s, "sarah", "guess", None).await.0, 401);
    }
    // Locked out: even the right password is refused, unverified.
    let (status, page) = post_login(&s, "sarah", "correct horse battery", None).await;
    assert_eq!(status, 401);
    assert!(page.contains("too many failed attempts"), "{page}");
    assert!(
        s.audited(AuditAction::Authentication, Outcome::Denied)
            .iter()
            .any(|e| e.reason.as_deref() == Some("locked_out"))
    );
    // After the first lockout one more failure locks for twice as long.
    s.clock.advance(61);
    assert_eq!(post_login(&s, "sarah", "guess", None).await.0, 401);
    s.clock.advance(61);
    assert_eq!(
        post_login(&s, "sarah", "correct horse battery", None)
            .await
            .0,
        401
    );
    s.clock.advance(60);
    assert_eq!(
        post_login(&s, "sarah", "correct horse battery", None)
            .await
            .0,
        303
    );
}

#[tokio::test]
async fn totp_guessing_is_locked_out_and_a_code_is_used_once() {
    let s = serve().await;
    with_sarah(&s);
    let attempt = |code: &str| {
        s.authority.sign_in(
            &Credentials::password("sarah", "correct horse battery").with_totp(code.to_owned()),
        )
    };
    let right = totp::code_at(TOTP_SECRET, s.authority.now());
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    for _ in 0..5 {
        assert_eq!(attempt(wrong).unwrap_err(), LoginError::InvalidCredentials);
    }
    assert_eq!(attempt(&right).unwrap_err(), LoginError::TooManyAttempts);
    s.clock.advance(61);
    let right = totp::code_at(TOTP_SECRET, s.authority.now());
    assert!(attempt(&right).is_ok());
    // RFC 6238 section 5.2: the same code is not accepted twice.
    assert_eq!(attempt(&right).unwrap_err(), LoginError::InvalidCredentials);
}

#[tokio::test]
async fn guessing_many_accounts_from_one_address_is_locked_out_whatever_x_forwarded_for_says() {
    let s = serve().await;
    with_sarah(&s);
    for i in 0..20 {
        let spoofed = format!("198.51.100.{i}");
        let (status, _) = post_login(&s, &format!("user-{i}"), "guess", Some(&spoofed)).await;
        assert_eq!(status, 401);
    }
    let (status, page) =
        post_login(&s, "sarah", "correct horse battery", Some("198.51.100.200")).await;
    assert_eq!(status, 401);
    assert!(page.contains("too many failed attempts"), "{page}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_counted() {
    let mut config = AuthorityConfig::for_tests();
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let s = serve_with(config).await;
    with_sarah(&s);
    for i in 0..20 {
        let (status, _) = post_login(&s, &format!("user-{i}"), "guess", Some("203.0.113.7")).await;
        assert_eq!(status, 401);
    }
    let (status, _) = post_login(&s, "sarah", "correct horse battery", Some("203.0.113.7")).await;
    assert_eq!(status, 401, "the guessing client is locked out");
    let (status, _) = post_login(&s, "sarah", "correct horse battery", Some("203.0.113.8")).await;
    assert_eq!(status, 303, "another client behind the same proxy is not");
}
