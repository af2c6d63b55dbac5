//! Our output filter measured on the independent gitleaks rule set
//! (`secret-rules/gitleaks.toml` of the conformance data, read in place, never
//! copied). The file carries no literal samples, so they are derived from it
//! (`conformance::secret_samples`).
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

use conformance::secret_samples::{self, Samples};
use token_vault_client::filter::{FilterMode, OutputFilter, RuleSet};

/// (recall, false-positive rate) of `filter` on the samples, printed as `name`.
fn measure(name: &str, filter: &OutputFilter, samples: &Samples) -> (f64, f64) {
    let score = samples.score(|text| !filter.scan(text).is_empty());
    println!(
        "SECRET-RULES {name}: recall {:.1}% ({} of {} true positives generated from {} gitleaks rules), false positives {:.2}% ({} of {} samples from gitleaks' allowlists and stopwords)",
        score.recall * 100.0,
        score.hits,
        samples.positives.len(),
        samples.rules_sampled,
        score.false_positive_rate * 100.0,
        score.false_hits,
        samples.negatives.len()
    );
    (score.recall, score.false_positive_rate)
}

#[test]
fn recall_and_false_positives_on_the_gitleaks_rules() {
    let Some(text) = conformance::read("secret-rules", "gitleaks.toml") else {
        return;
    };
    let samples = secret_samples::derive(&text).unwrap();
    assert!(
        samples.positives.len() > 300,
        "enough samples were generated"
    );
    assert!(samples.negatives.len() > 500);

    let builtin = OutputFilter::new(FilterMode::Redact);
    let (recall, fp) = measure("built-in rules", &builtin, &samples);
    assert!(recall >= 0.80, "built-in recall {recall}");
    assert!(fp <= 0.02, "built-in false positives {fp}");

    let loaded = RuleSet::from_gitleaks_toml(&text).unwrap();
    assert_eq!(
        loaded.skipped().len(),
        1,
        "only the path-only rule is skipped"
    );
    let with_file = OutputFilter::new(FilterMode::Redact).with_rules(loaded);
    let (recall, fp) = measure("built-in rules + gitleaks.toml", &with_file, &samples);
    assert!(recall >= 0.98, "recall with the file loaded {recall}");
    assert!(fp <= 0.01, "false positives with the file loaded {fp}");
}
