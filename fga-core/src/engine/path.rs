//! The resolution path of one Check: the nodes being resolved, for cycle detection.

use super::eval::MAX_DEPTH;
use crate::Error;
use crate::text::same_str as same;

/// One path entry: type, id, relation and the type#relation bit.
type Step<'s> = (&'s str, &'s str, &'s str, u64);

/// The object#relation pairs on the current resolution path, each with its
/// type#relation bit. A node is entered at most once per depth, so the path never holds
/// more than [`MAX_DEPTH`] entries: it lives on the stack.
pub(super) struct Path<'s> {
    steps: [Step<'s>; MAX_DEPTH as usize],
    len: usize,
}

impl<'s> Path<'s> {
    pub(super) fn new() -> Self {
        Self {
            steps: [("", "", "", 0); MAX_DEPTH as usize],
            len: 0,
        }
    }

    fn steps(&self) -> &[Step<'s>] {
        self.steps.get(..self.len).unwrap_or_default()
    }

    pub(super) fn contains(&self, t: &str, id: &str, relation: &str) -> bool {
        self.steps()
            .iter()
            .any(|&(pt, pid, pr, _)| same(pid, id) && same(pr, relation) && same(pt, t))
    }

    /// The type#relation bits on the path.
    pub(super) fn bits(&self) -> u64 {
        self.steps().iter().fold(0, |m, p| m | p.3)
    }

    pub(super) fn push(&mut self, step: Step<'s>) -> Result<(), Error> {
        let slot = self.steps.get_mut(self.len).ok_or(Error::DepthExceeded)?;
        *slot = step;
        self.len += 1;
        Ok(())
    }

    pub(super) fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }
}
