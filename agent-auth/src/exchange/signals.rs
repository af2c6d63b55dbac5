//! The exchange clients as subscribers of `agent_auth::signals`: when a
//! user's access ends, the tokens cached for that user are dropped.

use super::{CrossDomainClient, DelegationClient};
use crate::signals::{Signal, SignalSubscriber};

/// The users a signal that ends access names, at each issuer it speaks for.
fn ended<'a>(signal: &'a Signal) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    signal
        .issuers()
        .iter()
        .filter(|_| signal.ends_access())
        .filter_map(|issuer| signal.user_at(issuer).map(|user| (issuer.as_str(), user)))
}

#[async_trait::async_trait]
impl SignalSubscriber for DelegationClient {
    /// Drops the tokens exchanged for the user whose access ended.
    async fn on_signal(&self, signal: &Signal) {
        for (issuer, user) in ended(signal) {
            self.drop_subject(issuer, user);
        }
    }
}

#[async_trait::async_trait]
impl SignalSubscriber for CrossDomainClient {
    /// Drops the ID-JAG-obtained tokens of the user whose access ended.
    async fn on_signal(&self, signal: &Signal) {
        for (issuer, user) in ended(signal) {
            self.drop_subject(issuer, user);
        }
    }
}
