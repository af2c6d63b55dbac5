#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod details;
pub mod guard;
mod wire;

pub use client::{
    ApprovalOutcome, ApprovedTokens, AuthenticationRequest, CibaClient, CibaError, CibaSignals,
    ClientAuth, Endpoints, Hint, PendingApproval, ProviderMetadata,
};
pub use details::{AuthorizationDetails, DetailsError};
pub use wire::{
    AUTH_REQ_ID_CLAIM, AuthReqId, DEFAULT_INTERVAL, DeliveryMode, GRANT_TYPE, NotificationToken,
    REQUEST_OBJECT_TYP, SLOW_DOWN_STEP,
};

/// The identity core whose types this crate's API takes (keys, validators,
/// secrets, clock), re-exported so that callers use the same version.
pub use agent_auth;
/// The attribute macro for implementing this crate's async traits
/// (`PendingStore`, `Approver`, ...).
pub use agent_auth::async_trait;

/// The human-approval guide (`docs/ciba.md`), its examples compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/ciba.md")]
pub struct CibaGuide;
