//! What the reference OP stores: per-client CIBA settings and one record per
//! authentication request, keyed by the digest of its `auth_req_id`.

use crate::Table;
use ciba_client::DeliveryMode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub(crate) use super::settings::ClientSettings;

pub(crate) const CLIENTS: Table = Table::Extension("ciba_clients");
pub(crate) const REQUESTS: Table = Table::Extension("ciba_requests");
pub(crate) const APPROVALS: Table = Table::Extension("ciba_approvals");
/// Request-object `jti` values seen, per client, until their `exp`.
pub(crate) const REQUEST_JTIS: Table = Table::Extension("ciba_request_jtis");
/// Wrong `user_code` counts and lock-outs, by user id.
pub(crate) const USER_CODE_FAILURES: Table = Table::Extension("ciba_user_code_failures");
/// Users' `user_code` hashes (Argon2id, PHC strings), by user id.
pub(crate) const USER_CODES: Table = Table::Extension("ciba_user_codes");

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub(crate) enum State {
    Pending,
    Approved {
        scope: Vec<String>,
        details: Option<Value>,
        decided: i64,
        /// When the person authenticated for the decision, if the OP knows.
        #[serde(default)]
        auth_time: Option<i64>,
    },
    Denied {
        decided: i64,
    },
    /// Tokens were issued: the `auth_req_id` is spent.
    Issued,
    /// The expiry was recorded (audited once).
    Expired,
}

/// One authentication request.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct RequestRecord {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scope: Vec<String>,
    pub(crate) details: Option<Value>,
    pub(crate) binding_message: Option<String>,
    pub(crate) acr_values: Vec<String>,
    pub(crate) mode: DeliveryMode,
    pub(crate) notification_endpoint: Option<String>,
    /// The client's bearer token for its notification endpoint; the OP must
    /// present it, so it is kept as given.
    pub(crate) notification_token: Option<String>,
    pub(crate) approval_id: String,
    /// Ping and push modes: the `auth_req_id` itself, which the OP sends back with
    /// its notification (CIBA Core 1.0 sections 10.2 and 10.3).
    pub(crate) notify_auth_req_id: Option<String>,
    pub(crate) created: i64,
    pub(crate) expires: i64,
    pub(crate) interval: i64,
    pub(crate) last_poll: Option<i64>,
    pub(crate) state: State,
}

impl std::fmt::Debug for RequestRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestRecord")
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("scope", &self.scope)
            .field("mode", &self.mode)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

pub(crate) use crate::store::{
    get_json as get, purge_json as purge, put_json as put, update_json as update,
};
