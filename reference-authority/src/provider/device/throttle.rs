//! Throttling of user code guessing (RFC 8628 section 5.1): a user code has
//! only about 34 bits, so each signed-in user may enter
//! [`MAX_USER_CODE_FAILURES`](super::MAX_USER_CODE_FAILURES) wrong codes per
//! [`USER_CODE_LOCKOUT`](super::USER_CODE_LOCKOUT) seconds. A right code does
//! not reset the count: otherwise a guesser could interleave codes of
//! requests of their own.

use super::record::FAILURES;
use super::{MAX_USER_CODE_FAILURES, USER_CODE_LOCKOUT};
use crate::provider::{Authority, StoreError};
use agent_auth::audit::{AuditAction, Outcome};
use serde::{Deserialize, Serialize};

/// One user's wrong codes in the current window.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Failures {
    count: u32,
    /// When the window (and any lock-out) ends.
    until: i64,
}

impl Authority {
    /// Whether `user_id` may try a code now.
    pub(super) fn user_code_locked(&self, user_id: &str) -> Result<bool, StoreError> {
        let now = self.now();
        Ok(self
            .tables()
            .get::<Failures>(FAILURES, user_id)?
            .is_some_and(|f| f.until > now && f.count >= MAX_USER_CODE_FAILURES))
    }

    /// Counts a wrong code of `user_id`.
    pub(super) fn user_code_failed(&self, user_id: &str) -> Result<(), StoreError> {
        let now = self.now();
        let count = self
            .tables()
            .update::<Failures, u32>(FAILURES, user_id, |current| {
                let mut f = current.filter(|f| f.until > now).unwrap_or_default();
                if f.count == 0 {
                    f.until = now + USER_CODE_LOCKOUT;
                }
                f.count = f.count.saturating_add(1);
                if f.count >= MAX_USER_CODE_FAILURES {
                    // The lock-out runs from the last wrong code.
                    f.until = now + USER_CODE_LOCKOUT;
                }
                let count = f.count;
                (Some(f), count)
            })?;
        self.audit(AuditAction::Authentication, Outcome::Denied, |e| {
            e.user(user_id.to_owned())
                .reason(if count >= MAX_USER_CODE_FAILURES {
                    "user_code_locked"
                } else {
                    "wrong_user_code"
                })
                .detail("failures", count)
        });
        Ok(())
    }
}
