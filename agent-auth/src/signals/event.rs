//! The typed signals a receiver dispatches: CAEP and RISC events carried by
//! Security Event Tokens, and Global Token Revocation requests.

use super::Subject;
use serde_json::{Map, Value};

/// CAEP 1.0 event types (OpenID Continuous Access Evaluation Profile, section 3).
pub mod caep {
    /// Section 3.1: a session of the subject was revoked.
    pub const SESSION_REVOKED: &str =
        "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
    /// Section 3.2: claims of the subject's tokens changed.
    pub const TOKEN_CLAIMS_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/token-claims-change";
    /// Section 3.3: a credential of the subject was created, changed, revoked or deleted.
    pub const CREDENTIAL_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/credential-change";
    /// Section 3.4: the subject's authentication assurance level changed.
    pub const ASSURANCE_LEVEL_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change";
    /// Section 3.8: the subject's risk level changed.
    pub const RISK_LEVEL_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/risk-level-change";
}

/// RISC 1.0 event types (OpenID Risk Incident Sharing and Coordination Profile, section 2).
pub mod risc {
    /// Section 2.3: the account was disabled.
    pub const ACCOUNT_DISABLED: &str =
        "https://schemas.openid.net/secevent/risc/event-type/account-disabled";
    /// Section 2.2: the account was deleted.
    pub const ACCOUNT_PURGED: &str =
        "https://schemas.openid.net/secevent/risc/event-type/account-purged";
    /// Section 2.1: a credential of the account was compromised.
    pub const CREDENTIAL_COMPROMISE: &str =
        "https://schemas.openid.net/secevent/risc/event-type/credential-compromise";
}

/// SSF 1.0 stream management event types (section 8.1.4 and 8.1.5).
pub mod ssf {
    /// Section 8.1.4.2: the answer to a verification request.
    pub const VERIFICATION: &str =
        "https://schemas.openid.net/secevent/ssf/event-type/verification";
    /// Section 8.1.5: the transmitter changed the stream's status.
    pub const STREAM_UPDATED: &str =
        "https://schemas.openid.net/secevent/ssf/event-type/stream-updated";
}

/// What happened to the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignalKind {
    /// CAEP `session-revoked`.
    SessionRevoked,
    /// CAEP `credential-change`.
    CredentialChange,
    /// CAEP `token-claims-change`.
    TokenClaimsChange,
    /// CAEP `assurance-level-change`.
    AssuranceLevelChange,
    /// CAEP `risk-level-change`.
    RiskLevelChange,
    /// RISC `account-disabled`.
    AccountDisabled,
    /// RISC `account-purged`.
    AccountPurged,
    /// RISC `credential-compromise`.
    CredentialCompromise,
    /// A Global Token Revocation request (draft-parecki-oauth-global-token-revocation).
    GlobalTokenRevocation,
}

impl SignalKind {
    /// Every kind a receiver can dispatch.
    pub const ALL: [Self; 9] = [
        Self::SessionRevoked,
        Self::CredentialChange,
        Self::TokenClaimsChange,
        Self::AssuranceLevelChange,
        Self::RiskLevelChange,
        Self::AccountDisabled,
        Self::AccountPurged,
        Self::CredentialCompromise,
        Self::GlobalTokenRevocation,
    ];

    /// The event type URI a SET carries (`None` for Global Token Revocation,
    /// which is no SET).
    pub fn event_type(self) -> Option<&'static str> {
        Some(match self {
            Self::SessionRevoked => caep::SESSION_REVOKED,
            Self::CredentialChange => caep::CREDENTIAL_CHANGE,
            Self::TokenClaimsChange => caep::TOKEN_CLAIMS_CHANGE,
            Self::AssuranceLevelChange => caep::ASSURANCE_LEVEL_CHANGE,
            Self::RiskLevelChange => caep::RISK_LEVEL_CHANGE,
            Self::AccountDisabled => risc::ACCOUNT_DISABLED,
            Self::AccountPurged => risc::ACCOUNT_PURGED,
            Self::CredentialCompromise => risc::CREDENTIAL_COMPROMISE,
            Self::GlobalTokenRevocation => return None,
        })
    }

    /// The kind of an event type URI.
    pub fn from_event_type(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.event_type() == Some(uri))
    }

    /// A short name for logs and audit details.
    pub fn name(self) -> &'static str {
        match self {
            Self::SessionRevoked => "session-revoked",
            Self::CredentialChange => "credential-change",
            Self::TokenClaimsChange => "token-claims-change",
            Self::AssuranceLevelChange => "assurance-level-change",
            Self::RiskLevelChange => "risk-level-change",
            Self::AccountDisabled => "account-disabled",
            Self::AccountPurged => "account-purged",
            Self::CredentialCompromise => "credential-compromise",
            Self::GlobalTokenRevocation => "global-token-revocation",
        }
    }
}

/// One signal about one subject, built only from a verified SET, an
/// authenticated Global Token Revocation request, or an operator's own
/// decision ([`Signal::local`]).
///
/// ```
/// use agent_auth::signals::{Signal, SignalKind, Subject};
/// let sarah = Subject::Opaque("sarah".into());
/// let signal = Signal::local(SignalKind::AccountDisabled, sarah, &["https://idp.example"], 1_000);
/// assert!(signal.ends_access());
/// assert!(signal.concerns("https://idp.example", "sarah"));
/// assert!(!signal.concerns("https://other.example", "sarah"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    kind: SignalKind,
    subject: Subject,
    issuers: Vec<String>,
    occurred_at: i64,
    transmitter: String,
    members: Map<String, Value>,
}

impl Signal {
    pub(crate) fn new(
        kind: SignalKind,
        subject: Subject,
        issuers: Vec<String>,
        occurred_at: i64,
        transmitter: String,
        members: Map<String, Value>,
    ) -> Self {
        Self {
            kind,
            subject,
            issuers,
            occurred_at,
            transmitter,
            members,
        }
    }

    /// A signal decided in this process (an operator's kill switch, an
    /// authority's own event): `subject` of the token issuers `issuers`,
    /// happened at `occurred_at`.
    pub fn local(kind: SignalKind, subject: Subject, issuers: &[&str], occurred_at: i64) -> Self {
        Self::new(
            kind,
            subject,
            issuers.iter().map(|i| (*i).to_owned()).collect(),
            occurred_at,
            String::new(),
            Map::new(),
        )
    }

    /// The signal of an authenticated Global Token Revocation request: the
    /// `caller` (already authenticated by the endpoint) asks to revoke every
    /// token of `subject` issued by `issuers` (those it may speak for) up to
    /// `received_at`.
    pub fn global_token_revocation(
        subject: Subject,
        issuers: &[String],
        received_at: i64,
        caller: &str,
    ) -> Self {
        Self::new(
            SignalKind::GlobalTokenRevocation,
            subject,
            issuers.to_vec(),
            received_at,
            caller.to_owned(),
            Map::new(),
        )
    }

    /// What happened.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }

    /// Whom it is about.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The token issuers the subject belongs to: those the sender speaks for.
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    /// When it happened (CAEP `event_timestamp`, else the SET's `iat`, else
    /// the time of receipt), never later than its receipt.
    pub fn occurred_at(&self) -> i64 {
        self.occurred_at
    }

    /// Who sent it: the SET's issuer, the Global Token Revocation caller, or
    /// empty for a local signal.
    pub fn transmitter(&self) -> &str {
        &self.transmitter
    }

    /// The event's own members (`reason_admin`, `change_type`,
    /// `current_level`, ...), as sent.
    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    /// Whether the signal is about `user` of the token issuer `issuer`: the
    /// issuer is one the sender speaks for, and the subject names the user
    /// ([`Subject::names`]).
    pub fn concerns(&self, issuer: &str, user: &str) -> bool {
        self.issuers.iter().any(|i| i == issuer) && self.subject.names(issuer, user)
    }

    /// The user the signal names at the token issuer `issuer`, when that
    /// issuer is one the sender speaks for: the `sub` of an `iss_sub` of
    /// that issuer, the id of an `opaque` subject, the address of an
    /// `email` subject.
    pub fn user_at(&self, issuer: &str) -> Option<&str> {
        if !self.issuers.iter().any(|i| i == issuer) {
            return None;
        }
        match &self.subject {
            Subject::IssSub { iss, sub } => (iss == issuer).then_some(sub.as_str()),
            Subject::Opaque(id) | Subject::Email(id) => Some(id.as_str()),
            Subject::Client(_) | Subject::Tenant(_) => None,
        }
    }

    /// Whether the subject's access ends: a revoked session, a disabled,
    /// deleted or compromised account, a global token revocation, or a
    /// credential revoked or deleted (CAEP 1.0 section 3.3 `change_type`).
    /// Claims, assurance and risk changes are for the consumer to weigh.
    pub fn ends_access(&self) -> bool {
        match self.kind {
            SignalKind::SessionRevoked
            | SignalKind::AccountDisabled
            | SignalKind::AccountPurged
            | SignalKind::CredentialCompromise
            | SignalKind::GlobalTokenRevocation => true,
            SignalKind::CredentialChange => matches!(
                self.members.get("change_type").and_then(Value::as_str),
                Some("revoke" | "delete")
            ),
            SignalKind::TokenClaimsChange
            | SignalKind::AssuranceLevelChange
            | SignalKind::RiskLevelChange => false,
        }
    }
}
