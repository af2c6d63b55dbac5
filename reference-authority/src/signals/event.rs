//! The events the transmitter sends: CAEP 1.0 and RISC 1.0 event types, SCIM
//! provisioning events (RFC 9967), and SSF 1.0's own verification and
//! stream-updated events.

use crate::scim::EventKind as ScimKind;
use serde_json::{Map, Value, json};

/// Event type URIs.
pub mod types {
    /// CAEP 1.0 section 3.1.
    pub const SESSION_REVOKED: &str =
        "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
    /// CAEP 1.0 section 3.2.
    pub const TOKEN_CLAIMS_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/token-claims-change";
    /// CAEP 1.0 section 3.3.
    pub const CREDENTIAL_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/credential-change";
    /// CAEP 1.0 section 3.4.
    pub const ASSURANCE_LEVEL_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change";
    /// CAEP 1.0 section 3.8.
    pub const RISK_LEVEL_CHANGE: &str =
        "https://schemas.openid.net/secevent/caep/event-type/risk-level-change";
    /// RISC 1.0 section 2.2.
    pub const ACCOUNT_DISABLED: &str =
        "https://schemas.openid.net/secevent/risc/event-type/account-disabled";
    /// RISC 1.0 section 2.1.
    pub const ACCOUNT_PURGED: &str =
        "https://schemas.openid.net/secevent/risc/event-type/account-purged";
    /// RISC 1.0 section 2.7.
    pub const CREDENTIAL_COMPROMISE: &str =
        "https://schemas.openid.net/secevent/risc/event-type/credential-compromise";
    /// SSF 1.0 section 8.1.4.1.
    pub const VERIFICATION: &str =
        "https://schemas.openid.net/secevent/ssf/event-type/verification";
    /// SSF 1.0 section 8.1.5.
    pub const STREAM_UPDATED: &str =
        "https://schemas.openid.net/secevent/ssf/event-type/stream-updated";

    use crate::scim::EventKind as Scim;

    /// RFC 9967 section 2.4.1: a resource was created (`attributes` names
    /// what it holds).
    pub const SCIM_CREATE_NOTICE: &str = Scim::Create.uri();
    /// RFC 9967 section 2.4.3: a resource was replaced (PUT).
    pub const SCIM_PUT_NOTICE: &str = Scim::Put.uri();
    /// RFC 9967 section 2.4.2: a resource was modified (PATCH).
    pub const SCIM_PATCH_NOTICE: &str = Scim::Patch.uri();
    /// RFC 9967 section 2.4.4: a resource was deleted.
    pub const SCIM_DELETE: &str = Scim::Delete.uri();
    /// RFC 9967 section 2.4.5: a resource became active.
    pub const SCIM_ACTIVATE: &str = Scim::Activate.uri();
    /// RFC 9967 section 2.4.6: a resource became inactive.
    pub const SCIM_DEACTIVATE: &str = Scim::Deactivate.uri();

    /// The event types a stream may request (`events_supported`).
    pub const SUPPORTED: [&str; 14] = [
        SESSION_REVOKED,
        CREDENTIAL_CHANGE,
        TOKEN_CLAIMS_CHANGE,
        ASSURANCE_LEVEL_CHANGE,
        RISK_LEVEL_CHANGE,
        ACCOUNT_DISABLED,
        ACCOUNT_PURGED,
        CREDENTIAL_COMPROMISE,
        SCIM_CREATE_NOTICE,
        SCIM_PUT_NOTICE,
        SCIM_PATCH_NOTICE,
        SCIM_DELETE,
        SCIM_ACTIVATE,
        SCIM_DEACTIVATE,
    ];
}

/// A risk level (CAEP 1.0 section 3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskLevel {
    /// `LOW`.
    Low,
    /// `MEDIUM`.
    Medium,
    /// `HIGH`.
    High,
}

impl RiskLevel {
    fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "LOW",
            RiskLevel::Medium => "MEDIUM",
            RiskLevel::High => "HIGH",
        }
    }
}

/// How a credential changed (CAEP 1.0 section 3.3 `change_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// `create`.
    Create,
    /// `revoke`.
    Revoke,
    /// `update`.
    Update,
    /// `delete`.
    Delete,
}

impl ChangeType {
    fn as_str(self) -> &'static str {
        match self {
            ChangeType::Create => "create",
            ChangeType::Revoke => "revoke",
            ChangeType::Update => "update",
            ChangeType::Delete => "delete",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// The subject's sessions were revoked.
    SessionRevoked,
    /// A credential was created, changed, revoked or deleted. `credential_type`
    /// is a CAEP value (`password`, `x509`, ...) or one agreed with receivers
    /// (this authority sends `client_secret` and `jwks` for agents).
    CredentialChange {
        /// The credential type.
        credential_type: String,
        /// The change.
        change_type: ChangeType,
    },
    /// Claims of the subject's tokens changed.
    TokenClaimsChange {
        /// The claims with their new values.
        claims: Map<String, Value>,
    },
    /// The subject's authentication assurance changed.
    AssuranceLevelChange {
        /// The namespace of the levels (`RFC8176`, `NIST-AAL`, ...).
        namespace: String,
        /// The current level.
        current_level: String,
        /// The previous level, when known.
        previous_level: Option<String>,
    },
    /// The subject's risk changed.
    RiskLevelChange {
        /// `USER`, `DEVICE`, `SESSION`, `TENANT`, ...
        principal: String,
        /// The current level.
        current_level: RiskLevel,
        /// The previous level, when known.
        previous_level: Option<RiskLevel>,
        /// Why.
        risk_reason: Option<String>,
    },
    /// The account was disabled (`reason`: `hijacking`, `bulk-account`).
    AccountDisabled {
        /// Why.
        reason: Option<String>,
    },
    /// The account was deleted for good.
    AccountPurged,
    /// A credential of the subject was found compromised.
    CredentialCompromise {
        /// The credential type (as in credential change).
        credential_type: String,
    },
    /// SSF stream verification, echoing the receiver's `state`.
    Verification {
        /// The receiver's state.
        state: Option<String>,
    },
    /// A SCIM provisioning change (RFC 9967 section 2.4), about a subject of
    /// the `scim` format.
    Provisioning {
        /// What happened.
        kind: ScimKind,
        /// The names of the attributes that changed, for a notice (create,
        /// put, patch); never their values: the notice forms of RFC 9967
        /// section 2.4 are the only ones this transmitter sends.
        attributes: Vec<String>,
    },
    /// The transmitter changed the stream's status.
    StreamUpdated {
        /// `enabled`, `paused` or `disabled`.
        status: String,
        /// Why.
        reason: Option<String>,
    },
}

/// One event: its kind, when it happened and the optional CAEP claims.
///
/// ```
/// use reference_authority::signals::{Event, EventKind, types};
///
/// let e = Event::new(EventKind::SessionRevoked, 1_750_000_000).reason_admin("kill switch");
/// assert_eq!(e.type_uri(), types::SESSION_REVOKED);
/// assert_eq!(e.body()["event_timestamp"], 1_750_000_000);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    kind: EventKind,
    timestamp: i64,
    initiating_entity: Option<&'static str>,
    reason_admin: Option<String>,
}

impl Event {
    /// An event that happened at `timestamp` (`event_timestamp`, CAEP 1.0 section 2).
    pub fn new(kind: EventKind, timestamp: i64) -> Self {
        Self {
            kind,
            timestamp,
            initiating_entity: None,
            reason_admin: None,
        }
    }

    /// An administrator triggered it (`initiating_entity: admin`), with a reason
    /// for logs (`reason_admin`, in English).
    #[must_use]
    pub fn reason_admin(mut self, reason: impl Into<String>) -> Self {
        self.initiating_entity = Some("admin");
        self.reason_admin = Some(reason.into());
        self
    }

    /// Who triggered it: `admin`, `user`, `policy` or `system`.
    #[must_use]
    pub fn initiated_by(mut self, entity: &'static str) -> Self {
        self.initiating_entity = Some(entity);
        self
    }

    /// What happened.
    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    /// The event type URI.
    pub fn type_uri(&self) -> &'static str {
        match &self.kind {
            EventKind::SessionRevoked => types::SESSION_REVOKED,
            EventKind::CredentialChange { .. } => types::CREDENTIAL_CHANGE,
            EventKind::TokenClaimsChange { .. } => types::TOKEN_CLAIMS_CHANGE,
            EventKind::AssuranceLevelChange { .. } => types::ASSURANCE_LEVEL_CHANGE,
            EventKind::RiskLevelChange { .. } => types::RISK_LEVEL_CHANGE,
            EventKind::AccountDisabled { .. } => types::ACCOUNT_DISABLED,
            EventKind::AccountPurged => types::ACCOUNT_PURGED,
            EventKind::CredentialCompromise { .. } => types::CREDENTIAL_COMPROMISE,
            EventKind::Verification { .. } => types::VERIFICATION,
            EventKind::Provisioning { kind, .. } => kind.uri(),
            EventKind::StreamUpdated { .. } => types::STREAM_UPDATED,
        }
    }

    /// Whether the event object carries CAEP's common claims
    /// (`event_timestamp`, `initiating_entity`, `reason_admin`, CAEP 1.0
    /// section 2): not for SSF's stream control events nor for SCIM events,
    /// whose payload RFC 9967 section 2.4 defines.
    fn carries_caep_claims(&self) -> bool {
        !self.is_stream_control() && !matches!(self.kind, EventKind::Provisioning { .. })
    }

    /// Whether every stream gets it whatever it requested (SSF 1.0 sections
    /// 8.1.4 and 8.1.5: verification and stream-updated events).
    pub(crate) fn is_stream_control(&self) -> bool {
        matches!(
            self.kind,
            EventKind::Verification { .. } | EventKind::StreamUpdated { .. }
        )
    }

    /// The event object (the value under the type URI in `events`).
    pub fn body(&self) -> Value {
        let mut m = Map::new();
        let opt = |m: &mut Map<String, Value>, k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.into(), v.clone().into());
            }
        };
        match &self.kind {
            EventKind::SessionRevoked | EventKind::AccountPurged => {}
            EventKind::CredentialChange {
                credential_type,
                change_type,
            } => {
                m.insert("credential_type".into(), credential_type.clone().into());
                m.insert("change_type".into(), change_type.as_str().into());
            }
            EventKind::TokenClaimsChange { claims } => {
                m.insert("claims".into(), Value::Object(claims.clone()));
            }
            EventKind::AssuranceLevelChange {
                namespace,
                current_level,
                previous_level,
            } => {
                m.insert("namespace".into(), namespace.clone().into());
                m.insert("current_level".into(), current_level.clone().into());
                opt(&mut m, "previous_level", previous_level);
            }
            EventKind::RiskLevelChange {
                principal,
                current_level,
                previous_level,
                risk_reason,
            } => {
                m.insert("principal".into(), principal.clone().into());
                m.insert("current_level".into(), current_level.as_str().into());
                if let Some(p) = previous_level {
                    m.insert("previous_level".into(), p.as_str().into());
                }
                opt(&mut m, "risk_reason", risk_reason);
            }
            EventKind::AccountDisabled { reason } => opt(&mut m, "reason", reason),
            EventKind::CredentialCompromise { credential_type } => {
                m.insert("credential_type".into(), credential_type.clone().into());
            }
            EventKind::Verification { state } => opt(&mut m, "state", state),
            EventKind::Provisioning { kind, attributes } => {
                if kind.is_notice() {
                    m.insert("attributes".into(), attributes.clone().into());
                }
            }
            EventKind::StreamUpdated { status, reason } => {
                m.insert("status".into(), status.clone().into());
                opt(&mut m, "reason", reason);
            }
        }
        if self.carries_caep_claims() {
            m.insert("event_timestamp".into(), self.timestamp.into());
            if let Some(who) = self.initiating_entity {
                m.insert("initiating_entity".into(), who.into());
            }
            if let Some(r) = &self.reason_admin {
                m.insert("reason_admin".into(), json!({ "en": r }));
            }
        }
        Value::Object(m)
    }
}
