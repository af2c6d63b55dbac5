//! Dynamic client registration (RFC 7591) and reading a registration back
//! (RFC 7592 section 2.1). Updating and deleting registrations (RFC 7592
//! sections 2.2 and 2.3) are not offered.
//!
//! Enabled with [`AuthorityBuilder::registration`](crate::provider::AuthorityBuilder::registration);
//! the metadata document then names the `registration_endpoint`.

mod error;
mod metadata;
mod policy;
mod redirect;

pub use error::RegistrationError;
pub use policy::RegistrationPolicy;
pub(crate) use redirect::check_registered as check_registered_redirect;

use super::clients::secret_digest;
use super::crypto::random_handle;
use super::model::{ClientAuthMethod, ClientRecord};
use super::store::Table;
use super::{Authority, paths};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::{SecretString, constant_time_eq};
use serde_json::{Value, json};

/// A new registration: the client and the credentials issued to it, shown once.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The registered client.
    pub client: ClientRecord,
    /// The client secret, for `client_secret_basic` and `client_secret_post` clients.
    pub client_secret: Option<SecretString>,
    /// The registration access token, to read the registration back (RFC 7592).
    pub registration_access_token: SecretString,
}

impl Registration {
    /// The client information response of RFC 7591 section 3.2.1 (with the
    /// RFC 7592 section 3 members), answered with status 201.
    ///
    /// # Security
    /// The body holds the client secret and the registration access token.
    pub fn to_json(&self, authority: &Authority) -> Value {
        let mut body = client_information(authority, &self.client);
        if let Value::Object(map) = &mut body {
            if let Some(secret) = &self.client_secret {
                map.insert("client_secret".into(), secret.expose_secret().into());
            }
            map.insert(
                "registration_access_token".into(),
                self.registration_access_token.expose_secret().into(),
            );
        }
        body
    }
}

/// The registered metadata of a client, without credentials.
pub fn client_information(authority: &Authority, client: &ClientRecord) -> Value {
    let code = client
        .grant_types
        .iter()
        .any(|g| g == super::grant_types::AUTHORIZATION_CODE);
    let mut body = json!({
        "client_id": client.client_id,
        "client_id_issued_at": client.issued_at,
        "token_endpoint_auth_method": client.auth_method.as_str(),
        "grant_types": client.grant_types,
        "response_types": if code { vec!["code"] } else { Vec::new() },
        "redirect_uris": client.redirect_uris,
        "scope": client.scopes.join(" "),
        "registration_client_uri": registration_client_uri(authority, &client.client_id),
    });
    if let Value::Object(map) = &mut body {
        if client.secret_digest.is_some() {
            // Section 3.2.1: 0 means the secret does not expire.
            map.insert(
                "client_secret_expires_at".into(),
                client.secret_expires_at.unwrap_or(0).into(),
            );
        }
        if let Some(name) = &client.name {
            map.insert("client_name".into(), name.clone().into());
        }
        if !client.post_logout_redirect_uris.is_empty() {
            map.insert(
                "post_logout_redirect_uris".into(),
                client.post_logout_redirect_uris.clone().into(),
            );
        }
        if let Some(jwks) = client
            .jwks
            .as_deref()
            .and_then(|j| serde_json::from_str::<Value>(j).ok())
        {
            map.insert("jwks".into(), jwks);
        }
        for (k, v) in &client.metadata {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    body
}

fn registration_client_uri(authority: &Authority, client_id: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    format!("{}/{encoded}", authority.endpoint(paths::REGISTER))
}

impl Authority {
    /// Whether the registration endpoint is enabled.
    pub fn registration_enabled(&self) -> bool {
        self.inner.registration.is_some()
    }

    /// The registration endpoint (RFC 7591 section 3): checks the initial access
    /// token when the policy asks for one, checks the metadata (section 2),
    /// issues a client id, a secret for secret-based methods (stored as a
    /// digest) and a registration access token, and stores the client. The
    /// client can use the code flow at once. A refused request stores nothing.
    pub fn register_dynamic(
        &self,
        body: &[u8],
        bearer: Option<&str>,
    ) -> Result<Registration, RegistrationError> {
        let result = self.register_inner(body, bearer);
        match &result {
            Ok(r) => self.audit(AuditAction::AgentLifecycle, Outcome::Success, |e| {
                e.agent(r.client.client_id.clone())
                    .detail("step", "client_registered")
                    .detail("auth_method", r.client.auth_method.as_str())
            }),
            Err(err) => self.audit(AuditAction::AgentLifecycle, Outcome::Denied, |e| {
                e.detail("step", "client_registration")
                    .reason(err.code().to_owned())
            }),
        }
        result
    }

    fn register_inner(
        &self,
        body: &[u8],
        bearer: Option<&str>,
    ) -> Result<Registration, RegistrationError> {
        let policy = self
            .inner
            .registration
            .as_ref()
            .ok_or(RegistrationError::Disabled)?;
        if let Some(expected) = &policy.initial_token_digest {
            let presented = bearer.ok_or(RegistrationError::InvalidToken(
                "an initial access token is required",
            ))?;
            if !constant_time_eq(secret_digest(presented).as_bytes(), expected.as_bytes()) {
                return Err(RegistrationError::InvalidToken(
                    "the initial access token is not valid",
                ));
            }
        }
        let draft = metadata::check(body, policy)?;
        let random =
            || random_handle().map_err(|_| RegistrationError::Server("randomness unavailable"));
        let client_id = random()?;
        let now = self.now();
        let secret = match draft.auth_method {
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => {
                Some(SecretString::new(random()?))
            }
            _ => None,
        };
        let registration_token = SecretString::new(random()?);
        let record = ClientRecord {
            client_id: client_id.clone(),
            name: draft.name,
            auth_method: draft.auth_method,
            secret_digest: secret.as_ref().map(|s| secret_digest(s.expose_secret())),
            jwks: draft.jwks,
            redirect_uris: draft.redirect_uris,
            post_logout_redirect_uris: draft.post_logout_redirect_uris,
            grant_types: draft.grant_types,
            scopes: policy.scopes.clone(),
            resources: policy.resources.clone(),
            issued_at: Some(now),
            secret_expires_at: secret
                .as_ref()
                .and(policy.secret_ttl)
                .map(|ttl| now.saturating_add(ttl)),
            registration_token_digest: Some(secret_digest(registration_token.expose_secret())),
            metadata: draft.extra,
            // Whoever may register is not trusted: its users always consent.
            skip_consent: false,
        };
        // A fresh 256-bit identifier: insert only if no client holds it.
        let inserted =
            self.tables()
                .update::<ClientRecord, bool>(
                    Table::Clients,
                    &client_id,
                    |current| match current {
                        None => (Some(record.clone()), true),
                        Some(_) => (None, false),
                    },
                )?;
        if !inserted {
            return Err(RegistrationError::Server("client identifier collision"));
        }
        self.forget_client_keys(&client_id);
        self.inner
            .registry
            .client_registered(&client_id, &record.resources);
        Ok(Registration {
            client: record,
            client_secret: secret,
            registration_access_token: registration_token,
        })
    }

    /// Reads a registration back (RFC 7592 section 2.1) with its registration
    /// access token. An unknown client and a wrong token get the same
    /// `invalid_token` answer (section 2.1: 401 for a client that does not exist).
    pub fn read_registration(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<Value, RegistrationError> {
        if !self.registration_enabled() {
            return Err(RegistrationError::Disabled);
        }
        let token = bearer.ok_or(RegistrationError::InvalidToken(
            "a registration access token is required",
        ))?;
        let client = self
            .tables()
            .get::<ClientRecord>(Table::Clients, client_id)?;
        let valid = client
            .as_ref()
            .and_then(|c| c.registration_token_digest.as_deref())
            .is_some_and(|d| constant_time_eq(secret_digest(token).as_bytes(), d.as_bytes()));
        match client {
            Some(client) if valid => {
                let mut body = client_information(self, &client);
                if let Value::Object(map) = &mut body {
                    // Section 3: the token the client holds stays valid; it is returned as sent.
                    map.insert("registration_access_token".into(), token.into());
                }
                Ok(body)
            }
            _ => Err(RegistrationError::InvalidToken(
                "the registration access token is not valid for this client",
            )),
        }
    }
}
