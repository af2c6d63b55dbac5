//! The security console over HTTP, as a browser without scripts uses it:
//! sign-in through the authority with MFA, the admin relation, pagination
//! and filters, CSRF refusals that change nothing, a review certified, the
//! kill switch fired, and no secret on any page. (The same walk in Chromium
//! is `peers/console/console.test.mjs`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::audit::{AuditAction, Outcome};
use examples::console_world::{
    ADMIN, ConsoleWorld, NOT_ADMIN, SALES_AGENT, SALES_CLIENT, SHADOW_CLIENT, SOC_AGENT, Settings,
    serve,
};
use reference_authority::audit_log::AuditQuery;
use reference_authority::registry::{Actor, AgentSpec, AgentStatus};
use reqwest::header::HeaderMap;
use std::collections::BTreeMap;

const PASSWORD: &str = "console-world-password-77";
const TOTP: &[u8] = b"console-world-totp-secret";
const FLEET: usize = 120;

struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
    base: String,
    /// Every page body seen, for the secret search.
    seen: Vec<String>,
}

impl Browser {
    fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
            base: base.to_owned(),
            seen: Vec::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let r = request
            .header("cookie", cookies.join("; "))
            .send()
            .await
            .unwrap();
        for value in r.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), v.to_owned());
            }
        }
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        let body = r.text().await.unwrap();
        self.seen.push(body.clone());
        Page {
            status,
            headers,
            body,
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(self.url(path));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)], origin: &str) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body(body);
        self.send(request).await
    }

    /// Follows redirects from `page`.
    async fn follow(&mut self, mut page: Page) -> Page {
        for _ in 0..8 {
            let Some(location) = page.headers.get("location") else {
                return page;
            };
            let location = location.to_str().unwrap().to_owned();
            page = self.get(&location).await;
        }
        panic!("too many redirects");
    }

    /// Signs `user` in through the authority's login page (password and
    /// one-time code); returns the console page the sign-in lands on.
    async fn sign_in(&mut self, user: &str) -> Page {
        let first = self.get("/console/").await;
        assert_eq!(first.status, 303, "an anonymous visit is sent to sign in");
        let login = self.follow(first).await;
        let interaction = field(&login.body, "interaction");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let code = reference_authority::totp::code_at(TOTP, now);
        let base = self.base.clone();
        let answer = self
            .post(
                "/login",
                &[
                    ("interaction", &interaction),
                    ("username", user),
                    ("password", PASSWORD),
                    ("totp", &code),
                ],
                &base,
            )
            .await;
        assert_eq!(
            answer.status, 303,
            "the login form was refused: {}",
            answer.body
        );
        self.follow(answer).await
    }
}

fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name} in {}", &page[..page.len().min(600)]))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn world() -> ConsoleWorld {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve(
        listener,
        Settings {
            password: PASSWORD.into(),
            totp_secret: TOTP.to_vec(),
            fleet: FLEET,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_admin_signs_in_with_mfa_and_browses_the_fleet_by_page_and_filter() {
    let w = world().await;
    let mut b = Browser::new(&w.issuer);
    let home = b.sign_in(ADMIN).await;
    assert_eq!(home.status, 200);
    let total = FLEET + 2;
    assert!(
        home.body.contains(&format!("{total} agents, page 1 of 3")),
        "{}",
        home.body
    );
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"));
    assert_eq!(home.headers["cache-control"], "no-store");
    assert_eq!(home.headers["x-frame-options"], "DENY");
    assert!(!home.body.contains("<script"));
    let last = b.get("/console/?page=3").await;
    assert!(last.body.contains("fleet-agent-00119") && !last.body.contains("fleet-agent-00000"));
    let sales = b.get("/console/?name=sales&active=yes").await;
    assert!(
        sales.body.contains("1 agents, page 1 of 1"),
        "{}",
        sales.body
    );
    assert!(
        sales.body.contains("risk-HIGH"),
        "the spike shows: {}",
        sales.body
    );
    let detail = b.get(&format!("/console/agents/{SALES_AGENT}")).await;
    assert!(detail.body.contains("crm:read"));
    assert!(detail.body.contains("proven included in the log"));
    assert!(!detail.body.contains("FAILED"));
    let detections = b.get("/console/detections").await;
    assert!(detections.body.contains("risk changed") && detections.body.contains(SALES_CLIENT));
}

#[tokio::test]
async fn posts_without_the_form_token_or_from_another_site_change_nothing() {
    let w = world().await;
    let mut b = Browser::new(&w.issuer);
    b.sign_in(ADMIN).await;
    let page = b.get("/console/discovered").await;
    assert!(
        page.body.contains(SHADOW_CLIENT),
        "discovered: {}",
        page.body
    );
    let token = field(&page.body, "csrf");
    let action = format!("/console/discovered/{SHADOW_CLIENT}/register");
    let form = |csrf| {
        [
            ("csrf", csrf),
            ("agent_id", "sales-assistant"),
            ("name", "Sales assistant"),
            ("owner", "john"),
        ]
    };
    let origin = w.issuer.clone();
    for (csrf, from) in [
        ("", origin.as_str()),
        ("forged", origin.as_str()),
        (token.as_str(), "https://evil.example"),
    ] {
        assert_eq!(b.post(&action, &form(csrf), from).await.status, 403);
    }
    let registry = w.authority.registry();
    assert!(registry.agent_of_client(SHADOW_CLIENT).unwrap().is_none());
    let done = b.post(&action, &form(&token), &origin).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Registered"));
    let agent = registry.agent_of_client(SHADOW_CLIENT).unwrap().unwrap();
    assert_eq!(agent.status, AgentStatus::Active);
    assert_eq!(agent.sponsors, vec!["john".to_owned()]);
}

#[tokio::test]
async fn a_signed_in_user_without_the_admin_relation_is_refused_and_audited() {
    let w = world().await;
    let mut b = Browser::new(&w.issuer);
    let page = b.sign_in(NOT_ADMIN).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("not a console administrator"));
    assert!(!page.body.contains("fleet-agent"));
    let refusals = w
        .log
        .query(
            &AuditQuery::new()
                .user(NOT_ADMIN)
                .action(AuditAction::AuthorizationDecision)
                .outcome(Outcome::Denied),
        )
        .unwrap();
    assert!(!refusals.is_empty());
}

#[tokio::test]
async fn a_review_is_certified_and_the_kill_switch_logs_the_agent_out() {
    let w = world().await;
    let mut b = Browser::new(&w.issuer);
    b.sign_in(ADMIN).await;
    let origin = w.issuer.clone();
    let inbox = b.get("/console/reviews").await;
    assert!(inbox.body.contains(SOC_AGENT), "{}", inbox.body);
    assert!(
        !inbox.body.contains(&format!(">{SALES_AGENT}<")),
        "john's item is not the admin's"
    );
    let (csrf, campaign, item) = (
        field(&inbox.body, "csrf"),
        field(&inbox.body, "campaign"),
        field(&inbox.body, "item"),
    );
    let decided = b
        .post(
            "/console/reviews/decide",
            &[
                ("csrf", &csrf),
                ("campaign", &campaign),
                ("item", &item),
                ("decision", "certify"),
                ("reason", "still triaging alerts"),
            ],
            &origin,
        )
        .await;
    assert!(decided.body.contains("Certified"), "{}", decided.body);

    let path = format!("/console/agents/{SALES_AGENT}/logout");
    let confirm = b.get(&path).await;
    let csrf = field(&confirm.body, "csrf");
    let wrong = b
        .post(
            &path,
            &[("csrf", &csrf), ("reason", "spike"), ("confirm", "sales")],
            &origin,
        )
        .await;
    assert_eq!(wrong.status, 400);
    let detail = b.get(&format!("/console/agents/{SALES_AGENT}")).await;
    assert_eq!(
        detail.body.matches("(itself)").count(),
        2,
        "two live tokens before"
    );
    let fired = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("reason", "read 100 records in ten minutes"),
                ("confirm", SALES_AGENT),
                ("suspend", "yes"),
            ],
            &origin,
        )
        .await;
    assert_eq!(fired.status, 200, "{}", fired.body);
    assert!(fired.body.contains("The kill switch fired"));
    let agent = w.authority.registry().agent(SALES_AGENT).unwrap().unwrap();
    assert_eq!(agent.status, AgentStatus::Inactive);
    let after = b.get(&format!("/console/agents/{SALES_AGENT}")).await;
    assert_eq!(
        after.body.matches("(itself)").count(),
        0,
        "no live token after"
    );
    let logouts = w
        .log
        .query(&AuditQuery::new().action(AuditAction::Logout))
        .unwrap();
    assert!(
        logouts
            .iter()
            .any(|e| e.event.reason.as_deref() == Some("read 100 records in ten minutes"))
    );
}

#[tokio::test]
async fn values_are_escaped_and_no_secret_is_on_any_page() {
    let w = world().await;
    w.authority
        .registry()
        .register(
            AgentSpec::new("xss-agent", "<script>alert(1)</script>"),
            &Actor::user(ADMIN),
        )
        .unwrap();
    let mut b = Browser::new(&w.issuer);
    b.sign_in(ADMIN).await;
    let found = b.get("/console/?name=%3Cscript").await;
    assert!(
        found.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        found.body
    );
    assert!(!found.body.contains("<script>"));
    for path in [
        "/console/".to_owned(),
        "/console/discovered".to_owned(),
        "/console/reviews".to_owned(),
        "/console/detections".to_owned(),
        format!("/console/agents/{SALES_AGENT}"),
        format!("/console/agents/{SALES_AGENT}/logout"),
    ] {
        assert_eq!(b.get(&path).await.status, 200, "{path}");
    }
    let secrets = [
        PASSWORD.to_owned(),
        String::from_utf8(TOTP.to_vec()).unwrap(),
        reference_authority::totp::base32(TOTP),
        w.sales_secret.clone(),
        "shadow-secret-0123456789".to_owned(),
        "soc-triage-secret-0123456789".to_owned(),
    ];
    let cookies: Vec<String> = b.jar.values().cloned().collect();
    for page in &b.seen {
        for secret in secrets.iter().chain(cookies.iter()) {
            assert!(!page.contains(secret.as_str()), "a secret is on a page");
        }
    }
}
