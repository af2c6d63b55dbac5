//! Keyed hashes of values that must be matched later but never stored.
//!
//! As Vault's audit devices do, a value such as an IP address, an e-mail or a
//! token fingerprint is written as `hmac-sha256:<hex>`: HMAC-SHA256 under a
//! per-deployment key. Without the key the hash reveals nothing and cannot be
//! brute-forced from a dictionary; with it an investigator computes the hash of
//! a candidate value and searches the log for it ([`AuditHashKey::lookup`]).

use aws_lc_rs::hmac;
use std::fmt;

/// The prefix of every keyed hash written in an event.
pub const KEYED_HASH_PREFIX: &str = "hmac-sha256:";

/// The per-deployment HMAC-SHA256 key of audit hashes.
///
/// `Debug` is redacted; the key lives only inside aws-lc-rs, which zeroizes it on drop.
///
/// ```
/// use agent_auth::audit::AuditHashKey;
///
/// let key = AuditHashKey::new(b"a per-deployment key of 32 bytes!");
/// let stored = key.hash(b"203.0.113.7");
/// assert!(stored.starts_with("hmac-sha256:"));
/// // An investigator with the key checks a candidate value.
/// assert_eq!(key.lookup("203.0.113.7"), stored);
/// assert!(key.matches(b"203.0.113.7", &stored));
/// assert!(!key.matches(b"203.0.113.8", &stored));
/// assert_eq!(format!("{key:?}"), "AuditHashKey([redacted])");
/// ```
#[derive(Clone)]
pub struct AuditHashKey {
    key: hmac::Key,
}

impl AuditHashKey {
    /// A key from secret bytes (at least 32 random bytes are recommended).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The keyed hash of `value`, as written in events: `hmac-sha256:<hex>`.
    pub fn hash(&self, value: &[u8]) -> String {
        let tag = hmac::sign(&self.key, value);
        let mut out = String::with_capacity(KEYED_HASH_PREFIX.len() + 64);
        out.push_str(KEYED_HASH_PREFIX);
        push_hex(&mut out, tag.as_ref());
        out
    }

    /// The investigator's lookup: the string to search the log for, given a
    /// candidate value (same as [`hash`](Self::hash) of its UTF-8 bytes).
    pub fn lookup(&self, candidate: &str) -> String {
        self.hash(candidate.as_bytes())
    }

    /// Whether `stored` is the keyed hash of `value` (constant-time compare).
    pub fn matches(&self, value: &[u8], stored: &str) -> bool {
        crate::secret::constant_time_eq(self.hash(value).as_bytes(), stored.as_bytes())
    }
}

impl fmt::Debug for AuditHashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditHashKey([redacted])")
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write;
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2: HMAC-SHA256 with key "Jefe".
    #[test]
    fn keyed_hash_is_hmac_sha256_of_rfc_4231() {
        let key = AuditHashKey::new(b"Jefe");
        assert_eq!(
            key.hash(b"what do ya want for nothing?"),
            "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn keyed_hash_differs_per_deployment_key() {
        let a = AuditHashKey::new(b"deployment a key");
        let b = AuditHashKey::new(b"deployment b key");
        assert_ne!(a.hash(b"sarah@example.com"), b.hash(b"sarah@example.com"));
        assert!(!b.matches(b"sarah@example.com", &a.hash(b"sarah@example.com")));
    }
}
