//! What a just-in-time role gets.

use crate::error::VaultError;
use pg_store::Identifier;

/// The template of just-in-time roles: a name prefix, the existing roles whose
/// privileges the new role inherits (its grants), and a lifetime.
///
/// Grants are role memberships only: the privileges themselves are managed on
/// the named roles by the database owner, and no template text reaches a
/// statement except checked identifiers.
///
/// ```
/// use token_vault_client::db_roles::RoleTemplate;
/// let template = RoleTemplate::new("agent", ["crm_readonly"], 900)?;
/// assert!(RoleTemplate::new("agent", ["crm\"; DROP ROLE admin"], 900).is_err());
/// # Ok::<(), token_vault_client::VaultError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RoleTemplate {
    pub(super) prefix: Identifier,
    pub(super) grants: Vec<Identifier>,
    pub(super) ttl: i64,
    pub(super) host: Option<String>,
    pub(super) database: Option<String>,
}

fn invalid(what: &str) -> VaultError {
    VaultError::Invalid(format!(
        "{what}: lower-case letters, digits and _ only (at most 63)"
    ))
}

impl RoleTemplate {
    /// Roles named `<prefix>_<random>`, members of `grants`, valid `ttl` seconds.
    pub fn new<I, S>(prefix: &str, grants: I, ttl: i64) -> Result<Self, VaultError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        // The random suffix takes 17 bytes of the 63.
        if prefix.len() > 40 {
            return Err(invalid("role prefix too long"));
        }
        let prefix = Identifier::new(prefix).map_err(|_| invalid("role prefix"))?;
        let grants = grants
            .into_iter()
            .map(|g| Identifier::new(g.as_ref()).map_err(|_| invalid("granted role")))
            .collect::<Result<Vec<_>, _>>()?;
        if ttl <= 0 {
            return Err(VaultError::Invalid("role lifetime must be positive".into()));
        }
        Ok(Self {
            prefix,
            grants,
            ttl,
            host: None,
            database: None,
        })
    }

    /// The host (and port) the issued credential names for its users.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The database the issued credential names for its users.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Checks a requested lifetime against the template's, the maximum.
    pub(super) fn check_ttl(&self, ttl: i64) -> Result<(), VaultError> {
        if ttl <= 0 || ttl > self.ttl {
            return Err(VaultError::Invalid(format!(
                "a role lifetime is between 1 and {} seconds",
                self.ttl
            )));
        }
        Ok(())
    }

    /// Whether `username` is one of this template's roles (only those are dropped).
    pub(super) fn owns(&self, username: &str) -> bool {
        username
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|suffix| {
                suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit())
            })
    }
}
