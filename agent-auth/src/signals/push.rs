//! Push delivery (RFC 8935): the transmitter POSTs each SET to the
//! receiver. The handler is transport-agnostic: it takes the request's
//! `Authorization` and `Content-Type` values and body, and gives back the
//! status and JSON body to answer with.

use super::SetReceiver;
use crate::secret::{SecretString, constant_time_eq};
use serde_json::{Value, json};

/// RFC 8935 section 2: the media type of a pushed SET.
pub const SET_MEDIA_TYPE: &str = "application/secevent+jwt";

/// The answer to one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushAnswer {
    status: u16,
    body: Option<Value>,
}

impl PushAnswer {
    fn error(status: u16, err: &str, description: &str) -> Self {
        // RFC 8935 section 2.3: `{"err": ..., "description": ...}`.
        Self {
            status,
            body: Some(json!({"err": err, "description": description})),
        }
    }

    /// The HTTP status: 202 when accepted (RFC 8935 section 2.2), 400 with an
    /// error (section 2.3), 401 or 403 for the transmitter's authorization.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `application/json` body of an error answer.
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    /// The RFC 8935 error code of an error answer.
    pub fn err(&self) -> Option<&str> {
        self.body
            .as_ref()
            .and_then(|b| b.get("err"))
            .and_then(Value::as_str)
    }
}

/// A push endpoint in front of a [`SetReceiver`].
///
/// ```
/// # async fn demo(receiver: agent_auth::signals::SetReceiver) {
/// use agent_auth::secret::SecretString;
/// use agent_auth::signals::PushEndpoint;
/// let endpoint = PushEndpoint::new(receiver)
///     .authorization(SecretString::new("Bearer 0123456789abcdef0123456789abcdef"));
/// let answer = endpoint.handle(None, Some("application/secevent+jwt"), b"not a SET").await;
/// assert_eq!(answer.status(), 401);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PushEndpoint {
    receiver: SetReceiver,
    authorization: Option<SecretString>,
}

impl PushEndpoint {
    /// Pushes into `receiver`.
    pub fn new(receiver: SetReceiver) -> Self {
        Self {
            receiver,
            authorization: None,
        }
    }

    /// Requires this exact `Authorization` header value on every push (the
    /// `authorization_header` given to the transmitter in the stream's
    /// delivery, SSF 1.0 section 8.1.1; RFC 8935 section 2 lets the receiver
    /// authenticate the transmitter). Compared in constant time.
    #[must_use]
    pub fn authorization(mut self, value: SecretString) -> Self {
        self.authorization = Some(value);
        self
    }

    /// The receiver.
    pub fn receiver(&self) -> &SetReceiver {
        &self.receiver
    }

    /// Handles one `POST`: the `Authorization` header value, the
    /// `Content-Type` value and the body.
    pub async fn handle(
        &self,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> PushAnswer {
        if let Some(expected) = &self.authorization {
            match authorization {
                None => {
                    return PushAnswer::error(
                        401,
                        "authentication_failed",
                        "authentication required",
                    );
                }
                Some(value)
                    if !constant_time_eq(
                        value.trim().as_bytes(),
                        expected.expose_secret().as_bytes(),
                    ) =>
                {
                    return PushAnswer::error(403, "access_denied", "not authorized");
                }
                Some(_) => {}
            }
        }
        let is_set = content_type
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(SET_MEDIA_TYPE));
        if !is_set {
            return PushAnswer::error(
                400,
                "invalid_request",
                "Content-Type must be application/secevent+jwt",
            );
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return PushAnswer::error(400, "invalid_request", "the SET is not text");
        };
        match self.receiver.receive(text.trim()).await {
            Ok(_) => PushAnswer {
                status: 202,
                body: None,
            },
            Err(e) => PushAnswer::error(e.status(), e.code(), &e.to_string()),
        }
    }
}
