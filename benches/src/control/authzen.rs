//! The `control` group: the control point's decisions against what they
//! reduce to. `control.authzen_eval.vs_fga_check`: one AuthZEN evaluation by
//! the embedded PDP (FGA source, deny-overrides combination, decision with
//! its reason) against the bare embedded FGA Check it makes.

use std::sync::Arc;

use agent_auth::authzen::{Action, EvaluationRequest, Resource, Subject};
use fga_core::{CheckRequest, EmbeddedBackend, Engine, FgaBackend, TupleKey};
use reference_authority::authzen::Pdp;
use reference_authority::authzen::sources::FgaSource;

use crate::measure::{compare, keep};

const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user]

type doc
  relations
    define viewer: [user, group#member]
";

/// Documents, each viewed by one group of twenty users.
const DOCS: usize = 10_000;
const GROUP_SIZE: usize = 20;

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("control bench setup failed: {e}");
    std::process::exit(1)
}

fn backend() -> Arc<EmbeddedBackend> {
    let mut engine = Engine::from_dsl(MODEL).unwrap_or_else(|e| fail(&e));
    let mut tuples = Vec::with_capacity(DOCS * 2);
    for d in 0..DOCS {
        let group = format!("group:g{}", d % 500);
        tuples.push(TupleKey::new(
            format!("doc:d{d}"),
            "viewer",
            format!("{group}#member"),
        ));
    }
    for g in 0..500 {
        for u in 0..GROUP_SIZE {
            tuples.push(TupleKey::new(
                format!("group:g{g}"),
                "member",
                format!("user:u{}", g * GROUP_SIZE + u),
            ));
        }
    }
    engine.write(&tuples, &[]).unwrap_or_else(|e| fail(&e));
    Arc::new(EmbeddedBackend::new(engine))
}

/// Runs the group.
pub(super) fn run() {
    let backend = backend();
    let pdp = Pdp::builder("https://pdp.example")
        .source(FgaSource::new(backend.clone()).relation("read", "viewer"))
        .build();
    // user u4321 is in group g216, which views doc d716.
    let request = EvaluationRequest::new(
        Subject::new("user", "u4321"),
        Action::new("read"),
        Resource::new("doc", "d716"),
    );
    let check = CheckRequest::new("doc:d716", "viewer", "user:u4321");
    let permitted = futures::executor::block_on(pdp.evaluate(&request)).decision;
    let bare =
        futures::executor::block_on(backend.check(check.clone())).unwrap_or_else(|e| fail(&e));
    if !permitted || !bare {
        fail(&"the fixture decision is not a permit");
    }
    compare(
        "control.authzen_eval.vs_fga_check",
        || keep(futures::executor::block_on(pdp.evaluate(&request))),
        || keep(futures::executor::block_on(backend.check(check.clone()))),
    );
}
