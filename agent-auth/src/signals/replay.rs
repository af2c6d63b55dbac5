//! Signed messages (SETs, Global Token Revocation caller assertions) are
//! accepted once, and only while fresh: a captured message replayed later is
//! refused by its `jti`, an old one by its `iat`. The memory of seen ids is
//! bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Default oldest `iat` accepted, in seconds before now.
pub const DEFAULT_MAX_AGE: i64 = 300;
/// Default clock skew tolerated, in seconds.
pub const DEFAULT_LEEWAY: i64 = 30;
/// Default most message ids remembered at once.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Why a message is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
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
    /// Too many messages are remembered: refused rather than remembered
    /// partly, so that no replay slips through.
    #[error("too many messages to remember; try again later")]
    Full,
}

/// The claims [`ReplayGuard::accept`] reads.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// The issuer: ids are remembered per issuer.
    pub issuer: &'a str,
    /// `jti`.
    pub jti: Option<&'a str>,
    /// `iat`.
    pub iat: Option<i64>,
    /// `exp`, when the message has one.
    pub exp: Option<i64>,
}

/// The freshness rules and the `jti` replay cache. Clones share the cache.
///
/// ```
/// use agent_auth::signals::{Refusal, ReplayGuard, Stamp};
/// let guard = ReplayGuard::default();
/// let stamp = Stamp { issuer: "https://ssf.example", jti: Some("set-1"), iat: Some(1_000), exp: None };
/// assert_eq!(guard.accept(&stamp, 1_010), Ok(()));
/// assert_eq!(guard.accept(&stamp, 1_020), Err(Refusal::Replayed));
/// ```
#[derive(Debug, Clone)]
pub struct ReplayGuard {
    max_age: i64,
    leeway: i64,
    capacity: usize,
    /// (issuer, jti) -> remembered until.
    seen: Arc<Mutex<HashMap<(String, String), i64>>>,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        Self {
            max_age: DEFAULT_MAX_AGE,
            leeway: DEFAULT_LEEWAY,
            capacity: DEFAULT_CAPACITY,
            seen: Arc::default(),
        }
    }
}

impl ReplayGuard {
    /// The oldest `iat` accepted and the longest `exp - iat`, in seconds.
    pub fn set_max_age(&mut self, seconds: i64) {
        self.max_age = seconds.max(0);
    }

    /// Clock skew tolerated on `iat`, in seconds.
    pub fn set_leeway(&mut self, seconds: i64) {
        self.leeway = seconds.max(0);
    }

    /// Most ids remembered at once (at least one).
    pub fn set_capacity(&mut self, entries: usize) {
        self.capacity = entries.max(1);
    }

    /// The clock skew tolerated, in seconds.
    pub fn leeway(&self) -> i64 {
        self.leeway
    }

    /// Checks the time rules without remembering anything: `iat` within
    /// `max_age` before now and not after now (both with the leeway), and
    /// `exp`, when given, at most `max_age` after `iat`.
    pub fn check_fresh(&self, m: &Stamp<'_>, now: i64) -> Result<(), Refusal> {
        let (Some(_), Some(iat)) = (m.jti, m.iat) else {
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
        Ok(())
    }

    /// [`check_fresh`](Self::check_fresh), then that `jti` was not accepted
    /// before (RFC 8417 section 2.2 and RFC 7519 section 4.1.7: `jti` lets a
    /// recipient detect replays). On success the `jti` is remembered until
    /// the message can no longer pass the time checks: `max(iat + max_age,
    /// exp)` plus the leeway; expired ids are forgotten when memory is full.
    pub fn accept(&self, m: &Stamp<'_>, now: i64) -> Result<(), Refusal> {
        self.check_fresh(m, now)?;
        let (Some(jti), Some(iat)) = (m.jti, m.iat) else {
            return Err(Refusal::Incomplete);
        };
        let until = iat
            .saturating_add(self.max_age)
            .max(m.exp.unwrap_or(i64::MIN))
            .saturating_add(self.leeway);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (m.issuer.to_owned(), jti.to_owned());
        if seen.get(&key).is_some_and(|t| *t >= now) {
            return Err(Refusal::Replayed);
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, t| *t >= now);
            if seen.len() >= self.capacity {
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
        let t = ReplayGuard::default();
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

    #[test]
    fn memory_is_bounded_and_full_memory_refuses() {
        let mut t = ReplayGuard::default();
        t.set_capacity(2);
        assert_eq!(t.accept(&stamp("a", 1000, None), 1000), Ok(()));
        assert_eq!(t.accept(&stamp("b", 1000, None), 1000), Ok(()));
        assert_eq!(t.accept(&stamp("c", 1000, None), 1000), Err(Refusal::Full));
        // Once the first ids have expired, room is made.
        assert_eq!(t.accept(&stamp("c", 1300, None), 1340), Ok(()));
    }
}
