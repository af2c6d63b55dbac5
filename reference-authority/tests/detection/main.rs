//! Threat detection: one test per detector rule, risk levels and their
//! decay, the responses (audit, CAEP SET, notify, block, logout), the same
//! decisions in process and over the ingestion endpoint, and discovery.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod discovery;
mod feed;
mod responses;
mod risk;
mod rules;
mod seed_phases;
