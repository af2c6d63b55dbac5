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

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::{ManualClock, SharedClock, system_clock};
use agent_auth::login::web::{CurrentUser, WebLogin};
use agent_auth::login::*;
use agent_auth::secret::SecretString;
use axum::Router;
use axum::routing::get;
use reference_authority::signals::Transmitter;
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

impl Browser {
    fn new() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }
}

fn location(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), 303, "expected a redirect");
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// An authority (with its SSF transmitter) and an application using
/// `WebLogin`, both on loopback.
struct Site {
    issuer: String,
    app: String,
    audit: Arc<MemorySink>,
    authority: Authority,
    transmitter: Transmitter,
}

const PASSWORD: &str = "correct horse battery";

/// Serves an authority with users `sarah` and `mallory` and an application
/// whose `WebLogin` is shaped by `configure`; the login client uses `clock`.
async fn site(clock: SharedClock, configure: impl FnOnce(WebLogin) -> WebLogin) -> Site {
    let (idp_listener, issuer) = common::bind().await;
    let (app_listener, app) = common::bind().await;
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
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
    authority
        .register_client(
            ClientSpec::confidential("portal", "portal-secret-0123456789")
                .trusted_first_party()
                .redirect_uri(format!("{app}/callback"))
                .post_logout_redirect_uri(format!("{app}/")),
        )
        .unwrap();
    let transmitter = Transmitter::install(&authority);
    let idp = router(authority.clone()).merge(transmitter.router());
    tokio::spawn(async move { axum::serve(idp_listener, idp).await.unwrap() });
    let client = LoginClient::discover(
        Arc::new(HttpBackend::new().unwrap()),
        LoginConfig::new(&issuer, "portal", format!("{app}/callback")).auth(
            ClientAuth::SecretBasic(SecretString::new("portal-secret-0123456789")),
        ),
        clock,
    )
    .await
    .unwrap();
    let audit = Arc::new(MemorySink::new());
    let login = configure(
        WebLogin::new(client)
            .post_logout_redirect_uri(format!("{app}/"))
            .audit(audit.clone()),
    );
    let site: Router = Router::new()
        .route("/me", get(|user: CurrentUser| async move { user.subject }))
        .merge(login.routes())
        .layer(login.layer());
    tokio::spawn(async move { axum::serve(app_listener, site).await.unwrap() });
    Site {
        issuer,
        app,
        audit,
        authority,
        transmitter,
    }
}

fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// Starts a login at the application in `b` and signs in at the authority as
/// `user`; returns the callback URL the authority sends the browser to.
async fn sign_in_at_authority(b: &mut Browser, s: &Site, return_to: &str, user: &str) -> String {
    let to_idp = location(
        &b.get(&format!(
            "{}/login?return_to={}",
            s.app,
            url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
        ))
        .await,
    );
    let page = b.get(&to_idp).await.text().await.unwrap();
    let interaction = field(&page, "interaction");
    let to_app = location(
        &b.post(
            &format!("{}/login", s.issuer),
            &[
                ("interaction", &interaction),
                ("username", user),
                ("password", PASSWORD),
            ],
        )
        .await,
    );
    assert!(to_app.starts_with(&format!("{}/callback?", s.app)));
    to_app
}

/// Sarah and Mallory, each logged in at the application in a browser.
async fn sarah_and_mallory_logged_in(s: &Site) -> (Browser, Browser) {
    let mut browsers = Vec::new();
    for user in ["sarah", "mallory"] {
        let mut b = Browser::new();
        let callback = sign_in_at_authority(&mut b, s, "/me", user).await;
        assert_eq!(location(&b.get(&callback).await), "/me");
        assert_eq!(b.get(&format!("{}/me", s.app)).await.status(), 200);
        browsers.push(b);
    }
    let mallory = browsers.pop().unwrap();
    (browsers.pop().unwrap(), mallory)
}

/// Sarah's sessions at the application ended (audited), Mallory's did not.
async fn only_sarah_is_logged_out(s: &Site, sarah: &mut Browser, mallory: &mut Browser) {
    assert_eq!(sarah.get(&format!("{}/me", s.app)).await.status(), 401);
    assert_eq!(mallory.get(&format!("{}/me", s.app)).await.status(), 200);
    assert!(
        s.audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::Logout
                && e.user.as_deref() == Some("user-sarah")
                && e.details.get("op") == Some(&serde_json::json!("sessions_ended")))
    );
}

fn refusals(s: &Site) -> usize {
    s.audit
        .events()
        .iter()
        .filter(|e| e.action == AuditAction::Authentication && e.outcome == Outcome::Denied)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_lines_of_axum_log_a_user_in_and_out() {
    let s = site(system_clock(), |w| w).await;
    let (issuer, app) = (s.issuer.clone(), s.app.clone());
    let mut b = Browser::new();
    assert_eq!(b.get(&format!("{app}/me")).await.status(), 401);
    let to_idp = location(&b.get(&format!("{app}/login?return_to=/me")).await);
    assert!(to_idp.starts_with(&format!("{issuer}/authorize?")));
    let page = b.get(&to_idp).await.text().await.unwrap();
    let interaction = field(&page, "interaction");
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
                ("password", PASSWORD),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_csrf_callback_sent_to_another_browser_is_refused() {
    let s = site(system_clock(), |w| w).await;
    // The attacker logs in as themselves and stops before the callback.
    let mut attacker = Browser::new();
    let callback = sign_in_at_authority(&mut attacker, &s, "/me", "mallory").await;

    // The victim's browser, with no binding cookie, follows the link.
    let mut victim = Browser::new();
    let refused = victim.get(&callback).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("another browser"));
    assert_eq!(victim.get(&format!("{}/me", s.app)).await.status(), 401);

    // A victim with a login of their own under way holds a different binding.
    let _ = location(&victim.get(&format!("{}/login", s.app)).await);
    assert_eq!(victim.get(&callback).await.status(), 403);
    assert_eq!(victim.get(&format!("{}/me", s.app)).await.status(), 401);
    assert_eq!(refusals(&s), 2, "each refusal is audited");

    // The refusals changed nothing: the browser that started the login finishes it.
    assert_eq!(location(&attacker.get(&callback).await), "/me");
    let me = attacker.get(&format!("{}/me", s.app)).await;
    assert_eq!(me.text().await.unwrap(), "user-mallory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_logins_are_bounded_by_count_evicting_the_oldest() {
    let s = site(system_clock(), |w| w.max_pending_logins(2)).await;
    let mut first = Browser::new();
    let callback = sign_in_at_authority(&mut first, &s, "/me", "sarah").await;
    for _ in 0..2 {
        let mut other = Browser::new();
        let _ = location(&other.get(&format!("{}/login", s.app)).await);
    }
    let refused = first.get(&callback).await;
    assert_eq!(
        refused.status(),
        400,
        "the oldest pending login was evicted"
    );
    assert!(refused.text().await.unwrap().contains("unknown or expired"));
    assert_eq!(first.get(&format!("{}/me", s.app)).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_logins_expire_on_the_injected_clock() {
    let now = system_clock().now();
    let clock = ManualClock::new(now);
    let s = site(Arc::new(clock.clone()), |w| w.pending_login_ttl(120)).await;
    let mut b = Browser::new();
    let callback = sign_in_at_authority(&mut b, &s, "/me", "sarah").await;
    clock.advance(121);
    let refused = b.get(&callback).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("unknown or expired"));
    assert_eq!(b.get(&format!("{}/me", s.app)).await.status(), 401);
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_httponly_and_same_site_lax() {
    let s = site(system_clock(), |w| w).await;
    let mut b = Browser::new();
    let started = b.get(&format!("{}/login", s.app)).await;
    let mut b2 = Browser::new();
    let callback = sign_in_at_authority(&mut b2, &s, "/", "sarah").await;
    let finished = b2.get(&callback).await;
    let mut all = set_cookies(&started);
    all.extend(set_cookies(&finished));
    assert!(all.iter().any(|c| c.starts_with("agent_auth_rp=")));
    assert!(all.iter().any(|c| c.starts_with("agent_auth_rp_login=")));
    for cookie in all {
        let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
        for wanted in ["Secure", "HttpOnly", "SameSite=Lax"] {
            assert!(attributes.contains(&wanted), "{wanted} missing");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_loopback_development_drops_only_secure() {
    let s = site(system_clock(), WebLogin::plain_http_loopback_cookies).await;
    let mut b = Browser::new();
    let started = b.get(&format!("{}/login", s.app)).await;
    let cookies = set_cookies(&started);
    assert!(!cookies.is_empty());
    for cookie in cookies {
        let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
        assert!(!attributes.contains(&"Secure"));
        assert!(attributes.contains(&"HttpOnly"));
        assert!(attributes.contains(&"SameSite=Lax"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_redirect_through_return_to_with_a_tab_is_refused() {
    let s = site(system_clock(), |w| w).await;
    let mut b = Browser::new();
    let callback = sign_in_at_authority(&mut b, &s, "/\t/evil.example", "sarah").await;
    assert_eq!(location(&b.get(&callback).await), "/");
    let mut b = Browser::new();
    let callback = sign_in_at_authority(&mut b, &s, "/%09/evil.example", "sarah").await;
    assert_eq!(location(&b.get(&callback).await), "/");
}

/// A security signal that ends Sarah's access ends her sessions at the
/// application at once; Mallory stays logged in.
#[cfg(feature = "signals")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_revoked_signal_ends_the_users_sessions() {
    use agent_auth::signals::{Signal, SignalKind, SignalSubscriber, Subject};
    let mut kept = None;
    let s = site(system_clock(), |w| {
        kept = Some(w.clone());
        w
    })
    .await;
    let login = kept.unwrap();
    let (mut sarah, mut mallory) = sarah_and_mallory_logged_in(&s).await;

    let signal = Signal::local(
        SignalKind::SessionRevoked,
        Subject::IssSub {
            iss: s.issuer.clone(),
            sub: "user-sarah".into(),
        },
        &[s.issuer.as_str()],
        system_clock().now(),
    );
    login.on_signal(&signal).await;

    only_sarah_is_logged_out(&s, &mut sarah, &mut mallory).await;
}

/// The login client as a receiver over the wire: its push endpoint (RFC
/// 8935) registers a stream with the authority's SSF transmitter over HTTP;
/// the kill switch logs Sarah out at the authority, the transmitter pushes
/// the signed `session-revoked` SET, and when `fire` returns Sarah's session
/// at the application is over while Mallory's stays.
#[cfg(feature = "signals")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_revoked_set_pushed_by_the_authority_ends_the_users_sessions() {
    use agent_auth::oauth::HttpClient;
    use agent_auth::signals::{
        Delivery, PushEndpoint, SetReceiver, StreamClient, TransmitterConfig,
    };
    use reference_authority::kill_switch::{KillSwitch, LogoutRequest, Target};
    use reference_authority::signals::DeliveryStatus;

    const RECEIVER: &str = "portal-signals";
    const RECEIVER_SECRET: &str = "portal-signals-secret-0123456789";
    let mut kept = None;
    let s = site(system_clock(), |w| {
        kept = Some(w.clone());
        w
    })
    .await;
    let login = kept.unwrap();
    s.authority
        .register_client(
            ClientSpec::confidential(RECEIVER, RECEIVER_SECRET)
                .grant_types(["client_credentials"])
                .scopes(["ssf"]),
        )
        .unwrap();

    // The application's receiver: discovered configuration, the login
    // client as subscriber, a push endpoint on loopback, a stream at the
    // authority created over HTTP.
    let http = HttpClient::new().unwrap();
    let config = TransmitterConfig::discover(&http, &s.issuer).await.unwrap();
    let receiver = SetReceiver::builder(
        config
            .validator(http.clone(), RECEIVER, system_clock())
            .unwrap(),
    )
    .token_issuers(&[s.issuer.as_str()])
    .clock(system_clock())
    .subscriber(Arc::new(login))
    .build();
    let push_secret = SecretString::new("Bearer portal-push-secret-0123456789");
    let (listener, push_base) = common::bind().await;
    let push_app = PushEndpoint::new(receiver.clone())
        .authorization(push_secret.clone())
        .router("/ssf");
    tokio::spawn(async move { axum::serve(listener, push_app).await.unwrap() });
    let authorization =
        common::ssf_authorization(&http, &s.issuer, RECEIVER, RECEIVER_SECRET).await;
    let streams = StreamClient::new(http.clone(), config, authorization);
    let stream = streams
        .create_stream(
            Delivery::Push {
                endpoint_url: format!("{push_base}/ssf"),
                authorization: push_secret,
            },
            &receiver,
            Some("portal sessions"),
        )
        .await
        .unwrap();

    let (mut sarah, mut mallory) = sarah_and_mallory_logged_in(&s).await;

    let kill = KillSwitch::new(&s.authority).signals(s.transmitter.clone());
    let report = kill
        .fire(&LogoutRequest::new(
            Target::User("user-sarah".into()),
            "stolen laptop",
        ))
        .await
        .unwrap();
    let ours: Vec<_> = report
        .deliveries
        .iter()
        .filter(|d| d.stream_id == stream.stream_id)
        .collect();
    assert_eq!(ours.len(), 1, "{:?}", report.deliveries);
    assert_eq!(ours[0].status, DeliveryStatus::Acknowledged);

    only_sarah_is_logged_out(&s, &mut sarah, &mut mallory).await;
}
