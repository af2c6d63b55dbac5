//! Shared pieces of the comparison benchmarks: a paired measurement that prints
//! a ratio against a baseline measured in the same run, and the fixtures of
//! each group.

pub mod ciba;
pub mod jwt;
pub mod measure;
