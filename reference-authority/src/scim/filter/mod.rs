//! SCIM filters (RFC 7644 section 3.4.2.2): lexer, parser and evaluator, and
//! the PATCH path grammar that reuses them (section 3.5.2).

mod ast;
mod eval;
mod lexer;
mod parser;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub use eval::matches;
pub(crate) use eval::{cannot_fail, get_ci, parse_time};
pub(crate) use parser::attr_path;
pub use parser::{MAX_DEPTH, MAX_FILTER_LEN, PatchPath, parse, parse_patch_path};
