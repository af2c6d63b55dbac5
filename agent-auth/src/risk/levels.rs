//! The latest level per subject, kept from received CAEP
//! `risk-level-change` signals (CAEP 1.0 section 3.8).

use super::{RiskLevel, RiskProvider, RiskSubject, RiskUnavailable};
use crate::signals::{Signal, SignalKind, SignalSubscriber, Subject};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

/// Who an entry is about, at one token issuer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Agent(String, String),
    User(String, String),
}

/// The last level heard for a subject; `None` when that signal carried no
/// CAEP level (the subject is then unavailable, not LOW).
#[derive(Debug, Clone, Copy)]
struct Entry {
    level: Option<RiskLevel>,
    at: i64,
}

/// The latest risk level per agent and per user, as an authority publishes
/// it in `risk-level-change` SETs. A [`SignalSubscriber`]: give it to the
/// shared receiver (push or poll) and it keeps up; a [`RiskProvider`]: a
/// guard asks it. Clones share one table.
///
/// - an agent is named by a `complex` subject whose `application` is its
///   client id ([`Subject::Client`]); a user by `iss_sub`, `opaque` or
///   `email`; each only at the token issuers the sender speaks for;
/// - an older event never replaces a newer one (by `event_timestamp`);
/// - a subject never signalled has no level (`None`): the caller's policy
///   decides (see mcp-guard's `RiskHook`);
/// - an event whose `current_level` is not one of CAEP's three values makes
///   the subject unavailable (an error), never silently LOW.
///
/// ```
/// use agent_auth::risk::{RiskLevel, RiskLevels, RiskSubject};
/// let levels = RiskLevels::new();
/// let agent = RiskSubject::Agent { issuer: "https://idp.example", client_id: "sales-agent" };
/// assert_eq!(levels.get(&agent), Ok(None));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RiskLevels {
    table: Arc<RwLock<HashMap<Key, Entry>>>,
}

impl RiskLevels {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the level a `risk-level-change` signal carries, for each
    /// issuer it speaks for; other signals are ignored. Returns whether
    /// anything was recorded.
    pub fn apply(&self, signal: &Signal) -> bool {
        if signal.kind() != SignalKind::RiskLevelChange {
            return false;
        }
        let level = signal
            .members()
            .get("current_level")
            .and_then(Value::as_str)
            .and_then(RiskLevel::parse);
        if level.is_none() {
            tracing::warn!("risk-level-change without a CAEP current_level; subject unavailable");
        }
        let entry = Entry {
            level,
            at: signal.occurred_at(),
        };
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        let mut recorded = false;
        for issuer in signal.issuers() {
            let Some(key) = key_of(signal.subject(), issuer) else {
                continue;
            };
            let slot = table.entry(key).or_insert(entry);
            if entry.at >= slot.at {
                *slot = entry;
            }
            recorded = true;
        }
        recorded
    }

    /// The level held for `subject`: `Ok(None)` if never signalled, an
    /// error if its last signal carried no readable level.
    pub fn get(&self, subject: &RiskSubject<'_>) -> Result<Option<RiskLevel>, RiskUnavailable> {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        let found = match *subject {
            RiskSubject::Agent { issuer, client_id } => {
                table.get(&Key::Agent(issuer.to_owned(), client_id.to_owned()))
            }
            RiskSubject::User { issuer, sub } => table
                .get(&Key::User(issuer.to_owned(), sub.to_owned()))
                .or_else(|| table.get(&Key::User(issuer.to_owned(), sub.to_ascii_lowercase()))),
        };
        match found {
            None => Ok(None),
            Some(Entry { level: Some(l), .. }) => Ok(Some(*l)),
            Some(Entry { level: None, .. }) => Err(RiskUnavailable::new(
                "the last risk-level-change carried no CAEP level",
            )),
        }
    }
}

/// The table key of `subject` at `issuer`, if it names an agent or a user
/// there (a tenant-wide subject names no one subject).
fn key_of(subject: &Subject, issuer: &str) -> Option<Key> {
    let issuer = issuer.to_owned();
    match subject {
        Subject::Client(id) => Some(Key::Agent(issuer, id.clone())),
        Subject::IssSub { iss, sub } => (*iss == issuer).then(|| Key::User(issuer, sub.clone())),
        Subject::Opaque(id) | Subject::Email(id) => Some(Key::User(issuer, id.clone())),
        _ => None,
    }
}

#[async_trait::async_trait]
impl SignalSubscriber for RiskLevels {
    async fn on_signal(&self, signal: &Signal) {
        self.apply(signal);
    }
}

#[async_trait::async_trait]
impl RiskProvider for RiskLevels {
    async fn level(
        &self,
        subject: &RiskSubject<'_>,
        _now: i64,
    ) -> Result<Option<RiskLevel>, RiskUnavailable> {
        self.get(subject)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::signals::Signal;

    const IDP: &str = "https://idp.example";

    fn change(subject: Subject, level: &str, at: i64) -> Signal {
        let mut members = serde_json::Map::new();
        members.insert("current_level".into(), level.into());
        Signal::new(
            SignalKind::RiskLevelChange,
            subject,
            vec![IDP.to_owned()],
            at,
            IDP.to_owned(),
            members,
        )
    }

    fn agent() -> RiskSubject<'static> {
        RiskSubject::Agent {
            issuer: IDP,
            client_id: "sales-agent",
        }
    }

    #[test]
    fn the_latest_level_per_agent_is_kept_and_an_older_event_never_wins() {
        let levels = RiskLevels::new();
        assert!(levels.apply(&change(Subject::Client("sales-agent".into()), "HIGH", 200)));
        assert!(levels.apply(&change(Subject::Client("sales-agent".into()), "LOW", 100)));
        assert_eq!(levels.get(&agent()), Ok(Some(RiskLevel::High)));
        levels.apply(&change(
            Subject::Client("sales-agent".into()),
            "MEDIUM",
            300,
        ));
        assert_eq!(levels.get(&agent()), Ok(Some(RiskLevel::Medium)));
    }

    #[test]
    fn users_are_kept_per_issuer_and_other_issuers_never_match() {
        let levels = RiskLevels::new();
        levels.apply(&change(
            Subject::IssSub {
                iss: IDP.into(),
                sub: "sarah".into(),
            },
            "MEDIUM",
            10,
        ));
        let sarah = |issuer| RiskSubject::User {
            issuer,
            sub: "sarah",
        };
        assert_eq!(levels.get(&sarah(IDP)), Ok(Some(RiskLevel::Medium)));
        assert_eq!(levels.get(&sarah("https://other.example")), Ok(None));
        // A subject of another issuer than the sender speaks for is not recorded.
        assert!(!levels.apply(&change(
            Subject::IssSub {
                iss: "https://other.example".into(),
                sub: "tom".into(),
            },
            "HIGH",
            10,
        )));
    }

    #[test]
    fn an_unreadable_level_makes_the_subject_unavailable_not_low() {
        let levels = RiskLevels::new();
        levels.apply(&change(Subject::Client("sales-agent".into()), "HIGH", 10));
        levels.apply(&change(Subject::Client("sales-agent".into()), "low", 20));
        assert!(levels.get(&agent()).is_err());
    }

    #[test]
    fn other_signals_are_ignored() {
        let levels = RiskLevels::new();
        let revoked = Signal::local(
            SignalKind::SessionRevoked,
            Subject::Client("sales-agent".into()),
            &[IDP],
            10,
        );
        assert!(!levels.apply(&revoked));
        assert_eq!(levels.get(&agent()), Ok(None));
    }
}
