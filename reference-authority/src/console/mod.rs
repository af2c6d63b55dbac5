//! The security team's console (feature `server`): one place to see every
//! agent and act on it, served by the authority's HTTP face under
//! [`PATH`].
//!
//! - **Inventory**: every agent with its status, owners, sponsors, risk and
//!   last activity, paginated and filtered on the server; the discovered
//!   agents nobody registered, each registered in one form.
//! - **Agent detail**: entitlements, the derived dependency map, live access
//!   tokens (their `jti` only), approvals, and the audit timeline with each
//!   entry's inclusion proof checked against the log's current root.
//! - **Reviews inbox**: the signed-in reviewer's open items: certify or revoke.
//! - **Detections**: risk changes and the responses they caused, from the log.
//! - **Kill switch**: universal logout of an agent, with a reason and a typed
//!   confirmation, optionally suspending it.
//!
//! Access: the console is a relying party of its own authority (a trusted
//! first-party client registered by [`Console::install`]). Sign-in goes
//! through the authority's login page and must end with multi-factor
//! authentication (`acr` = [`ACR_MFA`](crate::ACR_MFA), OpenID Connect Core
//! section 3.1.2.1 `acr_values`, checked again on every request); admin rights
//! are an FGA relation (`user:<sub>` `admin` on `console:security` by
//! default). Every form carries a CSRF token bound to a cookie (the signed
//! double-submit pattern) and cross-site posts are refused by `Origin` and
//! `Sec-Fetch-Site`; pages carry a strict Content Security Policy (no script
//! at all) and are never cached. No secret is ever rendered: pages show
//! client ids, key ids and token `jti`s, never a secret, token or code.
//!
//! ```no_run
//! # async fn demo(
//! #     governance: reference_authority::governance::Governance,
//! #     log: reference_authority::audit_log::AuditLog,
//! #     admins: std::sync::Arc<dyn fga_core::FgaBackend>,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use reference_authority::console::Console;
//!
//! let console = Console::builder(governance.clone(), log, admins).build()?;
//! console.install()?;
//! let app = reference_authority::http::router(governance.authority().clone())
//!     .merge(console.router().await?);
//! # let _ = app; Ok(()) }
//! ```

mod access;
mod activity;
mod agent_page;
mod csrf;
mod detections;
mod discovered;
mod form;
mod html;
mod inventory;
mod kill;
mod reviews;

use crate::Authority;
use crate::audit_log::AuditLog;
use crate::detection::Detector;
use crate::discovery::Discovery;
use crate::governance::Governance;
use crate::kill_switch::KillSwitch;
use activity::Activity;
use agent_auth::login::web::WebLogin;
use axum::Router;
use axum::routing::{get, post};
use fga_core::FgaBackend;
use std::sync::Arc;

/// Where the console is mounted, relative to the issuer URL.
pub const PATH: &str = "/console";
/// The client id of the console at its own authority.
pub const CLIENT_ID: &str = "security-console";
/// Agents per inventory page.
const PAGE: usize = 50;

/// Why the console could not be installed or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// Registering the console's client failed.
    #[error("registering the console client failed")]
    Register(#[source] crate::AuthorityError),
    /// The console's login client could not discover its authority.
    #[error("the console's login client could not start")]
    Login(#[source] agent_auth::login::ClientError),
    /// No randomness for the console's keys.
    #[error("no randomness for the console's keys")]
    Random,
}

/// The console: its parts and keys. Cheap to clone.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    governance: Governance,
    log: AuditLog,
    admins: Arc<dyn FgaBackend>,
    admin_object: String,
    discovery: Option<Discovery>,
    detector: Option<Detector>,
    kill: KillSwitch,
    activity: Activity,
    client_secret: agent_auth::secret::SecretString,
    csrf_key: csrf::Key,
    plain_http_loopback: bool,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("issuer", &self.authority().issuer())
            .field("admin_object", &self.inner.admin_object)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Console`].
#[must_use]
pub struct ConsoleBuilder {
    governance: Governance,
    log: AuditLog,
    admins: Arc<dyn FgaBackend>,
    admin_object: String,
    discovery: Option<Discovery>,
    detector: Option<Detector>,
    kill: Option<KillSwitch>,
    plain_http_loopback: bool,
}

impl Console {
    /// A console over `governance` (and through it the authority and its
    /// registry) and the audit `log`; `admins` answers who is an admin.
    pub fn builder(
        governance: Governance,
        log: AuditLog,
        admins: Arc<dyn FgaBackend>,
    ) -> ConsoleBuilder {
        ConsoleBuilder {
            governance,
            log,
            admins,
            admin_object: "console:security".into(),
            discovery: None,
            detector: None,
            kill: None,
            plain_http_loopback: false,
        }
    }

    /// The authority the console governs.
    pub fn authority(&self) -> &Authority {
        self.inner.governance.authority()
    }

    /// Registers the console's client at its authority (idempotent): a
    /// trusted first-party confidential client whose only redirect URI is
    /// the console's callback.
    pub fn install(&self) -> Result<(), ConsoleError> {
        let authority = self.authority();
        if authority
            .client(CLIENT_ID)
            .map_err(ConsoleError::Register)?
            .is_some()
        {
            return Ok(());
        }
        let spec =
            crate::ClientSpec::confidential(CLIENT_ID, self.inner.client_secret.expose_secret())
                .name("Security console")
                .redirect_uri(self.redirect_uri())
                .grant_types(["authorization_code", "refresh_token"])
                .scopes(["openid", "profile"])
                .trusted_first_party();
        authority
            .register_client(spec)
            .map_err(ConsoleError::Register)?;
        Ok(())
    }

    fn redirect_uri(&self) -> String {
        format!(
            "{}{PATH}/callback",
            self.authority().issuer().trim_end_matches('/')
        )
    }

    /// The console's routes under [`PATH`], with its sign-in: a login client
    /// of the authority in process that asks for MFA.
    pub async fn router(&self) -> Result<Router, ConsoleError> {
        let authority = self.authority().clone();
        let mut config =
            agent_auth::login::LoginConfig::new(authority.issuer(), CLIENT_ID, self.redirect_uri())
                .auth(agent_auth::login::ClientAuth::SecretBasic(
                    self.inner.client_secret.clone(),
                ));
        config.scopes = vec!["openid".into(), "profile".into()];
        let client = agent_auth::login::LoginClient::discover(
            Arc::new(crate::login_backend::InMemoryBackend::new(
                authority.clone(),
            )),
            config,
            authority.clock().clone(),
        )
        .await
        .map_err(ConsoleError::Login)?
        .audit(authority.audit_sink());
        let mut login = WebLogin::new(client).options(agent_auth::login::AuthOptions {
            acr_values: vec![crate::ACR_MFA.into()],
            ..Default::default()
        });
        if self.inner.plain_http_loopback {
            login = login.plain_http_loopback_cookies();
        }
        let at = |path: &str| format!("{PATH}{path}");
        let pages = Router::new()
            .route(&at("/"), get(inventory::page))
            .route(&at("/discovered"), get(discovered::page))
            .route(
                &at("/discovered/{client_id}/register"),
                post(discovered::register),
            )
            .route(&at("/agents/{id}"), get(agent_page::page))
            .route(
                &at("/agents/{id}/logout"),
                get(kill::confirm).post(kill::fire),
            )
            .route(&at("/reviews"), get(reviews::page))
            .route(&at("/reviews/decide"), post(reviews::decide))
            .route(&at("/detections"), get(detections::page))
            .route(&at("/console.css"), get(html::stylesheet))
            .with_state(self.clone())
            .nest(PATH, login.routes())
            .layer(login.layer())
            .layer(axum::middleware::from_fn(html::security_headers));
        Ok(pages)
    }

    fn governance(&self) -> &Governance {
        &self.inner.governance
    }

    /// The highest risk level of the agent's clients now, or `n/a` without
    /// a detector.
    fn risk_of(&self, agent: &crate::registry::AgentRecord) -> String {
        let Some(detector) = &self.inner.detector else {
            return "n/a".into();
        };
        let now = self.authority().now();
        agent
            .clients
            .iter()
            .map(|c| detector.agent_level(c, now))
            .max()
            .unwrap_or(crate::detection::RiskLevel::Low)
            .as_str()
            .to_owned()
    }
}

impl std::fmt::Debug for ConsoleBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleBuilder")
            .field("admin_object", &self.admin_object)
            .finish_non_exhaustive()
    }
}

impl ConsoleBuilder {
    /// The FGA object whose `admin` relation grants the console (default
    /// `console:security`).
    pub fn admin_object(mut self, object: impl Into<String>) -> Self {
        self.admin_object = object.into();
        self
    }

    /// Shows discovered agents and registers them.
    pub fn discovery(mut self, discovery: Discovery) -> Self {
        self.discovery = Some(discovery);
        self
    }

    /// Shows each agent's risk level.
    pub fn detector(mut self, detector: Detector) -> Self {
        self.detector = Some(detector);
        self
    }

    /// The kill switch the console fires (default: the authority's, without
    /// signals).
    pub fn kill_switch(mut self, kill: KillSwitch) -> Self {
        self.kill = Some(kill);
        self
    }

    /// Development on `http://localhost`: cookies without `Secure` (see
    /// [`WebLogin::plain_http_loopback_cookies`]); ignored unless the issuer is
    /// plain http on a loopback host.
    pub fn plain_http_loopback(mut self) -> Self {
        self.plain_http_loopback = true;
        self
    }

    /// The console; it follows the log for each agent's last activity.
    pub fn build(self) -> Result<Console, ConsoleError> {
        let authority = self.governance.authority().clone();
        let activity = Activity::default();
        self.log.observe(Arc::new(activity.clone()));
        let secret = crate::provider::crypto::random_value().ok_or(ConsoleError::Random)?;
        Ok(Console {
            inner: Arc::new(Inner {
                kill: self.kill.unwrap_or_else(|| KillSwitch::new(&authority)),
                governance: self.governance,
                log: self.log,
                admins: self.admins,
                admin_object: self.admin_object,
                discovery: self.discovery,
                detector: self.detector,
                activity,
                client_secret: agent_auth::secret::SecretString::new(secret),
                csrf_key: csrf::Key::generate().ok_or(ConsoleError::Random)?,
                plain_http_loopback: self.plain_http_loopback,
            }),
        })
    }
}
