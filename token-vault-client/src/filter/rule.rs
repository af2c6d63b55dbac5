//! One detection rule in the gitleaks model: a regex, the capture group that
//! holds the secret, a minimum entropy, keywords that must occur for the rule
//! to run, and allowlists.

use super::allowlist::{Allowlist, compile};
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
    allowlists: Vec<Allowlist>,
}

impl Rule {
    /// A rule named `id` flagging what `regex` matches.
    pub fn new(id: &str, regex: &str) -> Result<Self, RuleError> {
        if id.is_empty() {
            return Err(RuleError::Invalid {
                rule: String::new(),
                what: "a rule needs an id",
            });
        }
        Ok(Self {
            id: Arc::from(id),
            regex: compile(id, regex)?,
            secret_group: None,
            min_entropy: None,
            keywords: Vec::new(),
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

    pub(crate) fn keyword_list(&self) -> &[String] {
        &self.keywords
    }

    /// Appends the rule's findings in `text`, minus what `global` allows.
    pub(crate) fn scan(&self, text: &str, global: &[Allowlist], out: &mut Vec<Finding>) {
        for caps in self.regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let secret = match self.secret_group {
                Some(group) => caps.get(group),
                None => caps
                    .iter()
                    .skip(1)
                    .flatten()
                    .find(|m| !m.is_empty())
                    .or(Some(whole)),
            };
            let Some(secret) = secret.filter(|m| !m.is_empty()) else {
                continue;
            };
            if self
                .min_entropy
                .is_some_and(|min| entropy::shannon(secret.as_str()) <= min)
            {
                continue;
            }
            let line = line_around(text, whole.start(), whole.end());
            let allowed = self
                .allowlists
                .iter()
                .chain(global)
                .any(|list| list.allows(secret.as_str(), whole.as_str(), line));
            if !allowed {
                out.push(Finding {
                    rule: Arc::clone(&self.id),
                    start: secret.start(),
                    end: secret.end(),
                });
            }
        }
    }
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
        rule.scan(text, &[], &mut out);
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
    fn a_bad_regex_or_empty_id_is_a_typed_error() {
        assert!(matches!(Rule::new("r", "("), Err(RuleError::Regex { .. })));
        assert!(matches!(Rule::new("", "a"), Err(RuleError::Invalid { .. })));
    }
}
