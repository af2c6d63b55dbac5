//! Registering and looking up users.

use super::model::UserRecord;
use super::password::hash_password;
use super::store::Table;
use super::{Authority, AuthorityError};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::jose::base64url;
use agent_auth::secret::SecretString;
use serde_json::{Map, Value};

/// A user to register.
#[derive(Debug, Clone)]
pub struct UserSpec {
    username: String,
    id: Option<String>,
    password: Option<SecretString>,
    totp_secret: Option<Vec<u8>>,
    claims: Map<String, Value>,
}

impl UserSpec {
    /// A user who logs in as `username`.
    pub fn new(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            id: None,
            password: None,
            totp_secret: None,
            claims: Map::new(),
        }
    }

    /// The subject identifier (default: a random one).
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The password (hashed with Argon2id before it is stored).
    #[must_use]
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(SecretString::new(password.into()));
        self
    }

    /// Enrolls a TOTP second factor with this secret (RFC 6238; at least 16 bytes).
    #[must_use]
    pub fn totp_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.totp_secret = Some(secret.into());
        self
    }

    /// A profile claim (`email`, `name`, `given_name`, ...).
    #[must_use]
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Sets `email` and marks it verified.
    #[must_use]
    pub fn email(self, email: impl Into<String>) -> Self {
        self.claim("email", email.into())
            .claim("email_verified", true)
    }
}

/// A new TOTP enrollment: what the user's authenticator app needs.
#[derive(Clone)]
pub struct TotpEnrollment {
    /// The shared secret, base32 (RFC 4648) as authenticator apps show it.
    pub secret_base32: SecretString,
    /// The `otpauth://totp/...` provisioning URI (usually shown as a QR code).
    pub uri: SecretString,
}

impl std::fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrollment([redacted])")
    }
}

impl Authority {
    /// Enrolls (or replaces) a TOTP second factor for a user with a fresh
    /// 20-byte secret (RFC 4226 section 4 recommends 160 bits).
    pub fn enroll_totp(&self, user_id: &str) -> Result<TotpEnrollment, AuthorityError> {
        let secret = super::crypto::random_bytes(20)
            .ok_or(AuthorityError::InvalidConfig("randomness".into()))?;
        let encoded = base64url::encode(&secret);
        let username = self
            .tables()
            .update::<UserRecord, Option<String>>(Table::Users, user_id, |u| match u {
                Some(mut u) => {
                    u.totp_secret = Some(encoded.clone());
                    u.totp_last_step = None;
                    let name = u.username.clone();
                    (Some(u), Some(name))
                }
                None => (None, None),
            })?
            .ok_or_else(|| AuthorityError::NotFound(user_id.to_owned()))?;
        let b32 = super::totp::base32(&secret);
        let label = url::form_urlencoded::byte_serialize(
            format!("{}:{username}", self.issuer()).as_bytes(),
        )
        .collect::<String>();
        let issuer =
            url::form_urlencoded::byte_serialize(self.issuer().as_bytes()).collect::<String>();
        Ok(TotpEnrollment {
            uri: SecretString::new(format!(
                "otpauth://totp/{label}?secret={b32}&issuer={issuer}&algorithm=SHA1&digits=6&period=30"
            )),
            secret_base32: SecretString::new(b32),
        })
    }

    /// Registers a user; returns the subject identifier.
    pub fn register_user(&self, spec: UserSpec) -> Result<String, AuthorityError> {
        if spec.username.is_empty() {
            return Err(AuthorityError::InvalidConfig("empty username".into()));
        }
        if spec.totp_secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(AuthorityError::InvalidConfig(
                "a TOTP secret needs at least 16 bytes (RFC 4226 section 4)".into(),
            ));
        }
        let id = match spec.id {
            Some(id) => id,
            None => super::crypto::random_handle()
                .map_err(|_| AuthorityError::InvalidConfig("randomness".into()))?,
        };
        let password_hash = match &spec.password {
            Some(pw) => Some(hash_password(pw, self.inner.config.password_params).ok_or(
                AuthorityError::InvalidConfig("password hashing failed".into()),
            )?),
            None => None,
        };
        let tables = self.tables();
        if tables
            .get::<String>(Table::UserNames, &spec.username)?
            .is_some()
            || tables.get::<UserRecord>(Table::Users, &id)?.is_some()
        {
            return Err(AuthorityError::AlreadyExists(spec.username));
        }
        let record = UserRecord {
            id: id.clone(),
            username: spec.username.clone(),
            password_hash,
            totp_secret: spec.totp_secret.map(base64url::encode),
            totp_last_step: None,
            claims: spec.claims,
            disabled: false,
        };
        tables.put(Table::Users, &id, &record)?;
        tables.put(Table::UserNames, &spec.username, &id)?;
        Ok(id)
    }

    /// A user by subject identifier.
    pub fn user(&self, id: &str) -> Result<Option<UserRecord>, AuthorityError> {
        Ok(self.tables().get(Table::Users, id)?)
    }

    /// A user by login name.
    pub fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, AuthorityError> {
        match self.tables().get::<String>(Table::UserNames, username)? {
            Some(id) => self.user(&id),
            None => Ok(None),
        }
    }

    /// Disables a user: no login, no session, no authorization, no refresh,
    /// and every token of theirs is dead at introspection and
    /// [`verify_access_token`](Authority::verify_access_token). Their sessions
    /// end and their grants are revoked, with the [`AuthorityEvent`](super::AuthorityEvent)s
    /// (`SessionEnded`, `GrantRevoked`, `UserLoggedOut`) that followers act on.
    pub fn disable_user(&self, id: &str) -> Result<(), AuthorityError> {
        self.set_user_disabled(id, true)
    }

    /// Enables a disabled user again. Revoked grants stay revoked: the user
    /// logs in afresh.
    pub fn enable_user(&self, id: &str) -> Result<(), AuthorityError> {
        self.set_user_disabled(id, false)
    }

    /// Disables or re-enables a user (see [`disable_user`](Self::disable_user)).
    /// Only a change of state is acted on: disabling a disabled user (or
    /// enabling an enabled one) is audited once, at the change, and sends no
    /// second RISC `account-disabled` (a state-change event, RISC Profile
    /// section 2.3).
    pub fn set_user_disabled(&self, id: &str, disabled: bool) -> Result<(), AuthorityError> {
        let changed = self
            .tables()
            .update::<UserRecord, Option<bool>>(Table::Users, id, |u| match u {
                Some(u) if u.disabled == disabled => (None, Some(false)),
                Some(mut u) => {
                    u.disabled = disabled;
                    (Some(u), Some(true))
                }
                None => (None, None),
            })?;
        match changed {
            None => return Err(AuthorityError::NotFound(id.to_owned())),
            Some(false) => return Ok(()),
            Some(true) => {}
        }
        self.audit(
            AuditAction::Other(
                if disabled {
                    "user_disabled"
                } else {
                    "user_enabled"
                }
                .into(),
            ),
            Outcome::Success,
            |e| e.user(id.to_owned()),
        );
        if disabled {
            self.end_user_access(id, "user_disabled")?;
            self.access_changed(&super::AccessChange::UserDisabled {
                user_id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Whether `user_id` names a user of this authority who is disabled: the
    /// one check sessions, authorization, refresh, introspection and
    /// access-token verification make. Subjects the authority does not know
    /// (users of trusted issuers, clients acting as themselves) are not
    /// judged here; a storage failure counts as disabled.
    pub(crate) fn user_disabled(&self, user_id: &str) -> bool {
        match self.user(user_id) {
            Ok(Some(user)) => user.disabled,
            Ok(None) => false,
            Err(_) => true,
        }
    }
}
