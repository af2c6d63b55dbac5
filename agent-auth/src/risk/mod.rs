//! The risk level of an agent or a user, as a control point publishes it:
//! the three levels of CAEP 1.0 section 3.8 (`risk-level-change`), whom a
//! level is about, and [`RiskProvider`], the one question a guard asks
//! ("how risky is this caller now?").
//!
//! Two providers ship: the reference authority's detector answers in
//! process, and [`RiskLevels`] (feature `signals`) keeps the latest level
//! per subject from received `risk-level-change` SETs. A test double is a
//! small struct.

#[cfg(feature = "signals")]
mod levels;

#[cfg(feature = "signals")]
#[cfg_attr(docsrs, doc(cfg(feature = "signals")))]
pub use levels::RiskLevels;

use std::fmt;

/// A risk level (CAEP 1.0 section 3.8 `current_level`), ordered
/// `Low < Medium < High`; serialized as CAEP spells it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RiskLevel {
    /// `LOW`: normal behaviour.
    #[default]
    Low,
    /// `MEDIUM`: unusual; ask a human before acting.
    Medium,
    /// `HIGH`: compromise likely.
    High,
}

impl RiskLevel {
    /// `LOW`, `MEDIUM` or `HIGH`, as CAEP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
        }
    }

    /// Reads a CAEP level; any other spelling is `None` (CAEP 1.0 section
    /// 3.8 defines exactly these three values).
    ///
    /// ```
    /// use agent_auth::risk::RiskLevel;
    /// assert_eq!(RiskLevel::parse("HIGH"), Some(RiskLevel::High));
    /// assert_eq!(RiskLevel::parse("high"), None);
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Low, Self::Medium, Self::High]
            .into_iter()
            .find(|l| l.as_str() == value)
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whom a level is about: an agent (its client id) or a user (a subject of
/// a token issuer), both as named by a verified token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RiskSubject<'a> {
    /// The agent with this client id, at this token issuer.
    Agent {
        /// The token issuer.
        issuer: &'a str,
        /// The client id.
        client_id: &'a str,
    },
    /// The user with this `sub`, at this token issuer.
    User {
        /// The token issuer.
        issuer: &'a str,
        /// The subject.
        sub: &'a str,
    },
}

/// The provider could not answer: the caller must not read this as a level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("risk level unavailable: {reason}")]
pub struct RiskUnavailable {
    reason: String,
}

impl RiskUnavailable {
    /// Why (no secrets: it may reach logs and audit events).
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Answers the current risk level of a subject.
///
/// `Ok(Some(level))` is the provider's word; `Ok(None)` means it holds no
/// level for that subject (never assessed, never signalled); `Err` means it
/// could not answer. What a caller does with `None` and `Err` is its policy
/// (mcp-guard's `RiskHook` refuses both by default).
///
/// ```
/// use agent_auth::risk::{RiskLevel, RiskProvider, RiskSubject, RiskUnavailable};
/// #[derive(Debug)]
/// struct Everyone(RiskLevel);
/// #[agent_auth::async_trait]
/// impl RiskProvider for Everyone {
///     async fn level(&self, _: &RiskSubject<'_>, _now: i64) -> Result<Option<RiskLevel>, RiskUnavailable> {
///         Ok(Some(self.0))
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait RiskProvider: Send + Sync + fmt::Debug {
    /// The level of `subject` at `now` (seconds since the epoch).
    async fn level(
        &self,
        subject: &RiskSubject<'_>,
        now: i64,
    ) -> Result<Option<RiskLevel>, RiskUnavailable>;
}
