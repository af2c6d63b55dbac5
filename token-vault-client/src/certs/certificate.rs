//! An issued agent certificate and its private key.

use std::fmt;
use zeroize::Zeroizing;

/// An agent's private key (PKCS#8 DER). `Debug` never shows it; zeroized on
/// drop.
pub struct AgentKey(Zeroizing<Vec<u8>>);

impl AgentKey {
    pub(super) fn new(pkcs8: Vec<u8>) -> Self {
        Self(Zeroizing::new(pkcs8))
    }

    /// The key, PKCS#8 DER.
    ///
    /// # Security
    /// Key material: hand it to the agent's TLS stack only.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AgentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AgentKey([redacted])")
    }
}

/// A certificate issued to an agent, with its key.
#[derive(Debug)]
pub struct AgentCertificate {
    pub(super) agent: String,
    pub(super) spiffe_id: String,
    pub(super) serial: String,
    pub(super) not_before: i64,
    pub(super) not_after: i64,
    pub(super) der: Vec<u8>,
    pub(super) key: AgentKey,
}

impl AgentCertificate {
    /// The agent id.
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// The SPIFFE ID in the URI SAN.
    pub fn spiffe_id(&self) -> &str {
        &self.spiffe_id
    }

    /// The serial number, lowercase hex.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Start of validity, seconds since the epoch.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// End of validity, seconds since the epoch.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The private key.
    pub fn key(&self) -> &AgentKey {
        &self.key
    }
}
