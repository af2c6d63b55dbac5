//! A notifier that posts each notification as JSON to a webhook URL, through
//! the OAuth core's [`HttpClient`] (URL policy, timeout, body cap, no redirects).

use super::{Notification, Notifier, NotifyError};
use agent_auth::oauth::{HttpClient, HttpRequest};
use agent_auth::secret::SecretString;

/// Posts notifications to a webhook (`POST`, `application/json`, the
/// [`Notification`] as the body); any 2xx answer is delivery.
///
/// ```
/// use reference_authority::notify::WebhookNotifier;
/// use agent_auth::oauth::HttpClient;
///
/// let notifier = WebhookNotifier::new(HttpClient::new()?, "https://hooks.example/agents")?
///     .bearer("hook-token-0123456789");
/// # let _ = notifier;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    http: HttpClient,
    url: String,
    token: Option<SecretString>,
}

impl WebhookNotifier {
    /// Posts to `url` (https, or http on loopback) through `http`.
    pub fn new(http: HttpClient, url: impl Into<String>) -> Result<Self, NotifyError> {
        let url = url.into();
        agent_auth::oauth::check_url(&url)
            .map_err(|e| NotifyError::Delivery(format!("webhook URL refused: {e}")))?;
        Ok(Self {
            http,
            url,
            token: None,
        })
    }

    /// Authenticates with `Authorization: Bearer <token>`.
    #[must_use]
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::new(token.into()));
        self
    }
}

#[async_trait::async_trait]
impl Notifier for WebhookNotifier {
    async fn notify(&self, notification: &Notification) -> Result<(), NotifyError> {
        let body = serde_json::to_value(notification)
            .map_err(|_| NotifyError::Delivery("notification not encodable".into()))?;
        let mut request = HttpRequest::post_json(&self.url, &body)
            .map_err(|e| NotifyError::Delivery(e.to_string()))?;
        if let Some(token) = &self.token {
            request = request.secret_header(
                "authorization",
                SecretString::new(format!("Bearer {}", token.expose_secret())),
            );
        }
        self.http
            .send_ok(request)
            .await
            .map_err(|e| NotifyError::Delivery(e.to_string()))?;
        Ok(())
    }
}
