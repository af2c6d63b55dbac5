//! A set of rules with a keyword index (see `index`): the keyword
//! occurrences decide which rules run and where, so clean text costs about
//! one scan whatever the number of rules.

use super::index::KeywordIndex;
use super::{Allowlist, Finding, Rule, RuleError, builtin, gitleaks};

/// Detection rules and global allowlists.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub(super) rules: Vec<Rule>,
    pub(super) global: Vec<Allowlist>,
    pub(super) skipped: Vec<String>,
    pub(super) index: KeywordIndex,
}

impl RuleSet {
    /// No rules.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in rules: credentials of the providers agents most often
    /// touch (cloud keys, Git hosting, chat, payment and AI tokens, JWTs,
    /// private keys, URLs with passwords, assigned secrets).
    pub fn builtin() -> Self {
        Self::of(builtin::rules())
    }

    /// Exactly `rules`, indexed.
    pub(super) fn of(rules: Vec<Rule>) -> Self {
        let mut set = Self::empty();
        set.rules = rules;
        set.reindex();
        set
    }

    /// Rules from a gitleaks TOML rule file (see the [module](super) docs).
    pub fn from_gitleaks_toml(text: &str) -> Result<Self, RuleError> {
        let mut set = gitleaks::parse(text)?;
        set.reindex();
        Ok(set)
    }

    /// Adds a rule.
    #[must_use]
    pub fn with_rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self.reindex();
        self
    }

    /// Adds a global allowlist.
    #[must_use]
    pub fn with_allowlist(mut self, allowlist: Allowlist) -> Self {
        self.global.push(allowlist);
        self
    }

    /// This set and `other` together: a rule of `other` replaces the rule of
    /// this set with the same id (so a rule file overrides a built-in rule),
    /// and each set's global allowlists keep applying to its own rules only.
    #[must_use]
    pub fn merged(self, other: RuleSet) -> Self {
        let mut merged = Self::empty();
        let overridden: Vec<String> = other.ids().into_iter().map(str::to_owned).collect();
        for (set, replaceable) in [(self, true), (other, false)] {
            let global = set.global;
            merged.rules.extend(
                set.rules
                    .into_iter()
                    .filter(|rule| !(replaceable && overridden.iter().any(|id| id == rule.id())))
                    .map(|rule| global.iter().cloned().fold(rule, Rule::allow)),
            );
            merged.skipped.extend(set.skipped);
        }
        merged.reindex();
        merged
    }

    /// The rule ids.
    pub fn ids(&self) -> Vec<&str> {
        self.rules.iter().map(Rule::id).collect()
    }

    /// Rules of a loaded file that cannot apply to output (path-only rules).
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How many windows the rules would run in over `text`.
    #[cfg(test)]
    pub(crate) fn windows_in(&self, text: &str) -> usize {
        self.index.windows(&self.rules, text).len()
    }

    fn reindex(&mut self) {
        self.index = KeywordIndex::build(&self.rules);
    }

    /// Appends every finding of the rules whose keywords occur in `text`,
    /// each rule run only in the windows around its keywords.
    pub(crate) fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        let windows = self.index.windows(&self.rules, text);
        self.scan_in(text, &windows, out);
    }

    /// Appends the findings of each rule in its `windows` (rule, start, end;
    /// sorted by rule).
    pub(super) fn scan_in(
        &self,
        text: &str,
        windows: &[(usize, usize, usize)],
        out: &mut Vec<Finding>,
    ) {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut at = 0;
        while let Some(&(rule, _, _)) = windows.get(at) {
            spans.clear();
            spans.extend(
                windows
                    .iter()
                    .skip(at)
                    .take_while(|w| w.0 == rule)
                    .map(|w| (w.1, w.2)),
            );
            at += spans.len();
            if let Some(rule) = self.rules.get(rule) {
                rule.scan_windows(text, &spans, &self.global, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ids(set: &RuleSet, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        set.scan(text, &mut out);
        out.iter().map(|f| f.rule.to_string()).collect()
    }

    #[test]
    fn a_rule_runs_only_when_one_of_its_keywords_occurs() {
        // The regex alone would match "zz"; the keyword gates it.
        let set = RuleSet::empty().with_rule(Rule::new("gated", "zz").unwrap().keywords(["KEY"]));
        assert!(ids(&set, "zz").is_empty());
        assert_eq!(ids(&set, "key zz"), vec!["gated"]);
        let always = RuleSet::empty().with_rule(Rule::new("open", "zz").unwrap());
        assert_eq!(ids(&always, "zz"), vec!["open"]);
    }

    #[test]
    fn a_rule_runs_only_near_its_keywords() {
        let set = RuleSet::empty().with_rule(Rule::new("gated", "zz").unwrap().keywords(["KEY"]));
        let far = format!("key {} zz", "-".repeat(2 * crate::filter::index::AFTER));
        assert!(ids(&set, &far).is_empty());
        let before = format!("zz {} key", "-".repeat(2 * crate::filter::index::BEFORE));
        assert!(ids(&set, &before).is_empty());
        let near = format!("{} key zz", "-".repeat(2 * crate::filter::index::AFTER));
        assert_eq!(ids(&set, &near), vec!["gated"]);
    }

    #[test]
    fn an_exact_keyword_enables_its_rule_only_in_its_case() {
        let set = RuleSet::empty().with_rule(
            Rule::new("twilio", "[Ss][Kk][0-9a-f]{4}")
                .unwrap()
                .exact_keywords(["SK"]),
        );
        assert!(ids(&set, "asked sk12ab").is_empty());
        assert_eq!(ids(&set, "id SK12ab"), vec!["twilio"]);
    }

    #[test]
    fn a_keyword_without_its_context_does_not_enable_its_rule() {
        let set = RuleSet::empty().with_rule(
            Rule::new("acme", r"acme\w*\s*=\s*\w+")
                .unwrap()
                .keywords(["acme"])
                .keyword_context(r"\w*\s*=")
                .unwrap(),
        );
        assert!(ids(&set, "Acme Corp asked for acme_key").is_empty());
        assert_eq!(ids(&set, "acme_key = s3cr3t"), vec!["acme"]);
    }

    #[test]
    fn a_loaded_rule_replaces_the_built_in_rule_with_its_id() {
        let builtin = RuleSet::builtin();
        let n = builtin.len();
        let mine = RuleSet::empty().with_rule(Rule::new("jwt", "never-matches-anything").unwrap());
        let merged = builtin.merged(mine);
        assert_eq!(merged.len(), n);
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln";
        assert!(!ids(&RuleSet::builtin(), jwt).is_empty());
        assert!(ids(&merged, jwt).is_empty());
    }

    #[test]
    fn global_allowlists_stay_with_their_own_rules() {
        let strict = RuleSet::empty().with_rule(Rule::new("a", "tok_[0-9]+").unwrap());
        let lenient = RuleSet::empty()
            .with_rule(Rule::new("b", "key_[0-9]+").unwrap())
            .with_allowlist(Allowlist::default().stopwords(["1234"]));
        let merged = strict.merged(lenient);
        assert_eq!(ids(&merged, "tok_1234"), vec!["a"]);
        assert!(ids(&merged, "key_1234").is_empty());
    }
}
