//! Signed revocation messages (SSF SETs, Global Token Revocation caller
//! assertions) are accepted once, and only while fresh: a captured message
//! replayed later is refused by its `jti`, and an old one by its `iat`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Default oldest `iat` accepted, in seconds before now.
pub(crate) const DEFAULT_MAX_AGE: i64 = 300;
/// Default clock skew tolerated, in seconds.
pub(crate) const DEFAULT_LEEWAY: i64 = 30;
/// Most message ids remembered at once; past it (after forgetting expired
/// ones) new messages are refused rather than remembered partly.
const MAX_ENTRIES: usize = 100_000;

/// Why a message is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// `iat` is older than the accepted age.
    #[error("the message is stale (`iat` too old)")]
    Stale,
    /// `iat` is in the future.
    #[error("the message is issued in the future (`iat`)")]
    FromFuture,
    /// `exp` is further from `iat` than the accepted age.
    #[error("the message lives too long (`exp` too far after `iat`)")]
    TooLong,
    /// `iat` or `jti` is missing.
    #[error("the message lacks `iat` or `jti`")]
    Incomplete,
    /// The `jti` was already accepted.
    #[error("the message was already received (`jti` replayed)")]
    Replayed,
    /// Too many messages are remembered.
    #[error("too many messages to remember; try again later")]
    Full,
}

/// The freshness rules and the `jti` replay cache. Clones share the cache.
#[derive(Debug, Clone)]
pub(crate) struct OneTimeUse {
    max_age: i64,
    leeway: i64,
    /// (issuer, jti) -> remembered until.
    seen: Arc<Mutex<HashMap<(String, String), i64>>>,
}

impl Default for OneTimeUse {
    fn default() -> Self {
        Self {
            max_age: DEFAULT_MAX_AGE,
            leeway: DEFAULT_LEEWAY,
            seen: Arc::default(),
        }
    }
}

/// The claims [`OneTimeUse::accept`] reads.
pub(crate) struct Stamp<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) jti: Option<&'a str>,
    pub(crate) iat: Option<i64>,
    pub(crate) exp: Option<i64>,
}

impl OneTimeUse {
    pub(crate) fn max_age(&mut self, seconds: i64) {
        self.max_age = seconds.max(0);
    }

    pub(crate) fn leeway(&mut self, seconds: i64) {
        self.leeway = seconds.max(0);
    }

    pub(crate) fn leeway_seconds(&self) -> i64 {
        self.leeway
    }

    /// Checks that `iat` is within `max_age` before now (and not after now,
    /// both with the leeway), that `exp`, when given, is at most `max_age` after
    /// `iat`, and that `jti` was not accepted before (RFC 8417 section 2.2 and
    /// RFC 7519 section 4.1.7: `jti` lets a recipient detect replays). On
    /// success the `jti` is remembered until the message can no longer pass the
    /// time checks: `max(iat + max_age, exp)` plus the leeway.
    pub(crate) fn accept(&self, m: &Stamp<'_>, now: i64) -> Result<(), Refusal> {
        let (Some(jti), Some(iat)) = (m.jti, m.iat) else {
            return Err(Refusal::Incomplete);
        };
        if iat > now.saturating_add(self.leeway) {
            return Err(Refusal::FromFuture);
        }
        if now.saturating_sub(iat) > self.max_age.saturating_add(self.leeway) {
            return Err(Refusal::Stale);
        }
        if m.exp
            .is_some_and(|exp| exp.saturating_sub(iat) > self.max_age)
        {
            return Err(Refusal::TooLong);
        }
        let until = iat
            .saturating_add(self.max_age)
            .max(m.exp.unwrap_or(i64::MIN))
            .saturating_add(self.leeway);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (m.issuer.to_owned(), jti.to_owned());
        if seen.get(&key).is_some_and(|t| *t >= now) {
            return Err(Refusal::Replayed);
        }
        if seen.len() >= MAX_ENTRIES {
            seen.retain(|_, t| *t >= now);
            if seen.len() >= MAX_ENTRIES {
                return Err(Refusal::Full);
            }
        }
        seen.insert(key, until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(jti: &str, iat: i64, exp: Option<i64>) -> Stamp<'_> {
        Stamp {
            issuer: "https://i",
            jti: Some(jti),
            iat: Some(iat),
            exp,
        }
    }

    #[test]
    fn once_and_fresh_only() {
        let t = OneTimeUse::default();
        assert_eq!(t.accept(&stamp("a", 1000, None), 1000), Ok(()));
        assert_eq!(
            t.accept(&stamp("a", 1000, None), 1001),
            Err(Refusal::Replayed)
        );
        assert_eq!(t.accept(&stamp("b", 1000, None), 1331), Err(Refusal::Stale));
        assert_eq!(
            t.accept(&stamp("c", 1100, None), 1000),
            Err(Refusal::FromFuture)
        );
        assert_eq!(
            t.accept(&stamp("d", 1000, Some(2000)), 1000),
            Err(Refusal::TooLong)
        );
        // Past its window the id is forgotten, and the message is stale anyway.
        assert_eq!(t.accept(&stamp("a", 1000, None), 1400), Err(Refusal::Stale));
    }
}
