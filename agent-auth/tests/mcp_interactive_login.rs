//! Interactive MCP login (RFC 8252) against our reference authority on
//! loopback: the browser hook hands the authorization URL to a scripted
//! browser, which signs in on the authority's login form, approves the
//! consent page and follows the redirect to the agent's loopback listener.
//! The tokens go to an encrypted file store; a second agent instance with the
//! same file reuses the access token, then refreshes it, without any login.
//! The listener ignores a response with another `state` and times out on an
//! injected sleeper.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::ManualClock;
use agent_auth::mcp_client::{
    FileTokenStore, InteractiveLogin, McpAuthError, McpAuthSession, McpAuthorizer, McpGrant,
    Registration, RequestAttempt, Retry, StoreKey, TokenStore,
};
use agent_auth::oauth::{BrowserHook, LoopbackError, LoopbackRedirect, Sleeper};
use axum::Router;
use axum::routing::get;
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig, RegistrationPolicy, UserSpec, grant_types};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

const NOW: i64 = 1_750_000_000;
const PASSWORD: &str = "correct horse battery";

/// Hands every URL to the scripted browser, counting them.
#[derive(Debug)]
struct ScriptedBrowser {
    urls: mpsc::UnboundedSender<String>,
    opened: Arc<AtomicUsize>,
}

impl BrowserHook for ScriptedBrowser {
    fn open(&self, url: &str) -> std::io::Result<()> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        let _ = self.urls.send(url.to_owned());
        Ok(())
    }
}

/// Never returns: the login waits for the browser.
#[derive(Debug)]
struct Forever;

#[async_trait::async_trait]
impl Sleeper for Forever {
    async fn sleep(&self, _: u64) {
        std::future::pending::<()>().await;
    }
}

/// Returns at once: the timeout is reached.
#[derive(Debug)]
struct AtOnce;

#[async_trait::async_trait]
impl Sleeper for AtOnce {
    async fn sleep(&self, _: u64) {}
}

/// A browser: one cookie jar, redirects followed by hand.
struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let cookie = self
            .jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = request.header("cookie", cookie).send().await.unwrap();
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (k, v) = text.split(';').next().unwrap().split_once('=').unwrap();
            if v.is_empty() || text.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), v.to_owned());
            }
        }
        response
    }

    /// Follows redirects from `response` (at `url`); returns the final URL,
    /// status and page.
    async fn follow(
        &mut self,
        mut response: reqwest::Response,
        mut url: String,
    ) -> (String, u16, String) {
        while response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            url = url::Url::parse(&url)
                .unwrap()
                .join(&location)
                .unwrap()
                .to_string();
            response = self.send(self.http.get(&url)).await;
        }
        let status = response.status().as_u16();
        (url, status, response.text().await.unwrap())
    }

    /// What a user does with the authorization URL: sign in on the login
    /// form, answer the consent page with `decision`, follow the redirect to
    /// the loopback listener. Returns the listener's page.
    async fn log_in(&mut self, authorization_url: &str, decision: &str) -> (u16, String) {
        let first = self.send(self.http.get(authorization_url)).await;
        let (url, status, page) = self.follow(first, authorization_url.to_owned()).await;
        assert_eq!(status, 200, "login page: {page}");
        let origin = url::Url::parse(&url)
            .unwrap()
            .origin()
            .ascii_serialization();
        let login = self
            .send(self.http.post(format!("{origin}/login")).form(&[
                ("interaction", field(&page, "interaction").as_str()),
                ("username", "sarah"),
                ("password", PASSWORD),
            ]))
            .await;
        let (url, status, page) = self.follow(login, format!("{origin}/login")).await;
        assert_eq!(status, 200, "consent page: {page}");
        assert!(
            url.starts_with(&origin),
            "the consent page of the authority"
        );
        let consent = self
            .send(self.http.post(format!("{origin}/consent")).form(&[
                ("interaction", field(&page, "interaction").as_str()),
                ("decision", decision),
            ]))
            .await;
        let (url, status, page) = self.follow(consent, format!("{origin}/consent")).await;
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "back at the loopback listener: {url}"
        );
        (status, page)
    }
}

/// The value of hidden field `name` in a page.
fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name} in {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    mcp: String,
    challenge: String,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for s in &self.servers {
            s.abort();
        }
    }
}

/// Our authority (open dynamic registration for the MCP server's scope and
/// resource) and the MCP server's protected resource metadata.
async fn fixture() -> Fixture {
    let (as_listener, issuer) = common::bind().await;
    let (mcp_listener, base) = common::bind().await;
    let mcp = format!("{base}/mcp");
    let clock = ManualClock::new(NOW);
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .registration(
            RegistrationPolicy::open()
                .scopes(["crm:read"])
                .resources([mcp.clone()])
                .grant_types([grant_types::AUTHORIZATION_CODE, grant_types::REFRESH_TOKEN]),
        )
        .build()
        .unwrap();
    authority
        .register_user(UserSpec::new("sarah").id("user-sarah").password(PASSWORD))
        .unwrap();
    let prm = json!({"resource": mcp, "authorization_servers": [issuer], "scopes_supported": ["crm:read"]});
    let app = Router::new().route(
        "/.well-known/oauth-protected-resource/mcp",
        get(move || {
            let body = prm.clone();
            async move { axum::Json(body) }
        }),
    );
    let servers = vec![
        tokio::spawn({
            let authority = authority.clone();
            async move { axum::serve(as_listener, router(authority)).await.unwrap() }
        }),
        tokio::spawn(async move { axum::serve(mcp_listener, app).await.unwrap() }),
    ];
    Fixture {
        authority,
        clock,
        challenge: format!(
            r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
        ),
        mcp,
        servers,
    }
}

impl Fixture {
    /// A new agent instance: an interactive authorizer and a session keeping
    /// its tokens in `store`. Returns the URLs its browser hook is given.
    fn agent(
        &self,
        store: Arc<dyn TokenStore>,
        opened: Arc<AtomicUsize>,
    ) -> (McpAuthSession, mpsc::UnboundedReceiver<String>) {
        let (urls, rx) = mpsc::unbounded_channel();
        let login = InteractiveLogin::new(Registration::Dynamic {
            client_name: "cli agent".into(),
        })
        .browser(Arc::new(ScriptedBrowser { urls, opened }))
        .sleeper(Arc::new(Forever));
        let authorizer = McpAuthorizer::new(McpGrant::Interactive(login)).unwrap();
        let session = McpAuthSession::new(authorizer, self.mcp.clone())
            .clock(Arc::new(self.clock.clone()))
            .token_store(store);
        (session, rx)
    }

    fn subject_of(&self, session: &McpAuthSession) -> String {
        let token = session.bearer().unwrap();
        let claims = self
            .authority
            .verify_access_token(token.expose_secret())
            .unwrap();
        assert_eq!(claims.aud, [self.mcp.as_str()]);
        assert_eq!(claims.str("scope"), Some("crm:read"));
        claims.sub.clone().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_login_then_a_restarted_agent_reuses_and_refreshes_its_tokens() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp-tokens");
    let key = StoreKey::generate().unwrap();
    let opened = Arc::new(AtomicUsize::new(0));

    // First run: the user logs in in the browser.
    let (session, mut urls) = f.agent(
        Arc::new(FileTokenStore::new(&path, key.clone())),
        opened.clone(),
    );
    assert!(session.valid_bearer().await.is_none(), "nothing stored yet");
    let browser = tokio::spawn(async move {
        let url = urls.recv().await.unwrap();
        assert!(
            url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
            "{url}"
        );
        Browser::new().log_in(&url, "approve").await
    });
    let mut attempt = RequestAttempt::new();
    let retry = session
        .on_rejection(&mut attempt, 401, Some(&f.challenge))
        .await
        .unwrap();
    assert_eq!(retry, Retry::WithNewToken);
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("Signed in"), "{page}");
    assert_eq!(f.subject_of(&session), "user-sarah");
    let first = session.bearer().unwrap();
    assert!(session.has_refresh_token());
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    drop(session);

    // Second run, same file and key: the access token is reused, no login.
    let (again, _urls) = f.agent(
        Arc::new(FileTokenStore::new(&path, key.clone())),
        opened.clone(),
    );
    assert_eq!(again.valid_bearer().await, Some(first.clone()));
    // Once it expires, the stored refresh token renews it, still no login.
    f.clock.advance(601);
    let renewed = again.valid_bearer().await.unwrap();
    assert_ne!(renewed, first);
    assert_eq!(f.subject_of(&again), "user-sarah");
    drop(again);

    // Third run: the rotated refresh token was saved (presenting the old
    // one again would revoke the grant, RFC 9700 section 4.14.2).
    let (third, _urls) = f.agent(
        Arc::new(FileTokenStore::new(&path, key.clone())),
        opened.clone(),
    );
    assert_eq!(third.valid_bearer().await, Some(renewed.clone()));
    f.clock.advance(601);
    let again_renewed = third.valid_bearer().await.unwrap();
    assert_ne!(again_renewed, renewed);
    assert_eq!(f.subject_of(&third), "user-sarah");
    assert_eq!(
        opened.load(Ordering::SeqCst),
        1,
        "the browser opened only once"
    );

    // Another key cannot read the file: the agent logs in again instead of
    // failing, and the store says why.
    let foreign = FileTokenStore::new(&path, StoreKey::generate().unwrap());
    assert_eq!(
        foreign.load(&f.mcp).unwrap_err(),
        agent_auth::mcp_client::TokenStoreError::WrongKeyOrAltered
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_consent_ends_the_login_with_an_error() {
    let f = fixture().await;
    let opened = Arc::new(AtomicUsize::new(0));
    let store = Arc::new(agent_auth::mcp_client::MemoryTokenStore::default());
    let (session, mut urls) = f.agent(store.clone(), opened);
    let browser = tokio::spawn(async move {
        let url = urls.recv().await.unwrap();
        Browser::new().log_in(&url, "deny").await
    });
    let err = session
        .on_rejection(&mut RequestAttempt::new(), 401, Some(&f.challenge))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        McpAuthError::AuthorizationResponse("the authorization was refused")
    );
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("Sign-in refused"), "{page}");
    assert!(session.bearer().is_none());
    assert!(store.load(&f.mcp).unwrap().is_none(), "nothing stored");
}

#[tokio::test]
async fn the_listener_ignores_a_response_with_another_state() {
    let listener = LoopbackRedirect::bind("/callback").await.unwrap();
    let uri = listener.redirect_uri().to_owned();
    assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));
    let waiting = tokio::spawn(async move { listener.wait("expected", 60, &Forever).await });
    let http = reqwest::Client::new();
    let forged = http
        .get(format!("{uri}?code=attacker&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let elsewhere = http
        .get(uri.replace("/callback", "/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);
    let posted = http
        .post(format!("{uri}?state=expected"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 400);
    let good = http
        .get(format!("{uri}?code=the-code&state=expected"))
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 200);
    let page = good.text().await.unwrap();
    assert!(
        !page.contains("the-code"),
        "nothing of the request is echoed"
    );
    let request = waiting.await.unwrap().unwrap();
    assert_eq!(request.param("code"), Some("the-code"));
    // Exactly one callback: the listener is closed.
    assert!(
        http.get(format!("{uri}?state=expected"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_listener_times_out() {
    let listener = LoopbackRedirect::bind("/callback").await.unwrap();
    assert_eq!(
        listener.wait("expected", 120, &AtOnce).await.unwrap_err(),
        LoopbackError::Timeout(120)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interactive_login_times_out_when_nobody_comes_back() {
    let f = fixture().await;
    let (urls, _rx) = mpsc::unbounded_channel();
    let login = InteractiveLogin::new(Registration::Dynamic {
        client_name: "cli agent".into(),
    })
    .browser(Arc::new(ScriptedBrowser {
        urls,
        opened: Arc::new(AtomicUsize::new(0)),
    }))
    .sleeper(Arc::new(AtOnce))
    .timeout(30);
    let authorizer = McpAuthorizer::new(McpGrant::Interactive(login)).unwrap();
    let session = McpAuthSession::new(authorizer, f.mcp.clone());
    let err = session
        .on_rejection(&mut RequestAttempt::new(), 401, Some(&f.challenge))
        .await
        .unwrap_err();
    assert_eq!(err, McpAuthError::Loopback(LoopbackError::Timeout(30)));
}
