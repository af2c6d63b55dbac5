//! The tamper-evident audit log: RFC 6962 vectors, tamper detection, tiles,
//! ingestion over HTTP, retention, query and OCSF export, and one seed action
//! followed from login to FGA decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod ingestion;
#[cfg(feature = "postgres")]
mod multi_instance;
mod retention_query;
mod seed_trail;
mod server_binary;
mod storage_contract;
mod tamper;
mod tiles;
mod vectors;
mod verify_command;
