//! The DSL parser on arbitrary and mutated input: typed errors, never a panic, and
//! accepted models survive a round trip. (The `fuzz/` crate runs the same property
//! under libFuzzer with `cargo fuzz run dsl_parser`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fga_core::model::dsl;
use proptest::prelude::*;

const SEED: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member, user:* with c]

type doc
  relations
    define parent: [group]
    define viewer: ([user] or member from parent) but not (blocked and member from parent)
    define blocked: [user]

condition c(x: int, m: map<string>) {
  x < 10 && m[\"k\"] == \"{\"
}
";

fn round_trip(text: &str) {
    if let Ok(model) = dsl::parse(text) {
        let rendered = dsl::to_dsl(&model).unwrap();
        assert_eq!(dsl::parse(&rendered).ok(), Some(model), "{rendered}");
    }
}

#[test]
fn seed_round_trips() {
    let model = dsl::parse(SEED).unwrap();
    assert_eq!(dsl::parse(&dsl::to_dsl(&model).unwrap()).unwrap(), model);
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        round_trip(&text);
    }

    #[test]
    fn mutated_models_never_panic(cut in 0usize..400, insert in "[\\[\\]():#*, a-z\n{}<>]{0,6}", drop in 0usize..8) {
        let cut = cut.min(SEED.len());
        let (head, tail) = SEED.split_at(cut);
        let tail = tail.get(drop.min(tail.len())..).unwrap_or("");
        round_trip(&format!("{head}{insert}{tail}"));
    }
}

#[test]
fn excluded_type_restrictions_are_rejected() {
    let text = "model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define a: [user]\n    define b: a but not ([user] or a)\n";
    assert!(dsl::parse(text).is_err());
}

/// The fuzz target's committed seeds are valid models that survive the round trip
/// (so the fuzzer starts from inputs that reach the validator and the renderer).
#[test]
fn the_fuzz_seeds_parse_and_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/dsl_parser");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let model = dsl::parse(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let rendered = dsl::to_dsl(&model).unwrap();
        assert_eq!(dsl::parse(&rendered).ok(), Some(model), "{rendered}");
        seen += 1;
    }
    assert!(seen >= 3, "expected the seed models in {}", dir.display());
}
