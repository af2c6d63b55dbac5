//! Allowlists: what a rule matched but is not a secret (gitleaks'
//! `[[rules.allowlists]]` and global `[allowlist]` model).

use super::RuleError;
use regex::{Regex, RegexBuilder};

/// Which text an allowlist's regexes are matched against (gitleaks `regexTarget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowTarget {
    /// The secret alone (the default).
    #[default]
    Secret,
    /// The rule's whole match.
    Match,
    /// The line that holds the match.
    Line,
}

/// How an allowlist's criteria combine (gitleaks `condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowCondition {
    /// Any criterion allows the finding (the default).
    #[default]
    Or,
    /// Every criterion present must hold.
    And,
}

/// One allowlist. Criteria about files and commits (gitleaks `paths`,
/// `commits`) never hold for agent output: with `Or` they are ignored, with
/// `And` they make the allowlist inapplicable.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    condition: AllowCondition,
    target: AllowTarget,
    regexes: Vec<Regex>,
    stopwords: Vec<String>,
    file_criteria: bool,
}

impl Allowlist {
    /// An empty allowlist (allows nothing until given criteria).
    pub fn new(condition: AllowCondition, target: AllowTarget) -> Self {
        Self {
            condition,
            target,
            ..Self::default()
        }
    }

    /// Adds regexes matched against the target; `owner` names the rule in errors.
    pub fn regexes<I, S>(mut self, owner: &str, regexes: I) -> Result<Self, RuleError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for pattern in regexes {
            self.regexes.push(compile(owner, pattern.as_ref())?);
        }
        Ok(self)
    }

    /// Adds stopwords: a secret containing one (case-insensitively) is allowed.
    #[must_use]
    pub fn stopwords<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.stopwords
            .extend(words.into_iter().map(|w| w.as_ref().to_ascii_lowercase()));
        self
    }

    /// Records that the allowlist also names files or commits.
    #[must_use]
    pub fn with_file_criteria(mut self) -> Self {
        self.file_criteria = true;
        self
    }

    /// Whether the finding (`secret` inside `whole`, on `line`) is allowed.
    pub(crate) fn allows(&self, secret: &str, whole: &str, line: &str) -> bool {
        let target = match self.target {
            AllowTarget::Secret => secret,
            AllowTarget::Match => whole,
            AllowTarget::Line => line,
        };
        let regex_hit =
            (!self.regexes.is_empty()).then(|| self.regexes.iter().any(|r| r.is_match(target)));
        let stopword_hit = (!self.stopwords.is_empty()).then(|| {
            let lower = secret.to_ascii_lowercase();
            self.stopwords.iter().any(|w| lower.contains(w.as_str()))
        });
        let file_hit = self.file_criteria.then_some(false);
        let criteria = [regex_hit, stopword_hit, file_hit].into_iter().flatten();
        match self.condition {
            AllowCondition::Or => criteria.into_iter().any(|hit| hit),
            AllowCondition::And => {
                let hits: Vec<bool> = criteria.collect();
                !hits.is_empty() && hits.iter().all(|hit| *hit)
            }
        }
    }
}

/// Compiles a rule or allowlist regex. Some published rules exceed the regex
/// crate's default compiled-size limit, so the limit is raised.
pub(crate) fn compile(owner: &str, pattern: &str) -> Result<Regex, RuleError> {
    RegexBuilder::new(pattern)
        .size_limit(1 << 28)
        .build()
        .map_err(|e| RuleError::Regex {
            rule: owner.to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn or_allows_on_any_criterion_and_ignores_file_criteria() {
        let list = Allowlist::new(AllowCondition::Or, AllowTarget::Secret)
            .regexes("r", ["^EXAMPLE"])
            .unwrap()
            .stopwords(["dummy"])
            .with_file_criteria();
        assert!(list.allows("EXAMPLEKEY", "k=EXAMPLEKEY", "k=EXAMPLEKEY"));
        assert!(list.allows("xxDUMMYxx", "", ""));
        assert!(!list.allows("s3cr3t", "", ""));
    }

    #[test]
    fn and_needs_every_criterion_and_file_criteria_never_hold() {
        let both = Allowlist::new(AllowCondition::And, AllowTarget::Line)
            .regexes("r", ["LICENSE"])
            .unwrap()
            .stopwords(["abc"]);
        assert!(both.allows("abc123", "x", "LICENSE = abc123"));
        assert!(!both.allows("zzz123", "x", "LICENSE = zzz123"));
        let with_paths = Allowlist::new(AllowCondition::And, AllowTarget::Line)
            .regexes("r", ["LICENSE"])
            .unwrap()
            .with_file_criteria();
        assert!(!with_paths.allows("abc", "x", "LICENSE = abc"));
        assert!(!Allowlist::default().allows("a", "a", "a"));
    }

    #[test]
    fn the_target_selects_the_text_matched() {
        let on_match = Allowlist::new(AllowCondition::Or, AllowTarget::Match)
            .regexes("r", ["^public_key"])
            .unwrap();
        assert!(on_match.allows("s3cr3t", "public_key = s3cr3t", "x"));
        assert!(!on_match.allows("public_key", "k = public_key", "x"));
    }
}
