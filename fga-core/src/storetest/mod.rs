//! Runs store test files in the `.fga.yaml` format of the OpenFGA CLI (`fga model test`)
//! in-process: a model (`model` or `model_file`), tuples (`tuples`, `tuple_file`,
//! `tuple_files`) and tests with `check`, `list_objects` and `list_users` assertions.
//!
//! Each test runs on a fresh store holding the file's tuples plus the test's own.

mod format;

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use crate::Error;
use crate::engine::{CheckRequest, Engine, ListObjectsRequest, ListUsersRequest};
use crate::tuple::TupleKey;
use format::StoreFile;

/// The outcome of one assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionResult {
    /// The test's name.
    pub test: String,
    /// What was asserted, e.g. `check user:anne member organization:acme`.
    pub description: String,
    /// Whether it held.
    pub passed: bool,
    /// Expected and actual values when it failed.
    pub detail: Option<String>,
}

impl fmt::Display for AssertionResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.passed { "PASS" } else { "FAIL" };
        write!(f, "{status} {}: {}", self.test, self.description)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

/// The outcomes of one store file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreTestReport {
    /// The file's `name`.
    pub name: String,
    /// Every assertion, in file order.
    pub results: Vec<AssertionResult>,
}

impl StoreTestReport {
    /// Number of assertions that held.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    /// Number of assertions that failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Runs a store file from disk; relative `model_file` and tuple files resolve against
/// the file's folder.
pub fn run_store_file(path: &Path) -> Result<StoreTestReport, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::StoreFile(format!("cannot read {}: {e}", path.display())))?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    run_store_yaml(&text, base)
}

/// Runs a store file given as text; `base` is the folder for relative file references.
pub fn run_store_yaml(text: &str, base: &Path) -> Result<StoreTestReport, Error> {
    let file: StoreFile =
        serde_yaml_ng::from_str(text).map_err(|e| Error::StoreFile(e.to_string()))?;
    let model_text = match (&file.model, &file.model_file) {
        (Some(m), None) => m.clone(),
        (None, Some(f)) => read(base, f)?,
        _ => {
            return Err(Error::StoreFile(
                "exactly one of 'model' or 'model_file' must be present".into(),
            ));
        }
    };
    let model = if model_text.trim_start().starts_with('{') {
        crate::model::AuthorizationModel::from_json(&model_text)?
    } else {
        crate::model::dsl::parse(&model_text)?
    };
    let mut tuples = file.tuples.clone().unwrap_or_default();
    for f in file
        .tuple_file
        .iter()
        .chain(file.tuple_files.iter().flatten())
    {
        let text = read(base, f)?;
        let more: Vec<TupleKey> = serde_yaml_ng::from_str(&text)
            .map_err(|e| Error::StoreFile(format!("tuple file {f}: {e}")))?;
        tuples.extend(more);
    }
    let mut report = StoreTestReport {
        name: file.name.clone().unwrap_or_default(),
        results: Vec::new(),
    };
    for test in &file.tests {
        let mut engine = Engine::new(model.clone())?;
        let all: Vec<TupleKey> = tuples
            .iter()
            .chain(test.tuples.iter().flatten())
            .cloned()
            .collect();
        engine.write(&all, &[])?;
        run_test(&engine, test, &mut report);
    }
    Ok(report)
}

fn read(base: &Path, file: &str) -> Result<String, Error> {
    let path = base.join(file);
    std::fs::read_to_string(&path)
        .map_err(|e| Error::StoreFile(format!("cannot read {}: {e}", path.display())))
}

fn push(
    report: &mut StoreTestReport,
    test: &str,
    description: String,
    want: String,
    got: Result<String, Error>,
) {
    let (passed, detail) = match got {
        Ok(got) if got == want => (true, None),
        Ok(got) => (false, Some(format!("expected {want}, got {got}"))),
        Err(e) => (false, Some(format!("expected {want}, got error: {e}"))),
    };
    report.results.push(AssertionResult {
        test: test.to_owned(),
        description,
        passed,
        detail,
    });
}

fn run_test(engine: &Engine, test: &format::Test, report: &mut StoreTestReport) {
    let name = test.name.clone().unwrap_or_default();
    for c in test.check.iter().flatten() {
        for (relation, want) in &c.assertions {
            let request = CheckRequest {
                object: c.object.clone(),
                relation: relation.clone(),
                user: c.user.clone(),
                contextual_tuples: Vec::new(),
                context: c.context.clone(),
            };
            let got = engine.check(&request).map(|b| b.to_string());
            let description = format!("check {} {relation} {}", c.user, c.object);
            push(report, &name, description, want.to_string(), got);
        }
    }
    for l in test.list_objects.iter().flatten() {
        for (relation, want) in &l.assertions {
            let request = ListObjectsRequest {
                object_type: l.object_type.clone(),
                relation: relation.clone(),
                user: l.user.clone(),
                contextual_tuples: Vec::new(),
                context: l.context.clone(),
                limit: None,
            };
            let want: BTreeSet<&String> = want.iter().collect();
            let got = engine
                .list_objects(&request)
                .map(|r| format!("{:?}", r.objects.iter().collect::<BTreeSet<_>>()));
            let description = format!("list_objects {} {relation} {}", l.user, l.object_type);
            push(report, &name, description, format!("{want:?}"), got);
        }
    }
    for l in test.list_users.iter().flatten() {
        let filters: Vec<String> = l
            .user_filter
            .iter()
            .map(|f| match &f.relation {
                Some(r) => format!("{}#{r}", f.type_name),
                None => f.type_name.clone(),
            })
            .collect();
        for (relation, want) in &l.assertions {
            let request = ListUsersRequest {
                object: l.object.clone(),
                relation: relation.clone(),
                user_filters: filters.clone(),
                contextual_tuples: Vec::new(),
                context: l.context.clone(),
            };
            let want: BTreeSet<&String> = want.users.iter().collect();
            let got = engine
                .list_users(&request)
                .map(|users| format!("{:?}", users.iter().collect::<BTreeSet<_>>()));
            let description = format!("list_users {} {relation} {}", filters.join(","), l.object);
            push(report, &name, description, format!("{want:?}"), got);
        }
    }
}
