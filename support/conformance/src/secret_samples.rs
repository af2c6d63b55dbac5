//! Samples derived from a gitleaks rule file (which carries no literal
//! samples), to measure a secret filter against it:
//! - positives: strings generated from each rule's regex (word boundaries and
//!   anchors dropped for generation), kept only if the original rule matches
//!   them and they exceed the rule's entropy threshold;
//! - negatives: gitleaks' own "not a secret" material: strings generated from
//!   every allowlist regex, and every stopword.
//!
//! Generation is seeded: the same file gives the same samples.

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use regex_syntax::hir::{Hir, HirKind};

const PER_RULE: usize = 5;

fn strip_looks(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Concat(v) => Hir::concat(v.iter().map(strip_looks).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(strip_looks).collect()),
        HirKind::Repetition(r) => {
            let mut r = r.clone();
            // Keep generated strings short.
            if r.max.is_none_or(|m| m > 64) {
                r.max = Some(r.min.max(64));
            }
            r.sub = Box::new(strip_looks(&r.sub));
            Hir::repetition(r)
        }
        HirKind::Capture(c) => {
            let mut c = c.clone();
            c.sub = Box::new(strip_looks(&c.sub));
            Hir::capture(c)
        }
        _ => h.clone(),
    }
}

fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for ch in s.chars() {
        *counts.entry(ch).or_insert(0u32) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|c| f64::from(*c) / n)
        .map(|p| -p * p.log2())
        .sum()
}

fn samples(pattern: &str, n: usize, seed: u8, accept: impl Fn(&str) -> bool) -> Vec<String> {
    // ASCII classes first (samples look like real output), Unicode if the rule needs it.
    let parsed = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .build()
        .parse(pattern)
        .ok()
        .or_else(|| {
            regex_syntax::ParserBuilder::new()
                .build()
                .parse(pattern)
                .ok()
        });
    let Some(hir) = parsed else { return vec![] };
    let hir = strip_looks(&hir);
    let Ok(strategy) = proptest::string::string_regex_parsed(&hir) else {
        return vec![];
    };
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    let mut out = Vec::new();
    for _ in 0..n * 10 {
        if out.len() == n {
            break;
        }
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            break;
        };
        let s = tree.current();
        if s.is_ascii() && accept(&s) {
            out.push(s);
        }
    }
    out
}

/// True positives (generated from each rule's regex) and "not a secret"
/// samples (from allowlists and stopwords) derived from a gitleaks file.
#[derive(Debug)]
pub struct Samples {
    /// Strings each rule flags (as gitleaks would).
    pub positives: Vec<String>,
    /// "Not a secret" strings.
    pub negatives: Vec<String>,
    /// Rules that yielded at least one positive.
    pub rules_sampled: usize,
}

/// The samples of a gitleaks rule file, or `None` if it is not one.
pub fn derive(gitleaks_toml: &str) -> Option<Samples> {
    let doc: toml::Value = toml::from_str(gitleaks_toml).ok()?;
    let doc = &doc;
    let mut negatives: Vec<String> = Vec::new();
    let collect_allow = |table: &toml::Value, fp: &mut Vec<String>, seed: u8| {
        for re in table
            .get("regexes")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(re) = re.as_str() {
                fp.extend(samples(re, 3, seed, |_| true));
            }
        }
        for w in table
            .get("stopwords")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            fp.extend(w.as_str().map(str::to_owned));
        }
    };
    if let Some(global) = doc.get("allowlist") {
        collect_allow(global, &mut negatives, 1);
    }
    let rules = doc.get("rules").and_then(|v| v.as_array())?;
    let mut positives = Vec::new();
    let mut rules_sampled = 0;
    for (i, rule) in rules.iter().enumerate() {
        for allow in rule
            .get("allowlists")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            collect_allow(allow, &mut negatives, 2);
        }
        let Some(pattern) = rule.get("regex").and_then(|v| v.as_str()) else {
            continue;
        };
        // Three gitleaks rules exceed the default compiled size limit.
        let Ok(original) = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 28)
            .build()
        else {
            continue;
        };
        let min_entropy = rule
            .get("entropy")
            .and_then(toml::Value::as_float)
            .unwrap_or(0.0);
        let group = rule
            .get("secretGroup")
            .and_then(toml::Value::as_integer)
            .map_or(1, |g| g as usize);
        let accept = |s: &str| {
            original.captures(s).is_some_and(|c| {
                c.get(group)
                    .or_else(|| c.get(0))
                    .is_some_and(|secret| entropy(secret.as_str()) > min_entropy)
            })
        };
        let found = samples(pattern, PER_RULE, (i % 250) as u8 + 3, accept);
        if !found.is_empty() {
            rules_sampled += 1;
        }
        positives.extend(found);
    }
    negatives.sort();
    negatives.dedup();
    Some(Samples {
        positives,
        negatives,
        rules_sampled,
    })
}

/// How a filter did on the samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Positives flagged / positives.
    pub recall: f64,
    /// Negatives flagged / negatives.
    pub false_positive_rate: f64,
    /// Positives flagged.
    pub hits: usize,
    /// Negatives flagged.
    pub false_hits: usize,
}

impl Samples {
    /// Scores `flags`, which says whether a filter flags a text; each sample
    /// is embedded in a line of agent output.
    pub fn score(&self, flags: impl Fn(&str) -> bool) -> Score {
        let flagged = |s: &String| flags(&format!("agent output: {s}\n"));
        let hits = self.positives.iter().filter(|s| flagged(s)).count();
        let false_hits = self.negatives.iter().filter(|s| flagged(s)).count();
        Score {
            recall: hits as f64 / self.positives.len().max(1) as f64,
            false_positive_rate: false_hits as f64 / self.negatives.len().max(1) as f64,
            hits,
            false_hits,
        }
    }
}
