//! Keywords that enable their rule only inside a long run of
//! [`run_byte`]s (token prefixes: `ghp_` and 36 more characters, see
//! `Rule::keyword_run`): found by searching only the runs that long. Prose
//! and JSON have few runs of 15 such bytes (words, numbers and ids are
//! shorter), so most of a clean text is never searched for them.

use super::assignments::{RUN, run_byte};
use super::index::Hit;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// The shortest run a keyword may ask for to be found this way; keywords
/// of rules content with shorter runs go to the packed searchers.
pub(super) const LONG_RUN: usize = 15;

const _: () = assert!(LONG_RUN >= RUN, "long runs are found among the marked runs");

/// Keywords found inside long runs.
#[derive(Debug, Clone, Default)]
pub(super) struct RunSearch {
    /// The keywords, case-insensitive.
    automaton: Option<AhoCorasick>,
    /// The index's pattern id of each keyword of the automaton.
    ids: Vec<usize>,
    /// The shortest run any keyword asks for.
    min: usize,
}

impl RunSearch {
    /// Whether a pattern can be found this way: every byte of it is a
    /// [`run_byte`], and its rules ask for a run of at least [`LONG_RUN`].
    pub(super) fn accepts(pattern: &str, min_run: usize) -> bool {
        min_run >= LONG_RUN && pattern.bytes().all(run_byte)
    }

    /// The search for `patterns` (id, lowercase keyword, the shortest run its
    /// rules ask for); `None` if the automaton cannot be built.
    pub(super) fn build(patterns: Vec<(usize, &str, usize)>) -> Option<Self> {
        if patterns.is_empty() {
            return Some(Self::default());
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(patterns.iter().map(|(_, p, _)| p))
            .ok()?;
        Some(Self {
            automaton: Some(automaton),
            ids: patterns.iter().map(|(id, _, _)| *id).collect(),
            min: patterns
                .iter()
                .map(|(_, _, min)| *min)
                .min()
                .unwrap_or(LONG_RUN),
        })
    }

    /// Whether there is nothing to search for.
    pub(super) fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// Appends every keyword occurrence in the run `text[start..end]` (a
    /// whole run of [`run_byte`]s), if it is long enough to hold one.
    pub(super) fn run(&self, text: &[u8], start: usize, end: usize, out: &mut Vec<Hit>) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        if end.saturating_sub(start) < self.min {
            return;
        }
        let Some(run) = text.get(start..end) else {
            return;
        };
        for m in automaton.find_overlapping_iter(run) {
            if let Some(id) = self.ids.get(m.pattern().as_usize()) {
                out.push(Hit {
                    pattern: *id,
                    start: start + m.start(),
                    end: start + m.end(),
                });
            }
        }
    }
}
