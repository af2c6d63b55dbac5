//! Limits of just-in-time elevation: duration caps and the approval window.

use crate::registry::Entitlement;

/// How long elevations may last and how long approvers have to decide.
///
/// ```
/// use reference_authority::governance::jit::JitPolicy;
/// use reference_authority::registry::Entitlement;
///
/// let policy = JitPolicy::default()
///     .max_duration(4 * 3600)
///     .cap(Entitlement::scope("payments:write", "https://crm.example"), 900);
/// assert_eq!(policy.cap_of(&Entitlement::scope("payments:write", "https://crm.example")), 900);
/// assert_eq!(policy.cap_of(&Entitlement::scope("crm:read", "https://crm.example")), 4 * 3600);
/// ```
#[derive(Debug, Clone)]
pub struct JitPolicy {
    max_duration: i64,
    caps: Vec<(Entitlement, i64)>,
    decision_window: i64,
    max_reason_chars: usize,
}

impl Default for JitPolicy {
    /// Eight hours at most, one hour to decide, reasons up to 500 characters.
    fn default() -> Self {
        Self {
            max_duration: 8 * 3600,
            caps: Vec::new(),
            decision_window: 3600,
            max_reason_chars: 500,
        }
    }
}

impl JitPolicy {
    /// The longest elevation of any entitlement, in seconds (at least 1).
    #[must_use]
    pub fn max_duration(mut self, seconds: i64) -> Self {
        self.max_duration = seconds.max(1);
        self
    }

    /// A tighter cap for one entitlement (never above [`max_duration`](Self::max_duration)).
    #[must_use]
    pub fn cap(mut self, entitlement: Entitlement, seconds: i64) -> Self {
        self.caps.retain(|(e, _)| *e != entitlement);
        self.caps.push((entitlement, seconds.max(1)));
        self
    }

    /// How long approvers have to decide, in seconds (at least 1).
    #[must_use]
    pub fn decision_window(mut self, seconds: i64) -> Self {
        self.decision_window = seconds.max(1);
        self
    }

    /// The longest reason accepted, in characters.
    #[must_use]
    pub fn max_reason_chars(mut self, chars: usize) -> Self {
        self.max_reason_chars = chars.max(1);
        self
    }

    /// The cap that applies to `entitlement`.
    pub fn cap_of(&self, entitlement: &Entitlement) -> i64 {
        self.caps
            .iter()
            .find(|(e, _)| e == entitlement)
            .map_or(self.max_duration, |(_, cap)| (*cap).min(self.max_duration))
    }

    pub(crate) fn window(&self) -> i64 {
        self.decision_window
    }

    pub(crate) fn reason_chars(&self) -> usize {
        self.max_reason_chars
    }
}
