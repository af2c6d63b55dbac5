//! Federated login: an upstream identity provider ("connection", such as
//! `google`) where the authority is itself a relying party. The upstream identity
//! is linked to a local user (created on first login).

use super::authorize::{LoginCompletion, RedirectUrl};
use super::browser::BrowserBinding;
use super::crypto::{handle_key, random_handle};
use super::model::{ACR_PASSWORD, LinkRecord, UserRecord};
use super::params::Params;
use super::session::{Authenticated, LoginError};
use super::store::Table;
use super::{Authority, OAuthError, paths};
use agent_auth::audit::{AuditAction, Outcome};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::{Arc, PoisonError};

/// The start of an upstream login.
#[derive(Clone)]
pub struct UpstreamStart {
    /// Where to send the browser (the upstream authorization URL).
    pub url: RedirectUrl,
    /// The `state` sent upstream; the callback is matched by it.
    pub state: String,
    /// What the connection needs back at the callback (PKCE verifier, nonce);
    /// kept server-side by the authority.
    pub saved: Value,
}

impl std::fmt::Debug for UpstreamStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamStart")
            .field("url", &self.url)
            .field("state", &self.state)
            .field("saved", &"[redacted]")
            .finish()
    }
}

/// An identity proven by the upstream provider.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamIdentity {
    /// The upstream subject.
    pub subject: String,
    /// Profile claims from the upstream ID token or userinfo.
    pub claims: Map<String, Value>,
}

/// An upstream identity provider.
#[async_trait::async_trait]
pub trait Connection: Send + Sync + std::fmt::Debug {
    /// The connection name (`google`).
    fn name(&self) -> &str;

    /// Starts a login upstream; the browser returns to `redirect_uri`.
    async fn begin(&self, redirect_uri: &str) -> Result<UpstreamStart, OAuthError>;

    /// Finishes it from the callback parameters and the saved value.
    async fn finish(
        &self,
        callback: &Params,
        saved: &Value,
        redirect_uri: &str,
    ) -> Result<UpstreamIdentity, OAuthError>;
}

#[derive(Serialize, Deserialize)]
struct Pending {
    connection: String,
    interaction: String,
    saved: Value,
    expires: i64,
}

impl Authority {
    /// Adds an upstream connection.
    pub fn add_connection(&self, connection: Arc<dyn Connection>) {
        self.inner
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(connection.name().to_owned(), connection);
    }

    /// The names of the upstream connections.
    pub fn connections(&self) -> Vec<String> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    fn connection(&self, name: &str) -> Option<Arc<dyn Connection>> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// "Continue with `connection`" on the login page of `interaction_id`:
    /// returns where to send the browser.
    ///
    /// `browser` is the binding of the browser asking (`None` in process);
    /// see [`complete_login_in_browser`](Authority::complete_login_in_browser).
    pub async fn begin_federated_login(
        &self,
        interaction_id: &str,
        browser: Option<&BrowserBinding>,
        connection: &str,
    ) -> Result<RedirectUrl, LoginError> {
        let record = self.bound_interaction(interaction_id, browser)?;
        if record.needs_mfa {
            // Upstream logins carry no second factor this authority can vouch for.
            return Err(LoginError::MfaRequired);
        }
        let conn = self
            .connection(connection)
            .ok_or(LoginError::InvalidCredentials)?;
        let start = conn
            .begin(&self.endpoint(paths::FEDERATION_CALLBACK))
            .await
            .map_err(|_| LoginError::Unavailable)?;
        let pending = Pending {
            connection: connection.to_owned(),
            interaction: interaction_id.to_owned(),
            saved: start.saved,
            expires: self.now() + self.inner.config.interaction_ttl,
        };
        self.tables()
            .put(Table::Upstream, &handle_key(&start.state), &pending)?;
        Ok(start.url)
    }

    /// The upstream callback: validates the upstream response, links the
    /// identity to a local user and resumes the authorization request.
    ///
    /// The callback must come from the browser that started the login
    /// (`browser`, `None` in process), or it is refused with
    /// [`LoginError::OtherBrowser`] and the pending login stays as it was: a
    /// callback URL sent to a victim cannot log the victim into the
    /// attacker's account (login CSRF, RFC 6749 section 10.12).
    pub async fn complete_federated_login(
        &self,
        callback: &Params,
        browser: Option<&BrowserBinding>,
    ) -> Result<LoginCompletion, LoginError> {
        let state = callback
            .get("state")
            .ok_or(LoginError::InteractionExpired)?;
        let key = handle_key(state);
        let pending = self
            .tables()
            .get::<Pending>(Table::Upstream, &key)?
            .filter(|p| p.expires > self.now())
            .ok_or(LoginError::InteractionExpired)?;
        self.bound_interaction(&pending.interaction, browser)?;
        if !self.tables().delete(Table::Upstream, &key)? {
            return Err(LoginError::InteractionExpired);
        }
        let conn = self
            .connection(&pending.connection)
            .ok_or(LoginError::InteractionExpired)?;
        let identity = match conn
            .finish(
                callback,
                &pending.saved,
                &self.endpoint(paths::FEDERATION_CALLBACK),
            )
            .await
        {
            Ok(identity) => identity,
            Err(e) => {
                self.audit(AuditAction::Authentication, Outcome::Denied, |ev| {
                    ev.reason(e.description().to_owned())
                        .detail("connection", pending.connection.clone())
                });
                return Err(LoginError::InvalidCredentials);
            }
        };
        let user = self.link_upstream(&pending.connection, &identity)?;
        if user.disabled {
            return Err(LoginError::InvalidCredentials);
        }
        self.audit(AuditAction::Authentication, Outcome::Success, |e| {
            e.user(user.id.clone())
                .detail("connection", pending.connection.clone())
                .detail("amr", vec!["fed"])
        });
        let record = self
            .live_interaction(&pending.interaction)
            .ok_or(LoginError::InteractionExpired)?;
        let session = self.open_session(&Authenticated {
            user,
            acr: ACR_PASSWORD.to_owned(),
            amr: vec!["fed".into()],
        })?;
        self.finish_interaction(&pending.interaction, &record, session)
    }

    /// The local user linked to an upstream identity, created on first login.
    fn link_upstream(
        &self,
        connection: &str,
        identity: &UpstreamIdentity,
    ) -> Result<UserRecord, LoginError> {
        let link_key = format!("{connection}\u{1f}{}", identity.subject);
        if let Some(link) = self.tables().get::<LinkRecord>(Table::Links, &link_key)?
            && let Some(user) = self
                .tables()
                .get::<UserRecord>(Table::Users, &link.user_id)?
        {
            return Ok(user);
        }
        let id = random_handle().map_err(|_| LoginError::Unavailable)?;
        let username = format!("{connection}|{}", identity.subject);
        let mut claims = identity.claims.clone();
        claims.remove("sub");
        let user = UserRecord {
            id: id.clone(),
            username: username.clone(),
            password_hash: None,
            totp_secret: None,
            totp_last_step: None,
            claims,
            disabled: false,
        };
        self.tables().put(Table::Users, &id, &user)?;
        self.tables().put(Table::UserNames, &username, &id)?;
        self.tables()
            .put(Table::Links, &link_key, &LinkRecord { user_id: id })?;
        Ok(user)
    }

    /// Links an upstream identity to an existing local user (account linking).
    pub fn link_identity(
        &self,
        connection: &str,
        upstream_subject: &str,
        user_id: &str,
    ) -> Result<(), super::AuthorityError> {
        self.tables().put(
            Table::Links,
            &format!("{connection}\u{1f}{upstream_subject}"),
            &LinkRecord {
                user_id: user_id.to_owned(),
            },
        )?;
        Ok(())
    }
}
