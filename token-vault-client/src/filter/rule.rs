//! One detection rule in the gitleaks model: a regex, the capture group that
//! holds the secret, a minimum entropy, keywords that must occur for the rule
//! to run, and allowlists. Built-in rules may narrow their keywords further:
//! keywords matched with their exact case, what must follow a keyword, and
//! the run of token bytes a keyword must lie in.

use super::allowlist::{Allowlist, compile};
use super::assignments::run_byte;
use super::{Finding, RuleError, entropy};
use regex::Regex;
use std::sync::Arc;

/// A detection rule.
#[derive(Debug, Clone)]
pub struct Rule {
    id: Arc<str>,
    regex: Regex,
    secret_group: Option<usize>,
    min_entropy: Option<f64>,
    keywords: Vec<String>,
    exact_keywords: Vec<String>,
    context: Option<Regex>,
    assignment: Option<Assignment>,
    run: Option<usize>,
    groups: bool,
    allowlists: Vec<Allowlist>,
}

/// How many bytes after a keyword its context is looked for in.
const CONTEXT_SPAN: usize = 96;

/// What a rule's keyword context implies when the keyword is the key of an
/// assignment: an operator (`=`, `:`, `>`, `|`, `?` or `,`) within `key_chars`
/// characters after the keyword (only word characters, `.`, `-`, spaces and
/// quotes between them), then, after at most a few quotes, spaces and
/// operator characters, a value of at least `min_value` bytes of
/// `[A-Za-z0-9_\-+/=.~]`. Such keywords are found from the assignment side
/// (see `assignments`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Assignment {
    /// Most characters between the keyword's end and the operator.
    pub(crate) key_chars: usize,
    /// Fewest bytes of the value.
    pub(crate) min_value: usize,
}

/// A match touched an edge of a window that is not an edge of the text: the
/// window may have cut it.
struct Cut;

impl Rule {
    /// A rule named `id` flagging what `regex` matches.
    pub fn new(id: &str, regex: &str) -> Result<Self, RuleError> {
        if id.is_empty() {
            return Err(RuleError::Invalid {
                rule: String::new(),
                what: "a rule needs an id",
            });
        }
        let regex = compile(id, regex)?;
        Ok(Self {
            id: Arc::from(id),
            groups: regex.captures_len() > 1,
            regex,
            secret_group: None,
            min_entropy: None,
            keywords: Vec::new(),
            exact_keywords: Vec::new(),
            context: None,
            assignment: None,
            run: None,
            allowlists: Vec::new(),
        })
    }

    /// The capture group holding the secret (gitleaks `secretGroup`). Without
    /// it, the first non-empty group is the secret, or the whole match.
    pub fn secret_group(mut self, group: usize) -> Result<Self, RuleError> {
        if group >= self.regex.captures_len() {
            return Err(RuleError::Invalid {
                rule: self.id.to_string(),
                what: "secretGroup names a group the regex does not have",
            });
        }
        self.secret_group = Some(group);
        Ok(self)
    }

    /// The secret's Shannon entropy must exceed `bits` (gitleaks `entropy`).
    #[must_use]
    pub fn entropy(mut self, bits: f64) -> Self {
        self.min_entropy = (bits > 0.0).then_some(bits);
        self
    }

    /// The rule runs only on text containing one of these (case-insensitive).
    #[must_use]
    pub fn keywords<I, S>(mut self, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.keywords.extend(
            keywords
                .into_iter()
                .map(|k| k.as_ref().to_ascii_lowercase())
                .filter(|k| !k.is_empty()),
        );
        self
    }

    /// Keywords that enable the rule only with this exact case (for a
    /// case-sensitive regex whose prefix, folded, is common in prose: `SK`
    /// of Twilio keys is not the `sk` of "asked").
    #[must_use]
    pub fn exact_keywords<I, S>(mut self, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.exact_keywords.extend(
            keywords
                .into_iter()
                .map(|k| k.as_ref().to_owned())
                .filter(|k| !k.is_empty()),
        );
        self
    }

    /// What must follow a keyword occurrence (a regex anchored right after
    /// it, over at most 96 bytes) for that occurrence to enable the rule: a
    /// necessary part of the rule's own match, checked before the rule's
    /// regex runs (`stripe` must be followed by an assignment of a value).
    pub fn keyword_context(mut self, regex: &str) -> Result<Self, RuleError> {
        self.context = Some(compile(&self.id, &format!("^(?:{regex})"))?);
        Ok(self)
    }

    /// Declares what the keyword context implies (see [`Assignment`]); the
    /// context must not hold without it.
    #[must_use]
    pub(crate) fn assignment(mut self, assignment: Assignment) -> Self {
        self.assignment = Some(assignment);
        self
    }

    /// A keyword occurrence enables the rule only inside a run of at least
    /// `min` bytes of `[A-Za-z0-9_\-+/=.~]` or of non-ASCII characters, as
    /// for a token prefix whose every match holds such a run around the
    /// keyword (`ghp_` and 36 more). Such keywords are found by searching
    /// only the long runs of a text (see `runs`).
    #[must_use]
    pub(crate) fn keyword_run(mut self, min: usize) -> Self {
        self.run = Some(min);
        self
    }

    /// Adds an allowlist.
    #[must_use]
    pub fn allow(mut self, allowlist: Allowlist) -> Self {
        self.allowlists.push(allowlist);
        self
    }

    /// The rule's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The case-insensitive keywords (lowercase).
    pub(crate) fn keyword_list(&self) -> &[String] {
        &self.keywords
    }

    /// The keywords matched with their exact case.
    pub(crate) fn exact_keyword_list(&self) -> &[String] {
        &self.exact_keywords
    }

    /// What the keyword context implies, for a rule that declared it.
    pub(crate) fn assignment_hint(&self) -> Option<Assignment> {
        self.assignment.filter(|_| self.context.is_some())
    }

    /// The run a keyword occurrence must lie in, for a rule that declared it.
    pub(crate) fn run_hint(&self) -> Option<usize> {
        self.run
    }

    /// Whether the keyword occurrence `text[start..end]` lies in a run (see
    /// [`Rule::keyword_run`]) as long as the rule asks (always, for a rule without one).
    pub(crate) fn run_holds(&self, text: &[u8], start: usize, end: usize) -> bool {
        let Some(min) = self.run else {
            return true;
        };
        if !text
            .get(start..end)
            .is_some_and(|k| k.iter().all(|b| run_byte(*b)))
        {
            return false;
        }
        let (mut from, mut to) = (start, end);
        while to - from < min && text.get(to).is_some_and(|b| run_byte(*b)) {
            to += 1;
        }
        while to - from < min && from > 0 && text.get(from - 1).is_some_and(|b| run_byte(*b)) {
            from -= 1;
        }
        to - from >= min
    }

    /// Whether a keyword occurrence ending at `at` has the rule's context
    /// after it (always, for a rule without one).
    pub(crate) fn context_follows(&self, text: &str, at: usize) -> bool {
        let Some(context) = &self.context else {
            return true;
        };
        let (start, end) = snap(text, at, at.saturating_add(CONTEXT_SPAN));
        text.get(start..end)
            .is_some_and(|after| context.is_match(after))
    }

    /// Appends the rule's findings in `windows` (byte ranges of `text`,
    /// sorted), minus what `global` allows. A match cut by a window's edge
    /// sends the rule over the whole text instead, so a window never loses
    /// or shortens a match that reaches its edge.
    pub(crate) fn scan_windows(
        &self,
        text: &str,
        windows: &[(usize, usize)],
        global: &[Allowlist],
        out: &mut Vec<Finding>,
    ) {
        let mark = out.len();
        for &(start, end) in windows {
            if self.scan_range(text, start, end, global, out).is_err() {
                out.truncate(mark);
                // The whole text has no inner edge: nothing is cut.
                let _ = self.scan_range(text, 0, text.len(), global, out);
                return;
            }
        }
    }

    /// Appends the findings in `text[start..end]` (widened to character
    /// boundaries): `find_iter` first, the capture groups only of a match.
    fn scan_range(
        &self,
        text: &str,
        start: usize,
        end: usize,
        global: &[Allowlist],
        out: &mut Vec<Finding>,
    ) -> Result<(), Cut> {
        let (start, end) = snap(text, start, end);
        let Some(hay) = text.get(start..end) else {
            return Ok(());
        };
        for whole in self.regex.find_iter(hay) {
            if whole.is_empty() {
                continue;
            }
            if (whole.start() == 0 && start > 0) || (whole.end() == hay.len() && end < text.len()) {
                return Err(Cut);
            }
            let secret = if self.groups {
                self.regex
                    .captures_at(hay, whole.start())
                    .and_then(|caps| self.secret_of(&caps))
            } else {
                Some((whole.start(), whole.end()))
            };
            let Some((from, to)) = secret.filter(|(from, to)| from < to) else {
                continue;
            };
            let secret = hay.get(from..to).unwrap_or_default();
            if self
                .min_entropy
                .is_some_and(|min| entropy::shannon(secret) <= min)
            {
                continue;
            }
            let line = line_around(text, start + whole.start(), start + whole.end());
            let allowed = self
                .allowlists
                .iter()
                .chain(global)
                .any(|list| list.allows(secret, whole.as_str(), line));
            if !allowed {
                out.push(Finding {
                    rule: Arc::clone(&self.id),
                    start: start + from,
                    end: start + to,
                });
            }
        }
        Ok(())
    }

    /// The secret's range in a match: the named group, else the first
    /// non-empty group, else the whole match.
    fn secret_of(&self, caps: &regex::Captures<'_>) -> Option<(usize, usize)> {
        let whole = caps.get(0)?;
        let secret = match self.secret_group {
            Some(group) => caps.get(group),
            None => caps
                .iter()
                .skip(1)
                .flatten()
                .find(|m| !m.is_empty())
                .or(Some(whole)),
        };
        secret.map(|m| (m.start(), m.end()))
    }
}

/// `start..end` clamped to `text` and widened to character boundaries.
pub(crate) fn snap(text: &str, start: usize, end: usize) -> (usize, usize) {
    let mut start = start.min(text.len());
    let mut end = end.min(text.len()).max(start);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// The line(s) of `text` holding `start..end`.
fn line_around(text: &str, start: usize, end: usize) -> &str {
    let from = text
        .get(..start)
        .and_then(|head| head.rfind('\n'))
        .map_or(0, |i| i + 1);
    let to = text
        .get(end..)
        .and_then(|tail| tail.find('\n'))
        .map_or(text.len(), |i| end + i);
    text.get(from..to).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::filter::{AllowCondition, AllowTarget};

    fn scan(rule: &Rule, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        rule.scan_windows(text, &[(0, text.len())], &[], &mut out);
        out.iter().map(|f| (f.start, f.end)).collect()
    }

    #[test]
    fn the_secret_is_the_named_group_or_the_first_non_empty_one() {
        let rule = Rule::new("kv", r"(?:(a)|(k))=(\w+)").unwrap();
        assert_eq!(scan(&rule, "k=s3cret"), vec![(0, 1)]);
        let named = Rule::new("kv", r"(k)=(\w+)")
            .unwrap()
            .secret_group(2)
            .unwrap();
        assert_eq!(scan(&named, "k=s3cret"), vec![(2, 8)]);
        assert!(matches!(
            Rule::new("kv", r"(k)=(\w+)").unwrap().secret_group(3),
            Err(RuleError::Invalid { .. })
        ));
    }

    #[test]
    fn low_entropy_secrets_are_not_findings() {
        let rule = Rule::new("e", r"key=(\w+)").unwrap().entropy(3.0);
        assert!(scan(&rule, "key=aaaaaaaaaaaa").is_empty());
        assert_eq!(scan(&rule, "key=q8Zr2LmX7pWd").len(), 1);
    }

    #[test]
    fn allowlisted_findings_are_dropped_and_the_line_target_sees_the_line() {
        let rule = Rule::new("e", r"key=(\w+)").unwrap().allow(
            Allowlist::new(AllowCondition::Or, AllowTarget::Line)
                .regexes("e", ["^# example"])
                .unwrap(),
        );
        assert!(scan(&rule, "x\n# example key=q8Zr2LmX7pWd\ny").is_empty());
        assert_eq!(scan(&rule, "x\nkey=q8Zr2LmX7pWd # example").len(), 1);
    }

    #[test]
    fn a_match_cut_by_a_window_edge_is_found_whole_in_the_text() {
        let rule = Rule::new("long", r"tok_[a-z]{20,}").unwrap();
        let text = format!("xx tok_{} yy", "a".repeat(40));
        let mut out = Vec::new();
        // The window ends inside the token: the rule reruns on the text.
        rule.scan_windows(&text, &[(0, 30)], &[], &mut out);
        assert_eq!(
            out.iter().map(|f| (f.start, f.end)).collect::<Vec<_>>(),
            vec![(3, 47)]
        );
    }

    #[test]
    fn windows_snap_to_character_boundaries() {
        let text = "é tok_abcdefghijklmnopqrstu é";
        assert_eq!(snap(text, 1, 100), (0, text.len()));
        let rule = Rule::new("long", r"tok_[a-z]{20,}").unwrap();
        let mut out = Vec::new();
        rule.scan_windows(text, &[(1, text.len() - 1)], &[], &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn a_keyword_context_must_follow_the_keyword() {
        let rule = Rule::new("kv", r"stripe\w*\s*=\s*(\w{10,})")
            .unwrap()
            .keyword_context(r"\w*\s*=")
            .unwrap();
        assert!(rule.context_follows("stripe_key = abc", 6));
        assert!(!rule.context_follows("stripe is a company", 6));
        assert!(matches!(
            Rule::new("kv", "a").unwrap().keyword_context("("),
            Err(RuleError::Regex { .. })
        ));
    }

    #[test]
    fn a_bad_regex_or_empty_id_is_a_typed_error() {
        assert!(matches!(Rule::new("r", "("), Err(RuleError::Regex { .. })));
        assert!(matches!(Rule::new("", "a"), Err(RuleError::Invalid { .. })));
    }
}
