//! The keyword search against the one Aho-Corasick pass over every keyword:
//! on random texts built from keywords, operators, quotes, spaces, value
//! runs and non-ASCII characters, and on the samples derived from the
//! gitleaks rules, the windows (and so the findings) are the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::{Finding, Rule, RuleSet};
use proptest::prelude::*;
use std::sync::LazyLock;

/// The built-in rules, compiled once for every case.
static BUILTIN: LazyLock<RuleSet> = LazyLock::new(RuleSet::builtin);

/// Every keyword of `set`, as written.
fn keywords(set: &RuleSet) -> Vec<String> {
    let mut all: Vec<String> = set
        .rules
        .iter()
        .flat_map(|r| r.keyword_list().iter().chain(r.exact_keyword_list()))
        .cloned()
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The findings of `set` in its windows and in the reference windows.
fn both(set: &RuleSet, text: &str) -> (Vec<Finding>, Vec<Finding>) {
    let fast = set.index.windows(&set.rules, text);
    let reference = set.index.reference_windows(&set.rules, text);
    assert_eq!(fast, reference, "windows differ on {text:?}");
    let mut a = Vec::new();
    set.scan(text, &mut a);
    let mut b = Vec::new();
    set.scan_in(text, &reference, &mut b);
    (a, b)
}

fn assert_same(set: &RuleSet, text: &str) {
    let (fast, reference) = both(set, text);
    assert_eq!(fast, reference, "findings differ on {text:?}");
}

const OPERATORS: &[&str] = &[
    "=", ":", " = ", ": ", "=>", ":=", "::=", ":::=", "||", "?=", ",", ">", "|", "==",
];
const GLUE: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\n",
    "\"",
    "'",
    "`",
    "_",
    "-",
    ".",
    "{",
    "}",
    "@",
    ";",
    "é",
    "ß",
    "\u{a0}",
    "\u{3000}",
    "\u{1F511}",
    "Globex",
    "asked",
    "value_eur",
    "api",
];

/// A keyword of the built-in rules with each letter's case drawn at random.
fn keyword(all: Vec<String>) -> impl Strategy<Value = String> {
    (
        prop::sample::select(all),
        prop::collection::vec(any::<bool>(), 32),
    )
        .prop_map(|(k, upper)| {
            k.chars()
                .zip(upper.iter().cycle())
                .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
                .collect()
        })
}

fn fragment(all: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => keyword(all),
        2 => prop::sample::select(OPERATORS).prop_map(str::to_owned),
        3 => prop::sample::select(GLUE).prop_map(str::to_owned),
        3 => "[A-Za-z0-9_+/=.~-]{1,40}",
        1 => "[a-f0-9]{30,70}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(keywords(&BUILTIN)), 0..48).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_built_in_rules_find_what_one_pass_over_every_keyword_finds(text in text()) {
        assert_same(&BUILTIN, &text);
    }
}

#[test]
fn the_built_in_rules_use_the_fast_search() {
    assert!(BUILTIN.index.is_fast());
}

#[test]
fn assignments_found_around_their_operators_match_the_reference() {
    let set = &*BUILTIN;
    for text in [
        "stripe_key=sk_live_abcdefghij0123456789",
        "STRIPE_API_KEY = \"q8Zr2LmX7pWd0k3n5v9y\"",
        "\"DatadogApiKey\": \"q8Zr2LmX7pWd0k3n5v9y\"",
        "my stripe key :::= 'q8Zr2LmX7pWd0k3n5v9y'",
        "secret==q8Zr2LmX7pWd0k3n5v9yq8Zr2LmX7pWd",
        "token\u{a0}:\u{3000}q8Zr2LmX7pWd0k3n5v9yq8Z",
        "clé_stripe = q8Zr2LmX7pWd0k3n5v9y",
        "stripe,q8Zr2LmX7pWd0k3n5v9y and box ?= q8Zr2LmX7pWd0k3n5v9y",
        "password => `q8Zr2LmX7pWd0k3n5v9yq8Zr`",
    ] {
        let (fast, reference) = both(set, text);
        assert!(!fast.is_empty(), "nothing found in {text:?}");
        assert_eq!(fast, reference);
    }
}

#[test]
fn keywords_of_every_length_and_exact_case_are_found_by_their_pieces() {
    let set = RuleSet::empty()
        .with_rule(Rule::new("one", "x[0-9]{4}").unwrap().keywords(["x"]))
        .with_rule(Rule::new("two", "(?i)q~[0-9]{4}").unwrap().keywords(["q~"]))
        .with_rule(
            Rule::new("exact", "SK[0-9]{4}")
                .unwrap()
                .exact_keywords(["SK"]),
        )
        .with_rule(
            Rule::new("long", "(?i)glpat-[0-9]{4}")
                .unwrap()
                .keywords(["GLPAT-", "pat-"]),
        );
    assert!(set.index.is_fast());
    let text = "x1234 Q~1234 sk1234 SK1234 GlPaT-1234 pat-9999 xx9999";
    let (fast, reference) = both(&set, text);
    assert_eq!(fast.len(), 5);
    assert_eq!(fast, reference);
}

#[test]
fn the_samples_derived_from_the_gitleaks_rules_match_the_reference() {
    let Some(file) = conformance::read("secret-rules", "gitleaks.toml") else {
        return;
    };
    let samples = conformance::secret_samples::derive(&file).expect("samples");
    let builtin = &*BUILTIN;
    for sample in samples.positives.iter().chain(&samples.negatives) {
        for text in [
            format!("Meeting notes: Globex asked for {sample}; next week."),
            format!("{{\"stripe_key\": \"{sample}\", \"n\": 1}}"),
            format!("export API_TOKEN={sample}\n"),
        ] {
            assert_same(builtin, &text);
        }
    }
}
