//! How long agent certificates live and when they are renewed.

use super::CertError;

/// Lifetimes of the certificates a CA issues, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertPolicy {
    lifetime: i64,
    renew_before: i64,
}

impl Default for CertPolicy {
    /// Four hours, renewed in the last third.
    fn default() -> Self {
        Self {
            lifetime: 4 * 3600,
            renew_before: 4 * 3600 / 3,
        }
    }
}

impl CertPolicy {
    /// Certificates valid for `lifetime` seconds (5 minutes to 24 hours:
    /// short-lived, so that expiry bounds a leaked key), renewed once less
    /// than `renew_before` seconds remain (less than the lifetime).
    pub fn new(lifetime: i64, renew_before: i64) -> Result<Self, CertError> {
        if !(300..=86_400).contains(&lifetime) {
            return Err(CertError::InvalidPolicy(
                "the lifetime is between 5 minutes and 24 hours",
            ));
        }
        if renew_before <= 0 || renew_before >= lifetime {
            return Err(CertError::InvalidPolicy(
                "renewal starts after issue and before expiry",
            ));
        }
        Ok(Self {
            lifetime,
            renew_before,
        })
    }

    /// The lifetime, in seconds.
    pub fn lifetime(&self) -> i64 {
        self.lifetime
    }

    /// Seconds from issue to the start of the renewal window.
    pub fn renew_after(&self) -> i64 {
        self.lifetime - self.renew_before
    }

    /// Whether a certificate expiring at `not_after` is due for renewal at `now`.
    pub fn renewal_due(&self, not_after: i64, now: i64) -> bool {
        now >= not_after.saturating_sub(self.renew_before)
    }
}
