//! Pending requests, kept so that a restarted agent resumes waiting where it
//! stopped: one trait, an in-memory store and (feature `sqlite`) a SQLite one.

use crate::wire::{AuthReqId, DeliveryMode, NotificationToken};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One request the agent is waiting for.
#[derive(Debug, Clone)]
pub struct PendingRecord {
    /// The request's identifier.
    pub auth_req_id: AuthReqId,
    /// The delivery mode it was made in.
    pub mode: DeliveryMode,
    /// When it expires (seconds since the epoch, from the injected clock).
    pub expires_at: i64,
    /// The current polling interval (grown by each `slow_down`).
    pub interval: u64,
    /// The scopes asked for (granted when the token response omits `scope`).
    pub scope: Vec<String>,
    /// The token the OP presents at the notification endpoint (ping, push).
    pub notification_token: Option<NotificationToken>,
    /// The user the request's hint names (`login_hint`, or the `sub` of an
    /// `iss_sub` hint), so that the request can be cancelled when the
    /// user's access ends.
    pub user: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    auth_req_id: String,
    mode: DeliveryMode,
    expires_at: i64,
    interval: u64,
    scope: Vec<String>,
    notification_token: Option<String>,
    #[serde(default)]
    user: Option<String>,
}

impl PendingRecord {
    /// The storage key: a digest of the `auth_req_id`.
    pub fn key(&self) -> String {
        crate::wire::digest(self.auth_req_id.expose_secret())
    }

    /// JSON for a durable store.
    ///
    /// # Security
    /// The text holds the `auth_req_id` and the notification token in clear:
    /// keep it where the agent's other credentials are kept.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&Stored {
            auth_req_id: self.auth_req_id.expose_secret().to_owned(),
            mode: self.mode,
            expires_at: self.expires_at,
            interval: self.interval,
            scope: self.scope.clone(),
            notification_token: self
                .notification_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            user: self.user.clone(),
        })
        .unwrap_or_default()
    }

    /// Reads what [`to_json`](Self::to_json) wrote.
    pub fn from_json(text: &str) -> Option<Self> {
        let s: Stored = serde_json::from_str(text).ok()?;
        Some(Self {
            auth_req_id: AuthReqId::new(s.auth_req_id),
            mode: s.mode,
            expires_at: s.expires_at,
            interval: s.interval,
            scope: s.scope,
            notification_token: s.notification_token.map(NotificationToken::new),
            user: s.user,
        })
    }
}

/// Where pending requests live.
pub trait PendingStore: Send + Sync + std::fmt::Debug {
    /// Saves (or replaces) a record.
    fn save(&self, record: &PendingRecord) -> Result<(), String>;
    /// Removes a record by [`PendingRecord::key`].
    fn remove(&self, key: &str) -> Result<(), String>;
    /// Every record.
    fn list(&self) -> Result<Vec<PendingRecord>, String>;
}

/// Pending requests in memory (lost when the process ends).
#[derive(Debug, Clone, Default)]
pub struct MemoryPendingStore {
    records: Arc<Mutex<BTreeMap<String, PendingRecord>>>,
}

impl MemoryPendingStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl PendingStore for MemoryPendingStore {
    fn save(&self, record: &PendingRecord) -> Result<(), String> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(record.key(), record.clone());
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<(), String> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        Ok(())
    }

    fn list(&self) -> Result<Vec<PendingRecord>, String> {
        Ok(self
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect())
    }
}

/// Pending requests in a SQLite file (feature `sqlite`).
#[cfg(feature = "sqlite")]
#[derive(Debug)]
pub struct SqlitePendingStore {
    conn: Mutex<rusqlite::Connection>,
}

#[cfg(feature = "sqlite")]
impl SqlitePendingStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self, String> {
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS ciba_pending (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            [],
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(feature = "sqlite")]
impl PendingStore for SqlitePendingStore {
    fn save(&self, record: &PendingRecord) -> Result<(), String> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO ciba_pending (key, value) VALUES (?1, ?2)",
                rusqlite::params![record.key(), record.to_json()],
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn remove(&self, key: &str) -> Result<(), String> {
        self.conn()
            .execute("DELETE FROM ciba_pending WHERE key = ?1", [key])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn list(&self) -> Result<Vec<PendingRecord>, String> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT value FROM ciba_pending")
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for row in rows {
            let text = row.map_err(|e| e.to_string())?;
            out.push(PendingRecord::from_json(&text).ok_or("corrupt pending record")?);
        }
        Ok(out)
    }
}
