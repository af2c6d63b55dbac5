//! A cap on wrong `user_code`s. CIBA Core 1.0 section 7.1 makes the code a
//! secret that keeps strangers from ringing the person's device, which only
//! holds if it cannot be guessed: after
//! [`CibaConfig::user_code_max_failures`](super::CibaConfig) wrong codes in a
//! row the person's code is locked for `user_code_lockout` seconds, during
//! which every request for the person is refused with the same
//! `invalid_user_code` as a wrong code (section 13 has no code for a lock-out,
//! and a distinct answer would tell a guesser the code exists). A right code
//! clears the count. Counts live in the authority's store, so a restart with a
//! persistent store keeps them.

use super::CibaOp;
use super::record::{self, USER_CODE_FAILURES};
use crate::StoreError;
use agent_auth::audit::{AuditAction, Outcome};
use serde::{Deserialize, Serialize};

/// One person's failure count.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Failures {
    /// Attempts counted since the last right code or lock-out. An attempt
    /// counts from its start, so concurrent guesses cannot pass the cap.
    count: u32,
    /// End of the lock-out (seconds since the epoch); 0 when none.
    locked_until: i64,
    /// When the count is forgotten: `user_code_lockout` seconds after the
    /// last attempt.
    forget_at: i64,
}

impl Failures {
    /// Nothing left to remember: not locked, count forgotten.
    pub(crate) fn forgotten(&self, now: i64) -> bool {
        self.locked_until <= now && self.forget_at <= now
    }

    fn lock(&mut self, until: i64) {
        self.count = 0;
        self.locked_until = until;
        self.forget_at = until;
    }
}

/// Whether a code may be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attempt {
    /// Check it; the attempt is counted.
    Go,
    /// Locked until then; the code is not checked.
    Locked(i64),
}

impl CibaOp {
    fn limits(&self) -> (u32, i64) {
        let cfg = &self.shared.config;
        (
            cfg.user_code_max_failures.max(1),
            cfg.user_code_lockout.max(1),
        )
    }

    /// Starts an attempt at `user_id`'s code: refused while locked, counted
    /// otherwise. More attempts under way than the cap locks the code.
    pub(super) fn begin_attempt(
        &self,
        client_id: &str,
        user_id: &str,
    ) -> Result<Attempt, StoreError> {
        let now = self.authority.now();
        let (max, lockout) = self.limits();
        let (attempt, started) = record::update::<Failures, _>(
            self.authority.store().as_ref(),
            USER_CODE_FAILURES,
            user_id,
            |current| {
                let mut f = current.filter(|f| !f.forgotten(now)).unwrap_or_default();
                if f.locked_until > now {
                    return (None, (Attempt::Locked(f.locked_until), false));
                }
                if f.count >= max {
                    f.lock(now.saturating_add(lockout));
                    let until = f.locked_until;
                    return (Some(f), (Attempt::Locked(until), true));
                }
                f.count += 1;
                f.locked_until = 0;
                f.forget_at = now.saturating_add(lockout);
                (Some(f), (Attempt::Go, false))
            },
        )?;
        if let Attempt::Locked(until) = attempt {
            self.audit_lock(client_id, user_id, until, started);
        }
        Ok(attempt)
    }

    /// A wrong code: the attempt that reaches the cap locks the code.
    pub(super) fn attempt_failed(&self, client_id: &str, user_id: &str) -> Result<(), StoreError> {
        let now = self.authority.now();
        let (max, lockout) = self.limits();
        let (locked, count) = record::update::<Failures, _>(
            self.authority.store().as_ref(),
            USER_CODE_FAILURES,
            user_id,
            |current| match current {
                Some(mut f) if f.locked_until <= now && f.count >= max => {
                    f.lock(now.saturating_add(lockout));
                    let until = f.locked_until;
                    (Some(f), (Some(until), max))
                }
                Some(f) => {
                    let count = f.count;
                    (None, (None, count))
                }
                // Cleared meanwhile by a right code.
                None => (None, (None, 0)),
            },
        )?;
        self.authority
            .audit(AuditAction::Authentication, Outcome::Denied, |ev| {
                ev.agent(client_id.to_owned())
                    .user(user_id.to_owned())
                    .reason("wrong_user_code")
                    .detail("failures", count)
            });
        if let Some(until) = locked {
            self.audit_lock(client_id, user_id, until, true);
        }
        Ok(())
    }

    /// A right code: the count starts over.
    pub(super) fn attempt_succeeded(&self, user_id: &str) -> Result<(), StoreError> {
        self.authority
            .store()
            .delete(USER_CODE_FAILURES, user_id)
            .map(|_| ())
    }

    /// The audit trail tells a lock-out from a wrong code; the client never
    /// learns it.
    fn audit_lock(&self, client_id: &str, user_id: &str, until: i64, started: bool) {
        let reason = if started {
            "user_code_locked"
        } else {
            "user_code_locked_out"
        };
        self.authority
            .audit(AuditAction::Authentication, Outcome::Denied, |ev| {
                ev.agent(client_id.to_owned())
                    .user(user_id.to_owned())
                    .reason(reason)
                    .detail("locked_until", until)
            });
    }
}
