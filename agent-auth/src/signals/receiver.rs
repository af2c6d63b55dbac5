//! The SET receiver: one token profile (`secevent+jwt`), freshness and
//! replay rules, issuer-scoped subjects, requested events only; accepted
//! events become typed [`Signal`]s handed to every subscriber.

use super::event::ssf;
use super::verification::Verifications;
use super::{ReplayGuard, SetError, Signal, SignalKind, SignalSubscriber, Stamp, Subject};
use crate::audit::{AuditAction, AuditEvent, NoopSink, Outcome, SharedSink};
use crate::clock::{SharedClock, system_clock};
use crate::validate::{Claims, SecurityEvent, Validator};
use serde_json::{Map, Value};
use std::sync::{Arc, PoisonError, RwLock};

/// Receives Security Event Tokens from one transmitter. Cheap to clone;
/// clones share the replay cache, the subscribers and the verification state.
///
/// Each SET passes, in order: the `secevent+jwt` profile of
/// [`Validator<SecurityEvent>`] (RFC 8417 section 2.2, RFC 8725 section 3.11:
/// `typ`; the transmitter's issuer and keys; this receiver's audience; no
/// `sub` and no `exp`, SSF 1.0 section 4.1); every event type one the
/// receiver asked for (SSF 1.0 section 8.1.1); a subject (`sub_id`, SSF 1.0
/// section 4.1.2, or the event's `subject`, CAEP drafts) of an issuer the
/// transmitter speaks for; `event_timestamp` a NumericDate not in the future;
/// then `iat` at most `max_age` old and a `jti` never received before (RFC
/// 8417 section 2.2). A refused SET changes nothing: its `jti` is not
/// remembered and no subscriber hears of it.
///
/// ```
/// use agent_auth::signals::{SetReceiver, SignalKind};
/// use agent_auth::validate::{SecurityEvent, StaticKeys, Validator};
/// # let key = agent_auth::jose::SigningKey::generate(agent_auth::jose::Algorithm::Es256)?;
/// let validator = Validator::<SecurityEvent>::builder(StaticKeys::single(key.verifying_key().clone()))
///     .issuer("https://ssf.example")
///     .audience("https://mcp.example")
///     .build();
/// let receiver = SetReceiver::builder(validator)
///     .events(&[SignalKind::SessionRevoked, SignalKind::AccountDisabled])
///     .token_issuers(&["https://idp.example"])
///     .build();
/// assert_eq!(receiver.transmitter(), "https://ssf.example");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SetReceiver {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    validator: Validator<SecurityEvent>,
    requested: Vec<SignalKind>,
    token_issuers: Vec<String>,
    replay: ReplayGuard,
    clock: SharedClock,
    audit: SharedSink,
    subscribers: RwLock<Vec<Arc<dyn SignalSubscriber>>>,
    verifications: Verifications,
}

/// Configures a [`SetReceiver`].
#[derive(Debug)]
pub struct SetReceiverBuilder {
    validator: Validator<SecurityEvent>,
    requested: Vec<SignalKind>,
    token_issuers: Option<Vec<String>>,
    replay: ReplayGuard,
    clock: SharedClock,
    audit: SharedSink,
    subscribers: Vec<Arc<dyn SignalSubscriber>>,
}

impl SetReceiverBuilder {
    /// The events this receiver asked the transmitter for (default: every
    /// CAEP and RISC kind of [`SignalKind`]); SETs carrying any other event
    /// type are refused. Verification and stream-updated events are always
    /// accepted (SSF 1.0 section 8.1.4 and 8.1.5).
    #[must_use]
    pub fn events(mut self, kinds: &[SignalKind]) -> Self {
        self.requested = kinds.to_vec();
        self
    }

    /// The token issuers the transmitter speaks for (default: the
    /// transmitter's own issuer). An `iss_sub` subject of another issuer is
    /// refused; `opaque` and `email` subjects reach users of these issuers only.
    #[must_use]
    pub fn token_issuers(mut self, issuers: &[&str]) -> Self {
        self.token_issuers = Some(issuers.iter().map(|i| (*i).to_owned()).collect());
        self
    }

    /// The oldest SET accepted, by `iat`, in seconds (default 300).
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.replay.set_max_age(seconds);
        self
    }

    /// Clock skew tolerated on `iat` and `event_timestamp`, in seconds (default 30).
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.replay.set_leeway(seconds);
        self
    }

    /// Most SET ids remembered at once (default 100,000); when full of ids
    /// still inside their freshness window, new SETs are refused.
    #[must_use]
    pub fn replay_capacity(mut self, entries: usize) -> Self {
        self.replay.set_capacity(entries);
        self
    }

    /// The clock (default: the system clock). The validator has its own.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where each accepted or refused SET is audited (default: nowhere).
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = sink;
        self
    }

    /// Adds a subscriber.
    #[must_use]
    pub fn subscriber(mut self, subscriber: Arc<dyn SignalSubscriber>) -> Self {
        self.subscribers.push(subscriber);
        self
    }

    /// The receiver.
    pub fn build(self) -> SetReceiver {
        let token_issuers = self
            .token_issuers
            .unwrap_or_else(|| vec![self.validator.issuer().to_owned()]);
        SetReceiver {
            inner: Arc::new(Inner {
                validator: self.validator,
                requested: self.requested,
                token_issuers,
                replay: self.replay,
                clock: self.clock,
                audit: self.audit,
                subscribers: RwLock::new(self.subscribers),
                verifications: Verifications::default(),
            }),
        }
    }
}

/// What one accepted SET amounts to, before any effect.
struct Accepted {
    signals: Vec<Signal>,
    verified: Option<String>,
}

impl SetReceiver {
    /// Starts configuring a receiver of SETs checked by `validator` (the
    /// transmitter's issuer and keys, this receiver's audience).
    pub fn builder(validator: Validator<SecurityEvent>) -> SetReceiverBuilder {
        SetReceiverBuilder {
            validator,
            requested: SignalKind::ALL
                .into_iter()
                .filter(|k| k.event_type().is_some())
                .collect(),
            token_issuers: None,
            replay: ReplayGuard::default(),
            clock: system_clock(),
            audit: Arc::new(NoopSink),
            subscribers: Vec::new(),
        }
    }

    /// Adds a subscriber to a built receiver.
    pub fn subscribe(&self, subscriber: Arc<dyn SignalSubscriber>) {
        self.inner
            .subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(subscriber);
    }

    /// The transmitter's issuer.
    pub fn transmitter(&self) -> &str {
        self.inner.validator.issuer()
    }

    /// The event kinds asked for.
    pub fn requested(&self) -> &[SignalKind] {
        &self.inner.requested
    }

    /// The event type URIs asked for, as a stream's `events_requested`.
    pub fn requested_event_types(&self) -> Vec<String> {
        self.inner
            .requested
            .iter()
            .filter_map(|k| k.event_type())
            .map(str::to_owned)
            .collect()
    }

    /// Remembers a fresh verification `state` to send with a verification
    /// request (SSF 1.0 section 8.1.4.1); `None` when randomness fails.
    pub fn expect_verification(&self) -> Option<String> {
        self.inner.verifications.ask()
    }

    /// Whether the verification event carrying `state` arrived.
    pub fn is_verified(&self, state: &str) -> bool {
        self.inner.verifications.is_confirmed(state)
    }

    /// Validates one SET (compact JWS) and, when accepted, hands its signals
    /// to every subscriber and returns them.
    pub async fn receive(&self, set: &str) -> Result<Vec<Signal>, SetError> {
        self.receive_as(set, None).await
    }

    /// [`receive`](Self::receive), also requiring the SET's `jti` to be
    /// `jti` (the key it was delivered under, RFC 8936 section 2.3).
    pub(crate) async fn receive_as(
        &self,
        set: &str,
        jti: Option<&str>,
    ) -> Result<Vec<Signal>, SetError> {
        let now = self.inner.clock.now();
        let outcome = self.check(set, jti, now).await;
        self.audit(now, &outcome);
        let accepted = outcome?;
        if let Some(state) = &accepted.verified {
            self.inner.verifications.confirm(state);
        }
        let subscribers = self
            .inner
            .subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for signal in &accepted.signals {
            for subscriber in &subscribers {
                subscriber.on_signal(signal).await;
            }
        }
        Ok(accepted.signals)
    }

    async fn check(&self, set: &str, jti: Option<&str>, now: i64) -> Result<Accepted, SetError> {
        let claims = self
            .inner
            .validator
            .validate(set)
            .await
            .map_err(SetError::Token)?
            .into_claims();
        if jti.is_some() && claims.jti.as_deref() != jti {
            return Err(SetError::Token(
                crate::validate::ValidationError::InvalidClaim("jti"),
            ));
        }
        let mut accepted = Accepted {
            signals: Vec::new(),
            verified: None,
        };
        if let Some(Value::Object(events)) = claims.extra.get("events") {
            for (event_type, event) in events {
                self.event(&claims, event_type, event, now, &mut accepted)?;
            }
        }
        let stamp = Stamp {
            issuer: self.transmitter(),
            jti: claims.jti.as_deref(),
            iat: claims.iat,
            exp: None,
        };
        self.inner
            .replay
            .accept(&stamp, now)
            .map_err(SetError::NotFresh)?;
        Ok(accepted)
    }

    /// One member of `events`.
    fn event(
        &self,
        claims: &Claims,
        event_type: &str,
        event: &Value,
        now: i64,
        accepted: &mut Accepted,
    ) -> Result<(), SetError> {
        let members = event.as_object().cloned().unwrap_or_default();
        if event_type == ssf::VERIFICATION {
            // SSF 1.0 section 8.1.4.2: `state` echoes the receiver's request.
            if let Some(state) = members.get("state") {
                let state = state.as_str().ok_or(SetError::UnexpectedVerification)?;
                if !self.inner.verifications.is_pending(state) {
                    return Err(SetError::UnexpectedVerification);
                }
                accepted.verified = Some(state.to_owned());
            }
            return Ok(());
        }
        if event_type == ssf::STREAM_UPDATED {
            tracing::info!(
                transmitter = %self.transmitter(),
                status = members.get("status").and_then(serde_json::Value::as_str).unwrap_or_default(),
                "stream status changed"
            );
            return Ok(());
        }
        let kind = SignalKind::from_event_type(event_type)
            .filter(|k| self.inner.requested.contains(k))
            .ok_or(SetError::EventNotRequested)?;
        let subject = subject_of(claims, &members)?;
        if !subject.is_within(&self.inner.token_issuers) {
            return Err(SetError::SubjectOutOfScope);
        }
        // CAEP 1.0 section 2 `event_timestamp`: when the event happened.
        // Tokens issued before it are affected; those issued after are not.
        let at = match members.get("event_timestamp") {
            None => claims.iat.unwrap_or(now),
            Some(t) => t.as_i64().ok_or(SetError::EventTimestamp)?,
        };
        if at > now.saturating_add(self.inner.replay.leeway()) {
            return Err(SetError::EventTimestamp);
        }
        accepted.signals.push(Signal::new(
            kind,
            subject,
            self.inner.token_issuers.clone(),
            at.min(now),
            self.transmitter().to_owned(),
            members,
        ));
        Ok(())
    }

    fn audit(&self, now: i64, outcome: &Result<Accepted, SetError>) {
        if !self.inner.audit.enabled() {
            return;
        }
        let event = AuditEvent::new(
            now,
            AuditAction::TokenValidated,
            if outcome.is_ok() {
                Outcome::Success
            } else {
                Outcome::Denied
            },
        )
        .issuer(self.transmitter().to_owned())
        .detail("token", "secevent+jwt");
        let event = match outcome {
            Ok(accepted) => {
                let kinds: Vec<&str> = accepted.signals.iter().map(|s| s.kind().name()).collect();
                let event = event.detail("events", kinds);
                match accepted.signals.first().map(Signal::subject) {
                    Some(Subject::IssSub { sub, .. }) => event.user(sub.clone()),
                    Some(Subject::Opaque(id) | Subject::Email(id)) => event.user(id.clone()),
                    Some(Subject::Client(id)) => event.agent(id.clone()),
                    Some(Subject::Tenant(id)) => event.detail("tenant", id.clone()),
                    None => event,
                }
            }
            Err(e) => event.reason(e.code()).detail("refusal", e.to_string()),
        };
        self.inner.audit.record(&event);
    }
}

/// SSF 1.0 section 4.1.2 puts the subject in `sub_id`; CAEP drafts put it in
/// the event's `subject`.
fn subject_of(claims: &Claims, event: &Map<String, Value>) -> Result<Subject, SetError> {
    let sub_id = claims
        .extra
        .get("sub_id")
        .or_else(|| event.get("subject"))
        .ok_or(SetError::NoSubject)?;
    Subject::from_sub_id(sub_id).map_err(SetError::Subject)
}
