//! Revocation: tokens refused before their expiry. Three feeds write into one
//! [`RevocationList`] that the verifier consults on every request:
//! an authority's in-process events ([`RevocationList::follow`], any
//! [`EventSource`] such as the reference authority), Global Token Revocation requests ([`gtr`]) and SSF/CAEP
//! `session-revoked` events pushed per RFC 8935 ([`ssf`]).

pub mod gtr;
pub mod ssf;

use crate::principal::Principal;
use agent_auth::events::{AuthorityEvent, EventSource};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A subject named by a revocation (RFC 9493 subject identifier formats).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Subject {
    /// `iss_sub`: a subject at one issuer.
    IssSub {
        /// The issuer.
        iss: String,
        /// The subject.
        sub: String,
    },
    /// `opaque`: a subject at any trusted issuer.
    Opaque(String),
    /// `email`: matched against the `email` claim or an email-shaped `sub`.
    Email(String),
}

impl Subject {
    /// Reads an RFC 9493 subject identifier object. `Err(true)` when the format
    /// is unsupported, `Err(false)` when the object is malformed.
    pub fn from_sub_id(value: &serde_json::Value) -> Result<Self, bool> {
        let obj = value.as_object().ok_or(false)?;
        let format = obj.get("format").and_then(|f| f.as_str()).ok_or(false)?;
        let member = |name: &str| {
            obj.get(name)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or(false)
        };
        match format {
            "iss_sub" => Ok(Self::IssSub {
                iss: member("iss")?,
                sub: member("sub")?,
            }),
            "opaque" => Ok(Self::Opaque(member("id")?)),
            "email" => Ok(Self::Email(member("email")?.to_ascii_lowercase())),
            _ => Err(true),
        }
    }

    fn matches(&self, p: &Principal) -> bool {
        match self {
            Self::IssSub { iss, sub } => p.issuer == *iss && p.subject.as_deref() == Some(sub),
            Self::Opaque(id) => p.subject.as_deref() == Some(id),
            Self::Email(email) => {
                p.claim_str("email")
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
                    || p.subject
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(email))
            }
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// (issuer, jti) -> keep until (the token's exp).
    jtis: HashMap<(String, String), i64>,
    /// subject -> revoked at: tokens issued at or before are refused.
    subjects: Vec<(Subject, i64)>,
    /// (issuer, sid) -> revoked at.
    sessions: HashMap<(String, String), i64>,
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

    /// Refuses every token of `subject` issued at or before `at`.
    pub fn revoke_subject(&self, subject: Subject, at: i64) {
        let mut inner = self.write();
        inner.subjects.retain(|(s, _)| *s != subject);
        inner.subjects.push((subject, at));
        drop(inner);
        self.changed();
    }

    /// Refuses every token of the session `sid` issued at or before `at`.
    pub fn revoke_session(&self, issuer: &str, sid: &str, at: i64) {
        self.write()
            .sessions
            .insert((issuer.to_owned(), sid.to_owned()), at);
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
        if inner
            .subjects
            .iter()
            .any(|(s, at)| issued <= *at && s.matches(p))
        {
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
        inner.subjects.retain(|(_, at)| *at > horizon);
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
