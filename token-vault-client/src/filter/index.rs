//! The keyword index of a rule set (gitleaks' keyword prefilter): a rule
//! with keywords runs only where one of its keywords occurs. Each occurrence
//! that passes its rule's gate (exact case, what must follow it) opens a
//! window of text around it, and the rule's regex runs only in its merged
//! windows; rules without keywords run on the whole text.
//!
//! The occurrences are found without reading the text a byte at a time:
//! keywords that enable their rule only as the key of an assignment are
//! found from the assignments (see `assignments`), keywords that enable
//! their rule only inside a long run of value bytes by searching those runs
//! (see `runs`), the others with packed SIMD searchers (see `grams`). Each
//! finds every occurrence that can pass its gate, so the windows are those
//! of one case-insensitive Aho-Corasick pass over every keyword, which
//! remains the search for rule sets with too many keywords for the packed
//! searchers.

use super::Rule;
use super::assignments::{AssignmentSearch, RUN, each_run};
use super::grams::GramSearch;
use super::runs::RunSearch;
use super::scratch::{self, Scratch};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Bytes of text before a keyword occurrence that its rule's regex sees
/// (matches start at or shortly before their keyword: a prefix, a key name).
pub(super) const BEFORE: usize = 256;

/// Bytes of text after a keyword occurrence that its rule's regex sees:
/// enough for the longest credential formats (a PEM block of a 4096-bit
/// key). A match that reaches a window's edge is looked for in the whole
/// text (see [`Rule::scan_windows`]).
pub(super) const AFTER: usize = 8192;

/// Which rule one keyword pattern enables, and how.
#[derive(Debug, Clone)]
struct Gate {
    rule: usize,
    /// The occurrence must have exactly this case.
    exact: Option<Box<str>>,
}

/// Packed searchers read the text once each: more than this many and the
/// one Aho-Corasick pass is used instead.
const MAX_SEARCHERS: usize = 4;

/// One keyword occurrence: the pattern and its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Hit {
    pub(super) pattern: usize,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The searches that replace the Aho-Corasick pass.
#[derive(Debug, Clone)]
struct Fast {
    grams: GramSearch,
    assignments: AssignmentSearch,
    runs: RunSearch,
}

/// The index.
#[derive(Debug, Clone, Default)]
pub(super) struct KeywordIndex {
    /// Every keyword, case-insensitive.
    automaton: Option<AhoCorasick>,
    fast: Option<Fast>,
    /// For each pattern, the rules it enables.
    gates: Vec<Vec<Gate>>,
    /// Rules without keywords: they run on the whole text.
    always: Vec<usize>,
}

impl KeywordIndex {
    /// The index of `rules`.
    pub(super) fn build(rules: &[Rule]) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut gates: Vec<Vec<Gate>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keyword_list().is_empty() && rule.exact_keyword_list().is_empty() {
                always.push(i);
            }
            let folded = rule.keyword_list().iter().map(|k| (k.clone(), None));
            let exact = rule
                .exact_keyword_list()
                .iter()
                .map(|k| (k.to_ascii_lowercase(), Some(Box::from(k.as_str()))));
            for (pattern, exact) in folded.chain(exact) {
                let gate = Gate { rule: i, exact };
                match patterns.iter().position(|p| *p == pattern) {
                    Some(at) => {
                        if let Some(list) = gates.get_mut(at) {
                            list.push(gate);
                        }
                    }
                    None => {
                        patterns.push(pattern);
                        gates.push(vec![gate]);
                    }
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .ok();
        let fast = Fast::build(rules, &patterns, &gates);
        Self {
            automaton,
            fast,
            gates,
            always,
        }
    }

    /// The keyword occurrences that may pass their gates (all of those that
    /// do, maybe more).
    fn hits(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        match &self.fast {
            Some(fast) => scratch::with(|scratch| fast.find(text.as_bytes(), scratch, &mut hits)),
            None => self.every_hit(text, &mut hits),
        }
        hits
    }

    /// Every keyword occurrence, by the one Aho-Corasick pass.
    fn every_hit(&self, text: &str, hits: &mut Vec<Hit>) {
        if let Some(automaton) = &self.automaton {
            hits.extend(automaton.find_overlapping_iter(text).map(|m| Hit {
                pattern: m.pattern().as_usize(),
                start: m.start(),
                end: m.end(),
            }));
        }
    }

    /// The windows each rule runs in over `text`, as (rule, start, end),
    /// sorted by rule then start, overlapping windows of a rule merged.
    pub(super) fn windows(&self, rules: &[Rule], text: &str) -> Vec<(usize, usize, usize)> {
        self.gated(rules, text, self.hits(text))
    }

    /// The windows from every keyword occurrence, found by the one
    /// Aho-Corasick pass (what [`Self::windows`] must equal).
    #[cfg(test)]
    pub(super) fn reference_windows(
        &self,
        rules: &[Rule],
        text: &str,
    ) -> Vec<(usize, usize, usize)> {
        let mut hits = Vec::new();
        self.every_hit(text, &mut hits);
        self.gated(rules, text, hits)
    }

    /// Whether the packed and assignment searches are in use.
    #[cfg(test)]
    pub(super) fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// The windows opened by the `hits` that pass their gates.
    fn gated(&self, rules: &[Rule], text: &str, mut hits: Vec<Hit>) -> Vec<(usize, usize, usize)> {
        hits.sort_unstable();
        hits.dedup();
        let mut windows: Vec<(usize, usize, usize)> =
            self.always.iter().map(|i| (*i, 0, text.len())).collect();
        for hit in hits {
            let Some(gates) = self.gates.get(hit.pattern) else {
                continue;
            };
            for gate in gates {
                if let Some(exact) = &gate.exact
                    && text.as_bytes().get(hit.start..hit.end) != Some(exact.as_bytes())
                {
                    continue;
                }
                let Some(rule) = rules.get(gate.rule) else {
                    continue;
                };
                if !rule.run_holds(text.as_bytes(), hit.start, hit.end)
                    || !rule.context_follows(text, hit.end)
                {
                    continue;
                }
                windows.push((
                    gate.rule,
                    hit.start.saturating_sub(BEFORE),
                    hit.end.saturating_add(AFTER).min(text.len()),
                ));
            }
        }
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(windows.len());
        for w in windows {
            match merged.last_mut() {
                Some(last) if last.0 == w.0 && w.1 <= last.2 => last.2 = last.2.max(w.2),
                _ => merged.push(w),
            }
        }
        merged
    }
}

impl Fast {
    /// Keywords whose every gate is an assignment go to the assignment
    /// search, keywords whose every gate asks for a long run to the run
    /// search, the others to the packed searchers; `None` if those would
    /// need too many searchers.
    fn build(rules: &[Rule], patterns: &[String], gates: &[Vec<Gate>]) -> Option<Self> {
        let mut by_assignment = Vec::new();
        let mut by_run = Vec::new();
        let mut by_piece = Vec::new();
        let mut key_chars = 0;
        for (id, (pattern, gates)) in patterns.iter().zip(gates).enumerate() {
            let hints: Option<Vec<_>> = gates
                .iter()
                .map(|gate| {
                    gate.exact
                        .is_none()
                        .then(|| rules.get(gate.rule)?.assignment_hint())
                        .flatten()
                })
                .collect();
            match hints.filter(|hints| {
                !hints.is_empty()
                    && hints.iter().all(|h| h.min_value >= RUN)
                    && AssignmentSearch::accepts(pattern)
            }) {
                Some(hints) => {
                    key_chars = hints
                        .iter()
                        .map(|h| h.key_chars)
                        .fold(key_chars, usize::max);
                    by_assignment.push((id, pattern.as_str()));
                }
                None => match shortest_run(rules, gates) {
                    Some(min) if RunSearch::accepts(pattern, min) => {
                        by_run.push((id, pattern.as_str(), min));
                    }
                    _ => by_piece.push((id, pattern.as_str())),
                },
            }
        }
        Some(Self {
            grams: GramSearch::build(by_piece, MAX_SEARCHERS)?,
            assignments: AssignmentSearch::build(by_assignment, key_chars),
            runs: RunSearch::build(by_run)?,
        })
    }

    /// Appends the keyword occurrences in `text` that may pass their gates.
    fn find(&self, text: &[u8], scratch: &mut Scratch, out: &mut Vec<Hit>) {
        if !(self.assignments.is_empty() && self.runs.is_empty()) {
            each_run(text, scratch.runs(text), |start, end| {
                self.assignments.run(text, start, end, out);
                self.runs.run(text, start, end, out);
            });
        }
        self.grams.find(text, out);
    }
}

/// The shortest run that the gates of a keyword ask for; `None` if one of
/// them asks for none.
fn shortest_run(rules: &[Rule], gates: &[Gate]) -> Option<usize> {
    gates
        .iter()
        .map(|gate| rules.get(gate.rule)?.run_hint())
        .try_fold(usize::MAX, |min, run| Some(min.min(run?)))
        .filter(|min| *min < usize::MAX)
}
