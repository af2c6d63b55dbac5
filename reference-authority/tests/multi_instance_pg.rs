//! Two authority instances behind one issuer, each its own `http::router` over
//! its own `PgStore` on one PostgreSQL database, served on loopback: the
//! single-use and replay rules hold across instances, as behind a load balancer.
#![cfg(all(feature = "server", feature = "postgres"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::Claims;
use reference_authority::*;
use serde_json::Value;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const REDIRECT: &str = "https://portal.example/callback";
const SECRET: &str = "portal-secret-0123456789";
const NOW: i64 = 1_750_000_000;

struct Instance {
    authority: Authority,
    base: String,
}

struct Pair {
    a: Instance,
    b: Instance,
    http: reqwest::Client,
    _db: pg_store::testing::TestDatabase,
}

async fn serve(store: PgStore, clock: &ManualClock) -> Instance {
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .store(Arc::new(store))
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = http::router(authority.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Instance { authority, base }
}

/// Two instances on one fresh database, or `None` when PostgreSQL is not installed.
async fn pair(label: &str) -> Option<Pair> {
    let db = pg_store::testing::fresh_database(label).unwrap()?;
    let clock = ManualClock::new(NOW);
    let a = serve(PgStore::open(db.pool().unwrap()).unwrap(), &clock).await;
    let b = serve(PgStore::open(db.pool().unwrap()).unwrap(), &clock).await;
    Some(Pair {
        a,
        b,
        http: reqwest::Client::new(),
        _db: db,
    })
}

impl Pair {
    async fn token(&self, at: &Instance, form: &[(&str, &str)], basic: bool) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{}", at.base, paths::TOKEN))
            .form(form);
        if basic {
            request = request.basic_auth("portal", Some(SECRET));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A user, the confidential client, and an authorization code issued by instance A.
    fn code(&self) -> String {
        let a = &self.a.authority;
        a.register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
        a.register_client(
            ClientSpec::confidential("portal", SECRET)
                .trusted_first_party()
                .redirect_uri(REDIRECT),
        )
        .unwrap();
        let session = a
            .sign_in(&Credentials::password("sarah", "correct horse battery"))
            .unwrap();
        let params = Params::from_pairs([
            ("response_type", "code"),
            ("client_id", "portal"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid offline_access"),
        ]);
        let AuthorizeOutcome::Redirect(url) = a.authorize(&params, Some(&session)).unwrap() else {
            panic!("redirect expected");
        };
        let url = url::Url::parse(url.expose_secret()).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    }
}

fn redeem(code: &str) -> [(&'static str, String); 3] {
    [
        ("grant_type", "authorization_code".into()),
        ("code", code.to_owned()),
        ("redirect_uri", REDIRECT.into()),
    ]
}

fn form<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_redeemed_once_across_instances_even_at_the_same_time() {
    let Some(p) = pair("code_once").await else {
        return;
    };
    let code = p.code();
    let pairs = redeem(&code);
    let f = form(&pairs);
    let (at_a, at_b) = tokio::join!(p.token(&p.a, &f, true), p.token(&p.b, &f, true));
    let mut statuses = [at_a.0, at_b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400], "a: {}, b: {}", at_a.1, at_b.1);
    let refused = if at_a.0 == 400 { &at_a.1 } else { &at_b.1 };
    assert_eq!(refused["error"], "invalid_grant");
    // And a third try, later, on either instance, is refused too.
    let (status, body) = p.token(&p.b, &f, true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_revokes_the_family_across_instances() {
    let Some(p) = pair("refresh_reuse").await else {
        return;
    };
    let code = p.code();
    let pairs = redeem(&code);
    let (status, tokens) = p.token(&p.a, &form(&pairs), true).await;
    assert_eq!(status, 200, "{tokens}");
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", token.to_owned()),
        ]
    };
    // Rotation on instance A.
    let rotate = refresh(&first);
    let (status, rotated) = p.token(&p.a, &form(&rotate), true).await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_owned();
    // The old token replayed on instance B: refused (RFC 9700 section 4.14.2) ...
    let (status, body) = p.token(&p.b, &form(&rotate), true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // ... and the whole family is revoked: the current token fails on A too.
    let (status, body) = p.token(&p.a, &form(&refresh(&second)), true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_client_assertion_is_refused_across_instances() {
    let Some(p) = pair("assertion_replay").await else {
        return;
    };
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [key.verifying_key().to_jwk().unwrap()]});
    p.a.authority
        .register_client(
            ClientSpec::private_key_jwt("sales-agent", jwks.to_string())
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read"]),
        )
        .unwrap();
    for round in 0..3 {
        let mut c = Claims::new();
        c.iss = Some("sales-agent".into());
        c.sub = Some("sales-agent".into());
        c.aud = vec![p.a.authority.endpoint(paths::TOKEN)];
        c.iat = Some(NOW);
        c.exp = Some(NOW + 60);
        c.jti = Some(format!("assertion-{round}"));
        let assertion = sign_compact(&key, None, &c).unwrap();
        let f = [
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", assertion.expose_secret()),
        ];
        // The same assertion at both instances at once: one token (RFC 7523 section 3).
        let (at_a, at_b) = tokio::join!(p.token(&p.a, &f, false), p.token(&p.b, &f, false));
        let mut statuses = [at_a.0, at_b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401], "round {round}: {} {}", at_a.1, at_b.1);
        // Replayed later at the instance that accepted it: refused as well.
        let winner = if at_a.0 == 200 { &p.a } else { &p.b };
        let (status, body) = p.token(winner, &f, false).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }
}

/// The `jti` of a JWT access token (its payload read without verification: the
/// test only needs the identifier).
fn jti_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&agent_auth::jose::base64url::decode(payload).unwrap()).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

/// Registers the `portal` client (client credentials) through instance a;
/// returns its token request form.
fn portal_with_client_credentials(p: &Pair) -> [(&'static str, &'static str); 1] {
    p.a.authority
        .register_client(
            ClientSpec::confidential("portal", SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS]),
        )
        .unwrap();
    [("grant_type", "client_credentials")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_is_in_the_shared_ledger_before_it_is_returned() {
    let Some(p) = pair("ledger_shared").await else {
        return;
    };
    let form = portal_with_client_credentials(&p);
    // Requests at once, so that their ledger rows share commits.
    let tokens = futures::future::join_all((0..24).map(|_| p.token(&p.a, &form, true))).await;
    let ledger =
        p.b.authority
            .store()
            .scan(Table::Extension("issued_access_tokens"))
            .unwrap();
    assert_eq!(tokens.len(), 24);
    for (status, body) in tokens {
        assert_eq!(status, 200, "{body}");
        let jti = jti_of(body["access_token"].as_str().unwrap());
        assert!(
            ledger.iter().any(|(key, _)| *key == jti),
            "{jti} missing from the ledger instance b reads"
        );
    }
    assert_eq!(ledger.len(), 24);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disabled_at_one_instance_is_refused_at_the_other() {
    let Some(p) = pair("disable_shared").await else {
        return;
    };
    let form = portal_with_client_credentials(&p);
    // Instance a reads (and caches) the client.
    assert_eq!(p.token(&p.a, &form, true).await.0, 200);
    assert_eq!(p.token(&p.a, &form, true).await.0, 200);
    p.b.authority.disable_client("portal").unwrap();
    // Instance b refuses at once; a once the database's notification reached it.
    let (status, body) = p.token(&p.b, &form, true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, body) = p.token(&p.a, &form, true).await;
        if status == 401 {
            assert_eq!(body["error"], "invalid_client");
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            std::time::Instant::now() < deadline,
            "instance a still issues tokens to the disabled client"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    p.a.authority.enable_client("portal").unwrap();
    assert_eq!(p.token(&p.a, &form, true).await.0, 200);
}
