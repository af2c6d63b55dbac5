//! The vocabulary of CIBA Core 1.0 on the wire: names, delivery modes and the
//! secret values both sides hold.

use serde::{Deserialize, Serialize};

/// The CIBA grant type (CIBA Core 1.0 section 10.1).
pub const GRANT_TYPE: &str = "urn:openid:params:grant-type:ciba";

/// The ID token claim naming the request in push mode (CIBA Core 1.0 section 10.3.1).
pub const AUTH_REQ_ID_CLAIM: &str = "urn:openid:params:jwt:claim:auth_req_id";

/// The `typ` of a signed authentication request (RFC 9101 section 10.8):
/// explicit typing, so that no other JWT (an ID token, a client assertion) is
/// accepted as a request object, and a request object as nothing else.
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// The default polling interval when the OP names none (CIBA Core 1.0 section 7.3).
pub const DEFAULT_INTERVAL: u64 = 5;

/// How much `slow_down` raises the interval, at least (RFC 8628 section 3.5,
/// referenced by CIBA Core 1.0 section 11).
pub const SLOW_DOWN_STEP: u64 = 5;

/// How the result of an authentication request reaches the client
/// (CIBA Core 1.0 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryMode {
    /// The client polls the token endpoint.
    Poll,
    /// The OP calls the client's notification endpoint, then the client fetches the token.
    Ping,
    /// The OP sends the tokens to the client's notification endpoint.
    Push,
}

impl DeliveryMode {
    /// The registered name (`backchannel_token_delivery_mode`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Poll => "poll",
            DeliveryMode::Ping => "ping",
            DeliveryMode::Push => "push",
        }
    }
}

agent_auth::secret_type!(
    /// The identifier of one authentication request (CIBA Core 1.0 section 7.3):
    /// whoever holds it and the client's credentials can fetch the tokens.
    AuthReqId
);

agent_auth::secret_type!(
    /// The bearer token the OP presents at the client's notification endpoint
    /// (CIBA Core 1.0 section 7.1, `client_notification_token`).
    NotificationToken
);

/// A fresh random value: 32 bytes from the system CSPRNG, base64url.
pub(crate) fn random_value() -> Option<String> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(agent_auth::jose::base64url::encode(bytes))
}

/// SHA-256 of a value, base64url: the storage key of a secret handle.
pub(crate) fn digest(value: &str) -> String {
    use aws_lc_rs::digest;
    agent_auth::jose::base64url::encode(digest::digest(&digest::SHA256, value.as_bytes()))
}
