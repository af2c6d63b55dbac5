//! N of M approval: a request passes once `required` of the named approvers
//! approved, and fails as soon as too few undecided approvers remain.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where a quorum stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tally {
    /// Enough approvals.
    Approved,
    /// Not enough approvers left to reach the quorum.
    Denied,
    /// Still open.
    Open,
}

/// The approvers asked, how many must approve, and what each decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Quorum {
    pub(crate) approvers: BTreeSet<String>,
    pub(crate) required: usize,
    /// Approver -> approved (`true`) or denied (`false`).
    pub(crate) votes: BTreeMap<String, bool>,
}

impl Quorum {
    /// `None` unless `1 <= required <= approvers.len()`.
    pub(crate) fn new(approvers: BTreeSet<String>, required: usize) -> Option<Self> {
        (required >= 1 && required <= approvers.len()).then_some(Self {
            approvers,
            required,
            votes: BTreeMap::new(),
        })
    }

    pub(crate) fn is_approver(&self, who: &str) -> bool {
        self.approvers.contains(who)
    }

    pub(crate) fn has_voted(&self, who: &str) -> bool {
        self.votes.contains_key(who)
    }

    pub(crate) fn vote(&mut self, who: &str, approve: bool) {
        self.votes.insert(who.to_owned(), approve);
    }

    pub(crate) fn tally(&self) -> Tally {
        let yes = self.votes.values().filter(|v| **v).count();
        let no = self.votes.len() - yes;
        if yes >= self.required {
            Tally::Approved
        } else if self.approvers.len() - no < self.required {
            Tally::Denied
        } else {
            Tally::Open
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quorum(n: usize, m: &[&str]) -> Option<Quorum> {
        Quorum::new(m.iter().map(|s| (*s).to_owned()).collect(), n)
    }

    #[test]
    fn two_of_three_needs_two_yes_and_fails_after_two_no() {
        let mut q = quorum(2, &["a", "b", "c"]).unwrap();
        q.vote("a", true);
        assert_eq!(q.tally(), Tally::Open);
        q.vote("b", false);
        assert_eq!(q.tally(), Tally::Open);
        q.vote("c", true);
        assert_eq!(q.tally(), Tally::Approved);

        let mut q = quorum(2, &["a", "b", "c"]).unwrap();
        q.vote("a", false);
        q.vote("b", false);
        assert_eq!(q.tally(), Tally::Denied);
    }

    #[test]
    fn a_quorum_larger_than_its_approvers_or_of_zero_is_refused() {
        assert!(quorum(3, &["a", "b"]).is_none());
        assert!(quorum(0, &["a"]).is_none());
    }
}
