//! Names and passwords that statements must carry as literals (`CREATE ROLE`,
//! `GRANT`, `DROP ROLE` take no bind parameters for them).

use crate::PgError;

/// A role or schema name: lower-case ASCII letters, digits and `_`, not starting
/// with a digit, at most 63 bytes (PostgreSQL's `NAMEDATALEN - 1`). Anything else is
/// refused rather than escaped, so a name from a template cannot carry SQL.
///
/// ```
/// use pg_store::Identifier;
/// assert_eq!(Identifier::new("crm_readonly")?.quoted(), "\"crm_readonly\"");
/// assert!(Identifier::new("crm\"; DROP ROLE admin; --").is_err());
/// # Ok::<(), pg_store::PgError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier(String);

impl Identifier {
    /// Checks `name`.
    pub fn new(name: &str) -> Result<Self, PgError> {
        let mut bytes = name.bytes();
        let first_ok = bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
        let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if first_ok && rest_ok && name.len() <= 63 {
            Ok(Self(name.to_owned()))
        } else {
            Err(PgError::Config(
                "a name must be lower-case letters, digits and _ (at most 63)".into(),
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in double quotes, for a statement.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

/// The SCRAM-SHA-256 verifier of `password` (RFC 7677), what `CREATE ROLE ...
/// PASSWORD` should be given: the server stores it as is, and the clear password
/// never appears in a statement (nor in a statement log).
///
/// ```
/// let verifier = pg_store::password_verifier(b"s3cret");
/// assert!(verifier.starts_with("SCRAM-SHA-256$4096:"));
/// assert!(!verifier.contains("s3cret"));
/// ```
pub fn password_verifier(password: &[u8]) -> String {
    postgres_protocol::password::scram_sha_256(password)
}
