//! Federated login: our authority's `google` connection points at an
//! oidc-provider 9.13.3 instance. "Continue with google" on our login page
//! logs the user in upstream, links the upstream identity to a local user and
//! resumes the client's authorization request.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::system_clock;
use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::login::{ClientAuth, HttpBackend, LoginClient, LoginConfig};
use agent_auth::secret::SecretString;
use reference_authority::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const UPSTREAM_SECRET: &str = "upstream-secret-0123456789-abcdef";
const PORTAL_SECRET: &str = "portal-secret-0123456789";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_with_google_links_the_upstream_identity() {
    let (listener, issuer) = common::bind().await;
    let callback = format!("{issuer}{}", paths::FEDERATION_CALLBACK);
    let unused = SigningKey::generate(Algorithm::Es256).unwrap();
    let upstream = common::spawn_script(
        "oidc-provider-server.mjs",
        [
            ("RP_REDIRECT_URI", callback.clone()),
            ("RP_SECRET", UPSTREAM_SECRET.to_owned()),
            (
                "AGENT_JWKS",
                serde_json::json!({"keys": [unused.verifying_key().to_jwk().unwrap()]}).to_string(),
            ),
            ("ACCOUNT", "sarah-at-google".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    )
    .await;
    let upstream_issuer = upstream.ready["issuer"].as_str().unwrap().to_owned();

    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    let portal_redirect = format!("{issuer}/portal/cb");
    authority
        .register_client(
            ClientSpec::confidential("portal", PORTAL_SECRET)
                .trusted_first_party()
                .redirect_uri(&portal_redirect),
        )
        .unwrap();
    let google = LoginClient::discover(
        Arc::new(HttpBackend::new().unwrap()),
        LoginConfig::new(&upstream_issuer, "rp", &callback)
            .auth(ClientAuth::SecretBasic(SecretString::new(UPSTREAM_SECRET)))
            .scopes(["openid", "email"]),
        system_clock(),
    )
    .await
    .unwrap();
    authority.add_connection(Arc::new(OidcConnection::new("google", google)));
    let server_authority = authority.clone();
    tokio::spawn(async move {
        axum::serve(listener, http::router(server_authority))
            .await
            .unwrap()
    });

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut subjects = Vec::new();
    for round in 0..2 {
        let authorize = format!(
            "{issuer}/authorize?{}",
            Params::from_pairs([
                ("response_type", "code"),
                ("client_id", "portal"),
                ("redirect_uri", portal_redirect.as_str()),
                ("scope", "openid email"),
                ("state", "s"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ])
            .to_form()
        );
        let page = http.get(&authorize).send().await.unwrap();
        // The cookie that binds the login to this browser.
        let browser = page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let page = page.text().await.unwrap();
        assert!(page.contains("Continue with google"));
        let interaction = page
            .split("name=\"interaction\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let response = http
            .post(format!("{issuer}/login"))
            .header("cookie", &browser)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("interaction={interaction}&connection=google"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let to_upstream = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(to_upstream.starts_with(&upstream_issuer));
        // The browser at the upstream provider (headless interaction there).
        let mut jar = BTreeMap::new();
        let query = common::browse_until(&http, &mut jar, &to_upstream, &callback).await;
        let back = http
            .get(format!("{callback}?{query}"))
            .header("cookie", &browser)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 303, "round {round}");
        let to_portal = back.headers()["location"].to_str().unwrap().to_owned();
        let url = url::Url::parse(&to_portal).unwrap();
        assert!(to_portal.starts_with(&portal_redirect));
        let params = Params::parse(url.query().unwrap()).unwrap();
        assert_eq!(params.get("iss"), Some(issuer.as_str()));
        let tokens = authority
            .token(
                &TokenRequest::new(Params::from_pairs([
                    ("grant_type", "authorization_code"),
                    ("code", params.get("code").unwrap()),
                    ("redirect_uri", portal_redirect.as_str()),
                    ("code_verifier", VERIFIER),
                ]))
                .basic("portal", PORTAL_SECRET),
            )
            .await
            .unwrap();
        let info = authority
            .userinfo(tokens.access_token.expose_secret())
            .unwrap();
        assert_eq!(info["email"], "sarah-at-google@example.test");
        subjects.push(info["sub"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        subjects[0], subjects[1],
        "the upstream identity stays linked to one local user"
    );
    let user = authority.user(&subjects[0]).unwrap().unwrap();
    assert_eq!(user.username, "google|sarah-at-google");
    drop(upstream);
}
