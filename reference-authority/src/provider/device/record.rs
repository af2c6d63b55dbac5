//! The stored state of a device authorization: keyed by the digest of the
//! device code, with an index from the digest of the user code.

use crate::provider::store::Table;
use serde::{Deserialize, Serialize};

/// Device authorizations by device code digest.
pub(super) const DEVICE_CODES: Table = Table::Extension("device_codes");
/// Device code digests by user code digest.
pub(super) const USER_CODES: Table = Table::Extension("device_user_codes");
/// Wrong user code counts by user id.
pub(super) const FAILURES: Table = Table::Extension("device_user_code_failures");

/// One device authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct DeviceRecord {
    pub(super) client_id: String,
    pub(super) client_name: String,
    pub(super) scope: Vec<String>,
    pub(super) resource: Vec<String>,
    pub(super) expires: i64,
    /// The current minimum interval between polls (grows with `slow_down`).
    pub(super) interval: i64,
    pub(super) last_poll: Option<i64>,
    pub(super) state: DeviceState,
}

/// Where a device authorization stands.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) enum DeviceState {
    /// The user has not decided yet.
    Pending,
    /// The user approved, signed in with this session.
    Approved {
        user_id: String,
        auth_time: i64,
        acr: String,
        amr: Vec<String>,
        sid: String,
    },
    /// The user denied.
    Denied,
    /// Tokens were issued: the device code is spent.
    Issued,
}

/// The user code index entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct UserCodeLink {
    pub(super) device_key: String,
    pub(super) expires: i64,
}
