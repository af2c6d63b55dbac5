//! The OpenID Shared Signals Framework 1.0 transmitter of the authority
//! (feature `server`): configuration discovery, stream management, signed
//! SETs (RFC 8417) with CAEP and RISC events and SCIM provisioning events
//! (RFC 9967), push (RFC 8935) and poll (RFC 8936) delivery from a durable
//! outbox.
//!
//! Receivers are clients of the authority holding an access token with the
//! `ssf` scope; each stream belongs to the client that created it, and its
//! SETs carry that client id as `aud`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use reference_authority::{Authority, AuthorityConfig};
//! use reference_authority::signals::{Event, EventKind, SubjectId, Transmitter};
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! let transmitter = Transmitter::install(&authority);
//! let stream = transmitter.create_stream("receiver-app", serde_json::json!({
//!     "events_requested": [reference_authority::signals::types::SESSION_REVOKED],
//! }).as_object().ok_or("object")?)?;
//! let subject = SubjectId::iss_sub("https://idp.example", "user-sarah");
//! let queued = transmitter.emit(&subject, &Event::new(EventKind::SessionRevoked, authority.now()), "txn-1")?;
//! assert_eq!(queued.len(), 1);
//! assert_eq!(queued[0].stream_id, stream["stream_id"]);
//! let app = reference_authority::http::router(authority).merge(transmitter.router());
//! # let _ = app; Ok(()) }
//! ```

mod access;
mod auth;
mod error;
mod event;
mod http;
mod inactivity;
mod outbox;
mod poll;
mod publish;
mod push;
mod set;
mod stream;
mod streams;
mod subject;
mod transmit;

pub use auth::SSF_SCOPE;
pub(crate) use auth::bearer as bearer_token;
pub use error::SsfError;
pub use event::{ChangeType, Event, EventKind, RiskLevel, types};
pub use inactivity::INACTIVITY_REASON;
pub use push::{DeliveryOutcome, DeliveryStatus};
pub use stream::{POLL, PUSH, StreamStatus};
pub use subject::{SubjectError, SubjectId};
pub use transmit::Queued;

use crate::Authority;
use std::sync::Arc;
use std::time::Duration;

/// Paths of the transmitter, relative to the issuer URL.
pub mod paths {
    /// Transmitter configuration (SSF 1.0 section 7.2), for an issuer without a path.
    pub const CONFIGURATION: &str = "/.well-known/ssf-configuration";
    /// The configuration endpoint (streams).
    pub const STREAM: &str = "/ssf/stream";
    /// The status endpoint.
    pub const STATUS: &str = "/ssf/status";
    /// The add subject endpoint.
    pub const ADD_SUBJECT: &str = "/ssf/subjects:add";
    /// The remove subject endpoint.
    pub const REMOVE_SUBJECT: &str = "/ssf/subjects:remove";
    /// The verification endpoint.
    pub const VERIFY: &str = "/ssf/verify";
    /// Poll endpoints: `/ssf/poll/{stream_id}`, one per stream.
    pub const POLL: &str = "/ssf/poll";
}

/// Settings of the transmitter. Durations in seconds unless typed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransmitterConfig {
    /// `default_subjects`: `true` for `ALL` (every subject unless removed),
    /// `false` for `NONE` (only subjects added). Default `ALL`.
    pub default_subjects_all: bool,
    /// Push attempts before a SET is given up.
    pub max_attempts: u32,
    /// First retry delay; doubled on each failure.
    pub backoff_base: i64,
    /// Longest retry delay.
    pub backoff_max: i64,
    /// Shortest time between two verification requests of a stream.
    pub min_verification_interval: i64,
    /// How long a poll without `returnImmediately` waits for events.
    pub long_poll_timeout: Duration,
    /// How long a receiver's push endpoint may take to answer.
    pub push_timeout: Duration,
    /// `inactivity_timeout` (SSF 1.0 section 8.1.1), in seconds: a stream
    /// whose receiver made no request about it (management call, poll,
    /// verification request) for this long is paused, with a stream-updated
    /// event. `None` (the default): streams never time out.
    pub inactivity_timeout: Option<i64>,
}

impl Default for TransmitterConfig {
    fn default() -> Self {
        Self {
            default_subjects_all: true,
            max_attempts: 8,
            backoff_base: 2,
            backoff_max: 3600,
            min_verification_interval: 0,
            long_poll_timeout: Duration::from_secs(20),
            push_timeout: Duration::from_secs(10),
            inactivity_timeout: None,
        }
    }
}

impl TransmitterConfig {
    /// `default_subjects` `NONE`: receivers add the subjects they want.
    #[must_use]
    pub fn subjects_none_by_default(mut self) -> Self {
        self.default_subjects_all = false;
        self
    }

    /// Push attempts and backoff (first delay, longest delay), in seconds.
    #[must_use]
    pub fn retries(mut self, max_attempts: u32, base: i64, max: i64) -> Self {
        self.max_attempts = max_attempts.max(1);
        self.backoff_base = base.max(1);
        self.backoff_max = max.max(self.backoff_base);
        self
    }

    /// `min_verification_interval`, in seconds.
    #[must_use]
    pub fn min_verification_interval(mut self, seconds: i64) -> Self {
        self.min_verification_interval = seconds.max(0);
        self
    }

    /// `inactivity_timeout`, in seconds (at least one).
    #[must_use]
    pub fn inactivity_timeout(mut self, seconds: i64) -> Self {
        self.inactivity_timeout = Some(seconds.max(1));
        self
    }

    /// How long a long poll waits.
    #[must_use]
    pub fn long_poll_timeout(mut self, timeout: Duration) -> Self {
        self.long_poll_timeout = timeout;
        self
    }
}

/// The SSF transmitter of one authority. Cheap to clone.
#[derive(Clone)]
pub struct Transmitter {
    pub(crate) authority: Authority,
    pub(crate) config: Arc<TransmitterConfig>,
    pub(crate) http: reqwest::Client,
    /// Held while a delivery round runs, so two rounds never send one SET twice.
    pub(crate) flushing: Arc<tokio::sync::Mutex<()>>,
    /// Woken when SETs are queued or a stream changes.
    pub(crate) changed: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Transmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transmitter")
            .field("issuer", &self.authority.issuer())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Transmitter {
    /// Installs the transmitter into `authority` with default settings.
    pub fn install(authority: &Authority) -> Self {
        Self::install_with(authority, TransmitterConfig::default())
    }

    /// Installs the transmitter with `config`: its outbox joins the
    /// authority's purge, and a user's logout, a disabled user and a disabled
    /// agent are sent as SETs (CAEP `session-revoked`, RISC `account-disabled`),
    /// and so is each SCIM change, as its RFC 9967 provisioning event about
    /// the resource.
    pub fn install_with(authority: &Authority, config: TransmitterConfig) -> Self {
        authority.register_purge("ssf_outbox", outbox::purge);
        let http = reqwest::Client::builder()
            .timeout(config.push_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let t = Self {
            authority: authority.clone(),
            config: Arc::new(config),
            http,
            flushing: Arc::new(tokio::sync::Mutex::new(())),
            changed: Arc::new(tokio::sync::Notify::new()),
        };
        authority.register_access_hook("ssf", Arc::new(access::SignalAccessChanges::of(&t)));
        t
    }

    /// The authority this transmitter speaks for.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The transmitter configuration document (SSF 1.0 section 7.1).
    pub fn configuration(&self) -> serde_json::Value {
        let a = &self.authority;
        serde_json::json!({
            "spec_version": "1_0",
            "issuer": a.issuer(),
            "jwks_uri": a.endpoint(crate::paths::JWKS),
            "delivery_methods_supported": [PUSH, POLL],
            "configuration_endpoint": a.endpoint(paths::STREAM),
            "status_endpoint": a.endpoint(paths::STATUS),
            "add_subject_endpoint": a.endpoint(paths::ADD_SUBJECT),
            "remove_subject_endpoint": a.endpoint(paths::REMOVE_SUBJECT),
            "verification_endpoint": a.endpoint(paths::VERIFY),
            "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:6749"}],
            "default_subjects": if self.config.default_subjects_all { "ALL" } else { "NONE" },
        })
    }

    /// Where the configuration is served, from the host root (SSF 1.0 section
    /// 7.2: `/.well-known/ssf-configuration` inserted between the host and the
    /// issuer's path, a trailing `/` of the issuer removed).
    pub fn configuration_path(&self) -> String {
        let path = url::Url::parse(self.authority.issuer())
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        format!("{}{}", paths::CONFIGURATION, path)
    }

    /// The poll URL of a stream (unique per stream, RFC 8936 via SSF 1.0 section 7.1.2).
    pub fn poll_url(&self, stream_id: &str) -> String {
        format!("{}/{}", self.authority.endpoint(paths::POLL), stream_id)
    }

    /// The router of the management and poll endpoints, relative to the
    /// issuer URL (merge it with the authority's). For an issuer without a
    /// path it also serves the configuration document.
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// The router of the configuration document at
    /// [`configuration_path`](Self::configuration_path), to be merged at the
    /// host root when the issuer has a path.
    pub fn well_known_router(&self) -> axum::Router {
        http::well_known_router(self.clone())
    }

    /// Starts a task that delivers due push SETs whenever some are queued and
    /// at least every `interval` (for retries). Stop it by aborting the handle.
    pub fn spawn_delivery(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let t = self.clone();
        tokio::spawn(async move {
            loop {
                // Registered before the round, so a SET queued during it is not missed.
                let woken = t.changed.notified();
                tokio::pin!(woken);
                woken.as_mut().enable();
                let _ = t.pause_inactive();
                t.flush().await;
                let _ = tokio::time::timeout(interval, woken).await;
            }
        })
    }

    pub(crate) fn wake(&self) {
        self.changed.notify_waiters();
    }
}
