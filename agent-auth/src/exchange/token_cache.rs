//! Access tokens cached until shortly before they expire, with the refresh
//! token that came with them: an expired entry is renewed with the refresh
//! grant first (rotation-aware), and only when that fails is the token
//! obtained again from scratch.

use super::client::{ExchangeClient, ExchangeError, TokenExchangeResponse};
use crate::clock::SharedClock;
use crate::secret::Token;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

#[derive(Debug)]
struct Entry {
    token: Token,
    usable_until: i64,
    refresh: Option<Token>,
    /// The (issuer, subject) the token acts for, to drop it when the
    /// subject's access ends.
    subject: Option<(String, String)>,
}

/// The `iss` and `sub` of a JWT, read without verification: only a label of
/// the cache entry (so that a signal about the subject drops it), never a
/// reason to trust anything.
pub(super) fn subject_label(token: &Token) -> Option<(String, String)> {
    let payload = token.expose_secret().split('.').nth(1)?;
    let bytes = crate::jose::base64url::decode(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let text = |n: &str| {
        claims
            .get(n)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Some((text("iss")?, text("sub")?))
}

/// Tokens by cache key (a digest; never a token).
#[derive(Debug)]
pub(super) struct TokenCache {
    pub(super) clock: SharedClock,
    pub(super) refresh_ahead: i64,
    entries: Mutex<HashMap<String, Entry>>,
}

impl TokenCache {
    pub(super) fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            refresh_ahead: 30,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached token for `key`, when still usable; else refreshes it with
    /// `client` when a refresh token is held; else runs `obtain`.
    pub(super) async fn get_or<F>(
        &self,
        key: &str,
        subject: Option<(String, String)>,
        client: &ExchangeClient,
        obtain: F,
    ) -> Result<Token, ExchangeError>
    where
        F: Future<Output = Result<TokenExchangeResponse, ExchangeError>>,
    {
        let now = self.clock.now();
        // The refresh token is taken out under the lock: two callers never
        // present the same one, which a rotating server would treat as reuse.
        let refresh = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            match entries.get_mut(key) {
                Some(e) if e.usable_until > now => return Ok(e.token.clone()),
                Some(e) => e.refresh.take(),
                None => None,
            }
        };
        if let Some(refresh) = refresh {
            match client.refresh(&refresh, &[]).await {
                Ok(response) => return Ok(self.store(key, subject, response, Some(refresh))),
                Err(e) => tracing::debug!(error = %e, "refresh failed; obtaining a new token"),
            }
        }
        let response = obtain.await?;
        Ok(self.store(key, subject, response, None))
    }

    /// Caches `response` (when it says when it expires), keeping `previous`
    /// as refresh token when the server did not rotate it.
    fn store(
        &self,
        key: &str,
        subject: Option<(String, String)>,
        response: TokenExchangeResponse,
        previous: Option<Token>,
    ) -> Token {
        let token = response.access_token;
        let refresh = response.refresh_token.or(previous);
        let now = self.clock.now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, e| e.usable_until > now || e.refresh.is_some());
        match response.expires_in {
            Some(expires_in) => {
                entries.insert(
                    key.to_owned(),
                    Entry {
                        token: token.clone(),
                        usable_until: now + expires_in - self.refresh_ahead,
                        refresh,
                        subject,
                    },
                );
            }
            None => {
                entries.remove(key);
            }
        }
        token
    }

    /// Drops the entries acting for `user` of `issuer`; returns how many.
    pub(super) fn drop_subject(&self, issuer: &str, user: &str) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let before = entries.len();
        entries.retain(|_, e| {
            !e.subject
                .as_ref()
                .is_some_and(|(i, s)| i == issuer && s == user)
        });
        before - entries.len()
    }

    /// Drops every entry.
    pub(super) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
