//! One notification, and why delivering it failed.

use serde::Serialize;
use serde_json::{Map, Value};

/// A message to people of the directory. Identifiers and short facts only:
/// never a token or a secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Notification {
    /// What it is about, machine-readable (`agent_suspended`, `review_due`, ...).
    pub topic: String,
    /// Recipients: authority user ids.
    pub recipients: Vec<String>,
    /// Their email addresses, where the directory knows them.
    pub emails: Vec<String>,
    /// The subject it concerns (an agent id, a review id).
    pub subject: Option<String>,
    /// A sentence for humans.
    pub text: String,
    /// When (the authority's clock).
    pub time: i64,
    /// Further non-secret facts.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl Notification {
    /// A notification on `topic` to `recipients`.
    ///
    /// ```
    /// use reference_authority::notify::Notification;
    ///
    /// let n = Notification::new("review_due", vec!["maria".into()], "Review Q3 access", 1_750_000_000)
    ///     .subject("review-2026-q3");
    /// assert_eq!(n.recipients, ["maria"]);
    /// ```
    pub fn new(
        topic: impl Into<String>,
        recipients: Vec<String>,
        text: impl Into<String>,
        time: i64,
    ) -> Self {
        Self {
            topic: topic.into(),
            recipients,
            emails: Vec::new(),
            subject: None,
            text: text.into(),
            time,
            details: Map::new(),
        }
    }

    /// Names what it concerns.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Adds email addresses of the recipients.
    #[must_use]
    pub fn emails(mut self, emails: Vec<String>) -> Self {
        self.emails = emails;
        self
    }

    /// Adds a non-secret fact.
    #[must_use]
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

/// Why a notification was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The channel could not be reached or refused the message.
    #[error("notification not delivered: {0}")]
    Delivery(String),
}
