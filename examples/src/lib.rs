//! Pieces the example programs share with tests and benchmarks.

pub mod console_world;
pub mod seed_mcp;
pub mod threat_lab;

/// The tools guide (`docs/tools.md`), compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/tools.md")]
pub struct ToolsGuide;
