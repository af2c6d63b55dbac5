//! Throttling of password and one-time-code guesses: failures are counted per
//! account and per client address, and past a limit the key is locked out
//! for a time that doubles with each further failure (NIST SP 800-63B
//! section 5.2.2; RFC 6238 section 5.2 and RFC 4226 section 7.3 ask for
//! throttling so that a 6-digit code cannot be brute-forced). Time comes from
//! the injected clock; nothing sleeps.

use super::store::Table;
use super::{Authority, StoreError};
use agent_auth::audit::{AuditAction, Outcome};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Failure counters by key (`account:<username>`, `address:<ip>`).
const FAILURES: Table = Table::Extension("login_failures");

/// Limits on failed logins (password or one-time code).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginThrottle {
    /// Failures of one account before it is locked out.
    pub account_failures: u32,
    /// Failures from one client address (any accounts) before it is locked out.
    pub address_failures: u32,
    /// The first lockout, in seconds; each further failure doubles it.
    pub lockout: i64,
    /// The longest lockout, in seconds.
    pub max_lockout: i64,
    /// Seconds after the last failure when a key's count starts again.
    pub window: i64,
}

impl Default for LoginThrottle {
    /// 5 failures per account, 20 per address; lockouts of 60 s doubling up
    /// to an hour; counts forgotten 15 minutes after the last failure.
    fn default() -> Self {
        Self {
            account_failures: 5,
            address_failures: 20,
            lockout: 60,
            max_lockout: 3600,
            window: 900,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Failures {
    count: u32,
    last: i64,
    locked_until: i64,
}

/// The keys one login attempt is counted under.
pub(crate) struct AttemptKeys {
    account: String,
    address: Option<String>,
}

impl AttemptKeys {
    pub(crate) fn new(username: &str, address: Option<IpAddr>) -> Self {
        Self {
            account: format!("account:{username}"),
            address: address.map(|a| format!("address:{a}")),
        }
    }

    fn all(&self) -> impl Iterator<Item = (&str, bool)> {
        std::iter::once((self.account.as_str(), true))
            .chain(self.address.as_deref().map(|a| (a, false)))
    }
}

impl Authority {
    /// Whether any key of the attempt is locked out now. A storage failure
    /// counts as locked.
    pub(crate) fn login_locked(&self, keys: &AttemptKeys) -> bool {
        let now = self.now();
        keys.all().any(
            |(key, _)| match self.tables().get::<Failures>(FAILURES, key) {
                Ok(f) => f.is_some_and(|f| f.locked_until > now),
                Err(_) => true,
            },
        )
    }

    /// Counts a failed attempt under each key; a key reaching its limit is
    /// locked out (audited), for twice as long with each further failure.
    pub(crate) fn login_failed(&self, keys: &AttemptKeys) -> Result<(), StoreError> {
        let now = self.now();
        let cfg = &self.inner.config.login_throttle;
        for (key, is_account) in keys.all() {
            let limit = if is_account {
                cfg.account_failures
            } else {
                cfg.address_failures
            };
            let locked = self
                .tables()
                .update::<Failures, Option<i64>>(FAILURES, key, |f| {
                    let mut f = f.unwrap_or_default();
                    if now - f.last >= cfg.window && f.locked_until <= now {
                        f.count = 0;
                    }
                    f.count = f.count.saturating_add(1);
                    f.last = now;
                    let over = f.count.saturating_sub(limit.max(1));
                    let mut locked = None;
                    if f.count >= limit.max(1) {
                        let doubled = cfg
                            .lockout
                            .saturating_mul(1_i64.checked_shl(over.min(30)).unwrap_or(i64::MAX));
                        f.locked_until = now.saturating_add(doubled.min(cfg.max_lockout));
                        locked = Some(f.locked_until);
                    }
                    (Some(f), locked)
                })?;
            if let Some(until) = locked {
                self.audit(AuditAction::Authentication, Outcome::Denied, |e| {
                    e.reason("locked_out")
                        .detail("key", key.split(':').next().unwrap_or_default())
                        .detail("locked_until", until)
                });
            }
        }
        Ok(())
    }

    /// Forgets the account's failures after a successful login (the
    /// address keeps its count: it may be guessing other accounts).
    pub(crate) fn login_succeeded(&self, keys: &AttemptKeys) -> Result<(), StoreError> {
        self.tables().delete(FAILURES, &keys.account).map(|_| ())
    }
}

/// Removes counters no longer locked and past their window; part of
/// [`Authority::purge_expired`].
pub(crate) fn purge(authority: &Authority) -> Result<usize, StoreError> {
    let now = authority.now();
    let window = authority.inner.config.login_throttle.window;
    super::store::purge_json::<Failures>(authority.store().as_ref(), FAILURES, |f| {
        f.locked_until <= now && now - f.last >= window
    })
}
