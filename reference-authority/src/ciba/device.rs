//! The authentication device: how the person learns that an agent asks for
//! approval (CIBA Core 1.0 section 7.1, "the OP ... attempts to authenticate
//! the user ... through an authentication device").

use serde::Serialize;
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the person is asked to approve. Carries an approval id (a capability
/// for deciding), never the client's `auth_req_id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRequest {
    /// The identifier to decide with ([`CibaOp::approve`](super::CibaOp::approve),
    /// the approval page).
    pub approval_id: String,
    /// The user asked.
    pub user_id: String,
    /// The agent (client) asking.
    pub client_id: String,
    /// The binding message shown to the person (CIBA Core 1.0 section 7.1).
    pub binding_message: Option<String>,
    /// The scopes asked for.
    pub scope: Vec<String>,
    /// The RFC 9396 authorization details asked for.
    pub authorization_details: Option<Value>,
    /// Until when the request can be decided (seconds since the epoch).
    pub expires_at: i64,
    /// The approval page for this request, when the OP knows its public URL.
    pub approval_url: Option<String>,
}

/// A failure to reach the authentication device.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the authentication device could not be reached: {0}")]
pub struct DeviceError(pub String);

/// Reaches the person's authentication device. One capability, several
/// implementations: [`ChannelDevice`] (tests decide programmatically),
/// [`WebhookDevice`] (a JSON POST), or any closure-like type of your own.
#[async_trait::async_trait]
pub trait AuthenticationDevice: Send + Sync + std::fmt::Debug {
    /// Tells the person about a request.
    async fn notify(&self, request: &ApprovalRequest) -> Result<(), DeviceError>;
}

/// An in-memory device: each request goes to a channel; a test reads it and
/// calls [`CibaOp::approve`](super::CibaOp::approve) or
/// [`CibaOp::deny`](super::CibaOp::deny).
#[derive(Debug, Clone)]
pub struct ChannelDevice {
    sender: mpsc::UnboundedSender<ApprovalRequest>,
    receiver: Arc<Mutex<Option<mpsc::UnboundedReceiver<ApprovalRequest>>>>,
}

impl ChannelDevice {
    /// A device with an empty channel.
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            receiver: Arc::new(Mutex::new(Some(receiver))),
        }
    }

    /// The receiving end (once; `None` afterwards).
    pub fn take_receiver(&self) -> Option<mpsc::UnboundedReceiver<ApprovalRequest>> {
        self.receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl Default for ChannelDevice {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl AuthenticationDevice for ChannelDevice {
    async fn notify(&self, request: &ApprovalRequest) -> Result<(), DeviceError> {
        self.sender
            .send(request.clone())
            .map_err(|_| DeviceError("the channel is closed".into()))
    }
}

/// A device reached by a webhook: the [`ApprovalRequest`] is POSTed as JSON
/// (to a push-notification gateway, a chat bot, a mailer).
///
/// The backchannel authentication response waits for the webhook's answer
/// (a device that cannot be reached fails the request, which then stores
/// nothing), so the webhook must answer at once and let the person decide
/// later; the wait is bounded by [`timeout`](WebhookDevice::timeout).
#[derive(Debug, Clone)]
pub struct WebhookDevice {
    url: String,
    http: reqwest::Client,
}

/// How long a webhook may take to answer by default.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

impl WebhookDevice {
    /// A webhook at `url`, answering within [`DEFAULT_WEBHOOK_TIMEOUT`].
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_timeout(url, DEFAULT_WEBHOOK_TIMEOUT)
    }

    /// A webhook at `url` that must answer within `timeout`.
    pub fn with_timeout(url: impl Into<String>, timeout: Duration) -> Self {
        Self {
            url: url.into(),
            http: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    /// The same webhook with another answer deadline.
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Self {
        Self::with_timeout(self.url, timeout)
    }
}

#[async_trait::async_trait]
impl AuthenticationDevice for WebhookDevice {
    async fn notify(&self, request: &ApprovalRequest) -> Result<(), DeviceError> {
        let response = self
            .http
            .post(&self.url)
            .json(request)
            .send()
            .await
            .map_err(|_| DeviceError("webhook request failed".into()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(DeviceError(format!(
                "webhook answered {}",
                response.status().as_u16()
            )))
        }
    }
}
