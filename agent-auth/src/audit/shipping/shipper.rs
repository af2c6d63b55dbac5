//! Sending the journal to the authority in batches.

use super::journal::Journal;
use crate::clock::{SharedClock, system_clock};
use crate::oauth::{Form, HttpClient, HttpError, HttpRequest, TokenEndpoint, TokenError};
use crate::secret::{SecretString, Token};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::Notify;

/// The scope the authority's ingestion endpoint requires.
pub const AUDIT_WRITE_SCOPE: &str = "audit:write";

/// Why a batch was not shipped (it stays in the journal).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ShipError {
    /// The journal on disk could not be read or written.
    #[error("audit journal: {0}")]
    Journal(String),
    /// An event could not be encoded.
    #[error("an audit event could not be encoded")]
    Encoding,
    /// No randomness for an event id.
    #[error("no randomness for an event id")]
    Randomness,
    /// The access token could not be obtained.
    #[error("audit shipping token: {0}")]
    Token(#[from] TokenError),
    /// The ingestion request failed on the way.
    #[error("audit shipping: {0}")]
    Http(#[from] HttpError),
    /// The authority refused the batch.
    #[error("the authority refused the audit batch with status {0}")]
    Refused(u16),
}

impl ShipError {
    pub(super) fn journal(e: std::io::Error) -> Self {
        Self::Journal(e.kind().to_string())
    }
}

/// Settings of a [`Shipper`]: where to send, how to get a token, batch size.
#[derive(Debug)]
pub struct ShipperBuilder {
    ingest_url: String,
    token: TokenEndpoint,
    http: Option<HttpClient>,
    batch: usize,
    retry: Duration,
    clock: SharedClock,
}

impl ShipperBuilder {
    /// Sends through `http` (default: the token endpoint's client).
    #[must_use]
    pub fn http(mut self, http: HttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// At most `events` per request (default 500, at most 1000).
    #[must_use]
    pub fn batch(mut self, events: usize) -> Self {
        self.batch = events.clamp(1, 1000);
        self
    }

    /// The pause of [`Shipper::run`] after a failed batch (default 5 s).
    #[must_use]
    pub fn retry_after(mut self, pause: Duration) -> Self {
        self.retry = pause;
        self
    }

    /// The clock that decides when the cached token is due for renewal.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    pub(super) fn build(self, journal: Arc<Journal>, wake: Arc<Notify>) -> Shipper {
        let http = self.http.unwrap_or_else(|| self.token.http().clone());
        Shipper {
            journal,
            wake,
            ingest_url: self.ingest_url,
            token: self.token,
            http,
            batch: self.batch,
            retry: self.retry,
            clock: self.clock,
            cached: Mutex::new(None),
        }
    }
}

/// Empties the journal into the authority's audit log.
#[derive(Debug)]
pub struct Shipper {
    journal: Arc<Journal>,
    wake: Arc<Notify>,
    ingest_url: String,
    token: TokenEndpoint,
    http: HttpClient,
    batch: usize,
    retry: Duration,
    clock: SharedClock,
    cached: Mutex<Option<(Token, i64)>>,
}

impl Shipper {
    /// Settings for shipping to `ingest_url` (the authority's
    /// `/audit-log/events`) with tokens from `token` (client credentials).
    pub fn builder(ingest_url: impl Into<String>, token: TokenEndpoint) -> ShipperBuilder {
        ShipperBuilder {
            ingest_url: ingest_url.into(),
            token,
            http: None,
            batch: 500,
            retry: Duration::from_secs(5),
            clock: system_clock(),
        }
    }

    /// Sends one batch of pending events; returns how many the authority
    /// acknowledged (0 when nothing is pending).
    pub async fn ship_once(&self) -> Result<usize, ShipError> {
        let batch = self
            .journal
            .pending(self.batch)
            .map_err(ShipError::journal)?;
        if batch.lines.is_empty() {
            return Ok(0);
        }
        // The lines are JSON objects written by the sink: joined, an array.
        let mut body =
            Vec::with_capacity(batch.lines.iter().map(|l| l.len() + 1).sum::<usize>() + 2);
        body.push(b'[');
        for (i, line) in batch.lines.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(line);
        }
        body.push(b']');
        let array: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| ShipError::Encoding)?;
        let mut status = self.post(&array, false).await?;
        if status == 401 {
            // An expired or revoked token: one retry with a fresh one.
            status = self.post(&array, true).await?;
        }
        if !(200..300).contains(&status) {
            return Err(ShipError::Refused(status));
        }
        self.journal
            .acknowledge(batch.end)
            .map_err(ShipError::journal)?;
        Ok(batch.lines.len())
    }

    /// Ships until the journal is empty; returns how many events were sent.
    pub async fn drain(&self) -> Result<usize, ShipError> {
        let mut sent = 0;
        loop {
            let n = self.ship_once().await?;
            if n == 0 {
                return Ok(sent);
            }
            sent += n;
        }
    }

    /// Whether every journaled event was acknowledged.
    pub fn is_drained(&self) -> bool {
        self.journal.is_drained()
    }

    /// Ships for as long as the task lives: drains, then waits for new
    /// events; after a failure waits the retry pause (the events stay in the
    /// journal). Cancel-safe: a batch is acknowledged only after the authority
    /// answered.
    pub async fn run(self) {
        loop {
            match self.drain().await {
                Ok(_) => self.wake.notified().await,
                Err(error) => {
                    tracing::warn!(%error, "audit shipping failed; will retry");
                    tokio::time::sleep(self.retry).await;
                }
            }
        }
    }

    async fn post(&self, body: &serde_json::Value, fresh: bool) -> Result<u16, ShipError> {
        let token = self.access_token(fresh).await?;
        let request = HttpRequest::post_json(&self.ingest_url, body)?.secret_header(
            "authorization",
            SecretString::new(format!("Bearer {}", token.expose_secret())),
        );
        Ok(self.http.send(request).await?.status())
    }

    /// A cached token until a minute before it expires, else a new one.
    async fn access_token(&self, fresh: bool) -> Result<Token, ShipError> {
        let now = self.clock.now();
        if !fresh {
            let cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((token, _)) = cached.as_ref().filter(|(_, until)| *until > now) {
                return Ok(token.clone());
            }
        }
        let response = self
            .token
            .request(
                Form::new()
                    .with("grant_type", "client_credentials")
                    .with("scope", AUDIT_WRITE_SCOPE),
            )
            .await?;
        let until = now + response.expires_in.unwrap_or(60).saturating_sub(60);
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((response.access_token.clone(), until));
        Ok(response.access_token)
    }
}
