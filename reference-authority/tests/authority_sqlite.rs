//! A restarted authority on the same SQLite file keeps its keys, users, clients,
//! sessions, grants and refresh tokens.
#![cfg(feature = "sqlite")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use reference_authority::*;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const REDIRECT: &str = "https://portal.example/callback";
const SECRET: &str = "portal-secret-0123456789";

fn open(path: &std::path::Path, clock: &ManualClock) -> Authority {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path).unwrap());
    Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .store(store)
        .build()
        .unwrap()
}

#[tokio::test]
async fn restart_and_continue() {
    let dir = std::env::temp_dir().join(format!(
        "agent-auth-sqlite-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("authority.sqlite");
    let clock = ManualClock::new(1_750_000_000);

    let first = open(&path, &clock);
    first
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    first
        .register_client(
            ClientSpec::confidential("portal", SECRET)
                .trusted_first_party()
                .redirect_uri(REDIRECT),
        )
        .unwrap();
    let session = first
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "portal"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid offline_access"),
    ]);
    let AuthorizeOutcome::Redirect(url) = first.authorize(&params, Some(&session)).unwrap() else {
        panic!("redirect expected");
    };
    let url = url::Url::parse(url.expose_secret()).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens = first
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
            ]))
            .basic("portal", SECRET),
        )
        .await
        .unwrap();
    let kid = first.keys().active().kid().to_owned();
    drop(first);

    // Restart: a new authority value on the same file.
    let second = open(&path, &clock);
    assert_eq!(second.keys().active().kid(), kid, "signing key kept");
    assert!(
        second.user_by_name("sarah").unwrap().is_some(),
        "users kept"
    );
    assert!(second.client("portal").unwrap().is_some(), "clients kept");
    assert!(second.session(&session).is_some(), "SSO session kept");
    assert!(
        second
            .verify_access_token(tokens.access_token.expose_secret())
            .is_ok()
    );
    // The refresh token issued before the restart still rotates.
    let refreshed = second
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    tokens.refresh_token.as_ref().unwrap().expose_secret(),
                ),
            ]))
            .basic("portal", SECRET),
        )
        .await
        .unwrap();
    assert!(refreshed.refresh_token.is_some());
    // The code was redeemed before the restart: still single use.
    let again = second
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
            ]))
            .basic("portal", SECRET),
        )
        .await
        .unwrap_err();
    assert_eq!(again.code(), &ErrorCode::InvalidGrant);
    // Nothing secret is stored in clear.
    drop(second);
    let bytes = std::fs::read(&path).unwrap();
    let haystack = String::from_utf8_lossy(&bytes);
    for secret in [
        SECRET,
        "correct horse battery",
        session.expose_secret(),
        tokens.refresh_token.as_ref().unwrap().expose_secret(),
        code.as_str(),
    ] {
        assert!(!haystack.contains(secret), "a secret is stored in clear");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
