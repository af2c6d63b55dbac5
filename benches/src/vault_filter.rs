//! The output credential filter: its quality on samples derived from the
//! gitleaks rule file (`FILTER <rules> recall=<r> fp=<f>`), and the cost of
//! scanning clean output against one `memchr` pass over the same bytes.

use crate::measure::{compare, keep};
use token_vault_client::filter::{FilterMode, OutputFilter, RuleSet};

/// 64 KiB of clean agent output: CRM records as JSON and prose, no credentials.
fn clean_output() -> String {
    let companies = [
        "Acme Corp",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Vandelay",
    ];
    let stages = [
        "prospect",
        "qualified",
        "proposal",
        "negotiation",
        "closed won",
    ];
    let mut text = String::with_capacity(70 * 1024);
    let mut i = 0usize;
    while text.len() < 64 * 1024 {
        let company = companies
            .get(i % companies.len())
            .copied()
            .unwrap_or_default();
        let stage = stages.get(i % stages.len()).copied().unwrap_or_default();
        text.push_str(&format!(
            "{{\"id\": \"contact-{i:05}\", \"name\": \"Contact {i}\", \"company\": \"{company}\", \
             \"email\": \"contact{i}@example.com\", \"stage\": \"{stage}\", \"value_eur\": {}}}\n\
             Meeting notes: {company} asked for a revised proposal before the end of the quarter; \
             the team will follow up on pricing and delivery dates next week.\n",
            1000 + (i * 37) % 90_000
        ));
        i += 1;
    }
    text.truncate(64 * 1024);
    text
}

/// Prints the filter's figures.
pub fn run() {
    println!("vault output filter");
    match conformance::read("secret-rules", "gitleaks.toml") {
        Some(file) => quality(&file),
        None => println!("  FILTER lines skipped: the secret-rules conformance data was not found"),
    }
    let filter = OutputFilter::new(FilterMode::Redact);
    let text = clean_output();
    refuse_findings(&filter, &text);
    compare(
        "vault.filter_clean_64k.vs_memchr",
        || keep(filter.scan(&text)),
        || keep(memchr::memchr(0, text.as_bytes())),
    );
}

fn quality(file: &str) {
    let Some(samples) = conformance::secret_samples::derive(file) else {
        println!("  FILTER lines skipped: gitleaks.toml could not be read");
        return;
    };
    let builtin = OutputFilter::new(FilterMode::Redact);
    let report = |name: &str, filter: &OutputFilter| {
        let score = samples.score(|text| !filter.scan(text).is_empty());
        println!(
            "FILTER {name} recall={:.3} fp={:.4}",
            score.recall, score.false_positive_rate
        );
    };
    report("builtin", &builtin);
    match RuleSet::from_gitleaks_toml(file) {
        Ok(rules) => report("gitleaks", &builtin.with_rules(rules)),
        Err(e) => println!("  FILTER gitleaks skipped: {e}"),
    }
}

fn refuse_findings(filter: &OutputFilter, text: &str) {
    let findings = filter.scan(text);
    if !findings.is_empty() {
        eprintln!(
            "vault bench: the clean text has {} findings",
            findings.len()
        );
        std::process::exit(1);
    }
}
