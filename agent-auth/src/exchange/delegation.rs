//! One RFC 8693 exchange for an access token (delegation or impersonation at
//! the same authority), cached until shortly before it expires and renewed
//! with the refresh token the exchange returned, if any (section 2.2.1), so
//! the agent keeps access after the subject token expires.

use super::client::{ExchangeClient, ExchangeError, TokenExchangeRequest};
use super::token_cache::{TokenCache, subject_label};
use crate::clock::{SharedClock, system_clock};
use crate::secret::Token;

/// Cached token exchange at one token endpoint.
#[derive(Debug)]
pub struct DelegationClient {
    client: ExchangeClient,
    cache: TokenCache,
}

impl DelegationClient {
    /// Exchanges at `client`'s token endpoint.
    pub fn new(client: ExchangeClient) -> Self {
        Self {
            client,
            cache: TokenCache::new(system_clock()),
        }
    }

    /// The clock deciding expiry (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.cache.clock = clock;
        self
    }

    /// How long before expiry a cached token is replaced (default 30 s).
    #[must_use]
    pub fn refresh_ahead(mut self, seconds: i64) -> Self {
        self.cache.refresh_ahead = seconds.max(0);
        self
    }

    /// The access token `request` yields: cached per request (subject and
    /// actor tokens included, as a digest) while valid, else refreshed with
    /// the refresh token the exchange returned (rotated by the server), else
    /// exchanged again.
    pub async fn access_token(
        &self,
        request: &TokenExchangeRequest,
    ) -> Result<Token, ExchangeError> {
        let key = request.digest();
        let subject = subject_label(request.subject_token());
        self.cache
            .get_or(&key, subject, &self.client, self.client.exchange(request))
            .await
    }

    /// Drops the cached tokens exchanged for `user` of `issuer` (the `iss`
    /// and `sub` of the subject token); returns how many.
    pub fn drop_subject(&self, issuer: &str, user: &str) -> usize {
        self.cache.drop_subject(issuer, user)
    }

    /// Drops every cached token.
    pub fn clear(&self) {
        self.cache.clear();
    }
}
