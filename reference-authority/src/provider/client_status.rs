//! Disabling a client: a disabled client authenticates nowhere (so the token
//! endpoint refuses it every grant: authorization code, refresh, client
//! credentials, token exchange, JWT bearer, CIBA), starts no authorization,
//! and every access token issued to it is dead at
//! [`verify_access_token`](Authority::verify_access_token) and introspection,
//! at once and without revocation. Enabling it again brings its unexpired
//! tokens back; revoke them as well to end them for good.
//!
//! A disabled client fails authentication with `invalid_client` (RFC 6749
//! section 5.2), and its tokens are not active (RFC 7662 section 2.2:
//! `active` is false for a token the authorization server no longer accepts).
//! The status is kept apart from the client's registration, so registering
//! the client again does not enable it.

use super::model::ClientRecord;
use super::store::{Table, decode_json};
use super::{Authority, AuthorityError, StoreError};
use agent_auth::audit::{AuditAction, Outcome};

/// Disabled client ids (the value is the time of disabling).
const DISABLED_CLIENTS: Table = Table::Extension("disabled_clients");

impl Authority {
    /// Disables a client: it authenticates nowhere (`invalid_client` at the
    /// token endpoint for every grant), starts no authorization, and every
    /// access token issued to it is refused by
    /// [`verify_access_token`](Self::verify_access_token) and introspection,
    /// at once. Registering the client again does not enable it.
    ///
    /// ```
    /// use reference_authority::{Authority, AuthorityConfig, ClientSpec};
    ///
    /// let authority = Authority::builder("https://idp.example")
    ///     .config(AuthorityConfig::for_tests())
    ///     .build()?;
    /// authority.register_client(ClientSpec::confidential("agent", "agent-secret-0123456789"))?;
    /// authority.disable_client("agent")?;
    /// assert!(authority.client_disabled("agent"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn disable_client(&self, client_id: &str) -> Result<(), AuthorityError> {
        self.set_client_disabled(client_id, true)
    }

    /// Enables a disabled client again.
    pub fn enable_client(&self, client_id: &str) -> Result<(), AuthorityError> {
        self.set_client_disabled(client_id, false)
    }

    /// Disables or re-enables a registered client (see
    /// [`disable_client`](Self::disable_client)). Audited at a change of
    /// state only: disabling a disabled client changes nothing and sends no
    /// second RISC `account-disabled` (a state-change event, RISC Profile
    /// section 2.3).
    pub fn set_client_disabled(
        &self,
        client_id: &str,
        disabled: bool,
    ) -> Result<(), AuthorityError> {
        if self.client(client_id)?.is_none() {
            return Err(AuthorityError::NotFound(client_id.to_owned()));
        }
        let now = self.now();
        // One atomic step decides whether the state changes, so two callers
        // disabling at once send one signal.
        let changed = if disabled {
            self.tables()
                .update::<i64, bool>(DISABLED_CLIENTS, client_id, |since| match since {
                    Some(_) => (None, false),
                    None => (Some(now), true),
                })?
        } else {
            self.tables().delete(DISABLED_CLIENTS, client_id)?
        };
        if !changed {
            return Ok(());
        }
        let action = if disabled {
            "client_disabled"
        } else {
            "client_enabled"
        };
        self.audit(AuditAction::Other(action.into()), Outcome::Success, |e| {
            e.agent(client_id.to_owned())
        });
        if disabled {
            self.access_changed(&super::AccessChange::ClientDisabled {
                client_id: client_id.to_owned(),
            });
        }
        Ok(())
    }

    /// Whether `client_id` is disabled: the one check client authentication,
    /// the authorization endpoint, introspection and access-token verification
    /// make. A storage failure counts as disabled.
    pub fn client_disabled(&self, client_id: &str) -> bool {
        !matches!(
            self.tables().get::<i64>(DISABLED_CLIENTS, client_id),
            Ok(None)
        )
    }

    /// The registration of a client and whether it is disabled, read together
    /// (one round trip on a database store). A status record of any content
    /// counts as disabled, as in [`client_disabled`](Self::client_disabled).
    pub(crate) fn client_and_status(
        &self,
        client_id: &str,
    ) -> Result<(Option<ClientRecord>, bool), StoreError> {
        let mut values = self
            .tables()
            .raw()
            .get_many(&[(Table::Clients, client_id), (DISABLED_CLIENTS, client_id)])?
            .into_iter();
        let client = decode_json(Table::Clients, values.next().flatten())?;
        Ok((client, values.next().flatten().is_some()))
    }
}
