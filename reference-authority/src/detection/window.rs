//! Trailing time windows: how many events, and how many distinct keys, in
//! the last N seconds.

use std::collections::{HashMap, VecDeque};

/// Counts events in the trailing `span` seconds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Window {
    times: VecDeque<i64>,
}

impl Window {
    /// Adds an event at `now` and returns the count within `span`.
    pub(crate) fn push(&mut self, now: i64, span: i64) -> u32 {
        self.times.push_back(now);
        self.count(now, span)
    }

    /// The count within `span` before `now` (inclusive), dropping older events.
    pub(crate) fn count(&mut self, now: i64, span: i64) -> u32 {
        while self.times.front().is_some_and(|t| *t <= now - span) {
            self.times.pop_front();
        }
        u32::try_from(self.times.len()).unwrap_or(u32::MAX)
    }
}

/// Counts distinct keys seen in the trailing `span` seconds.
#[derive(Debug, Clone, Default)]
pub(crate) struct DistinctWindow {
    seen: VecDeque<(i64, String)>,
    counts: HashMap<String, u32>,
}

impl DistinctWindow {
    /// Adds `key` at `now`; returns the number of distinct keys within `span`.
    pub(crate) fn push(&mut self, now: i64, span: i64, key: &str) -> u32 {
        while let Some((t, _)) = self.seen.front() {
            if *t > now - span {
                break;
            }
            if let Some((_, old)) = self.seen.pop_front()
                && let Some(n) = self.counts.get_mut(&old)
            {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&old);
                }
            }
        }
        self.seen.push_back((now, key.to_owned()));
        *self.counts.entry(key.to_owned()).or_insert(0) += 1;
        u32::try_from(self.counts.len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_leave_the_window_after_its_span() {
        let mut w = Window::default();
        assert_eq!(w.push(0, 10), 1);
        assert_eq!(w.push(5, 10), 2);
        assert_eq!(w.push(10, 10), 2);
        assert_eq!(w.count(20, 10), 0);
    }

    #[test]
    fn distinct_keys_are_counted_once() {
        let mut w = DistinctWindow::default();
        assert_eq!(w.push(0, 10, "a"), 1);
        assert_eq!(w.push(1, 10, "a"), 1);
        assert_eq!(w.push(2, 10, "b"), 2);
        assert_eq!(w.push(11, 10, "c"), 2);
    }
}
