//! The output credential filter: scans agent output (text and JSON) before it
//! reaches a person, for exact values held in the vault (raw, base64,
//! URL-encoded and JSON-escaped) and for credentials by rule (JWTs, OAuth
//! bearer tokens of major providers, cloud keys, private keys). Redacts or blocks.
//! [`OutputFilterLayer`] applies it to tools' outputs as a `tower::Layer`.
//!
//! Rules follow the gitleaks model (regex, secret group, entropy, keywords,
//! allowlists); users load their own gitleaks rule files beside the built-in
//! rules:
//!
//! ```
//! use token_vault_client::filter::{FilterMode, OutputFilter, RuleSet};
//!
//! let mine = RuleSet::from_gitleaks_toml(
//!     "[[rules]]\nid = \"acme-token\"\nregex = 'acme_[a-z0-9]{24}'\nkeywords = [\"acme_\"]\n",
//! )?;
//! let filter = OutputFilter::new(FilterMode::Redact).with_rules(mine);
//! let out = filter.filter_text("your key is acme_q8zr2lmx7pwd0k3n5v9y4b6c")?;
//! assert_eq!(out, "your key is [REDACTED:acme-token]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod allowlist;
mod assignments;
mod builtin;
#[cfg(test)]
mod differential;
mod encodings;
mod entropy;
mod gitleaks;
mod grams;
mod index;
mod layer;
mod rule;
mod ruleset;
mod runs;
mod scratch;

pub use allowlist::{AllowCondition, AllowTarget, Allowlist};
pub use encodings::encodings;
pub use layer::{OutputFilterLayer, OutputFilterService};
pub use rule::Rule;
pub use ruleset::RuleSet;

use agent_auth::secret::SecretString;
use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;
use std::sync::Arc;

/// What to do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterMode {
    /// Replace each finding with `[REDACTED:<rule>]`.
    #[default]
    Redact,
    /// Refuse the whole output.
    Block,
}

/// One credential found in output (positions only; never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule (`vault-value` for exact vault values).
    pub rule: Arc<str>,
    /// Byte range in the scanned text.
    pub start: usize,
    /// End of the range.
    pub end: usize,
}

/// The output was blocked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("output blocked: {} credential(s) found ({})", findings.len(), rules(findings))]
pub struct Blocked {
    /// What was found.
    pub findings: Vec<Finding>,
}

fn rules(f: &[Finding]) -> String {
    let mut r: Vec<&str> = f.iter().map(|f| &*f.rule).collect();
    r.sort_unstable();
    r.dedup();
    r.join(", ")
}

/// A rule or rule file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The rule file is not valid TOML or not in the gitleaks shape.
    #[error("rule file: {0}")]
    Syntax(String),
    /// A regex does not compile.
    #[error("rule {rule}: invalid regex: {reason}")]
    Regex {
        /// The rule (or `allowlist`).
        rule: String,
        /// The regex compiler's message.
        reason: String,
    },
    /// A field has a value the model does not allow.
    #[error("rule {rule}: {what}")]
    Invalid {
        /// The rule.
        rule: String,
        /// What is wrong.
        what: &'static str,
    },
}

/// The filter.
pub struct OutputFilter {
    mode: FilterMode,
    exact: Option<AhoCorasick>,
    rules: RuleSet,
}

impl std::fmt::Debug for OutputFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFilter")
            .field("mode", &self.mode)
            .field(
                "exact_patterns",
                &self.exact.as_ref().map_or(0, AhoCorasick::patterns_len),
            )
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl OutputFilter {
    /// A filter with the built-in rules and no exact values.
    pub fn new(mode: FilterMode) -> Self {
        Self::with_only(mode, RuleSet::builtin())
    }

    /// A filter with exactly `rules` (no built-in rules).
    pub fn with_only(mode: FilterMode, rules: RuleSet) -> Self {
        Self {
            mode,
            exact: None,
            rules,
        }
    }

    /// Adds rules (e.g. [`RuleSet::from_gitleaks_toml`]) to the filter's own.
    #[must_use]
    pub fn with_rules(mut self, rules: RuleSet) -> Self {
        self.rules = std::mem::take(&mut self.rules).merged(rules);
        self
    }

    /// Adds exact values (e.g. [`Vault::secret_values`](crate::Vault::secret_values));
    /// values shorter than 8 bytes are skipped (too many false hits).
    #[must_use]
    pub fn with_values(mut self, values: &[SecretString]) -> Self {
        let mut patterns: Vec<String> = values
            .iter()
            .map(SecretString::expose_secret)
            .filter(|v| v.len() >= 8)
            .flat_map(encodings)
            .collect();
        patterns.sort();
        patterns.dedup();
        self.exact = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        use zeroize::Zeroize as _;
        for mut p in patterns {
            p.zeroize();
        }
        self
    }

    /// The rule ids.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.rules.ids()
    }

    /// Every finding in `text`, sorted, overlaps merged.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut found = Vec::new();
        if let Some(ac) = &self.exact {
            let vault_value: Arc<str> = Arc::from("vault-value");
            for m in ac.find_iter(text) {
                found.push(Finding {
                    rule: Arc::clone(&vault_value),
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        self.rules.scan(text, &mut found);
        found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut merged: Vec<Finding> = Vec::new();
        for f in found {
            match merged.last_mut() {
                Some(last) if f.start < last.end => last.end = last.end.max(f.end),
                _ => merged.push(f),
            }
        }
        merged
    }

    /// Filters text: redacted copy, or [`Blocked`].
    pub fn filter_text(&self, text: &str) -> Result<String, Blocked> {
        let findings = self.scan(text);
        if findings.is_empty() {
            return Ok(text.to_owned());
        }
        if self.mode == FilterMode::Block {
            return Err(Blocked { findings });
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in &findings {
            out.push_str(text.get(at..f.start).unwrap_or_default());
            out.push_str("[REDACTED:");
            out.push_str(&f.rule);
            out.push(']');
            at = f.end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        Ok(out)
    }

    /// Filters every string (keys and values) of a JSON document.
    pub fn filter_json(&self, value: &Value) -> Result<Value, Blocked> {
        Ok(match value {
            Value::String(s) => Value::String(self.filter_text(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.filter_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(self.filter_text(k)?, self.filter_json(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(
            OutputFilter::new(FilterMode::Redact).rule_ids().len(),
            RuleSet::builtin().len()
        );
    }

    #[test]
    fn exact_values_in_every_encoding_are_redacted_and_blocked() {
        let secret = "ya29.a0AfB_byC-very/secret+token=";
        let f = OutputFilter::new(FilterMode::Redact).with_values(&[SecretString::new(secret)]);
        for form in encodings(secret) {
            let text = format!("here you go: {form} (done)");
            let out = f.filter_text(&text).unwrap();
            assert!(!out.contains(&form), "{form} survived: {out}");
            assert!(out.contains("[REDACTED:"));
        }
        let json =
            serde_json::json!({"reply": format!("token {secret}"), "n": 1, "list": [secret]});
        let out = f.filter_json(&json).unwrap().to_string();
        assert!(!out.contains("very/secret"));
        let block = OutputFilter::new(FilterMode::Block).with_values(&[SecretString::new(secret)]);
        let err = block.filter_json(&json).unwrap_err();
        assert!(!err.to_string().contains("secret+token"));
        assert_eq!(
            block.filter_text("nothing to see").unwrap(),
            "nothing to see"
        );
    }
}
