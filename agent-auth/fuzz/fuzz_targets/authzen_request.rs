//! Arbitrary bytes as an AuthZEN request body, for every API: typed errors,
//! never panics.
#![no_main]

use agent_auth::authzen::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse::evaluation(data);
    let _ = parse::evaluations(data);
    let _ = parse::subject_search(data);
    let _ = parse::resource_search(data);
    let _ = parse::action_search(data);
});
