#![doc = include_str!("../README.md")]

pub mod client;
pub mod details;
pub mod guard;
mod wire;

pub use client::{
    ApprovalOutcome, ApprovedTokens, AuthenticationRequest, CibaClient, CibaError, ClientAuth,
    Endpoints, Hint, PendingApproval, ProviderMetadata,
};
pub use details::{AuthorizationDetails, DetailsError};
pub use wire::{
    AUTH_REQ_ID_CLAIM, AuthReqId, DEFAULT_INTERVAL, DeliveryMode, GRANT_TYPE, NotificationToken,
    REQUEST_OBJECT_TYP, SLOW_DOWN_STEP,
};
