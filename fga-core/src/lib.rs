#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backend;
mod condition;
pub mod durable;
pub mod engine;
mod error;
#[cfg(feature = "http")]
pub mod http;
pub mod model;
pub mod rag;
pub mod store;
pub mod storetest;
mod text;
pub mod tuple;

pub use backend::{EmbeddedBackend, FgaBackend};
pub use engine::{
    BatchCheckItem, BatchCheckResult, CheckRequest, Engine, ListObjectsRequest,
    ListObjectsResponse, ListUsersRequest,
};
pub use error::Error;
pub use model::AuthorizationModel;
pub use store::ReadFilter;
pub use tuple::{Context, TupleKey, User};

/// The RAG permissions guide (`docs/fga-rag.md`), its examples compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/fga-rag.md")]
pub struct FgaRagGuide;
