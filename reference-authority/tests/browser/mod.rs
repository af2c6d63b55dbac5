//! A scripted browser for the attack tests of the HTTP face: an authority
//! served on a loopback port, reqwest without redirects, and a cookie jar per
//! browser, so that "another browser" is another jar.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use reference_authority::{
    Authority, AuthorityBuilder, AuthorityConfig, ClientSpec, UserSpec, http::router,
};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) const PASSWORD: &str = "correct horse battery";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const REDIRECT: &str = "https://portal.example/callback";

/// An authority on loopback with users `sarah` and `mallory`.
pub(crate) struct Server {
    pub(crate) issuer: String,
    pub(crate) authority: Authority,
    pub(crate) audit: MemorySink,
}

impl Server {
    /// Serves an authority; `clients` registers its clients.
    pub(crate) async fn start(clients: impl FnOnce(&Authority)) -> Server {
        Self::start_with(|b| b, clients).await
    }

    /// Like [`start`](Self::start), with the builder shaped by `configure`.
    pub(crate) async fn start_with(
        configure: impl FnOnce(AuthorityBuilder) -> AuthorityBuilder,
        clients: impl FnOnce(&Authority),
    ) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let audit = MemorySink::new();
        let authority = configure(
            Authority::builder(&issuer)
                .config(AuthorityConfig::for_tests())
                .audit(Arc::new(audit.clone())),
        )
        .build()
        .unwrap();
        for name in ["sarah", "mallory"] {
            authority
                .register_user(
                    UserSpec::new(name)
                        .id(format!("user-{name}"))
                        .password(PASSWORD),
                )
                .unwrap();
        }
        clients(&authority);
        let app = router(authority.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server {
            issuer,
            authority,
            audit,
        }
    }

    /// The authorization URL of a code request of `client` with PKCE.
    pub(crate) fn authorize_url(&self, client: &str, extra: &[(&str, &str)]) -> String {
        self.authorize_url_to(client, REDIRECT, "openid profile", extra)
    }

    /// The authorization URL of a code request of `client` for `scope`,
    /// returning to `redirect_uri`.
    pub(crate) fn authorize_url_to(
        &self,
        client: &str,
        redirect_uri: &str,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("response_type", "code")
            .append_pair("client_id", client)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", scope)
            .append_pair("state", "xyz")
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        format!("{}/authorize?{}", self.issuer, q.finish())
    }

    /// How many refusals (`Denied`) of `action` were audited.
    pub(crate) fn denied(&self, action: AuditAction) -> usize {
        self.audit
            .events()
            .iter()
            .filter(|e| e.action == action && e.outcome == Outcome::Denied)
            .count()
    }
}

/// A confidential client `portal` redirecting to [`REDIRECT`]; a trusted
/// first-party client, so no consent is asked.
pub(crate) fn portal() -> ClientSpec {
    ClientSpec::confidential("portal", "portal-secret-0123456789")
        .trusted_first_party()
        .name("Sales portal")
        .redirect_uri(REDIRECT)
        .post_logout_redirect_uri("https://portal.example/bye")
}

/// One browser: its own cookies.
pub(crate) struct Browser {
    http: reqwest::Client,
    pub(crate) jar: BTreeMap<String, String>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

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
            if v.is_empty() || text.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    pub(crate) async fn get(&mut self, url: &str) -> reqwest::Response {
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

    pub(crate) async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
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

    /// Posts the login form of `interaction` as `user`.
    pub(crate) async fn sign_in(
        &mut self,
        issuer: &str,
        interaction: &str,
        user: &str,
    ) -> reqwest::Response {
        self.post(
            &format!("{issuer}/login"),
            &[
                ("interaction", interaction),
                ("username", user),
                ("password", PASSWORD),
            ],
        )
        .await
    }
}

/// The `Location` of a 303.
pub(crate) fn location(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), 303, "expected a redirect");
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// The value of hidden field `name` in a page.
pub(crate) fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name} in {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// A query parameter of a URL.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
