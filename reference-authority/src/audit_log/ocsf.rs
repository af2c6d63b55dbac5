//! Export of logged events as OCSF events (Open Cybersecurity Schema
//! Framework 1.x): the class, category and activity of each action, status,
//! actor, user and the event's own facts.

use super::entry::LogEntry;
use agent_auth::audit::{AuditAction, Outcome};
use serde_json::{Map, Value, json};

/// OCSF classes the log exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcsfClass {
    /// Account Change (3001), category Identity & Access Management (3).
    AccountChange,
    /// Authentication (3002), category Identity & Access Management (3).
    Authentication,
    /// Authorize Session (3003), category Identity & Access Management (3).
    AuthorizeSession,
    /// API Activity (6003), category Application Activity (6).
    ApiActivity,
    /// Detection Finding (2004), category Findings (2).
    DetectionFinding,
}

impl OcsfClass {
    /// The `class_uid`.
    pub fn uid(self) -> u32 {
        match self {
            Self::AccountChange => 3001,
            Self::Authentication => 3002,
            Self::AuthorizeSession => 3003,
            Self::ApiActivity => 6003,
            Self::DetectionFinding => 2004,
        }
    }

    /// The `category_uid` (the class uid's thousands).
    pub fn category_uid(self) -> u32 {
        self.uid() / 1000
    }

    fn name(self) -> &'static str {
        match self {
            Self::AccountChange => "Account Change",
            Self::Authentication => "Authentication",
            Self::AuthorizeSession => "Authorize Session",
            Self::ApiActivity => "API Activity",
            Self::DetectionFinding => "Detection Finding",
        }
    }
}

/// The OCSF class and `activity_id` of an action.
///
/// ```
/// use reference_authority::audit_log::{OcsfClass, ocsf_class};
/// use agent_auth::audit::AuditAction;
/// assert_eq!(ocsf_class(&AuditAction::Authentication, None), (OcsfClass::Authentication, 1));
/// assert_eq!(ocsf_class(&AuditAction::Logout, None), (OcsfClass::Authentication, 2));
/// assert_eq!(ocsf_class(&AuditAction::RiskChanged, None), (OcsfClass::DetectionFinding, 1));
/// ```
pub fn ocsf_class(action: &AuditAction, op: Option<&str>) -> (OcsfClass, u32) {
    use AuditAction as A;
    match action {
        // Authentication: 1 Logon, 2 Logoff.
        A::Authentication | A::MultiFactor | A::ClientAuthentication => {
            (OcsfClass::Authentication, 1)
        }
        A::Logout => (OcsfClass::Authentication, 2),
        // Authorize Session: 1 Assign Privileges (scopes granted to a
        // session's token), 99 Other.
        A::TokenIssued | A::TokenRefreshed | A::TokenExchanged => (OcsfClass::AuthorizeSession, 1),
        A::ApprovalRequested | A::ApprovalDecided => (OcsfClass::AuthorizeSession, 99),
        // Account Change: 1 Create, 2 Enable, 5 Disable, 6 Delete, 99 Other.
        A::AgentLifecycle => (
            OcsfClass::AccountChange,
            match op {
                Some("register" | "registered" | "create" | "created") => 1,
                Some("enable" | "enabled" | "activate" | "activated") => 2,
                Some("disable" | "disabled" | "suspend" | "suspended") => 5,
                Some("retire" | "retired" | "delete" | "deleted") => 6,
                _ => 99,
            },
        ),
        // Detection Finding: 1 Create.
        A::RiskChanged => (OcsfClass::DetectionFinding, 1),
        // API Activity: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
        A::AuthorizationDecision | A::TokenValidated => (OcsfClass::ApiActivity, 2),
        A::TokenRevoked => (OcsfClass::ApiActivity, 4),
        A::KeyRotated => (OcsfClass::ApiActivity, 3),
        A::VaultAccess => (
            OcsfClass::ApiActivity,
            match op {
                Some("write" | "store" | "create") => 1,
                Some("read" | "get") => 2,
                Some("refresh" | "update" | "rotate") => 3,
                Some("delete" | "remove") => 4,
                _ => 99,
            },
        ),
        _ => (OcsfClass::ApiActivity, 99),
    }
}

/// One logged entry as an OCSF event object.
///
/// ```
/// use reference_authority::audit_log::{LogEntry, to_ocsf};
/// use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
/// let entry = LogEntry { index: 7, reporter: None, event: AuditEvent::new(1_700_000_000, AuditAction::TokenIssued, Outcome::Success).agent("a").user("sarah") };
/// let ocsf = to_ocsf(&entry);
/// assert_eq!(ocsf["class_uid"], 3003);
/// assert_eq!(ocsf["category_uid"], 3);
/// assert_eq!(ocsf["type_uid"], 300301);
/// assert_eq!(ocsf["time"], 1_700_000_000_000_i64);
/// ```
pub fn to_ocsf(entry: &LogEntry) -> Value {
    let event = &entry.event;
    let op = event.details.get("op").and_then(Value::as_str);
    let (class, activity_id) = ocsf_class(&event.action, op);
    let (status_id, status) = match event.outcome {
        Outcome::Success => (1, "Success"),
        Outcome::Denied => (2, "Failure"),
        Outcome::Error => (99, "Other"),
    };
    // Severity: 1 Informational, 3 Medium for refusals and errors, 4 High for findings.
    let severity_id = match (class, event.outcome) {
        (OcsfClass::DetectionFinding, _) => 4,
        (_, Outcome::Success) => 1,
        _ => 3,
    };
    let mut out = Map::new();
    out.insert("class_uid".into(), class.uid().into());
    out.insert("class_name".into(), class.name().into());
    out.insert("category_uid".into(), class.category_uid().into());
    out.insert("activity_id".into(), activity_id.into());
    out.insert(
        "type_uid".into(),
        (u64::from(class.uid()) * 100 + u64::from(activity_id)).into(),
    );
    out.insert("time".into(), event.time.saturating_mul(1000).into());
    out.insert("status_id".into(), status_id.into());
    out.insert("status".into(), status.into());
    out.insert("severity_id".into(), severity_id.into());
    let mut metadata = json!({
        "version": "1.3.0",
        "product": { "name": "reference-authority", "vendor_name": "agent-auth" },
        "sequence": entry.index,
    });
    if let Some(m) = metadata.as_object_mut() {
        if let Some(id) = &event.id {
            m.insert("uid".into(), id.clone().into());
        }
        if let Some(r) = &event.request_id {
            m.insert("correlation_uid".into(), r.clone().into());
        }
        if let Some(r) = &entry.reporter {
            m.insert("log_provider".into(), r.clone().into());
        }
    }
    out.insert("metadata".into(), metadata);
    if let Some(agent) = &event.agent {
        let mut actor = json!({ "app_name": agent, "user": { "uid": agent, "type_id": 3 } });
        if let (false, Some(a)) = (event.on_behalf_of.is_empty(), actor.as_object_mut()) {
            a.insert("invoked_by".into(), event.on_behalf_of.join(" > ").into());
        }
        out.insert("actor".into(), actor);
    }
    if let Some(user) = &event.user {
        out.insert("user".into(), json!({ "uid": user }));
    }
    if let Some(reason) = &event.reason {
        out.insert("status_detail".into(), reason.clone().into());
    }
    if let Some(target) = &event.target {
        out.insert("resources".into(), json!([{ "uid": target }]));
    }
    if let Some(issuer) = &event.issuer {
        out.insert("src_endpoint".into(), json!({ "svc_name": issuer }));
    }
    let mut unmapped = event.details.clone();
    if let Some(jti) = &event.token_jti {
        unmapped.insert("token_jti".into(), jti.clone().into());
    }
    unmapped.insert("action".into(), super::store::name_of(&event.action).into());
    out.insert("unmapped".into(), Value::Object(unmapped));
    Value::Object(out)
}
