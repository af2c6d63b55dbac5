//! Binding login interactions to the browser that started them, so that a
//! login form or an upstream callback cannot be finished by another browser
//! (login CSRF: RFC 6749 section 10.12, RFC 9700 section 4.7.1).
//!
//! The browser holds a random [`BrowserBinding`] in a cookie; an interaction
//! keeps only its SHA-256 digest. Interactions started in process with
//! [`Authority::authorize`] have no browser and no binding.

use super::crypto::{handle_key, random_value};
use super::model::InteractionRecord;
use super::session::LoginError;
use super::{Authority, authorize::Interaction};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::constant_time_eq;

agent_auth::secret_type!(
    /// A random value a browser holds in a cookie; interactions started by
    /// that browser can only be continued by a request carrying it.
    BrowserBinding
);

impl BrowserBinding {
    /// A fresh binding (256 random bits), or `None` when the system random
    /// generator fails.
    pub fn generate() -> Option<Self> {
        random_value().map(Self::new)
    }

    /// What the authority stores of it.
    pub(crate) fn digest(&self) -> String {
        handle_key(self.expose_secret())
    }
}

impl Authority {
    /// The live interaction `id`, if the request comes from the browser that
    /// started it. A refusal is audited and changes nothing.
    pub(crate) fn bound_interaction(
        &self,
        id: &str,
        browser: Option<&BrowserBinding>,
    ) -> Result<InteractionRecord, LoginError> {
        let record = self
            .live_interaction(id)
            .ok_or(LoginError::InteractionExpired)?;
        let Some(expected) = record.browser.as_deref() else {
            return Ok(record);
        };
        let matches =
            browser.is_some_and(|b| constant_time_eq(b.digest().as_bytes(), expected.as_bytes()));
        if !matches {
            self.audit(AuditAction::Authentication, Outcome::Denied, |e| {
                e.reason(LoginError::OtherBrowser.to_string())
                    .detail("step", "interaction")
            });
            return Err(LoginError::OtherBrowser);
        }
        Ok(record)
    }

    /// The pending interaction of a login page, if it is still valid and
    /// `browser` started it.
    pub fn interaction_in_browser(
        &self,
        id: &str,
        browser: Option<&BrowserBinding>,
    ) -> Result<Interaction, LoginError> {
        self.bound_interaction(id, browser)?;
        self.interaction(id).ok_or(LoginError::InteractionExpired)
    }
}
