//! The `[audit_log]` table: the tamper-evident audit log of every decision,
//! its tiles and its ingestion endpoint under `/audit-log`.
//!
//! `database` is a SQLite file or, built with the `postgres` feature, a
//! `postgres://` URL that several instances share.
//!
//! ```toml
//! [audit_log]
//! database = "audit.sqlite"
//! signing_key = "PRIVATE+KEY+authority.example/audit-log+<id>+<key>"
//! ```

use reference_authority::audit_log::{AuditLog, NoteSigner, open_store};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditLogConfig {
    /// The log's SQLite file or PostgreSQL URL.
    database: String,
    /// The checkpoint signing key, in the signed-note private key encoding.
    signing_key: String,
    /// The checkpoint origin (default: the key name).
    origin: Option<String>,
}

impl AuditLogConfig {
    /// Opens the log; its verifier key goes to standard error for operators.
    pub(crate) fn open(&self) -> Result<AuditLog, Box<dyn std::error::Error>> {
        let signer = NoteSigner::from_private_key(&self.signing_key)?;
        let origin = self
            .origin
            .clone()
            .unwrap_or_else(|| signer.name().to_owned());
        let log = AuditLog::from_store(origin, signer, open_store(&self.database)?)?;
        eprintln!("audit log verifier key {}", log.verifier());
        Ok(log)
    }
}
