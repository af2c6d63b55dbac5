//! Revocation: tokens refused before their expiry. Three feeds write into one
//! [`RevocationList`] that the verifier consults on every request:
//! an authority's in-process events ([`RevocationList::follow`], any
//! [`EventSource`] such as the reference authority), Global Token Revocation requests ([`gtr`]) and SSF/CAEP
//! events pushed per RFC 8935 ([`ssf`]). The list is also an
//! [`agent_auth::signals::SignalSubscriber`]: any receiver of the shared
//! signal receiver (push or poll) can feed it.

mod caller;
pub mod gtr;
pub mod ssf;

use crate::principal::Principal;
use agent_auth::events::{AuthorityEvent, EventSource};
use agent_auth::signals::{Signal, SignalSubscriber};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A subject named by a revocation (RFC 9493 subject identifier formats):
/// the shared type of `agent_auth::signals`.
pub use agent_auth::signals::Subject;

/// Whether the subject names the principal: an `iss_sub` its issuer and
/// subject; an `opaque` id its subject; an `email` its `email` claim or an
/// email-shaped `sub`; a client its `client_id`; a tenant its issuer (issuer
/// scoping is the revocation's).
fn names(subject: &Subject, p: &Principal) -> bool {
    match subject {
        Subject::IssSub { iss, sub } => p.issuer == *iss && p.subject.as_deref() == Some(sub),
        Subject::Opaque(id) => p.subject.as_deref() == Some(id),
        Subject::Email(email) => {
            p.claim_str("email")
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
                || p.subject
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(email))
        }
        Subject::Client(id) => p.client_id.as_deref() == Some(id),
        Subject::Tenant(iss) => p.issuer == *iss,
        _ => false,
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// (issuer, jti) -> keep until (the token's exp).
    jtis: HashMap<(String, String), i64>,
    /// Subject revocations: tokens issued at or before `at` are refused.
    subjects: Vec<SubjectRevocation>,
    /// (issuer, sid) -> revoked at.
    sessions: HashMap<(String, String), i64>,
}

/// One subject revoked, for tokens of `issuers` (empty: of any issuer).
#[derive(Debug)]
struct SubjectRevocation {
    subject: Subject,
    issuers: Vec<String>,
    at: i64,
}

impl SubjectRevocation {
    fn refuses(&self, p: &Principal, issued: i64) -> bool {
        issued <= self.at
            && (self.issuers.is_empty() || self.issuers.contains(&p.issuer))
            && names(&self.subject, p)
    }
}

/// Revoked tokens, subjects and sessions. Clones share one list.
#[derive(Debug, Clone, Default)]
pub struct RevocationList {
    inner: Arc<RwLock<Inner>>,
    /// Bumped on every revocation, so caches know when to sweep.
    generation: Arc<AtomicU64>,
    feeds: Arc<Mutex<Vec<tokio::sync::broadcast::Receiver<AuthorityEvent>>>>,
}

impl RevocationList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses the token `jti` of `issuer` until `exp`.
    pub fn revoke_token(&self, issuer: &str, jti: &str, exp: i64) {
        self.write()
            .jtis
            .insert((issuer.to_owned(), jti.to_owned()), exp);
        self.changed();
    }

    /// Refuses every token of `subject` issued at or before `at`. An `iss_sub`
    /// subject matches tokens of its issuer; an `opaque` or `email` subject
    /// names no issuer, so here it matches tokens of **every** issuer: an
    /// operator's deliberate choice. Revocations received from another party
    /// go through [`revoke_subject_at`](Self::revoke_subject_at) instead.
    pub fn revoke_subject(&self, subject: Subject, at: i64) {
        self.revoke_subject_at(&[], subject, at);
    }

    /// Refuses every token of `subject` issued by one of `issuers` at or before
    /// `at` (`issuers` empty: by any issuer). A revocation never moves back in
    /// time: revoking the same subject for the same issuers again keeps the
    /// later `at`, so a replayed old event cannot undo a newer one.
    pub fn revoke_subject_at(&self, issuers: &[String], subject: Subject, at: i64) {
        let mut issuers = issuers.to_vec();
        issuers.sort();
        issuers.dedup();
        let mut inner = self.write();
        match inner
            .subjects
            .iter_mut()
            .find(|r| r.subject == subject && r.issuers == issuers)
        {
            Some(r) => r.at = r.at.max(at),
            None => inner.subjects.push(SubjectRevocation {
                subject,
                issuers,
                at,
            }),
        }
        drop(inner);
        self.changed();
    }

    /// Refuses every token of the session `sid` issued at or before `at` (a
    /// later revocation of the session is kept over an earlier one).
    pub fn revoke_session(&self, issuer: &str, sid: &str, at: i64) {
        self.write()
            .sessions
            .entry((issuer.to_owned(), sid.to_owned()))
            .and_modify(|t| *t = (*t).max(at))
            .or_insert(at);
        self.changed();
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether the principal's token is revoked.
    pub fn is_revoked(&self, p: &Principal, now: i64) -> bool {
        self.drain_feeds(now);
        self.refuses(p)
    }

    /// Changes each time something is revoked.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether the list as it stands refuses the principal (feeds not drained).
    pub(crate) fn refuses(&self, p: &Principal) -> bool {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(jti) = &p.token_id
            && inner.jtis.contains_key(&(p.issuer.clone(), jti.clone()))
        {
            return true;
        }
        let issued = p.issued_at.unwrap_or(i64::MIN);
        if inner.subjects.iter().any(|r| r.refuses(p, issued)) {
            return true;
        }
        if let Some(sid) = p.claim_str("sid")
            && inner
                .sessions
                .get(&(p.issuer.clone(), sid.to_owned()))
                .is_some_and(|at| issued <= *at)
        {
            return true;
        }
        false
    }

    /// Forgets entries that can no longer match: token ids past their expiry and
    /// subject or session revocations older than `max_token_lifetime`.
    pub fn prune(&self, now: i64, max_token_lifetime: i64) {
        let mut inner = self.write();
        inner.jtis.retain(|_, exp| *exp > now);
        let horizon = now.saturating_sub(max_token_lifetime);
        inner.subjects.retain(|r| r.at > horizon);
        inner.sessions.retain(|_, at| *at > horizon);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Follows an authority's events: revocations take effect on the next
    /// request, with no task in between (the feed is drained on every check).
    pub fn follow(&self, source: &dyn EventSource) {
        self.feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(source.subscribe());
    }

    fn drain_feeds(&self, now: i64) {
        use tokio::sync::broadcast::error::TryRecvError;
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        for feed in feeds.iter_mut() {
            loop {
                match feed.try_recv() {
                    Ok(AuthorityEvent::AccessTokenRevoked { issuer, jti, exp }) => {
                        self.revoke_token(&issuer, &jti, exp);
                    }
                    Ok(AuthorityEvent::GrantRevoked {
                        issuer,
                        access_token_ids,
                        ..
                    }) => {
                        for jti in access_token_ids {
                            self.revoke_token(&issuer, &jti, now.saturating_add(86_400));
                        }
                    }
                    Ok(AuthorityEvent::SessionEnded { issuer, sid, .. }) => {
                        self.revoke_session(&issuer, &sid, now);
                    }
                    Ok(AuthorityEvent::UserLoggedOut { issuer, user_id }) => {
                        self.revoke_subject(
                            Subject::IssSub {
                                iss: issuer,
                                sub: user_id,
                            },
                            now,
                        );
                    }
                    Ok(_) => {}
                    Err(TryRecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "revocation feed lagged; events were lost");
                    }
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
        }
    }
}

/// A signal that ends access (session revoked, account disabled or purged,
/// credential compromised or revoked, global token revocation) refuses the
/// subject's tokens of the signal's issuers issued at or before the event.
#[async_trait::async_trait]
impl SignalSubscriber for RevocationList {
    async fn on_signal(&self, signal: &Signal) {
        if signal.ends_access() {
            self.revoke_subject_at(
                signal.issuers(),
                signal.subject().clone(),
                signal.occurred_at(),
            );
        }
    }
}
