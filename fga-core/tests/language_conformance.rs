//! The openfga/language conformance cases: DSL <-> JSON transformer cases and the
//! syntax and semantic validation cases (data from the OpenFGA language repository,
//! Apache-2.0, read from the conformance data folder).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use fga_core::AuthorizationModel;
use fga_core::model::dsl;
use serde::Deserialize;

fn transformer_dirs(root: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("transformer"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("authorization-model.fga").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn transformer_cases_dsl_to_json_and_back() {
    let Some(root) = conformance::suite("openfga-language") else {
        return;
    };
    let dirs = transformer_dirs(&root);
    assert!(
        dirs.len() >= 25,
        "expected the transformer cases, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let dsl_text = std::fs::read_to_string(dir.join("authorization-model.fga")).unwrap();
        let json_text = std::fs::read_to_string(dir.join("authorization-model.json")).unwrap();
        let expected: serde_json::Value = serde_json::from_str(&json_text).unwrap();
        match dsl::parse_syntax_only(&dsl_text) {
            Ok(model) => {
                let got = serde_json::to_value(&model).unwrap();
                if got != expected {
                    failures.push(format!("{name}: DSL -> JSON differs:\n{}", model.to_json()));
                }
            }
            Err(e) => failures.push(format!("{name}: DSL does not parse: {e}")),
        }
        match AuthorizationModel::from_json(&json_text) {
            Ok(model) => {
                let rendered = dsl::to_dsl(&model).unwrap();
                if rendered.trim_end() != dsl_text.trim_end() {
                    failures.push(format!(
                        "{name}: JSON -> DSL differs:\n--- got\n{rendered}\n--- want\n{dsl_text}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: JSON does not parse: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[derive(Deserialize)]
struct ValidationCase {
    name: String,
    dsl: String,
    #[serde(default)]
    skip: bool,
    #[serde(default)]
    expected_errors: Option<Vec<ExpectedError>>,
}

#[derive(Deserialize)]
struct ExpectedError {
    msg: String,
    #[serde(default)]
    line: Option<Range>,
    #[serde(default)]
    metadata: Option<ErrorMetadata>,
}

#[derive(Deserialize)]
struct Range {
    start: Option<usize>,
}

#[derive(Deserialize)]
struct ErrorMetadata {
    #[serde(rename = "errorType")]
    error_type: Option<String>,
}

/// Semantic cases not run, each with its reason. Cases the upstream data marks `skip`
/// are skipped as the upstream runner skips them.
const SEMANTIC_EXCLUSIONS: &[(&str, &str)] = &[
    (
        "supports parsing a modular model but throws schema required error",
        "modular models (schema 1.2 `module` files) are out of scope",
    ),
    (
        "allows extend in modular model",
        "modular models (schema 1.2 `module` files) are out of scope",
    ),
];

#[test]
fn semantic_validation_cases() {
    let Some(text) = conformance::read("openfga-language", "dsl-semantic-validation-cases.yaml")
    else {
        return;
    };
    let cases: Vec<ValidationCase> = serde_yaml_ng::from_str(&text).unwrap();
    assert!(cases.len() > 80);
    let mut failures = Vec::new();
    let mut skipped = 0;
    for case in &cases {
        if case.skip {
            skipped += 1;
            continue;
        }
        if let Some((_, why)) = SEMANTIC_EXCLUSIONS.iter().find(|(n, _)| *n == case.name) {
            println!("excluded: {}: {why}", case.name);
            skipped += 1;
            continue;
        }
        let expected = case.expected_errors.as_deref().unwrap_or(&[]);
        let mut want: Vec<(String, String, Option<usize>)> = expected
            .iter()
            .map(|e| {
                (
                    e.metadata
                        .as_ref()
                        .and_then(|m| m.error_type.clone())
                        .unwrap_or_default(),
                    e.msg.clone(),
                    e.line.as_ref().and_then(|l| l.start),
                )
            })
            .collect();
        let mut got: Vec<(String, String, Option<usize>)> = match dsl::parse(&case.dsl) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .0
                .iter()
                .map(|e| {
                    (
                        e.kind().error_type().to_owned(),
                        e.message().to_owned(),
                        e.position().map(|p| p.line),
                    )
                })
                .collect(),
        };
        want.sort();
        want.dedup();
        got.sort();
        got.dedup();
        if want != got {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", case.name));
        }
    }
    println!(
        "openfga-language semantic validation: {}/{} cases match ({skipped} skipped or excluded)",
        cases.len() - skipped - failures.len(),
        cases.len() - skipped
    );
    assert!(
        failures.is_empty(),
        "{} of {} semantic cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn syntax_validation_cases() {
    let Some(text) = conformance::read("openfga-language", "dsl-syntax-validation-cases.yaml")
    else {
        return;
    };
    let cases: Vec<ValidationCase> = serde_yaml_ng::from_str(&text).unwrap();
    assert!(cases.len() > 70);
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| !c.skip) {
        let should_fail = case.expected_errors.as_ref().is_some_and(|e| !e.is_empty());
        let result = dsl::parse(&case.dsl);
        match (should_fail, &result) {
            (true, Ok(_)) => failures.push(format!("{}: accepted, but is invalid", case.name)),
            (false, Err(e)) => failures.push(format!("{}: rejected: {e}", case.name)),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} syntax cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[derive(Deserialize)]
struct JsonToDslCase {
    name: String,
    json: String,
    #[serde(default)]
    valid: Option<bool>,
    #[serde(default)]
    error_message: Option<String>,
}

#[test]
fn json_to_dsl_validation_cases() {
    let Some(text) = conformance::read(
        "openfga-language",
        "json-syntax-transformer-validation-cases.yaml",
    ) else {
        return;
    };
    let cases: Vec<JsonToDslCase> = serde_yaml_ng::from_str(&text).unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let model = AuthorizationModel::from_json(&case.json).unwrap();
        let result = dsl::to_dsl(&model);
        match (case.valid.unwrap_or(true), &result) {
            (true, Ok(rendered)) => {
                let again = dsl::parse_syntax_only(rendered).unwrap_or_else(|e| {
                    panic!(
                        "{}: rendered DSL does not parse: {e}\n{rendered}",
                        case.name
                    )
                });
                assert_eq!(
                    serde_json::to_value(&again).unwrap()["type_definitions"]
                        .as_array()
                        .map(Vec::len),
                    serde_json::to_value(&model).unwrap()["type_definitions"]
                        .as_array()
                        .map(Vec::len),
                    "{}",
                    case.name
                );
            }
            (false, Err(e)) => {
                let want = case.error_message.as_deref().unwrap_or_default();
                assert!(e.to_string().contains(want), "{}: {e}", case.name);
            }
            (valid, got) => panic!("{}: valid={valid}, got {got:?}", case.name),
        }
    }
}
