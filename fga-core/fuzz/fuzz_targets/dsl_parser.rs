//! Fuzzes the DSL parser and validator: any input gives a model or typed errors, never a
//! panic; an accepted model renders to DSL that parses back to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = fga_core::model::dsl::parse(text) {
        let rendered = fga_core::model::dsl::to_dsl(&model).expect("parsed models render");
        let again = fga_core::model::dsl::parse(&rendered);
        assert_eq!(
            again.as_ref().ok(),
            Some(&model),
            "round trip of:\n{rendered}"
        );
        let _ = fga_core::Engine::new(model);
    }
});
