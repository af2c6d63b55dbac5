//! The keyword index of a rule set (gitleaks' keyword prefilter): one
//! case-insensitive Aho-Corasick pass finds every keyword occurrence, and a
//! rule with keywords runs only where one of its keywords occurs. Each
//! occurrence that passes its rule's gate (exact case, what must follow it)
//! opens a window of text around it, and the rule's regex runs only in its
//! merged windows; rules without keywords run on the whole text. Clean text
//! costs the one pass.

use super::Rule;
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

/// The index.
#[derive(Debug, Clone, Default)]
pub(super) struct KeywordIndex {
    automaton: Option<AhoCorasick>,
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
        Self {
            automaton,
            gates,
            always,
        }
    }

    /// The windows each rule runs in over `text`, as (rule, start, end),
    /// sorted by rule then start, overlapping windows of a rule merged.
    pub(super) fn windows(&self, rules: &[Rule], text: &str) -> Vec<(usize, usize, usize)> {
        let mut windows: Vec<(usize, usize, usize)> =
            self.always.iter().map(|i| (*i, 0, text.len())).collect();
        if let Some(automaton) = &self.automaton {
            for hit in automaton.find_overlapping_iter(text) {
                let Some(gates) = self.gates.get(hit.pattern().as_usize()) else {
                    continue;
                };
                for gate in gates {
                    if let Some(exact) = &gate.exact
                        && text.as_bytes().get(hit.start()..hit.end()) != Some(exact.as_bytes())
                    {
                        continue;
                    }
                    let Some(rule) = rules.get(gate.rule) else {
                        continue;
                    };
                    if !rule.context_follows(text, hit.end()) {
                        continue;
                    }
                    windows.push((
                        gate.rule,
                        hit.start().saturating_sub(BEFORE),
                        hit.end().saturating_add(AFTER).min(text.len()),
                    ));
                }
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
