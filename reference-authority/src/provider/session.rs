//! User login and SSO sessions with idle and absolute timeouts.

use super::crypto::{handle_key, random_handle};
use super::model::{ACR_MFA, ACR_PASSWORD, SessionRecord, UserRecord};
use super::password::{PasswordParams, hash_password, verify_password};
use super::store::Table;
use super::throttle::AttemptKeys;
use super::{Authority, AuthorityEvent};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::jose::base64url;
use agent_auth::secret::SecretString;
use std::net::IpAddr;

agent_auth::secret_type!(
    /// The handle of an SSO session, as the browser holds it in a cookie.
    SessionHandle
);

/// What a user types on the login page.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: SecretString,
    /// One-time code from the user's authenticator, if any.
    pub totp: Option<SecretString>,
    /// The address the attempt came from, for per-address throttling.
    pub client_address: Option<IpAddr>,
}

impl Credentials {
    /// A username and password.
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: SecretString::new(password.into()),
            totp: None,
            client_address: None,
        }
    }

    /// The address the attempt came from (the HTTP login form passes the
    /// connection's peer, see [`AuthorityConfig::trusted_proxies`](super::AuthorityConfig)).
    #[must_use]
    pub fn from_address(mut self, address: Option<IpAddr>) -> Self {
        self.client_address = address;
        self
    }

    /// Adds a one-time code.
    #[must_use]
    pub fn with_totp(mut self, code: impl Into<String>) -> Self {
        self.totp = Some(SecretString::new(code.into()));
        self
    }
}

/// Why a login failed. Deliberately coarse: no hint whether the user exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user, wrong password, wrong one-time code, or disabled user.
    #[error("invalid username, password or one-time code")]
    InvalidCredentials,
    /// The request needs a second factor and none (or none enrolled) was given.
    #[error("a one-time code is required")]
    MfaRequired,
    /// Too many failed attempts for this account or from this address: try
    /// again later.
    #[error("too many failed attempts; try again later")]
    TooManyAttempts,
    /// The login page expired or is unknown.
    #[error("the login request expired; start again")]
    InteractionExpired,
    /// The answer to a consent page came without the session of the user who
    /// was asked.
    #[error("sign in again to answer this request")]
    NotSignedIn,
    /// The login was started by another browser (login CSRF).
    #[error("this login was started in another browser; start again")]
    OtherBrowser,
    /// Storage failed.
    #[error("login unavailable")]
    Unavailable,
}

impl From<super::StoreError> for LoginError {
    fn from(_: super::StoreError) -> Self {
        LoginError::Unavailable
    }
}

/// How the user authenticated.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    pub(crate) user: UserRecord,
    pub(crate) acr: String,
    pub(crate) amr: Vec<String>,
}

impl Authority {
    /// Programmatic login (for tests and embedded use): checks the credentials and
    /// opens an SSO session. The handle is then given to
    /// [`authorize`](Authority::authorize), as a browser gives its cookie.
    pub fn sign_in(&self, credentials: &Credentials) -> Result<SessionHandle, LoginError> {
        let auth = self.check_credentials(credentials, false)?;
        self.open_session(&auth)
    }

    pub(crate) fn check_credentials(
        &self,
        credentials: &Credentials,
        needs_mfa: bool,
    ) -> Result<Authenticated, LoginError> {
        let keys = AttemptKeys::new(&credentials.username, credentials.client_address);
        let mut cost = None;
        // Locked out: refused before any hash or code is checked.
        let result = if self.login_locked(&keys) {
            Err(LoginError::TooManyAttempts)
        } else {
            let result = self.check_credentials_inner(credentials, needs_mfa, &mut cost);
            match &result {
                Ok(_) => self.login_succeeded(&keys)?,
                Err(LoginError::InvalidCredentials) => self.login_failed(&keys)?,
                Err(_) => {}
            }
            result
        };
        let with_cost = |e: agent_auth::audit::AuditEvent| match &cost {
            Some(c) => e.detail("password_hash_cost", c.clone()),
            None => e,
        };
        match &result {
            Ok(auth) => self.audit(AuditAction::Authentication, Outcome::Success, |e| {
                with_cost(e)
                    .user(auth.user.id.clone())
                    .detail("acr", auth.acr.clone())
                    .detail("amr", auth.amr.clone())
            }),
            Err(err) => self.audit(AuditAction::Authentication, Outcome::Denied, |e| {
                with_cost(e)
                    .reason(err.to_string())
                    .detail("username", credentials.username.clone())
            }),
        }
        result
    }

    fn check_credentials_inner(
        &self,
        credentials: &Credentials,
        needs_mfa: bool,
        cost: &mut Option<String>,
    ) -> Result<Authenticated, LoginError> {
        let user = self
            .user_by_name(&credentials.username)
            .map_err(|_| LoginError::Unavailable)?;
        let password_ok = self.check_password(user.as_ref(), &credentials.password, cost)?;
        let Some(user) = user.filter(|u| password_ok && !u.disabled) else {
            return Err(LoginError::InvalidCredentials);
        };
        let mut amr = vec!["pwd".to_owned()];
        let mut acr = ACR_PASSWORD.to_owned();
        match (&user.totp_secret, &credentials.totp) {
            (Some(secret), Some(code)) => {
                self.check_totp(&user, secret, code)?;
                amr.push("otp".into());
                amr.push("mfa".into());
                acr = ACR_MFA.into();
            }
            (None, Some(_)) => return Err(LoginError::InvalidCredentials),
            (_, None) if needs_mfa => return Err(LoginError::MfaRequired),
            (_, None) => {}
        }
        if needs_mfa && acr != ACR_MFA {
            return Err(LoginError::MfaRequired);
        }
        Ok(Authenticated { user, acr, amr })
    }

    /// Verifies a password against the user's hash, or, for an unknown user
    /// and a user without a password (federated only), against a dummy hash
    /// of the same Argon2 costs as new hashes: every attempt costs the same,
    /// so timing does not tell who exists (OWASP ASVS 2.2.1 / RFC 9106
    /// section 4). `cost` receives the costs verified with, for the audit.
    fn check_password(
        &self,
        user: Option<&UserRecord>,
        password: &SecretString,
        cost: &mut Option<String>,
    ) -> Result<bool, LoginError> {
        let real = user.and_then(|u| u.password_hash.as_deref());
        let hash = match real {
            Some(hash) => hash,
            None => self.dummy_password_hash()?,
        };
        *cost = PasswordParams::of_hash(hash).map(|p| p.phc_costs());
        Ok(verify_password(password, hash) && real.is_some())
    }

    /// A hash of a random password with the configured costs, made once.
    fn dummy_password_hash(&self) -> Result<&str, LoginError> {
        if let Some(hash) = self.inner.dummy_hash.get() {
            return Ok(hash);
        }
        let random = super::crypto::random_handle().map_err(|_| LoginError::Unavailable)?;
        let hash = hash_password(
            &SecretString::new(random),
            self.inner.config.password_params,
        )
        .ok_or(LoginError::Unavailable)?;
        Ok(self.inner.dummy_hash.get_or_init(|| hash))
    }

    fn check_totp(
        &self,
        user: &UserRecord,
        secret: &str,
        code: &SecretString,
    ) -> Result<(), LoginError> {
        let secret = base64url::decode(secret).ok_or(LoginError::Unavailable)?;
        let now = self.now();
        let accepted =
            self.tables()
                .update::<UserRecord, bool>(Table::Users, &user.id, |current| {
                    let Some(mut current) = current else {
                        return (None, false);
                    };
                    match super::totp::verify(
                        &secret,
                        code.expose_secret(),
                        now,
                        current.totp_last_step,
                    ) {
                        Some(step) => {
                            current.totp_last_step = Some(step);
                            (Some(current), true)
                        }
                        None => (None, false),
                    }
                })?;
        self.audit(
            AuditAction::MultiFactor,
            if accepted {
                Outcome::Success
            } else {
                Outcome::Denied
            },
            |e| e.user(user.id.clone()).detail("method", "totp"),
        );
        if accepted {
            Ok(())
        } else {
            Err(LoginError::InvalidCredentials)
        }
    }

    pub(crate) fn open_session(&self, auth: &Authenticated) -> Result<SessionHandle, LoginError> {
        let handle = random_handle().map_err(|_| LoginError::Unavailable)?;
        let sid = random_handle().map_err(|_| LoginError::Unavailable)?;
        let now = self.now();
        let record = SessionRecord {
            sid: sid.get(..22).unwrap_or(&sid).to_owned(),
            user_id: auth.user.id.clone(),
            auth_time: now,
            created: now,
            last_seen: now,
            acr: auth.acr.clone(),
            amr: auth.amr.clone(),
        };
        self.tables()
            .put(Table::Sessions, &handle_key(&handle), &record)?;
        Ok(SessionHandle::new(handle))
    }

    /// The live session of a handle, if any. Refreshes its idle timer. A
    /// session past its idle or absolute timeout, or of a disabled user, is
    /// removed: the authorization endpoint and every page that trusts the
    /// session go through here.
    pub fn session(&self, handle: &SessionHandle) -> Option<SessionRecord> {
        let key = handle_key(handle.expose_secret());
        let live = self.live_session(&key)?;
        if self.user_disabled(&live.user_id) {
            if self.tables().delete(Table::Sessions, &key).unwrap_or(false) {
                self.session_ended(&live);
            }
            self.audit(AuditAction::Authentication, Outcome::Denied, |e| {
                e.user(live.user_id.clone()).reason("user_disabled")
            });
            return None;
        }
        Some(live)
    }

    fn live_session(&self, key: &str) -> Option<SessionRecord> {
        let now = self.now();
        let cfg = &self.inner.config;
        self.tables()
            .update::<SessionRecord, Option<SessionRecord>>(Table::Sessions, key, |s| match s {
                Some(mut s)
                    if now - s.last_seen < cfg.session_idle_ttl
                        && now - s.created < cfg.session_absolute_ttl =>
                {
                    s.last_seen = now;
                    (Some(s.clone()), Some(s))
                }
                _ => (None, None),
            })
            .ok()
            .flatten()
    }

    /// Ends the session of a handle (the user logs out of the authority).
    pub fn end_session_by_handle(&self, handle: &SessionHandle) {
        let key = handle_key(handle.expose_secret());
        if let Ok(Some(record)) = self.tables().get::<SessionRecord>(Table::Sessions, &key) {
            let _ = self.tables().delete(Table::Sessions, &key);
            self.session_ended(&record);
        }
    }

    pub(crate) fn session_ended(&self, record: &SessionRecord) {
        self.audit(AuditAction::Logout, Outcome::Success, |e| {
            e.user(record.user_id.clone())
                .detail("sid", record.sid.clone())
        });
        self.emit(AuthorityEvent::SessionEnded {
            issuer: self.issuer().to_owned(),
            sid: record.sid.clone(),
            user_id: record.user_id.clone(),
        });
        let _ =
            self.revoke_families_where(|f| f.facts.sid.as_deref() == Some(&record.sid), "logout");
    }

    /// Ends every session of a user by their public `sid`.
    pub fn end_session_by_sid(&self, sid: &str) -> bool {
        let Ok(sessions) = self.tables().scan::<SessionRecord>(Table::Sessions) else {
            return false;
        };
        let mut ended = false;
        for (key, record) in sessions.into_iter().filter(|(_, s)| s.sid == sid) {
            let _ = self.tables().delete(Table::Sessions, &key);
            self.session_ended(&record);
            ended = true;
        }
        ended
    }

    /// Universal logout of a user: ends every session and revokes every grant
    /// and access token of the user.
    pub fn logout_user(&self, user_id: &str) -> Result<(), super::AuthorityError> {
        self.end_user_access(user_id, "logout")?;
        self.access_changed(&super::AccessChange::UserLoggedOut {
            user_id: user_id.to_owned(),
        });
        Ok(())
    }

    /// Ends every session of a user and revokes every grant and access token
    /// of theirs, emitting the events followers act on.
    pub(crate) fn end_user_access(
        &self,
        user_id: &str,
        reason: &'static str,
    ) -> Result<(), super::AuthorityError> {
        for (key, record) in self.tables().scan::<SessionRecord>(Table::Sessions)? {
            if record.user_id == user_id {
                self.tables().delete(Table::Sessions, &key)?;
                self.session_ended(&record);
            }
        }
        self.revoke_families_where(|f| f.facts.user_id.as_deref() == Some(user_id), reason)
            .map_err(|_| {
                super::AuthorityError::Storage(super::StoreError::Backend(
                    "revocation failed".into(),
                ))
            })?;
        self.emit(AuthorityEvent::UserLoggedOut {
            issuer: self.issuer().to_owned(),
            user_id: user_id.to_owned(),
        });
        Ok(())
    }
}
