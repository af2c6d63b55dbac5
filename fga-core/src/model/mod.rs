//! Authorization models: the JSON form ([`types`]), the DSL ([`dsl`]) and validation.

pub mod dsl;
pub mod types;
pub mod validate;

pub use types::*;
