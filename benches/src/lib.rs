//! Shared pieces of the comparison benchmarks: a paired measurement that prints
//! a ratio against a baseline measured in the same run, and the fixtures of
//! each group.

pub mod audit;
pub mod authority;
mod authority_pg;
pub mod ciba;
pub mod control;
pub mod detect;
pub mod fga;
pub mod fga_lists;
pub mod fga_scale;
pub mod jwt;
pub mod logout;
pub mod mcp_guard;
pub mod measure;
pub mod vault;
pub mod vault_filter;
