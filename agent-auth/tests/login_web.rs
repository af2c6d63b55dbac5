//! The login client's axum integration against our authority's HTTP face, both
//! served on loopback: /login -> authority login page -> /callback -> a handler
//! that extracts the user; then /logout.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::system_clock;
use agent_auth::login::web::{CurrentUser, WebLogin};
use agent_auth::login::*;
use agent_auth::secret::SecretString;
use axum::Router;
use axum::routing::get;
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec, http::router};
use std::collections::BTreeMap;
use std::sync::Arc;

struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

impl Browser {
    fn cookies(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (k, v) = text.split(';').next().unwrap().split_once('=').unwrap();
            if v.is_empty() {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    async fn get(&mut self, url: &str) -> reqwest::Response {
        let r = self
            .http
            .get(url)
            .header("cookie", self.cookies())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let r = self
            .http
            .post(url)
            .header("cookie", self.cookies())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r
    }
}

fn location(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), 303, "expected a redirect");
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_lines_of_axum_log_a_user_in_and_out() {
    let (idp_listener, issuer) = common::bind().await;
    let (app_listener, app) = common::bind().await;
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("portal", "portal-secret-0123456789")
                .redirect_uri(format!("{app}/callback"))
                .post_logout_redirect_uri(format!("{app}/")),
        )
        .unwrap();
    tokio::spawn(async move { axum::serve(idp_listener, router(authority)).await.unwrap() });

    // The application: a few lines.
    let client = LoginClient::discover(
        Arc::new(HttpBackend::new().unwrap()),
        LoginConfig::new(&issuer, "portal", format!("{app}/callback")).auth(
            ClientAuth::SecretBasic(SecretString::new("portal-secret-0123456789")),
        ),
        system_clock(),
    )
    .await
    .unwrap();
    let login = WebLogin::new(client).post_logout_redirect_uri(format!("{app}/"));
    let site: Router = Router::new()
        .route("/me", get(|user: CurrentUser| async move { user.subject }))
        .merge(login.routes())
        .layer(login.layer());
    tokio::spawn(async move { axum::serve(app_listener, site).await.unwrap() });

    let mut b = Browser {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        jar: BTreeMap::new(),
    };
    assert_eq!(b.get(&format!("{app}/me")).await.status(), 401);
    let to_idp = location(&b.get(&format!("{app}/login?return_to=/me")).await);
    assert!(to_idp.starts_with(&format!("{issuer}/authorize?")));
    let page = b.get(&to_idp).await.text().await.unwrap();
    let interaction = page
        .split("name=\"interaction\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let wrong = b
        .post(
            &format!("{issuer}/login"),
            &[
                ("interaction", &interaction),
                ("username", "sarah"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("invalid username"));
    let to_app = location(
        &b.post(
            &format!("{issuer}/login"),
            &[
                ("interaction", &interaction),
                ("username", "sarah"),
                ("password", "correct horse battery"),
            ],
        )
        .await,
    );
    assert!(to_app.starts_with(&format!("{app}/callback?")));
    let back = location(&b.get(&to_app).await);
    assert_eq!(back, "/me");
    let me = b.get(&format!("{app}/me")).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.text().await.unwrap(), "user-sarah");

    // Logout: the app forgets the session and sends the browser to the
    // authority's end-session endpoint, which comes back to the app.
    let to_end = location(&b.get(&format!("{app}/logout")).await);
    assert!(to_end.starts_with(&format!("{issuer}/logout?")));
    let home = location(&b.get(&to_end).await);
    assert_eq!(home, format!("{app}/"));
    assert_eq!(b.get(&format!("{app}/me")).await.status(), 401);
    // The authority session ended too: a new login shows the login page.
    let to_idp = location(&b.get(&format!("{app}/login")).await);
    assert_eq!(b.get(&to_idp).await.status(), 200);
}
