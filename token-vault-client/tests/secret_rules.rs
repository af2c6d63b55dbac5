//! Our output filter measured on the independent gitleaks rule set
//! (`secret-rules/gitleaks.toml` of the conformance data, read in place, never
//! copied). The file carries no literal samples, so the samples are derived
//! from it:
//! - true positives: strings generated from each gitleaks rule's regex
//!   (word boundaries and anchors dropped for generation), kept only if the
//!   original rule matches them and they meet the rule's entropy threshold;
//! - false positives: gitleaks' own "not a secret" material: strings generated
//!   from every allowlist regex, and every stopword.
//!
//! Recall = true positives our filter flags; false-positive rate = "not a
//! secret" samples it flags. Both are printed as `SECRET-RULES recall ...` and
//! `SECRET-RULES false positives ...` lines; test runners hide the output of
//! passing tests, so show it with
//! `cargo nextest run -p token-vault-client --test secret_rules --success-output immediate`
//! (or `cargo test ... -- --nocapture`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use regex_syntax::hir::{Hir, HirKind};
use token_vault_client::filter::{FilterMode, OutputFilter};

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

#[test]
fn recall_and_false_positives_on_the_gitleaks_rules() {
    let Some(text) = conformance::read("secret-rules", "gitleaks.toml") else {
        return;
    };
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let filter = OutputFilter::new(FilterMode::Redact);
    let (mut tp_total, mut tp_hit, mut rules_sampled, mut rules_hit) =
        (0usize, 0usize, 0usize, 0usize);
    let mut fp_samples: Vec<String> = Vec::new();
    let collect_allow = |table: &toml::Value, fp: &mut Vec<String>, seed: u8| {
        for re in table
            .get("regexes")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let re = re.as_str().unwrap();
            fp.extend(samples(re, 3, seed, |_| true));
        }
        for w in table
            .get("stopwords")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            fp.push(w.as_str().unwrap().to_owned());
        }
    };
    if let Some(global) = doc.get("allowlist") {
        collect_allow(global, &mut fp_samples, 1);
    }
    let rules = doc.get("rules").and_then(|v| v.as_array()).unwrap();
    let mut missed = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        for allow in rule
            .get("allowlists")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            collect_allow(allow, &mut fp_samples, 2);
        }
        let Some(pattern) = rule.get("regex").and_then(|v| v.as_str()) else {
            continue;
        };
        // Three gitleaks rules exceed the default compiled size limit.
        let original = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 28)
            .build()
            .unwrap();
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
                let secret = c.get(group).or_else(|| c.get(0)).unwrap().as_str();
                entropy(secret) >= min_entropy
            })
        };
        let found = samples(pattern, PER_RULE, (i % 250) as u8 + 3, accept);
        if found.is_empty() {
            continue;
        }
        rules_sampled += 1;
        let mut any = false;
        for s in &found {
            tp_total += 1;
            let text = format!("agent output: {s}\n");
            if !filter.scan(&text).is_empty() {
                tp_hit += 1;
                any = true;
            }
        }
        if any {
            rules_hit += 1;
        } else {
            missed.push(
                rule.get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_owned(),
            );
        }
    }
    fp_samples.sort();
    fp_samples.dedup();
    let fp_hit: Vec<&String> = fp_samples
        .iter()
        .filter(|s| !filter.scan(&format!("agent output: {s}\n")).is_empty())
        .collect();
    let recall = tp_hit as f64 / tp_total.max(1) as f64;
    let fp_rate = fp_hit.len() as f64 / fp_samples.len().max(1) as f64;
    println!(
        "SECRET-RULES recall {:.1}% ({tp_hit} of {tp_total} true positives generated from {rules_sampled} gitleaks rules; {rules_hit} rules with at least one hit)",
        recall * 100.0
    );
    println!(
        "SECRET-RULES false positives {:.1}% ({} of {} samples from gitleaks' allowlists and stopwords)",
        fp_rate * 100.0,
        fp_hit.len(),
        fp_samples.len()
    );
    println!("SECRET-RULES rules with no hit: {}", missed.join(" "));
    assert!(tp_total > 300, "enough samples were generated");
    assert!(fp_samples.len() > 500);
    // Floors that guard against regressions of our rules.
    assert!(recall >= 0.25, "recall {recall}");
    assert!(fp_rate <= 0.05, "false positives {fp_rate}: {fp_hit:?}");
}
