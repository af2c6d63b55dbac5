//! The CIBA client: start a request, get a handle, wait without blocking, in
//! poll, ping or push mode; resume after a restart from a pending-request store.

mod auth;
mod discovery;
mod error;
mod exchange;
mod outcome;
#[cfg(feature = "postgres")]
mod pg_pending;
mod receiver;
mod request;
mod signals;
mod signed;
mod store;

pub use agent_auth::oauth::ClientAuth;
pub use discovery::ProviderMetadata;
pub use error::CibaError;
pub use outcome::{ApprovalOutcome, ApprovedTokens};
#[cfg(feature = "postgres")]
pub use pg_pending::PgPendingStore;
pub use request::{AuthenticationRequest, Hint};
pub use signals::CibaSignals;
#[cfg(feature = "sqlite")]
pub use store::SqlitePendingStore;
pub use store::{MemoryPendingStore, PendingRecord, PendingStore};

use crate::wire::{DEFAULT_INTERVAL, DeliveryMode, NotificationToken, digest, random_value};
use agent_auth::audit::{AuditAction, AuditEvent, NoopSink, Outcome, SharedSink};
use agent_auth::clock::{SharedClock, system_clock};
use agent_auth::jose::SigningKey;
use agent_auth::oauth::{HttpClient, HttpError};
use agent_auth::validate::{IdToken, Validator};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Where the OP is.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The OP's issuer identifier (audience of client assertions).
    pub issuer: String,
    /// `backchannel_authentication_endpoint`.
    pub backchannel: String,
    /// `token_endpoint`.
    pub token: String,
}

/// Configures a [`CibaClient`].
#[derive(Debug)]
pub struct CibaClientBuilder {
    endpoints: Endpoints,
    auth: ClientAuth,
    mode: DeliveryMode,
    clock: SharedClock,
    store: Arc<dyn PendingStore>,
    id_tokens: Option<Validator<IdToken>>,
    audit: SharedSink,
    request_key: Option<Arc<SigningKey>>,
    request_signing_algs: Option<Vec<String>>,
    http: Option<HttpClient>,
}

impl CibaClientBuilder {
    /// Sends every request through `http` (your own transport or
    /// `reqwest::Client`, e.g. with the client certificate of
    /// `tls_client_auth`) instead of the default [`HttpClient`]; its policy
    /// (no redirects, timeout, body cap, https or loopback) applies either way.
    #[must_use]
    pub fn with_http(mut self, http: HttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// Sends every authentication request as a request object signed with
    /// `key` (CIBA Core 1.0 section 7.1.1); its public half must be registered
    /// at the OP.
    #[must_use]
    pub fn sign_requests(mut self, key: SigningKey) -> Self {
        self.request_key = Some(Arc::new(key));
        self
    }

    /// What the OP announced: a signing client then refuses to send a request
    /// object the OP cannot verify (its algorithm not in
    /// `backchannel_authentication_request_signing_alg_values_supported`, or
    /// that list absent) instead of having it refused.
    #[must_use]
    pub fn provider_metadata(mut self, metadata: &ProviderMetadata) -> Self {
        self.request_signing_algs = Some(metadata.request_signing_algs.clone().unwrap_or_default());
        self
    }

    /// Where the agent's side of each request and outcome is audited
    /// (default: nowhere).
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = sink;
        self
    }

    /// The delivery mode registered for this client (default poll).
    #[must_use]
    pub fn mode(mut self, mode: DeliveryMode) -> Self {
        self.mode = mode;
        self
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where pending requests are kept (default: in memory).
    #[must_use]
    pub fn store(mut self, store: Arc<dyn PendingStore>) -> Self {
        self.store = store;
        self
    }

    /// Validates ID tokens (issuer = the OP, audience = this client). Without
    /// one, an ID token in a response makes the request fail.
    #[must_use]
    pub fn id_token_validator(mut self, validator: Validator<IdToken>) -> Self {
        self.id_tokens = Some(validator);
        self
    }

    /// The client.
    pub fn build(self) -> CibaClient {
        CibaClient {
            inner: Arc::new(Inner {
                endpoints: self.endpoints,
                auth: self.auth,
                mode: self.mode,
                clock: self.clock,
                store: self.store,
                id_tokens: self.id_tokens,
                audit: self.audit,
                request_key: self.request_key,
                request_signing_algs: self.request_signing_algs,
                // A default client that cannot be built fails each request
                // with its cause, rather than the builder panicking.
                http: self.http.map_or_else(HttpClient::new, Ok),
                waiters: Mutex::new(HashMap::new()),
            }),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) endpoints: Endpoints,
    pub(crate) auth: ClientAuth,
    pub(crate) mode: DeliveryMode,
    pub(crate) clock: SharedClock,
    pub(crate) store: Arc<dyn PendingStore>,
    pub(crate) id_tokens: Option<Validator<IdToken>>,
    pub(crate) audit: SharedSink,
    pub(crate) request_key: Option<Arc<SigningKey>>,
    pub(crate) request_signing_algs: Option<Vec<String>>,
    pub(crate) http: Result<HttpClient, HttpError>,
    pub(crate) waiters: Mutex<HashMap<String, Arc<Waiter>>>,
}

/// What a waiting request shares with the notification endpoint.
#[derive(Debug)]
pub(crate) struct Waiter {
    pub(crate) record: Mutex<PendingRecord>,
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) pushed: Mutex<Option<serde_json::Value>>,
    /// Held across each token request: never two in flight for one `auth_req_id`.
    pub(crate) in_flight: tokio::sync::Mutex<()>,
    /// Set once when the agent stops waiting (the user's access ended).
    pub(crate) cancelled: tokio::sync::watch::Sender<bool>,
}

/// A CIBA client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CibaClient {
    pub(crate) inner: Arc<Inner>,
}

impl CibaClient {
    /// Starts configuring a client of the OP at `endpoints`.
    pub fn builder(endpoints: Endpoints, auth: ClientAuth) -> CibaClientBuilder {
        CibaClientBuilder {
            endpoints,
            auth,
            mode: DeliveryMode::Poll,
            clock: system_clock(),
            store: Arc::new(MemoryPendingStore::new()),
            id_tokens: None,
            audit: Arc::new(NoopSink),
            request_key: None,
            request_signing_algs: None,
            http: None,
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        self.inner.auth.client_id()
    }

    /// Sends a backchannel authentication request (CIBA Core 1.0 section 7.1)
    /// and returns a handle to wait on. The request is saved in the store first
    /// thing after the OP answers.
    #[tracing::instrument(name = "ciba.start", skip_all, fields(client_id = %self.client_id()))]
    pub async fn start(
        &self,
        request: AuthenticationRequest,
    ) -> Result<PendingApproval, CibaError> {
        if request
            .binding_message
            .as_deref()
            .is_some_and(|m| m.is_empty() || m.chars().any(char::is_control))
        {
            return Err(CibaError::InvalidRequest(
                "the binding message is empty or has control characters",
            ));
        }
        let user = request.user_label();
        let mut form = request.to_form();
        let notification_token = match self.inner.mode {
            DeliveryMode::Poll => None,
            _ => {
                let t = random_value().ok_or(CibaError::Config("randomness unavailable"))?;
                form.push(("client_notification_token".into(), t.clone()));
                Some(NotificationToken::new(t))
            }
        };
        let form = self.maybe_sign(form)?;
        let body = self
            .post_form(
                &self.inner.endpoints.backchannel,
                form,
                "backchannel endpoint",
            )
            .await?;
        // CIBA Core 1.0 section 7.3: auth_req_id and expires_in are REQUIRED.
        let id = body
            .get("auth_req_id")
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(CibaError::MalformedResponse("auth_req_id is missing"))?;
        let expires_in = body
            .get("expires_in")
            .and_then(serde_json::Value::as_i64)
            .filter(|n| *n > 0)
            .ok_or(CibaError::MalformedResponse("expires_in is missing"))?;
        let interval = match body.get("interval") {
            None => DEFAULT_INTERVAL,
            Some(v) => v
                .as_u64()
                .ok_or(CibaError::MalformedResponse("interval is not a number"))?,
        };
        let record = PendingRecord {
            auth_req_id: crate::wire::AuthReqId::new(id),
            mode: self.inner.mode,
            expires_at: self.inner.clock.now().saturating_add(expires_in),
            interval: interval.max(1),
            scope: request.scope.clone(),
            notification_token,
            user: user.clone(),
        };
        self.inner.store.save(&record).map_err(CibaError::Store)?;
        self.record(
            AuditAction::ApprovalRequested,
            Outcome::Success,
            user.as_deref(),
            |ev| {
                ev.detail("binding_message", request.binding_message.clone())
                    .detail("scope", request.scope.join(" "))
                    .detail("request", record.key())
            },
        );
        tracing::info!(client = %self.client_id(), mode = record.mode.as_str(), "approval requested");
        Ok(self.track(record))
    }

    /// Handles for every request in the store, to resume waiting after a restart.
    pub fn resume(&self) -> Result<Vec<PendingApproval>, CibaError> {
        let records = self.inner.store.list().map_err(CibaError::Store)?;
        Ok(records.into_iter().map(|r| self.track(r)).collect())
    }

    fn track(&self, record: PendingRecord) -> PendingApproval {
        let key = record.key();
        let waiter = Arc::clone(
            self.inner
                .waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.clone())
                .or_insert_with(|| {
                    Arc::new(Waiter {
                        record: Mutex::new(record),
                        wake: tokio::sync::Notify::new(),
                        pushed: Mutex::new(None),
                        in_flight: tokio::sync::Mutex::new(()),
                        cancelled: tokio::sync::watch::Sender::new(false),
                    })
                }),
        );
        PendingApproval {
            client: self.clone(),
            key,
            waiter,
        }
    }

    /// Records an audit event of the agent's side, naming the agent and, when
    /// the hint names one, the user.
    pub(crate) fn record(
        &self,
        action: AuditAction,
        outcome: Outcome,
        user: Option<&str>,
        f: impl FnOnce(AuditEvent) -> AuditEvent,
    ) {
        let mut event = AuditEvent::new(self.inner.clock.now(), action, outcome)
            .agent(self.client_id().to_owned())
            .issuer(self.inner.endpoints.issuer.clone());
        if let Some(u) = user {
            event = event.user(u.to_owned());
        }
        self.inner.audit.record(&f(event));
    }

    pub(crate) fn finish(&self, key: &str) {
        let _ = self.inner.store.remove(key);
        self.inner
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    pub(crate) fn waiter(&self, auth_req_id: &str) -> Option<Arc<Waiter>> {
        self.inner
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest(auth_req_id))
            .cloned()
    }
}

/// A request waiting for the person. Waiting is a future; clones of the
/// client share the state, and [`CibaClient::resume`] rebuilds handles.
#[derive(Debug, Clone)]
pub struct PendingApproval {
    pub(crate) client: CibaClient,
    pub(crate) key: String,
    pub(crate) waiter: Arc<Waiter>,
}

impl PendingApproval {
    /// When the request expires (seconds since the epoch).
    pub fn expires_at(&self) -> i64 {
        self.waiter
            .record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .expires_at
    }

    /// The current polling interval in seconds.
    pub fn interval(&self) -> u64 {
        self.waiter
            .record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .interval
    }

    /// The delivery mode.
    pub fn mode(&self) -> DeliveryMode {
        self.waiter
            .record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .mode
    }

    /// Waits for the outcome. Terminal outcomes remove the request from the store.
    #[tracing::instrument(name = "ciba.wait", skip_all, fields(mode = ?self.mode()))]
    pub async fn wait(&self) -> ApprovalOutcome {
        let waiting = async {
            match self.mode() {
                DeliveryMode::Push => self.wait_push().await,
                DeliveryMode::Ping => self.wait_ping().await,
                DeliveryMode::Poll => self.wait_poll().await,
            }
        };
        let mut cancelled = self.waiter.cancelled.subscribe();
        let outcome = tokio::select! {
            biased;
            _ = cancelled.wait_for(|c| *c) => ApprovalOutcome::Cancelled,
            outcome = waiting => outcome,
        };
        self.client.finish(&self.key);
        let label = match &outcome {
            ApprovalOutcome::Approved(_) => "approved",
            ApprovalOutcome::Denied => "denied",
            ApprovalOutcome::Expired => "expired",
            ApprovalOutcome::Failed(_) => "failed",
            ApprovalOutcome::Cancelled => "cancelled",
        };
        tracing::info!(client = %self.client.client_id(), outcome = label, "approval ended");
        let result = match &outcome {
            ApprovalOutcome::Approved(_) => Outcome::Success,
            ApprovalOutcome::Failed(_) => Outcome::Error,
            _ => Outcome::Denied,
        };
        let user = match &outcome {
            ApprovalOutcome::Approved(t) => t.id_token_claims.as_ref().and_then(|c| c.sub.clone()),
            _ => None,
        };
        self.client.record(
            AuditAction::ApprovalDecided,
            result,
            user.as_deref(),
            |ev| {
                let ev = ev.reason(label).detail("request", self.key.clone());
                match outcome.approved() {
                    Some(t) => ev.detail("scope", t.scope.join(" ")),
                    None => ev,
                }
            },
        );
        outcome
    }
}
