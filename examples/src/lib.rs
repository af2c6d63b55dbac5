//! Pieces the example programs share with tests and benchmarks.

pub mod seed_mcp;
