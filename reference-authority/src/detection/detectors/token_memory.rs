//! What the token rules remember: the first network each `jti` came from,
//! and the revoked `jti`s, each for a bounded time.

use std::collections::{HashMap, VecDeque};

/// Remembered `jti`s, forgotten after their span.
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenMemory {
    sources: HashMap<String, (String, i64)>,
    source_order: VecDeque<(i64, String)>,
    revoked: HashMap<String, i64>,
    revoked_order: VecDeque<(i64, String)>,
}

impl TokenMemory {
    /// The network `jti` was first seen from within `span`, remembering
    /// `network` when it is the first.
    pub(crate) fn source(&mut self, jti: &str, network: &str, now: i64, span: i64) -> String {
        forget(&mut self.sources, &mut self.source_order, now - span, |v| {
            v.1
        });
        if let Some((first, _)) = self.sources.get(jti) {
            return first.clone();
        }
        self.sources
            .insert(jti.to_owned(), (network.to_owned(), now));
        self.source_order.push_back((now, jti.to_owned()));
        network.to_owned()
    }

    /// Remembers `jti` as revoked at `now`.
    pub(crate) fn revoke(&mut self, jti: &str, now: i64, span: i64) {
        forget(
            &mut self.revoked,
            &mut self.revoked_order,
            now - span,
            |v| *v,
        );
        if self.revoked.insert(jti.to_owned(), now).is_none() {
            self.revoked_order.push_back((now, jti.to_owned()));
        }
    }

    /// When `jti` was revoked, if it is remembered as revoked.
    pub(crate) fn revoked_at(&self, jti: &str) -> Option<i64> {
        self.revoked.get(jti).copied()
    }
}

fn forget<V>(
    map: &mut HashMap<String, V>,
    order: &mut VecDeque<(i64, String)>,
    before: i64,
    time_of: impl Fn(&V) -> i64,
) {
    while order.front().is_some_and(|(t, _)| *t <= before) {
        if let Some((t, key)) = order.pop_front()
            && map.get(&key).is_some_and(|v| time_of(v) == t)
        {
            map.remove(&key);
        }
    }
}
