//! Stream verification (SSF 1.0 section 8.1.4): the receiver asks the
//! transmitter for a verification event carrying a `state` it chose, and
//! notes when that event arrives through the stream.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// Most verification requests remembered; the oldest is forgotten first.
const MAX_PENDING: usize = 32;

/// Verification states asked for, and whether their event arrived.
#[derive(Debug, Default)]
pub(crate) struct Verifications {
    states: Mutex<VecDeque<(String, bool)>>,
}

impl Verifications {
    /// A fresh random state, remembered as asked for.
    pub(crate) fn ask(&self) -> Option<String> {
        let mut bytes = [0u8; 24];
        aws_lc_rs::rand::fill(&mut bytes).ok()?;
        let state = crate::jose::base64url::encode(bytes);
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        if states.len() >= MAX_PENDING {
            states.pop_front();
        }
        states.push_back((state.clone(), false));
        Some(state)
    }

    /// Whether `state` was asked for and not yet answered.
    pub(crate) fn is_pending(&self, state: &str) -> bool {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|(s, done)| s == state && !done)
    }

    /// Marks `state` answered.
    pub(crate) fn confirm(&self, state: &str) {
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = states.iter_mut().find(|(s, _)| s == state) {
            entry.1 = true;
        }
    }

    /// Whether the event answering `state` arrived.
    pub(crate) fn is_confirmed(&self, state: &str) -> bool {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|(s, done)| s == state && *done)
    }
}
