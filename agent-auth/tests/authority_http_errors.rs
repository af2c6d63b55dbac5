//! The HTTP face answers malformed requests with the RFC 6749 section 5.2 /
//! 4.1.2.1 and RFC 6750 section 3 errors, headers included, and a refused
//! request changes no state.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use reference_authority::*;
use serde_json::Value;

const SECRET: &str = "portal-secret-0123456789";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Face {
    issuer: String,
    authority: Authority,
    http: reqwest::Client,
}

async fn face() -> Face {
    let (listener, issuer) = common::bind().await;
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_user(UserSpec::new("sarah").password("correct horse battery"))
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("portal", SECRET)
                .trusted_first_party()
                .redirect_uri("https://portal.example/cb")
                .grant_types(["authorization_code", "refresh_token", "client_credentials"])
                .scopes(["openid", "reports:read"]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::public("cli")
                .trusted_first_party()
                .redirect_uri("http://127.0.0.1:9/cb"),
        )
        .unwrap();
    let a = authority.clone();
    tokio::spawn(async move { axum::serve(listener, http::router(a)).await.unwrap() });
    Face {
        issuer,
        authority,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

impl Face {
    async fn post(&self, path: &str, body: &str, basic: Option<&str>) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}{path}", self.issuer))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(secret) = basic {
            req = req.basic_auth("portal", Some(secret));
        }
        req.send().await.unwrap()
    }
}

async fn error_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    (status, body["error"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_errors() {
    let f = face().await;
    assert_eq!(
        error_of(f.post("/token", "scope=openid", Some(SECRET)).await).await,
        (400, "invalid_request".into())
    );
    assert_eq!(
        error_of(
            f.post(
                "/token",
                "grant_type=client_credentials&grant_type=client_credentials",
                Some(SECRET)
            )
            .await
        )
        .await,
        (400, "invalid_request".into())
    );
    assert_eq!(
        error_of(
            f.post("/token", "grant_type=urn:example:nope", Some(SECRET))
                .await
        )
        .await,
        (400, "unsupported_grant_type".into())
    );
    let wrong = f
        .post(
            "/token",
            "grant_type=client_credentials",
            Some("wrong-secret-0123456789"),
        )
        .await;
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(error_of(wrong).await, (401, "invalid_client".into()));
    assert_eq!(
        error_of(
            f.post(
                "/token",
                "grant_type=client_credentials&scope=admin",
                Some(SECRET)
            )
            .await
        )
        .await,
        (400, "invalid_scope".into())
    );
    assert_eq!(
        error_of(
            f.post(
                "/token",
                "grant_type=client_credentials&resource=https%3A%2F%2Fother.example%2F",
                Some(SECRET)
            )
            .await
        )
        .await,
        (400, "invalid_target".into())
    );
    assert_eq!(
        error_of(
            f.post(
                "/token",
                "grant_type=authorization_code&code=nope",
                Some(SECRET)
            )
            .await
        )
        .await,
        (400, "invalid_grant".into())
    );
    assert_eq!(
        error_of(
            f.post(
                "/token",
                "grant_type=client_credentials&client_id=cli",
                None
            )
            .await
        )
        .await,
        (400, "unauthorized_client".into())
    );

    // A refused redemption (wrong verifier) leaves the code usable.
    let session = f
        .authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "portal"),
        ("redirect_uri", "https://portal.example/cb"),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let AuthorizeOutcome::Redirect(to) = f.authority.authorize(&params, Some(&session)).unwrap()
    else {
        panic!()
    };
    let url = url::Url::parse(to.expose_secret()).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let body = |verifier: &str| {
        Params::from_pairs([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://portal.example/cb"),
            ("code_verifier", verifier),
        ])
        .to_form()
    };
    assert_eq!(
        error_of(f.post("/token", &body(&"a".repeat(43)), Some(SECRET)).await).await,
        (400, "invalid_grant".into())
    );
    let ok = f.post("/token", &body(VERIFIER), Some(SECRET)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let tokens: Value = ok.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_errors_at_userinfo() {
    let f = face().await;
    let none = f
        .http
        .get(format!("{}/userinfo", f.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let garbage = f
        .http
        .get(format!("{}/userinfo", f.issuer))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 401);
    assert!(
        garbage.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );
    let cc: Value = f
        .post(
            "/token",
            "grant_type=client_credentials&scope=reports:read",
            Some(SECRET),
        )
        .await
        .json()
        .await
        .unwrap();
    let no_openid = f
        .http
        .get(format!("{}/userinfo", f.issuer))
        .bearer_auth(cc["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(no_openid.status(), 403);
    assert!(
        no_openid.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_endpoint_errors() {
    let f = face().await;
    let get = |query: String| {
        let http = f.http.clone();
        let url = format!("{}/authorize?{query}", f.issuer);
        async move { http.get(url).send().await.unwrap() }
    };
    for bad in [
        "response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fportal.example%2Fcb",
        "response_type=code&client_id=portal&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        "response_type=code&client_id=portal&client_id=portal",
    ] {
        let r = get(bad.to_owned()).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert!(
            r.headers().get("location").is_none(),
            "never redirects: {bad}"
        );
    }
    let r = get(
        "response_type=code&client_id=cli&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=xyz"
            .into(),
    )
    .await;
    assert_eq!(r.status(), 303);
    let to = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::BTreeMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "xyz");
    assert_eq!(q["iss"], f.issuer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_introspection_discovery_and_logout() {
    let f = face().await;
    assert_eq!(
        error_of(f.post("/revoke", "token=x", None).await).await,
        (401, "invalid_client".into())
    );
    assert_eq!(
        error_of(f.post("/introspect", "token=x", None).await).await,
        (401, "invalid_client".into())
    );
    let inactive: Value = f
        .post("/introspect", "token=x", Some(SECRET))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inactive, serde_json::json!({"active": false}));
    let oidc: Value = f
        .http
        .get(format!("{}/.well-known/openid-configuration", f.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let oauth: Value = f
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            f.issuer
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oidc, oauth);
    assert_eq!(oidc["issuer"], f.issuer);
    let jwks: Value = f
        .http
        .get(oidc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private key material"
    );
    let logout = f
        .http
        .get(format!(
            "{}/logout?client_id=portal&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            f.issuer
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 400);
    assert!(logout.headers().get("location").is_none());
}
