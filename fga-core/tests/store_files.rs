//! The store-file runner on the openfga-language store cases.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fga_core::storetest::{run_store_file, run_store_yaml};

#[test]
fn valid_store_files_pass() {
    let Some(root) = conformance::suite("openfga-language") else {
        return;
    };
    for case in ["00-valid-model", "01-valid-model-file"] {
        let report =
            run_store_file(&root.join("stores").join(case).join("store.fga.yaml")).unwrap();
        assert_eq!(report.name, "Valid Store File");
        assert_eq!(report.results.len(), 3, "{case}");
        assert_eq!(report.failed(), 0, "{case}: {:?}", report.results);
    }
}

#[test]
fn invalid_store_files_are_rejected() {
    let Some(root) = conformance::suite("openfga-language") else {
        return;
    };
    for case in ["02-missing-model", "03-additional-properties"] {
        let result = run_store_file(&root.join("stores").join(case).join("store.fga.yaml"));
        assert_eq!(result.unwrap_err().code(), 2000, "{case}");
    }
}

#[test]
fn failing_assertions_are_reported() {
    let yaml = "
name: demo
model: |
  model
    schema 1.1
  type user
  type doc
    relations
      define viewer: [user]
tuples:
  - user: user:anne
    relation: viewer
    object: doc:1
tests:
  - name: viewers
    check:
      - user: user:anne
        object: doc:1
        assertions:
          viewer: true
      - user: user:bob
        object: doc:1
        assertions:
          viewer: true
    list_objects:
      - user: user:anne
        type: doc
        assertions:
          viewer: [doc:1]
";
    let report = run_store_yaml(yaml, std::path::Path::new(".")).unwrap();
    assert_eq!((report.passed(), report.failed()), (2, 1));
    let failed = report.results.iter().find(|r| !r.passed).unwrap();
    assert!(
        failed
            .to_string()
            .starts_with("FAIL viewers: check user:bob viewer doc:1")
    );
}
