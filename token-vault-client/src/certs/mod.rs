//! X.509 agent certificates (feature `certs`): a certificate authority whose
//! private key is sealed in the vault's envelope issues short-lived
//! certificates naming each agent by a SPIFFE ID URI SAN
//! (`spiffe://<trust-domain>/agent/<id>`), renews them before they expire and
//! revokes them through a certificate revocation list it signs and checks.
//! Issue, renewal and revocation are audited as `credential-change` events
//! with the serial, never key material.
//!
//! ```
//! # use std::sync::Arc;
//! use token_vault_client::certs::{AgentCa, CertPolicy};
//! use token_vault_client::*;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m")?));
//! let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys).build();
//! let ca = AgentCa::create(&vault, "acme.example", CertPolicy::default())?;
//! let cert = ca.issue("calendar-agent")?;
//! assert_eq!(cert.spiffe_id(), "spiffe://acme.example/agent/calendar-agent");
//! assert_eq!(ca.verify(cert.der(), "calendar-agent")?, cert.serial());
//! ca.revoke(cert.serial())?;
//! assert!(ca.verify(cert.der(), "calendar-agent").is_err());
//! # Ok(()) }
//! ```

mod ca;
mod certificate;
mod policy;
mod renewal;
mod revoked;
mod spiffe;
mod stored;
mod verify;

pub use ca::AgentCa;
pub use certificate::{AgentCertificate, AgentKey};
pub use policy::CertPolicy;
pub use spiffe::spiffe_id;
pub use verify::verify_with_crl;

use crate::error::VaultError;

/// Why a certificate operation failed. Messages name what failed, never key
/// material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// A trust domain or agent id that cannot form a SPIFFE ID.
    #[error("invalid SPIFFE ID: {0}")]
    InvalidId(&'static str),
    /// A certificate policy outside the allowed bounds.
    #[error("invalid certificate policy: {0}")]
    InvalidPolicy(&'static str),
    /// No CA is stored in the vault for this trust domain.
    #[error("no agent CA is stored for this trust domain")]
    NoCa,
    /// The certificate was revoked.
    #[error("certificate revoked")]
    Revoked,
    /// The certificate expired (renewal is refused too: enroll again).
    #[error("certificate expired")]
    Expired,
    /// The certificate is not valid yet.
    #[error("certificate not valid yet")]
    NotYetValid,
    /// The certificate is valid but names another agent.
    #[error("certificate does not name this agent")]
    WrongAgent,
    /// The certificate does not chain to this CA, or is malformed.
    #[error("certificate refused: {0}")]
    Refused(String),
    /// Building or signing a certificate or CRL failed.
    #[error("certificate generation failed: {0}")]
    Generation(String),
    /// The vault failed (storing or opening the CA key).
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl From<rcgen::Error> for CertError {
    fn from(e: rcgen::Error) -> Self {
        Self::Generation(e.to_string())
    }
}
