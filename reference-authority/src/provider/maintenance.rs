//! Removing what has expired: codes, interactions, pushed requests, upstream
//! logins, sessions, refresh tokens, dead grant families, the token exchange
//! bindings of families that can no longer refresh, replay records, and what
//! extensions registered with [`Authority::register_purge`].

use super::model::{CodeRecord, FamilyRecord, InteractionRecord, RefreshRecord, SessionRecord};
use super::store::{Table, purge_json};
use super::{Authority, StoreError};
use serde::de::DeserializeOwned;
use std::sync::PoisonError;

/// An extension's share of [`Authority::purge_expired`]: removes its own dead
/// records and returns how many. A plain function, so that it holds no
/// reference to the authority it is registered in.
pub type Purge = fn(&Authority) -> Result<usize, StoreError>;

impl Authority {
    /// Deletes every record that can no longer be used. Returns how many were
    /// removed. Safe to call at any time (for example every few minutes); no
    /// live code, token or session is touched.
    pub fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.now();
        let cfg = &self.inner.config;
        let mut removed = 0;
        removed += self.purge::<CodeRecord>(Table::Codes, |r| r.expires <= now)?;
        removed += self.purge::<InteractionRecord>(Table::Interactions, |r| r.expires <= now)?;
        removed += self.purge::<RefreshRecord>(Table::RefreshTokens, |r| r.expires <= now)?;
        removed += self.purge::<SessionRecord>(Table::Sessions, |s| {
            now - s.last_seen >= cfg.session_idle_ttl || now - s.created >= cfg.session_absolute_ttl
        })?;
        removed += self.purge::<i64>(Table::RevokedJti, |exp| *exp <= now)?;
        removed += super::replay::purge(self)?;
        removed += super::throttle::purge(self)?;
        removed += super::id_token_grants::purge(self)?;
        removed += self.purge::<serde_json::Value>(Table::PushedRequests, |v| expired(v, now))?;
        removed += self.purge::<serde_json::Value>(Table::Upstream, |v| expired(v, now))?;
        removed += self.purge::<serde_json::Value>(Table::LogoutRequests, |v| expired(v, now))?;
        removed += self.purge::<FamilyRecord>(Table::Families, |f| {
            f.expires <= now && f.access_tokens.iter().all(|(_, exp)| *exp <= now)
        })?;
        // After the families: a family removed above takes its binding along.
        removed += super::grants::purge_dead_exchange_bindings(self)?;
        let purges: Vec<Purge> = self
            .inner
            .purges
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .copied()
            .collect();
        for purge in purges {
            removed += purge(self)?;
        }
        Ok(removed)
    }

    /// Adds `purge` to [`Authority::purge_expired`], under `name` (a second
    /// registration under the same name replaces the first), as extensions
    /// that keep their own tables (the CIBA OP) do.
    pub fn register_purge(&self, name: &'static str, purge: Purge) {
        self.inner
            .purges
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, purge);
    }

    fn purge<T: DeserializeOwned>(
        &self,
        table: Table,
        dead: impl Fn(&T) -> bool,
    ) -> Result<usize, StoreError> {
        purge_json(self.store().as_ref(), table, dead)
    }
}

fn expired(record: &serde_json::Value, now: i64) -> bool {
    record
        .get("expires")
        .and_then(serde_json::Value::as_i64)
        .is_some_and(|e| e <= now)
}
